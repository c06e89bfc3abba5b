"""Benchmark of the scheduler sweep on PostgreSQL (core/messaging/planner.py, core/messaging/ledger.py).

Run: ``.venv/bin/python -m benchmarks.bench_sweep`` (``--help`` for options).

Builds a database of its own (``mentorbot_bench_sweep``, dropped afterwards) with 100,000
active pairs whose agreements are confirmed, 10,000 of them due a meeting nudge now (20,000
nudges: each person of a due pair gets one). Then times:

- plan: finding what is due among the 100,000 pairs and inserting the ledger rows;
- claim: claiming every due nudge into its recipient's message of the day (in chunks, with
  SELECT ... FOR UPDATE SKIP LOCKED and a lease), the target being under 2 s;
- a naive baseline measured in the same run: the same claim one row per transaction, on a
  sample of the rows (it is too slow to do all of them), extrapolated per row.

``--exactly-once`` also runs the multi-process exactly-once test at full size (10,000 nudges,
3 processes, and the SIGKILL variant), which is too slow for the regular test suite.

Needs PostgreSQL: ``MENTORBOT_BENCH_DATABASE_URL`` or ``MENTORBOT_TEST_DATABASE_URL`` (default
postgresql+psycopg://postgres@127.0.0.1:5432/test; only its server is used).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import OperationalError

from benchmarks.sweep_data import drop_database, recreate_database, seed_pairs
from core.kernel.clock import FakeClock
from core.kernel.db import Database
from core.messaging.ledger import Ledger
from core.messaging.models import DIGEST, Delivery
from core.messaging.planner import Planner

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 3, 16, 10, 0, tzinfo=UTC)  # Monday, 10:00 in London
DB_NAME = "mentorbot_bench_sweep"


def base_url() -> str:
    return (
        os.environ.get("MENTORBOT_BENCH_DATABASE_URL")
        or os.environ.get("MENTORBOT_TEST_DATABASE_URL")
        or "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )


def reset_claims(db: Database) -> None:
    """Undo claims: back to freshly planned items, no messages."""
    with db.transaction() as session:
        session.execute(
            update(Delivery)
            .where(Delivery.kind != DIGEST)
            .values(message_id=None, claimed_by=None, claimed_until=None)
        )
        session.execute(delete(Delivery).where(Delivery.kind == DIGEST))


def claim_all(ledger: Ledger, chunk: int, mark: int) -> tuple[int, int, float, float | None]:
    """Claim until nothing is left. Returns (messages, items, seconds, seconds until `mark`
    items had been claimed)."""
    messages = items = 0
    at_mark = None
    started = time.perf_counter()
    while True:
        claimed = ledger.claim(chunk)
        if not claimed:
            break
        messages += len(claimed)
        items += sum(len(m.items) for m in claimed)
        if at_mark is None and items >= mark:
            at_mark = time.perf_counter() - started
    return messages, items, time.perf_counter() - started, at_mark


def _naive_seconds_per_row(db: Database, clock: FakeClock, sample: int) -> float:
    """The baseline: claim one row per transaction, `sample` times; the claims are undone."""
    naive = Ledger(db, clock, worker="naive", lease=timedelta(minutes=5))
    started = time.perf_counter()
    for _ in range(sample):
        naive.claim(1)
    per_row = (time.perf_counter() - started) / sample
    reset_claims(db)
    return per_row


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_sweep")
    parser.add_argument("--pairs", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=10_000, help="pairs due a nudge now")
    parser.add_argument("--chunk", type=int, default=1000, help="rows claimed per transaction")
    parser.add_argument("--naive-sample", type=int, default=1000)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    parser.add_argument(
        "--exactly-once", action="store_true", help="also run the 10,000-nudge multi-process test"
    )
    args = parser.parse_args(argv)

    try:
        url = recreate_database(base_url(), DB_NAME)
    except OperationalError as exc:
        print(f"bench_sweep needs PostgreSQL ({base_url()}): {type(exc).__name__}")
        return 1
    db = Database(url, pool_size=2)
    try:
        started = time.perf_counter()
        seed_pairs(db, pairs=args.pairs, due=args.due, now=NOW)
        print(
            f"seeded {args.pairs:,} active pairs ({args.due:,} due) in {time.perf_counter() - started:.1f} s"
        )
        clock = FakeClock(NOW)

        started = time.perf_counter()
        stats = Planner(db, clock, batch=args.chunk).plan()
        plan_s = time.perf_counter() - started
        with db.transaction() as session:
            due_items = session.scalar(select(func.count()).select_from(Delivery)) or 0
        print(
            f"plan:  {plan_s:.3f} s  ({stats.counts.get('meeting_nudge', 0):,} nudges planned from {args.pairs:,} pairs)"
        )
        if due_items != 2 * args.due:
            print(f"expected {2 * args.due} planned nudges, found {due_items}")
            return 1

        # Naive baseline first, on a sample: one row per transaction.
        sample = min(args.naive_sample, due_items)
        naive_per_row = _naive_seconds_per_row(db, clock, sample)

        ledger = Ledger(db, clock, worker="bench", lease=timedelta(minutes=5))
        messages, items, claim_s, first_s = claim_all(ledger, args.chunk, args.due)
        if (messages, items) != (due_items, due_items):
            print(f"claimed {messages} messages with {items} items, expected {due_items} of each")
            return 1
        naive_total = naive_per_row * due_items
        if first_s is not None and args.due < due_items:
            print(f"claim: {first_s:.3f} s for the first {args.due:,} nudges")
        print(
            f"claim: {claim_s:.3f} s for all {due_items:,} nudges into {messages:,} messages "
            f"(chunks of {args.chunk}; {due_items / claim_s:,.0f} rows/s)"
            f"  target < 2 s: {'met' if claim_s < 2 else 'MISSED'}"
        )
        print(
            f"naive: {naive_per_row * 1000:.2f} ms per row, row by row ({sample:,} rows measured;"
            f" all {due_items:,} would take ~{naive_total:.1f} s)"
        )
        print(f"ratio: chunked claim is {naive_total / claim_s:.0f}x faster than row by row")
        print(f"plan + claim: {plan_s + claim_s:.3f} s")
    finally:
        db.dispose()
        if not args.keep:
            drop_database(base_url(), DB_NAME)

    if args.exactly_once:
        env = {
            **os.environ,
            "MENTORBOT_SWEEP_NUDGES": "10000",
            "MENTORBOT_TEST_DATABASE_URL": os.environ.get("MENTORBOT_TEST_DATABASE_URL")
            or base_url(),
        }
        started = time.perf_counter()
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "tests/reliability/test_sweep_exactly_once.py",
            ],
            cwd=ROOT,
            env=env,
        )
        print(
            f"exactly-once, 10,000 nudges x 3 processes (+ SIGKILL run): {'passed' if result.returncode == 0 else 'FAILED'} in {time.perf_counter() - started:.0f} s"
        )
        return result.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
