"""Global middleware: ignore what is not ours, and handle each Slack event once."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.request.internals import extract_enterprise_id, extract_team_id

from bot.platform import idempotency
from core.kernel.events import handle_once

if TYPE_CHECKING:
    from bot.app import MentorApp

logger = logging.getLogger(__name__)


def register(app: App, mentor: MentorApp) -> None:
    @app.middleware
    def only_our_workspace(req: BoltRequest, resp: BoltResponse, next: Any) -> BoltResponse | None:  # noqa: A002
        """Drop requests from another workspace than the one the token belongs to: a request
        is ours when its team is the token's team, or, for an Enterprise Grid org-wide install
        (a token with an enterprise and no team), when its enterprise is the token's. A foreign
        team is dropped whatever enterprise it claims."""
        authorized = req.context.authorize_result
        body = req.body if isinstance(req.body, dict) else {}
        # From the request itself: Bolt's context takes the team from the token once authorized.
        team_id = extract_team_id(body)
        enterprise_id = extract_enterprise_id(body)
        if authorized is None or not (team_id or enterprise_id):
            next()
            return None
        if authorized.team_id:
            ours = team_id == authorized.team_id
        else:
            ours = bool(authorized.enterprise_id) and enterprise_id == authorized.enterprise_id
        if not ours:
            logger.info("ignoring a request from another workspace (%s)", team_id or enterprise_id)
            return BoltResponse(status=200, body="")
        next()
        return None

    @app.middleware
    def ignore_bots(req: BoltRequest, resp: BoltResponse, next: Any) -> BoltResponse | None:  # noqa: A002
        event = req.body.get("event") if isinstance(req.body, dict) else None
        if isinstance(event, dict) and (
            event.get("bot_id") or event.get("subtype") == "bot_message" or event.get("bot_profile")
        ):
            return BoltResponse(status=200, body="")
        next()
        return None

    @app.middleware
    def once_per_event(req: BoltRequest, resp: BoltResponse, next: Any) -> BoltResponse | None:  # noqa: A002
        """Slack retries and duplicate deliveries carry the same event_id: handle it once."""
        body = req.body if isinstance(req.body, dict) else {}
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id:
            fresh = handle_once(
                mentor.db, str(event_id), str(body.get("team_id") or ""), mentor.clock
            )
            if not fresh:
                logger.info("event %s already handled; skipping", event_id)
                return BoltResponse(status=200, body="")
        next()
        return None

    idempotency.register(app, mentor)  # and each button, modal submission, slash command once
