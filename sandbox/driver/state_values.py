"""The ``state.values`` entries Slack sends for input elements, and the checks the Slack client
makes before it lets a person type, pick or submit something."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from .transport import Transport, rich_text_blocks

_OPTION_TYPES = {
    "static_select": False,
    "multi_static_select": True,
    "radio_buttons": False,
    "checkboxes": True,
    "overflow": False,
}
_EXTERNAL_TYPES = {"external_select": False, "multi_external_select": True}
_ID_SELECTS = {
    "users_select": ("selected_user", "initial_user", False),
    "multi_users_select": ("selected_users", "initial_users", True),
    "conversations_select": ("selected_conversation", "initial_conversation", False),
    "multi_conversations_select": ("selected_conversations", "initial_conversations", True),
    "channels_select": ("selected_channel", "initial_channel", False),
    "multi_channels_select": ("selected_channels", "initial_channels", True),
}
_TEXT_INPUTS = {"plain_text_input", "email_text_input", "url_text_input", "number_input"}


def _flat_options(element: Mapping[str, Any]) -> list[dict[str, Any]]:
    if element.get("option_groups"):
        return [o for g in element["option_groups"] for o in g.get("options") or []]
    return list(element.get("options") or [])


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (list, tuple, set, frozenset)):
        return list(value)
    return [value]


class StateValues(Transport):
    """What an element holds after a person entered a value (or left it untouched)."""

    def _state_value(self, element: Mapping[str, Any], value: Any, where: str = "") -> dict:
        """The ``state.values`` entry Slack sends for ``element`` holding ``value``.

        ``value=None`` means "untouched": the element's ``initial_*`` value, if any.
        """
        kind = str(element.get("type"))
        if isinstance(value, Mapping) and "type" in value:
            if value["type"] != kind:
                raise AssertionError(f"{where}: state type {value['type']!r} != element {kind!r}")
            return dict(value)
        if kind in _OPTION_TYPES:
            fields = _option_state(element, value, where, multi=_OPTION_TYPES[kind])
        elif kind in _EXTERNAL_TYPES:
            fields = _external_state(element, value, multi=_EXTERNAL_TYPES[kind])
        elif kind in _ID_SELECTS:
            fields = self._id_select_state(kind, element, value, where)
        elif kind in _TEXT_INPUTS:
            fields = self._text_state(element, value, where)
        elif kind in _SIMPLE_STATES:
            fields = _SIMPLE_STATES[kind](element, value, where)
        else:
            raise AssertionError(f"{where}: cannot enter a value into a {kind!r} element")
        return {"type": kind, **fields}

    def _id_select_state(
        self, kind: str, element: Mapping[str, Any], value: Any, where: str
    ) -> dict[str, Any]:
        """Users, conversations and channels selects hold ids (users must exist)."""
        key, initial_key, multi = _ID_SELECTS[kind]
        untouched = value is None
        ids = _as_list(element.get(initial_key) if untouched else value)
        if kind.endswith("users_select"):
            for user_id in ids:
                if not untouched and self.fake.user(str(user_id)) is None:
                    raise AssertionError(f"{where}: unknown user {user_id!r}")
        if not multi and len(ids) > 1:
            raise AssertionError(f"{where}: pick exactly one, got {value!r}")
        return {key: list(ids) if multi else (ids[0] if ids else None)}

    def _text_state(self, element: Mapping[str, Any], value: Any, where: str) -> dict[str, Any]:
        untouched = value is None
        text = element.get("initial_value") if untouched else value
        if text is not None:
            text = str(text)
            if not untouched:
                self._check_text_input(element, text, where)
        if text == "":
            text = None
        return {"value": text}

    @staticmethod
    def _check_text_input(element: Mapping[str, Any], text: str, where: str) -> None:
        max_len, min_len = element.get("max_length"), element.get("min_length")
        if isinstance(max_len, int) and len(text) > max_len:
            raise AssertionError(
                f"{where}: {len(text)} characters but max_length is {max_len}; "
                "Slack would not accept the typing"
            )
        if isinstance(min_len, int) and text and len(text) < min_len:
            raise AssertionError(
                f"{where}: {len(text)} characters but min_length is {min_len}; "
                "Slack would not let the user submit"
            )
        if element.get("type") == "number_input":
            _check_number(element, text, where)
        if element.get("type") == "email_text_input" and "@" not in text:
            raise AssertionError(f"{where}: {text!r} is not an email address")


def state_is_empty(state: Mapping[str, Any]) -> bool:
    for key, value in state.items():
        if key in ("type", "timezone"):
            continue
        if value not in (None, [], ""):
            return False
    return True


def _check_number(element: Mapping[str, Any], text: str, where: str) -> None:
    try:
        number = float(text)
    except ValueError:
        raise AssertionError(f"{where}: {text!r} is not a number") from None
    if not element.get("is_decimal_allowed") and not number.is_integer():
        raise AssertionError(f"{where}: decimals are not allowed")
    low, high = element.get("min_value"), element.get("max_value")
    if low is not None and number < float(low):
        raise AssertionError(f"{where}: below min_value {low}")
    if high is not None and number > float(high):
        raise AssertionError(f"{where}: above max_value {high}")


def _option_state(
    element: Mapping[str, Any], value: Any, where: str, *, multi: bool
) -> dict[str, Any]:
    """Static selects, radio buttons, checkboxes and overflow menus hold whole options."""
    if value is None:
        chosen = _as_list(element.get("initial_options" if multi else "initial_option"))
    else:
        chosen = _chosen_options(element, value, where, multi=multi)
    if multi:
        return {"selected_options": [dict(o) for o in chosen]}
    return {"selected_option": dict(chosen[0]) if chosen else None}


def _chosen_options(
    element: Mapping[str, Any], value: Any, where: str, *, multi: bool
) -> list[Any]:
    by_value = {o.get("value"): o for o in _flat_options(element)}
    chosen = []
    for item in _as_list(value):
        key = item.get("value") if isinstance(item, Mapping) else item
        if key not in by_value:
            raise AssertionError(
                f"{where}: no option with value {key!r}; options: {list(by_value)}"
            )
        chosen.append(by_value[key])
    if not multi and len(chosen) != 1:
        raise AssertionError(f"{where}: pick exactly one value, got {value!r}")
    max_items = element.get("max_selected_items")
    if multi and max_items and len(chosen) > max_items:
        raise AssertionError(f"{where}: at most {max_items} selections allowed")
    return chosen


def _external_state(element: Mapping[str, Any], value: Any, *, multi: bool) -> dict[str, Any]:
    """External selects hold whatever options the app's options endpoint offered."""
    if value is None:
        items = _as_list(element.get("initial_options" if multi else "initial_option"))
    else:
        items = [
            dict(v)
            if isinstance(v, Mapping)
            else {"text": {"type": "plain_text", "text": str(v)}, "value": str(v)}
            for v in _as_list(value)
        ]
    if multi:
        return {"selected_options": items}
    return {"selected_option": items[0] if items else None}


def _rich_text_state(element: Mapping[str, Any], value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {"rich_text_value": element.get("initial_value")}
    return {"rich_text_value": rich_text_blocks(str(value))[0]}


def _date_state(element: Mapping[str, Any], value: Any, where: str) -> dict[str, Any]:
    date = element.get("initial_date") if value is None else value
    if isinstance(date, dt.date):
        date = date.isoformat()
    if date is not None:
        try:
            dt.date.fromisoformat(str(date))
        except ValueError:
            raise AssertionError(f"{where}: {date!r} is not YYYY-MM-DD") from None
    return {"selected_date": date}


def _time_state(element: Mapping[str, Any], value: Any, where: str) -> dict[str, Any]:
    when = element.get("initial_time") if value is None else value
    if isinstance(when, dt.time):
        when = when.strftime("%H:%M")
    out: dict[str, Any] = {"selected_time": when}
    if element.get("timezone"):
        out["timezone"] = element["timezone"]
    return out


def _date_time_state(element: Mapping[str, Any], value: Any, where: str) -> dict[str, Any]:
    stamp = element.get("initial_date_time") if value is None else value
    if isinstance(stamp, dt.datetime):
        stamp = int(stamp.timestamp())
    return {"selected_date_time": int(stamp) if stamp is not None else None}


def _file_state(element: Mapping[str, Any], value: Any, where: str) -> dict[str, Any]:
    return {"files": [] if value is None else _as_list(value)}


# Elements whose state needs nothing but the element and the value.
_SIMPLE_STATES: dict[str, Callable[[Mapping[str, Any], Any, str], dict[str, Any]]] = {
    "rich_text_input": _rich_text_state,
    "datepicker": _date_state,
    "timepicker": _time_state,
    "datetimepicker": _date_time_state,
    "file_input": _file_state,
}
