"""Meeting nudges that nobody answers: they change tone, offer a new rhythm, a break or a
coordinator, stop after three and put the pair on the coordinators' at-risk list; "We met"
asks the day; an answer takes the buttons off every earlier nudge."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.scheduling.deliverer import Pacer
from core.relationships.models import Agreement, HelpRequest, Meeting, Relationship
from sandbox.fake_slack import Message
from sandbox.harness import BotUnderTest
from tests.admin_support import last_reply, make_coordinator
from tests.relationship_support import ANA, BEN, add_to_fake, agree, at, deliveries, seed_pair

NUDGE_BUTTONS = ("relationship.meeting.met", "relationship.meeting.scheduled")
MONDAYS = ("2026-03-09", "2026-03-16", "2026-03-23", "2026-03-30", "2026-04-06")


def scheduled(slack: BotUnderTest, user: str) -> list[Message]:
    return [m for m in slack.fake.dm_messages(user) if m.from_bot and m.via == "api"]


def nudges(slack: BotUnderTest, user: str) -> list[Message]:
    """The person's meeting nudges as they look now (edits applied), oldest first."""
    sent = {d.slack_ts for d in deliveries(slack.app.db, kind="meeting_nudge", status="sent")}
    return [m for m in slack.fake.dm_messages(user) if m.ts in sent]


def monday(slack: BotUnderTest, n: int) -> None:
    """The n-th Monday after the agreement, 14:00 UTC: working hours in Lisbon and New York."""
    slack.clock.set(at(f"{MONDAYS[n]}T14:00:00+00:00"))
    slack.run_sweeps()


@pytest.fixture
def pair(slack: BotUnderTest) -> int:
    """Ana (Lisbon) and Ben (New York) agreed on Monday 2 March 2026 to meet weekly."""
    slack.app.flows.relationship.deliverer.pacer = Pacer(rate=500, burst=100, channel_interval=0)
    add_to_fake(slack, ANA, BEN)
    slack.clock.set(at("2026-03-02T09:00:00+00:00"))
    pair_id = seed_pair(slack.app.db, slack.clock, settings={"checkin_first_days": 120})
    agree(slack.app.db, slack.clock, pair_id, cadence="weekly")
    slack.run_sweeps()
    return pair_id


def test_three_unanswered_nudges_differ_escalate_then_stop_and_the_pair_is_at_risk(
    slack: BotUnderTest, pair: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_coordinator(slack, "U_CO", monkeypatch)
    for n in range(3):
        monday(slack, n)
    seen = nudges(slack, ANA.user_id)
    assert len(seen) == 3 and len(nudges(slack, BEN.user_id)) == 3
    assert len({m.text for m in seen}) == 3  # never the same words twice
    first, second, third = (str(m.blocks) for m in seen)
    assert "relationship.meeting.snooze" in first and "relationship.meeting.rhythm" not in first
    assert "relationship.meeting.rhythm" in second
    for action in ("rhythm", "pause", "help"):
        assert f"relationship.meeting.{action}" in third
    assert "last reminder" in third

    slack.d.slash("U_CO", "/mentoring", "at-risk")
    listed = last_reply(slack, "U_CO")
    assert f"<@{ANA.user_id}> and <@{BEN.user_id}>: no answer to three reminders" in listed

    # Weeks go by: no fourth nudge for either of them.
    for n in (3, 4):
        monday(slack, n)
    assert len(nudges(slack, ANA.user_id)) == 3 and len(nudges(slack, BEN.user_id)) == 3

    # An answer (a meeting logged) starts over: off the list, and nudged again later.
    slack.clock.set(at("2026-04-06T15:00:00+00:00"))
    slack.d.slash(BEN.user_id, "/mentoring", "met today")
    slack.d.slash("U_CO", "/mentoring", "at-risk")
    assert "no answer to three reminders" not in last_reply(slack, "U_CO")
    slack.clock.set(at("2026-04-13T14:00:00+00:00"))
    slack.run_sweeps()
    latest = nudges(slack, ANA.user_id)
    assert len(latest) == 4 and "It's been a week" in latest[-1].text


def test_we_met_asks_the_day_and_logs_that_day(slack: BotUnderTest, pair: int) -> None:
    monday(slack, 0)
    nudge = nudges(slack, ANA.user_id)[-1]
    slack.d.click(ANA.user_id, "relationship.meeting.met", in_message=nudge)
    picker = slack.fake.open_views(ANA.user_id)[-1]
    assert "2026-03-09" in str(picker.blocks)  # today, unless she changes it
    with slack.app.db.transaction() as session:
        assert session.scalars(select(Meeting)).all() == []
    # A day in the future is refused in the form; last Friday is logged.
    slack.d.submit_view(
        ANA.user_id, None, {"met_date": {"relationship.meeting.met.date": "2026-03-12"}}
    )
    assert slack.d.last_submission_outcome == "errors"
    slack.d.submit_view(
        ANA.user_id, None, {"met_date": {"relationship.meeting.met.date": "2026-03-06"}}
    )
    assert slack.d.last_submission_outcome == "closed"
    with slack.app.db.transaction() as session:
        assert [str(m.met_on) for m in session.scalars(select(Meeting))] == ["2026-03-06"]
    assert "logged your meeting on 6 March" in str(scheduled(slack, BEN.user_id)[-1].blocks)
    answered = nudges(slack, ANA.user_id)[-1]
    assert not any(b in str(answered.blocks) for b in NUDGE_BUTTONS)
    assert "Meeting on 6 March logged" in str(answered.blocks)


def test_an_answer_takes_the_buttons_off_every_earlier_nudge_of_both_people(
    slack: BotUnderTest, pair: int
) -> None:
    monday(slack, 0)
    monday(slack, 1)
    assert len(nudges(slack, ANA.user_id)) == 2 and len(nudges(slack, BEN.user_id)) == 2
    latest = nudges(slack, BEN.user_id)[-1]
    slack.d.click(BEN.user_id, "relationship.meeting.scheduled", in_message=latest)
    for user in (ANA.user_id, BEN.user_id):
        for shown in nudges(slack, user):
            assert not any(b in str(shown.blocks) for b in NUDGE_BUTTONS)
            assert "✓ Next meeting scheduled" in str(shown.blocks)
    # A later answer settles only the nudges it answers: these keep their line.
    slack.clock.set(at("2026-03-20T14:00:00+00:00"))
    slack.d.slash(ANA.user_id, "/mentoring", "met today")
    monday(slack, 3)
    for user in (ANA.user_id, BEN.user_id):
        shown = nudges(slack, user)
        assert len(shown) == 3 and "It's been a week" in shown[-1].text
        assert all("✓ Next meeting scheduled" in str(m.blocks) for m in shown[:2])
        assert "relationship.meeting.met" in str(shown[-1].blocks)


def test_change_our_rhythm_updates_the_agreement_and_tells_the_partner(
    slack: BotUnderTest, pair: int
) -> None:
    monday(slack, 0)
    monday(slack, 1)
    second = nudges(slack, ANA.user_id)[-1]
    slack.d.click(ANA.user_id, "relationship.meeting.rhythm", in_message=second)
    slack.d.submit_view(
        ANA.user_id, None, {"rhythm": {"relationship.meeting.rhythm.cadence": "monthly"}}
    )
    assert slack.d.last_submission_outcome == "closed"
    with slack.app.db.transaction() as session:
        agreement = session.scalars(select(Agreement)).one()
        relationship = session.scalars(select(Relationship)).one()
        assert agreement.cadence == "monthly" and relationship.cadence_days == 30
        assert relationship.next_meeting_nudge_at == at("2026-04-15T14:00:00+00:00")
    assert "monthly from now on" in slack.fake.dm_messages(ANA.user_id)[-1].text
    assert "changed how often you meet" in slack.fake.dm_messages(BEN.user_id)[-1].text
    assert "✓ Rhythm changed: monthly" in str(nudges(slack, BEN.user_id)[0].blocks)
    # No nudge until the new rhythm comes round.
    monday(slack, 2)
    monday(slack, 3)
    assert len(nudges(slack, ANA.user_id)) == 2


def test_talk_to_a_coordinator_on_a_nudge_names_only_the_asker_and_pause_stops_nudges(
    slack: BotUnderTest, pair: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_coordinator(slack, "U_CO", monkeypatch)
    for n in range(3):
        monday(slack, n)
    third = nudges(slack, ANA.user_id)[-1]
    slack.d.click(ANA.user_id, "relationship.meeting.help", in_message=third)
    told = scheduled(slack, "U_CO")[-1]
    assert f"<@{ANA.user_id}> (mentee) asked" in str(told.blocks)
    assert f"<@{BEN.user_id}>" not in str(told.blocks)
    with slack.app.db.transaction() as session:
        assert [r.source for r in session.scalars(select(HelpRequest))] == ["nudge"]
    assert "asked to talk to a coordinator" in str(nudges(slack, ANA.user_id)[-1].blocks)
    everything_ben_saw = str([m.blocks for m in slack.fake.dm_messages(BEN.user_id)])
    assert "asked to talk" not in everything_ben_saw

    # Ben takes a break from his third nudge: four weeks, then the nudges start over.
    slack.d.click(
        BEN.user_id, "relationship.meeting.pause", in_message=nudges(slack, BEN.user_id)[-1]
    )
    assert "paused until 20 April" in slack.fake.dm_messages(BEN.user_id)[-1].text
    assert "taking a break" in str(scheduled(slack, ANA.user_id)[-1].blocks)
    assert "Reminders paused" in str(nudges(slack, BEN.user_id)[-1].blocks)
    slack.clock.set(at("2026-04-20T15:00:00+00:00"))
    slack.run_sweeps()
    latest = nudges(slack, ANA.user_id)
    assert len(latest) == 4 and "It's been a week" in latest[-1].text
