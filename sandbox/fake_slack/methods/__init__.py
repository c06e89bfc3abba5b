"""The Web API methods the fake implements, by name; every other documented method answers
``{"ok": true}`` through :func:`generic` (after its blocks, if any, are checked)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..blockkit import validate_blocks
from ..common import SlackApiFailure
from .chat import (
    chat_delete,
    chat_get_permalink,
    chat_post_ephemeral,
    chat_post_message,
    chat_update,
)
from .conversations import (
    conversations_history,
    conversations_info,
    conversations_members,
    conversations_open,
)
from .files import files_complete_upload, files_get_upload_url, files_info, files_upload
from .views import views_open, views_publish, views_push, views_update
from .workspace import (
    auth_test,
    bots_info,
    team_info,
    users_info,
    users_list,
    users_lookup_by_email,
)

if TYPE_CHECKING:
    from ..core import FakeSlack

__all__ = ["HANDLERS", "generic"]


def generic(fake: FakeSlack, args: dict[str, Any], base: str) -> dict[str, Any]:
    """Methods without special behaviour: ``{"ok": true}``, but blocks are still checked."""
    if args.get("blocks") is not None:
        problems = validate_blocks(args["blocks"])
        if problems:
            raise SlackApiFailure("invalid_blocks", messages=problems)
    return {}


HANDLERS: dict[str, Callable[[FakeSlack, dict[str, Any], str], dict[str, Any]]] = {
    "auth.test": auth_test,
    "team.info": team_info,
    "users.info": users_info,
    "users.list": users_list,
    "users.lookupByEmail": users_lookup_by_email,
    "bots.info": bots_info,
    "conversations.open": conversations_open,
    "conversations.info": conversations_info,
    "conversations.members": conversations_members,
    "conversations.history": conversations_history,
    "chat.postMessage": chat_post_message,
    "chat.postEphemeral": chat_post_ephemeral,
    "chat.update": chat_update,
    "chat.delete": chat_delete,
    "chat.getPermalink": chat_get_permalink,
    "views.open": views_open,
    "views.push": views_push,
    "views.update": views_update,
    "views.publish": views_publish,
    "files.getUploadURLExternal": files_get_upload_url,
    "files.completeUploadExternal": files_complete_upload,
    "files.info": files_info,
    "files.upload": files_upload,
}
