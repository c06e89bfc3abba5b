"""Issue #12, case 8: the first requests of a new workspace arrive at once.

Several processes (each with its own connection), and several threads of one process, ask for
a new workspace's default program at the same moment, on SQLite and PostgreSQL. Each lookup
that finds no workspace yet is slowed down, so every worker has read "not there" before any
of them adds it. All of them succeed (no unique violation, so no 500 and no lost reply) and
exactly one workspace and one default program exist."""

from __future__ import annotations

import multiprocessing
import threading
import time
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.kernel.clock import FakeClock
from core.kernel.db import Database
from core.programs.models import Program, Workspace
from core.programs.service import default_program

WORKERS = 4
ROUNDS = 3
PAUSE = 0.3
NOW = "2026-03-02T09:00:00+00:00"


def slow_first_lookups() -> None:
    """Make "no such workspace yet" take a while, so the workers' transactions overlap."""
    original = Session.get

    def slow_get(self: Session, entity: Any, ident: Any, **kwargs: Any) -> Any:
        found = original(self, entity, ident, **kwargs)
        if entity is Workspace and found is None:
            time.sleep(PAUSE)
        return found

    Session.get = slow_get  # type: ignore[method-assign]


def first_request(db: Database, team_id: str) -> str:
    try:
        with db.transaction() as session:
            program = default_program(session, team_id, FakeClock(datetime.fromisoformat(NOW)))
            return f"ok {program.team_id}"
    except Exception as exc:  # reported to the test, which fails on it
        return f"error {type(exc).__name__}: {exc}"


def worker(url: str, teams: list[str], barrier: Any, results: Any) -> None:
    slow_first_lookups()
    db = Database(url)
    try:
        for team_id in teams:
            barrier.wait(timeout=60)
            results.put(first_request(db, team_id))
    finally:
        db.dispose()


def counts(db: Database, teams: list[str]) -> tuple[int, int]:
    with db.transaction() as session:
        workspaces = session.scalar(
            select(func.count()).select_from(Workspace).where(Workspace.team_id.in_(teams))
        )
        programs = session.scalar(
            select(func.count())
            .select_from(Program)
            .where(Program.team_id.in_(teams), Program.is_default.is_(True))
        )
    return int(workspaces or 0), int(programs or 0)


def test_processes_hitting_a_new_workspace_at_once_all_succeed(
    database_url: str, db: Database
) -> None:
    teams = [f"T_NEW_P{i}" for i in range(ROUNDS)]
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(WORKERS)
    results = ctx.Queue()
    procs = [
        ctx.Process(target=worker, args=(database_url, teams, barrier, results))
        for _ in range(WORKERS)
    ]
    for proc in procs:
        proc.start()
    outcomes = [results.get(timeout=120) for _ in range(WORKERS * ROUNDS)]
    for proc in procs:
        proc.join(timeout=60)
        assert proc.exitcode == 0
    assert sorted(outcomes) == sorted(f"ok {t}" for t in teams for _ in range(WORKERS)), outcomes
    assert counts(db, teams) == (ROUNDS, ROUNDS)


def test_threads_hitting_a_new_workspace_at_once_all_succeed(
    database_url: str, db: Database, monkeypatch: Any
) -> None:
    original = Session.get
    monkeypatch.setattr(Session, "get", original)  # restored after the test
    slow_first_lookups()
    teams = [f"T_NEW_T{i}" for i in range(ROUNDS)]
    barrier = threading.Barrier(WORKERS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def run() -> None:
        for team_id in teams:
            barrier.wait(timeout=60)
            outcome = first_request(db, team_id)
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(outcomes) == sorted(f"ok {t}" for t in teams for _ in range(WORKERS)), outcomes
    assert counts(db, teams) == (ROUNDS, ROUNDS)
