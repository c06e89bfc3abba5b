"""App Home: rebuilt from the database whenever it is opened; its buttons."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.handlers.common import _ids, trigger_id
from bot.platform import ids
from bot.platform.blocks import decode_value

if TYPE_CHECKING:
    from bot.app import MentorApp


def register(app: App, mentor: MentorApp) -> None:
    @app.event("app_home_opened")
    def home_opened(event: dict[str, Any], context: Any, client: WebClient) -> None:
        user_id = str(event.get("user") or "")
        team_id = str(context.team_id or "")
        if not user_id:
            return
        # Opening the app starts nothing: the Home tab explains the program and offers Join;
        # the very first visit to the Messages tab gets the same offer once, in the DM.
        if event.get("tab", "home") == "home":
            mentor.flows.onboarding.publish_home(client, team_id, user_id)
        else:
            mentor.flows.onboarding.greet_once(client, team_id, user_id)

    @app.action(ids.HOME_JOIN)
    @app.action(ids.HOME_CONTINUE)
    def join(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        team_id, user_id = _ids(body)
        flow = mentor.flows.onboarding
        # The App Home's button names no program; an invitation's or the chooser's does.
        joined = flow.join(client, team_id, user_id, decode_value(action.get("value")))
        flow.clicked_join(client, body)  # a Join in a message loses its button
        if joined:
            flow.publish_home(client, team_id, user_id)

    @app.action(ids.HOME_EDIT_PROFILE)
    def edit(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        team_id, user_id = _ids(body)
        program_id = decode_value(action.get("value")).get("p")
        if program_id is None:
            mentor.flows.onboarding.open_editor(client, team_id, user_id, trigger_id(body))
        else:  # someone in several programs: the program's own button (checked it is theirs)
            mentor.flows.onboarding.profile_chosen(
                client, team_id, user_id, trigger_id(body), program_id
            )
