"""Coordinator console journeys: programs and settings, invitations and announcements (paced,
once each), stats with the k rule, the unmatched and at-risk lists, matching interventions,
export, audit and the Monday digest with its chart."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from bot.scheduling.deliverer import Pacer
from core.coordination.models import AuditEvent, ProgramSnapshot
from core.matchmaking.models import DoNotPair, MatchExclusion, MentorRequest, Pair
from core.matchmaking.service import match_settings
from core.messaging.models import ANNOUNCEMENT, Delivery
from core.people.models import Participation, Person
from core.programs.models import Program
from core.programs.service import program_settings
from sandbox.harness import BotUnderTest
from tests.admin_support import (
    join,
    last_reply,
    make_coordinator,
    participation,
)

GOAL_TEXT = "Speak at the Lisbon summit without shaking"
NOTES = "Prefers early mornings; dyslexic, so written docs are hard"


@pytest.fixture
def coordinator(slack: BotUnderTest, monkeypatch: pytest.MonkeyPatch) -> str:
    make_coordinator(slack, "U_CO", monkeypatch)
    return "U_CO"


def pair_up(slack: BotUnderTest, coordinator: str, mentee: str, mentor: str) -> None:
    slack.d.slash(coordinator, "/mentoring", f"match <@{mentee}> <@{mentor}> shared interests")
    slack.d.click(mentee, "coordinator.match.accept")
    slack.d.click(mentor, "coordinator.match.accept")


def test_program_create_list_and_settings_modal(slack: BotUnderTest, coordinator: str) -> None:
    d = slack.d
    d.slash(coordinator, "/mentoring", "program create Reverse mentoring")
    d.slash(coordinator, "/mentoring", "program create reverse MENTORING")
    assert "already a program" in last_reply(slack, coordinator)
    d.slash(coordinator, "/mentoring", "program list")
    listing = last_reply(slack, coordinator)
    assert "Mentoring program" in listing and "Reverse mentoring" in listing
    d.slash(coordinator, "/mentoring", 'program settings --program "Reverse mentoring"')
    modal = slack.fake.open_views(coordinator)[-1]
    # a day that ends before it starts is refused with the reason, nothing saved
    response = d.submit_view(
        coordinator,
        modal,
        {
            "settings_working_hours_start": {"coordinator.settings.working_hours_start": "18"},
            "settings_working_hours_end": {"coordinator.settings.working_hours_end": "9"},
        },
    )
    assert response.json()["response_action"] == "errors"
    assert "settings_working_hours_end" in response.json()["errors"]
    response = d.submit_view(
        coordinator,
        modal,
        {
            "settings_objectives": {
                "coordinator.settings.objectives": "Grow new managers\n\n- Share knowledge"
            },
            "settings_shortlist_size": {"coordinator.settings.shortlist_size": "5"},
            "settings_privacy_min_group": {"coordinator.settings.privacy_min_group": "7"},
            "settings_working_hours_start": {"coordinator.settings.working_hours_start": "8"},
            "settings_working_hours_end": {"coordinator.settings.working_hours_end": "16"},
            "settings_target_active_pairs": {"coordinator.settings.target_active_pairs": "12"},
        },
    )
    assert response.status_code == 200 and slack.fake.open_views(coordinator) == []
    with slack.app.db.transaction() as session:
        program = session.scalars(select(Program).where(Program.name == "Reverse mentoring")).one()
        settings = dict(program.settings)
        default = session.scalars(select(Program).where(Program.is_default.is_(True))).one()
        assert default.settings == {}
    assert settings["objectives"] == ["Grow new managers", "Share knowledge"]
    assert settings["shortlist_size"] == 5 and settings["privacy_min_group"] == 7
    assert settings["working_hours"] == {"start": 8, "end": 16}
    assert settings["targets"]["active_pairs"] == 12
    # unchanged defaults are not stored as overrides
    assert "duration_months" not in settings and "meeting_cadence" not in settings
    assert any("are saved" in t for t in slack.dm_texts(coordinator))
    # the modal opens again with the saved values
    d.slash(coordinator, "/mentoring", 'program settings --program "Reverse mentoring"')
    reopened = str(slack.fake.open_views(coordinator)[-1].blocks)
    assert (
        "Grow new managers" in reopened
        and "'initial_option': {'text': {'type': 'plain_text', 'text': '5'" in reopened
    )


def test_the_settings_form_shows_no_technical_limits_and_ignores_them(
    slack: BotUnderTest, coordinator: str
) -> None:
    block = "settings_matching_max_memory_mb"
    with slack.app.db.transaction() as session:
        program = session.scalars(select(Program).where(Program.is_default.is_(True))).one()
        # the default comes from content/program_defaults.yaml, where whoever runs it sets it
        assert match_settings(program_settings(program)).max_memory_mb == 2048
    slack.d.slash(coordinator, "/mentoring", "program settings")
    modal = slack.fake.open_views(coordinator)[-1]
    shown = str(modal.blocks)
    assert block not in shown and "Memory" not in shown and "MB" not in shown
    assert "settings_shortlist_size" in shown  # what a coordinator decides stays
    response = slack.d.submit_view(
        coordinator,
        modal,
        {"settings_shortlist_size": {"coordinator.settings.shortlist_size": "4"}},
    )
    assert response.status_code == 200 and slack.fake.open_views(coordinator) == []
    with slack.app.db.transaction() as session:
        program = session.scalars(select(Program)).one()
        assert program.settings == {"shortlist_size": 4}
        assert match_settings(program_settings(program)).max_memory_mb == 2048


def test_invite_people_and_a_channel_once_each(slack: BotUnderTest, coordinator: str) -> None:
    join(slack, "U_A", "Ana Lima")
    for user in ("U_N1", "U_N2", "U_N3"):
        slack.add_person(user, user.lower())
    channel = slack.fake.add_channel("curious-about-mentoring", members=["U_N2", "U_N3", "U_A"])
    d = slack.d
    d.slash(coordinator, "/mentoring", "invite <@U_N1|n1> <@U_A>")
    assert "inviting 1 person" in last_reply(slack, coordinator).lower()
    assert "(1 already taking part)" in last_reply(slack, coordinator)
    d.slash(coordinator, "/mentoring", f"invite <#{channel}|curious-about-mentoring>")
    slack.run_sweeps()
    slack.run_sweeps()
    for user in ("U_N1", "U_N2", "U_N3"):
        invitations = [t for t in slack.dm_texts(user) if "thought you might enjoy" in t]
        assert len(invitations) == 1, user
    assert not any("thought you might enjoy" in t for t in slack.dm_texts("U_A"))
    # the Join button starts onboarding
    d.click("U_N1", "home.join")
    assert participation(slack, "U_N1") is not None


def test_announcement_is_paced_sent_once_each_and_in_working_hours(
    slack: BotUnderTest, coordinator: str, clock
) -> None:
    # Slack's pace is the deliverer's Pacer (tests/reliability/test_delivery_errors.py); here a
    # fast one, so the batch sizes are what is checked
    slack.app.flows.relationship.deliverer.pacer = Pacer(rate=500, burst=100, channel_interval=0)
    for n in range(34):
        join(slack, f"U_P{n:02d}", f"Person {n:02d}")
    join(slack, "U_TOKYO", "Taro Tokyo", tz="Asia/Tokyo")  # 18:00 there: after hours
    join(slack, "U_LEFT", "Lea Left")
    d = slack.d
    d.slash("U_LEFT", "/mentoring", "leave")
    d.click("U_LEFT", "everyone.leave.confirm")
    d.slash(coordinator, "/mentoring", "announce")
    d.submit_view(
        coordinator,
        values={"announce_text": {"coordinator.announce.text": "Kick-off <!channel> on *Friday*"}},
    )
    assert any("on its way to 35 people" in t for t in slack.dm_texts(coordinator))

    def received(user: str) -> list[str]:
        return [t for t in slack.dm_texts(user) if "A message from the" in t]

    first_batch = sum(len(received(f"U_P{n:02d}")) for n in range(34))
    assert first_batch == 30  # paced: one batch now, the rest on the next sweeps
    slack.run_sweeps()
    slack.run_sweeps()
    for n in range(34):
        assert len(received(f"U_P{n:02d}")) == 1
    assert received("U_TOKYO") == [] and received("U_LEFT") == []
    # the text is escaped: no @channel ping
    assert "<!channel>" not in received("U_P00")[0] and "&lt;!channel&gt;" in received("U_P00")[0]
    clock.advance(hours=15)  # 09:00 in Tokyo the next day
    slack.run_sweeps()
    slack.run_sweeps()
    assert len(received("U_TOKYO")) == 1
    assert sum(len(received(f"U_P{n:02d}")) for n in range(34)) == 34
    with slack.app.db.transaction() as session:
        statuses = [
            d.status for d in session.scalars(select(Delivery).where(Delivery.kind == ANNOUNCEMENT))
        ]
    assert sorted(set(statuses)) == ["sent"] and len(statuses) == 35


def stats_text(slack: BotUnderTest, coordinator: str) -> str:
    slack.d.slash(coordinator, "/mentoring", "stats")
    return last_reply(slack, coordinator)


def test_stats_hide_every_group_smaller_than_k(slack: BotUnderTest, coordinator: str) -> None:
    for n in range(6):
        join(slack, f"U_ME{n}", f"Mentee {n}", goals=("public-speaking",), success=GOAL_TEXT)
    for n in range(5):
        join(slack, f"U_MR{n}", f"Mentor {n}", role="mentor")
    join(slack, "U_BOTH", "Bo Both", role="both", goals=("hiring",))
    text = stats_text(slack, coordinator)
    assert "*Participants: 12*" in text
    assert "mentees: 6" in text
    # "both" has 1 person: hidden; mentors (5) would give it away by subtraction: hidden too
    assert "both: fewer than 5" in text and "mentors: not shown (privacy)" in text
    assert "both: 1" not in text and "mentors: 5" not in text
    # 6 mentees with a goal in Communication; 1 in Leadership (hiring): hidden
    assert "Communication: 6 mentees" in text and "Leadership: fewer than 5 mentees" in text
    assert GOAL_TEXT not in text
    # with k raised to 7 in the settings, 6 is too small as well
    slack.d.slash(coordinator, "/mentoring", "program settings")
    slack.d.submit_view(
        coordinator,
        values={"settings_privacy_min_group": {"coordinator.settings.privacy_min_group": "7"}},
    )
    text = stats_text(slack, coordinator)
    assert "mentees: fewer than 7" in text and "*Participants: 12*" in text
    assert "Communication: fewer than 7 mentees" in text
    assert "smaller than 7" in text


def test_stats_count_pairs_by_stage_and_meetings_against_targets(
    slack: BotUnderTest, coordinator: str
) -> None:
    for n in range(5):
        join(slack, f"U_ME{n}", f"Mentee {n}")
        join(slack, f"U_MR{n}", f"Mentor {n}", role="mentor")
        pair_up(slack, coordinator, f"U_ME{n}", f"U_MR{n}")
    text = stats_text(slack, coordinator)
    assert "*Pairs: 5*" in text
    # no agreement yet: all five are waiting for one
    assert "agreement pending: 5" in text
    assert "Median days from joining to a match: *0*" in text
    # meetings logged by the pairs (the relationship feature's `/mentoring met`) are counted
    for n in range(2):
        slack.d.slash(f"U_ME{n}", "/mentoring", "met")
    slack.d.slash("U_MR0", "/mentoring", "met")  # the same meeting, logged by the other side
    text = stats_text(slack, coordinator)
    assert "Meetings logged per active pair: *0.4*" in text


def test_unmatched_and_at_risk_show_names_and_status_only(
    slack: BotUnderTest, coordinator: str, clock
) -> None:
    join(slack, "U_A", "Ana Lima", success=GOAL_TEXT, notes=NOTES)
    join(slack, "U_B", "Ben Okafor", role="mentor")
    join(slack, "U_C", "Cy Tan")
    join(slack, "U_GONE", "Gus Gone")
    d = slack.d
    d.slash(coordinator, "/mentoring", "match <@U_C> <@U_B> both into talks")
    d.slash(coordinator, "/mentoring", "unmatched")
    text = last_reply(slack, coordinator)
    assert "<@U_A>: waiting for mentor suggestions" in text
    assert "<@U_C>: waiting for a mentor's answer" in text
    assert GOAL_TEXT not in text and NOTES not in text and "Public speaking" not in text
    with slack.app.db.transaction() as session:
        person = session.scalars(select(Person).where(Person.slack_user_id == "U_GONE")).one()
        person.unreachable = True
    clock.advance(days=7)  # the coordinator's request is about to expire
    d.slash(coordinator, "/mentoring", "at-risk")
    text = last_reply(slack, coordinator)
    assert "<@U_GONE>: I can no longer reach them in Slack" in text
    assert "<@U_C> and <@U_B>: a mentoring request expires within a day" in text
    assert GOAL_TEXT not in text and NOTES not in text


def test_match_refuses_the_reporting_line_and_do_not_pair_and_asks_both(
    slack: BotUnderTest, coordinator: str
) -> None:
    join(slack, "U_BOSS", "Bea Boss", role="mentor")
    join(slack, "U_A", "Ana Lima", manager="U_MID")
    join(slack, "U_MID", "Mo Middle", role="both", manager="U_BOSS")
    join(slack, "U_B", "Ben Okafor", role="mentor")
    d = slack.d
    d.slash(coordinator, "/mentoring", "match <@U_A> <@U_BOSS> she ran the summit")
    assert "reporting line" in last_reply(slack, coordinator)  # a skip-level manager
    d.slash(coordinator, "/mentoring", "do-not-pair <@U_A> <@U_B>")
    assert "won't be paired" in last_reply(slack, coordinator)
    d.slash(coordinator, "/mentoring", "match <@U_A> <@U_B> same field")
    assert "do-not-pair list" in last_reply(slack, coordinator)
    d.slash(coordinator, "/mentoring", "match <@U_A> <@U_B>")
    assert "short reason" in last_reply(slack, coordinator)
    with slack.app.db.transaction() as session:
        assert session.scalars(select(MentorRequest)).all() == []
        outcomes = [
            e.outcome
            for e in session.scalars(select(AuditEvent).where(AuditEvent.action == "match"))
        ]
    assert outcomes == ["refused", "refused"]
    # nobody was told about the do-not-pair
    assert not any("do-not-pair" in t for t in slack.dm_texts("U_A") + slack.dm_texts("U_B"))

    join(slack, "U_D", "Dee Mentor", role="mentor")
    d.slash(coordinator, "/mentoring", "match <@U_A> <@U_D> you both love <b>data</b>")
    assert any("good mentor for you" in t for t in slack.dm_texts("U_A"))
    ask = next(t for t in slack.dm_texts("U_D") if "good mentor for" in t)
    assert "&lt;b&gt;data&lt;/b&gt;" in ask
    d.click("U_A", "coordinator.match.accept")
    d.click("U_D", "coordinator.match.decline")
    assert any("won't go ahead this time" in t for t in slack.dm_texts("U_A"))
    assert any("won't go ahead" in t for t in slack.dm_texts(coordinator))
    d.slash(coordinator, "/mentoring", "match <@U_A> <@U_D> second try")
    d.click("U_D", "coordinator.match.accept")
    d.click("U_A", "coordinator.match.accept")
    with slack.app.db.transaction() as session:
        pairs = session.scalars(select(Pair)).all()
        assert len(pairs) == 1 and pairs[0].status == "active"
    assert any("You're paired" in t for t in slack.dm_texts("U_A"))
    assert any("both said yes" in t for t in slack.dm_texts(coordinator))
    d.slash("U_A", "/mentoring", "status")
    assert "Your mentor: <@U_D>" in last_reply(slack, "U_A")


def test_unpair_and_rematch_close_kindly_without_reasons(
    slack: BotUnderTest, coordinator: str
) -> None:
    join(slack, "U_A", "Ana Lima")
    join(slack, "U_B", "Ben Okafor", role="mentor")
    join(slack, "U_C", "Cy Tan")
    join(slack, "U_D", "Dee Mentor", role="mentor")
    pair_up(slack, coordinator, "U_A", "U_B")
    pair_up(slack, coordinator, "U_C", "U_D")
    d = slack.d
    d.slash(coordinator, "/mentoring", "unpair <@U_B> <@U_A>")
    assert "no longer paired" in last_reply(slack, coordinator)
    for user in ("U_A", "U_B"):
        assert any("closed by the program coordinators" in t for t in slack.dm_texts(user))
    d.slash(coordinator, "/mentoring", "unpair <@U_B> <@U_A>")
    assert "aren't in an open mentoring relationship" in last_reply(slack, coordinator)

    d.slash(coordinator, "/mentoring", "rematch <@U_C>")
    assert "starting their match again" in last_reply(slack, coordinator)
    assert any("fresh start" in t for t in slack.dm_texts("U_C"))
    assert any("has come to an end" in t for t in slack.dm_texts("U_D"))
    with slack.app.db.transaction() as session:
        statuses = sorted((p.status, p.end_reason) for p in session.scalars(select(Pair)))
        assert statuses == [("ended_early", "coordinator"), ("ended_early", "rematch")]
        exclusion = session.scalars(select(MatchExclusion)).one()
        mentee = session.get(Participation, exclusion.mentee_id)
        assert mentee.person.slack_user_id == "U_C" and exclusion.reason == "rematch"
        assert len(session.scalars(select(DoNotPair)).all()) == 0


def test_export_sends_csv_files_without_goal_text(slack: BotUnderTest, coordinator: str) -> None:
    join(slack, "U_A", "Ana Lima", success=GOAL_TEXT, notes=NOTES)
    join(slack, "U_B", "=HYPERLINK(evil)", role="mentor")
    pair_up(slack, coordinator, "U_A", "U_B")
    slack.d.slash(coordinator, "/mentoring", "export")
    assert "sent the export" in last_reply(slack, coordinator)
    files = [f for f in slack.fake.files if f.completed]
    assert sorted(f.name.split("-2026")[0] for f in files) == [
        "mentoring-program-pairs",
        "mentoring-program-participants",
    ]
    dm = slack.fake.dm_channel(coordinator)
    assert all(f.channels == [] or dm in f.channels for f in files)
    shared = [m for m in slack.fake.dm_messages(coordinator) if m.files]
    assert shared and {f["id"] for m in shared for f in m.files} == {f.id for f in files}
    contents = {f.name.split("-2026")[0]: f.content.decode() for f in files}
    people = list(csv.DictReader(io.StringIO(contents["mentoring-program-participants"])))
    assert {(p["slack_user_id"], p["role"], p["status"]) for p in people} == {
        ("U_A", "mentee", "active"),
        ("U_B", "mentor", "active"),
    }
    assert any(p["name"] == "'=HYPERLINK(evil)" for p in people)  # no formula injection
    pairs = list(csv.DictReader(io.StringIO(contents["mentoring-program-pairs"])))
    assert [(p["mentee_slack_user_id"], p["mentor_slack_user_id"], p["status"]) for p in pairs] == [
        ("U_A", "U_B", "active")
    ]
    everything = "".join(contents.values())
    assert GOAL_TEXT not in everything and NOTES not in everything
    assert "Public speaking" not in everything


def test_audit_lists_the_last_coordinator_actions(slack: BotUnderTest, coordinator: str) -> None:
    join(slack, "U_A", "Ana Lima")
    d = slack.d
    d.slash(coordinator, "/mentoring", "stats")
    d.slash(coordinator, "/mentoring", "do-not-pair <@U_A> <@U_CO>")
    d.slash("U_A", "/mentoring", "export")
    d.slash(coordinator, "/mentoring", "audit")
    text = last_reply(slack, coordinator)
    assert "`export`" in text and "refused (not a coordinator)" in text
    assert "`do_not_pair` (<@U_A>, <@U_CO>)" in text
    assert "`coordinators.add` (<@U_CO>)" in text and "cli" in text
    assert text.index("`export`") < text.index("`stats`")  # newest first


def test_monday_digest_with_chart_once_a_week(slack: BotUnderTest, coordinator: str, clock) -> None:
    for n in range(6):
        join(slack, f"U_ME{n}", f"Mentee {n}")
    for n in range(5):
        join(slack, f"U_MR{n}", f"Mentor {n}", role="mentor")
    clock.advance(minutes=5)  # Monday 09:05 in London (the coordinator's time zone)
    slack.run_sweeps()
    digests = [t for t in slack.dm_texts(coordinator) if "your Monday digest" in t]
    assert len(digests) == 1
    pngs = [f for f in slack.fake.files if f.name == "pairs-by-stage.png"]
    assert len(pngs) == 1 and pngs[0].completed
    assert pngs[0].content.startswith(b"\x89PNG\r\n\x1a\n") and len(pngs[0].content) > 2000
    assert slack.fake.dm_channel(coordinator) in {
        m.channel for m in slack.fake.dm_messages(coordinator) if m.files
    }
    slack.run_sweeps()  # the same morning: not again
    assert len([t for t in slack.dm_texts(coordinator) if "your Monday digest" in t]) == 1
    # a week later, with two more people: the change since last week is shown
    for day in range(7):
        clock.advance(days=1)
        slack.run_sweeps()
        if day == 3:
            join(slack, "U_NEW1", "New One")
            join(slack, "U_NEW2", "New Two")
    digests = [t for t in slack.dm_texts(coordinator) if "your Monday digest" in t]
    assert len(digests) == 2
    latest = slack.fake.last_dm(coordinator)
    blocks = str(
        [
            m.blocks
            for m in slack.fake.dm_messages(coordinator)
            if "your Monday digest" in (m.text or "")
        ][-1]
    )
    assert "Participants: *13* (+2 since last week)" in blocks
    assert latest is not None
    assert len([f for f in slack.fake.files if f.name == "pairs-by-stage.png"]) == 2
    with slack.app.db.transaction() as session:
        assert len(session.scalars(select(ProgramSnapshot)).all()) == 8
    # its buttons work for a coordinator...
    slack.d.click(coordinator, "coordinator.digest.unmatched")
    assert "<@U_ME0>: waiting for mentor suggestions" in last_reply(slack, coordinator)


def test_digest_waits_for_monday_morning_where_the_coordinator_is(
    slack: BotUnderTest, monkeypatch: pytest.MonkeyPatch, clock
) -> None:
    slack.add_person("U_NY", "nia", tz="America/New_York")
    make_coordinator(slack, "U_NY", monkeypatch)
    slack.run_sweeps()  # 04:00 in New York
    assert not any("Monday digest" in t for t in slack.dm_texts("U_NY"))
    clock.advance(hours=5)  # 09:00 in New York
    slack.run_sweeps()
    assert len([t for t in slack.dm_texts("U_NY") if "Monday digest" in t]) == 1
    # the time zone was read from Slack once, not every minute
    assert len(slack.fake.calls_to("users.info")) == 1
