"""Messages: checking what the app posts, storing bot and user messages, and what a response_url
or a slash command's acknowledgement does to a conversation."""

from __future__ import annotations

import copy
from typing import Any

from .blockkit import MESSAGE_TEXT_MAX, validate_blocks, with_generated_ids
from .common import SlackApiFailure, truthy
from .faults import FaultInjection
from .models import Channel, Message


class MessageStore(FaultInjection):
    """Posting into conversations, for the Web API methods and the driver alike."""

    def record_user_message(
        self,
        channel: str,
        user_id: str,
        text: str,
        *,
        thread_ts: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
    ) -> Message:
        """Store a message a person wrote (so DM history shows both sides)."""
        with self._lock:
            if channel not in self._channels:
                raise KeyError(f"unknown channel {channel!r}")
            msg = Message(
                channel=channel,
                ts=self.next_ts(),
                text=text,
                user=user_id,
                blocks=copy.deepcopy(blocks),
                sent_blocks=copy.deepcopy(blocks),
                thread_ts=thread_ts,
                team=self.team_id,
                via="user",
            )
            self._messages.setdefault(channel, []).append(msg)
            self._changed()
            return copy.deepcopy(msg)

    def record_command_response(
        self, channel: str, user_id: str, payload: dict[str, Any]
    ) -> Message | None:
        """Show a slash command's acknowledgement body the way Slack does.

        Ephemeral to ``user_id`` unless ``response_type`` is ``in_channel``. Invalid blocks
        are recorded as a warning (Slack shows the user an error instead).
        """
        with self._lock:
            try:
                msg = self._post_from_response(
                    channel, user_id, payload, message_ts=None, via="ack", method="command_ack"
                )
            except SlackApiFailure as exc:
                detail = exc.error
                meta = exc.extra.get("response_metadata") or {}
                if meta.get("messages"):
                    detail += ": " + "; ".join(meta["messages"])
                self.add_warning("invalid_command_response", detail, "command_ack")
                return None
            self._changed()
            return msg

    def _check_can_post(self, channel: Channel) -> None:
        if channel.kind == "im":
            user = self._users.get(channel.user or "")
            if user is None or user.get("deleted"):
                raise SlackApiFailure("is_archived")
            if not self._app_home_flag("messages_tab_enabled", True):
                raise SlackApiFailure("messages_tab_disabled")
            return
        if channel.is_archived:
            raise SlackApiFailure("is_archived")
        if not channel.bot_is_member:
            if channel.kind == "channel" and self._scope_granted("chat:write.public"):
                return
            if channel.kind == "channel":
                raise SlackApiFailure("not_in_channel")
            raise SlackApiFailure("channel_not_found")

    def _check_message_content(
        self,
        args: dict[str, Any],
        *,
        method: str,
        require_content: bool = True,
        truncate_long_text: bool = False,
    ) -> list[str]:
        """Validate text / blocks of a message; returns warnings to record."""
        warnings: list[str] = []
        blocks = args.get("blocks")
        text = args.get("text")
        if text is not None and not isinstance(text, str):
            text = str(text)
            args["text"] = text
        if blocks is not None:
            problems = validate_blocks(blocks)
            if problems:
                raise SlackApiFailure("invalid_blocks", messages=problems)
        has_blocks = bool(blocks)
        if require_content and not text and not has_blocks and not args.get("attachments"):
            raise SlackApiFailure("no_text")
        if text and len(text) > MESSAGE_TEXT_MAX:
            if not truncate_long_text:
                raise SlackApiFailure("msg_too_long")
            args["text"] = text[:MESSAGE_TEXT_MAX]
            warnings.append("text_truncated")
            self.add_warning(
                "text_truncated",
                f"text of {len(text)} characters truncated to {MESSAGE_TEXT_MAX}",
                method,
            )
        if has_blocks and not text:
            warnings.append("missing_text_in_blocks_message")
            self.add_warning(
                "missing_text_in_blocks_message",
                "message has blocks but no fallback `text` (notifications and screen readers "
                "show nothing)",
                method,
            )
        return warnings

    def _store_bot_message(
        self,
        channel: Channel,
        args: dict[str, Any],
        *,
        via: str,
        warnings: list[str],
        method: str,
        ephemeral_user: str | None = None,
    ) -> Message:
        blocks = args.get("blocks")
        thread_ts = args.get("thread_ts") or None
        if thread_ts and self._find_message(channel.id, str(thread_ts)) is None:
            warnings.append("thread_not_found")
            self.add_warning(
                "thread_not_found", f"thread_ts {thread_ts} not found in {channel.id}", method
            )
        msg = Message(
            channel=channel.id,
            ts=self.next_ts(),
            text=args.get("text"),
            user=self.bot_user_id,
            blocks=with_generated_ids(blocks) if blocks is not None else None,
            sent_blocks=copy.deepcopy(blocks),
            thread_ts=str(thread_ts) if thread_ts else None,
            bot_id=self.bot_id,
            app_id=self.app_id,
            team=self.team_id,
            ephemeral_user=ephemeral_user,
            attachments=copy.deepcopy(args.get("attachments")),
            metadata=copy.deepcopy(args.get("metadata")),
            via=via,
            warnings=list(warnings),
        )
        self._messages.setdefault(channel.id, []).append(msg)
        return msg

    def _post_from_response(
        self,
        channel_id: str,
        user_id: str | None,
        args: dict[str, Any],
        *,
        message_ts: str | None,
        via: str,
        method: str,
    ) -> Message | None:
        """response_url / command-ack semantics: new, replace_original or delete_original."""
        channel = self._channels.get(channel_id)
        if channel is None:
            raise SlackApiFailure("channel_not_found", status=404)
        if truthy(args.get("delete_original")):
            original = self._find_message(channel_id, message_ts or "")
            if original is None:
                raise SlackApiFailure("message_not_found", status=404)
            original.deleted = True
            return None
        warnings = self._check_message_content(args, method=method)
        if truthy(args.get("replace_original")):
            original = self._find_message(channel_id, message_ts or "")
            if original is None:
                raise SlackApiFailure("message_not_found", status=404)
            original.text = args.get("text")
            blocks = args.get("blocks")
            original.blocks = with_generated_ids(blocks) if blocks is not None else None
            original.sent_blocks = copy.deepcopy(blocks)
            original.edited_ts = self.next_ts()
            original.warnings = warnings
            return copy.deepcopy(original)
        ephemeral = args.get("response_type") != "in_channel"
        msg = self._store_bot_message(
            channel,
            args,
            via=via,
            warnings=warnings,
            method=method,
            ephemeral_user=user_id if ephemeral else None,
        )
        return copy.deepcopy(msg)
