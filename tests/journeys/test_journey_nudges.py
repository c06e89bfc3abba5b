"""Meeting nudges and check-ins on the agreed cadence, through the scheduler's sweep and the
fake Slack: right local times, one scheduled message per person per day, snoozes, pauses,
catch-up after downtime, weekends, and a log of "We met" from the nudge."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.scheduling.deliverer import Pacer
from core.relationships.models import Meeting, Relationship
from sandbox.fake_slack import Message
from sandbox.harness import BotUnderTest
from tests.relationship_support import ANA, BEN, add_to_fake, agree, at, deliveries, seed_pair


def scheduled(slack: BotUnderTest, user: str) -> list[Message]:
    """Messages the bot posted on its own (not replies to a click) in the person's DM."""
    return [m for m in slack.fake.dm_messages(user) if m.from_bot and m.via == "api"]


def with_button(messages: list[Message], action_id: str) -> Message:
    return next(m for m in reversed(messages) if action_id in str(m.blocks))


def sweep_at(slack: BotUnderTest, when: str) -> None:
    slack.clock.set(at(when))
    slack.run_sweeps()


@pytest.fixture
def pair(slack: BotUnderTest) -> int:
    """Ana (Lisbon) and Ben (New York) agreed on Monday 2 March 2026, 09:00 UTC: meet every
    two weeks, first check-in after 14 days (so both fall due together)."""
    slack.app.flows.relationship.deliverer.pacer = Pacer(rate=500, burst=100, channel_interval=0)
    add_to_fake(slack, ANA, BEN)
    slack.clock.set(at("2026-03-02T09:00:00+00:00"))
    pair_id = seed_pair(slack.app.db, slack.clock, settings={"checkin_first_days": 14})
    agree(slack.app.db, slack.clock, pair_id, cadence="biweekly")
    slack.run_sweeps()  # sends "your agreement is confirmed" to both
    return pair_id


def test_nudges_arrive_in_each_persons_working_hours_batched_once_a_day(
    slack: BotUnderTest, pair: int
) -> None:
    ana_before, ben_before = len(scheduled(slack, ANA.user_id)), len(scheduled(slack, BEN.user_id))
    sweep_at(slack, "2026-03-16T08:59:00+00:00")
    assert len(scheduled(slack, ANA.user_id)) == ana_before

    # 09:00 in Lisbon: Ana gets ONE message with both the meeting nudge and the check-in.
    sweep_at(slack, "2026-03-16T09:00:00+00:00")
    ana = scheduled(slack, ANA.user_id)[ana_before:]
    assert len(ana) == 1
    assert "It's been two weeks: have you met" in str(ana[0].blocks)
    assert "since 2 March" in str(ana[0].blocks)
    assert "quick check-in" in str(ana[0].blocks)
    # 05:00 in New York: Ben waits.
    assert len(scheduled(slack, BEN.user_id)) == ben_before

    # Sweeping again changes nothing; at 09:00 New York time (13:00 UTC) Ben gets his.
    sweep_at(slack, "2026-03-16T12:59:00+00:00")
    assert len(scheduled(slack, BEN.user_id)) == ben_before
    sweep_at(slack, "2026-03-16T13:00:00+00:00")
    ben = scheduled(slack, BEN.user_id)[ben_before:]
    assert len(ben) == 1 and "have you met" in str(ben[0].blocks)
    assert len(scheduled(slack, ANA.user_id)) == ana_before + 1

    # Ben pauses and comes back the same afternoon: Ana is told he paused right away (a
    # reply to his action), but "he's back" is a scheduled message and she has had hers
    # today: it waits for tomorrow morning.
    slack.clock.set(at("2026-03-16T13:30:00+00:00"))
    slack.d.slash(BEN.user_id, "/mentoring", "pause")
    assert "taking a break" in scheduled(slack, ANA.user_id)[-1].text
    slack.clock.set(at("2026-03-16T14:00:00+00:00"))
    slack.d.slash(BEN.user_id, "/mentoring", "resume")
    count = len(scheduled(slack, ANA.user_id))
    sweep_at(slack, "2026-03-16T16:00:00+00:00")
    assert len(scheduled(slack, ANA.user_id)) == count
    sweep_at(slack, "2026-03-17T09:00:00+00:00")
    back = scheduled(slack, ANA.user_id)[count:]
    assert len(back) == 1 and "is back from a break" in str(back[0].blocks)
    # ...and it is said once.
    sweep_at(slack, "2026-03-18T09:00:00+00:00")
    assert len(scheduled(slack, ANA.user_id)) == count + 1


def test_snooze_puts_the_next_nudge_a_week_off_and_drops_the_partners_pending_one(
    slack: BotUnderTest, pair: int
) -> None:
    sweep_at(slack, "2026-03-16T09:00:00+00:00")
    nudge = scheduled(slack, ANA.user_id)[-1]
    ben_before = len(scheduled(slack, BEN.user_id))
    slack.clock.set(at("2026-03-16T09:10:00+00:00"))
    slack.d.click(ANA.user_id, "relationship.meeting.snooze", in_message=nudge)
    assert "ask again in a week" in slack.fake.dm_messages(ANA.user_id)[-1].text
    # Ben's nudge (waiting for his working hours) is no longer relevant: his only item
    # today is the check-in.
    sweep_at(slack, "2026-03-16T13:00:00+00:00")
    ben = scheduled(slack, BEN.user_id)[ben_before:]
    assert len(ben) == 1
    assert "have you met" not in str(ben[0].blocks) and "check-in" in str(ben[0].blocks)
    # A week later both are asked again (not two weeks later).
    ana_before = len(scheduled(slack, ANA.user_id))
    sweep_at(slack, "2026-03-23T09:09:00+00:00")
    assert len(scheduled(slack, ANA.user_id)) == ana_before
    sweep_at(slack, "2026-03-23T09:10:00+00:00")
    assert "have you met" in str(scheduled(slack, ANA.user_id)[-1].blocks)


def test_we_met_from_the_nudge_is_confirmed_to_both_once_and_resets_the_cadence(
    slack: BotUnderTest, pair: int
) -> None:
    sweep_at(slack, "2026-03-16T09:00:00+00:00")
    nudge = scheduled(slack, ANA.user_id)[-1]
    slack.clock.set(at("2026-03-16T10:00:00+00:00"))
    before = {u: len(scheduled(slack, u)) for u in (ANA.user_id, BEN.user_id)}
    # "We met" asks which day first (today unless changed): nothing is logged yet.
    slack.d.click(ANA.user_id, "relationship.meeting.met", in_message=nudge)
    assert {u: len(scheduled(slack, u)) for u in before} == before
    slack.d.submit_view(ANA.user_id, None, {})
    assert slack.d.last_submission_outcome == "closed"
    # The nudge's buttons are gone; logging the same day again is "already logged".
    slack.d.slash(ANA.user_id, "/mentoring", "met today")
    assert "already logged" in slack.fake.dm_messages(ANA.user_id)[-1].text
    for user in (ANA.user_id, BEN.user_id):
        new = [m for m in scheduled(slack, user)[before[user] :] if "already" not in m.text]
        assert len(new) == 1 and "16 March" in new[0].text
    # The nudge Ana answered lost its buttons (the check-in beside it kept its own).
    answered = slack.fake.message(nudge.channel, nudge.ts)
    assert answered is not None
    assert "relationship.meeting.met" not in str(answered.blocks)
    assert "Meeting on 16 March logged" in str(answered.blocks)
    assert "relationship.checkin.open" in str(answered.blocks)
    # A private note, only for Ana.
    logged = with_button(scheduled(slack, ANA.user_id), "relationship.meeting.note")
    slack.d.click(ANA.user_id, "relationship.meeting.note", in_message=logged)
    slack.d.submit_view(
        ANA.user_id,
        None,
        {"note_text": {"relationship.meeting.note.text": "Ask about the offsite"}},
    )
    assert slack.d.last_submission_outcome == "closed"
    with slack.app.db.transaction() as session:
        meeting = session.scalars(select(Meeting)).one()
        relationship = session.scalars(select(Relationship)).one()
        assert str(meeting.met_on) == "2026-03-16"
        assert relationship.next_meeting_nudge_at == at("2026-03-30T00:00:00+00:00")
    # Ben's nudge was planned before the meeting was logged: dropped, not sent.
    sweep_at(slack, "2026-03-16T13:00:00+00:00")
    assert all(
        "have you met" not in str(m.blocks)
        for m in scheduled(slack, BEN.user_id)[before[BEN.user_id] :]
    )
    assert "Ask about the offsite" not in str(slack.fake.calls)


def test_paused_person_and_their_partner_are_not_nudged_until_the_pause_ends(
    slack: BotUnderTest, pair: int
) -> None:
    slack.clock.set(at("2026-03-13T15:00:00+00:00"))
    slack.d.slash(BEN.user_id, "/mentoring", "pause 1w")
    assert "paused until 20 March" in slack.fake.dm_messages(BEN.user_id)[-1].text
    counts = {u: len(scheduled(slack, u)) for u in (ANA.user_id, BEN.user_id)}
    for day in ("16", "17", "18", "19", "20"):
        sweep_at(slack, f"2026-03-{day}T14:00:00+00:00")
        assert {u: len(scheduled(slack, u)) for u in counts} == counts
    # The pause ends by itself at 15:00 UTC on the 20th (a Friday): both are told once,
    # together with what became due meanwhile, each in one message.
    sweep_at(slack, "2026-03-20T15:00:00+00:00")
    ana = scheduled(slack, ANA.user_id)[counts[ANA.user_id] :]
    ben = scheduled(slack, BEN.user_id)[counts[BEN.user_id] :]
    assert len(ana) == 1 and len(ben) == 1
    assert "is back from a break" in str(ana[0].blocks) and "have you met" in str(ana[0].blocks)
    assert "Your break is over" in str(ben[0].blocks) and "have you met" in str(ben[0].blocks)
    sweep_at(slack, "2026-03-23T14:00:00+00:00")
    assert all(
        "break" not in str(m.blocks)
        for m in scheduled(slack, ANA.user_id)[counts[ANA.user_id] + 1 :]
    )


def test_after_downtime_one_nudge_is_sent_not_one_per_missed_period(
    slack: BotUnderTest, pair: int
) -> None:
    before = len(scheduled(slack, ANA.user_id))
    # Down from 2 March to 15 April (three missed nudges, a missed check-in): one message.
    sweep_at(slack, "2026-04-15T10:00:00+00:00")
    new = scheduled(slack, ANA.user_id)[before:]
    assert len(new) == 1
    assert str(new[0].blocks).count("have you met") == 1
    assert str(new[0].blocks).count("quick check-in") == 1
    with slack.app.db.transaction() as session:
        relationship = session.scalars(select(Relationship)).one()
        assert relationship.next_meeting_nudge_at == at("2026-04-29T10:00:00+00:00")
        assert relationship.checkin_seq == 1
    sweep_at(slack, "2026-04-16T10:00:00+00:00")
    assert len(scheduled(slack, ANA.user_id)) == before + 1
    assert len(deliveries(slack.app.db, kind="meeting_nudge")) == 2  # Ana and Ben, once each


def test_a_nudge_due_on_saturday_arrives_on_monday_morning(slack: BotUnderTest, pair: int) -> None:
    slack.clock.set(at("2026-03-21T10:00:00+00:00"))  # a Saturday
    with slack.app.db.transaction() as session:
        relationship = session.scalars(select(Relationship)).one()
        relationship.next_meeting_nudge_at = slack.clock.now() - timedelta(minutes=1)
        relationship.next_checkin_at = None
    before = len(scheduled(slack, ANA.user_id))
    slack.run_sweeps()
    sweep_at(slack, "2026-03-22T12:00:00+00:00")
    sweep_at(slack, "2026-03-23T08:59:00+00:00")
    assert len(scheduled(slack, ANA.user_id)) == before
    sweep_at(slack, "2026-03-23T09:00:00+00:00")
    assert len(scheduled(slack, ANA.user_id)) == before + 1
