"""Records the fake Slack server keeps: calls, channels, messages, views, files, warnings.

Query helpers on :class:`~sandbox.fake_slack.FakeSlack` return *copies* of these objects, so
a test can hold on to one while the app keeps calling the fake.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from .blockkit import ElementRef, iter_elements

__all__ = ["ApiCall", "Channel", "Message", "View", "FakeFile", "SlackWarning"]


@dataclass
class ApiCall:
    """One request the app made to the fake.

    ``method`` is the Web API method name, or ``"response_url"`` / ``"upload_url"`` for posts
    to those URLs. ``args`` are decoded (``blocks``, ``view``, ``files``, ... parsed from their
    JSON strings) and never include the token.
    """

    method: str
    args: dict[str, Any]
    ok: bool
    error: str | None
    status: int
    response: dict[str, Any]
    timestamp: float
    http_method: str = "POST"
    warnings: list[str] = field(default_factory=list)


@dataclass
class SlackWarning:
    """Something Slack would accept but warn about, or a harness-level problem.

    ``code`` examples: ``missing_text_in_blocks_message``, ``text_truncated``,
    ``thread_not_found``, ``invalid_response_action``, ``slow_ack``.
    """

    code: str
    detail: str
    method: str | None = None


@dataclass
class Channel:
    id: str
    kind: str  # "im" | "mpim" | "channel" | "group"
    members: list[str]
    name: str | None = None
    user: str | None = None  # the human in an IM
    created: int = 0
    bot_is_member: bool = True
    is_archived: bool = False

    @property
    def is_private(self) -> bool:
        return self.kind in ("group", "im", "mpim")

    def to_slack(self, bot_user_id: str) -> dict[str, Any]:
        """The object conversations.info / conversations.open(return_im) answer with."""
        if self.kind == "im":
            return {
                "id": self.id,
                "created": self.created,
                "is_im": True,
                "is_org_shared": False,
                "user": self.user,
                "is_user_deleted": False,
                "priority": 0,
                "is_open": True,
                "last_read": "0000000000.000000",
                "latest": None,
                "unread_count": 0,
                "unread_count_display": 0,
            }
        members = list(self.members) + ([bot_user_id] if self.bot_is_member else [])
        return {
            "id": self.id,
            "name": self.name,
            "created": self.created,
            "is_channel": self.kind == "channel",
            "is_group": self.kind == "group",
            "is_im": False,
            "is_mpim": self.kind == "mpim",
            "is_private": self.is_private,
            "is_archived": self.is_archived,
            "is_general": False,
            "is_member": self.bot_is_member,
            "is_org_shared": False,
            "is_shared": False,
            "num_members": len(members),
        }


@dataclass
class Message:
    """A message in a channel, as the fake stores it.

    ``blocks`` are the blocks as Slack keeps them (generated ``block_id``/``action_id`` filled
    in); ``sent_blocks`` are exactly what the app sent. ``via`` says how it got there:
    ``"api"`` (chat.postMessage & co.), ``"response_url"``, ``"ack"`` (slash command
    acknowledgement body), ``"file"`` (files.completeUploadExternal) or ``"user"`` (written by
    a person through the driver).
    """

    channel: str
    ts: str
    text: str | None
    user: str
    blocks: list[dict[str, Any]] | None = None
    sent_blocks: list[dict[str, Any]] | None = None
    thread_ts: str | None = None
    bot_id: str | None = None
    app_id: str | None = None
    team: str | None = None
    ephemeral_user: str | None = None
    deleted: bool = False
    edited_ts: str | None = None
    attachments: list[Any] | None = None
    metadata: dict[str, Any] | None = None
    files: list[dict[str, Any]] = field(default_factory=list)
    via: str = "api"
    warnings: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_ephemeral(self) -> bool:
        return self.ephemeral_user is not None

    @property
    def from_bot(self) -> bool:
        return self.bot_id is not None

    def elements(self) -> list[ElementRef]:
        return list(iter_elements(self.blocks))

    def action_ids(self) -> list[str]:
        return [str(ref.action_id) for ref in iter_elements(self.blocks) if ref.action_id]

    def to_slack(self) -> dict[str, Any]:
        """The message object as Slack puts it in API answers and interaction payloads."""
        out: dict[str, Any] = {"type": "message", "ts": self.ts, "user": self.user}
        if self.text is not None:
            out["text"] = self.text
        if self.bot_id:
            out["bot_id"] = self.bot_id
            out["app_id"] = self.app_id
        if self.team:
            out["team"] = self.team
        if self.blocks is not None:
            out["blocks"] = copy.deepcopy(self.blocks)
        if self.thread_ts:
            out["thread_ts"] = self.thread_ts
        if self.attachments:
            out["attachments"] = copy.deepcopy(self.attachments)
        if self.metadata:
            out["metadata"] = copy.deepcopy(self.metadata)
        if self.files:
            out["files"] = copy.deepcopy(self.files)
        if self.edited_ts:
            out["edited"] = {"user": self.user, "ts": self.edited_ts}
        out.update(copy.deepcopy(self.extra))
        return out


@dataclass
class View:
    """A modal or App Home view.

    ``blocks`` carry Slack-generated ids; ``sent`` is the view dict exactly as the app sent it.
    ``state`` holds what the user entered so far through the driver
    (``{block_id: {action_id: {"type": ..., ...}}}``), ``errors`` the last
    ``response_action: errors`` answer the app gave on submission.
    """

    id: str
    type: str
    user_id: str | None
    blocks: list[dict[str, Any]]
    sent: dict[str, Any]
    hash: str
    team_id: str
    app_id: str
    bot_id: str
    callback_id: str = ""
    external_id: str = ""
    private_metadata: str = ""
    title: dict[str, Any] | None = None
    submit: dict[str, Any] | None = None
    close: dict[str, Any] | None = None
    notify_on_close: bool = False
    clear_on_close: bool = False
    root_view_id: str | None = None
    previous_view_id: str | None = None
    state: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    errors: dict[str, str] | None = None
    closed: bool = False

    def elements(self) -> list[ElementRef]:
        return list(iter_elements(self.blocks))

    def action_ids(self) -> list[str]:
        return [str(ref.action_id) for ref in iter_elements(self.blocks) if ref.action_id]

    def to_slack(self, state_values: dict[str, Any] | None = None) -> dict[str, Any]:
        """The view object as Slack sends it in payloads and API answers."""
        out: dict[str, Any] = {
            "id": self.id,
            "team_id": self.team_id,
            "type": self.type,
            "blocks": copy.deepcopy(self.blocks),
            "private_metadata": self.private_metadata,
            "callback_id": self.callback_id,
            "state": {
                "values": copy.deepcopy(state_values if state_values is not None else self.state)
            },
            "hash": self.hash,
            "title": copy.deepcopy(self.title),
            "clear_on_close": self.clear_on_close,
            "notify_on_close": self.notify_on_close,
            "close": copy.deepcopy(self.close),
            "submit": copy.deepcopy(self.submit),
            "previous_view_id": self.previous_view_id,
            "root_view_id": self.root_view_id or self.id,
            "app_id": self.app_id,
            "external_id": self.external_id,
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }
        if self.type == "home":
            for key in ("title", "close", "submit", "clear_on_close", "notify_on_close"):
                out.pop(key)
        return out


@dataclass
class FakeFile:
    """A file uploaded the files_upload_v2 way (getUploadURLExternal, POST, complete)."""

    id: str
    name: str
    length: int
    user: str
    created: int
    title: str | None = None
    alt_txt: str | None = None
    content: bytes | None = None
    completed: bool = False
    channels: list[str] = field(default_factory=list)
    mimetype: str = "application/octet-stream"

    @property
    def uploaded(self) -> bool:
        return self.content is not None

    def to_slack(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "created": self.created,
            "timestamp": self.created,
            "name": self.name,
            "title": self.title or self.name,
            "mimetype": self.mimetype,
            "filetype": self.name.rsplit(".", 1)[-1].lower() if "." in self.name else "binary",
            "user": self.user,
            "size": len(self.content) if self.content is not None else self.length,
            "channels": [c for c in self.channels if c[:1] == "C"],
            "groups": [c for c in self.channels if c[:1] == "G"],
            "ims": [c for c in self.channels if c[:1] == "D"],
            "alt_txt": self.alt_txt,
            "is_public": False,
            "url_private": f"https://files.slack.com/files-pri/{self.id}/{self.name}",
        }
