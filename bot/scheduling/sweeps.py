"""The relationship sweep the scheduler runs every minute: plan what became due, then send
what is due. Both halves are idempotent over database state, so several replicas, restarts
and catch-up after downtime change nothing that a person sees."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from core.messaging.housekeeping import prune_settled
from core.messaging.planner import Planner

if TYPE_CHECKING:
    from bot.app import MentorApp

logger = logging.getLogger(__name__)

DELIVERY_BUDGET_SECONDS = 45.0  # the sweep wakes every minute
PRUNE_EVERY_SECONDS = 3600.0  # settled ledger rows older than 90 days are forgotten hourly


def relationship_sweep(mentor: MentorApp) -> None:
    flow = mentor.flows.relationship
    planned = Planner(mentor.db, mentor.clock).plan()
    stats = flow.deliverer.deliver_due(budget=DELIVERY_BUDGET_SECONDS)
    if planned.total or stats.sent or stats.rate_limited or stats.unreachable or stats.failed:
        logger.info(
            "relationship sweep: planned %s; sent %d messages (%d items), dropped %d, "
            "rate limited %d, unreachable %d, retrying %d, failed %d",
            planned.counts,
            stats.sent,
            stats.items,
            stats.dropped,
            stats.rate_limited,
            stats.unreachable,
            stats.retried,
            stats.failed,
        )
    last = mentor.deliveries_pruned_at
    if last is None or time.monotonic() - last > PRUNE_EVERY_SECONDS:
        mentor.deliveries_pruned_at = time.monotonic()
        prune_settled(mentor.db, mentor.clock)
