"""One process of a multi-process sweep (plan + claim, no sending), for the sweep benchmark and
the exactly-once test:

    python -m benchmarks.sweep_claimer DB_URL NOW_ISO OUT_FILE [--chunk N] [--tag NAME]

It connects, prints "ready", waits for a line on stdin (so that every process starts at the same
moment), then plans and claims until neither finds anything, and writes one line per claimed
message to OUT_FILE: the message's id, kind and the ids of its items. Last, it prints
"cpu PYTHON BACKEND": the CPU seconds this process and its database backend used (BACKEND is -1
when the server's processes cannot be read, e.g. on another machine).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from core.kernel.clock import FakeClock
from core.kernel.db import Database
from core.messaging.ledger import Ledger
from core.messaging.planner import Planner

ROOT = Path(__file__).resolve().parent.parent


def launch(url: str, now: datetime, outs: list[Path], chunk: int) -> list[subprocess.Popen[str]]:
    """One claimer per output file, each connected and waiting for `release`."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "benchmarks.sweep_claimer", url, now.isoformat(), str(out)]
            + ["--chunk", str(chunk), "--tag", f"p{i}"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i, out in enumerate(outs)
    ]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return procs


def release(procs: list[subprocess.Popen[str]]) -> None:
    """Let every launched claimer start at one moment."""
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()


def sweep(db: Database, now: datetime, *, chunk: int, tag: str) -> list[str]:
    """Plan and claim until nothing is left; one line per claimed message."""
    clock = FakeClock(now)
    ledger = Ledger(db, clock, worker=tag, lease=timedelta(minutes=5))
    lines: list[str] = []
    while True:
        planned = Planner(db, clock).plan().total
        claimed = 0
        while messages := ledger.claim(chunk):
            claimed += len(messages)
            lines += [f"{m.id} {m.kind} {','.join(str(i.id) for i in m.items)}" for m in messages]
        if not planned and not claimed:
            return lines


def backend_cpu(db: Database) -> tuple[int, float]:
    """(pid, CPU seconds so far) of the server process behind the pooled connection; -1.0
    when its /proc entry cannot be read."""
    with db.engine.connect() as conn:
        pid = int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())
    return pid, _proc_cpu(pid)


def _proc_cpu(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return -1.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sweep_claimer")
    parser.add_argument("db_url")
    parser.add_argument("now", help="the clock's reading (ISO)")
    parser.add_argument("out")
    parser.add_argument("--chunk", type=int, default=2000)
    parser.add_argument("--tag", default="claimer")
    args = parser.parse_args(argv)
    db = Database(args.db_url, pool_size=2)
    with db.transaction():
        pass  # connected before the start signal
    pid, backend_before = backend_cpu(db)
    print("ready", flush=True)
    sys.stdin.readline()
    python_before = time.process_time()
    lines = sweep(db, datetime.fromisoformat(args.now), chunk=args.chunk, tag=args.tag)
    python_cpu = time.process_time() - python_before
    after_pid, backend_after = backend_cpu(db)
    same = after_pid == pid and backend_before >= 0  # the pool kept its one connection
    backend = backend_after - backend_before if same else -1.0
    print(f"cpu {python_cpu:.3f} {backend:.3f}", flush=True)
    db.dispose()
    with open(args.out, "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + ("\n" if lines else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
