"""Direct messages to the bot: answers to a running conversation, or a fresh start."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.platform import slack_io
from bot.platform.blocks import message, section
from core.kernel.texts import mrkdwn

if TYPE_CHECKING:
    from bot.app import MentorApp

# Message subtypes that are a person writing something new (everything else: edits,
# deletions, joins, bot posts, is acknowledged and ignored).
PERSON_SUBTYPES = (None, "file_share", "thread_broadcast")


def register(app: App, mentor: MentorApp) -> None:
    @app.event("message")
    def direct_message(event: dict[str, Any], context: Any, client: WebClient) -> None:
        if event.get("channel_type") != "im" or event.get("subtype") not in PERSON_SUBTYPES:
            return
        user_id = str(event.get("user") or "")
        team_id = str(context.team_id or "")
        text = str(event.get("text") or "")
        if not user_id:
            return
        flow = mentor.flows.onboarding
        if flow.on_text(client, team_id, user_id, text):
            return
        if not flow.is_participant(team_id, user_id):
            # Someone new (or who left): a question gets its answer, "I'd like to join"
            # starts onboarding, anything else is told what the program is, with a Join button.
            flow.offer_join(client, team_id, user_id, text)
            return
        if mentor.hooks.dm(client, team_id, user_id, text):
            return
        reply = mrkdwn("messages.dm_fallback")
        slack_io.post_dm(client, user_id, message(reply, [section(reply)]))
