"""Block actions: clicking buttons and picking values in elements that really are in the
messages, Home tab and modals a person sees."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

import httpx

from sandbox.fake_slack import ElementRef, Message, View, iter_elements
from sandbox.fake_slack.blockkit import INPUT_ELEMENT_TYPES

from .state_values import StateValues


def _summary(ref: ElementRef) -> str:
    value = ref.element.get("value")
    shown = f", value={value!r}" if value is not None else ""
    return f"{ref.action_id} ({ref.type}{shown})"


def describe_element(ref: ElementRef) -> str:
    return f"{ref.block_id}/{ref.action_id} ({ref.type})"


class BlockActions(StateValues):
    """Find an element where the person can see it and send Slack's ``block_actions`` payload."""

    def _check_interactivity(self) -> None:
        enabled = self.fake.interactivity_enabled
        if self.check_manifest and enabled is False:
            raise AssertionError(
                "the manifest does not enable interactivity (settings.interactivity.is_enabled),"
                " so Slack would send no interaction payloads"
            )

    def interaction(self, payload: Mapping[str, Any]) -> httpx.Response:
        """Send any interactivity ``payload`` (form field ``payload``), signed."""
        self._check_interactivity()
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return self._post(self.interactivity_url, body, "application/x-www-form-urlencoded")

    def _sources(
        self, user_id: str, in_message: Message | str | None, in_view: View | str | None
    ) -> list[tuple[str, Message | View]]:
        """Where to look for an element, in order."""
        if in_message is not None:
            if isinstance(in_message, Message):
                found = self.fake.message(in_message.channel, in_message.ts)
            else:
                found = next(
                    (m for m in self.fake.dm_messages(user_id) if m.ts == in_message), None
                )
            if found is None or found.deleted:
                raise AssertionError(f"message {in_message!r} does not exist (or was deleted)")
            return [("message", found)]
        if in_view is not None:
            view_id = in_view.id if isinstance(in_view, View) else in_view
            view = self.fake.view(view_id)
            if view is None or view.closed:
                raise AssertionError(f"view {view_id!r} is not open")
            return [("view", view)]
        sources: list[tuple[str, Message | View]] = [
            ("message", m) for m in reversed(self.fake.dm_messages(user_id)) if m.from_bot
        ]
        home = self.fake.home_view(user_id)
        if home is not None:
            sources.append(("view", home))
        sources.extend(("view", v) for v in reversed(self.fake.open_views(user_id)))
        return sources

    def _find(
        self,
        user_id: str,
        action_id: str,
        *,
        kinds: Callable[[str], bool],
        what: str,
        in_message: Message | str | None,
        in_view: View | str | None,
        block_id: str | None,
        value: str | None = None,
    ) -> tuple[str, Message | View, ElementRef]:
        sources = self._sources(user_id, in_message, in_view)
        inventory: list[str] = []
        for kind, source in sources:
            refs = [
                r
                for r in iter_elements(source.blocks)
                if r.action_id == action_id
                and kinds(r.type)
                and (block_id is None or r.block_id == block_id)
            ]
            if value is not None:
                refs = [r for r in refs if r.element.get("value") == value]
            label = (
                f"message {source.ts}"
                if isinstance(source, Message)
                else f"{source.type} view {source.id}"
            )
            if len(refs) > 1:
                choices = [(r.block_id, r.element.get("value")) for r in refs]
                raise AssertionError(
                    f"{len(refs)} {what}s with action_id {action_id!r} in {label}; pass value= "
                    f"or block_id= to pick one of (block_id, value): {choices}"
                )
            if refs:
                return kind, source, refs[0]
            found = [_summary(r) for r in iter_elements(source.blocks)]
            if found:
                inventory.append(f"  {label}: {', '.join(found)}")
        where = "\n".join(inventory) or "  (no interactive elements anywhere)"
        extra = f" with value {value!r}" if value is not None else ""
        raise AssertionError(
            f"{user_id} sees no {what} with action_id {action_id!r}{extra}. What they can see:\n"
            + where
        )

    def _message_state(self, msg: Message) -> dict[str, Any]:
        state: dict[str, Any] = {}
        for ref in iter_elements(msg.blocks):
            if ref.type in INPUT_ELEMENT_TYPES and ref.action_id and ref.block_id:
                state.setdefault(ref.block_id, {})[ref.action_id] = self._state_value(
                    ref.element, None
                )
        return state

    def _view_state(self, view: View) -> dict[str, Any]:
        state: dict[str, Any] = {}
        for ref in iter_elements(view.blocks):
            if ref.type not in INPUT_ELEMENT_TYPES or not ref.action_id or not ref.block_id:
                continue
            entered = view.state.get(ref.block_id, {}).get(ref.action_id)
            state.setdefault(ref.block_id, {})[ref.action_id] = (
                entered if entered is not None else self._state_value(ref.element, None)
            )
        return state

    def _block_actions(
        self, user_id: str, kind: str, source: Message | View, action: dict[str, Any]
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": self._user_obj(user_id),
            "api_app_id": self.api_app_id,
            "token": "unused-verification-token",
            "trigger_id": self.fake.issue_trigger_id(user_id),
            "team": self._team_obj(),
            "enterprise": None,
            "is_enterprise_install": False,
            "actions": [action],
        }
        if isinstance(source, Message):
            container: dict[str, Any] = {
                "type": "message",
                "message_ts": source.ts,
                "channel_id": source.channel,
                "is_ephemeral": source.is_ephemeral,
            }
            if source.thread_ts:
                container["thread_ts"] = source.thread_ts
            payload["container"] = container
            payload["channel"] = {"id": source.channel, "name": self._channel_name(source.channel)}
            if not source.is_ephemeral:
                payload["message"] = source.to_slack()
            payload["state"] = {"values": self._message_state(source)}
            payload["response_url"] = self.fake.new_response_url(
                source.channel, user_id, message_ts=source.ts
            )
        else:
            payload["container"] = {"type": "view", "view_id": source.id}
            payload["view"] = source.to_slack(self._view_state(source))
        return payload

    def click(
        self,
        user_id: str,
        action_id: str,
        *,
        value: str | None = None,
        in_message: Message | str | None = None,
        in_view: View | str | None = None,
        block_id: str | None = None,
    ) -> httpx.Response:
        """``user_id`` clicks the button ``action_id`` (a ``block_actions`` payload).

        The button must exist: by default the newest of the bot's messages in the user's DM
        that has it, else their App Home, else their open modals (top first). ``value`` and
        ``block_id`` pick among several buttons sharing an action_id; ``in_message`` (a
        Message or its ts in the user's DM) / ``in_view`` (a View or id) say where to look.
        """
        self._check_interactivity()
        kind, source, ref = self._find(
            user_id,
            action_id,
            kinds=lambda t: t in ("button", "workflow_button"),
            what="button",
            in_message=in_message,
            in_view=in_view,
            block_id=block_id,
            value=value,
        )
        element = ref.element
        action: dict[str, Any] = {
            "action_id": action_id,
            "block_id": ref.block_id,
            "text": element.get("text"),
            "type": element.get("type", "button"),
            "action_ts": self.fake.next_ts(),
        }
        if element.get("value") is not None:
            action["value"] = element["value"]
        if element.get("style"):
            action["style"] = element["style"]
        if element.get("url"):
            action["url"] = element["url"]
        payload = self._block_actions(user_id, kind, source, action)
        return self._done(self.interaction(payload))

    def select(
        self,
        user_id: str,
        action_id: str,
        values: Any,
        *,
        in_message: Message | str | None = None,
        in_view: View | str | None = None,
        block_id: str | None = None,
    ) -> httpx.Response | None:
        """``user_id`` picks ``values`` in a select / radio / checkboxes / picker element.

        ``values`` are option *values* for option-based elements (a list for multi-selects
        and checkboxes), user / conversation / channel ids for those selects, ``YYYY-MM-DD``
        (or a date) for datepickers, text for text inputs.

        In a view the choice is remembered for :meth:`submit_view`. Inside an ``input`` block
        without ``dispatch_action: true`` Slack sends the app nothing: then this only records
        the choice and returns None.
        """
        kind, source, ref = self._find(
            user_id,
            action_id,
            kinds=lambda t: t != "button" and t != "workflow_button",
            what="select/input element",
            in_message=in_message,
            in_view=in_view,
            block_id=block_id,
        )
        state = self._state_value(ref.element, values, where=describe_element(ref))
        if isinstance(source, View) and ref.block_id and ref.type in INPUT_ELEMENT_TYPES:
            self.fake.set_view_state(source.id, ref.block_id, action_id, state)
            source = self.fake.view(source.id) or source
        block = (source.blocks or [])[ref.block_index]
        if ref.block_type == "input" and not block.get("dispatch_action"):
            return None
        self._check_interactivity()
        action = {
            **state,
            "action_id": action_id,
            "block_id": ref.block_id,
            "action_ts": self.fake.next_ts(),
        }
        if ref.element.get("placeholder"):
            action["placeholder"] = ref.element["placeholder"]
        payload = self._block_actions(user_id, kind, source, action)
        return self._done(self.interaction(payload))
