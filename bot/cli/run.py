"""`mentorbot run`: run the bot (Socket Mode, HTTP, or the local sandbox without Slack)."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.cli.common import fail, settings_or_exit
from bot.cli.startup import (
    DatabaseUnreachable,
    request_path_warm_up,
    wait_for_database,
    warm_up,
)
from bot.platform.logs import configure_logging
from core.kernel.migrate import upgrade

if TYPE_CHECKING:
    from bot.app import MentorApp

logger = logging.getLogger("mentorbot")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run", help="run the bot (the sandbox if no Slack tokens are set)"
    )
    parser.set_defaults(func=_run)


def _run(_args: argparse.Namespace) -> int:
    settings = settings_or_exit()
    secrets = [
        s.get_secret_value()
        for s in (settings.slack_bot_token, settings.slack_app_token, settings.slack_signing_secret)
        if s is not None
    ]
    configure_logging(settings.log_level, secrets)
    if settings.mode == "none":
        print(NO_SLACK_HELP, file=sys.stderr)
        from sandbox.cli import run_sandbox  # the local stand-in for Slack

        return run_sandbox(port=3000, seed="demo")
    try:
        settings.require_slack()
    except Exception as exc:
        return fail(str(exc))
    try:
        wait_for_database(settings.database_url, settings.db_wait_seconds)
    except DatabaseUnreachable as exc:
        return fail(str(exc))
    from bot.app import open_database

    db = open_database(settings.database_url)
    try:
        upgrade(db.engine)
    except Exception as exc:
        return fail(f"could not migrate the database: {type(exc).__name__}: {exc}")
    from bot.app import create_app

    socket_mode = settings.mode == "socket"
    mentor = create_app(settings, db=db, socket_mode=socket_mode)
    warming = warm_up(mentor, warm_up_steps(mentor))
    from bot.scheduling.scheduler import start_scheduler

    scheduler = start_scheduler(mentor) if settings.scheduler_enabled else None
    try:
        if socket_mode:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            assert settings.slack_app_token is not None
            warming.join()  # no health check to hold Slack back: connect once warm
            logger.info("starting in Socket Mode")
            SocketModeHandler(mentor.bolt, settings.slack_app_token.get_secret_value()).start()
        else:
            import uvicorn

            from bot.platform.server import create_asgi

            logger.info(
                "serving Slack requests on http://%s:%s/slack/events", settings.host, settings.port
            )
            uvicorn.run(
                create_asgi(mentor),
                host=settings.host,
                port=settings.port,
                log_level=settings.log_level.lower(),
            )
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        mentor.close()
    return 0


def warm_up_steps(mentor: MentorApp) -> list[Callable[[], object]]:
    """What start-up prepares before `/healthz` says ready: the request path's one-time
    costs, and the FAQ index (the embedding model encodes every entry, a few seconds), so
    no answer waits for them."""
    return [lambda: request_path_warm_up(mentor), lambda: mentor.flows.faq.warm().join()]


NO_SLACK_HELP = """\
No Slack tokens are set, so mentorbot is starting its local sandbox instead.

To connect a real Slack workspace:
  1. Create an app at https://api.slack.com/apps -> "From an app manifest", paste manifest.yml.
  2. Install it to your workspace and copy the Bot User OAuth Token (xoxb-...).
  3. Either set SLACK_BOT_TOKEN and SLACK_APP_TOKEN (an xapp- token with connections:write)
     for Socket Mode, or SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET for HTTP mode.
  See README.md for every setting.
"""
