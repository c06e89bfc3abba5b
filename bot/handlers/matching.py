"""Listeners for matching: the shortlist's buttons, the mentor's Accept / Decline, and their
modals. Registering also adds matching's sweep (its hooks are wired in `bot.app.build_flows`)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.flows.matching import MatchingFlow, Press, matching_sweep
from bot.handlers.common import _ids, trigger_id
from bot.platform import ids
from bot.platform.blocks import decode_value
from bot.scheduling.scheduler import sweeps
from bot.views import matching as views
from core.matchmaking.service import MessageRef

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


def _register_change_goals(app: App, mentor: MentorApp) -> None:
    @app.action(ids.MATCH_CHANGE_GOALS)
    def change_goals(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        """*Change my goals* (no mentor fits): the profile editor of that program."""
        ack()
        team_id, user_id = _ids(body)
        program_id = decode_value(action.get("value")).get("p")
        onboarding = mentor.flows.onboarding
        if isinstance(program_id, int) and not isinstance(program_id, bool):
            onboarding.profile_chosen(client, team_id, user_id, trigger_id(body), program_id)
        else:
            onboarding.open_editor(client, team_id, user_id, trigger_id(body))


def register(app: App, mentor: MentorApp) -> None:
    flow = mentor.flows.matching
    sweeps(mentor).append(matching_sweep)

    # The steps are named unbound (`MatchingFlow.on_request`) and called with `flow`.
    def on_click(
        action_id: str | re.Pattern[str], step: Callable[..., None], *, opens_modal: bool
    ) -> None:
        """A button of the shortlist or of a mentor's request: `step(flow, press)`."""

        @app.action(action_id)
        def clicked(
            ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient
        ) -> None:
            ack()
            team_id, user_id = _ids(body)
            trigger = trigger_id(body) if opens_modal else ""
            token = decode_value(action.get("value"))
            step(flow, Press(client, team_id, user_id, token, _clicked(body), trigger))

    on_click(
        re.compile(rf"^{re.escape(ids.MATCH_REQUEST)}\.\d+$"),
        MatchingFlow.on_request,
        opens_modal=False,
    )
    on_click(ids.MATCH_NONE_SUIT, MatchingFlow.open_none_suit, opens_modal=True)
    on_click(ids.MATCH_ACCEPT, MatchingFlow.on_accept, opens_modal=False)
    on_click(ids.MATCH_DECLINE, MatchingFlow.open_decline, opens_modal=True)
    on_click(ids.MATCH_WAITLIST, MatchingFlow.on_waitlist, opens_modal=False)
    on_click(ids.MATCH_ASK_COORDINATOR, MatchingFlow.on_ask_coordinator, opens_modal=False)
    on_click(ids.MATCH_HELP_DONE, MatchingFlow.on_help_done, opens_modal=False)

    _register_change_goals(app, mentor)

    def on_submit(
        callback_id: str,
        key: str,
        submit: Callable[..., None],
        answer: Callable[[dict[str, Any]], tuple[Any, ...]],
    ) -> None:
        """A modal about the shortlist or request whose id is `key` in its metadata:
        `submit(flow, client, team_id, user_id, that_id, *answer(view))`."""

        @app.view_submission(callback_id)
        def submitted(
            ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
        ) -> None:
            ack()
            item_id = _metadata(view, key)
            if item_id is None:
                return
            team_id, user_id = _ids(body)
            submit(flow, client, team_id, user_id, item_id, *answer(view))

    on_submit(ids.MATCH_NONE_SUIT_MODAL, "s", MatchingFlow.submit_none_suit, views.none_suit_answer)
    on_submit(
        ids.MATCH_DECLINE_MODAL,
        "r",
        MatchingFlow.submit_decline,
        lambda view: (views.decline_reason(view),),
    )
