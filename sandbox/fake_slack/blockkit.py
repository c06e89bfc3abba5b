"""Block Kit checks the fake Slack server applies, and helpers to walk blocks.

Two layers, because neither alone catches what Slack rejects:

1. structural checks on the raw dicts with Slack's documented limits (50 blocks per message,
   100 per view, section text 3000 chars, header 150, button text 75, option value 150,
   unique block_ids, plain_text where Slack requires it, non-empty text, ...);
2. ``slack_sdk.models`` parsing plus ``to_dict()``, so slack_sdk's own validators run
   (slack_sdk only validates model objects when ``to_dict()`` runs).

Each problem is a string in Slack's ``response_metadata.messages`` style, e.g.
``"[ERROR] must be less than 151 characters [json-pointer:/blocks/0/text/text]"``.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

__all__ = [
    "MESSAGE_MAX_BLOCKS",
    "VIEW_MAX_BLOCKS",
    "MESSAGE_TEXT_MAX",
    "ElementRef",
    "INPUT_ELEMENT_TYPES",
    "SELECT_TYPES",
    "validate_blocks",
    "validate_view",
    "iter_elements",
    "with_generated_ids",
]

MESSAGE_MAX_BLOCKS = 50
VIEW_MAX_BLOCKS = 100
MESSAGE_TEXT_MAX = 40_000

KNOWN_ELEMENT_TYPES = frozenset(
    {
        "button",
        "checkboxes",
        "channels_select",
        "conversations_select",
        "datepicker",
        "datetimepicker",
        "email_text_input",
        "external_select",
        "feedback_buttons",
        "file_input",
        "icon_button",
        "image",
        "multi_channels_select",
        "multi_conversations_select",
        "multi_external_select",
        "multi_static_select",
        "multi_users_select",
        "number_input",
        "overflow",
        "plain_text_input",
        "radio_buttons",
        "rich_text_input",
        "static_select",
        "timepicker",
        "url_text_input",
        "users_select",
        "workflow_button",
    }
)

SELECT_TYPES = frozenset(
    {
        "static_select",
        "external_select",
        "users_select",
        "conversations_select",
        "channels_select",
        "multi_static_select",
        "multi_external_select",
        "multi_users_select",
        "multi_conversations_select",
        "multi_channels_select",
    }
)

#: Elements that hold a value in ``state.values`` (input blocks, and actions blocks in views).
INPUT_ELEMENT_TYPES = SELECT_TYPES | {
    "plain_text_input",
    "email_text_input",
    "url_text_input",
    "number_input",
    "rich_text_input",
    "checkboxes",
    "radio_buttons",
    "datepicker",
    "timepicker",
    "datetimepicker",
    "file_input",
}

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^\d{2}:\d{2}$")


def _err(message: str, pointer: str) -> str:
    return f"[ERROR] {message} [json-pointer:{pointer}]"


class _Checker:
    """Collects problems while walking raw Block Kit dicts."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def add(self, message: str, pointer: str) -> None:
        self.problems.append(_err(message, pointer))

    def elements_of(self, block: dict[str, Any], ptr: str, limit: int) -> list[Any]:
        """A block's ``elements``: a list of 1 to ``limit`` (none to check when it is not)."""
        elements = block.get("elements")
        if not isinstance(elements, list) or not elements:
            self.add("must provide at least 1 element", ptr + "/elements")
            return []
        if len(elements) > limit:
            self.add(f"no more than {limit} items allowed", ptr + "/elements")
        return elements

    # -------------------------------------------------------------- primitives
    def text_obj(
        self,
        obj: Any,
        ptr: str,
        *,
        plain_only: bool = False,
        max_len: int | None = None,
        required: bool = True,
    ) -> None:
        if obj is None:
            if required:
                self.add("missing required field: text object", ptr)
            return
        if not isinstance(obj, dict):
            self.add("must be a text object ({type, text})", ptr)
            return
        kind = obj.get("type")
        if kind not in ("plain_text", "mrkdwn"):
            self.add(f"text object type must be plain_text or mrkdwn, got {kind!r}", ptr + "/type")
            return
        if plain_only and kind != "plain_text":
            self.add("must be a plain_text text object", ptr + "/type")
        text = obj.get("text")
        if not isinstance(text, str):
            self.add("missing required field: text", ptr + "/text")
            return
        if not text:
            self.add("must be more than 0 characters", ptr + "/text")
        if max_len is not None and len(text) > max_len:
            self.add(f"must be less than {max_len + 1} characters (got {len(text)})", ptr + "/text")

    def max_str(self, obj: dict[str, Any], key: str, max_len: int, ptr: str) -> None:
        value = obj.get(key)
        if value is None:
            return
        if not isinstance(value, str):
            self.add("must be a string", f"{ptr}/{key}")
        elif len(value) > max_len:
            self.add(
                f"must be less than {max_len + 1} characters (got {len(value)})", f"{ptr}/{key}"
            )

    def option(self, opt: Any, ptr: str, *, plain_only: bool) -> None:
        if not isinstance(opt, dict):
            self.add("must be an option object", ptr)
            return
        self.text_obj(opt.get("text"), ptr + "/text", plain_only=plain_only, max_len=75)
        if opt.get("value") is None:
            self.add("missing required field: value", ptr + "/value")
        self.max_str(opt, "value", 150, ptr)
        if opt.get("description") is not None:
            self.text_obj(opt["description"], ptr + "/description", max_len=75)

    def options(
        self,
        el: dict[str, Any],
        ptr: str,
        *,
        max_items: int,
        min_items: int = 1,
        plain_only: bool = True,
        groups_allowed: bool = False,
    ) -> list[dict[str, Any]]:
        """Check ``options`` (or ``option_groups``); return the flat list of valid options."""
        options = el.get("options")
        groups = el.get("option_groups") if groups_allowed else None
        if options is not None and groups is not None:
            self.add("options and option_groups cannot both be set", ptr)
        if groups is not None:
            return self.option_groups(groups, ptr)
        if options is None:
            self.add("missing required field: options", ptr + "/options")
            return []
        if not isinstance(options, list):
            self.add("must be an array", ptr + "/options")
            return []
        if len(options) < min_items:
            self.add(f"must provide at least {min_items} items", ptr + "/options")
        if len(options) > max_items:
            self.add(f"no more than {max_items} items allowed", ptr + "/options")
        return self.option_list(options, ptr, plain_only=plain_only)

    def option_groups(self, groups: Any, ptr: str) -> list[dict[str, Any]]:
        flat: list[dict[str, Any]] = []
        if not isinstance(groups, list) or not groups:
            self.add("must be a non-empty array", ptr + "/option_groups")
            return flat
        if len(groups) > 100:
            self.add("no more than 100 items allowed", ptr + "/option_groups")
        for gi, group in enumerate(groups):
            gptr = f"{ptr}/option_groups/{gi}"
            if not isinstance(group, dict):
                self.add("must be an option group object", gptr)
                continue
            self.text_obj(group.get("label"), gptr + "/label", plain_only=True, max_len=75)
            flat.extend(
                self.options(group, gptr, max_items=100, plain_only=True, groups_allowed=False)
            )
        return flat

    def option_list(
        self, options: list[Any], ptr: str, *, plain_only: bool
    ) -> list[dict[str, Any]]:
        """Check each option and that values are unique; return the option objects."""
        flat: list[dict[str, Any]] = []
        seen: set[str] = set()
        for oi, opt in enumerate(options):
            self.option(opt, f"{ptr}/options/{oi}", plain_only=plain_only)
            if isinstance(opt, dict):
                flat.append(opt)
                value = opt.get("value")
                if isinstance(value, str):
                    if value in seen:
                        self.add(f"duplicate option value {value!r}", f"{ptr}/options/{oi}/value")
                    seen.add(value)
        return flat

    def initial_options(
        self, el: dict[str, Any], flat: list[dict[str, Any]], ptr: str, *, multi: bool
    ) -> None:
        def matches(opt: Any) -> bool:
            if not isinstance(opt, dict):
                return False
            for candidate in flat:
                if candidate.get("value") == opt.get("value") and (
                    (candidate.get("text") or {}).get("text") == (opt.get("text") or {}).get("text")
                ):
                    return True
            return False

        key = "initial_options" if multi else "initial_option"
        value = el.get(key)
        if value is None:
            return
        items = value if multi else [value]
        if multi and not isinstance(value, list):
            self.add("must be an array", f"{ptr}/{key}")
            return
        for i, opt in enumerate(items):
            if not matches(opt):
                where = f"{ptr}/{key}/{i}" if multi else f"{ptr}/{key}"
                self.add("must exactly match one of the provided options", where)

    # -------------------------------------------------------------- elements
    def element(self, el: Any, ptr: str, *, context: str) -> None:
        if not isinstance(el, dict):
            self.add("must be an element object", ptr)
            return
        kind = el.get("type")
        if kind not in KNOWN_ELEMENT_TYPES:
            self.add(f"unknown element type {kind!r}", ptr + "/type")
            return
        self.max_str(el, "action_id", 255, ptr)
        if el.get("placeholder") is not None:
            self.text_obj(el["placeholder"], ptr + "/placeholder", plain_only=True, max_len=150)
        if el.get("confirm") is not None:
            self.confirm(el["confirm"], ptr + "/confirm")

        check = _ELEMENT_CHECKS.get(str(kind))
        if check is not None:
            check(self, el, ptr)
        if context == "actions" and kind in (
            "plain_text_input",
            "email_text_input",
            "url_text_input",
            "number_input",
            "file_input",
            "image",
        ):
            self.add(f"{kind} is not allowed in an actions block", ptr + "/type")

    def button(self, el: dict[str, Any], ptr: str) -> None:
        self.text_obj(el.get("text"), ptr + "/text", plain_only=True, max_len=75)
        self.max_str(el, "value", 2000, ptr)
        self.max_str(el, "url", 3000, ptr)
        style = el.get("style")
        if style is not None and style not in ("primary", "danger"):
            self.add("style must be 'primary' or 'danger'", ptr + "/style")

    def static_select(self, el: dict[str, Any], ptr: str) -> None:
        flat = self.options(el, ptr, max_items=100, groups_allowed=True)
        self.initial_options(el, flat, ptr, multi=str(el.get("type")).startswith("multi_"))

    def overflow(self, el: dict[str, Any], ptr: str) -> None:
        self.options(el, ptr, max_items=5, min_items=1)

    def radio_buttons(self, el: dict[str, Any], ptr: str) -> None:
        flat = self.options(el, ptr, max_items=10, plain_only=False)
        self.initial_options(el, flat, ptr, multi=False)

    def checkboxes(self, el: dict[str, Any], ptr: str) -> None:
        flat = self.options(el, ptr, max_items=10, plain_only=False)
        self.initial_options(el, flat, ptr, multi=True)

    def plain_text_input(self, el: dict[str, Any], ptr: str) -> None:
        for key in ("min_length", "max_length"):
            value = el.get(key)
            if value is not None and (not isinstance(value, int) or not 0 <= value <= 3000):
                self.add("must be an integer between 0 and 3000", f"{ptr}/{key}")
        initial, max_len = el.get("initial_value"), el.get("max_length")
        if isinstance(initial, str) and isinstance(max_len, int) and len(initial) > max_len:
            self.add("initial_value is longer than max_length", ptr + "/initial_value")

    def datepicker(self, el: dict[str, Any], ptr: str) -> None:
        initial = el.get("initial_date")
        if initial is not None and not (isinstance(initial, str) and _DATE.match(initial)):
            self.add("must be a date in YYYY-MM-DD format", ptr + "/initial_date")

    def timepicker(self, el: dict[str, Any], ptr: str) -> None:
        initial = el.get("initial_time")
        if initial is not None and not (isinstance(initial, str) and _TIME.match(initial)):
            self.add("must be a time in HH:mm format", ptr + "/initial_time")

    def image_element(self, el: dict[str, Any], ptr: str) -> None:
        if not el.get("image_url") and not el.get("slack_file"):
            self.add("missing required field: image_url", ptr + "/image_url")
        if not el.get("alt_text"):
            self.add("missing required field: alt_text", ptr + "/alt_text")

    def confirm(self, obj: Any, ptr: str) -> None:
        if not isinstance(obj, dict):
            self.add("must be a confirmation dialog object", ptr)
            return
        self.text_obj(obj.get("title"), ptr + "/title", plain_only=True, max_len=100)
        self.text_obj(obj.get("text"), ptr + "/text", max_len=300)
        self.text_obj(obj.get("confirm"), ptr + "/confirm", plain_only=True, max_len=30)
        self.text_obj(obj.get("deny"), ptr + "/deny", plain_only=True, max_len=30)

    # -------------------------------------------------------------- blocks
    def block(self, block: dict[str, Any], ptr: str) -> None:
        self.max_str(block, "block_id", 255, ptr)
        check = _BLOCK_CHECKS.get(str(block.get("type")))
        if check is not None:
            check(self, block, ptr)

    def section_block(self, block: dict[str, Any], ptr: str) -> None:
        if block.get("text") is None and block.get("fields") is None:
            self.add("must provide text or fields", ptr)
        if block.get("text") is not None:
            self.text_obj(block["text"], ptr + "/text", max_len=3000)
        fields = block.get("fields")
        if fields is not None:
            if not isinstance(fields, list) or not fields:
                self.add("must be a non-empty array", ptr + "/fields")
            else:
                if len(fields) > 10:
                    self.add("no more than 10 items allowed", ptr + "/fields")
                for fi, field in enumerate(fields):
                    self.text_obj(field, f"{ptr}/fields/{fi}", max_len=2000)
        if block.get("accessory") is not None:
            self.element(block["accessory"], ptr + "/accessory", context="section")

    def header_block(self, block: dict[str, Any], ptr: str) -> None:
        self.text_obj(block.get("text"), ptr + "/text", plain_only=True, max_len=150)

    def context_block(self, block: dict[str, Any], ptr: str) -> None:
        elements = self.elements_of(block, ptr, 10)
        for ei, el in enumerate(elements):
            eptr = f"{ptr}/elements/{ei}"
            if isinstance(el, dict) and el.get("type") in ("plain_text", "mrkdwn"):
                self.text_obj(el, eptr)
            elif isinstance(el, dict) and el.get("type") == "image":
                self.element(el, eptr, context="context")
            else:
                self.add("context elements must be text objects or images", eptr)

    def actions_block(self, block: dict[str, Any], ptr: str) -> None:
        elements = self.elements_of(block, ptr, 25)
        seen: set[str] = set()
        for ei, el in enumerate(elements):
            self.element(el, f"{ptr}/elements/{ei}", context="actions")
            action_id = el.get("action_id") if isinstance(el, dict) else None
            if isinstance(action_id, str):
                if action_id in seen:
                    self.add(
                        f"duplicate action_id {action_id!r} in one block",
                        f"{ptr}/elements/{ei}/action_id",
                    )
                seen.add(action_id)

    def input_block(self, block: dict[str, Any], ptr: str) -> None:
        self.text_obj(block.get("label"), ptr + "/label", plain_only=True, max_len=2000)
        if block.get("hint") is not None:
            self.text_obj(block["hint"], ptr + "/hint", plain_only=True, max_len=2000)
        element = block.get("element")
        if element is None:
            self.add("missing required field: element", ptr + "/element")
            return
        self.element(element, ptr + "/element", context="input")
        if isinstance(element, dict) and element.get("type") not in INPUT_ELEMENT_TYPES:
            self.add(
                f"{element.get('type')!r} cannot be used in an input block",
                ptr + "/element/type",
            )

    def image_block(self, block: dict[str, Any], ptr: str) -> None:
        if not block.get("image_url") and not block.get("slack_file"):
            self.add("missing required field: image_url", ptr + "/image_url")
        self.max_str(block, "image_url", 3000, ptr)
        if not block.get("alt_text"):
            self.add("missing required field: alt_text", ptr + "/alt_text")
        self.max_str(block, "alt_text", 2000, ptr)
        if block.get("title") is not None:
            self.text_obj(block["title"], ptr + "/title", plain_only=True, max_len=2000)

    def blocks(self, blocks: Any, ptr: str, *, max_blocks: int) -> None:
        if not isinstance(blocks, list):
            self.add("must be an array of blocks", ptr)
            return
        if len(blocks) > max_blocks:
            self.add(f"no more than {max_blocks} items allowed (got {len(blocks)})", ptr)
        seen_ids: set[str] = set()
        for i, block in enumerate(blocks):
            bptr = f"{ptr}/{i}"
            if not isinstance(block, dict):
                self.add("must be a block object", bptr)
                continue
            if not isinstance(block.get("type"), str):
                self.add("missing required field: type", bptr + "/type")
                continue
            block_id = block.get("block_id")
            if isinstance(block_id, str):
                if block_id in seen_ids:
                    self.add(f"duplicate block_id {block_id!r}", bptr + "/block_id")
                seen_ids.add(block_id)
            before = len(self.problems)
            self.block(block, bptr)
            if len(self.problems) == before:
                self.sdk_block(block, bptr)

    def sdk_block(self, block: dict[str, Any], ptr: str) -> None:
        """Let slack_sdk parse the block and run its validators via to_dict()."""
        try:
            parsed = Block.parse(copy.deepcopy(block))
            if parsed is None:
                self.add(f"unknown block type {block.get('type')!r}", ptr + "/type")
                return
            parsed.to_dict()
        except Exception as exc:  # slack_sdk raises SlackObjectFormationError, TypeError, ...
            self.add(f"{type(exc).__name__}: {exc}", ptr)


# What each element and block type checks beyond the common fields.
_ELEMENT_CHECKS: dict[str, Callable[[_Checker, dict[str, Any], str], None]] = {
    "button": _Checker.button,
    "static_select": _Checker.static_select,
    "multi_static_select": _Checker.static_select,
    "overflow": _Checker.overflow,
    "radio_buttons": _Checker.radio_buttons,
    "checkboxes": _Checker.checkboxes,
    "plain_text_input": _Checker.plain_text_input,
    "datepicker": _Checker.datepicker,
    "timepicker": _Checker.timepicker,
    "image": _Checker.image_element,
}
_BLOCK_CHECKS: dict[str, Callable[[_Checker, dict[str, Any], str], None]] = {
    "section": _Checker.section_block,
    "header": _Checker.header_block,
    "context": _Checker.context_block,
    "actions": _Checker.actions_block,
    "input": _Checker.input_block,
    "image": _Checker.image_block,
}


def validate_blocks(
    blocks: Any, *, max_blocks: int = MESSAGE_MAX_BLOCKS, pointer: str = "/blocks"
) -> list[str]:
    """Problems with a message's ``blocks`` (empty list = valid)."""
    checker = _Checker()
    checker.blocks(blocks, pointer, max_blocks=max_blocks)
    return checker.problems


def validate_view(view: Any, *, pointer: str = "/view") -> list[str]:
    """Problems with a modal / App Home ``view`` (empty list = valid)."""
    checker = _Checker()
    if not isinstance(view, dict):
        checker.add("must be a view object", pointer)
        return checker.problems
    kind = view.get("type")
    if kind not in ("modal", "home"):
        checker.add(f"view type must be 'modal' or 'home', got {kind!r}", pointer + "/type")
        return checker.problems
    if kind == "modal":
        checker.text_obj(view.get("title"), pointer + "/title", plain_only=True, max_len=24)
        for key in ("submit", "close"):
            if view.get(key) is not None:
                checker.text_obj(view[key], f"{pointer}/{key}", plain_only=True, max_len=24)
        blocks = view.get("blocks")
        if (
            isinstance(blocks, list)
            and any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
            and view.get("submit") is None
        ):
            checker.add("a modal with input blocks must have a submit button", pointer + "/submit")
    checker.max_str(view, "private_metadata", 3000, pointer)
    checker.max_str(view, "callback_id", 255, pointer)
    checker.max_str(view, "external_id", 255, pointer)
    if "blocks" not in view:
        checker.add("missing required field: blocks", pointer + "/blocks")
    else:
        checker.blocks(view["blocks"], pointer + "/blocks", max_blocks=VIEW_MAX_BLOCKS)
    if not checker.problems:
        try:
            View(**copy.deepcopy(view)).to_dict()
        except Exception as exc:
            checker.add(f"{type(exc).__name__}: {exc}", pointer)
    return checker.problems


# ---------------------------------------------------------------------------- walking


@dataclass(frozen=True)
class ElementRef:
    """An interactive element found in a list of blocks."""

    block_id: str | None
    block_type: str
    element: dict[str, Any]
    block_index: int

    @property
    def action_id(self) -> str | None:
        return self.element.get("action_id")

    @property
    def type(self) -> str:
        return str(self.element.get("type"))


def iter_elements(blocks: Any) -> Iterator[ElementRef]:
    """Interactive elements: section accessories, actions elements, input elements."""
    if not isinstance(blocks, list):
        return
    for i, block in enumerate(blocks):
        if not isinstance(block, dict):
            continue
        kind = str(block.get("type"))
        block_id = block.get("block_id")
        if kind == "section" and isinstance(block.get("accessory"), dict):
            if block["accessory"].get("type") != "image":
                yield ElementRef(block_id, kind, block["accessory"], i)
        elif kind == "actions":
            for el in block.get("elements") or []:
                if isinstance(el, dict):
                    yield ElementRef(block_id, kind, el, i)
        elif kind == "input" and isinstance(block.get("element"), dict):
            yield ElementRef(block_id, kind, block["element"], i)


def _short_id(*parts: Any) -> str:
    digest = hashlib.sha1(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()
    return digest[:5]


def with_generated_ids(blocks: Any) -> Any:
    """A deep copy of ``blocks`` with the ids Slack generates filled in.

    Slack gives every block without a ``block_id`` a short random one, and every
    interactive element without an ``action_id`` one too; payloads it sends later carry
    those ids. Here they are derived from the block's position and content, so they are
    stable for the same message.
    """
    if not isinstance(blocks, list):
        return copy.deepcopy(blocks)
    out = copy.deepcopy(blocks)
    for i, block in enumerate(out):
        if isinstance(block, dict) and not block.get("block_id"):
            block["block_id"] = _short_id(i, block)
    for ref in iter_elements(out):
        if not ref.element.get("action_id"):
            ref.element["action_id"] = _short_id(ref.block_id, ref.element)
    return out
