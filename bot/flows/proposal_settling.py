"""A coordinator's match proposal is asked of two people. When one side's answer settles it
(a no), the other side's ask, if still unanswered, loses its buttons and shows the ✓ line at
once, instead of waiting for a click to find it closed.

The ask is found in the bot's DM with that person by its actions block
(`coordinator.match.<id>`, see `bot.views.coordination.match_ask`), among the newest
messages; nothing about it needs storing.
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.platform import slack_io
from bot.views import coordination as views

logger = logging.getLogger(__name__)

#: How far back in the DM to look: the ask is recent (a proposal lasts days, not months).
HISTORY_LIMIT = 100


def close_other_ask(client: WebClient, user_id: str, match_id: int) -> bool:
    """Replace `user_id`'s unanswered ask for match `match_id` with the ✓ line; True if one
    was found. Slack failures are logged: their click would still find the match closed."""
    block_id = f"coordinator.match.{match_id}"
    try:
        channel = slack_io.open_dm(client, user_id)
        history = client.conversations_history(channel=channel, limit=HISTORY_LIMIT)
    except (SlackApiError, SlackClientError) as exc:
        logger.info("could not look for match %s's other ask: %s", match_id, type(exc).__name__)
        return False
    for shown in history.get("messages") or []:
        blocks = shown.get("blocks") or []
        if any(b.get("type") == "actions" and b.get("block_id") == block_id for b in blocks):
            return slack_io.update_message(
                client, channel, str(shown["ts"]), views.note("coordinator.match.stale")
            )
    return False
