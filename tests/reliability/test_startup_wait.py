"""Start-up waits for the database (issue #12): `mentorbot run` retries an unreachable
database with backoff for `MENTORBOT_DB_WAIT_SECONDS`, then exits non-zero with one line on
stderr that names the host, never the password, and no traceback."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.conftest import BACKENDS, REPO
from tests.tcp_proxy import TcpProxy

PASSWORD = "s3cret-pw-123"


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def mentorbot(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env={"PATH": "", "HOME": str(tmp_path), "PYTHONPATH": str(REPO), **env},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("wait", ["0", "1.5"])
def test_run_with_an_unreachable_database_stops_with_one_line_naming_the_host(
    tmp_path: Path, wait: str
) -> None:
    port = closed_port()
    result = mentorbot(
        tmp_path,
        "run",
        DATABASE_URL=f"postgresql+psycopg://mentor:{PASSWORD}@127.0.0.1:{port}/mentorbot",
        MENTORBOT_DB_WAIT_SECONDS=wait,
        SLACK_BOT_TOKEN="xoxb-test-token",
        SLACK_SIGNING_SECRET="test-signing-secret",
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("mentorbot: the database at 127.0.0.1:"), lines
    assert f"127.0.0.1:{port}" in lines[0] and "unreachable" in lines[0]
    assert f"waited {wait} s" in lines[0]
    assert PASSWORD not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_db_upgrade_waits_the_same_way(tmp_path: Path) -> None:
    port = closed_port()
    result = mentorbot(
        tmp_path,
        "db",
        "upgrade",
        DATABASE_URL=f"postgresql://mentor:{PASSWORD}@127.0.0.1:{port}/mentorbot",
        MENTORBOT_DB_WAIT_SECONDS="0.5",
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"127.0.0.1:{port}" in lines[0], result.stderr
    assert PASSWORD not in result.stderr


def test_a_negative_wait_is_refused_by_name(tmp_path: Path) -> None:
    result = mentorbot(tmp_path, "db", "upgrade", MENTORBOT_DB_WAIT_SECONDS="-1")
    assert result.returncode == 2
    assert result.stderr.strip().startswith("mentorbot: MENTORBOT_DB_WAIT_SECONDS:")


@pytest.mark.parametrize("backend", BACKENDS)
def test_start_up_carries_on_once_the_database_comes_up_during_the_wait(
    backend: str, tmp_path: Path, postgres_migrated: str | None
) -> None:
    proxies: list[TcpProxy] = []
    come_up: Callable[[], None]
    if backend == "sqlite":  # its directory (a volume, say) appears later
        later = tmp_path / "later"
        url = f"sqlite:///{later / 'mentorbot.db'}"

        def come_up() -> None:
            later.mkdir()

    else:  # the server refuses connections at first (tests/tcp_proxy.py), then answers
        assert postgres_migrated is not None
        real = make_url(postgres_migrated)
        proxy = TcpProxy(real.port or 5432, real.host or "127.0.0.1")
        proxy.cut(refuse=True)
        proxies.append(proxy)
        url = real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        come_up = proxy.restore

    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "db", "upgrade"],
        env={
            "PATH": "",
            "HOME": str(tmp_path),
            "PYTHONPATH": str(REPO),
            "DATABASE_URL": url,
            "MENTORBOT_DB_WAIT_SECONDS": "120",
        },
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        notice = proc.stderr.readline()  # it has failed for a while and says it is waiting
        assert "waiting up to 120 s for the database at" in notice, notice
        come_up()
        out, err = proc.communicate(timeout=180)
    finally:
        proc.kill()
        for proxy in proxies:
            proxy.close()
    assert proc.returncode == 0, err
    assert out.startswith("database at revision"), out
    assert "Traceback" not in err
