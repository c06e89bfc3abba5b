"""Sending what the delivery ledger holds: claim, render, pace, post, settle.

- Pacing: one `Pacer` per process keeps chat.postMessage below Slack's documented limit for
  it (a special tier: about one message per second per channel, plus a workspace-wide
  limit), with a steady overall rate and at most one message a second into one DM.
- 429: the row is released with `not_before` = now + Retry-After and this process stops
  sending for that long; nothing sleeps in a request handler and nothing is lost.
- `user_not_found`, `user_disabled`, `account_inactive`, `cannot_dm_bot` (and the errors
  chat.postMessage gives for a DM that cannot exist) mark the person unreachable.
- Anything else is retried with exponential backoff, up to `core.messaging.ledger.MAX_ATTEMPTS`.
- A call that reached Slack but got no answer (a read timeout, a connection dropped while
  waiting for the reply) may well have posted: it is settled as sent (`last_error`
  "unconfirmed:..."), never posted again, so a slow Slack cannot give anyone a message twice.
  Only a call that never got through (a connection that could not be made) is retried.
- The client does not wait out a 429 for the deliverer (`rate_limit_budget(0)`): the row is
  released with `not_before` as above, so a lease never runs out while a call sleeps.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.orm import Session

from bot.platform.blocks import Block, divider, section
from bot.platform.blocks import message as message_payload
from bot.platform.slack_retry import rate_limit_budget
from core.kernel.clock import Clock
from core.kernel.db import Database
from core.kernel.texts import mrkdwn
from core.messaging.ledger import Ledger, Message

logger = logging.getLogger(__name__)

# A person Slack will not let us message: stop trying, and let coordinators see it.
UNREACHABLE_ERRORS = frozenset(
    {
        "user_not_found",
        "user_disabled",
        "account_inactive",
        "cannot_dm_bot",
        # chat.postMessage(channel=<user id>) answers these when the DM cannot exist
        "channel_not_found",
        "is_archived",
    }
)
MAX_BLOCKS = 50


@dataclass(frozen=True)
class Attachment:
    """A file sent into the same DM right after the message (e.g. the digest's chart)."""

    filename: str
    content: bytes
    title: str
    alt_text: str = ""


@dataclass
class Part:
    """One item of a message: its fallback text and blocks (and, for a message sent on its
    own, a file to upload after it)."""

    text: str
    blocks: list[Block]
    attachment: Attachment | None = None


@dataclass(frozen=True)
class Settled:
    """What came of an immediate (not batched) message, for its kind's follow-up."""

    outcome: str  # "sent", "unconfirmed" (no answer from Slack), "unreachable" or "failed"
    channel: str | None = None
    ts: str | None = None


# What a kind does once its message is settled (e.g. remember the message's ts, or close a
# shortlist nobody could receive); called outside the ledger's transaction.
Followup = Callable[["RenderTarget", Settled], None]


# (session, kind, recipient person id, payload, subject, period) -> Part, or None when the
# item is no longer relevant (it is dropped, nothing is sent for it).
Renderer = Callable[[Session, "RenderTarget"], Part | None]


@dataclass(frozen=True)
class RenderTarget:
    kind: str
    recipient_id: int
    user_id: str
    timezone: str | None
    subject: str
    period: str
    payload: Mapping[str, Any]


class Pacer:
    """Keeps one process's posting rate below Slack's limits (thread-safe).

    A steady `rate` per second overall with bursts of up to `burst` messages (a GCRA token
    bucket), at least `channel_interval` seconds between two messages into one channel, and
    a hold after a 429 during which nothing is sent.
    """

    def __init__(
        self,
        rate: float = 1.0,
        burst: int = 3,
        channel_interval: float = 1.0,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0 or burst < 1 or channel_interval < 0:
            raise ValueError("rate > 0, burst >= 1 and channel_interval >= 0, please")
        self.burst = burst
        self.rate = rate  # also sets interval and tolerance
        self.channel_interval = channel_interval
        self._monotonic = monotonic
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tat = 0.0  # theoretical arrival time of the next message
        self._held_until = 0.0
        self._channels: dict[str, float] = {}

    @property
    def rate(self) -> float:
        return self._rate

    @rate.setter
    def rate(self, rate: float) -> None:
        """A new steady rate takes effect at once (the interval and burst tolerance follow)."""
        if rate <= 0:
            raise ValueError("rate > 0, please")
        self._rate = rate
        self.interval = 1.0 / rate
        self.tolerance = (self.burst - 1) * self.interval

    def reserve(self, channel: str, max_wait: float | None = None) -> float | None:
        """Book a slot for a message into `channel`; returns the seconds to wait for it, or
        None (nothing booked) if that is more than `max_wait`."""
        with self._lock:
            now = self._monotonic()
            start = max(
                now,
                self._tat - self.tolerance,
                self._held_until,
                self._channels.get(channel, 0.0),
            )
            if max_wait is not None and start - now > max_wait:
                return None
            self._tat = max(self._tat, start) + self.interval
            if self.channel_interval:
                self._channels[channel] = start + self.channel_interval
                if len(self._channels) > 10_000:
                    self._channels = {c: t for c, t in self._channels.items() if t > now}
            return start - now

    def wait(self, channel: str, max_wait: float | None = None) -> bool:
        delay = self.reserve(channel, max_wait)
        if delay is None:
            return False
        if delay > 0:
            self._sleep(delay)
        return True

    def hold(self, seconds: float) -> None:
        """Send nothing for `seconds` (Slack said Retry-After)."""
        with self._lock:
            self._held_until = max(self._held_until, self._monotonic() + seconds)

    def held_for(self) -> float:
        with self._lock:
            return max(0.0, self._held_until - self._monotonic())


@dataclass(frozen=True)
class Rendered:
    payload: dict[str, Any]
    attachment: Attachment | None = None


@dataclass
class DeliveryStats:
    sent: int = 0
    items: int = 0
    dropped: int = 0
    rate_limited: int = 0
    unreachable: int = 0
    retried: int = 0
    failed: int = 0
    deferred: int = 0
    lost_lease: int = 0
    unconfirmed: int = 0
    outcomes: list[str] = field(default_factory=list)


def _compose(parts: list[Part], is_digest: bool) -> Rendered:
    """One message from its parts: a part alone as it is, several under the digest's intro."""
    if len(parts) == 1:
        payload = message_payload(parts[0].text, parts[0].blocks[:MAX_BLOCKS])
        return Rendered(payload, None if is_digest else parts[0].attachment)
    blocks: list[Block] = [section(mrkdwn("relationship.digest.intro"))]
    for part in parts:
        if len(blocks) + len(part.blocks) + 1 > MAX_BLOCKS:
            break
        blocks += [divider(), *part.blocks]
    text = mrkdwn("relationship.digest.fallback", parts=[p.text for p in parts])
    return Rendered(message_payload(text, blocks), None)


def worker_id() -> str:
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _retry_after(error: SlackApiError) -> float:
    headers = getattr(error.response, "headers", None) or {}
    for key, value in headers.items():
        if str(key).lower() == "retry-after":
            if isinstance(value, list | tuple):
                value = value[0] if value else None
            try:
                return max(1.0, float(value))
            except (TypeError, ValueError):
                break
    return 30.0


class Deliverer:
    """Sends what is due. One per process; safe to use from several threads."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        client: WebClient,
        renderers: Mapping[str, Renderer],
        *,
        pacer: Pacer | None = None,
        lease: timedelta = timedelta(minutes=2),
        chunk: int | None = None,
        worker: str | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.client = client
        self.renderers = renderers
        self.followups: dict[str, Followup] = {}
        self._sent_channel: dict[int, tuple[str | None, str | None]] = {}
        self.pacer = pacer or Pacer()
        self.ledger = Ledger(db, clock, worker=worker or worker_id(), lease=lease)
        seconds = lease.total_seconds()
        # Claim no more than can be sent well within the lease at the paced rate.
        self.chunk = chunk or max(1, min(200, int(self.pacer.rate * seconds / 3)))

    @property
    def worker(self) -> str:
        return self.ledger.worker

    # --- entry points ----------------------------------------------------------------------
    def deliver_due(self, budget: float = 45.0) -> DeliveryStats:
        """Send what is due for up to `budget` seconds (the sweep runs every minute).

        Each claim takes only what this process can send in half its lease at the rate it
        has been achieving (a slow Slack means smaller claims); whatever is left when the
        lease runs short is handed back for any process to take.
        """
        stats = DeliveryStats()
        deadline = time.monotonic() + budget
        lease_s = self.ledger.lease.total_seconds()
        chunk = min(self.chunk, 20)
        with self.ledger.pinned():
            while time.monotonic() < deadline and self.pacer.held_for() == 0:
                claimed_at = time.monotonic()
                messages = self.ledger.claim(chunk)
                if not messages:
                    break
                done = 0
                for index, message in enumerate(messages):
                    elapsed = time.monotonic() - claimed_at
                    held = self.pacer.held_for()
                    if held or time.monotonic() >= deadline or elapsed > lease_s * 0.75:
                        # Give the rest back now: another process may send them.
                        later = self.clock.now() + timedelta(seconds=held)
                        self.ledger.release_all(messages[index:], later)
                        stats.deferred += len(messages) - index
                        break
                    self._send(message, stats, max_wait=max(0.0, lease_s * 0.75 - elapsed))
                    done += 1
                rate = done / max(time.monotonic() - claimed_at, 1e-3)
                chunk = max(1, min(self.chunk, int(rate * lease_s / 2)))
        return stats

    def deliver_now(self, ids: list[int]) -> DeliveryStats:
        """Send these rows right away (a listener thread, after the action was acknowledged).
        Whatever cannot go at once is left to the sweep."""
        stats = DeliveryStats()
        if not ids:
            return stats
        if self.pacer.held_for() > 0:
            return stats  # rate limited: the sweep sends them once Retry-After has passed
        with self.ledger.pinned():
            for message in self.ledger.claim(len(ids) + 10, ids=ids):
                self._send(message, stats, max_wait=2.0)
        return stats

    # --- one message -----------------------------------------------------------------------
    def _targets(self, message: Message) -> list[tuple[int | None, RenderTarget]]:
        """What to render: each item of a digest, or the message itself."""
        rows = (
            [(i.id, i.kind, i.subject, i.period, i.payload) for i in message.items]
            if message.is_digest
            else [(None, message.kind, message.subject, message.period, message.payload)]
        )
        return [
            (
                item_id,
                RenderTarget(
                    kind=kind,
                    recipient_id=message.recipient_id,
                    user_id=message.user_id,
                    timezone=message.timezone,
                    subject=subject,
                    period=period,
                    payload=payload,
                ),
            )
            for item_id, kind, subject, period, payload in rows
        ]

    def _render(self, session: Session, message: Message) -> tuple[Rendered | None, list[int]]:
        parts: list[Part] = []
        dropped: list[int] = []
        for item_id, target in self._targets(message):
            renderer = self.renderers.get(target.kind)
            part = None
            if renderer is None:
                logger.warning("no renderer for delivery kind %s; dropping it", target.kind)
            else:
                part = renderer(session, target)
            if part is None:
                if item_id is not None:
                    dropped.append(item_id)
                continue
            parts.append(part)
        if not parts:
            return None, dropped
        return _compose(parts, message.is_digest), dropped

    def redraw(
        self, message: Message, settled: Callable[[RenderTarget], Part | None], closed: Part
    ) -> dict[str, Any] | None:
        """A sent digest drawn again, laid out as it was sent, for chat.update: each item as
        `settled` gives it (an answered item's ✓ line), else as its renderer draws it now (an
        item still open keeps its buttons), else `closed` (it is no longer open). Nothing
        is claimed or sent here: the ledger row stays as it is."""
        parts: list[Part] = []
        with self.ledger.transaction() as session:
            for _item_id, target in self._targets(message):
                part = settled(target)
                renderer = self.renderers.get(target.kind)
                if part is None and renderer is not None:
                    part = renderer(session, target)
                parts.append(part if part is not None else closed)
        return _compose(parts, message.is_digest).payload if parts else None

    def _send(self, message: Message, stats: DeliveryStats, *, max_wait: float) -> str:
        outcome = self._send_one(message, stats, max_wait)
        stats.outcomes.append(outcome)
        channel, ts = self._sent_channel.pop(message.id, (None, None))
        if not message.is_digest and outcome in ("sent", "unconfirmed", "unreachable", "failed"):
            self._follow_up(message, Settled(outcome, channel, ts))
        return outcome

    def _send_one(self, message: Message, stats: DeliveryStats, max_wait: float) -> str:
        ledger = self.ledger
        # Rate limited (Retry-After not over): nobody waits it out here.
        if self.pacer.held_for() > 0 or not self.pacer.wait(message.user_id, max_wait=max_wait):
            ledger.release(message, self.clock.now())
            stats.deferred += 1
            return "deferred"
        with ledger.transaction() as session:
            rendered, dropped = self._render(session, message)
            ledger.drop_items(session, message, dropped)
            stats.dropped += len(dropped)
            if rendered is None:
                ledger.discard(session, message)
                return "empty"
            if not ledger.begin_send(session, message):
                stats.lost_lease += 1
                return "lost_lease"
        if message.resend:
            logger.warning(
                "delivery %s was in flight when its sender stopped; sending it again", message.id
            )
        return self._post(message, rendered, stats)

    def _post(self, message: Message, rendered: Rendered, stats: DeliveryStats) -> str:
        ledger = self.ledger
        try:
            # A 429 comes back here (the row waits in the ledger, nobody sleeps).
            with rate_limit_budget(0):
                response = self.client.chat_postMessage(channel=message.user_id, **rendered.payload)
        except SlackApiError as exc:
            return self._failed(message, exc, stats)
        except (URLError, SlackClientError) as exc:
            # The call never got through: nothing was posted, try again later.
            stats.retried += 1
            ledger.retry_later(message, f"network:{type(exc).__name__}")
            return "retry"
        except OSError as exc:
            # Slack got the call but its answer did not come back (a slow Slack): it has most
            # likely posted. Posting again would give the person the message twice.
            logger.warning("delivery %s: no answer from Slack (%s)", message.id, type(exc).__name__)
            ledger.mark_unconfirmed(message, f"unconfirmed:{type(exc).__name__}")
            stats.unconfirmed += 1
            return "unconfirmed"
        channel, ts = response.get("channel"), response.get("ts")
        ledger.mark_sent(message, channel, ts)
        stats.sent += 1
        stats.items += len(message.items)
        self._sent_channel[message.id] = (channel, ts)
        if rendered.attachment is not None and channel:
            self._attach(message, str(channel), rendered.attachment)
        return "sent"

    def _attach(self, message: Message, channel: str, attachment: Attachment) -> None:
        """The message is sent: its file follows (a failure is logged, the message stands)."""
        try:
            with rate_limit_budget(10.0):
                self.client.files_upload_v2(
                    channel=channel,
                    content=attachment.content,
                    filename=attachment.filename,
                    title=attachment.title,
                    alt_txt=attachment.alt_text,
                )
        except (SlackClientError, OSError) as exc:
            logger.info("delivery %s: its file was not uploaded (%s)", message.id, exc)

    def _follow_up(self, message: Message, settled: Settled) -> None:
        followup = self.followups.get(message.kind)
        if followup is None:
            return
        target = self._targets(message)[0][1]
        try:
            followup(target, settled)
        except Exception:
            logger.exception("the follow-up of delivery %s failed", message.id)

    def _failed(self, message: Message, exc: SlackApiError, stats: DeliveryStats) -> str:
        response = exc.response
        error = str(response.get("error") or "") if response is not None else ""
        status = getattr(response, "status_code", 200)
        if status == 429 or error in ("ratelimited", "rate_limited"):
            wait = _retry_after(exc)
            self.pacer.hold(wait)
            self.ledger.release(
                message, self.clock.now() + timedelta(seconds=wait), error="ratelimited"
            )
            stats.rate_limited += 1
            logger.info("rate limited by Slack; delivery %s waits %.0f s", message.id, wait)
            return "rate_limited"
        if error in UNREACHABLE_ERRORS:
            self.ledger.mark_unreachable(message, error)
            stats.unreachable += 1
            logger.info("person %s cannot be messaged (%s)", message.recipient_id, error)
            return "unreachable"
        if self.ledger.retry_later(message, error or f"http_{status}"):
            stats.retried += 1
            logger.warning("delivery %s failed (%s); will retry", message.id, error)
            return "retry"
        stats.failed += 1
        logger.error("delivery %s failed (%s) too often; giving up", message.id, error)
        return "failed"
