"""`mentorbot sandbox`: try the whole bot in a browser, no Slack workspace needed.

`mentorbot run` starts it too when no Slack tokens are set (`run_sandbox(port=3000,
seed="demo")`). Everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType

from sandbox.seed import SEEDS

DEFAULT_PORT = 3000
DEFAULT_DB = "sandbox.db"
PORT_ATTEMPTS = 10  # when the port is busy, try the next few


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "sandbox",
        help="try the bot in your browser against a local stand-in for Slack",
        description=(
            "Start the real bot against a local stand-in for Slack, with a web page where you "
            "pick who you are and use the bot as them. Listens on 127.0.0.1 only."
        ),
    )
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"port for the page (default {DEFAULT_PORT}; 0 picks a free one)",
    )
    parser.add_argument(
        "--seed",
        choices=SEEDS,
        default="demo",
        help="what an empty sandbox starts with: the demo program (default) or just the people",
    )
    parser.add_argument(
        "--db", default=DEFAULT_DB, help=f"the sandbox's SQLite file (default {DEFAULT_DB})"
    )
    parser.add_argument(
        "--reset", action="store_true", help="delete the sandbox's data first and start afresh"
    )
    parser.set_defaults(func=_command)


def _command(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535:
        print(f"mentorbot: --port must be between 0 and 65535, not {args.port}", file=sys.stderr)
        return 2
    from bot.cli.common import settings_or_exit
    from bot.platform.logs import configure_logging

    settings = settings_or_exit()
    configure_logging(settings.log_level)
    return run_sandbox(port=args.port, seed=args.seed, db=args.db, reset=args.reset)


def run_sandbox(
    port: int = DEFAULT_PORT,
    seed: str = "demo",
    db: str | Path = DEFAULT_DB,
    *,
    reset: bool = False,
    stop: threading.Event | None = None,
) -> int:
    """Start the sandbox, print its URL, and serve until Ctrl-C, SIGTERM or `stop` is set."""
    started = time.monotonic()
    from sandbox.app import Sandbox, SandboxStartError

    for chatty in ("alembic.runtime.migration", "apscheduler"):  # start-up noise, not news
        logging.getLogger(chatty).setLevel(logging.WARNING)

    sandbox = Sandbox(db, port=port, seed=seed, reset=reset, port_attempts=PORT_ATTEMPTS)
    try:
        sandbox.start()
    except SandboxStartError as exc:
        print(f"mentorbot: {exc}", file=sys.stderr)
        return 1
    stop = stop or threading.Event()
    try:
        if port and sandbox.server is not None and sandbox.server.port != port:
            print(f"Port {port} is busy, so the sandbox uses {sandbox.server.port}.")
        data = "seeded with the demo organisation" if sandbox.seeded_on_start else "kept"
        print(
            f"\nmentorbot sandbox is running: open {sandbox.url}\n"
            f"  data: {sandbox.db_path} ({data}; reset it from the page or with --reset)\n"
            f"  ready in {time.monotonic() - started:.1f} s. Press Ctrl-C to stop.\n",
            flush=True,
        )
        _stop_on_sigterm(stop)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
    print("sandbox stopped", flush=True)
    return 0


def _stop_on_sigterm(stop: threading.Event) -> None:
    if threading.current_thread() is not threading.main_thread():
        return

    def handler(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handler)
