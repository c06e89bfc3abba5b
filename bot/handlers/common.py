"""What every feature's listeners do alike: read who acted, and acknowledge a modal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

FollowUp = Callable[[WebClient], None]
# A modal's submission handed to a flow: (field errors, or None and what to do once closed).
Submit = Callable[[str, str, dict[str, Any]], tuple[dict[str, str] | None, FollowUp | None]]


def _ids(body: dict[str, Any]) -> tuple[str, str]:
    """The team and user a request comes from."""
    user = body.get("user") or {}
    team = (body.get("team") or {}).get("id") or user.get("team_id") or ""
    return str(team), str(user.get("id") or "")


def trigger_id(body: dict[str, Any]) -> str:
    return str(body.get("trigger_id") or "")


def answer_submission(
    ack: Ack,
    client: WebClient,
    errors: dict[str, str] | None,
    follow_up: FollowUp | None = None,
) -> None:
    """Acknowledge a modal submission: with its field errors (the modal stays open), or as
    done and then run the follow-up."""
    if errors:
        ack(response_action="errors", errors=errors)
        return
    ack()
    if follow_up is not None:
        follow_up(client)


def value_listener(
    step: Callable[[WebClient, str, str, str | None, Respond], None],
) -> Callable[..., None]:
    """A listener for a button whose raw value is handed on:
    `step(client, team_id, user_id, value, respond)`."""

    def listener(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        team_id, user_id = _ids(body)
        step(client, team_id, user_id, action.get("value"), respond)

    return listener


def register_submission(app: App, callback_id: str, submit: Submit) -> None:
    """Hand a modal's submission to `submit(team_id, user_id, view)` and acknowledge it."""

    @app.view_submission(callback_id)
    def submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        team_id, user_id = _ids(body)
        answer_submission(ack, client, *submit(team_id, user_id, view))
