"""Idempotency for incoming Slack events and interactions.

`handle_once` and `forget_old_event_ids` are the use cases (each opens its own transaction);
`claim_event` and `forget_old_events` run inside the caller's. Interactions (buttons, modal
submissions, slash commands) are recorded by the transaction that applies them
(`core.kernel.interactions`); `interaction_applied` only looks."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.kernel.clock import Clock
from core.kernel.db import Database
from core.kernel.models import ProcessedEvent, ProcessedInteraction

KEEP_EVENT_IDS = timedelta(days=3)  # Slack retries within minutes; keep a comfortable margin
# Slack signs a request for 5 minutes, so no replay is accepted after that; keep days anyway.
KEEP_INTERACTION_KEYS = timedelta(days=3)


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
    keys = session.execute(
        delete(ProcessedInteraction).where(
            ProcessedInteraction.received_at < clock.now() - KEEP_INTERACTION_KEYS
        )
    )
    return int(result.rowcount or 0) + int(keys.rowcount or 0)  # type: ignore[attr-defined]


def handle_once(db: Database, event_id: str, team_id: str, clock: Clock) -> bool:
    """May this event be handled? True the first time its id is seen; False for a retry or a
    duplicate delivery (also when a concurrent delivery claimed it at the same moment)."""
    try:
        with db.transaction() as session:
            return claim_event(session, event_id, team_id, clock)
    except IntegrityError:
        return False


def interaction_applied(db: Database, key: str) -> bool:
    """Was the interaction with this key applied already (its transaction committed)?"""
    with db.reading() as session:
        found = session.scalar(
            select(ProcessedInteraction.key).where(ProcessedInteraction.key == key)
        )
        return found is not None


def forget_old_event_ids(db: Database, clock: Clock) -> int:
    """Housekeeping: drop event ids older than `KEEP_EVENT_IDS` and interaction keys older
    than `KEEP_INTERACTION_KEYS`. Returns how many."""
    with db.transaction() as session:
        return forget_old_events(session, clock)
