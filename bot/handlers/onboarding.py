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
    from bot.flows.onboarding import OnboardingFlow


def _token_from_block(action: dict[str, Any], prefix: str) -> dict[str, Any]:
    block_id = str(action.get("block_id") or "")
    return decode_value(block_id[len(prefix) :]) if block_id.startswith(prefix) else {}


def register(app: App, mentor: MentorApp) -> None:
    flow = mentor.flows.onboarding
    app.action(re.compile(rf"^({_BUTTON_PREFIXES})\.[a-z0-9_]+$"))(_answer_button(flow))
    app.action(re.compile(rf"^({_MENU_IDS})$"))(_answer_menu(flow))
    app.action(ids.ONBOARDING_NOTES_SKIP)(_answer_with(flow, None))
    app.action(ids.ONBOARDING_CONFIDENTIALITY)(_answer_with(flow, True))
    app.action(ids.ONBOARDING_CONFIRM)(_confirm(flow))
    app.action(ids.ONBOARDING_EDIT)(_edit(flow))
    app.action(ids.PROFILE_CHOOSE)(_choose_profile(flow))
    register_submission(
        app,
        ids.PROFILE_MODAL,
        lambda team_id, user_id, view: flow.submit_editor(team_id, user_id, view),
    )


_BUTTON_PREFIXES = "|".join(
    re.escape(p)
    for p in (
        ids.ONBOARDING_ROLE,
        ids.ONBOARDING_PRIORITY,
        ids.ONBOARDING_CAPACITY,
        ids.ONBOARDING_FORMAT,
    )
)
# The menus' action ids, and the prefix of the block id that carries each one's token.
_MENU_PREFIXES = {
    ids.ONBOARDING_GOALS: "onboarding.goals.",
    ids.ONBOARDING_EXPERTISE: "onboarding.expertise.",
    ids.ONBOARDING_LANGUAGES: "onboarding.languages.",
}
_MENU_IDS = "|".join(re.escape(a) for a in _MENU_PREFIXES)


def _answer_button(flow: OnboardingFlow) -> Callable[..., None]:
    def answer_button(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        ack()
        team_id, user_id = _ids(body)
        token = decode_value(action.get("value"))
        flow.on_answer(client, team_id, user_id, token=token, value=token.get("x"))

    return answer_button


def _answer_menu(flow: OnboardingFlow) -> Callable[..., None]:
    def answer_menu(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        ack()
        team_id, user_id = _ids(body)
        token = _token_from_block(action, _MENU_PREFIXES[action["action_id"]])
        chosen = [o.get("value") for o in action.get("selected_options") or []]
        flow.on_answer(client, team_id, user_id, token=token, value=chosen)

    return answer_menu


def _answer_with(flow: OnboardingFlow, value: Any) -> Callable[..., None]:
    """A button whose answer is always `value` (its token says which question)."""

    def listener(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        team_id, user_id = _ids(body)
        flow.on_answer(
            client, team_id, user_id, token=decode_value(action.get("value")), value=value
        )

    return listener


def _confirm(flow: OnboardingFlow) -> Callable[..., None]:
    def confirm(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        team_id, user_id = _ids(body)
        flow.confirm(client, team_id, user_id, decode_value(action.get("value")))

    return confirm


def _edit(flow: OnboardingFlow) -> Callable[..., None]:
    def edit(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        team_id, user_id = _ids(body)
        flow.open_editor(client, team_id, user_id, trigger_id(body))

    return edit


def _choose_profile(flow: OnboardingFlow) -> Callable[..., None]:
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

    return choose_profile
