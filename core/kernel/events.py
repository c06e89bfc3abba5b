"""Idempotency for incoming Slack events."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.kernel.clock import Clock
from core.kernel.models import ProcessedEvent

KEEP_EVENT_IDS = timedelta(days=3)  # Slack retries within minutes; keep a comfortable margin


def claim_event(session: Session, event_id: str, team_id: str, clock: Clock) -> bool:
    """Record an event id. True the first time, False if it was already recorded."""
    if session.scalar(select(ProcessedEvent.event_id).where(ProcessedEvent.event_id == event_id)):
        return False
    session.add(ProcessedEvent(event_id=event_id, team_id=team_id, received_at=clock.now()))
    session.flush()  # raises IntegrityError if a concurrent delivery claimed it first
    return True


def forget_old_events(session: Session, clock: Clock) -> int:
    result = session.execute(
        delete(ProcessedEvent).where(ProcessedEvent.received_at < clock.now() - KEEP_EVENT_IDS)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
