"""One bot process for the multi-process sweep tests: the real app (create_app) on a shared
database and Slack, running the relationship sweep until nothing is left to send.

    python -m tests.sweep_worker DB_URL API_URL START_ISO --anchor EPOCH --tag NAME --expect N

The clock reads START_ISO at the real time --anchor and runs on with real time (an
OffsetClock), so leases expire in real seconds and all processes agree on the time. It stops once --expect meeting nudges are settled and nothing is pending.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.app import create_app
from bot.scheduling.deliverer import Deliverer, Pacer
from bot.scheduling.sweeps import relationship_sweep
from core.kernel.clock import OffsetClock, SystemClock
from core.kernel.settings import load_settings
from core.messaging.ledger import pending_count
from core.messaging.models import Delivery


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("db_url")
    parser.add_argument("api_url")
    parser.add_argument("start", help="what the clock read at --anchor (ISO)")
    parser.add_argument("--anchor", type=float, required=True, help="a real epoch time")
    parser.add_argument("--tag", required=True)
    parser.add_argument("--lease", type=float, default=3.0)
    parser.add_argument("--rate", type=float, default=5000.0)
    parser.add_argument("--deadline", type=float, default=240.0)
    parser.add_argument("--expect", type=int, required=True, help="stop once this many sent")
    args = parser.parse_args(argv)

    # Every process maps real time to the test's time the same way, so they agree on when
    # a lease has expired.
    anchor = datetime.fromtimestamp(args.anchor, UTC)
    clock = OffsetClock(SystemClock(), offset=datetime.fromisoformat(args.start) - anchor)
    settings = load_settings(
        _env_file=None,
        SLACK_BOT_TOKEN="xoxb-test-0000-mentorbot",
        SLACK_SIGNING_SECRET="sweep-worker-signing-secret",
        SLACK_API_URL=args.api_url,
        DATABASE_URL=args.db_url,
    )
    mentor = create_app(settings, clock=clock)
    flow = mentor.flows.relationship
    worker = f"{args.tag}:{os.getpid()}"
    flow.deliverer = Deliverer(
        mentor.db,
        clock,
        mentor.client,
        flow.renderers,
        pacer=Pacer(rate=args.rate, burst=50, channel_interval=1.0),
        lease=timedelta(seconds=args.lease),
        worker=worker,
    )
    print(json.dumps({"ready": worker}), flush=True)
    deadline = time.monotonic() + args.deadline
    rounds = 0
    while time.monotonic() < deadline:
        relationship_sweep(mentor)
        rounds += 1
        with mentor.db.transaction() as session:
            sent = session.scalar(
                select(func.count())
                .select_from(Delivery)
                .where(Delivery.kind == "meeting_nudge", Delivery.status != "pending")
            )
            if sent == args.expect and pending_count(session) == 0:
                break
        time.sleep(0.2)
    print(json.dumps({"worker": worker, "rounds": rounds}), flush=True)
    mentor.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
