"""Who is who: auth.test, team.info, users.*, bots.info, and result pagination."""

from __future__ import annotations

import base64
import binascii
import copy
from typing import TYPE_CHECKING, Any

from ..common import SlackApiFailure, truthy

if TYPE_CHECKING:
    from ..core import FakeSlack


def auth_test(fake: FakeSlack, args: dict[str, Any], base: str) -> dict[str, Any]:
    return {
        "url": f"https://{fake.team_domain}.slack.com/",
        "team": fake.team_name,
        "user": fake.bot_name,
        "team_id": fake.team_id,
        "user_id": fake.bot_user_id,
        "bot_id": fake.bot_id,
        "app_id": fake.app_id,
        "is_enterprise_install": False,
    }


def team_info(fake: FakeSlack, args: dict[str, Any], base: str) -> dict[str, Any]:
    return {
        "team": {
            "id": fake.team_id,
            "name": fake.team_name,
            "domain": fake.team_domain,
            "email_domain": f"{fake.team_domain}.example",
            "icon": {"image_default": True},
            "url": f"https://{fake.team_domain}.slack.com/",
        }
    }


def _visible_user(fake: FakeSlack, user: dict[str, Any], args: dict[str, Any]) -> dict[str, Any]:
    """A user object as the bot may see it: email only with users:read.email, locale on request."""
    out = copy.deepcopy(user)
    if not truthy(args.get("include_locale")):
        out.pop("locale", None)
    if not fake._scope_granted("users:read.email"):
        out["profile"].pop("email", None)
    return out


def users_info(fake: FakeSlack, args: dict[str, Any], base: str) -> dict[str, Any]:
    user = fake._users.get(str(args["user"]))
    if user is None:
        raise SlackApiFailure("user_not_found")
    return {"user": _visible_user(fake, user, args)}


def paginate(items: list[Any], args: dict[str, Any]) -> tuple[list[Any], str]:
    try:
        limit = int(args.get("limit") or 0)
    except (TypeError, ValueError):
        raise SlackApiFailure("invalid_limit") from None
    start = 0
    cursor = args.get("cursor")
    if cursor:
        try:
            start = int(base64.b64decode(str(cursor)).decode().removeprefix("offset:"))
        except (ValueError, binascii.Error):
            raise SlackApiFailure("invalid_cursor") from None
    if limit <= 0:
        return items[start:], ""
    page = items[start : start + limit]
    more = start + limit < len(items)
    next_cursor = base64.b64encode(f"offset:{start + limit}".encode()).decode() if more else ""
    return page, next_cursor


def users_list(fake: FakeSlack, args: dict[str, Any], base: str) -> dict[str, Any]:
    members = [_visible_user(fake, u, args) for u in fake._users.values()]
    page, next_cursor = paginate(members, args)
    return {
        "members": page,
        "cache_ts": int(fake.clock()),
        "response_metadata": {"next_cursor": next_cursor},
    }


def users_lookup_by_email(fake: FakeSlack, args: dict[str, Any], base: str) -> dict[str, Any]:
    email = str(args["email"]).lower()
    for user in fake._users.values():
        if str(user["profile"].get("email") or "").lower() == email:
            return {"user": copy.deepcopy(user)}
    raise SlackApiFailure("users_not_found")


def bots_info(fake: FakeSlack, args: dict[str, Any], base: str) -> dict[str, Any]:
    if args.get("bot") not in (None, "", fake.bot_id):
        raise SlackApiFailure("bot_not_found")
    return {
        "bot": {
            "id": fake.bot_id,
            "deleted": False,
            "name": fake.bot_name,
            "updated": int(fake.clock()),
            "app_id": fake.app_id,
            "user_id": fake.bot_user_id,
            "icons": {},
        }
    }
