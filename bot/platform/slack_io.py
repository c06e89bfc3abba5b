"""Thin helpers around the Slack Web API calls the flows make."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from core.people.directory import SlackProfile

logger = logging.getLogger(__name__)

# Errors that mean a person cannot be messaged at all (not a passing problem).
UNREACHABLE_ERRORS = frozenset(
    {"user_not_found", "user_disabled", "account_inactive", "cannot_dm_bot", "users_not_found"}
)


def fetch_profile(client: WebClient, user_id: str) -> SlackProfile | None:
    """The person's Slack profile, or None if Slack could not tell (the flow goes on)."""
    try:
        response = client.users_info(user=user_id)
    except SlackApiError as exc:
        logger.warning("users.info failed for %s: %s", user_id, exc.response.get("error"))
        return None
    user = response.get("user") or {}
    return SlackProfile.from_users_info(user)


def open_dm(client: WebClient, user_id: str) -> str:
    response = client.conversations_open(users=user_id)
    return str(response["channel"]["id"])


def post_dm(client: WebClient, user_id: str, payload: dict[str, Any]) -> tuple[str, str]:
    """Post a message in the bot's DM with a person. Returns (channel, ts)."""
    channel = open_dm(client, user_id)
    response = client.chat_postMessage(channel=channel, **payload)
    return channel, str(response["ts"])


def update_message(client: WebClient, channel: str, ts: str, payload: dict[str, Any]) -> bool:
    try:
        client.chat_update(channel=channel, ts=ts, **payload)
        return True
    except SlackApiError as exc:
        logger.info("chat.update failed: %s", exc.response.get("error"))
        return False
