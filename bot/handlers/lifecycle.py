"""The workspace lifecycle in Slack: `app_uninstalled` and `tokens_revoked` (of the bot token;
user tokens alone change nothing) stop all sending at once; a reinstall within the retention
period restores the workspace as it was; after the retention period the purge sweep deletes
its data (a reinstall after that starts clean).

Sending is stopped by construction: every Web API client the app uses (the app-wide one the
sweeps use, and the one Bolt makes for each request) goes through `SendGuard`, which refuses
any call for a workspace flagged as uninstalled (`core.programs.lifecycle.workspace_active`).

A request from a workspace flagged as uninstalled is either the proof of a reinstall (it is
signed with our secret, a person is using the app, and the bot token works again: uninstalling
revokes it) and restores the workspace, or it was already in flight when the app was
uninstalled: then it is acknowledged and ignored (nothing handled, stored, sent or deleted).
No request ever deletes data.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import text

from bot.platform import log_guard
from bot.scheduling.scheduler import sweeps
from core.programs import lifecycle

if TYPE_CHECKING:
    from bot.app import MentorApp

logger = logging.getLogger(__name__)

LIFECYCLE_EVENTS = ("app_uninstalled", "tokens_revoked")
REFRESH_SECONDS = 2.0  # how stale the process's view of uninstalled workspaces may get
TOKEN_CHECK_TIMEOUT = 1  # auth.test runs before the ack (with a DB wait of 1.5 s at most)


class SendingStopped(SlackClientError):
    """The workspace uninstalled the app: nothing may be sent to it any more."""


class SendGuard:
    """Knows which workspaces are uninstalled and refuses Web API calls to them."""

    def __init__(self, mentor: MentorApp) -> None:
        self.mentor = mentor
        self._inactive: set[str] = set()
        self._read_at = float("-inf")
        self._lock = threading.Lock()

    def _read(self) -> set[str]:
        # A plain read outside any ORM transaction (so it never waits on, or for, a writer).
        raw = self.mentor.db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute(
                str(text("SELECT team_id FROM workspaces WHERE uninstalled_at IS NOT NULL"))
            )
            found = {str(row[0]) for row in cursor.fetchall()}
            cursor.close()
            return found
        finally:
            raw.close()

    def inactive(self, *, fresh: bool = False) -> set[str]:
        with self._lock:
            now = time.monotonic()
            if fresh or now - self._read_at > REFRESH_SECONDS:
                self._read_at = now  # also after a failed read: retried after REFRESH_SECONDS
                try:
                    self._inactive = self._read()
                except Exception as exc:
                    # The database is unreachable or locked: keep the last known answer, so
                    # requests are still acknowledged and people can be told to try again.
                    logger.warning("could not read uninstalled workspaces (%s)", type(exc).__name__)
            return set(self._inactive)

    def mark(self, team_id: str) -> None:
        with self._lock:
            self._inactive.add(team_id)

    def clear(self, team_id: str) -> None:
        with self._lock:
            self._inactive.discard(team_id)

    def allowed(self, team_id: str | None) -> bool:
        inactive = self.inactive()
        return team_id not in inactive if team_id else not inactive

    def wrap(self, client: WebClient, team_id: str | None) -> WebClient:
        """Make every Web API call of this client check the workspace first (idempotent)."""
        if getattr(client, "_mentorbot_guarded", False):
            return client
        original = client.api_call

        def guarded(api_method: str, *args: Any, **kwargs: Any) -> Any:
            team = team_id or getattr(client, "team_id", None)
            if not self.allowed(team):
                logger.info("not calling %s: workspace %s uninstalled the app", api_method, team)
                raise SendingStopped(f"workspace {team} uninstalled the app")
            return original(api_method, *args, **kwargs)

        client.api_call = guarded  # type: ignore[method-assign]
        client._mentorbot_guarded = True  # type: ignore[attr-defined]
        return client


def workspace_active(mentor: MentorApp, team_id: str | None) -> bool:
    """For other features: may the bot send to this workspace right now?"""
    return mentor.send_guard.allowed(team_id)


def stop_sending(mentor: MentorApp, team_id: str) -> None:
    mentor.send_guard.mark(team_id)
    first = lifecycle.uninstall(mentor.db, team_id, mentor.clock)
    if first:
        logger.info(
            "workspace %s uninstalled the app: sending stopped; data purged after %d days",
            team_id,
            mentor.settings.retention_days,
        )


def lifecycle_sweep(mentor: MentorApp) -> None:
    """Purge workspaces past their retention period, and people who left a program past the
    program's retention days."""
    outcome = lifecycle.retention_sweep(mentor.db, mentor.clock, mentor.settings.retention_days)
    for team_id in outcome.purged:
        mentor.send_guard.clear(team_id)
    for team_id, forgotten in outcome.forgotten.items():
        logger.info("deleted the data of %d people who left (team %s)", len(forgotten), team_id)


def token_works(mentor: MentorApp, team_id: str) -> bool:
    """Does the bot token work for this workspace (`auth.test`, the guard bypassed)? After an
    uninstall Slack answers `token_revoked` until the app is installed again."""
    client = mentor.client
    probe = WebClient(
        token=client.token, base_url=client.base_url, timeout=TOKEN_CHECK_TIMEOUT, retry_handlers=[]
    )
    try:
        answer = probe.auth_test()
    except (SlackApiError, SlackClientError, OSError) as exc:
        logger.info("workspace %s: the bot token does not work (%s)", team_id, type(exc).__name__)
        return False
    return bool(answer.get("ok")) and answer.get("team_id") == team_id


def reinstall_signal(
    req: BoltRequest, mentor: MentorApp, team_id: str
) -> lifecycle.ReinstallSignal:
    """What the request says about a possible new install (the rule is in core)."""
    body = req.body if isinstance(req.body, dict) else {}
    event_callback = body.get("type") == "event_callback"
    event = (body.get("event") or {}) if event_callback else {}
    lifecycle_event = event.get("type") in LIFECYCLE_EVENTS
    retry = bool(req.headers.get("x-slack-retry-num"))
    event_time = body.get("event_time") if event_callback else None
    return lifecycle.ReinstallSignal(
        event_callback=event_callback,
        lifecycle_event=lifecycle_event,
        retry=retry,
        event_time=float(event_time) if isinstance(event_time, (int, float)) else None,
        token_works=not (lifecycle_event or retry) and token_works(mentor, team_id),
    )


def restored(mentor: MentorApp, req: BoltRequest, team_id: str) -> bool:
    """A request from a workspace flagged as uninstalled: True if it proves a reinstall (the
    workspace is then restored as it was)."""
    signal = reinstall_signal(req, mentor, team_id)
    done = lifecycle.check_reinstall(
        mentor.db, team_id, signal, mentor.clock, mentor.settings.retention_days
    )
    if done:
        mentor.send_guard.clear(team_id)
    mentor.send_guard.inactive(fresh=True)
    return done


def is_lifecycle_event(req: BoltRequest) -> bool:
    body = req.body if isinstance(req.body, dict) else {}
    event = body.get("event") if body.get("type") == "event_callback" else None
    return isinstance(event, dict) and event.get("type") in LIFECYCLE_EVENTS


def register(app: App, mentor: MentorApp) -> None:
    log_guard.install()
    send_guard = mentor.send_guard
    send_guard.wrap(mentor.client, None)
    sweeps(mentor).append(lifecycle_sweep)

    @app.middleware
    def lifecycle_guard(req: BoltRequest, resp: BoltResponse, next: Any) -> BoltResponse | None:  # noqa: A002
        team_id = req.context.team_id
        if (
            team_id
            and team_id in send_guard.inactive()
            and not is_lifecycle_event(req)
            and not restored(mentor, req, team_id)
        ):
            # In flight when the app was uninstalled (or past the retention period):
            # acknowledged and ignored; nothing is handled, stored, sent or deleted.
            logger.info("ignoring a request from workspace %s: app uninstalled", team_id)
            return BoltResponse(status=200, body="")
        client = req.context.client
        if client is not None:
            send_guard.wrap(client, team_id)
        next()
        return None

    @app.event("app_uninstalled")
    def uninstalled(context: Any) -> None:
        if context.team_id:
            stop_sending(mentor, str(context.team_id))

    @app.event("tokens_revoked")
    def revoked(event: dict[str, Any], context: Any) -> None:
        bots = (event.get("tokens") or {}).get("bot") or []
        if bots and context.team_id:
            stop_sending(mentor, str(context.team_id))
