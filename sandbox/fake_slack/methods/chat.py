"""chat.postMessage, chat.postEphemeral, chat.update, chat.delete and chat.getPermalink."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from ..blockkit import with_generated_ids
from ..common import SlackApiFailure
from ..models import Channel, Message

if TYPE_CHECKING:
    from ..core import FakeSlack


def chat_post_message(fake: FakeSlack, args: dict[str, Any], base: str) -> dict[str, Any]:
    channel = fake._resolve_channel(args["channel"], for_post=True)
    fake._check_can_post(channel)
    warnings = fake._check_message_content(args, method="chat.postMessage", truncate_long_text=True)
    msg = fake._store_bot_message(
        channel, args, via="api", warnings=warnings, method="chat.postMessage"
    )
    return {"channel": channel.id, "ts": msg.ts, "message": msg.to_slack(), "_warnings": warnings}


def chat_post_ephemeral(fake: FakeSlack, args: dict[str, Any], base: str) -> dict[str, Any]:
    channel = fake._resolve_channel(args["channel"], for_post=True)
    user_id = str(args["user"])
    user = fake._users.get(user_id)
    in_channel = channel.user == user_id if channel.kind == "im" else user_id in channel.members
    if user is None or not in_channel:
        raise SlackApiFailure("user_not_in_channel")
    fake._check_can_post(channel)
    warnings = fake._check_message_content(args, method="chat.postEphemeral")
    msg = fake._store_bot_message(
        channel,
        args,
        via="api",
        warnings=warnings,
        method="chat.postEphemeral",
        ephemeral_user=user_id,
    )
    return {"message_ts": msg.ts, "_warnings": warnings}


def _own_message(fake: FakeSlack, args: dict[str, Any], verb: str) -> tuple[Channel, Message]:
    """The bot's own (not ephemeral) message that chat.update / chat.delete names."""
    channel = fake._resolve_channel(args["channel"])
    msg = fake._find_message(channel.id, str(args["ts"]))
    if msg is None or msg.is_ephemeral:
        raise SlackApiFailure("message_not_found")
    if not msg.from_bot:
        raise SlackApiFailure(f"cant_{verb}_message")
    return channel, msg


def chat_update(fake: FakeSlack, args: dict[str, Any], base: str) -> dict[str, Any]:
    channel, msg = _own_message(fake, args, "update")
    if "text" not in args and "blocks" not in args and "attachments" not in args:
        raise SlackApiFailure("no_text")
    merged = {
        "text": args.get("text", msg.text),
        "blocks": args.get("blocks", msg.sent_blocks),
        "attachments": args.get("attachments", msg.attachments),
    }
    warnings = fake._check_message_content(merged, method="chat.update")
    msg.text = merged["text"]
    if "blocks" in args:
        msg.blocks = with_generated_ids(args["blocks"]) if args["blocks"] is not None else None
        msg.sent_blocks = copy.deepcopy(args["blocks"])
    if "attachments" in args:
        msg.attachments = copy.deepcopy(args["attachments"])
    if "metadata" in args:
        msg.metadata = copy.deepcopy(args["metadata"])
    msg.edited_ts = fake.next_ts()
    msg.warnings = warnings
    return {
        "channel": channel.id,
        "ts": msg.ts,
        "text": msg.text or "",
        "message": msg.to_slack(),
        "_warnings": warnings,
    }


def chat_delete(fake: FakeSlack, args: dict[str, Any], base: str) -> dict[str, Any]:
    channel, msg = _own_message(fake, args, "delete")
    msg.deleted = True
    return {"channel": channel.id, "ts": msg.ts}


def chat_get_permalink(fake: FakeSlack, args: dict[str, Any], base: str) -> dict[str, Any]:
    channel = fake._resolve_channel(args["channel"])
    msg = fake._find_message(channel.id, str(args["message_ts"]))
    if msg is None:
        raise SlackApiFailure("message_not_found")
    link = f"https://{fake.team_domain}.slack.com/archives/{channel.id}/p{msg.ts.replace('.', '')}"
    if msg.thread_ts and msg.thread_ts != msg.ts:
        link += f"?thread_ts={msg.thread_ts}&cid={channel.id}"
    return {"channel": channel.id, "permalink": link}
