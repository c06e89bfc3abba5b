"""Small constructors for Block Kit elements, so builders read like the message they draw.

Every text they put in a message or view is safe for Slack: a plain_text field (buttons,
headers, options, labels, placeholders, titles) escapes `&`, `<` and `>` of anything not
rendered by `core.kernel.texts` (a name passed as is, say); mrkdwn fields and a message's
fallback `text` take text rendered by `mrkdwn`/`plain`, which escape every value they insert.
All of them drop control and bidi characters (`clean_text`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from core.kernel.texts import SlackText, as_slack_text, clean_text, mrkdwn, plain

Block = dict[str, Any]

SECTION_TEXT_LIMIT = 3000
BUTTON_TEXT_LIMIT = 75
OPTION_TEXT_LIMIT = 75
VALUE_LIMIT = 2000


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plain_text(text: str, limit: int = 3000) -> dict[str, Any]:
    return {"type": "plain_text", "text": _clip(as_slack_text(text), limit), "emoji": True}


def mrkdwn_text(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": _clip(clean_text(text), SECTION_TEXT_LIMIT)}


def section(text: str, *, block_id: str | None = None, accessory: Block | None = None) -> Block:
    block: Block = {"type": "section", "text": mrkdwn_text(text)}
    if block_id:
        block["block_id"] = block_id
    if accessory:
        block["accessory"] = accessory
    return block


def header(text: str) -> Block:
    return {"type": "header", "text": plain_text(text, 150)}


def context(*texts: str) -> Block:
    return {"type": "context", "elements": [mrkdwn_text(t) for t in texts]}


def divider() -> Block:
    return {"type": "divider"}


def actions(elements: Sequence[Block], *, block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": list(elements)}
    if block_id:
        block["block_id"] = block_id
    return block


def encode_value(**data: Any) -> str:
    value = json.dumps(data, separators=(",", ":"), sort_keys=True)
    if len(value) > VALUE_LIMIT:
        raise ValueError("button value too long")
    return value


def decode_value(value: str | None) -> dict[str, Any]:
    """Decode a button value; anything malformed decodes to {} (the caller treats it as stale)."""
    if not value:
        return {}
    try:
        data = json.loads(value)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def view_metadata(view: Mapping[str, Any]) -> dict[str, Any]:
    """A modal's `private_metadata` (JSON); anything malformed reads as {}."""
    return decode_value(view.get("private_metadata"))


def view_values(view: Mapping[str, Any]) -> dict[str, Any]:
    """A submitted modal's input values, by block id and action id."""
    return (view.get("state") or {}).get("values") or {}


def button(
    text: str, action_id: str, value: str | None = None, *, style: str | None = None
) -> Block:
    element: Block = {
        "type": "button",
        "text": plain_text(text, BUTTON_TEXT_LIMIT),
        "action_id": action_id,
    }
    if value is not None:
        element["value"] = value
    if style:
        element["style"] = style
    return element


def option(text: str, value: str) -> dict[str, Any]:
    return {"text": plain_text(text, OPTION_TEXT_LIMIT), "value": value}


def option_groups(groups: Iterable[tuple[str, Sequence[tuple[str, str]]]]) -> list[dict[str, Any]]:
    return [
        {"label": plain_text(label, 75), "options": [option(t, v) for t, v in opts]}
        for label, opts in groups
    ]


def _add_options(
    element: Block,
    options: Sequence[tuple[str, str]] | None,
    groups: Sequence[tuple[str, Sequence[tuple[str, str]]]] | None,
) -> list[tuple[str, str]]:
    """Put a select's options (or option groups) on `element`; all its (text, value) pairs."""
    if groups is not None:
        element["option_groups"] = option_groups(groups)
        return [o for _, opts in groups for o in opts]
    element["options"] = [option(t, v) for t, v in options or ()]
    return list(options or ())


def multi_select(
    action_id: str,
    placeholder: str,
    *,
    options: Sequence[tuple[str, str]] | None = None,
    groups: Sequence[tuple[str, Sequence[tuple[str, str]]]] | None = None,
    initial: Sequence[str] = (),
    max_selected: int | None = None,
) -> Block:
    element: Block = {
        "type": "multi_static_select",
        "action_id": action_id,
        "placeholder": plain_text(placeholder, 150),
    }
    all_options = _add_options(element, options, groups)
    chosen = [option(t, v) for t, v in all_options if v in set(initial)]
    if chosen:
        element["initial_options"] = chosen
    if max_selected:
        element["max_selected_items"] = max_selected
    return element


def static_select(
    action_id: str,
    placeholder: str,
    *,
    options: Sequence[tuple[str, str]] | None = None,
    groups: Sequence[tuple[str, Sequence[tuple[str, str]]]] | None = None,
    initial: str | None = None,
) -> Block:
    element: Block = {
        "type": "static_select",
        "action_id": action_id,
        "placeholder": plain_text(placeholder, 150),
    }
    for text, value in _add_options(element, options, groups):
        if value == initial:
            element["initial_option"] = option(text, value)
    return element


def radio_buttons(
    action_id: str, options: Sequence[tuple[str, str]], initial: str | None = None
) -> Block:
    element: Block = {
        "type": "radio_buttons",
        "action_id": action_id,
        "options": [option(t, v) for t, v in options],
    }
    for text, value in options:
        if value == initial:
            element["initial_option"] = option(text, value)
    return element


def text_input(
    action_id: str,
    *,
    initial: str | None = None,
    multiline: bool = False,
    max_length: int | None = None,
    placeholder: str | None = None,
) -> Block:
    element: Block = {"type": "plain_text_input", "action_id": action_id, "multiline": multiline}
    if initial:
        element["initial_value"] = initial
    if max_length:
        element["max_length"] = max_length
    if placeholder:
        element["placeholder"] = plain_text(placeholder, 150)
    return element


def input_block(
    label: str, element: Block, *, block_id: str, optional: bool = False, hint: str | None = None
) -> Block:
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain_text(label, 2000),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = plain_text(hint, 2000)
    return block


def message(text: str, blocks: list[Block]) -> dict[str, Any]:
    """A message payload: the fallback `text` (notifications, screen readers) and its blocks.
    `text` is Slack text (rendered by `mrkdwn`/`plain`, which escape every value), and is
    marked so, so that a digest quoting it does not escape it twice."""
    return {"text": SlackText(_clip(clean_text(text), 3000)), "blocks": blocks}


def text_message(text: str) -> dict[str, Any]:
    """A message of one section that says `text`."""
    return message(text, [section(text)])


def question(
    text: str,
    answer: tuple[str, str, str],
    refuse: tuple[str, str],
    value: str,
    *,
    block_id: str,
    footer: str | None = None,
) -> dict[str, Any]:
    """A message that asks one thing: `text`, then an answer button (label, action id,
    style) and a plain refusing one (label, action id) that carry the same `value`, and a
    `footer` line when given."""
    label, action_id, style = answer
    buttons = [button(label, action_id, value, style=style), button(*refuse, value)]
    blocks = [section(text), actions(buttons, block_id=block_id)]
    if footer is not None:
        blocks.append(context(footer))
    return message(text, blocks)


def note(key: str, **ctx: Any) -> dict[str, Any]:
    """A message of one section: the template `key` rendered as mrkdwn."""
    return text_message(mrkdwn(key, **ctx))


def modal(callback_id: str, texts: str, private_metadata: str, blocks: list[Block]) -> Block:
    """A modal that can be submitted; `texts` is the template prefix of its title, submit and
    close labels (`<texts>.title`, `.submit`, `.close`)."""
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain_text(plain(f"{texts}.title"), 24),
        "submit": plain_text(plain(f"{texts}.submit"), 24),
        "close": plain_text(plain(f"{texts}.close"), 24),
        "private_metadata": private_metadata,
        "blocks": blocks,
    }
