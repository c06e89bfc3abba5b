"""Importing people from a CSV file, as a use case that opens its own transaction."""

from __future__ import annotations

from core.kernel.clock import Clock
from core.kernel.db import Database
from core.people.importer import ImportResult, import_people


def import_people_file(
    db: Database, data: bytes, *, team_id: str | None, program_name: str | None, clock: Clock
) -> ImportResult:
    """Check the whole file, then upsert everyone in it, all in one transaction: any problem
    raises `core.people.importer.ImportFailed` and nothing is written."""
    with db.transaction() as session:
        return import_people(session, data, team_id=team_id, program_name=program_name, clock=clock)
