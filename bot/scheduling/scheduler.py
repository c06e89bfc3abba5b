"""The scheduler: APScheduler 3 wakes an idempotent sweep over database state every minute.

Job stores are never shared between processes: the sweep decides what is due from the
database, so several replicas and restarts are safe.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from apscheduler.schedulers.background import BackgroundScheduler

from core.kernel.events import forget_old_event_ids

if TYPE_CHECKING:
    from bot.app import MentorApp

logger = logging.getLogger(__name__)

Sweep = Callable[["MentorApp"], None]


def sweeps(mentor: MentorApp) -> list[Sweep]:
    """The sweeps to run each minute; features append theirs to `mentor.sweeps`."""
    return mentor.sweeps


def housekeeping(mentor: MentorApp) -> None:
    forget_old_event_ids(mentor.db, mentor.clock)


def run_sweeps(mentor: MentorApp) -> None:
    for sweep in sweeps(mentor):
        try:
            sweep(mentor)
        except Exception:
            logger.exception("sweep %s failed; it will run again next minute", sweep.__name__)


def start_scheduler(mentor: MentorApp) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(
        run_sweeps,
        "interval",
        minutes=1,
        args=[mentor],
        id="sweep",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=300,
    )
    scheduler.start()
    return scheduler
