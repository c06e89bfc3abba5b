"""Benchmark of `mentorbot people import` (core/people/importer.py).

Run: ``.venv/bin/python -m benchmarks.bench_import`` (``--help`` for options).

Generates seeded CSV files like the one in docs/import.md (``--rows`` people, four in five
taking part, three goals or four areas of expertise each, reporting trees five wide) and
times the import through its public entry, ``core.people.importer.import_people`` in one
transaction, exactly as the command runs it (the file's bytes in, one commit):

- first import: everyone new;
- the same file again: nothing changes, nothing is written;
- a different file: most people's roles, goals, expertise and managers change;
- scaling: the first import of a tenth of the rows, per row, against the full size;
- a naive baseline measured in the same run: the same service called once per person, each
  row in its own transaction, on a small sample (``--naive-sample``) of a fresh database,
  extrapolated per row.

Backends: SQLite (a temporary file) always; PostgreSQL too when
``MENTORBOT_BENCH_DATABASE_URL`` or ``MENTORBOT_TEST_DATABASE_URL`` is set (a database of its
own, ``mentorbot_bench_import``, on that server, dropped afterwards). ``--backend`` picks one.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from benchmarks.bench_matching import table
from benchmarks.common import status_kib
from core.kernel.clock import FakeClock
from core.kernel.db import Database
from core.kernel.migrate import upgrade
from core.people.importer import ImportResult, import_people
from core.people.models import Person

TEAM = "T0BENCH"
DB_NAME = "mentorbot_bench_import"
COMPETENCIES = (
    "public-speaking",
    "writing",
    "stakeholder-management",
    "negotiation",
    "hiring",
    "delegation",
    "security",
    "system-design",
    "data-analysis",
    "career-planning",
)
HEADER = "slack_user_id,name,manager,department,roles,goals,expertise,capacity,timezone,languages\n"
ROLES = ("mentee", "mentee", "mentor", "mentee;mentor", "")


def people_csv(rows: int, seed: int, *, width: int = 5) -> bytes:
    """`rows` people; person i reports to person (i - 1) // width (a tree `width` wide)."""
    rng = random.Random(seed)
    out = [HEADER]
    for i in range(rows):
        role = rng.choice(ROLES)
        goals = ";".join(rng.sample(COMPETENCIES, 3)) if "mentee" in role else ""
        areas = ";".join(rng.sample(COMPETENCIES, 4)) if "mentor" in role else ""
        manager = f"U{(i - 1) // width:07d}" if i else ""
        capacity = "2" if "mentor" in role else ""
        out.append(
            f"U{i:07d},Person {i},{manager},Dept {i % 50},{role},{goals},{areas},"
            f"{capacity},Europe/Berlin,en\n"
        )
    return "".join(out).encode("utf-8")


@dataclass
class Timed:
    seconds: float
    rss_growth_mib: float
    result: ImportResult


def timed_import(db: Database, data: bytes, clock: FakeClock) -> Timed:
    """One import, as the command runs it: one transaction, committed."""
    gc.collect()
    rss_start = status_kib("VmRSS")
    try:
        Path("/proc/self/clear_refs").write_text("5")  # reset the peak-RSS mark (Linux)
        reset = True
    except OSError:
        reset = False
    started = time.perf_counter()
    with db.transaction() as session:
        result = import_people(session, data, team_id=TEAM, program_name=None, clock=clock)
    seconds = time.perf_counter() - started
    hwm = status_kib("VmHWM")
    growth = (hwm - rss_start) / 1024 if reset and hwm and rss_start else float("nan")
    return Timed(seconds, growth, result)


def count_people(db: Database) -> int:
    with db.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(Person)) or 0)


class Backend:
    """A fresh, migrated, empty database per call of :meth:`fresh`."""

    def __init__(self, name: str, base_url: str | None, workdir: Path) -> None:
        self.name, self.base_url, self.workdir = name, base_url, workdir
        self.made = 0

    def fresh(self) -> Database:
        self.made += 1
        if self.base_url is None:
            path = self.workdir / f"import-{self.made}.db"
            url = f"sqlite:///{path}"
            db = Database(url)
            upgrade(db.engine)
            return db
        from benchmarks.sweep_data import recreate_database

        return Database(recreate_database(self.base_url, DB_NAME), pool_size=2)

    def cleanup(self) -> None:
        if self.base_url is not None and self.made:
            from benchmarks.sweep_data import drop_database

            with contextlib.suppress(OperationalError):
                drop_database(self.base_url, DB_NAME)


def naive_rate(backend: Backend, data: bytes, sample: int, clock: FakeClock) -> float:
    """Rows per second when each row is imported on its own, one transaction per row."""
    lines = data.decode("utf-8").splitlines(keepends=True)
    header, body = lines[0], lines[1 : sample + 1]
    db = backend.fresh()
    try:
        started = time.perf_counter()
        for line in body:
            with db.transaction() as session:
                one = (header + line).encode("utf-8")
                import_people(session, one, team_id=TEAM, program_name=None, clock=clock)
        return len(body) / (time.perf_counter() - started)
    finally:
        db.dispose()


def bench_backend(backend: Backend, args: argparse.Namespace) -> list[tuple[str, ...]]:
    clock = FakeClock()
    first = people_csv(args.rows, args.seed)
    other = people_csv(args.rows, args.seed + 1, width=4)  # new roles, goals and managers
    small = people_csv(max(1, args.rows // 10), args.seed)
    naive = naive_rate(backend, first, args.naive_sample, clock)

    db = backend.fresh()
    try:
        scaled = timed_import(db, small, clock)
    finally:
        db.dispose()
    db = backend.fresh()
    try:
        runs = [
            ("first import (everyone new)", timed_import(db, first, clock)),
            ("the same file again (nothing changes)", timed_import(db, first, clock)),
            ("a different file (most people change)", timed_import(db, other, clock)),
        ]
        people = count_people(db)
    finally:
        db.dispose()
    first_run = runs[0][1]
    if first_run.result.created != args.rows or people != args.rows:
        raise RuntimeError(f"expected {args.rows} people, the database has {people}")
    if runs[1][1].result.updated != 0:
        raise RuntimeError("importing the same file again changed people")

    size_mib = len(first) / 2**20
    print(
        f"[{backend.name}] {args.rows:,} rows ({size_mib:.1f} MiB): "
        f"{first_run.result.participants:,} participants, {first_run.result.confirmed:,} "
        f"confirmed profiles; naive baseline: {args.naive_sample} rows, one per transaction"
    )
    rows: list[tuple[str, ...]] = [
        ("", "time (s)", "rows/s", "vs naive", "RSS growth (MiB)", "updated")
    ]
    for label, run in runs:
        rate = args.rows / run.seconds
        rows.append(
            (
                label,
                f"{run.seconds:.2f}",
                f"{rate:,.0f}",
                f"{rate / naive:.0f}x",
                f"{run.rss_growth_mib:.0f}",
                f"{run.result.updated:,}",
            )
        )
    small_rows = max(1, args.rows // 10)
    rows.append(
        (
            f"first import of {small_rows:,} rows",
            f"{scaled.seconds:.2f}",
            f"{small_rows / scaled.seconds:,.0f}",
            f"{small_rows / scaled.seconds / naive:.0f}x",
            f"{scaled.rss_growth_mib:.0f}",
            "",
        )
    )
    rows.append(
        (
            f"naive, one row per transaction ({args.naive_sample} rows)",
            "",
            f"{naive:,.0f}",
            "1x",
            "",
            "",
        )
    )
    print(table(rows))
    per_row_ratio = (first_run.seconds / args.rows) / (scaled.seconds / small_rows)
    print(
        f"time per row, {args.rows:,} rows vs {small_rows:,}: {per_row_ratio:.2f} (1.00 = linear)"
    )
    return rows


def postgres_url() -> str | None:
    return (
        os.environ.get("MENTORBOT_BENCH_DATABASE_URL")
        or os.environ.get("MENTORBOT_TEST_DATABASE_URL")
        or None
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_import",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--rows", type=int, default=50_000, help="people in the file")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--naive-sample", type=int, default=200, help="rows of the baseline")
    parser.add_argument(
        "--backend",
        choices=("auto", "sqlite", "postgresql"),
        default="auto",
        help="auto: SQLite, and PostgreSQL too when a URL is set",
    )
    args = parser.parse_args(argv)
    if args.rows < 10 or args.naive_sample < 1:
        parser.error("--rows must be at least 10 and --naive-sample at least 1")

    pg = postgres_url()
    names = {"auto": ["sqlite", *(["postgresql"] if pg else [])]}.get(args.backend, [args.backend])
    if "postgresql" in names and pg is None:
        pg = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    status = 0
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        for name in names:
            backend = Backend(name, pg if name == "postgresql" else None, Path(tmp))
            try:
                bench_backend(backend, args)
            except OperationalError as exc:
                print(f"[{name}] cannot use the database: {type(exc).__name__}: {exc.orig}")
                status = 1
            finally:
                backend.cleanup()
    return status


if __name__ == "__main__":
    sys.exit(main())
