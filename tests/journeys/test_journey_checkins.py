"""Check-ins and endings through Slack: private answers, an optional shared summary,
"not working" -> a coordinator or a no-fault ending -> the mentee offered a rematch; and at the
end of the planned duration, extend or complete."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from bot.scheduling.deliverer import Pacer
from core.coordination.service import add_coordinator
from core.matchmaking.models import Pair
from core.programs.models import Program
from core.relationships.models import CheckIn, HelpRequest, RematchRequest
from sandbox.fake_slack import Message
from sandbox.harness import BotUnderTest
from tests.relationship_support import (
    ANA,
    BEN,
    TEAM,
    add_to_fake,
    agree,
    at,
    button_value,
    press_again,
    seed_pair,
)


def scheduled(slack: BotUnderTest, user: str) -> list[Message]:
    return [m for m in slack.fake.dm_messages(user) if m.from_bot and m.via == "api"]


def sweep_at(slack: BotUnderTest, when: str) -> None:
    slack.clock.set(at(when))
    slack.run_sweeps()


def with_button(messages: list[Message], action_id: str) -> Message:
    return next(m for m in reversed(messages) if action_id in str(m.blocks))


def start(slack: BotUnderTest, *, months: int = 6, settings: dict | None = None) -> int:
    slack.app.flows.relationship.deliverer.pacer = Pacer(rate=500, burst=100, channel_interval=0)
    add_to_fake(slack, ANA, BEN)
    slack.clock.set(at("2026-03-02T09:00:00+00:00"))
    pair_id = seed_pair(slack.app.db, slack.clock, settings=settings)
    agree(slack.app.db, slack.clock, pair_id, months=months)
    slack.run_sweeps()
    return pair_id


def answer_checkin(
    slack: BotUnderTest, user: str, progress: list[str], health: str, note: str, share: bool
) -> None:
    slack.d.click(
        user,
        "relationship.checkin.open",
        in_message=with_button(scheduled(slack, user), "relationship.checkin.open"),
    )
    values = {
        f"checkin_goal_{n}": {f"relationship.checkin.goal.{n}": value}
        for n, value in enumerate(progress, start=1)
    }
    values["checkin_health"] = {"relationship.checkin.health": health}
    values["checkin_note"] = {"relationship.checkin.note": note}
    if share:
        values["checkin_share"] = {"relationship.checkin.share": ["share"]}
    slack.d.submit_view(user, None, values)
    assert slack.d.last_submission_outcome == "closed"


def test_not_working_leads_to_a_no_fault_ending_and_a_rematch_offer(
    slack: BotUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    slack.add_person("U_COORD", "coord", real_name="Cora Ordinator")
    pair_id = start(slack)
    with slack.app.db.transaction() as session:  # the coordinators table says who coordinates
        program = session.get(Program, session.get(Pair, pair_id).program_id)
        add_coordinator(session, program, "U_COORD", by="cli", clock=slack.app.clock)
    rematches: list[tuple[str, str, int]] = []
    slack.app.hooks.on_rematch_requested(
        lambda client, team, user, program: rematches.append((team, user, program))
    )

    # 30 days after the agreement, each person gets their own check-in.
    sweep_at(slack, "2026-04-01T09:00:00+00:00")
    assert "quick check-in" in str(scheduled(slack, ANA.user_id)[-1].blocks)
    answer_checkin(
        slack,
        ANA.user_id,
        ["some_progress", "good_progress"],
        "working_well",
        "I felt shy at first",
        True,
    )
    sweep_at(slack, "2026-04-01T13:00:00+00:00")
    assert "quick check-in" in str(scheduled(slack, BEN.user_id)[-1].blocks)
    answer_checkin(
        slack, BEN.user_id, ["good_progress", "not_started"], "not_working", "We never click", True
    )

    with slack.app.db.transaction() as session:
        answers = {c.person_id: c for c in session.scalars(select(CheckIn)).all()}
        assert sorted(c.health for c in answers.values()) == ["not_working", "working_well"]
    # Both chose to share: each sees goal progress only, never the other's notes or health.
    summary = scheduled(slack, ANA.user_id)[-1]
    assert "you said Some progress, Ben Okafor said Good progress" in str(summary.blocks)
    everything_ana_saw = str([m.blocks for m in slack.fake.dm_messages(ANA.user_id)])
    assert "Not working" not in everything_ana_saw and "never click" not in everything_ana_saw

    # Ben, privately: talk to a coordinator, or end with no fault.
    offer = with_button(scheduled(slack, BEN.user_id), "relationship.end.no_fault")
    assert "nobody's fault" in str(offer.blocks)
    slack.d.click(BEN.user_id, "relationship.help.coordinator", in_message=offer)
    assert "coordinator will reach out" in slack.fake.dm_messages(BEN.user_id)[-1].text
    told = scheduled(slack, "U_COORD")
    assert len(told) == 1
    # Only Ben asked: only Ben is named, and Ana is not told.
    assert f"<@{BEN.user_id}>" in str(told[0].blocks) and "(mentor) asked" in str(told[0].blocks)
    assert f"<@{ANA.user_id}>" not in str(told[0].blocks)
    assert "coordinator" not in str([m.blocks for m in scheduled(slack, ANA.user_id)][-1:])
    assert "never click" not in str(told[0].blocks) and "Not working" not in str(told[0].blocks)
    slack.d.click(BEN.user_id, "relationship.help.coordinator", in_message=offer)
    assert len(scheduled(slack, "U_COORD")) == 1
    with slack.app.db.transaction() as session:
        assert len(session.scalars(select(HelpRequest)).all()) == 1

    slack.d.click(BEN.user_id, "relationship.end.no_fault", in_message=offer)
    with slack.app.db.transaction() as session:
        pair = session.get(Pair, pair_id)
        assert pair is not None and (pair.status, pair.end_reason) == ("ended_early", "no_fault")
        # The mentor's capacity is free again: no active pair holds it.
        assert session.scalars(select(Pair).where(Pair.status == "active")).all() == []
    ana_close, ben_close = scheduled(slack, ANA.user_id)[-1], scheduled(slack, BEN.user_id)[-1]
    for closing in (ana_close, ben_close):
        # The reflection is offered, not asked: nothing to answer, so no dead end.
        assert "has ended" in str(closing.blocks) and "nothing to send me" in str(closing.blocks)
        assert "?" not in str(closing.blocks).split("Before you move on")[1].split("'}")[0]
    assert "relationship.rematch.request" in str(ana_close.blocks)
    assert "relationship.rematch.request" not in str(ben_close.blocks)

    rematch = button_value(ana_close, "relationship.rematch.request")
    slack.d.click(ANA.user_id, "relationship.rematch.request", in_message=ana_close)
    now = slack.fake.message(ana_close.channel, ana_close.ts)
    assert now is not None and "New mentor requested" in str(now.blocks)
    assert "relationship.rematch.request" not in str(now.blocks)
    press_again(slack, ANA.user_id, "relationship.rematch.request", rematch)  # double click
    assert "already asked" in slack.fake.dm_messages(ANA.user_id)[-1].text
    with slack.app.db.transaction() as session:
        request = session.scalars(select(RematchRequest)).one()
        assert request.status == "open"
    assert len(rematches) == 1 and rematches[0][:2] == (TEAM, ANA.user_id)

    # Closed: no more nudges or check-ins for either.
    counts = {u: len(scheduled(slack, u)) for u in (ANA.user_id, BEN.user_id)}
    for when in (
        "2026-04-13T14:00:00+00:00",
        "2026-06-01T14:00:00+00:00",
        "2026-09-02T14:00:00+00:00",
    ):
        sweep_at(slack, when)
    assert {u: len(scheduled(slack, u)) for u in counts} == counts
    # Check-in answers and notes never reach the logs.
    assert "shy at first" not in caplog.text and "never click" not in caplog.text


def test_checkin_answers_are_private_without_sharing(slack: BotUnderTest) -> None:
    start(slack)
    sweep_at(slack, "2026-04-01T13:00:00+00:00")
    prompt = with_button(scheduled(slack, ANA.user_id), "relationship.checkin.open")
    value = button_value(prompt, "relationship.checkin.open")
    answer_checkin(slack, ANA.user_id, ["achieved", "some_progress"], "could_be_better", "", False)
    answer_checkin(slack, BEN.user_id, ["good_progress", "good_progress"], "working_well", "", True)
    assert all("check-in with" not in str(m.blocks) for m in scheduled(slack, BEN.user_id))
    # The prompt she answered shows it instead of its button; pressing it again (a double
    # click) is refused kindly.
    answered = slack.fake.message(prompt.channel, prompt.ts)
    assert answered is not None and "Check-in sent" in str(answered.blocks)
    assert "relationship.checkin.open" not in str(answered.blocks)
    press_again(slack, ANA.user_id, "relationship.checkin.open", value)
    assert slack.fake.open_views(ANA.user_id) == []
    assert "already answered" in slack.fake.dm_messages(ANA.user_id)[-1].text


def test_at_the_end_of_the_planned_duration_extend_then_complete(slack: BotUnderTest) -> None:
    pair_id = start(slack, months=3)
    sweep_at(slack, "2026-06-02T09:00:00+00:00")
    ask = with_button(scheduled(slack, ANA.user_id), "relationship.term.extend")
    assert "Your planned 3 months" in str(ask.blocks) and "2 June 2026" in str(ask.blocks)
    sweep_at(slack, "2026-06-02T13:00:00+00:00")
    ben_ask = with_button(scheduled(slack, BEN.user_id), "relationship.term.extend")
    extend = button_value(ask, "relationship.term.extend")

    slack.d.click(BEN.user_id, "relationship.term.extend", in_message=ben_ask)
    for user in (ANA.user_id, BEN.user_id):
        assert "now runs until 2 September 2026" in str(scheduled(slack, user)[-1].blocks)
    # Ana's copy was in her digest: that part lost its buttons for Ben's answer; the items
    # still open there (her meeting nudge, her check-in) keep theirs.
    (mine,) = [m for m in slack.fake.dm_messages(ANA.user_id) if m.ts == ask.ts]
    assert "relationship.term.extend" not in str(mine.blocks)
    assert "relationship.term.complete" not in str(mine.blocks)
    assert "✓ Mentoring extended." in str(mine.blocks)
    assert "relationship.meeting.scheduled" in str(mine.blocks)
    assert "relationship.checkin.open" in str(mine.blocks)
    press_again(slack, ANA.user_id, "relationship.term.extend", extend)  # too late: once
    assert "already been extended" in slack.fake.dm_messages(ANA.user_id)[-1].text

    sweep_at(slack, "2026-09-02T13:00:00+00:00")
    ask = with_button(scheduled(slack, ANA.user_id), "relationship.term.complete")
    assert "2 September 2026" in str(ask.blocks)
    slack.d.click(ANA.user_id, "relationship.term.complete", in_message=ask)
    with slack.app.db.transaction() as session:
        pair = session.get(Pair, pair_id)
        assert pair is not None and (pair.status, pair.end_reason) == ("completed", "completed")
    for user in (ANA.user_id, BEN.user_id):
        closing = scheduled(slack, user)[-1]
        assert "is complete" in str(closing.blocks)
        assert "one thing you learned" in str(closing.blocks) and "nothing to send me" in str(
            closing.blocks
        )
        assert "relationship.rematch.request" not in str(closing.blocks)
    counts = {u: len(scheduled(slack, u)) for u in (ANA.user_id, BEN.user_id)}
    sweep_at(slack, "2026-09-16T13:00:00+00:00")
    assert {u: len(scheduled(slack, u)) for u in counts} == counts
