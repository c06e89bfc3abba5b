"""Housekeeping of the delivery ledger, as a use case that opens its own transaction."""

from __future__ import annotations

from datetime import timedelta

from core.kernel.clock import Clock
from core.kernel.db import Database
from core.messaging.ledger import prune

SETTLED_KEEP = timedelta(days=90)  # settled ledger rows older than this are forgotten


def prune_settled(db: Database, clock: Clock) -> int:
    """Forget settled deliveries older than `SETTLED_KEEP` (their keys name periods long
    past). Returns how many rows were deleted."""
    with db.transaction() as session:
        return prune(session, clock.now(), SETTLED_KEEP)
