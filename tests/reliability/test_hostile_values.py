"""Hostile values everywhere (issue #12 case 5, and NUL/bidi from case 7): every name, goal,
note, reason and CSV value is something Slack would act on if sent raw (`<!channel>`,
`<!here>`, `<@U123>`, `<https://x|y>`, `&`) or a NUL / bidi override. The main journeys run
over signed HTTP against the fake Slack; then every Web API call the fake recorded is walked and
no text field anywhere (a message's fallback `text`, blocks' text/fields/elements, views' titles,
labels, placeholders, options, Home) may hold any of them raw: they appear escaped
(`&lt;!channel&gt;`, `&amp;`) or, for NUL and bidi controls, not at all.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import Any

import pytest

from core.kernel.texts import clean_text
from core.people.imports import import_people_file
from sandbox.harness import BotUnderTest
from tests.admin_support import make_coordinator
from tests.relationship_support import Someone, add_to_fake, agree, at, seed_pair

BIDI = "\u202e\u2066"
HOSTILE = f"<!channel> <!here> <@U123> <https://x|y> R&D \x00{BIDI}"


def hostile(label: str) -> str:
    return f"{label} {HOSTILE}"


RAW = ("<!channel>", "<!here>", "<@U123>", "<https://x|y>", "R&D")
ESCAPED = ("&lt;!channel&gt;", "&lt;!here&gt;", "&lt;@U123&gt;", "&lt;https://x|y&gt;", "R&amp;D")
INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
DOUBLE = re.compile("&amp;(amp|lt|gt);")  # escaped twice: Slack would show "&lt;"
# keys whose strings Slack shows as text (text objects carry theirs under "text")
TEXT_KEYS = {"text", "title", "initial_comment", "alt_txt", "alt_text", "fallback", "pretext"}


def strings(value: Any, key: str = "") -> Iterator[tuple[str, str]]:
    """(key, string) for every string anywhere in `value`."""
    if isinstance(value, str):
        yield key, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from strings(v, str(k))
    elif isinstance(value, list):
        for item in value:
            yield from strings(item, key)


def _check(where: str, value: Any, texts: list[str], problems: list[str]) -> None:
    for key, text in strings(value):
        if INVISIBLE.search(text):
            problems.append(f"{where}.{key}: control/bidi character in {text!r}")
        if key not in TEXT_KEYS:
            continue
        texts.append(text)
        problems.extend(f"{where}.{key}: raw {raw!r} in {text!r}" for raw in RAW if raw in text)
        if DOUBLE.search(text):
            problems.append(f"{where}.{key}: escaped twice in {text!r}")


def assert_nothing_raw(slack: BotUnderTest) -> list[str]:
    """Walk every recorded Web API call, and every message the bot has in a DM (command
    replies sent in the acknowledgement are not Web API calls); return the text fields seen."""
    texts: list[str] = []
    problems: list[str] = []
    for call in slack.fake.calls:
        args = {k: v for k, v in call.args.items() if k not in ("content", "file", "filename")}
        _check(call.method, args, texts, problems)
    for user in slack.fake.users:
        for message in slack.fake.dm_messages(user["id"]):
            if message.from_bot:
                shown = {"text": message.text, "blocks": message.sent_blocks or message.blocks}
                _check(f"message to {user['id']}", shown, texts, problems)
    problems.sort(key=lambda p: "raw" not in p)  # the raw ones first
    assert not problems, "\n".join(problems[:30])
    return texts


def assert_escaped_somewhere(texts: list[str]) -> None:
    """The hostile values did reach Slack (escaped): the walk above is not vacuous."""
    joined = "\n".join(texts)
    for form in ESCAPED:
        assert form in joined, form


def fallback_texts(slack: BotUnderTest) -> list[str]:
    methods = ("chat.postMessage", "chat.update", "chat.postEphemeral", "response_url")
    return [str(c.args.get("text") or "") for c in slack.fake.calls if c.method in methods]


# --- the people ---------------------------------------------------------------------------------
MENTEE, MENTOR, OTHER, COORD = "U_ANA", "U_CY", "U_BEN", "U_CO"


def import_mentors(slack: BotUnderTest) -> None:
    """The mentors arrive by CSV import, every free-text cell hostile."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["slack_user_id", "name", "department", "title", "roles", "expertise", "capacity"]
        + ["timezone", "languages", "meeting_format"]
    )
    for user, expertise in ((MENTOR, "public-speaking"), (OTHER, "public-speaking")):
        writer.writerow(
            [user, hostile("Mentor"), hostile("Dept"), hostile("Title"), "mentor", expertise]
            + ["2", "Europe/Berlin", "en", "either"]
        )
    import_people_file(
        slack.app.db,
        out.getvalue().encode("utf-8"),
        team_id=slack.fake.team_id,
        program_name=None,
        clock=slack.clock,
    )


def people(slack: BotUnderTest) -> None:
    slack.add_person(MENTEE, "ana", real_name=hostile("Ana"), tz="Europe/Lisbon")
    slack.add_person(MENTOR, "cy", real_name=hostile("Cy"), tz="Europe/Berlin")
    slack.add_person(OTHER, "ben", real_name=hostile("Ben"), tz="Europe/London")


def onboard_mentee(slack: BotUnderTest) -> None:
    d = slack.d
    d.dm(MENTEE, "I'd like to join")
    d.click(MENTEE, "onboarding.role.select.mentee")
    d.select(MENTEE, "onboarding.goals.select", ["public-speaking"])
    d.dm(MENTEE, hostile("Goal"))
    d.click(MENTEE, "onboarding.format.select.remote")
    d.select(MENTEE, "onboarding.languages.select", ["en"])
    d.dm(MENTEE, hostile("Notes"))
    d.click(MENTEE, "onboarding.review.confirm")


def onboard_mentor(slack: BotUnderTest, user: str) -> None:
    slack.add_person(user, "dee", real_name=hostile("Dee"), tz="America/New_York")
    d = slack.d
    d.open_home(user)
    d.click(user, "home.join")
    d.click(user, "onboarding.role.select.mentor")
    d.select(user, "onboarding.expertise.select", ["system-design"])
    d.click(user, "onboarding.capacity.select.2")
    d.click(user, "onboarding.format.select.remote")
    d.select(user, "onboarding.languages.select", ["en"])
    d.dm(user, hostile("Mentor notes"))
    d.click(user, "onboarding.review.confirm")


def match_and_introduce(slack: BotUnderTest) -> None:
    people(slack)
    import_mentors(slack)
    onboard_mentee(slack)
    slack.d.click(MENTEE, "matching.shortlist.request.0")
    requested = next(
        u for u in (MENTOR, OTHER) if "matching.request.accept" in str(slack.fake.last_dm(u))
    )
    slack.d.click(requested, "matching.request.accept")
    for user in (MENTEE, MENTOR, OTHER):
        slack.d.open_home(user)


def mentor_of_the_pair(slack: BotUnderTest) -> str:
    return next(u for u in (MENTOR, OTHER) if "agreement" in str(slack.fake.dm_messages(u)))


# --- the journeys -------------------------------------------------------------------------------
def test_case5_hostile_values_in_onboarding_matching_introduction_and_home(
    slack: BotUnderTest,
) -> None:
    match_and_introduce(slack)
    onboard_mentor(slack, "U_DEE")
    texts = assert_nothing_raw(slack)
    assert_escaped_somewhere(texts)
    # the fallback text (notifications) carries the names too, escaped
    assert any("&lt;!channel&gt;" in t for t in fallback_texts(slack))


def test_case5_hostile_values_in_the_agreement_and_a_check_in(slack: BotUnderTest) -> None:
    slack.clock.set(at("2026-03-02T09:00:00+00:00"))
    match_and_introduce(slack)
    mentor = mentor_of_the_pair(slack)
    d = slack.d
    d.click(MENTEE, "relationship.agreement.open")
    d.submit_view(
        MENTEE,
        None,
        {
            "agreement_goal_3": {"relationship.agreement.goal.3": hostile("Agreed goal")},
            "agreement_cadence": {"relationship.agreement.cadence": "weekly"},
            "agreement_duration": {"relationship.agreement.duration": "3"},
            "agreement_ground_rules": {"relationship.agreement.ground_rules": ["agreed"]},
        },
    )
    d.click(mentor, "relationship.agreement.suggest", in_message=slack.fake.last_dm(mentor))
    d.submit_view(
        mentor,
        None,
        {"suggest_text": {"relationship.agreement.suggest.text": hostile("Suggestion")}},
    )
    d.click(MENTEE, "relationship.agreement.open")
    d.submit_view(
        MENTEE,
        None,
        {"agreement_ground_rules": {"relationship.agreement.ground_rules": ["agreed"]}},
    )
    d.click(mentor, "relationship.agreement.confirm")
    slack.app.flows.relationship.deliverer.pacer.rate = 500
    slack.clock.set(at("2026-04-01T09:00:00+00:00"))
    slack.run_sweeps()
    checkin = next(
        m
        for m in reversed(slack.fake.dm_messages(MENTEE))
        if "relationship.checkin.open" in str(m.blocks)
    )
    d.click(MENTEE, "relationship.checkin.open", in_message=checkin)
    d.submit_view(
        MENTEE,
        None,
        {
            "checkin_goal_1": {"relationship.checkin.goal.1": "some_progress"},
            "checkin_health": {"relationship.checkin.health": "working_well"},
            "checkin_note": {"relationship.checkin.note": hostile("Check-in note")},
            "checkin_share": {"relationship.checkin.share": ["share"]},
        },
        check_required=False,
    )
    d.slash(MENTEE, "/mentoring", "status")
    for user in (MENTEE, mentor):
        d.open_home(user)
    texts = assert_nothing_raw(slack)
    assert_escaped_somewhere(texts)
    assert any("Suggestion" in t and "&lt;!here&gt;" in t for t in texts)


def test_case5_hostile_values_in_coordinator_commands_and_views(
    slack: BotUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    match_and_introduce(slack)
    slack.add_person(COORD, "co", real_name=hostile("Coordinator"))
    make_coordinator(slack, COORD, monkeypatch)
    d = slack.d
    for command in ("stats", "unmatched", "at-risk", "audit", "program list", "help"):
        d.slash(COORD, "/mentoring", command)
    d.slash(COORD, "/mentoring", "announce")
    d.submit_view(COORD, values={"announce_text": {"coordinator.announce.text": hostile("News")}})
    slack.run_sweeps()
    assert any("News" in t for t in slack.dm_texts(MENTEE))
    d.slash(COORD, "/mentoring", "program settings")
    d.slash(COORD, "/mentoring", "program create " + hostile("Program"))
    d.slash(COORD, "/mentoring", "program list")
    d.slash(COORD, "/mentoring", f"match <@{OTHER}> <@{MENTEE}> {hostile('Because')}")
    d.slash(MENTEE, "/mentoring", "status")
    d.slash(MENTEE, "/mentoring", "ask " + hostile("How do I find a mentor?"))
    for user in (MENTEE, MENTOR, OTHER, COORD):
        d.open_home(user)
    texts = assert_nothing_raw(slack)
    assert_escaped_somewhere(texts)


def test_case5_hostile_values_in_nudges_pauses_endings_invitations_and_my_data(
    slack: BotUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scheduled and bulk messages: meeting nudges, a check-in, a pause, an invitation,
    an announcement, the weekly digest, my-data and the ending after someone leaves."""
    mentee = Someone(MENTEE, hostile("Ana"), "Europe/Lisbon")
    mentor = Someone(MENTOR, hostile("Cy"), "Europe/Berlin")
    add_to_fake(slack, mentee, mentor)
    slack.add_person("U_NEW", "nia", real_name=hostile("Nia"), tz="Europe/London")
    slack.add_person(COORD, "co", real_name=hostile("Coordinator"), tz="Europe/London")
    slack.clock.set(at("2026-03-02T10:00:00+00:00"))  # a Monday, working hours everywhere
    db, clock, d = slack.app.db, slack.clock, slack.d
    pair_id = seed_pair(
        # stored as the boundary leaves a typed goal (seed_pair writes rows directly)
        db,
        clock,
        mentee,
        mentor,
        goals=(("public-speaking", clean_text(hostile("Goal"))),),
        start=True,
    )
    agree(db, clock, pair_id, cadence="weekly")
    slack.app.flows.relationship.deliverer.pacer.rate = 500
    make_coordinator(slack, COORD, monkeypatch)
    d.slash(COORD, "/mentoring", "invite <@U_NEW>")
    d.slash(COORD, "/mentoring", "announce")
    d.submit_view(COORD, values={"announce_text": {"coordinator.announce.text": hostile("News")}})
    for _ in range(6):  # six weeks of nudges, a check-in at 30 days, two Monday digests
        clock.advance(days=7)
        slack.run_sweeps()
    d.slash(MENTEE, "/mentoring", "pause 2w")
    d.slash(MENTEE, "/mentoring", "resume")
    d.slash(MENTEE, "/mentoring", "my-data")
    d.slash(MENTOR, "/mentoring", "leave")
    d.click(MENTOR, "everyone.leave.confirm")
    slack.run_sweeps()
    texts = assert_nothing_raw(slack)
    assert_escaped_somewhere(texts)
    said = [
        m.text or "" for u in (MENTEE, MENTOR, "U_NEW", COORD) for m in slack.fake.dm_messages(u)
    ]
    assert any("News" in t for t in said) and len(said) >= 10  # the messages did go out
