"""Helpers for the coordinator, self-service and lifecycle journeys: people who have joined
(set up through the same core services onboarding uses), the first coordinator (set the way
an operator does, with the CLI), and a look into every table."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select, text

from bot.cli import main as cli
from core.kernel.schema import metadata
from core.onboarding.service import ensure_participation
from core.people.directory import SlackProfile, upsert_person
from core.people.models import Participation, Person
from core.people.profiles import GoalInput, ProfileForm, save_profile
from core.programs.service import default_program, program_settings
from sandbox.harness import BotUnderTest

TEAM = "T0001"


def join(
    slack: BotUnderTest,
    user_id: str,
    name: str,
    *,
    role: str = "mentee",
    goals: Iterable[str] = ("public-speaking",),
    expertise: Iterable[str] = ("system-design",),
    success: str | None = None,
    notes: str | None = None,
    manager: str | None = None,
    tz: str = "Europe/London",
) -> None:
    """`user_id` has joined the default program with a confirmed profile."""
    if slack.fake.user(user_id) is None:
        slack.add_person(user_id, name.lower().split()[0], real_name=name, tz=tz)
    clock = slack.app.clock
    with slack.app.db.transaction() as session:
        program = default_program(session, TEAM, clock)
        person = upsert_person(
            session, TEAM, SlackProfile(user_id, name, timezone=tz), user_id, clock
        )
        person.manager_slack_id = manager
        participation = ensure_participation(session, person, program, clock)
        mentee = role in ("mentee", "both")
        mentor = role in ("mentor", "both")
        form = ProfileForm(
            role=role,
            goals=[GoalInput(g, success, 1) for g in goals] if mentee else [],
            expertise=list(expertise) if mentor else [],
            capacity=2 if mentor else None,
            meeting_format="either",
            languages=["en"],
            notes=notes,
            confidentiality_ack=True,
        )
        save_profile(session, participation, form, program_settings(program), clock, confirm=True)


def make_coordinator(
    slack: BotUnderTest, user_id: str, monkeypatch: Any, program: str | None = None
) -> None:
    """Set a coordinator the way an operator does: `mentorbot coordinators add`."""
    if slack.fake.user(user_id) is None:
        slack.add_person(user_id, user_id.lower())
    monkeypatch.setenv("DATABASE_URL", slack.database_url)
    args = ["coordinators", "add", user_id, "--team", TEAM]
    if program:
        args += ["--program", program]
    assert cli(args) == 0


def participation(slack: BotUnderTest, user_id: str) -> Participation | None:
    with slack.app.db.transaction() as session:
        return session.scalars(
            select(Participation)
            .join(Person, Person.id == Participation.person_id)
            .where(Person.slack_user_id == user_id)
        ).first()


def every_row(slack: BotUnderTest) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, as tuples of strings."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with slack.app.db.engine.connect() as conn:
        for table in metadata.sorted_tables:
            rows = conn.execute(text(f'SELECT * FROM "{table.name}"')).all()
            out[table.name] = [tuple(str(v) for v in row) for row in rows]
    return out


def rows_mentioning(slack: BotUnderTest, *needles: str) -> list[str]:
    """`table: row` for every row holding any of the strings (in any column, JSON included)."""
    found = []
    for table, rows in every_row(slack).items():
        for row in rows:
            if any(needle in value for needle in needles for value in row):
                found.append(f"{table}: {row}")
    return found


def ephemeral_texts(slack: BotUnderTest, user_id: str) -> list[str]:
    """Everything the bot showed a person in their DM (messages and command replies)."""
    return [
        (m.text or "") + " " + str(m.blocks or "")
        for m in slack.fake.dm_messages(user_id)
        if m.user != user_id
    ]


def last_reply(slack: BotUnderTest, user_id: str) -> str:
    texts = ephemeral_texts(slack, user_id)
    return texts[-1] if texts else ""


def rows_referencing(
    slack: BotUnderTest, person_ids: set[int], participation_ids: set[int]
) -> list[str]:
    """Rows in any table whose foreign keys point at these people or participations."""
    found = []
    wanted = {"people": person_ids, "participations": participation_ids}
    with slack.app.db.engine.connect() as conn:
        for table in metadata.sorted_tables:
            for fk in table.foreign_keys:
                ids = wanted.get(fk.column.table.name)
                if fk.column.name == "id" and ids:
                    rows = conn.execute(select(table).where(fk.parent.in_(ids))).all()
                    found += [f"{table.name}.{fk.parent.name}: {row}" for row in rows]
            if table.name in wanted and wanted[table.name]:
                rows = conn.execute(select(table).where(table.c.id.in_(wanted[table.name]))).all()
                found += [f"{table.name}: {row}" for row in rows]
    return found
