"""What coordinators read, as use cases: stats, the unmatched and at-risk lists, the audit
trail, the CSV export, the daily snapshots and the weekly digest's figures.

Each opens its own transaction on a program the caller was authorised for
(`console.authorize`) and audits the reading in it (reports show status and aggregates only,
see `core.coordination.reports`).
"""

from __future__ import annotations

from dataclasses import dataclass

from core.coordination import reports
from core.coordination import service as co
from core.coordination.console import ProgramRef, audit, row
from core.coordination.models import OUTCOME_OK, OUTCOME_REFUSED, AuditEvent
from core.kernel.clock import Clock
from core.kernel.db import Database


def stats(
    db: Database, clock: Clock, program: ProgramRef, user_id: str, action: str
) -> reports.Stats:
    with db.transaction() as session:
        data = reports.compute_stats(session, row(session, program), clock)
        audit(session, clock, program, user_id, action)
    return data


def people_list(
    db: Database, clock: Clock, program: ProgramRef, user_id: str, kind: str
) -> list[reports.Listed]:
    """`kind`: "unmatched" or "at_risk" (also the audited action)."""
    with db.transaction() as session:
        found = row(session, program)
        if kind == "unmatched":
            items = reports.unmatched(session, found, clock)
        else:
            items = reports.at_risk(session, found, clock)
        audit(session, clock, program, user_id, kind)
    return items


def on_list(
    db: Database,
    clock: Clock,
    program: ProgramRef,
    user_id: str,
    kind: str,
    person: str,
    action: str,
) -> tuple[reports.Listed | None, list[reports.Listed]]:
    """A coordinator's action on one row of the `kind` list ("unmatched" or "at_risk"): the
    row if `person` is on the list now (else None: the list moved on, or a forged button)
    and the list as it is now, with the attempt audited as `action`."""
    with db.transaction() as session:
        found = row(session, program)
        items = (
            reports.unmatched(session, found, clock)
            if kind == "unmatched"
            else reports.at_risk(session, found, clock)
        )
        hit = next((i for i in items if person in (i.user_id, i.other_user_id)), None)
        outcome = OUTCOME_OK if hit is not None else OUTCOME_REFUSED
        audit(session, clock, program, user_id, action, [person], outcome=outcome)
    return hit, items


def audit_trail(db: Database, clock: Clock, program: ProgramRef, user_id: str) -> list[AuditEvent]:
    """The program's recent audit events (the reading itself is audited after them)."""
    with db.transaction() as session:
        events = co.recent_audit(session, [program.id])
        audit(session, clock, program, user_id, "audit")
    return events


@dataclass(frozen=True)
class Export:
    participants: str  # CSV
    pairs: str  # CSV


def export(db: Database, clock: Clock, program: ProgramRef, user_id: str) -> Export:
    with db.transaction() as session:
        found = row(session, program)
        people = reports.export_participants(session, found, clock)
        pairs = reports.export_pairs(session, found)
        audit(session, clock, program, user_id, "export")
    return Export(people, pairs)


def take_snapshots(db: Database, clock: Clock, team_id: str) -> None:
    """Today's figures of each of the workspace's programs (for the digest's history)."""
    with db.transaction() as session:
        for program in co.list_programs(session, team_id):
            reports.take_snapshot(session, program, clock)


def digest(db: Database, clock: Clock, program: ProgramRef) -> reports.Digest:
    with db.transaction() as session:
        return reports.digest(session, row(session, program), clock)
