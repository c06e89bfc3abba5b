"""The workspace lifecycle: uninstall stops all sending at once; the workspace's data is purged
after the retention period; a later reinstall starts clean.

`workspace_active(session, team_id)` is the one question every send path asks. An uninstalled
workspace is flagged with `Workspace.uninstalled_at`; `purge_due` deletes every row that
carries its team id once `MENTORBOT_RETENTION_DAYS` have passed (0: at the next sweep).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

import core.kernel.schema  # noqa: F401  (every table known, so a purge misses none)
from core.kernel.clock import Clock
from core.kernel.models import Base
from core.programs.models import Workspace

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
    workspace = session.get(Workspace, team_id)
    if workspace is None:
        # Nothing stored (or already purged): a row is still kept so sending stays off.
        session.add(
            Workspace(team_id=team_id, installed_at=clock.now(), uninstalled_at=clock.now())
        )
        session.flush()
        return True
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


def reinstalled(session: Session, team_id: str) -> bool:
    """A person used the app in a workspace flagged as uninstalled: it has been installed
    again. The old data is purged at once so the new install starts clean. True if so."""
    workspace = session.get(Workspace, team_id)
    if workspace is None or workspace.uninstalled_at is None:
        return False
    rows = purge_workspace(session, team_id)
    logger.info("workspace %s was installed again: %d old rows purged", team_id, rows)
    return True
