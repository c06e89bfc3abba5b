"""One sender: what the bot sends on its own goes through the delivery ledger (lease, exactly
once), and the Slack client never sends a non-idempotent call twice.

- a mentor's request reminder is a ledger row: two sweepers racing send it once;
- a slow Slack (the client times out waiting for chat.postMessage's answer) gives the person
  the message once, not a second time after the retry;
- a 429 on a button's reply is waited out (Retry-After) and the reply arrives.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from sqlalchemy import select

from bot.app import create_app
from bot.flows.matching import matching_sweep
from bot.platform.slack_retry import SafeRetryHandler
from core.kernel.clock import FakeClock
from core.matchmaking.service import REMINDER_KIND
from core.messaging.models import Delivery
from sandbox.harness import BotUnderTest
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


def test_a_request_reminder_goes_out_exactly_once_when_two_sweepers_race(
    slack: BotUnderTest, clock: FakeClock
) -> None:
    a_request_due_a_reminder(slack, clock)
    replica = create_app(slack.app.settings, clock=clock)  # a second process on the same data
    try:
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def sweep(app: Any) -> None:
            try:
                barrier.wait(timeout=10)
                matching_sweep(app)
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=sweep, args=(a,)) for a in (slack.app, replica)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert errors == []
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
