"""One sender: what the bot sends on its own goes through the delivery ledger (lease, exactly
once), and the Slack client never sends a non-idempotent call twice.

- a mentor's request reminder is a ledger row: two sweepers racing send it once;
- a slow Slack (the client times out waiting for chat.postMessage's answer) gives the person
  the message once, not a second time after the retry;
- a 429 on a button's reply is waited out (Retry-After) and the reply arrives;
- an announcement whose sender died mid-send is sent again once its lease has run out, and
  nobody gets it twice;
- the weekly coordinator digest has a lease (a crash does not leave it stuck) and goes out
  once per coordinator and week even with two sweepers;
- an invitee who joins before their invitation's turn gets none;
- a coordinator's matching run queues one ledger row per mentee with the lists it stores:
  each is sent once (a replayed confirmation or later sweeps add nothing), a run whose
  sending never happened (the process died after confirming) is sent by the sweep, once,
  and a list superseded before its turn is not sent.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import MentorApp, create_app
from bot.flows.matching import matching_sweep
from bot.platform.slack_retry import SafeRetryHandler
from bot.scheduling.scheduler import run_sweeps
from core.coordination import pacing
from core.coordination.console import ref
from core.kernel.clock import FakeClock
from core.matchmaking import use_cases as matching
from core.matchmaking.models import Shortlist
from core.matchmaking.service import REMINDER_KIND, SHORTLIST_KIND, SHORTLIST_NONE_KIND
from core.messaging.ledger import Ledger
from core.messaging.models import ANNOUNCEMENT, COORDINATOR_DIGEST, INVITATION, Delivery
from core.messaging.outbox import delivery_counts
from core.people.models import Participation, Person
from core.programs.models import Program
from sandbox.harness import BotUnderTest
from tests.admin_support import join, make_coordinator
from tests.journeys.test_journey_coordinator_match_run import (
    ANA,
    DEE,
    EVA,
    MENTORS,
    SEND,
    add,
    bot_dms,
    capture,
    has_shortlist,
)
from tests.journeys.test_journey_matching import onboard_mentee, people


def reminders_to(slack: BotUnderTest, user: str) -> list[str]:
    return [
        json.dumps(m.blocks)
        for m in slack.fake.dm_messages(user)
        if m.from_bot and "gentle reminder" in json.dumps(m.blocks)
    ]


def reminder_rows(slack: BotUnderTest) -> list[tuple[str, str | None]]:
    with slack.app.db.transaction() as session:
        return [
            (d.status, d.last_error)
            for d in session.scalars(select(Delivery).where(Delivery.kind == REMINDER_KIND))
        ]


def a_request_due_a_reminder(slack: BotUnderTest, clock: FakeClock) -> None:
    """Ana asks Cy on Monday 09:00 UTC; two working days later Cy is due one reminder."""
    people(slack)
    onboard_mentee(slack, "U_ANA", ["public-speaking", "stakeholder-management"])
    slack.d.click("U_ANA", "matching.shortlist.request.0")
    assert reminders_to(slack, "U_CY") == []
    clock.advance(days=2, minutes=1)


def sweep_together(sweep: Callable[[Any], object], *apps: Any) -> None:
    """Run `sweep` in each app (each a process of its own, on the same data) at the same
    moment, from threads released together; any error fails the test."""
    barrier = threading.Barrier(len(apps))
    errors: list[BaseException] = []

    def run(app: Any) -> None:
        try:
            barrier.wait(timeout=10)
            sweep(app)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(app,)) for app in apps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []


def test_a_request_reminder_goes_out_exactly_once_when_two_sweepers_race(
    slack: BotUnderTest, clock: FakeClock
) -> None:
    a_request_due_a_reminder(slack, clock)
    replica = create_app(slack.app.settings, clock=clock)  # a second process on the same data
    try:
        sweep_together(matching_sweep, slack.app, replica)
        # and later sweeps of both find nothing more to send
        clock.advance(minutes=5)
        matching_sweep(replica)
        slack.run_sweeps()
    finally:
        replica.close()
    assert len(reminders_to(slack, "U_CY")) == 1
    assert reminder_rows(slack) == [("sent", None)]


def test_a_slow_slack_gives_the_mentor_the_reminder_once_not_twice(
    slack: BotUnderTest, clock: FakeClock
) -> None:
    a_request_due_a_reminder(slack, clock)
    fake = slack.fake
    answer = fake.handle_api
    slow: list[str] = []

    def slow_post(method: str, **kwargs: Any) -> Any:
        result = answer(method, **kwargs)
        if method == "chat.postMessage" and b"gentle reminder" in kwargs.get("body", b""):
            slow.append(method)
            time.sleep(1.5)  # Slack posted, but answers after the client gave up waiting
        return result

    fake.handle_api = slow_post  # type: ignore[method-assign]
    client = slack.app.client
    client.timeout = 0.5
    try:
        slack.run_sweeps()
    finally:
        client.timeout = 30
        fake.handle_api = answer  # type: ignore[method-assign]
    assert slow == ["chat.postMessage"]  # the client did not post again by itself
    # Long after any retry backoff, the sweeps do not post it again either.
    for _ in range(3):
        clock.advance(hours=1)
        slack.run_sweeps()
    assert len(reminders_to(slack, "U_CY")) == 1
    assert [status for status, _ in reminder_rows(slack)] == ["sent"]
    assert (reminder_rows(slack)[0][1] or "").startswith("unconfirmed:")


def test_a_rate_limited_button_reply_is_retried_after_retry_after_and_arrives(
    slack: BotUnderTest,
) -> None:
    people(slack)
    onboard_mentee(slack, "U_ANA", ["public-speaking", "stakeholder-management"])
    handler = next(h for h in slack.app.client.retry_handlers if isinstance(h, SafeRetryHandler))
    waits: list[float] = []
    handler.sleep = waits.append  # the per-request clients share the app client's handler
    earlier = len(slack.fake.calls_to("chat.update"))
    slack.fake.rate_limit_next("chat.update", retry_after=2)
    slack.d.click("U_ANA", "matching.shortlist.request.0")  # the shortlist is updated
    slack.app.wait_idle()
    updates = slack.fake.calls_to("chat.update")[earlier:]
    assert [(c.status, c.ok) for c in updates] == [(429, False), (200, True)]
    assert waits == [2.0]
    shortlist = [
        m
        for m in slack.fake.dm_messages("U_ANA")
        if m.from_bot and "Cy Tan" in json.dumps(m.blocks)
    ]
    assert shortlist and "matching.shortlist.request.0" not in json.dumps(shortlist[-1].blocks)
    assert any(m.from_bot for m in slack.fake.dm_messages("U_CY"))  # the request went out


# --- announcements, invitations and the weekly digest ---------------------------------------


def ledger_rows(slack: BotUnderTest, kind: str) -> list[tuple[str, str, str]]:
    """(status, subject, period) of the ledger's rows of a kind."""
    with slack.app.db.transaction() as session:
        return [
            (d.status, d.subject, d.period)
            for d in session.scalars(select(Delivery).where(Delivery.kind == kind))
        ]


def a_crashed_sender(slack: BotUnderTest, clock: FakeClock) -> int:
    """Another process claims everything due (a two-minute lease), starts sending one row,
    and dies before Slack is called: its rows stay leased, one marked in flight. Returns how
    many rows it had claimed."""
    dead = Ledger(slack.app.db, clock, worker="dead-process", lease=timedelta(minutes=2))
    claimed = dead.claim(100)
    assert claimed
    with dead.transaction() as session:
        assert dead.begin_send(session, claimed[0])
    return len(claimed)


def received(slack: BotUnderTest, user: str, words: str) -> int:
    return sum(1 for t in slack.dm_texts(user) if words in t)


def sweep_all(app: MentorApp) -> None:
    """One scheduler tick of `app` (another process on the same data), and its jobs."""
    run_sweeps(app)
    app.wait_idle()


def default_program_id(slack: BotUnderTest) -> int:
    with slack.app.db.transaction() as session:
        return int(session.scalars(select(Program.id).where(Program.is_default.is_(True))).one())


def test_an_announcement_whose_sender_died_mid_send_goes_out_once_after_the_lease(
    slack: BotUnderTest, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_coordinator(slack, "U_CO", monkeypatch)
    people = ["U_A", "U_B", "U_C"]
    for user in people:
        join(slack, user, f"Person {user}")
    with slack.app.db.transaction() as session:
        program = ref(session.get_one(Program, default_program_id(slack)))
    # queued as the modal's use case does (the kick that would follow is what the crash took)
    announced = pacing.announce(slack.app.db, clock, program, "U_CO", "Kick-off on Friday")
    assert announced.count == 3
    assert a_crashed_sender(slack, clock) >= 3
    slack.run_sweeps()  # the lease holds: nobody else sends them yet
    assert [received(slack, u, "Kick-off on Friday") for u in people] == [0, 0, 0]
    clock.advance(minutes=3)  # the lease has run out
    slack.run_sweeps()
    for _ in range(3):  # later sweeps (and a late kick) send nothing again
        clock.advance(minutes=5)
        slack.run_sweeps()
    slack.app.flows.coordinator.kick(announced.ids)
    slack.app.wait_idle()
    assert [received(slack, u, "Kick-off on Friday") for u in people] == [1, 1, 1]
    rows = ledger_rows(slack, ANNOUNCEMENT)
    assert sorted(status for status, _, _ in rows) == ["sent"] * 3
    with slack.app.db.transaction() as session:
        assert delivery_counts(session, int(rows[0][1])) == {"sent": 3}


def digests_to(slack: BotUnderTest, user: str) -> int:
    return received(slack, user, "your Monday digest")


def test_the_weekly_digest_is_not_stuck_after_a_crash_mid_send(
    slack: BotUnderTest, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_coordinator(slack, "U_CO", monkeypatch)  # Monday 09:00 in London: the digest is due
    flow = slack.app.flows.coordinator
    flow.deliverer = None  # this process plans the digest, then "dies" as it sends it
    flow.sweep()
    week = [("pending", str(default_program_id(slack)), "2026-W10")]
    assert ledger_rows(slack, COORDINATOR_DIGEST) == week
    a_crashed_sender(slack, clock)
    restarted = create_app(slack.app.settings, clock=clock)  # the process that comes back
    try:
        sweep_all(restarted)
        assert digests_to(slack, "U_CO") == 0  # still leased to the dead process
        clock.advance(minutes=3)
        sweep_all(restarted)
        for _ in range(3):
            clock.advance(minutes=10)
            sweep_all(restarted)
    finally:
        restarted.close()
    assert digests_to(slack, "U_CO") == 1
    assert [status for status, _, _ in ledger_rows(slack, COORDINATOR_DIGEST)] == ["sent"]
    assert len([f for f in slack.fake.files if f.name == "pairs-by-stage.png"]) == 1


def test_the_weekly_digest_goes_out_once_per_coordinator_and_week_with_two_sweepers(
    slack: BotUnderTest, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_coordinator(slack, "U_CO", monkeypatch)
    replica = create_app(slack.app.settings, clock=clock)
    try:
        sweep_together(sweep_all, slack.app, replica)
        for _ in range(3):  # the same morning, later: not again
            clock.advance(minutes=20)
            sweep_all(replica)
            slack.run_sweeps()
        assert digests_to(slack, "U_CO") == 1
        clock.advance(days=7)  # the next Monday: that week's one
        sweep_all(replica)
        slack.run_sweeps()
    finally:
        replica.close()
    assert digests_to(slack, "U_CO") == 2
    rows = ledger_rows(slack, COORDINATOR_DIGEST)
    assert sorted((status, period) for status, _, period in rows) == [
        ("sent", "2026-W10"),
        ("sent", "2026-W11"),
    ]


def test_an_invitee_who_joins_before_their_turn_gets_no_invitation(
    slack: BotUnderTest, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_coordinator(slack, "U_CO", monkeypatch)
    invitees = ["U_N1", "U_N2", "U_N3"]
    for user in invitees:
        slack.add_person(user, user.lower())  # never seen by the bot: no people row yet
    clock.advance(hours=11)  # 20:00 in London (the program's zone): invitations wait
    slack.d.slash("U_CO", "/mentoring", "invite <@U_N1> <@U_N2> <@U_N3>")
    slack.app.wait_idle()
    slack.run_sweeps()
    assert [received(slack, u, "thought you might enjoy") for u in invitees] == [0, 0, 0]
    join(slack, "U_N2", "Nia Two")  # joins on her own before the morning
    clock.advance(hours=13)  # 09:00 the next day
    slack.run_sweeps()
    slack.run_sweeps()
    assert [received(slack, u, "thought you might enjoy") for u in invitees] == [1, 0, 1]
    rows = ledger_rows(slack, INVITATION)
    assert sorted(status for status, _, _ in rows) == ["dropped", "sent", "sent"]
    with slack.app.db.transaction() as session:
        assert delivery_counts(session, int(rows[0][1])) == {"sent": 2, "dropped": 1}


# --- a coordinator's matching run --------------------------------------------------------


def run_rows(slack: BotUnderTest) -> dict[str, list[tuple[str, str, dict[str, Any]]]]:
    """(status, recipient's Slack id, payload) of the run's ledger rows, per kind."""
    out: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    with slack.app.db.transaction() as session:
        for kind in (SHORTLIST_KIND, SHORTLIST_NONE_KIND):
            rows = session.execute(
                select(Delivery.status, Person.slack_user_id, Delivery.payload)
                .join(Person, Person.id == Delivery.recipient_id)
                .where(Delivery.kind == kind)
                .order_by(Person.slack_user_id)
            ).all()
            out[kind] = [(status, user, dict(payload)) for status, user, payload in rows]
    return out


def shortlist_dms(slack: BotUnderTest, user: str) -> int:
    return sum(1 for m in bot_dms(slack, user) if has_shortlist(m))


def no_mentor_dms(slack: BotUnderTest, user: str) -> int:
    return sum(
        1 for m in bot_dms(slack, user) if "No mentor in the program" in json.dumps(m.blocks)
    )


def recorded_messages(slack: BotUnderTest) -> dict[str, tuple[str | None, str | None]]:
    """The posted message (channel, ts) each open list has recorded, per mentee."""
    with slack.app.db.transaction() as session:
        rows = session.execute(
            select(Person.slack_user_id, Shortlist.message_channel, Shortlist.message_ts)
            .join(Participation, Participation.id == Shortlist.mentee_id)
            .join(Person, Person.id == Participation.person_id)
            .where(Shortlist.status == "open")
        ).all()
    return {user: (channel, ts) for user, channel, ts in rows}


def a_confirmed_run_whose_sending_dies(
    slack: BotUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ana and Eva are waiting (lists), Dee too (nobody offers her goal). The coordinator
    confirms the run; the process dies right after the run committed, before anything was
    sent (the job's kick never gets to Slack)."""
    make_coordinator(slack, "U_CO", monkeypatch)
    add(slack, MENTORS + ANA + DEE + EVA)
    slack.d.slash("U_CO", "/mentoring", "match run")

    def died(ids: list[int]) -> Any:
        raise RuntimeError("the process died before sending")

    monkeypatch.setattr(slack.app.flows.relationship.deliverer, "deliver_now", died)
    slack.d.click("U_CO", SEND)
    slack.app.wait_idle()
    monkeypatch.undo()
    assert [len(bot_dms(slack, u)) for u in ("U_ANA", "U_DEE", "U_EVA")] == [0, 0, 0]


def test_match_run_shortlists_are_ledger_rows_sent_once(
    slack: BotUnderTest, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_coordinator(slack, "U_CO", monkeypatch)
    add(slack, MENTORS + ANA + DEE + EVA)
    slack.d.slash("U_CO", "/mentoring", "match run")
    payloads = capture(slack)
    slack.d.click("U_CO", SEND)
    slack.app.wait_idle()
    # one row per waiting mentee, sent at once by the run's kick
    rows = run_rows(slack)
    assert [(s, u) for s, u, _ in rows[SHORTLIST_KIND]] == [("sent", "U_ANA"), ("sent", "U_EVA")]
    assert [(s, u) for s, u, _ in rows[SHORTLIST_NONE_KIND]] == [("sent", "U_DEE")]
    # ids and codes only: nothing anyone wrote
    assert all(set(p) == {"shortlist", "mentee"} for _, _, p in rows[SHORTLIST_KIND])
    assert rows[SHORTLIST_NONE_KIND][0][2]["code"] == "no_mentor_covers_goals"
    # the same confirmation delivered again, and later sweeps: nothing more
    slack.d.interaction(payloads[0])
    slack.app.wait_idle()
    for _ in range(3):
        clock.advance(minutes=5)
        slack.run_sweeps()
    assert [shortlist_dms(slack, u) for u in ("U_ANA", "U_EVA")] == [1, 1]
    assert [len(bot_dms(slack, u)) for u in ("U_ANA", "U_DEE", "U_EVA")] == [1, 1, 1]
    assert no_mentor_dms(slack, "U_DEE") == 1
    assert run_rows(slack) == rows
    # each list knows its message, so answering it later updates that message
    assert recorded_messages(slack) == {
        u: (bot_dms(slack, u)[0].channel, bot_dms(slack, u)[0].ts) for u in ("U_ANA", "U_EVA")
    }


def test_a_run_confirmed_before_a_crash_is_sent_by_the_sweep_exactly_once(
    slack: BotUnderTest, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    a_confirmed_run_whose_sending_dies(slack, monkeypatch)
    rows = run_rows(slack)
    assert [(s, u) for s, u, _ in rows[SHORTLIST_KIND]] == [
        ("pending", "U_ANA"),
        ("pending", "U_EVA"),
    ]
    assert [(s, u) for s, u, _ in rows[SHORTLIST_NONE_KIND]] == [("pending", "U_DEE")]
    # Another process had claimed them too and died mid-send: its lease holds them first.
    assert a_crashed_sender(slack, clock) == 3
    restarted = create_app(slack.app.settings, clock=clock)  # the process that comes back
    try:
        sweep_all(restarted)
        assert [len(bot_dms(slack, u)) for u in ("U_ANA", "U_DEE", "U_EVA")] == [0, 0, 0]
        clock.advance(minutes=3)  # the lease has run out
        sweep_all(restarted)
        for _ in range(3):
            clock.advance(minutes=5)
            sweep_all(restarted)
            slack.run_sweeps()
    finally:
        restarted.close()
    assert [shortlist_dms(slack, u) for u in ("U_ANA", "U_EVA")] == [1, 1]
    assert [len(bot_dms(slack, u)) for u in ("U_ANA", "U_DEE", "U_EVA")] == [1, 1, 1]
    assert no_mentor_dms(slack, "U_DEE") == 1
    after = run_rows(slack)
    assert [s for s, _, _ in after[SHORTLIST_KIND] + after[SHORTLIST_NONE_KIND]] == ["sent"] * 3
    # the restarted process's follow-up recorded each posted list
    assert recorded_messages(slack) == {
        u: (bot_dms(slack, u)[0].channel, bot_dms(slack, u)[0].ts) for u in ("U_ANA", "U_EVA")
    }


def test_a_run_shortlist_superseded_before_its_turn_is_not_sent(
    slack: BotUnderTest, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    a_confirmed_run_whose_sending_dies(slack, monkeypatch)
    # Before the sweep comes round, Ana's list is replaced (she edited her profile).
    fresh = matching.fresh_shortlist(slack.app.db, "T0001", "U_ANA", clock)
    assert fresh is not None and fresh.shortlist_id is not None
    for _ in range(2):
        clock.advance(minutes=5)
        slack.run_sweeps()
    assert bot_dms(slack, "U_ANA") == []  # the run's list was superseded: nothing sent
    assert [shortlist_dms(slack, "U_EVA"), no_mentor_dms(slack, "U_DEE")] == [1, 1]
    rows = run_rows(slack)
    assert [(s, u) for s, u, _ in rows[SHORTLIST_KIND]] == [("dropped", "U_ANA"), ("sent", "U_EVA")]
    assert [(s, u) for s, u, _ in rows[SHORTLIST_NONE_KIND]] == [("sent", "U_DEE")]
