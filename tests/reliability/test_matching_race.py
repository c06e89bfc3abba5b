"""Races between two processes, on SQLite and PostgreSQL: two mentees asking for a mentor's
last slot at the same moment, a double Accept, and two sweeps expiring the same request. Each
process has its own database connection; exactly one of them wins each race."""

from __future__ import annotations

import multiprocessing
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from core.kernel.clock import FakeClock
from core.kernel.db import Database
from core.matchmaking import service as svc
from core.matchmaking.models import MentorRequest, Pair
from tests import race_worker
from tests.matching_data import HEADER, TEAM, seed

PEOPLE = HEADER + (
    "U_M1,Mia One,,Ops,Lead,mentor,,public-speaking,1,Europe/London,en,either\n"
    "U_A,Al Ash,,Eng,Engineer,mentee,public-speaking,,,Europe/London,en,either\n"
    "U_B,Bo Birch,,Eng,Engineer,mentee,public-speaking,,,Europe/London,en,either\n"
    "U_M2,Max Two,,Ops,Lead,mentor,,security,1,Europe/London,en,either\n"
    "U_C,Cal Cedar,,Eng,Engineer,mentee,security,,,Europe/London,en,either\n"
    "U_M3,Meg Three,,Ops,Lead,mentor,,writing,1,Europe/London,en,either\n"
    "U_D,Dot Dale,,Eng,Engineer,mentee,writing,,,Europe/London,en,either\n"
)


def shortlist(db: Database, clock: FakeClock, user: str) -> svc.ShortlistOutcome:
    with db.transaction() as session:
        outcome = svc.shortlist_for_user(session, TEAM, user, clock)
    assert outcome is not None and outcome.shortlist_id is not None
    return outcome


def ask(db: Database, clock: FakeClock, user: str) -> int:
    listed = shortlist(db, clock, user)
    with db.transaction() as session:
        made = svc.request_mentor(
            session,
            team_id=TEAM,
            user_id=user,
            shortlist_id=listed.shortlist_id or 0,
            mentor_id=listed.candidates[0].mentor.participation_id,
            clock=clock,
        )
    assert made.status == "ok" and made.request_id is not None
    return made.request_id


def test_two_processes_race_and_exactly_one_wins_each_time(
    database_url: str, db: Database, clock: FakeClock
) -> None:
    seed(db, clock, PEOPLE)
    a, b = shortlist(db, clock, "U_A"), shortlist(db, clock, "U_B")
    mia = a.candidates[0].mentor.participation_id
    assert b.candidates[0].mentor.participation_id == mia  # both were offered Mia's one slot
    to_accept = ask(db, clock, "U_C")
    to_expire = ask(db, clock, "U_D")
    now = clock.now().isoformat()
    later = (clock.now() + timedelta(days=7)).isoformat()

    def steps(user: str, listed: svc.ShortlistOutcome) -> list[tuple[str, dict[str, Any]]]:
        return [
            (
                "request",
                {
                    "now": now,
                    "team_id": TEAM,
                    "user_id": user,
                    "shortlist_id": listed.shortlist_id,
                    "mentor_id": mia,
                },
            ),
            ("accept", {"now": now, "team_id": TEAM, "user_id": "U_M2", "request_id": to_accept}),
            ("expire", {"now": later, "request_id": to_expire}),
        ]

    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    results = ctx.Queue()
    workers = [
        ctx.Process(
            target=race_worker.run, args=(database_url, user, steps(user, listed), barrier, results)
        )
        for user, listed in (("U_A", a), ("U_B", b))
    ]
    for worker in workers:
        worker.start()
    outcomes: dict[str, list[str]] = {"request": [], "accept": [], "expire": []}
    for _ in range(6):
        op, _name, status = results.get(timeout=120)
        outcomes[op].append(status)
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0

    assert sorted(outcomes["request"]) == ["ok", "taken"], outcomes
    assert sorted(outcomes["accept"]) == ["accepted", "already_answered"], outcomes
    assert sorted(outcomes["expire"]) == ["expired", "none"], outcomes
    with db.transaction() as session:
        pending_for_mia = session.scalar(
            select(func.count())
            .select_from(MentorRequest)
            .where(MentorRequest.mentor_id == mia, MentorRequest.status == "pending")
        )
        pairs = session.scalars(select(Pair.request_id)).all()
        expired = session.get(MentorRequest, to_expire)
    assert pending_for_mia == 1
    assert pairs == [to_accept]
    assert expired is not None and expired.status == "expired"
