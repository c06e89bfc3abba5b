"""Benchmark of the scheduler sweep on PostgreSQL (core/messaging/planner.py, claim.py).

Run: ``python -m benchmarks sweep`` or ``python -m benchmarks.bench_sweep`` (``--help``).

Builds a database of its own (``mentorbot_bench_sweep``, dropped afterwards) with 100,000
active pairs whose agreements are confirmed, and times, each beside a baseline measured in the
same run on the same table:

- 20,000 due messages (10,000 pairs due a meeting nudge, each person gets one), one process:
  plan (find what is due among the 100,000 pairs, insert the ledger rows) + claim (every item
  into its recipient's message of the day, with a lease). Target: under 2 s.
- 100,000 due messages (50,000 pairs due), one process, the same.
- 100,000 due messages, 3 OS processes planning and claiming together
  (``benchmarks/sweep_claimer.py``); every item must be claimed exactly once. Target: under 5 s.

The baseline is the least the database must write for the same number of messages, as bare
set-based SQL in one transaction: INSERT ... SELECT of N item rows, one UPDATE moving the N/2
pairs' timers, INSERT ... SELECT of N message rows, one UPDATE attaching the N items, rolled
back afterwards. The ratio says
how far the sweep is from that floor, whatever else is running on the machine.

``--exactly-once`` also runs the multi-process send test at full size (10,000 nudges through a
fake Slack, 3 processes, and the SIGKILL variant), which is too slow for the regular suite.

Needs PostgreSQL: ``MENTORBOT_BENCH_DATABASE_URL`` or ``MENTORBOT_TEST_DATABASE_URL`` (default
postgresql+psycopg://postgres@127.0.0.1:5432/test; only its server is used).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from benchmarks import sweep_claimer
from benchmarks.sweep_data import drop_database, make_due, recreate_database, seed_pairs
from core.kernel.clock import FakeClock
from core.kernel.db import Database
from core.messaging.ledger import Ledger
from core.messaging.models import Delivery
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


_BARE_INSERT = (
    "INSERT INTO deliveries (team_id, recipient_id, kind, subject, period, batched, status,"
    " payload, due_at, not_before, attempts, created_at)"
    " SELECT 'T0001', g, :kind, 'pair:' || ((g + 1) / 2), '2026-03-16T09:59', true, 'pending',"
    " json_build_object('pair', (g + 1) / 2, 'epoch', 1), :now, :now, 0, :now"
    " FROM generate_series(1, :n) AS g"
)


def baseline_seconds(db: Database, n: int) -> float:
    """Bare SQL for n messages: insert n items, move n / 2 pairs' timers, insert n messages,
    attach the items; undone."""
    with db.engine.connect() as conn:
        transaction = conn.begin()
        started = time.perf_counter()
        conn.execute(text(_BARE_INSERT), {"kind": "bare_item", "n": n, "now": NOW})
        conn.execute(text(_BARE_INSERT), {"kind": "bare_message", "n": n, "now": NOW})
        # The planner moves the timer of each due pair (N / 2 pairs).
        conn.execute(
            text(
                "UPDATE relationships SET next_meeting_nudge_at = next_meeting_nudge_at"
                " + interval '14 days' WHERE id <= :pairs"
            ),
            {"pairs": n // 2},
        )
        conn.execute(
            text(
                "UPDATE deliveries SET message_id = m.id FROM deliveries m"
                " WHERE deliveries.kind = 'bare_item' AND m.kind = 'bare_message'"
                " AND m.recipient_id = deliveries.recipient_id"
            )
        )
        seconds = time.perf_counter() - started
        transaction.rollback()
    return seconds


def one_process(db: Database, due_pairs: int, chunk: int) -> tuple[float, float, int, int]:
    """Plan and claim everything due in this process: (plan s, claim s, messages, items)."""
    clock = FakeClock(NOW)
    started = time.perf_counter()
    Planner(db, clock).plan()
    plan_s = time.perf_counter() - started
    ledger = Ledger(db, clock, worker="bench", lease=timedelta(minutes=5))
    messages = items = 0
    started = time.perf_counter()
    while claimed := ledger.claim(chunk):
        messages += len(claimed)
        items += sum(len(m.items) for m in claimed)
    return plan_s, time.perf_counter() - started, messages, items


def processes(url: str, count: int, chunk: int) -> tuple[float, Counter[int], int, list[float]]:
    """`count` OS processes plan and claim together, started at one moment. Returns the
    wall time, how often each item was claimed, the number of messages, and the CPU seconds
    the processes and their database backends used ([python, database]; database -1 when
    the server's processes could not be read)."""
    with tempfile.TemporaryDirectory() as tmp:
        outs = [Path(tmp) / f"claimer{i}.txt" for i in range(count)]
        procs = sweep_claimer.launch(url, NOW, outs, chunk)
        started = time.perf_counter()
        sweep_claimer.release(procs)
        cpu = [0.0, 0.0]
        for proc in procs:
            out_text, err = proc.communicate(timeout=600)
            if proc.returncode:
                raise RuntimeError(f"a sweep process failed: {err[-2000:]}")
            for line in out_text.splitlines():
                if line.startswith("cpu "):
                    python_s, backend_s = (float(x) for x in line.split()[1:])
                    cpu[0] += python_s
                    cpu[1] = -1.0 if backend_s < 0 or cpu[1] < 0 else cpu[1] + backend_s
        seconds = time.perf_counter() - started
        claimed: Counter[int] = Counter()
        messages = 0
        for out in outs:
            for line in out.read_text(encoding="utf-8").splitlines():
                messages += 1
                parts = line.split(" ")
                claimed.update(int(i) for i in parts[2].split(",") if i) if len(parts) > 2 else None
    return seconds, claimed, messages, cpu


def _items_in_ledger(db: Database) -> int:
    with db.transaction() as session:
        return int(
            session.scalar(
                select(func.count()).select_from(Delivery).where(Delivery.kind == "meeting_nudge")
            )
            or 0
        )


def _single(db: Database, due_pairs: int, chunk: int, target: float | None) -> bool:
    make_due(db, due=due_pairs, now=NOW)
    n = 2 * due_pairs
    bare = baseline_seconds(db, n)
    plan_s, claim_s, messages, items = one_process(db, due_pairs, chunk)
    total = plan_s + claim_s
    ok = (messages, items, _items_in_ledger(db)) == (n, n, n)
    verdict = (
        ""
        if target is None
        else f"  target < {target:g} s: {'met' if total < target else 'MISSED'}"
    )
    print(
        f"{n:>7,} due, 1 process:   plan {plan_s:.2f} s + claim {claim_s:.2f} s = {total:.2f} s"
        f"  | bare SQL {bare:.2f} s  ratio {total / bare:.1f}x{verdict}"
        + ("" if ok else f"  WRONG: {messages} messages, {items} items, expected {n}")
    )
    return ok


def _concurrent(db: Database, url: str, due_pairs: int, count: int, chunk: int) -> bool:
    make_due(db, due=due_pairs, now=NOW)
    n = 2 * due_pairs
    bare = baseline_seconds(db, n)
    seconds, claimed, messages, cpu = processes(url, count, chunk)
    twice = sum(1 for c in claimed.values() if c > 1)
    ok = len(claimed) == n == _items_in_ledger(db) and twice == 0 and messages == n
    print(
        f"{n:>7,} due, {count} processes: plan + claim {seconds:.2f} s (wall, from one start)"
        f"  | bare SQL {bare:.2f} s  ratio {seconds / bare:.1f}x"
        f"  target < 5 s: {'met' if seconds < 5 else 'MISSED'}"
        f"  | claimed once: {len(claimed):,} of {n:,}, twice: {twice}" + ("" if ok else "  WRONG")
    )
    # Why more processes may not go faster: the CPU they had. Busy cores = CPU s / wall s.
    database = f"{cpu[1]:.1f}" if cpu[1] >= 0 else "?"
    busy = f"{(cpu[0] + cpu[1]) / seconds:.2f}" if cpu[1] >= 0 else "?"
    print(
        f"         CPU used: Python {cpu[0]:.1f} s + database backends {database} s"
        f" = {busy} cores busy on average, of {os.cpu_count()} (load average"
        f" {os.getloadavg()[0]:.1f})"
    )
    return ok


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_sweep")
    parser.add_argument("--pairs", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=2000, help="rows claimed per transaction")
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    parser.add_argument(
        "--exactly-once", action="store_true", help="also run the 10,000-nudge send test"
    )
    args = parser.parse_args(argv)
    small, large = min(10_000, args.pairs), min(50_000, args.pairs)

    try:
        url = recreate_database(base_url(), DB_NAME)
    except OperationalError as exc:
        print(f"bench_sweep needs PostgreSQL ({base_url()}): {type(exc).__name__}")
        return 1
    db = Database(url, pool_size=2)
    ok = True
    try:
        started = time.perf_counter()
        seed_pairs(db, pairs=args.pairs, due=0, now=NOW)
        print(f"seeded {args.pairs:,} active pairs in {time.perf_counter() - started:.1f} s")
        ok &= _single(db, small, args.chunk, 2.0)
        ok &= _single(db, large, args.chunk, None)
        ok &= _concurrent(db, url, large, args.processes, args.chunk)
    finally:
        db.dispose()
        if not args.keep:
            drop_database(base_url(), DB_NAME)
    if args.exactly_once:
        ok &= _send_test()
    return 0 if ok else 1


def _send_test() -> bool:
    env = {
        **os.environ,
        "MENTORBOT_SWEEP_NUDGES": "10000",
        "MENTORBOT_TEST_DATABASE_URL": os.environ.get("MENTORBOT_TEST_DATABASE_URL") or base_url(),
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
        "exactly-once send, 10,000 nudges x 3 processes (+ SIGKILL run): "
        f"{'passed' if result.returncode == 0 else 'FAILED'} in {time.perf_counter() - started:.0f} s"
    )
    return result.returncode == 0


if __name__ == "__main__":
    sys.exit(main())
