"""Warm-start benchmark (issue #17): how soon the bot answers once `/healthz` says ready.

Run: ``.venv/bin/python -m benchmarks warm`` (``python -m benchmarks.bench_warm --before DIR``
also measures the checkout in DIR, e.g. main's, in the same run).

Starts the real ``mentorbot run`` (HTTP mode, a fresh SQLite file, scheduler off) against the
fake Slack in this process, polls ``/healthz`` until it answers 200, then at once opens the App
Home of one person and runs ``/mentoring help`` for another, and times each until its answer
reaches Slack (the ``views.publish``, the reply through the ``response_url``). The baseline is
the same two requests, from two other people, on the now warm bot, in the same run. The
target: each first answer within 1 s of ``/healthz`` turning 200. Also printed: how long the
process took from its start until it listened and until ``/healthz`` said ready.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

import httpx

from benchmarks.bench_burst import SECRET, free_port, migrated_sqlite, server_env
from sandbox.driver import SlackDriver
from sandbox.fake_slack import FakeSlack

TARGET_S = 1.0
START_TIMEOUT = 120.0


def _wait_for(found: Callable[[], bool], timeout: float = 30.0) -> float:
    """Poll until `found()`; the monotonic time it was."""
    deadline = time.monotonic() + timeout
    while not found():
        if time.monotonic() > deadline:
            raise RuntimeError("no answer reached Slack in time")
        time.sleep(0.002)
    return time.monotonic()


def _published(fake: FakeSlack, user: str) -> Callable[[], bool]:
    return lambda: any(c.args.get("user_id") == user for c in fake.calls_to("views.publish"))


def _replied(fake: FakeSlack, before: int) -> Callable[[], bool]:
    return lambda: len(fake.calls_to("response_url")) > before


def _time_pair(
    fake: FakeSlack, driver: SlackDriver, home_user: str, cmd_user: str
) -> tuple[float, float]:
    started = time.monotonic()
    driver.open_home(home_user)
    home = _wait_for(_published(fake, home_user)) - started
    before = len(fake.calls_to("response_url"))
    started_cmd = time.monotonic()
    driver.slash(cmd_user, text="help")
    command = _wait_for(_replied(fake, before)) - started_cmd
    return home, command


def _start_times(url: str, proc: subprocess.Popen[bytes], spawned: float) -> tuple[float, float]:
    """(seconds until the server listened, seconds until /healthz said 200)."""
    listened = None
    deadline = spawned + START_TIMEOUT
    with httpx.Client(timeout=2.0) as http:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"mentorbot run exited (exit {proc.returncode})")
            with contextlib.suppress(httpx.HTTPError):
                status = http.get(url + "/healthz").status_code
                listened = listened or time.monotonic()
                if status == 200:
                    return listened - spawned, time.monotonic() - spawned
            time.sleep(0.005)
    raise RuntimeError("mentorbot did not become ready in time")


Timings = tuple[float, float, tuple[float, float], tuple[float, float]]


def measure(code: str | None) -> Timings:
    """(seconds to listen, seconds to /healthz 200, first answers, answers on the warm bot)
    of `mentorbot run` from the checkout `code` (None: this one)."""
    with tempfile.TemporaryDirectory() as tmp, FakeSlack() as fake:
        for user in ("U_HOME1", "U_CMD1", "U_HOME2", "U_CMD2"):
            fake.add_user(user, user.lower())
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = server_env(fake.api_url, fake.bot_token, port, migrated_sqlite(tmp), code)
        spawned = time.monotonic()
        command = [sys.executable, "-m", "bot.cli", "run"]
        proc = subprocess.Popen(command, env=env, cwd=code, stderr=subprocess.DEVNULL)
        try:
            listened, ready = _start_times(url, proc, spawned)
            with SlackDriver(url + "/slack/events", SECRET, fake) as driver:
                first = _time_pair(fake, driver, "U_HOME1", "U_CMD1")
                warm = _time_pair(fake, driver, "U_HOME2", "U_CMD2")
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return listened, ready, first, warm


def show(label: str, timings: Timings) -> None:
    listened, ready, first, warm = timings
    print(f"{label}: listening after {listened:.1f} s, /healthz 200 after {ready:.1f} s")
    rows = (
        ("App Home open -> views.publish", first[0], warm[0]),
        ("/mentoring help -> reply", first[1], warm[1]),
    )
    for what, cold, hot in rows:
        print(
            f"  {what:<32} first after /healthz 200 {cold * 1000:7.0f} ms"
            f"   warm bot {hot * 1000:6.0f} ms   ({cold / hot:.1f}x)"
        )


def main(argv: list[str]) -> int:
    """`--before DIR`: also measure the checkout in DIR (e.g. main's), in the same run."""
    before = argv[argv.index("--before") + 1] if "--before" in argv else None
    now = measure(None)
    show("this checkout", now)
    if before:
        show(f"before ({before})", measure(before))
    met = max(now[2]) <= TARGET_S
    print(
        f"target: each first answer within {TARGET_S:g} s of /healthz 200: "
        f"{'met' if met else 'MISSED'}"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
