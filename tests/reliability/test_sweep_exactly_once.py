"""Exactly once, with several processes: three bot processes sweep the same PostgreSQL
database concurrently and post to one fake Slack (served from this process); every due nudge
reaches Slack exactly once. Then again with one process killed (SIGKILL) mid-sweep, holding a
claimed chunk, and a fresh process started in its place: the killed process's rows are claimed
again once their lease has expired, and still nobody gets anything twice.

Runs when a PostgreSQL URL is configured (MENTORBOT_TEST_DATABASE_URL), on a database of its
own. The size is MENTORBOT_SWEEP_NUDGES (default 600 nudges so the suite stays fast on two
cores; `python -m benchmarks.bench_sweep --exactly-once` runs the 10,000 version).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, func, select, text

from benchmarks.sweep_data import drop_database, recreate_database, seed_pairs
from core.kernel.db import Database
from core.messaging.models import Delivery
from sandbox.fake_slack import FakeSlack
from tests.conftest import PG_URL, REPO

NUDGES = int(os.environ.get("MENTORBOT_SWEEP_NUDGES", "600"))
DB_NAME = f"mentorbot_sweep_test_{os.getpid()}"
START = datetime(2026, 3, 16, 10, 0, tzinfo=UTC)  # a Monday, 10:00 in London

pytestmark = pytest.mark.skipif(not PG_URL, reason="needs MENTORBOT_TEST_DATABASE_URL (PostgreSQL)")


@pytest.fixture
def world() -> Iterator[tuple[str, FakeSlack, list[str]]]:
    url = recreate_database(PG_URL, DB_NAME)
    no_flush = create_engine(url, isolation_level="AUTOCOMMIT")  # see tests/conftest.py
    with no_flush.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{DB_NAME}" SET synchronous_commit TO off'))
    no_flush.dispose()
    db = Database(url)
    users = seed_pairs(db, pairs=NUDGES // 2, due=NUDGES // 2, now=START)
    db.dispose()
    fake = FakeSlack().start()
    for user in users:
        fake.add_user(user, user.lower(), tz="Europe/London")
    try:
        yield url, fake, users
    finally:
        fake.stop()
        drop_database(PG_URL, DB_NAME)


def worker(
    url: str, fake: FakeSlack, tag: str, begin: datetime, *, lease: float = 3.0
) -> subprocess.Popen[str]:
    # All processes' clocks read START at the real moment `begin` and run on from there.
    anchor = str(begin.timestamp())
    env = {**os.environ, "MENTORBOT_CONTENT_DIR": str(REPO / "content")}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.sweep_worker",
            url,
            fake.api_url,
            START.isoformat(),
            "--anchor",
            anchor,
            "--tag",
            tag,
            "--expect",
            str(NUDGES),
            "--lease",
            str(lease),
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(procs: list[subprocess.Popen[str]], timeout: float = 300) -> None:
    for proc in procs:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        assert proc.returncode == 0, err[-3000:]


def assert_each_exactly_once(url: str, fake: FakeSlack, users: list[str]) -> None:
    received = Counter(c.args["channel"] for c in fake.calls_to("chat.postMessage", ok=True))
    assert len(received) == len(users)
    duplicates = {u: n for u, n in received.items() if n != 1}
    assert duplicates == {}
    assert set(received) == set(users)
    for user in users[:50]:  # and what arrived is the nudge itself
        assert "have you met" in (fake.last_dm(user).text or "")
    db = Database(url)
    with db.transaction() as session:
        by_status = dict(
            session.execute(
                select(Delivery.status, func.count())
                .where(Delivery.kind == "meeting_nudge")
                .group_by(Delivery.status)
            ).all()
        )
    db.dispose()
    assert by_status == {"sent": len(users)}


def test_three_processes_send_each_nudge_exactly_once(
    world: tuple[str, FakeSlack, list[str]],
) -> None:
    url, fake, users = world
    begin = datetime.now(UTC)
    procs = [worker(url, fake, f"w{i}", begin) for i in range(3)]
    finish(procs)
    assert_each_exactly_once(url, fake, users)
    # All three took part.
    db = Database(url)
    with db.transaction() as session:
        workers = {
            w.split(":")[0]
            for w in session.scalars(
                select(Delivery.claimed_by).where(Delivery.kind == "digest")
            ).all()
        }
    db.dispose()
    assert workers == {"w0", "w1", "w2"}


def test_a_process_killed_mid_sweep_leaves_nothing_lost_or_doubled(
    world: tuple[str, FakeSlack, list[str]],
) -> None:
    url, fake, users = world
    begin = datetime.now(UTC)
    victim = worker(url, fake, "victim", begin)
    others = [worker(url, fake, f"w{i}", begin) for i in (1, 2)]
    db = Database(url)
    mine = Delivery.claimed_by.like(f"victim:{victim.pid}")

    def count(*where: object) -> int:
        with db.transaction() as session:
            return int(
                session.scalar(select(func.count()).select_from(Delivery).where(*where)) or 0
            )

    # Let the victim send some, then stop it at a moment when it holds claimed rows but has
    # no Slack call in flight (a call in flight may or may not have reached Slack: the one
    # case no sender can settle without an idempotency key; see docs/scheduling.md).
    deadline = time.monotonic() + 120
    while count(mine, Delivery.status == "sent") < 20:
        assert time.monotonic() < deadline and victim.poll() is None
        time.sleep(0.02)
    orphans: list[int] = []
    while not orphans:
        assert time.monotonic() < deadline
        os.kill(victim.pid, signal.SIGSTOP)
        in_flight = count(mine, Delivery.status == "pending", Delivery.sending_since.is_not(None))
        with db.transaction() as session:
            held = list(
                session.scalars(
                    select(Delivery.id).where(
                        mine, Delivery.status == "pending", Delivery.kind == "digest"
                    )
                )
            )
        if in_flight == 0 and held:
            os.kill(victim.pid, signal.SIGKILL)
            orphans = held
        else:
            os.kill(victim.pid, signal.SIGCONT)
            time.sleep(0.003)
    victim.wait(timeout=30)
    assert victim.returncode == -signal.SIGKILL

    replacement = worker(url, fake, "restarted", begin)
    finish([*others, replacement])
    assert_each_exactly_once(url, fake, users)
    # The rows the killed process held were sent by the others, after its lease ran out.
    with db.transaction() as session:
        taken_over = session.execute(
            select(Delivery.status, Delivery.claimed_by).where(Delivery.id.in_(orphans))
        ).all()
    db.dispose()
    assert {status for status, _ in taken_over} == {"sent"}
    assert not any(by.startswith("victim:") for _, by in taken_over)
