"""Messages a coordinator starts, as use cases: invitations and announcements are queued in
the delivery ledger (audited with the coordinator's action), and the Monday digest is planned
there once per coordinator, program and week. The deliverer (bot/scheduling/deliverer.py)
sends them with a lease, paced, in each recipient's working hours.

The Slack side only renders and sends; what is due, to whom, and what a delivery came to is
kept in the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from core.coordination.console import ProgramRef, audit, row
from core.coordination.models import Coordinator
from core.kernel.clock import Clock
from core.kernel.db import Database
from core.messaging import outbox
from core.people.directory import find_person
from core.programs.lifecycle import workspace_active
from core.programs.models import Program, Workspace
from core.programs.service import program_settings


@dataclass(frozen=True)
class Invited:
    queued: int
    skipped: int
    ids: list[int] = field(default_factory=list)  # the ledger rows to send


def invite(
    db: Database,
    clock: Clock,
    program: ProgramRef,
    user_id: str,
    people: list[str],
    targets: list[str],
) -> Invited:
    """Queue invitations to `people` (those already taking part are skipped); `targets` are
    what the coordinator named, for the audit log."""
    with db.transaction() as session:
        invitation, ids, skipped = outbox.create_invitation(
            session, row(session, program), people, by=user_id, clock=clock
        )
        audit(session, clock, program, user_id, "invite", targets + [f"invitation:{invitation.id}"])
    return Invited(len(ids), skipped, ids)


@dataclass(frozen=True)
class Announced:
    """How many people an announcement goes to, or why it cannot be sent (e.g. too long)."""

    count: int = 0
    problem: outbox.OutboxError | None = None
    ids: list[int] = field(default_factory=list)  # the ledger rows to send


def announce(db: Database, clock: Clock, program: ProgramRef, user_id: str, body: str) -> Announced:
    """Queue an announcement to the program's participants."""
    try:
        with db.transaction() as session:
            announcement, ids = outbox.create_announcement(
                session, row(session, program), body, by=user_id, clock=clock
            )
            audit(session, clock, program, user_id, "announce", [f"announcement:{announcement.id}"])
    except outbox.OutboxError as exc:
        return Announced(problem=exc)
    return Announced(len(ids), ids=ids)


# --- the weekly digest ----------------------------------------------------------------------


def active_teams(db: Database) -> list[str]:
    with db.transaction() as session:
        return list(
            session.scalars(select(Workspace.team_id).where(Workspace.uninstalled_at.is_(None)))
        )


def coordinators_never_synced(db: Database, team_id: str) -> list[str] | None:
    """The coordinators whose Slack profile (time zone) was never read; None while the
    workspace is not active (then no digest goes out)."""
    with db.transaction() as session:
        if not workspace_active(session, team_id):
            return None
        never_synced = []
        for user_id in set(
            session.scalars(select(Coordinator.slack_user_id).where(Coordinator.team_id == team_id))
        ):
            person = find_person(session, team_id, user_id)
            if person is None or person.profile_synced_at is None:
                never_synced.append(user_id)
    return never_synced


def plan_digests(db: Database, clock: Clock, team_id: str) -> list[int]:
    """Put the digests due now in the delivery ledger: each coordinator's, per program, on
    their Monday morning, once a week (the ledger's key). Returns the ledger ids to send."""
    now = clock.now()
    due: list[int] = []
    with db.transaction() as session:
        rows = session.execute(
            select(Coordinator.slack_user_id, Program)
            .join(Program, Program.id == Coordinator.program_id)
            .where(Coordinator.team_id == team_id)
        ).all()
        for user_id, program in rows:
            person = find_person(session, team_id, user_id)
            if person is None:  # never seen: `coordinators_never_synced` records them first
                continue
            week = outbox.digest_due(person.timezone, program_settings(program), now)
            new = outbox.plan_digest(session, program, person, week, now) if week else None
            if new is not None:
                due.append(new)
    return due
