"""The child process of the race tests (tests/reliability/test_matching_race.py).

Each of two processes opens its own `Database`, waits at a shared barrier so that both start
each step at the same moment, runs one matching use case in its own transaction and reports
the outcome. A short pause is added inside the critical section (after the mentor's load is
read, after a request is closed) to make the two transactions overlap for certain.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

PAUSE = 0.4


def run(
    url: str, name: str, steps: list[tuple[str, dict[str, Any]]], barrier: Any, results: Any
) -> None:
    from core.kernel.clock import FakeClock
    from core.kernel.db import Database
    from core.matchmaking import answers, requests
    from core.matchmaking import service as svc

    # Slowed where the use cases look them up: requests asks a mentor's load, answers close.
    load, close = requests.mentor_load, answers.close_request

    def slow_load(*args: Any, **kwargs: Any) -> int:
        value = load(*args, **kwargs)
        time.sleep(PAUSE)
        return value

    def slow_close(*args: Any, **kwargs: Any) -> bool:
        changed = close(*args, **kwargs)
        time.sleep(PAUSE)
        return changed

    requests.mentor_load = slow_load  # type: ignore[assignment]
    answers.close_request = slow_close  # type: ignore[assignment]
    db = Database(url)
    try:
        for op, args in steps:
            clock = FakeClock(datetime.fromisoformat(args.pop("now")))
            barrier.wait(timeout=60)
            try:
                with db.transaction() as session:
                    if op == "request":
                        status = svc.request_mentor(session, clock=clock, **args).status
                    elif op == "accept":
                        status = svc.accept_request(session, clock=clock, **args).status
                    elif op == "expire":
                        outcome = svc.expire_request(session, clock=clock, **args)
                        status = outcome.status if outcome is not None else "none"
                    else:
                        status = f"unknown op {op}"
            except Exception as exc:  # reported to the test, which fails on it
                status = f"error {type(exc).__name__}: {exc}"
            results.put((op, name, status))
    finally:
        db.dispose()
