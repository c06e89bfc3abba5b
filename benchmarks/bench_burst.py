"""Burst benchmark of the request path (issue #17): mentorbot against a bare Bolt, side by side.

Run: ``.venv/bin/python -m benchmarks burst`` (options: ``--requests 400 --clients 20
--sequential 100 --rounds 3 --only mentorbot``; ``--profile DIR`` records a py-spy profile of each
server during its burst, when py-spy is installed; ``--before DIR`` also measures the
checkout in DIR, e.g. main's, given 30 s after its ``/healthz`` says ok to warm up).

Each server runs in its own process, as in production, on 127.0.0.1 with uvicorn's defaults;
the fake Slack (``sandbox.fake_slack``) runs in a process of its own and the load generator in
this one, so Slack's side costs every server the same. The servers:

- ``mentorbot``: the real ``mentorbot run`` (HTTP mode, a fresh SQLite file, scheduler off);
- ``bare Bolt``: a Bolt ``AsyncApp`` on uvicorn with the same endpoints (``/slack/events``,
  ``/healthz``); its ``/mentoring`` acknowledges, then replies with the same help text through
  the ``response_url`` (needs aiohttp, which Bolt's async client uses);
- ``bare Bolt, process_before_response``: the same, replying before it answers.

For each: the sequential acknowledgement (one signed ``/mentoring help`` at a time, median and
p99) and a burst of ``--requests`` signed ``/mentoring help`` from ``--clients`` concurrent
clients (throughput and p99), each the median of ``--rounds`` interleaved rounds (3) of a
fresh server. Figures are printed as ratios against bare Bolt measured in the
same run; the targets: burst throughput at least 0.67x bare Bolt's, burst p99 at most 1.5x,
sequential p99 at most 5 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import httpx

from sandbox.driver.transport import sign_request
from sandbox.fake_slack import FakeSlack

SECRET = "bench-signing-secret-0123456789abcdef"
USER = "U_BENCH"
START_TIMEOUT = 60.0
BEFORE = "mentorbot before (--before)"
BEFORE_SETTLE_S = 30.0
TARGET_THROUGHPUT, TARGET_P99, TARGET_SEQ_P99_MS = 0.67, 1.5, 5.0


@dataclass
class Figures:
    name: str
    seq_median_ms: float
    seq_p99_ms: float
    burst_rps: float
    burst_p99_ms: float
    errors: int


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(
    api_url: str, bot_token: str, port: int, database_url: str, code: str | None = None
) -> dict[str, str]:
    """The environment of a server process; `code`: the checkout whose code it runs (this
    one by default; another for a before/after comparison)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MENTORBOT_"))}
    env.update(
        SLACK_BOT_TOKEN=bot_token,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=api_url,
        DATABASE_URL=database_url,
        MENTORBOT_HOST="127.0.0.1",
        MENTORBOT_PORT=str(port),
        MENTORBOT_SCHEDULER="false",
        LOG_LEVEL="WARNING",
        PYTHONPATH=(code or os.getcwd()) + os.pathsep + os.environ.get("PYTHONPATH", ""),
    )
    return env


def wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout: float = START_TIMEOUT) -> float:
    """Poll /healthz until it answers 200; the monotonic time it did."""
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2.0) as http:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"the server exited during start-up (exit {proc.returncode})")
            with contextlib.suppress(httpx.HTTPError):
                if http.get(url + "/healthz").status_code == 200:
                    return time.monotonic()
            time.sleep(0.005)
    raise RuntimeError("the server did not become healthy in time")


@dataclass
class Slack:
    """The fake Slack, served by its own process (so its work is not the servers' or the load
    generator's), and the response_urls and trigger ids it issued for the requests."""

    api_url: str
    bot_token: str
    team_id: str
    app_id: str
    channel: str
    issued: list[list[str]]
    proc: subprocess.Popen[str]

    def slash_form(self, text: str = "help") -> bytes:
        response_url, trigger_id = self.issued.pop()
        form = {
            "token": "unused",
            "team_id": self.team_id,
            "team_domain": "acme",
            "channel_id": self.channel,
            "channel_name": "directmessage",
            "user_id": USER,
            "user_name": "bench",
            "command": "/mentoring",
            "text": text,
            "api_app_id": self.app_id,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id,
        }
        return urlencode(form).encode()


@contextlib.contextmanager
def fake_slack(count: int) -> Iterator[Slack]:
    command = [sys.executable, "-m", "benchmarks.bench_burst", "--serve-fake", str(count)]
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdin is not None
    try:
        data = json.loads(proc.stdout.readline())
        yield Slack(proc=proc, **data)
    finally:
        proc.stdin.close()
        proc.wait(timeout=20)


def serve_fake(count: int) -> int:
    """The fake Slack's process: print what the requests need, serve until stdin closes."""
    with FakeSlack(trigger_ttl=3600.0) as fake:
        fake.add_user(USER, "bench")
        channel = fake.dm_channel(USER)
        issued = [
            [fake.new_response_url(channel, USER), fake.issue_trigger_id(USER)]
            for _ in range(count)
        ]
        data = {
            "api_url": fake.api_url,
            "bot_token": fake.bot_token,
            "team_id": fake.team_id,
            "app_id": fake.app_id,
            "channel": channel,
            "issued": issued,
        }
        print(json.dumps(data), flush=True)
        sys.stdin.read()
    return 0


def signed_headers(body: bytes, content_type: str = "application/x-www-form-urlencoded") -> dict:
    ts = str(int(time.time()))
    return {
        "content-type": content_type,
        "x-slack-request-timestamp": ts,
        "x-slack-signature": sign_request(SECRET, body, ts),
    }


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


async def _burst(url: str, bodies: list[bytes], clients: int) -> tuple[float, list[float], int]:
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    times: list[float] = []
    errors = 0

    async def client(http: httpx.AsyncClient) -> None:
        nonlocal errors
        while not queue.empty():
            body = queue.get_nowait()
            started = time.perf_counter()
            try:
                response = await http.post(url, content=body, headers=signed_headers(body))
            except httpx.HTTPError:  # the server dropped the connection: an error, counted
                errors += 1
                continue
            times.append(time.perf_counter() - started)
            errors += response.status_code != 200

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(timeout=30.0, limits=limits) as http:
        started = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(clients)))
        elapsed = time.perf_counter() - started
    return elapsed, times, errors


def measure(name: str, url: str, fake: Slack, args: argparse.Namespace) -> Figures:
    events = url + "/slack/events"
    seq: list[float] = []
    errors = 0
    with httpx.Client(timeout=30.0) as http:
        for i in range(args.sequential + 20):
            body = fake.slash_form()
            started = time.perf_counter()
            response = http.post(events, content=body, headers=signed_headers(body))
            if i >= 20:  # the first 20 warm the connection and the server up
                seq.append(time.perf_counter() - started)
                errors += response.status_code != 200
            time.sleep(0.01)  # the reply through the response_url finishes between requests
    time.sleep(0.5)
    bodies = [fake.slash_form() for _ in range(args.requests)]
    profiler = start_profiler(name, args)
    elapsed, times, burst_errors = asyncio.run(_burst(events, bodies, args.clients))
    stop_profiler(profiler)
    return Figures(
        name=name,
        seq_median_ms=statistics.median(seq) * 1000,
        seq_p99_ms=percentile(seq, 0.99) * 1000,
        burst_rps=len(times) / elapsed,
        burst_p99_ms=percentile(times, 0.99) * 1000,
        errors=errors + burst_errors,
    )


_PROFILED: dict[str, int] = {}


def start_profiler(name: str, args: argparse.Namespace) -> subprocess.Popen[bytes] | None:
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    pid = _PROFILED.get(name)
    if not args.profile or pid is None or not Path(spy).exists():
        return None
    out = Path(args.profile) / f"{name.replace(' ', '_').replace(',', '')}.txt"
    Path(args.profile).mkdir(parents=True, exist_ok=True)
    command = [spy, "record", "-p", str(pid), "-f", "raw", "-o", str(out), "-r", "200"]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)  # py-spy attaches
    return proc


def stop_profiler(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is not None:
        proc.send_signal(2)  # SIGINT: py-spy writes its output and exits
        proc.wait(timeout=30)


def run_server(
    name: str, command: list[str], fake: Slack, db_url: str, args: argparse.Namespace
) -> Figures:
    port = free_port()
    code = args.before if name == BEFORE else None
    env = server_env(fake.api_url, fake.bot_token, port, db_url, code)
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, cwd=code)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc)
        if name == BEFORE:  # its /healthz says ok while the FAQ model still warms up
            time.sleep(BEFORE_SETTLE_S)
        _PROFILED[name] = proc.pid
        return measure(name, url, fake, args)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def migrated_sqlite(tmp: str) -> str:
    from core.kernel.db import Database
    from core.kernel.migrate import upgrade

    url = f"sqlite:///{Path(tmp) / 'bench.db'}"
    db = Database(url)
    upgrade(db.engine)
    db.dispose()
    return url


def show(rows: list[Figures]) -> bool:
    base = next((r for r in rows if r.name == "bare Bolt"), None)
    print(
        f"{'server':<38}{'seq median':>11}{'seq p99':>9}{'burst req/s':>13}{'burst p99':>11}"
        f"{'x req/s':>9}{'x p99':>7}{'errors':>8}"
    )
    for r in rows:
        ratio_rps = f"{r.burst_rps / base.burst_rps:.2f}" if base else "-"
        ratio_p99 = f"{r.burst_p99_ms / base.burst_p99_ms:.2f}" if base else "-"
        print(
            f"{r.name:<38}{r.seq_median_ms:>9.1f}ms{r.seq_p99_ms:>7.1f}ms{r.burst_rps:>13.0f}"
            f"{r.burst_p99_ms:>9.1f}ms{ratio_rps:>9}{ratio_p99:>7}{r.errors:>8}"
        )
    bot = next((r for r in rows if r.name == "mentorbot"), None)
    if bot is None or base is None:
        return True
    met = (
        bot.burst_rps >= TARGET_THROUGHPUT * base.burst_rps
        and bot.burst_p99_ms <= TARGET_P99 * base.burst_p99_ms
        and bot.seq_p99_ms <= TARGET_SEQ_P99_MS
        and bot.errors == 0
    )
    print(
        f"targets: burst req/s >= {TARGET_THROUGHPUT}x bare Bolt, burst p99 <= {TARGET_P99}x, "
        f"sequential p99 <= {TARGET_SEQ_P99_MS:g} ms, no errors: {'met' if met else 'MISSED'}"
    )
    return met


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks burst")
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--sequential", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3, help="medians over interleaved rounds")
    parser.add_argument("--only", choices=("mentorbot", "bare"), default=None)
    parser.add_argument("--profile", default=None, help="a folder for py-spy's profiles")
    parser.add_argument(
        "--before", default=None, help="another checkout (e.g. main's) to measure beside this one"
    )
    parser.add_argument("--serve-fake", type=int, default=None, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse(argv)
    if args.serve_fake is not None:
        return serve_fake(args.serve_fake)
    servers: list[tuple[str, list[str]]] = []
    if args.only != "mentorbot":
        try:
            import aiohttp  # noqa: F401  (Bolt's AsyncApp needs it)

            bare = [sys.executable, "-m", "benchmarks.bare_bolt"]
            servers += [
                ("bare Bolt", bare),
                ("bare Bolt, process_before_response", [*bare, "--pbr"]),
            ]
        except ModuleNotFoundError:
            print("aiohttp is not installed: no bare Bolt baseline (pip install aiohttp)")
    if args.only != "bare":
        servers.append(("mentorbot", [sys.executable, "-m", "bot.cli", "run"]))
        if args.before:
            servers.append((BEFORE, [sys.executable, "-m", "bot.cli", "run"]))
    measured: dict[str, list[Figures]] = {name: [] for name, _ in servers}
    count = args.rounds * len(servers) * (args.sequential + 20 + args.requests)
    with tempfile.TemporaryDirectory() as tmp, fake_slack(count) as fake:
        for round_no in range(args.rounds):  # interleaved, so a busy minute hits them all
            for name, command in servers:
                db_url = migrated_sqlite_once(tmp, f"{name} {round_no}")
                measured[name].append(run_server(name, command, fake, db_url, args))
    rows = [median_of(runs) for runs in measured.values()]
    return 0 if show(rows) else 1


def median_of(runs: list[Figures]) -> Figures:
    """Each figure's median over the rounds (errors: the total)."""

    def mid(field: str) -> float:
        return float(statistics.median(getattr(r, field) for r in runs))

    return Figures(
        name=runs[0].name,
        seq_median_ms=mid("seq_median_ms"),
        seq_p99_ms=mid("seq_p99_ms"),
        burst_rps=mid("burst_rps"),
        burst_p99_ms=mid("burst_p99_ms"),
        errors=sum(r.errors for r in runs),
    )


def migrated_sqlite_once(tmp: str, name: str) -> str:
    """A fresh, migrated SQLite file per server (bare Bolt never opens it)."""
    folder = Path(tmp) / name.replace(" ", "_").replace(",", "")
    folder.mkdir()
    return migrated_sqlite(str(folder))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
