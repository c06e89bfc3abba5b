"""Listeners for matching: the shortlist's buttons, the mentor's Accept / Decline, and their
modals. Registering also hooks matching into profile confirmation, App Home and the sweep."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import ids
from bot.flows.matching import MatchingFlow, matching_flow, matching_sweep
from bot.handlers.onboarding import _ids
from bot.scheduler import sweeps
from bot.views import matching as views
from bot.views.blocks import decode_value
from core.matching_service import MessageRef

if TYPE_CHECKING:
    from bot.app import MentorApp


def _clicked(body: dict[str, Any]) -> MessageRef | None:
    container = body.get("container") or {}
    channel, ts = container.get("channel_id"), container.get("message_ts")
    if container.get("type") == "message" and channel and ts:
        return MessageRef(str(channel), str(ts))
    return None


def _metadata(view: dict[str, Any], key: str) -> int | None:
    try:
        value = json.loads(view.get("private_metadata") or "{}").get(key)
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def register(app: App, mentor: MentorApp) -> None:
    flow = MatchingFlow(mentor.db, mentor.clock, mentor.hooks)
    mentor.extras["matching"] = flow
    mentor.hooks.on_profile_confirmed(flow.on_profile_confirmed)
    mentor.hooks.on_rematch_requested(flow.on_rematch_requested)
    mentor.hooks.on_home_section(flow.home_section)
    sweeps(mentor).append(matching_sweep)

    @app.action(re.compile(rf"^{re.escape(ids.MATCH_REQUEST)}\.\d+$"))
    def request_mentor(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        ack()
        team_id, user_id = _ids(body)
        matching_flow(mentor).on_request(
            client, team_id, user_id, decode_value(action.get("value")), _clicked(body)
        )

    @app.action(ids.MATCH_NONE_SUIT)
    def none_suit(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        ack()
        team_id, user_id = _ids(body)
        matching_flow(mentor).open_none_suit(
            client,
            team_id,
            user_id,
            str(body.get("trigger_id") or ""),
            decode_value(action.get("value")),
            _clicked(body),
        )

    @app.view_submission(ids.MATCH_NONE_SUIT_MODAL)
    def none_suit_submitted(
        ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        ack()
        shortlist_id = _metadata(view, "s")
        if shortlist_id is None:
            return
        team_id, user_id = _ids(body)
        code, text = views.none_suit_answer(view)
        matching_flow(mentor).submit_none_suit(client, team_id, user_id, shortlist_id, code, text)

    @app.action(ids.MATCH_ACCEPT)
    def accept(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        team_id, user_id = _ids(body)
        matching_flow(mentor).on_accept(
            client, team_id, user_id, decode_value(action.get("value")), _clicked(body)
        )

    @app.action(ids.MATCH_DECLINE)
    def decline(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        team_id, user_id = _ids(body)
        matching_flow(mentor).open_decline(
            client,
            team_id,
            user_id,
            str(body.get("trigger_id") or ""),
            decode_value(action.get("value")),
            _clicked(body),
        )

    @app.view_submission(ids.MATCH_DECLINE_MODAL)
    def decline_submitted(
        ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        ack()
        request_id = _metadata(view, "r")
        if request_id is None:
            return
        team_id, user_id = _ids(body)
        matching_flow(mentor).submit_decline(
            client, team_id, user_id, request_id, views.decline_reason(view)
        )
