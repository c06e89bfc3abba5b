"""views.open, views.push, views.update and views.publish."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..common import SlackApiFailure
from ..views import MAX_MODAL_STACK

if TYPE_CHECKING:
    from ..core import FakeSlack


def views_open(fake: FakeSlack, args: dict[str, Any], base: str) -> dict[str, Any]:
    user_id = fake._use_trigger(args)
    view = fake._view_arg(args, kind="modal")
    fake._check_external_id(view)
    fake._consume_trigger(args)
    fake.close_view(user_id, clear=True)
    obj = fake._push_view(user_id, view)
    return {"view": obj.to_slack()}


def views_push(fake: FakeSlack, args: dict[str, Any], base: str) -> dict[str, Any]:
    user_id = fake._use_trigger(args)
    view = fake._view_arg(args, kind="modal")
    stack = fake._modal_stacks.get(user_id) or []
    if not stack:
        raise SlackApiFailure(
            "not_found", messages=["[ERROR] views.push needs a modal that is already open"]
        )
    if len(stack) >= MAX_MODAL_STACK:
        raise SlackApiFailure("push_limit_reached")
    fake._check_external_id(view)
    fake._consume_trigger(args)
    obj = fake._push_view(user_id, view)
    return {"view": obj.to_slack()}


def views_update(fake: FakeSlack, args: dict[str, Any], base: str) -> dict[str, Any]:
    obj = fake._find_view_for_update(args)
    expected_hash = args.get("hash")
    if expected_hash and expected_hash != obj.hash:
        raise SlackApiFailure("hash_conflict")
    view = fake._view_arg(args, kind=obj.type)
    fake._check_external_id(view, except_id=obj.id)
    fake._replace_view(obj, view)
    return {"view": obj.to_slack()}


def views_publish(fake: FakeSlack, args: dict[str, Any], base: str) -> dict[str, Any]:
    user_id = str(args["user_id"])
    if user_id not in fake._users:
        raise SlackApiFailure(
            "invalid_arguments",
            messages=[f"[ERROR] unknown user_id {user_id} [json-pointer:/user_id]"],
        )
    if not fake._app_home_flag("home_tab_enabled", False):
        raise SlackApiFailure(
            "not_enabled",
            messages=["[ERROR] the manifest does not set features.app_home.home_tab_enabled"],
        )
    view = fake._view_arg(args, kind="home")
    existing_id = fake._home_views.get(user_id)
    existing = fake._views.get(existing_id) if existing_id else None
    expected_hash = args.get("hash")
    if expected_hash and existing is not None and expected_hash != existing.hash:
        raise SlackApiFailure("hash_conflict")
    fake._check_external_id(view, except_id=existing_id)
    if existing is None:
        existing = fake._new_view(view, user_id)
        fake._home_views[user_id] = existing.id
    else:
        fake._replace_view(existing, view)
    return {"view": existing.to_slack()}
