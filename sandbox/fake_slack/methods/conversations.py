"""conversations.open, conversations.info and conversations.members."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..common import SlackApiFailure, split_ids, stable_id, truthy
from ..models import Channel

if TYPE_CHECKING:
    from ..core import FakeSlack

from .workspace import paginate


def conversations_open(fake: FakeSlack, args: dict[str, Any], base: str) -> dict[str, Any]:
    if args.get("channel"):
        channel, already = _existing_conversation(fake, str(args["channel"])), True
    else:
        users = _users_to_open(fake, args)
        if len(users) == 1:
            channel_id = stable_id("D", "im", fake.team_id, users[0])
            already = channel_id in fake._channels
            channel = fake._im_for(users[0])
        else:
            channel, already = _open_mpim(fake, sorted(users))
    out: dict[str, Any] = {}
    if already:
        out.update({"no_op": True, "already_open": True})
    if truthy(args.get("return_im")):
        out["channel"] = channel.to_slack(fake.bot_user_id)
    else:
        out["channel"] = {"id": channel.id}
    return out


def _existing_conversation(fake: FakeSlack, channel_id: str) -> Channel:
    channel = fake._channels.get(channel_id)
    if channel is None or channel.kind not in ("im", "mpim"):
        raise SlackApiFailure("channel_not_found")
    return channel


def _users_to_open(fake: FakeSlack, args: dict[str, Any]) -> list[str]:
    """The people (not the bot) a conversation is opened with, each one an active user."""
    users = [u for u in split_ids(args.get("users")) if u != fake.bot_user_id]
    if not split_ids(args.get("users")):
        raise SlackApiFailure("users_list_not_supplied")
    if not users:
        raise SlackApiFailure("not_enough_users")
    if len(users) > 8:
        raise SlackApiFailure("too_many_users")
    for user_id in users:
        user = fake._users.get(user_id)
        if user is None:
            raise SlackApiFailure("user_not_found")
        if user.get("deleted"):
            raise SlackApiFailure("user_disabled")
    return users


def _open_mpim(fake: FakeSlack, members: list[str]) -> tuple[Channel, bool]:
    """The group DM of ``members`` and the bot (created on first use); and whether it existed."""
    channel_id = stable_id("G", "mpim", fake.team_id, *members)
    already = channel_id in fake._channels
    if not already:
        names = "--".join(fake._users[u]["name"] for u in members)
        fake._channels[channel_id] = Channel(
            id=channel_id,
            kind="mpim",
            members=members,
            name=f"mpdm-{names}--{fake.bot_name}-1",
            created=int(fake.clock()),
        )
        fake._messages.setdefault(channel_id, [])
    return fake._channels[channel_id], already


def conversations_info(fake: FakeSlack, args: dict[str, Any], base: str) -> dict[str, Any]:
    channel = fake._resolve_channel(args["channel"])
    return {"channel": channel.to_slack(fake.bot_user_id)}


def conversations_members(fake: FakeSlack, args: dict[str, Any], base: str) -> dict[str, Any]:
    channel = fake._resolve_channel(args["channel"])
    members = list(channel.members)
    if channel.kind in ("im", "mpim") or channel.bot_is_member:
        members.append(fake.bot_user_id)
    page, next_cursor = paginate(members, args)
    return {"members": page, "response_metadata": {"next_cursor": next_cursor}}


def conversations_history(fake: FakeSlack, args: dict[str, Any], base: str) -> dict[str, Any]:
    """A conversation's top-level messages, newest first (`limit`, default 100); ephemeral
    and deleted ones are not in it, as in Slack. No cursor: the newest page only."""
    channel = fake._resolve_channel(args["channel"])
    try:
        limit = max(1, min(999, int(args.get("limit") or 100)))
    except (TypeError, ValueError):
        raise SlackApiFailure("invalid_limit") from None
    shown = [
        m
        for m in fake._messages.get(channel.id, [])
        if not m.deleted and not m.is_ephemeral and m.thread_ts in (None, m.ts)
    ]
    newest = [m.to_slack() for m in reversed(shown)][:limit]
    return {"messages": newest, "has_more": len(shown) > limit}
