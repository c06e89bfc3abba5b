"""Everyone's own `/mentoring` help and status, as use cases (one transaction each)."""

from __future__ import annotations

from core.coordination.service import coordinated_programs
from core.kernel.clock import Clock
from core.kernel.db import Database
from core.self_service.service import Status, my_status


def coordinated_program_names(db: Database, team_id: str, user_id: str) -> list[str]:
    """The programs the person coordinates (the help then lists coordinator commands)."""
    with db.reading() as session:
        return [p.name for p in coordinated_programs(session, team_id, user_id)]


def status(db: Database, team_id: str, user_id: str, clock: Clock) -> Status:
    """The person's own participation: programs, pairs, requests and next steps."""
    with db.transaction() as session:
        return my_status(session, team_id, user_id, clock)
