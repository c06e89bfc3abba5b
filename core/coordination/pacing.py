"""Paced messages a coordinator starts, as use cases: invitations and announcements are queued
(audited with the coordinator's action), claimed in batches for sending and settled once each;
the Monday digest is claimed once per coordinator, program and week, then marked.

The Slack side only sends; what is due, to whom, and what a delivery came to is kept here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from core.coordination.console import ProgramRef, audit, ref, row
from core.coordination.models import Coordinator
from core.kernel.clock import Clock
from core.kernel.db import Database
from core.messaging import outbox
from core.people.directory import find_person
from core.programs.lifecycle import workspace_active
from core.programs.models import Program, Workspace
from core.programs.service import program_settings

SENT, LATER, RETRY, FAILED = "sent", "later", "retry", "failed"  # what a delivery came to


@dataclass(frozen=True)
class Invited:
    queued: int
    skipped: int


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
        invitation, queued, skipped = outbox.create_invitation(
            session, row(session, program), people, by=user_id, clock=clock
        )
        audit(session, clock, program, user_id, "invite", targets + [f"invitation:{invitation.id}"])
    return Invited(queued, skipped)


@dataclass(frozen=True)
class Announced:
    """How many people an announcement goes to, or why it cannot be sent (e.g. too long)."""

    count: int = 0
    problem: outbox.OutboxError | None = None


def announce(db: Database, clock: Clock, program: ProgramRef, user_id: str, body: str) -> Announced:
    """Queue an announcement to the program's participants."""
    try:
        with db.transaction() as session:
            announcement, count = outbox.create_announcement(
                session, row(session, program), body, by=user_id, clock=clock
            )
            audit(session, clock, program, user_id, "announce", [f"announcement:{announcement.id}"])
    except outbox.OutboxError as exc:
        return Announced(problem=exc)
    return Announced(count)


def claim_outbox(db: Database, clock: Clock, team_id: str, limit: int) -> list[outbox.Claimed]:
    """The next batch to send (nothing while the workspace is not active)."""
    with db.transaction() as session:
        if not workspace_active(session, team_id):
            return []
        return outbox.claim_due(session, team_id, clock, limit=limit)


def invitation_hold(
    db: Database, clock: Clock, program_id: int, user_id: str, user: Mapping[str, Any]
) -> str | None:
    """Whether an invitation may go to this Slack user (`users.info`) now: FAILED for a bot,
    a deleted account or Slackbot; LATER outside the program's working hours in their time
    zone; None to send it."""
    if user.get("is_bot") or user.get("deleted") or user_id == "USLACKBOT":
        return FAILED
    with db.transaction() as session:
        settings = program_settings(session.get(Program, program_id))
    if not outbox.within_working_hours(user.get("tz"), settings, clock.now()):
        return LATER
    return None


def settle_delivery(db: Database, clock: Clock, delivery_id: int, result: str) -> None:
    """Record what a claimed delivery came to: sent, later (released for another batch),
    retry or failed."""
    with db.transaction() as session:
        if result == SENT:
            outbox.mark_sent(session, delivery_id, clock)
        elif result == LATER:
            outbox.release(session, delivery_id)
        else:
            outbox.mark_failed(session, delivery_id, clock, retry=result == RETRY)


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


@dataclass(frozen=True)
class DueDigest:
    program: ProgramRef
    user_id: str
    week: str


def claim_digests(db: Database, clock: Clock, team_id: str) -> list[DueDigest]:
    """Claim the digests due now: each coordinator's, per program, on their Monday morning,
    once a week."""
    now = clock.now()
    due: list[DueDigest] = []
    with db.transaction() as session:
        rows = session.execute(
            select(Coordinator.slack_user_id, Program)
            .join(Program, Program.id == Coordinator.program_id)
            .where(Coordinator.team_id == team_id)
        ).all()
        for user_id, program in rows:
            person = find_person(session, team_id, user_id)
            week = outbox.digest_due(
                person.timezone if person is not None else None, program_settings(program), now
            )
            if week and outbox.claim_digest(session, program, user_id, week, clock):
                due.append(DueDigest(ref(program), user_id, week))
    return due


def mark_digest(db: Database, clock: Clock, due: DueDigest, *, sent: bool) -> None:
    with db.transaction() as session:
        outbox.mark_digest(session, due.program.id, due.user_id, due.week, clock, sent=sent)
