"""The sandbox listens on 127.0.0.1 only, and `make run` without Slack settings starts it and
prints its URL (how long that took is printed, not asserted: about 2 s on 2 cores).

What is listening is read from the kernel (/proc/<pid>/net/tcp{,6} and the process's socket
file descriptors), not from the sandbox's own idea of it; then connections through other
addresses of this machine must be refused."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sandbox.app import Sandbox

REPO = Path(__file__).resolve().parents[2]
URL_LINE = re.compile(r"open (http://127\.0\.0\.1:(\d+))")
# How long to wait for the URL, and for the process to exit after SIGTERM, before giving up:
# generous timeouts for a busy machine, not speed requirements. Start-up takes about 2 s on
# 2 cores when they are idle; with a load average of 12 the URL came after 40 s, and exit
# (which waits for the FAQ warm-up to finish, bot/flows/faq.py) 50 s after SIGTERM.
URL_TIMEOUT_SECONDS = 120.0
STOP_TIMEOUT_SECONDS = 120.0

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/net/tcp").exists(), reason="needs Linux's /proc to read sockets"
)


# ----------------------------------------------------------------------- kernel's view
def _decode_address(hex_address: str) -> str:
    """/proc/net/tcp{,6} addresses: IPv4 as one little-endian word, IPv6 as four."""
    raw = bytes.fromhex(hex_address)
    if len(raw) == 4:
        return socket.inet_ntop(socket.AF_INET, raw[::-1])
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
    return socket.inet_ntop(socket.AF_INET6, words)


def listening(pid: int | str = "self") -> set[tuple[str, int]]:
    """(address, port) of every TCP socket in LISTEN state that process `pid` holds."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    found = set()
    for table in ("tcp", "tcp6"):
        path = Path(f"/proc/{pid}/net/{table}")
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and inode in inodes:  # 0A = LISTEN
                address, port = local.split(":")
                found.add((_decode_address(address), int(port, 16)))
    return found


def other_local_addresses() -> list[str]:
    """IPv4 addresses of this machine other than 127.0.0.1 (from the kernel's LOCAL routes),
    plus 127.0.0.2, which reaches a socket bound to 0.0.0.0 but not one bound to 127.0.0.1."""
    found = {"127.0.0.2"}
    with contextlib.suppress(OSError):
        lines = Path("/proc/net/fib_trie").read_text().splitlines()
        for before, line in zip(lines, lines[1:], strict=False):
            if "/32 host LOCAL" in line:
                found.add(before.split()[-1])
    found.discard("127.0.0.1")
    return sorted(found)


def refused(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(2)
        try:
            sock.connect((host, port))
        except OSError:
            return True
    return False


def assert_loopback_only(ports: set[int], sockets: set[tuple[str, int]]) -> None:
    mine = {(address, port) for address, port in sockets if port in ports}
    assert {port for _, port in mine} == ports, f"not all ports are listening: {mine}"
    assert {address for address, _ in mine} == {"127.0.0.1"}, mine
    for port in ports:
        assert not refused("127.0.0.1", port)
        for address in [*other_local_addresses(), "::1"]:
            assert refused(address, port), f"{address}:{port} accepted a connection"


def test_the_checker_sees_a_socket_bound_to_every_interface() -> None:
    with socket.socket() as wide:
        wide.bind(("0.0.0.0", 0))
        wide.listen()
        port = wide.getsockname()[1]
        assert ("0.0.0.0", port) in listening()
        assert not refused("127.0.0.2", port)  # so the refusals below mean something
        with pytest.raises(AssertionError):
            assert_loopback_only({port}, listening())


def test_the_sandbox_listens_on_127_0_0_1_only(tmp_path: Path) -> None:
    before = listening()
    with Sandbox(tmp_path / "sandbox.db", port=0) as sandbox:
        new = listening() - before
        ports = {port for _, port in sandbox.sockets}
        assert len(ports) == 2  # the page (with the fake Slack API) and the bot's endpoint
        assert {port for _, port in new} == ports
        assert_loopback_only(ports, new)
        assert httpx.get(sandbox.url + "/api/health").json()["bot"] is True


# ------------------------------------------------------------------ the command line
def _environment() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("SLACK_") and k not in ("DATABASE_URL", "MENTORBOT_SCHEDULER")
    }
    env["MENTORBOT_CONTENT_DIR"] = str(REPO / "content")
    env["PYTHONUNBUFFERED"] = "1"
    return env


@contextlib.contextmanager
def running(args: list[str], cwd: Path) -> Iterator[tuple[subprocess.Popen[str], list[str]]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=cwd,
        env=_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    lines: list[str] = []

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        yield process, lines
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        reader.join(5)


def wait_for_url(process: subprocess.Popen[str], lines: list[str], budget: float) -> str:
    deadline = time.monotonic() + budget
    while time.monotonic() < deadline:
        for line in list(lines):
            match = URL_LINE.search(line)
            if match:
                return match.group(1)
        if process.poll() is not None:
            break
        time.sleep(0.05)
    raise AssertionError(f"no sandbox URL within {budget} s; output:\n{''.join(lines)}")


def test_make_run_without_slack_settings_prints_the_sandbox_url(
    tmp_path: Path,
) -> None:
    started = time.monotonic()
    with running(["run"], tmp_path) as (process, lines):
        url = wait_for_url(process, lines, URL_TIMEOUT_SECONDS)
        elapsed = time.monotonic() - started
        print(f"`mentorbot run` printed {url} after {elapsed:.1f} s")
        output = "".join(lines)
        assert "No Slack tokens are set" in output  # and says how to connect real Slack
        page = httpx.get(url)
        assert page.status_code == 200 and "mentorbot sandbox" in page.text
        assert len(httpx.get(url + "/api/people").json()["people"]) == 30
        assert (tmp_path / "sandbox.db").exists()  # its own data file, in the working folder
        sockets = listening(process.pid)
        assert int(url.rsplit(":", 1)[1]) in {port for _, port in sockets}
        assert_loopback_only({port for _, port in sockets}, sockets)
        process.send_signal(signal.SIGTERM)
        assert process.wait(STOP_TIMEOUT_SECONDS) == 0


def test_mentorbot_sandbox_command_listens_on_loopback_only_and_stops_cleanly(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data" / "my-sandbox.db"
    with running(["sandbox", "--port", "0", "--db", str(data), "--seed", "empty"], tmp_path) as (
        process,
        lines,
    ):
        url = wait_for_url(process, lines, URL_TIMEOUT_SECONDS)
        sockets = listening(process.pid)
        assert len(sockets) == 2  # the page and the bot, nothing else
        assert_loopback_only({port for _, port in sockets}, sockets)
        everyone = httpx.get(url + "/api/people").json()["people"]
        assert len(everyone) == 30 and {p["stage"] for p in everyone} == {"not joined"}
        assert data.exists()
        process.send_signal(signal.SIGTERM)
        assert process.wait(STOP_TIMEOUT_SECONDS) == 0
    assert "sandbox stopped" in "".join(lines)


def test_a_bad_port_is_a_clear_error(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "sandbox", "--port", "70000"],
        cwd=tmp_path,
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "--port must be between 0 and 65535" in result.stderr


def test_a_busy_port_moves_to_the_next_free_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from sandbox.cli import run_sandbox

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        stop = threading.Event()
        result: list[int] = []
        worker = threading.Thread(
            target=lambda: result.append(
                run_sandbox(port=port, db=tmp_path / "s.db", seed="empty", stop=stop)
            )
        )
        worker.start()
        output = ""
        try:
            deadline = time.monotonic() + URL_TIMEOUT_SECONDS
            while time.monotonic() < deadline and not URL_LINE.search(output):
                output += capsys.readouterr().out
                time.sleep(0.05)
            match = URL_LINE.search(output)
            assert match, output
            moved = int(match.group(2))
            assert port < moved < port + 10
            assert f"Port {port} is busy, so the sandbox uses {moved}." in output
            assert httpx.get(match.group(1) + "/api/health").status_code == 200
        finally:
            stop.set()
            worker.join(STOP_TIMEOUT_SECONDS)
        assert result == [0]
