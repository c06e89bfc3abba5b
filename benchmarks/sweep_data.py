"""Bulk data for the sweep benchmark and the multi-process exactly-once test (PostgreSQL):
a database of its own, and N active pairs with confirmed agreements, some of them due a
meeting nudge. Rows are made with INSERT ... SELECT FROM generate_series (100,000 pairs in a
few seconds)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from core.kernel.db import Database
from core.kernel.migrate import upgrade

TEAM = "T0001"


def database_url(base_url: str, name: str) -> str:
    return make_url(base_url).set(database=name, query={}).render_as_string(hide_password=False)


def recreate_database(base_url: str, name: str) -> str:
    """Drop and create the database `name` on the server of `base_url`; migrate it."""
    admin = create_engine(database_url(base_url, "postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = database_url(base_url, name)
    db = Database(url)
    upgrade(db.engine)
    db.dispose()
    return url


def drop_database(base_url: str, name: str) -> None:
    admin = create_engine(database_url(base_url, "postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def user_id(person_id: int) -> str:
    return f"U{person_id:08d}"


def seed_pairs(
    db: Database, *, pairs: int, due: int, now: datetime, tz: str = "Europe/London"
) -> list[str]:
    """`pairs` active pairs (mentee 2i-1, mentor 2i) whose agreement is active; the first
    `due` are due a meeting nudge at `now`, the others later in their fortnight. Returns the
    Slack ids of everyone due a nudge."""
    if due > pairs:
        raise ValueError("due must not exceed pairs")
    people = 2 * pairs
    params = {
        "team": TEAM,
        "tz": tz,
        "now": now,
        "agreed": now - timedelta(days=14),
        "ends": now + timedelta(days=150),
        "checkin": now + timedelta(days=16),
        "due_at": now - timedelta(minutes=1),
        "people": people,
        "pairs": pairs,
        "due": due,
    }
    statements = [
        "INSERT INTO workspaces (team_id, name, installed_at) VALUES (:team, 'Bench', :now)",
        "INSERT INTO programs (id, team_id, name, is_default, settings, created_at)"
        " VALUES (1, :team, 'Mentoring program', true, '{}', :now)",
        "INSERT INTO people (id, team_id, slack_user_id, display_name, timezone, unreachable,"
        " created_at, updated_at)"
        " SELECT g, :team, 'U' || lpad(g::text, 8, '0'), 'Person ' || g, :tz, false, :now, :now"
        " FROM generate_series(1, :people) AS g",
        "INSERT INTO participations (id, team_id, program_id, person_id, is_mentee, is_mentor,"
        " status, capacity, meeting_format, languages, confidentiality_ack_at,"
        " profile_confirmed_at, created_at, updated_at)"
        " SELECT g, :team, 1, g, g % 2 = 1, g % 2 = 0, 'active', g % 2, 'remote', '[]',"
        " :now, :now, :now, :now FROM generate_series(1, :people) AS g",
        "INSERT INTO pairs (id, team_id, program_id, mentee_id, mentor_id, status, created_at)"
        " SELECT g, :team, 1, 2 * g - 1, 2 * g, 'active', :agreed"
        " FROM generate_series(1, :pairs) AS g",
        "INSERT INTO agreements (id, team_id, pair_id, status, version, goals, cadence,"
        " meeting_format, duration_months, proposed_at, mentee_confirmed_at,"
        " mentor_confirmed_at, activated_at, updated_at)"
        " SELECT g, :team, g, 'active', 1,"
        ' \'[{"title": "Public speaking", "success": "Speak without notes"}]\','
        " 'biweekly', 'remote', 6, :agreed, :agreed, :agreed, :agreed, :agreed"
        " FROM generate_series(1, :pairs) AS g",
        "INSERT INTO relationships (id, team_id, pair_id, program_id, created_at, active_since,"
        " cadence_days, ends_at, next_meeting_nudge_at, meeting_epoch, next_checkin_at,"
        " checkin_seq)"
        " SELECT g, :team, g, 1, :agreed, :agreed, 14, :ends,"
        " CASE WHEN g <= :due THEN CAST(:due_at AS timestamptz)"
        " ELSE CAST(:now AS timestamptz) + (g % 13 + 1) * interval '1 day' END,"
        " 1, :checkin, 0 FROM generate_series(1, :pairs) AS g",
    ]
    with db.engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement), params)
        for table in (
            "programs",
            "people",
            "participations",
            "pairs",
            "agreements",
            "relationships",
        ):
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                )
            )
        conn.execute(text("ANALYZE"))
    return [user_id(p) for p in range(1, 2 * due + 1)]


def make_due(db: Database, *, due: int, now: datetime) -> None:
    """Back to a freshly seeded state with `due` pairs due a meeting nudge at `now` (the
    others later in their fortnight): the ledger emptied, the timers set again."""
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM deliveries"))
        conn.execute(
            text(
                "UPDATE relationships SET next_meeting_nudge_at = CASE WHEN id <= :due"
                " THEN CAST(:due_at AS timestamptz)"
                " ELSE CAST(:now AS timestamptz) + (id % 13 + 1) * interval '1 day' END"
            ),
            {"due": due, "due_at": now - timedelta(minutes=1), "now": now},
        )
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE deliveries"))
        conn.execute(text("VACUUM ANALYZE relationships"))
