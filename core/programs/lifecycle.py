"""The workspace lifecycle: uninstall stops all sending at once; a reinstall within the
retention period restores the workspace as it was; once the retention period has passed, the
purge sweep deletes the workspace's data (a reinstall after that starts clean).

`workspace_active(session, team_id)` is the one question every send path asks. An uninstalled
workspace is flagged with `Workspace.uninstalled_at`; `purge_due` deletes every row that
carries its team id once `MENTORBOT_RETENTION_DAYS` have passed (0: at the next sweep). The
purge sweep is the only thing that deletes a workspace's data: no event, command or click does.

The use cases the Slack side calls open their own transactions: `uninstall`,
`retention_sweep`, `check_reinstall` (with `ReinstallSignal`, what the request says) and
`active_team_ids`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

import core.kernel.schema  # noqa: F401  (every table known, so a purge misses none)
from core.kernel.clock import Clock
from core.kernel.db import Database
from core.kernel.models import Base
from core.privacy.service import purge_departed
from core.programs.models import Workspace
from core.programs.service import add_workspace_if_new

logger = logging.getLogger(__name__)

# Opaque Slack event ids (no personal data) are left to housekeeping, which drops them after
# three days: purging them early would let a retried event be handled twice.
NOT_PURGED = frozenset({"processed_events"})


def workspace_active(session: Session, team_id: str | None) -> bool:
    """May the bot send to this workspace? False once it has been uninstalled (or its bot
    token revoked). An unknown workspace is active (a fresh install has no row yet).

    With no team id (a process-wide client in a single-workspace install) the answer is
    False as soon as any known workspace is uninstalled."""
    if team_id:
        flagged = session.scalar(
            select(Workspace.uninstalled_at).where(Workspace.team_id == team_id)
        )
        return flagged is None
    return (
        session.scalar(select(Workspace.team_id).where(Workspace.uninstalled_at.is_not(None)))
        is None
    )


def inactive_team_ids(session: Session) -> set[str]:
    return set(
        session.scalars(select(Workspace.team_id).where(Workspace.uninstalled_at.is_not(None)))
    )


def mark_uninstalled(session: Session, team_id: str, clock: Clock) -> bool:
    """Flag the workspace as uninstalled. True the first time; repeats change nothing (the
    first time is when the retention period starts)."""
    # Nothing stored (or already purged): a row is still kept so sending stays off.
    add_workspace_if_new(session, team_id, clock.now())
    result = session.execute(
        update(Workspace)
        .where(Workspace.team_id == team_id, Workspace.uninstalled_at.is_(None))
        .values(uninstalled_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def purge_workspace(session: Session, team_id: str) -> int:
    """Delete every row of the workspace from every table that carries its team id, children
    first, then the workspace itself. Returns the number of rows deleted."""
    deleted = 0
    for table in reversed(Base.metadata.sorted_tables):
        if table.name in NOT_PURGED or table.name == Workspace.__tablename__:
            continue
        column = table.c.get("team_id")
        if column is None:
            continue
        result = session.execute(delete(table).where(column == team_id))
        deleted += int(result.rowcount or 0)  # type: ignore[attr-defined]
    result = session.execute(delete(Workspace).where(Workspace.team_id == team_id))
    deleted += int(result.rowcount or 0)  # type: ignore[attr-defined]
    session.flush()
    return deleted


def purge_due(session: Session, clock: Clock, retention_days: int) -> list[str]:
    """Purge every workspace uninstalled at least `retention_days` ago. Returns their ids."""
    cutoff = clock.now() - timedelta(days=retention_days)
    due = list(
        session.scalars(
            select(Workspace.team_id).where(
                Workspace.uninstalled_at.is_not(None), Workspace.uninstalled_at <= cutoff
            )
        )
    )
    for team_id in due:
        rows = purge_workspace(session, team_id)
        logger.info("purged workspace %s (%d rows) after the retention period", team_id, rows)
    return due


def restore(session: Session, team_id: str, clock: Clock, retention_days: int) -> bool:
    """The workspace installed the app again within the retention period: clear its uninstalled
    flag so it carries on as it was (sending resumes). Nothing is deleted. False when it is not
    flagged, or its retention period is over (then only the purge sweep touches it)."""
    cutoff = clock.now() - timedelta(days=retention_days)
    result = session.execute(
        update(Workspace)
        .where(
            Workspace.team_id == team_id,
            Workspace.uninstalled_at.is_not(None),
            Workspace.uninstalled_at > cutoff,
        )
        .values(uninstalled_at=None)
        .execution_options(synchronize_session=False)
    )
    restored = bool(result.rowcount)  # type: ignore[attr-defined]
    if restored:
        logger.info("workspace %s installed the app again: restored, sending resumes", team_id)
    return restored


# --- use cases (each opens its own transaction) -------------------------------------------
def uninstall(db: Database, team_id: str, clock: Clock) -> bool:
    """`app_uninstalled`, or the bot token revoked: flag the workspace so nothing more is sent
    to it. True the first time (when the retention period starts)."""
    with db.transaction() as session:
        return mark_uninstalled(session, team_id, clock)


def active_team_ids(db: Database) -> list[str]:
    """The workspaces that have the app installed (not flagged as uninstalled)."""
    with db.transaction() as session:
        return list(
            session.scalars(select(Workspace.team_id).where(Workspace.uninstalled_at.is_(None)))
        )


@dataclass(frozen=True)
class RetentionOutcome:
    """`purged`: workspaces whose data was deleted; `forgotten`: per installed workspace,
    the Slack ids of people who left and whose data was deleted (only non-empty ones)."""

    purged: list[str]
    forgotten: dict[str, list[str]] = field(default_factory=dict)


def retention_sweep(db: Database, clock: Clock, retention_days: int) -> RetentionOutcome:
    """Purge workspaces past their retention period (one transaction), then, one transaction
    per installed workspace, people who left a program past the program's retention days."""
    with db.transaction() as session:
        purged = purge_due(session, clock, retention_days)
    forgotten: dict[str, list[str]] = {}
    for team_id in active_team_ids(db):
        with db.transaction() as session:
            gone = purge_departed(session, team_id, clock)
        if gone:
            forgotten[team_id] = gone
    return RetentionOutcome(purged, forgotten)


@dataclass(frozen=True)
class ReinstallSignal:
    """What an incoming (signed, so really from Slack) request says, parsed by the Slack side:
    whether it is an event callback, of a lifecycle event type, a retry, the event's time
    (epoch seconds), and whether the bot token works for this workspace again (`auth.test`
    answered ok for the same team)."""

    event_callback: bool = False
    lifecycle_event: bool = False
    retry: bool = False
    event_time: float | None = None
    token_works: bool = False


def is_reinstall_signal(signal: ReinstallSignal, uninstalled_at: float | None) -> bool:
    """Does this request prove the app was installed again? Only a person using the app
    (not a lifecycle event, not Slack's retry of an event sent before the uninstall, not an
    event dated before it) while the bot token works again: uninstalling revokes it, and
    Slack only delivers to installed apps. A request that was already in flight when the app
    was uninstalled fails the token check, so it is no proof."""
    if not signal.token_works or signal.lifecycle_event or signal.retry:
        return False
    if signal.event_callback and uninstalled_at is not None and signal.event_time is not None:
        return signal.event_time > uninstalled_at
    return True


def check_reinstall(
    db: Database, team_id: str, signal: ReinstallSignal, clock: Clock, retention_days: int
) -> bool:
    """A request for a workspace flagged as uninstalled: if it proves a new install within the
    retention period, restore the workspace as it was. True if it was restored. Never deletes
    anything: past the retention period the purge sweep does that."""
    with db.transaction() as session:
        workspace = session.get(Workspace, team_id)
        if workspace is None or workspace.uninstalled_at is None:
            return False
        since = workspace.uninstalled_at.timestamp()
        return is_reinstall_signal(signal, since) and restore(
            session, team_id, clock, retention_days
        )
