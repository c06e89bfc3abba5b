"""A digest (the one scheduled message of a person's day, holding several items) with meeting
nudges of two pairs and a check-in: answering one nudge, wherever it is answered, takes the
buttons off that pair's part only; the other pair's nudge and the check-in keep theirs."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot.scheduling.deliverer import Pacer
from core.relationships.models import Pause, Relationship
from sandbox.fake_slack import Message
from sandbox.harness import BotUnderTest
from tests.relationship_support import (
    ANA,
    BEN,
    Someone,
    add_to_fake,
    agree,
    at,
    button_value,
    deliveries,
    press_again,
    seed_pair,
)

CLEO = Someone("U_CLEO", "Cleo Park", "Europe/London")


NUDGE_BUTTONS = ("relationship.meeting.met", "relationship.meeting.scheduled")


def digest(slack: BotUnderTest, user: str) -> Message:
    """The person's one digest, as it looks now (edits applied)."""
    sent = {d.slack_ts for d in deliveries(slack.app.db, kind="digest", status="sent")}
    (shown,) = [m for m in slack.fake.dm_messages(user) if m.ts in sent]
    return shown


def block(shown: Message, block_id: str) -> dict[str, Any] | None:
    return next((b for b in shown.blocks if b.get("block_id") == block_id), None)


def live(shown: Message) -> set[str]:
    """The ids of the message's blocks that still hold buttons."""
    return {str(b.get("block_id")) for b in shown.blocks if b.get("type") == "actions"}


def relationship(slack: BotUnderTest, pair_id: int) -> Relationship:
    with slack.app.db.transaction() as session:
        found = session.scalars(select(Relationship).where(Relationship.pair_id == pair_id)).one()
        session.expunge(found)
        return found


@pytest.fixture
def pairs(slack: BotUnderTest) -> tuple[int, int]:
    """Ben mentors Ana and Cleo; both pairs agreed on Monday 2 March 2026 to meet weekly."""
    slack.app.flows.relationship.deliverer.pacer = Pacer(rate=500, burst=100, channel_interval=0)
    add_to_fake(slack, ANA, BEN, CLEO)
    slack.clock.set(at("2026-03-02T09:00:00+00:00"))
    settings = {"checkin_first_days": 7}
    ana = seed_pair(slack.app.db, slack.clock, ANA, BEN, settings=settings)
    cleo = seed_pair(slack.app.db, slack.clock, CLEO, BEN, settings=settings)
    agree(slack.app.db, slack.clock, ana, cadence="weekly")
    agree(slack.app.db, slack.clock, cleo, cadence="weekly")
    slack.run_sweeps()
    return ana, cleo


@pytest.fixture
def monday(slack: BotUnderTest, pairs: tuple[int, int]) -> tuple[int, int]:
    """A week on: Ben's digest holds both nudges and both check-ins; Ana's and Cleo's hold
    their nudge and their check-in."""
    slack.clock.set(at("2026-03-09T14:00:00+00:00"))
    slack.run_sweeps()
    ana, cleo = pairs
    assert live(digest(slack, BEN.user_id)) == {
        f"rel.nudge.{ana}",
        f"rel.nudge.{cleo}",
        f"rel.checkin.{ana}.1",
        f"rel.checkin.{cleo}.1",
    }
    assert live(digest(slack, ANA.user_id)) == {f"rel.nudge.{ana}", f"rel.checkin.{ana}.1"}
    return pairs


def test_an_answer_in_one_digest_settles_only_that_pairs_nudge_in_every_digest(
    slack: BotUnderTest, monday: tuple[int, int]
) -> None:
    ana, cleo = monday
    before = digest(slack, BEN.user_id)
    slack.d.click(
        ANA.user_id, "relationship.meeting.scheduled", in_message=digest(slack, ANA.user_id)
    )
    # Ana's digest (where she clicked): her nudge is a ✓ line, her check-in still open.
    mine = digest(slack, ANA.user_id)
    assert live(mine) == {f"rel.checkin.{ana}.1"}
    assert "✓ Next meeting scheduled" in str(mine.blocks)
    # Ben's digest (a copy she did not click): only the Ana pair's part changed.
    ben = digest(slack, BEN.user_id)
    assert live(ben) == {f"rel.nudge.{cleo}", f"rel.checkin.{ana}.1", f"rel.checkin.{cleo}.1"}
    assert "✓ Next meeting scheduled" in str(ben.blocks)
    for kept in (f"rel.nudge.{cleo}", f"rel.checkin.{ana}.1", f"rel.checkin.{cleo}.1"):
        assert block(ben, kept) == block(before, kept)
    # The Ana pair's question and buttons (two blocks) became the one ✓ line.
    assert len(ben.blocks) == len(before.blocks) - 1
    assert f"have you met <@{ANA.user_id}>" not in str(ben.blocks)
    assert f"have you met <@{CLEO.user_id}>" in str(ben.blocks)
    # Cleo's digest is another pair's: untouched.
    assert live(digest(slack, CLEO.user_id)) == {f"rel.nudge.{cleo}", f"rel.checkin.{cleo}.1"}

    # Ben answers the Cleo pair from elsewhere (a command): that part settles too, in his
    # digest and in Cleo's; the check-ins keep their buttons.
    slack.d.slash(BEN.user_id, "/mentoring", f"met <@{CLEO.user_id}> today")
    ben = digest(slack, BEN.user_id)
    assert live(ben) == {f"rel.checkin.{ana}.1", f"rel.checkin.{cleo}.1"}
    assert "✓ Meeting on 9 March logged" in str(ben.blocks)
    # The part answered before is drawn again with its own ✓ line (the ledger kept it).
    assert "✓ Next meeting scheduled" in str(ben.blocks)
    assert "✓ Nothing more to do here" not in str(ben.blocks)
    assert f"have you met <@{ANA.user_id}>" not in str(ben.blocks)
    assert live(digest(slack, CLEO.user_id)) == {f"rel.checkin.{cleo}.1"}
    # No new message came of it for anyone but the meeting's own news.
    assert len([m for m in slack.fake.dm_messages(ANA.user_id) if m.from_bot]) == 3


def test_the_same_click_twice_and_an_old_button_after_an_answer_change_nothing(
    slack: BotUnderTest, monday: tuple[int, int]
) -> None:
    ana, cleo = monday
    shown = digest(slack, BEN.user_id)
    snooze = button_value(shown, "relationship.meeting.snooze")  # the Ana pair's, first
    scheduled = button_value(shown, "relationship.meeting.scheduled")
    assert f'"p":{ana}' in snooze
    slack.d.click(
        BEN.user_id, "relationship.meeting.snooze", in_message=shown, block_id=f"rel.nudge.{ana}"
    )
    after = relationship(slack, ana)
    assert after.next_meeting_nudge_at == at("2026-03-16T14:00:00+00:00")
    assert live(digest(slack, BEN.user_id)) == {
        f"rel.nudge.{cleo}",
        f"rel.checkin.{ana}.1",
        f"rel.checkin.{cleo}.1",
    }

    # The same click again (a double click, a replay): quiet, nothing moves twice.
    slack.clock.set(at("2026-03-10T14:00:00+00:00"))
    press_again(slack, BEN.user_id, "relationship.meeting.snooze", snooze)
    # Another button of that answered nudge, pressed on a copy not yet redrawn.
    press_again(slack, BEN.user_id, "relationship.meeting.scheduled", scheduled)
    for action in ("relationship.meeting.met", "relationship.meeting.rhythm"):
        press_again(slack, BEN.user_id, action, snooze)
    # A forged value (an epoch that is not a number) is no better.
    press_again(slack, BEN.user_id, "relationship.meeting.snooze", f'{{"e":"1","p":{ana}}}')
    again = relationship(slack, ana)
    assert (again.meeting_epoch, again.next_meeting_nudge_at) == (
        after.meeting_epoch,
        after.next_meeting_nudge_at,
    )
    assert slack.fake.open_views(BEN.user_id) == []  # neither *We met* nor the rhythm opened
    replies = [m.text for m in slack.fake.dm_messages(BEN.user_id)][-5:]
    assert replies == ["That was already taken care of, so nothing changed."] * 5

    # Cleo snoozes her nudge; Ben's copy loses its buttons, and his old buttons of that
    # nudge, pressed anyway (a stale client), neither snooze again nor pause.
    cleo_value = next(
        str(e["value"])
        for b in shown.blocks
        if b.get("block_id") == f"rel.nudge.{cleo}"
        for e in b["elements"]
        if e.get("action_id") == "relationship.meeting.snooze"
    )
    slack.d.click(
        CLEO.user_id, "relationship.meeting.snooze", in_message=digest(slack, CLEO.user_id)
    )
    assert live(digest(slack, BEN.user_id)) == {f"rel.checkin.{ana}.1", f"rel.checkin.{cleo}.1"}
    snoozed = relationship(slack, cleo)
    slack.clock.set(at("2026-03-11T14:00:00+00:00"))
    press_again(slack, BEN.user_id, "relationship.meeting.snooze", cleo_value)
    press_again(slack, BEN.user_id, "relationship.meeting.pause", cleo_value)
    later = relationship(slack, cleo)
    assert (later.meeting_epoch, later.next_meeting_nudge_at) == (
        snoozed.meeting_epoch,
        snoozed.next_meeting_nudge_at,
    )
    with slack.app.db.transaction() as session:
        assert session.scalars(select(Pause)).all() == []
    assert slack.fake.dm_messages(BEN.user_id)[-1].text == (
        "That was already taken care of, so nothing changed."
    )


def answer_checkin_in(slack: BotUnderTest, user: str, shown: Message, pair_id: int) -> None:
    """Open the pair's check-in from `shown` (a digest) and send it."""
    slack.d.click(
        user, "relationship.checkin.open", in_message=shown, block_id=f"rel.checkin.{pair_id}.1"
    )
    (view,) = slack.fake.open_views(user)
    goals = sum(1 for b in view.blocks if str(b.get("block_id", "")).startswith("checkin_goal_"))
    values: dict[str, Any] = {
        f"checkin_goal_{n}": {f"relationship.checkin.goal.{n}": "some_progress"}
        for n in range(1, goals + 1)
    }
    values["checkin_health"] = {"relationship.checkin.health": "working_well"}
    values["checkin_note"] = {"relationship.checkin.note": ""}
    slack.d.submit_view(user, None, values)
    assert slack.d.last_submission_outcome == "closed"


def test_a_digest_drawn_again_keeps_each_answered_items_own_line(
    slack: BotUnderTest, monday: tuple[int, int]
) -> None:
    """Ben answers the Ana pair's check-in in his digest; then Ana and Cleo answer their nudges
    elsewhere. Each redraw of Ben's digest shows every answered item with the line of what
    answered it, and only the item still open keeps its buttons."""
    ana, cleo = monday
    shown = digest(slack, BEN.user_id)
    checkin = next(
        str(e["value"])
        for b in shown.blocks
        if b.get("block_id") == f"rel.checkin.{ana}.1"
        for e in b["elements"]
    )
    answer_checkin_in(slack, BEN.user_id, shown, ana)
    ben = digest(slack, BEN.user_id)
    assert live(ben) == {f"rel.nudge.{ana}", f"rel.nudge.{cleo}", f"rel.checkin.{cleo}.1"}
    assert "✓ Check-in sent. Thanks!" in str(ben.blocks)

    # Ana's answer redraws Ben's digest from the ledger: the check-in keeps its own line.
    slack.d.click(
        ANA.user_id, "relationship.meeting.scheduled", in_message=digest(slack, ANA.user_id)
    )
    ben = digest(slack, BEN.user_id)
    assert live(ben) == {f"rel.nudge.{cleo}", f"rel.checkin.{cleo}.1"}
    # Cleo's answer redraws it again: the two earlier answers keep their lines too.
    slack.d.click(
        CLEO.user_id, "relationship.meeting.snooze", in_message=digest(slack, CLEO.user_id)
    )
    ben = digest(slack, BEN.user_id)
    assert live(ben) == {f"rel.checkin.{cleo}.1"}
    text = str(ben.blocks)
    for line in ("✓ Next meeting scheduled.", "✓ Check-in sent. Thanks!", "✓ Snoozed"):
        assert text.count(line) == 1
    assert "✓ Nothing more to do here" not in text
    assert f"have you met <@{ANA.user_id}>" not in text
    # What was chosen is kept on the ledger's rows as a template key (and a date), no names.
    kept = [d.payload["done"] for d in deliveries(slack.app.db) if "done" in d.payload]
    assert {k["key"] for k in kept} == {
        "relationship.done.checkin",
        "relationship.meeting.done_scheduled",
        "relationship.meeting.done_snoozed",
    }
    assert all(p.name not in str(kept) for p in (ANA, BEN, CLEO))

    # An old button of the redrawn digest, and the same click twice: nothing changes.
    press_again(slack, BEN.user_id, "relationship.checkin.open", checkin)
    assert slack.fake.open_views(BEN.user_id) == []
    assert "already answered" in slack.fake.dm_messages(BEN.user_id)[-1].text
    before = relationship(slack, ana)
    press_again(
        slack, ANA.user_id, "relationship.meeting.scheduled", button_value(shown, NUDGE_BUTTONS[1])
    )
    after = relationship(slack, ana)
    assert (after.meeting_epoch, after.next_meeting_nudge_at) == (
        before.meeting_epoch,
        before.next_meeting_nudge_at,
    )
    assert digest(slack, BEN.user_id).blocks == ben.blocks
