"""Exactly once when three OS processes plan and claim the same due messages together.

Three `benchmarks.sweep_claimer` processes (the sweep's two halves, the planner and the claim,
without sending) start at one moment on one PostgreSQL database in which 1,500 pairs are due a
meeting nudge. Each plans what is due (SKIP LOCKED on the pairs, ON CONFLICT DO NOTHING on the
ledger) and claims in chunks (SKIP LOCKED on the ledger rows) until neither finds anything. Every
nudge must end up in exactly one claimed message, the one message of its recipient's day, leased
by the process that reported it; none is lost, none is planned or claimed twice.

Runs when MENTORBOT_TEST_DATABASE_URL is set, on a database of its own.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from benchmarks.sweep_claimer import launch, release
from benchmarks.sweep_data import drop_database, recreate_database, seed_pairs
from core.kernel.db import Database
from core.messaging.models import DIGEST, Delivery
from tests.conftest import PG_URL

PAIRS = 1500
NOW = datetime(2026, 3, 16, 10, 0, tzinfo=UTC)  # a Monday, 10:00 in London
DB_NAME = f"mentorbot_claim_test_{os.getpid()}"

# What this checks is PostgreSQL's: row locks taken with SKIP LOCKED by three processes on one
# server (SQLite has one writer at a time, so there is no race to check). CI always sets the URL.
pytestmark = pytest.mark.skipif(
    not PG_URL,
    reason="PostgreSQL only (SKIP LOCKED across processes): set MENTORBOT_TEST_DATABASE_URL",
)


@pytest.fixture
def database() -> Iterator[str]:
    url = recreate_database(PG_URL, DB_NAME)
    db = Database(url)
    # Twice as many pairs as are due: the others must not be touched.
    seed_pairs(db, pairs=2 * PAIRS, due=PAIRS, now=NOW)
    db.dispose()
    try:
        yield url
    finally:
        drop_database(PG_URL, DB_NAME)


def run_together(url: str, outs: list[Path], chunk: int) -> None:
    procs = launch(url, NOW, outs, chunk)
    release(procs)  # one start for all three
    for proc in procs:
        _out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-3000:]


def test_three_processes_plan_and_claim_each_due_message_exactly_once(
    database: str, tmp_path: Path
) -> None:
    outs = [tmp_path / f"p{i}.txt" for i in range(3)]
    run_together(database, outs, chunk=100)

    claimed_items: Counter[int] = Counter()
    messages: dict[int, str] = {}  # message id -> the process that claimed it
    for i, out in enumerate(outs):
        for line in out.read_text(encoding="utf-8").splitlines():
            message_id, kind, items = line.split(" ")
            assert kind == DIGEST
            assert int(message_id) not in messages  # no message claimed by two processes
            messages[int(message_id)] = f"p{i}"
            claimed_items.update(int(item) for item in items.split(",") if item)

    db = Database(database)
    with db.transaction() as session:
        nudges = session.execute(
            select(Delivery.id, Delivery.recipient_id, Delivery.message_id, Delivery.status).where(
                Delivery.kind == "meeting_nudge"
            )
        ).all()
        digests = session.execute(
            select(Delivery.id, Delivery.recipient_id, Delivery.claimed_by).where(
                Delivery.kind == DIGEST
            )
        ).all()
    db.dispose()

    # Each due pair planned once: one nudge per person of the 1,500 due pairs, none for others.
    assert len(nudges) == 2 * PAIRS
    assert {n.recipient_id for n in nudges} == set(range(1, 2 * PAIRS + 1))
    # Each nudge claimed exactly once, none lost.
    assert set(claimed_items) == {n.id for n in nudges}
    assert {item: count for item, count in claimed_items.items() if count != 1} == {}
    # Each is attached to its recipient's one message of the day, leased by whoever reported it.
    digest_of = {d.id: d for d in digests}
    assert set(digest_of) == set(messages)
    assert len({d.recipient_id for d in digests}) == len(digests) == 2 * PAIRS
    for nudge in nudges:
        digest = digest_of[nudge.message_id]
        assert digest.recipient_id == nudge.recipient_id
        assert nudge.status == "pending"
        assert digest.claimed_by == messages[digest.id]
