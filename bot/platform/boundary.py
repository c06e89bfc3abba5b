"""What a signed Slack request body must look like before Bolt sees it, and the one place its
text is cleaned.

`parse_body` reads a body the way Slack sends it (JSON for events, a form with a JSON
`payload` for interactivity, a plain form for slash commands), refuses what Slack would not
send (too deeply nested, wrong types where Bolt or our handlers index into the payload) and
returns the body with every string passed through `clean_text` (no NUL or other control
characters but newline and tab, no bidi override/isolate controls), so no handler has to
remember to do it and SQLite and PostgreSQL store the same text.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qs

from core.kernel.texts import clean_text

# Slack's payloads nest about ten levels (a view's state, rich text lists); anything much
# deeper is not from Slack, and a very deep one would make Python's JSON parser recurse.
MAX_DEPTH = 64

Check = Callable[[Any], bool]


class Malformed(ValueError):
    """A body Slack would not send; the message says why (logged, answered with 400)."""


def _is(*types: type) -> Check:
    return lambda value: isinstance(value, types)


def _optional(*types: type) -> Check:
    return lambda value: value is None or isinstance(value, types)


_STR = _optional(str)
_DICT = _optional(dict)
_LIST = _optional(list)
_BOOL = _optional(bool)

# Keys Bolt or our handlers read, and what each must be when present.
_COMMON: dict[str, Check] = {
    "type": _is(str),
    "user": _DICT,
    "team": _DICT,
    "enterprise": _DICT,
    "api_app_id": _STR,
    "token": _STR,
    "trigger_id": _STR,
    "response_url": _STR,
    "callback_id": _STR,
    "action_ts": _STR,
    "is_enterprise_install": _BOOL,
    "actions": _LIST,
    "view": _DICT,
    "container": _DICT,
    "channel": _DICT,
    "message": _DICT,
    "state": _DICT,
    "response_urls": _LIST,
    "action_id": _STR,
    "block_id": _STR,
    "value": _STR,
}
_REQUIRED: dict[str, tuple[str, ...]] = {
    "block_actions": ("user", "actions"),
    "view_submission": ("user", "view"),
    "view_closed": ("user", "view"),
    "shortcut": ("user", "callback_id"),
    "message_action": ("user", "callback_id"),
    "block_suggestion": ("user", "action_id"),
}
_ID_HOLDERS = ("user", "team", "enterprise", "channel")
_ACTION: dict[str, Check] = {
    "action_id": _is(str),
    "block_id": _STR,
    "type": _STR,
    "value": _STR,
    "action_ts": _STR,
    "selected_option": _DICT,
    "selected_options": _LIST,
    "selected_user": _STR,
    "selected_users": _LIST,
    "selected_date": _STR,
}
_VIEW: dict[str, Check] = {
    "id": _STR,
    "type": _STR,
    "callback_id": _STR,
    "private_metadata": _STR,
    "hash": _STR,
    "state": _DICT,
    "blocks": _LIST,
    "root_view_id": _STR,
    "previous_view_id": _STR,
    "external_id": _STR,
    "team_id": _STR,
    "app_id": _STR,
    "bot_id": _STR,
}
_EVENT_ENVELOPE: dict[str, Check] = {
    "type": _is(str),
    "team_id": _STR,
    "api_app_id": _STR,
    "event_id": _STR,
    "event_time": _optional(int, float),
    "enterprise_id": _STR,
    "context_team_id": _STR,
    "context_enterprise_id": _STR,
    "is_ext_shared_channel": _BOOL,
    "authorizations": _LIST,
    "authed_users": _LIST,
    "event": _DICT,
    "token": _STR,
    "challenge": _STR,
}
_EVENT: dict[str, Check] = {
    "type": _is(str),
    "subtype": _STR,
    "user": _STR,
    "channel": _STR,
    "channel_type": _STR,
    "text": _STR,
    "ts": _STR,
    "thread_ts": _STR,
    "event_ts": _STR,
    "bot_id": _STR,
    "tab": _STR,
    "team": _STR,
    "blocks": _LIST,
    "files": _LIST,
    "tokens": _DICT,
    "view": _DICT,
    "message": _DICT,
    "previous_message": _DICT,
}


def _check(where: str, data: Mapping[str, Any], spec: Mapping[str, Check]) -> None:
    for key, check in spec.items():
        if key in data and not check(data[key]):
            raise Malformed(f"{where}{key} has the wrong type")


def _check_ids(where: str, data: Mapping[str, Any]) -> None:
    for key in _ID_HOLDERS:
        holder = data.get(key)
        if isinstance(holder, dict) and not isinstance(holder.get("id", ""), str):
            raise Malformed(f"{where}{key}.id is not a string")


def _check_state(where: str, state: Mapping[str, Any]) -> None:
    values = state.get("values", {})
    if not isinstance(values, dict):
        raise Malformed(f"{where}state.values is not an object")
    for block in values.values():
        if not isinstance(block, dict) or not all(isinstance(v, dict) for v in block.values()):
            raise Malformed(f"{where}state.values holds something other than objects")


def _check_view(view: Mapping[str, Any]) -> None:
    _check("view.", view, _VIEW)
    if isinstance(view.get("state"), dict):
        _check_state("view.", view["state"])


def check_interactive(payload: Mapping[str, Any]) -> None:
    """Raise Malformed if an interactivity payload has a wrong-typed field Bolt would touch."""
    _check("", payload, _COMMON)
    _check_ids("", payload)
    for key in _REQUIRED.get(payload["type"], ()):
        if payload.get(key) is None:
            raise Malformed(f"{payload['type']} without {key}")
    for action in payload.get("actions") or ():
        if not isinstance(action, dict):
            raise Malformed("an action is not an object")
        _check("actions[].", action, _ACTION)
    if isinstance(payload.get("view"), dict):
        _check_view(payload["view"])
    if isinstance(payload.get("state"), dict):
        _check_state("", payload["state"])


def check_event(data: Mapping[str, Any]) -> None:
    """Raise Malformed if an Events API body has a wrong-typed field Bolt would touch."""
    _check("", data, _EVENT_ENVELOPE)
    for key in ("authorizations", "authed_users"):
        items = data.get(key) or ()
        wanted = dict if key == "authorizations" else str
        if not all(isinstance(item, wanted) for item in items):
            raise Malformed(f"{key} holds the wrong type")
    if data["type"] == "event_callback":
        event = data.get("event")
        if not isinstance(event, dict):
            raise Malformed("event_callback without an event")
        _check("event.", event, _EVENT)
        if isinstance(event.get("view"), dict):
            _check_view(event["view"])


def _depth_ok(value: Any) -> bool:
    """No deeper than MAX_DEPTH, checked without recursion."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            return False
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return True


def load_json(text: str, what: str) -> Any:
    try:
        data = json.loads(text)  # the parser raises RecursionError, not crash, when too deep
    except (ValueError, RecursionError):
        raise Malformed(f"{what} is not valid JSON") from None
    if not _depth_ok(data):
        raise Malformed(f"{what} is nested too deeply")
    return data


def clean(value: Any) -> Any:
    """`value` with every string in it (keys too) passed through `clean_text`."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(str(k)): clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value


def _parse_json_body(text: str) -> dict[str, Any]:
    data = load_json(text, "body")
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise Malformed("JSON body has no type")
    check_event(data)
    return data


def _parse_form(text: str) -> dict[str, Any]:
    form = parse_qs(text, keep_blank_values=True)
    if "payload" in form:
        payload = load_json(form["payload"][0], "payload")
        if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
            raise Malformed("payload has no type")
        check_interactive(payload)
        return {"payload": payload}
    if "command" in form:
        if not form.get("user_id") or not form.get("team_id"):
            raise Malformed("slash command without user_id or team_id")
        return {k: v[0] for k, v in form.items()}
    if "ssl_check" in form:
        return {k: v[0] for k, v in form.items()}
    raise Malformed("unrecognised request body")


def parse_body(body: bytes, content_type: str) -> dict[str, Any]:
    """The body as Bolt would parse it, checked and cleaned; raise Malformed if Slack would
    not have sent it. A form with a `payload` parses to the payload itself, as in Bolt."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Malformed("body is not UTF-8") from None
    if "application/json" in content_type:
        return dict(clean(_parse_json_body(text)))
    parsed = _parse_form(text)
    if "payload" in parsed:
        return dict(clean(parsed["payload"]))
    return dict(clean(parsed))
