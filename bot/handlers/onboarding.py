"""Listeners for the onboarding conversation's buttons and menus, and the profile modal."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.handlers.common import _ids, register_submission, trigger_id
from bot.platform import ids
from bot.platform.blocks import decode_value

if TYPE_CHECKING:
    from bot.app import MentorApp


def _token_from_block(action: dict[str, Any], prefix: str) -> dict[str, Any]:
    block_id = str(action.get("block_id") or "")
    return decode_value(block_id[len(prefix) :]) if block_id.startswith(prefix) else {}


def register(app: App, mentor: MentorApp) -> None:
    flow = mentor.flows.onboarding
    button_prefixes = "|".join(
        re.escape(p)
        for p in (
            ids.ONBOARDING_ROLE,
            ids.ONBOARDING_PRIORITY,
            ids.ONBOARDING_CAPACITY,
            ids.ONBOARDING_FORMAT,
        )
    )

    @app.action(re.compile(rf"^({button_prefixes})\.[a-z0-9_]+$"))
    def answer_button(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        ack()
        team_id, user_id = _ids(body)
        token = decode_value(action.get("value"))
        flow.on_answer(client, team_id, user_id, token=token, value=token.get("x"))

    @app.action(
        re.compile(
            rf"^({re.escape(ids.ONBOARDING_GOALS)}|{re.escape(ids.ONBOARDING_EXPERTISE)}|{re.escape(ids.ONBOARDING_LANGUAGES)})$"
        )
    )
    def answer_menu(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        ack()
        team_id, user_id = _ids(body)
        prefix = {
            ids.ONBOARDING_GOALS: "onboarding.goals.",
            ids.ONBOARDING_EXPERTISE: "onboarding.expertise.",
            ids.ONBOARDING_LANGUAGES: "onboarding.languages.",
        }[action["action_id"]]
        token = _token_from_block(action, prefix)
        chosen = [o.get("value") for o in action.get("selected_options") or []]
        flow.on_answer(client, team_id, user_id, token=token, value=chosen)

    def answer_with(value: Any) -> Callable[..., None]:
        """A button whose answer is always `value` (its token says which question)."""

        def listener(
            ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient
        ) -> None:
            ack()
            team_id, user_id = _ids(body)
            flow.on_answer(
                client, team_id, user_id, token=decode_value(action.get("value")), value=value
            )

        return listener

    app.action(ids.ONBOARDING_NOTES_SKIP)(answer_with(None))
    app.action(ids.ONBOARDING_CONFIDENTIALITY)(answer_with(True))

    @app.action(ids.ONBOARDING_CONFIRM)
    def confirm(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        team_id, user_id = _ids(body)
        flow.confirm(client, team_id, user_id, decode_value(action.get("value")))

    @app.action(ids.ONBOARDING_EDIT)
    def edit(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        team_id, user_id = _ids(body)
        flow.open_editor(client, team_id, user_id, trigger_id(body))

    @app.action(ids.PROFILE_CHOOSE)
    def choose_profile(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        team_id, user_id = _ids(body)
        program_id = decode_value(action.get("value")).get("p")
        shown, replace = flow.profile_chosen(client, team_id, user_id, trigger_id(body), program_id)
        if replace:
            respond(replace_original=True, **shown)
        else:
            respond(response_type="ephemeral", replace_original=False, **shown)

    register_submission(
        app,
        ids.PROFILE_MODAL,
        lambda team_id, user_id, view: flow.submit_editor(team_id, user_id, view),
    )
