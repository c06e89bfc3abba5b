"""Coordinator `/mentoring` subcommands, their buttons and modals, and the coordinator sweep
(daily snapshots, paced announcements, the Monday digest). Every listener re-authorises the
person acting against the database (see `bot.flows.coordination`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.handlers.commands import commands
from bot.handlers.common import _ids, trigger_id, value_listener
from bot.platform import ids
from bot.scheduling.scheduler import sweeps
from bot.views import coordination as views

if TYPE_CHECKING:
    from bot.app import MentorApp
    from bot.flows.coordination import CoordinatorFlow


# A console modal's submission: (outcome, errors or a view, follow-up).
Submit = Callable[
    [str, str, dict[str, Any]],
    tuple[str, dict[str, Any] | None, Callable[[WebClient], None] | None],
]


def _program_id(action: dict[str, Any]) -> Any:
    try:
        return json.loads(action.get("value") or "{}").get("p")
    except (ValueError, AttributeError):
        return None


def register(app: App, mentor: MentorApp) -> None:
    console = mentor.flows.coordinator
    handlers = console.handlers()
    commands(mentor).update(handlers)
    mentor.coordinator_commands.update(handlers)
    sweeps(mentor).append(coordinator_sweep)
    app.action(ids.COORD_PROGRAM_SETTINGS)(_settings_button(console))
    _on_submit(app, ids.COORD_SETTINGS_MODAL, console.submit_settings)
    _on_submit(app, ids.COORD_ANNOUNCE_MODAL, console.submit_announcement)
    app.action(ids.COORD_DIGEST_STATS)(_digest_button(console, "stats"))
    app.action(ids.COORD_DIGEST_UNMATCHED)(_digest_button(console, "unmatched"))
    app.action(ids.COORD_DIGEST_AT_RISK)(_digest_button(console, "at_risk"))
    app.action(ids.COORD_LIST_SUGGEST)(_list_row_button(console, "unmatched"))
    app.action(ids.COORD_LIST_CHECK_IN)(_list_row_button(console, "at_risk"))
    app.action(ids.COORD_MATCH_ACCEPT)(_match_answer(console, True))
    app.action(ids.COORD_MATCH_DECLINE)(_match_answer(console, False))
    # A coordinator's matching run: "Send shortlists" is re-authorised and runs once.
    app.action(ids.COORD_MATCH_RUN_SEND)(value_listener(console.confirm_match_run))
    app.action(ids.COORD_MATCH_RUN_CANCEL)(_cancel_match_run(console))


def coordinator_sweep(m: MentorApp) -> None:
    m.flows.coordinator.sweep()


def _refuse(respond: Respond) -> None:
    respond(replace_original=False, response_type="ephemeral", **views.refusal(None))


def _settings_button(console: CoordinatorFlow) -> Callable[..., None]:
    def settings_button(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        team_id, user_id = _ids(body)
        program = console.authorize_click(team_id, user_id, _program_id(action), "program.settings")
        if program is None:
            _refuse(respond)
            return
        console.open_settings(client, program, trigger_id(body))

    return settings_button


def _on_submit(app: App, callback_id: str, submit: Submit) -> None:
    """A console modal: `submit` answers ("errors", errors, None), ("refused", refusal
    view, None) or ("ok", None, follow-up)."""

    @app.view_submission(callback_id)
    def submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        team_id, user_id = _ids(body)
        outcome, detail, follow_up = submit(team_id, user_id, view)
        if outcome == "errors":
            ack(response_action="errors", errors=detail)
        elif outcome == "refused":
            ack(response_action="update", view=detail)
        else:
            ack()
            if follow_up is not None:
                follow_up(client)


def _digest_button(console: CoordinatorFlow, kind: str) -> Callable[..., None]:
    def listener(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        team_id, user_id = _ids(body)
        action_name = f"digest.{kind}"
        program = console.authorize_click(team_id, user_id, _program_id(action), action_name)
        if program is None:
            _refuse(respond)
            return
        if kind == "stats":
            payload = console.stats_payload(program, user_id, action_name)
        else:
            payload = console.list_payload(program, user_id, kind)
        respond(replace_original=False, response_type="ephemeral", **payload)

    return listener


def _list_row_button(console: CoordinatorFlow, kind: str) -> Callable[..., None]:
    """A row's action on the unmatched / at-risk list: the list comes back with that row's ✓."""

    def step(
        client: WebClient, team_id: str, user_id: str, value: str | None, respond: Respond
    ) -> None:
        payload = console.act_on_list(client, team_id, user_id, kind, value)
        respond(replace_original=True, response_type="ephemeral", **payload)

    return value_listener(step)


def _match_answer(console: CoordinatorFlow, yes: bool) -> Callable[..., None]:
    """Someone's answer to a match a coordinator proposed."""

    def step(
        client: WebClient, team_id: str, user_id: str, value: str | None, respond: Respond
    ) -> None:
        console.answer_match(client, team_id, user_id, value, yes, respond)

    return value_listener(step)


def _cancel_match_run(console: CoordinatorFlow) -> Callable[..., None]:
    def cancel_match_run(ack: Ack, respond: Respond) -> None:
        ack()
        console.cancel_match_run(respond)

    return cancel_match_run
