"""Answered or superseded matching messages lose their buttons and keep a one-line ✓ of what
happened (issue #16), on every copy: the mentor's request and its reminder (sent by the
delivery ledger), and a shortlist a newer one replaced. A mentor's reminder is never put in a
digest (it is sent on its own, at once), so the digest the mentor got the same day, with a
mentee's meeting nudge and check-in, keeps its buttons when the request is answered.
Signed requests against the fake Slack."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from core.matchmaking.models import MentorRequest, Pair
from sandbox.fake_slack import Message
from sandbox.harness import BotUnderTest
from tests.journeys.test_journey_matching import onboard_mentee, people, shortlist_message
from tests.matching_data import TEAM
from tests.relationship_support import (
    Someone,
    add_to_fake,
    agree,
    at,
    button_value,
    deliveries,
    press_again,
    seed_pair,
)

BEN = Someone("U_BEN", "Ben Okafor", "Europe/London")
DEE = Someone("U_DEE", "Dee Fox", "Europe/London")
REQUEST_BUTTONS = {"matching.request.accept", "matching.request.decline"}


def buttons(message: Message) -> dict[str, str]:
    """The message's buttons (in actions blocks or beside a section): action_id -> value."""
    found: dict[str, str] = {}
    for b in message.blocks or []:
        elements = b.get("elements") if b.get("type") == "actions" else [b.get("accessory")]
        for e in elements or []:
            if isinstance(e, dict) and e.get("action_id"):
                found[str(e["action_id"])] = str(e.get("value") or "")
    return found


def action_ids(message: Message | None) -> set[str]:
    assert message is not None
    return set(buttons(message))


def now_shown(slack: BotUnderTest, message: Message) -> Message:
    shown = slack.fake.message(message.channel, message.ts)
    assert shown is not None
    return shown


def text_of(message: Message) -> str:
    return json.dumps(message.blocks, ensure_ascii=False)


def count(slack: BotUnderTest, model: type) -> int:
    with slack.app.db.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def request_ben(slack: BotUnderTest, user: str) -> None:
    """Press *Request this mentor* under Ben in the mentee's newest shortlist."""
    listed = shortlist_message(slack, user)
    blocks = listed.blocks or []
    for index, b in enumerate(blocks):
        if "Ben Okafor" in json.dumps(b) and str(b.get("block_id", "")).startswith("matching."):
            after = [x for x in blocks[index:] if x.get("type") == "actions"]
            ids = [str(e["action_id"]) for x in after[:1] for e in x["elements"]]
            ids += [str((b.get("accessory") or {}).get("action_id") or "")]
            action = next(a for a in ids if a.startswith("matching.shortlist.request."))
            slack.d.click(user, action, in_message=listed)
            return
    raise AssertionError("Ben is not on the list: " + text_of(listed))


@pytest.fixture
def reminded(slack: BotUnderTest) -> tuple[Message, Message, Message]:
    """Ben mentors Dee (weekly, agreed Monday 2 March) and has Ana's request (Thursday 5
    March); on Monday 9 March he gets his digest (Dee's nudge and check-in) and, on its own,
    the request's reminder. Returns (request, reminder, digest)."""
    people(slack)
    add_to_fake(slack, DEE)
    slack.app.flows.relationship.deliverer.pacer.channel_interval = 0
    slack.clock.set(at("2026-03-02T09:00:00+00:00"))
    pair = seed_pair(slack.app.db, slack.clock, DEE, BEN, settings={"checkin_first_days": 7})
    agree(slack.app.db, slack.clock, pair, cadence="weekly")
    slack.run_sweeps()
    slack.clock.set(at("2026-03-05T14:00:00+00:00"))
    onboard_mentee(slack, "U_ANA", ["public-speaking"])
    request_ben(slack, "U_ANA")
    request = slack.fake.last_dm(BEN.user_id)
    assert request is not None and action_ids(request) >= REQUEST_BUTTONS

    slack.clock.set(at("2026-03-09T14:00:00+00:00"))
    slack.run_sweeps()
    (reminder,) = [
        m
        for m in slack.fake.dm_messages(BEN.user_id)
        if m.from_bot and "gentle reminder" in text_of(m)
    ]
    assert action_ids(reminder) >= REQUEST_BUTTONS
    sent = {d.slack_ts for d in deliveries(slack.app.db, kind="digest", status="sent")}
    (digest,) = [m for m in slack.fake.dm_messages(BEN.user_id) if m.ts in sent]
    assert {"relationship.meeting.met", "relationship.checkin.open"} <= action_ids(digest)
    # The reminder is a message of its own, never a part of the digest.
    assert reminder.ts != digest.ts and "gentle reminder" not in text_of(digest)
    return request, reminder, digest


def test_accepting_on_the_request_settles_its_reminder_and_leaves_the_digest_open(
    slack: BotUnderTest, reminded: tuple[Message, Message, Message]
) -> None:
    request, reminder, digest = reminded
    accept = button_value(reminder, "matching.request.accept")
    slack.d.click(BEN.user_id, "matching.request.accept", in_message=request)
    for copy in (request, reminder):
        shown = now_shown(slack, copy)
        assert action_ids(shown) == set()
        assert "✓ You said yes to mentoring *Ana Lima*" in text_of(shown)
    # The digest's items are another matter: drawn as they were, buttons and all.
    assert now_shown(slack, digest).blocks == digest.blocks
    # The reminder's old Accept (a client not redrawn yet) changes nothing.
    press_again(slack, BEN.user_id, "matching.request.accept", accept)
    assert count(slack, Pair) == 2  # Dee's and Ana's
    assert sum("Good news" in t for t in slack.dm_texts("U_ANA")) == 1
    assert now_shown(slack, digest).blocks == digest.blocks


def test_declining_from_the_reminder_settles_the_request_too(
    slack: BotUnderTest, reminded: tuple[Message, Message, Message]
) -> None:
    request, reminder, digest = reminded
    slack.d.click(BEN.user_id, "matching.request.decline", in_message=reminder)
    slack.d.submit_view(BEN.user_id, slack.fake.open_views(BEN.user_id)[-1], {})
    for copy in (request, reminder):
        shown = now_shown(slack, copy)
        assert action_ids(shown) == set()
        assert "✓ You let *Ana Lima* know you're not available" in text_of(shown)
    assert now_shown(slack, digest).blocks == digest.blocks


def test_an_expiry_settles_the_request_and_its_reminder(
    slack: BotUnderTest, reminded: tuple[Message, Message, Message]
) -> None:
    request, reminder, digest = reminded
    slack.clock.set(at("2026-03-11T15:00:00+00:00"))  # four working days after Thursday
    slack.run_sweeps()
    with slack.app.db.transaction() as session:
        assert session.scalars(select(MentorRequest.status)).one() == "expired"
    for copy in (request, reminder):
        shown = now_shown(slack, copy)
        assert action_ids(shown) == set()
        assert "✓ This request from *Ana Lima* has expired" in text_of(shown)
    assert REQUEST_BUTTONS.isdisjoint(action_ids(now_shown(slack, digest)))


def test_a_replaced_shortlist_keeps_its_line_and_its_old_buttons_send_nothing(
    slack: BotUnderTest,
) -> None:
    people(slack)
    onboard_mentee(slack, "U_ANA", ["public-speaking"])
    old = shortlist_message(slack, "U_ANA")
    ask = buttons(old)["matching.shortlist.request.0"]
    none_suit = buttons(old)["matching.shortlist.none_suit"]
    # Her profile confirmed again (goals edited): a new list replaces the old one.
    slack.app.hooks.profile_confirmed(slack.app.client, TEAM, "U_ANA")
    slack.app.wait_idle()
    new = shortlist_message(slack, "U_ANA")
    assert new.ts != old.ts
    replaced = now_shown(slack, old)
    assert action_ids(replaced) == set()
    assert text_of(replaced).count("✓") == 1 and "replaced by a newer one" in text_of(replaced)
    # The old list's button, pressed anyway (a client not redrawn yet): nothing is sent.
    mentors_before = {u: len(slack.fake.dm_messages(u)) for u in ("U_CY", "U_BEN")}
    press_again(slack, "U_ANA", "matching.shortlist.request.0", ask)
    press_again(slack, "U_ANA", "matching.shortlist.none_suit", none_suit)
    assert count(slack, MentorRequest) == 0
    assert {u: len(slack.fake.dm_messages(u)) for u in mentors_before} == mentors_before
    assert slack.fake.open_views("U_ANA") == []
    # The new list is untouched and still open; asking from it works.
    assert now_shown(slack, new).blocks == new.blocks
    slack.d.click("U_ANA", "matching.shortlist.request.0", in_message=new)
    assert count(slack, MentorRequest) == 1
    assert "✓ You've asked" in text_of(now_shown(slack, new))
    assert action_ids(now_shown(slack, new)) == set()


def test_a_request_withdrawn_when_the_mentee_leaves_settles_the_mentors_copies(
    slack: BotUnderTest, reminded: tuple[Message, Message, Message]
) -> None:
    request, reminder, digest = reminded
    slack.d.slash("U_ANA", "/mentoring", "leave")
    slack.d.click("U_ANA", "everyone.leave.confirm")
    with slack.app.db.transaction() as session:
        assert session.scalars(select(MentorRequest.status)).one() == "cancelled"
    for copy in (request, reminder):
        shown = now_shown(slack, copy)
        assert action_ids(shown) == set(), text_of(shown)
        assert "✓" in text_of(shown) and "no longer open" in text_of(shown)
    assert now_shown(slack, digest).blocks == digest.blocks
    # The mentor is told once, in one new message.
    assert sum("has been withdrawn" in t for t in slack.dm_texts("U_BEN")) == 1
