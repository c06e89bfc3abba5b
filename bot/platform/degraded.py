"""When the database cannot be reached or is locked, and when the job queue is full.

Every request is still answered within Slack's 3 s (the waits before the acknowledgement are
bounded: `core.kernel.db.patience`), and the person is told in a short, plain line that their
action could not be applied, where they acted: a slash command's reply (the acknowledgement
itself, or its response_url), a button's response_url, a modal's field error, a DM's
channel. Telling them needs no database.

Events (decided here): a DM is acknowledged with 200 and the person is told in the DM, so
they can say it again (Slack's retries would come minutes later, after they were told to
retry). Other events nobody is waiting on (Home opened, uninstall, channel joins) get a
quick 503 so that Slack delivers them again later; the event id was not recorded, so the
redelivery is handled.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk.webhook import WebhookClient
from sqlalchemy import exc as sa_exc

from bot.platform import idempotency, slack_io
from bot.platform.blocks import text_message
from bot.platform.executor import JobQueueFull
from core.kernel.interactions import AlreadyApplied
from core.kernel.texts import mrkdwn

if TYPE_CHECKING:
    from bot.app import MentorApp

logger = logging.getLogger(__name__)

UNAVAILABLE = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.TimeoutError,
    sa_exc.DisconnectionError,
    sqlite3.OperationalError,
)


def database_unavailable(error: BaseException) -> bool:
    """Is this the database being unreachable, locked or too slow (not a bug)?"""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, UNAVAILABLE):
            return True
        if isinstance(current, sa_exc.DBAPIError) and current.connection_invalidated:
            return True
        kind = type(current)
        if kind.__module__.startswith("psycopg") and kind.__name__ in (
            "OperationalError",
            "InterfaceError",
        ):
            return True
        current = current.__cause__ or current.__context__
    return False


def try_again_text() -> str:
    return mrkdwn("unavailable.try_again")


def busy_text() -> str:
    return mrkdwn("unavailable.busy")


def _kind(body: dict[str, Any]) -> str:
    """command, block_actions, view_submission, dm, or event (anything else)."""
    if body.get("command"):
        return "command"
    if body.get("type") in ("block_actions", "view_submission"):
        return str(body["type"])
    event = body.get("event") if body.get("type") == "event_callback" else None
    if not isinstance(event, dict) or event.get("subtype") or not event.get("user"):
        return "event"
    return "dm" if (event.get("type"), event.get("channel_type")) == ("message", "im") else "event"


def _user_id(body: dict[str, Any]) -> str:
    user = body.get("user")
    if isinstance(user, dict):
        return str(user.get("id") or "")
    return str(body.get("user_id") or (body.get("event") or {}).get("user") or "")


def _first_input_block(body: dict[str, Any]) -> str | None:
    for block in (body.get("view") or {}).get("blocks") or []:
        if block.get("type") == "input" and block.get("block_id"):
            return str(block["block_id"])
    return None


def tell(mentor: MentorApp, body: dict[str, Any], text: str) -> None:
    """Say `text` to the person a request came from, where they acted. Never raises."""
    kind = _kind(body)
    try:
        url = body.get("response_url")
        if kind in ("command", "block_actions") and url:
            WebhookClient(str(url)).send(
                text=text, response_type="ephemeral", replace_original=False
            )
        elif kind == "dm":
            channel = str(body["event"]["channel"])
            mentor.client.chat_postMessage(channel=channel, **text_message(text))
        elif _user_id(body):
            slack_io.post_dm(mentor.client, _user_id(body), text_message(text))
    except Exception as exc:  # the notice is best effort; the cause is logged already
        logger.warning("could not tell the person (%s)", type(exc).__name__)


def _acked(request: BoltRequest) -> bool:
    ack = request.context.get("ack")
    return ack is not None and ack.response is not None


def on_unavailable(
    mentor: MentorApp, request: BoltRequest, body: dict[str, Any]
) -> BoltResponse | None:
    """The database failed while handling `request`: the acknowledgement (if it is not sent
    yet) and the notice to the person."""
    kind = _kind(body)
    if _acked(request):
        tell(mentor, body, try_again_text())  # a listener thread: already off the request path
        return None
    if kind == "event":
        return BoltResponse(status=503, body="")
    if kind == "command":
        return BoltResponse(
            status=200,
            body=json.dumps({"response_type": "ephemeral", **text_message(try_again_text())}),
            headers={"content-type": "application/json"},
        )
    block_id = _first_input_block(body) if kind == "view_submission" else None
    if block_id is not None:
        errors = {block_id: try_again_text()}
        return BoltResponse(
            status=200,
            body=json.dumps({"response_action": "errors", "errors": errors}),
            headers={"content-type": "application/json"},
        )
    mentor.executor.submit(tell, mentor, body, try_again_text())
    return BoltResponse(status=200, body="")


def register(app: App, mentor: MentorApp) -> None:
    """The global error handler: database trouble is answered kindly, anything else is
    logged and answered 500 as before."""

    @app.error
    def on_error(
        error: Exception, request: BoltRequest, body: dict[str, Any], response: BoltResponse | None
    ) -> Any:
        if isinstance(error, AlreadyApplied):  # a replay lost the race: nothing was changed
            return idempotency.answer_repeat(body if isinstance(body, dict) else {}, response)
        if not database_unavailable(error):
            logger.exception("a Slack request failed (%s)", type(error).__name__)
            return None
        logger.warning(
            "database unavailable (%s) during a %s; asking the person to try again",
            type(error).__name__,
            _kind(body if isinstance(body, dict) else {}),
        )
        return on_unavailable(mentor, request, body if isinstance(body, dict) else {})


def run_job(
    mentor: MentorApp, job: Callable[[], object], say: Callable[[str], None] | None = None
) -> bool:
    """Run long work on the job queue, off the threads that acknowledge Slack. `say` tells
    the person (once) when the queue is full or the job finds the database unavailable; None
    for work already durably queued (the outbox: its sweep sends what is left). False when
    the job was not queued."""

    def guarded() -> None:
        try:
            job()
        except Exception as exc:
            if not database_unavailable(exc):
                logger.exception("a job failed (%s)", type(exc).__name__)
                return
            logger.warning("database unavailable (%s) during a job", type(exc).__name__)
            _say(say, try_again_text())

    try:
        mentor.jobs.submit(guarded)
    except JobQueueFull:
        logger.warning("the job queue is full; asking the person to try again shortly")
        _say(say, busy_text())
        return False
    return True


def _say(say: Callable[[str], None] | None, text: str) -> None:
    if say is None:
        return
    try:
        say(text)
    except Exception as exc:
        logger.warning("could not tell the person (%s)", type(exc).__name__)
