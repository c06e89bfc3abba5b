"""Views: modal stacks and Home tabs, trigger ids, and what Slack does with the app's answer to a
``view_submission``."""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any

from .blockkit import iter_elements, validate_view, with_generated_ids
from .common import SlackApiFailure, truthy
from .messages import MessageStore
from .models import View

MAX_MODAL_STACK = 3


class ViewStore(MessageStore):
    """Opening, pushing, updating and closing views, as the Web API and the driver ask."""

    def set_view_state(
        self, view_id: str, block_id: str, action_id: str, value: dict[str, Any]
    ) -> None:
        """Remember what the user entered into an element of an open view."""
        with self._lock:
            view = self._views[view_id]
            view.state.setdefault(block_id, {})[action_id] = copy.deepcopy(value)
            self._changed()

    def close_view(
        self, user_id: str | None, view_id: str | None = None, *, clear: bool = False
    ) -> list[View]:
        """Close the top modal (or ``view_id`` and what is above it, or all with ``clear``).

        Returns the views that were closed, top first.
        """
        with self._lock:
            stack = self._modal_stacks.get(user_id, [])
            if not stack:
                return []
            if clear:
                cut = 0
            elif view_id is not None:
                if view_id not in stack:
                    return []
                cut = stack.index(view_id)
            else:
                cut = len(stack) - 1
            closed_ids = stack[cut:]
            del stack[cut:]
            closed = []
            for vid in reversed(closed_ids):
                self._views[vid].closed = True
                closed.append(copy.deepcopy(self._views[vid]))
            self._changed()
            return closed

    def resolve_view_submission(
        self, user_id: str | None, view_id: str, status: int, body: str
    ) -> str:
        """Apply the app's answer to a ``view_submission`` like Slack does.

        Returns what happened: ``"closed"``, ``"cleared"``, ``"updated"``, ``"pushed"``,
        ``"errors"`` or ``"failed"`` (non-200 or an invalid answer; the modal stays open and
        a warning is recorded).
        """
        with self._lock:
            self._changed()  # whatever the answer does (errors are shown in the modal)
            if status != 200:
                self.add_warning(
                    "view_submission_failed",
                    f"app answered HTTP {status}; Slack shows the user an error",
                    "view_submission",
                )
                return "failed"
            if not body.strip():
                self.close_view(user_id, view_id)
                return "closed"
            try:
                answer = json.loads(body)
            except ValueError:
                self.add_warning("invalid_response_action", "answer is not JSON", "view_submission")
                return "failed"
            return self._apply_response_action(user_id, view_id, answer)

    def _apply_response_action(self, user_id: str | None, view_id: str, answer: Any) -> str:
        action = answer.get("response_action") if isinstance(answer, dict) else None
        if action is None:
            self.close_view(user_id, view_id)
            return "closed"
        if action == "clear":
            self.close_view(user_id, clear=True)
            return "cleared"
        if action == "errors":
            return self._show_submission_errors(view_id, answer.get("errors"))
        if action in ("update", "push"):
            return self._update_or_push_from_submission(user_id, view_id, action, answer)
        self.add_warning("invalid_response_action", f"unknown response_action {action!r}", None)
        return "failed"

    def _show_submission_errors(self, view_id: str, errors: Any) -> str:
        """``response_action: errors``: show each message under its input block."""
        view = self._views[view_id]
        input_ids = {b.get("block_id") for b in view.blocks if b.get("type") == "input"}
        if not isinstance(errors, dict) or not errors:
            self.add_warning("invalid_response_action", "errors must be a non-empty object", None)
            return "failed"
        unknown = sorted(set(errors) - input_ids)
        if unknown:
            self.add_warning(
                "invalid_response_action",
                f"errors name block_ids that are not input blocks of the view: {unknown}",
                "view_submission",
            )
            return "failed"
        view.errors = {str(k): str(v) for k, v in errors.items()}
        return "errors"

    def _update_or_push_from_submission(
        self, user_id: str | None, view_id: str, action: str, answer: dict[str, Any]
    ) -> str:
        """``response_action: update`` / ``push`` with a new modal in ``view``."""
        new_view: Any = answer.get("view")
        problems = validate_view(new_view)
        if not problems and isinstance(new_view, dict) and new_view.get("type") != "modal":
            problems = ["[ERROR] must be a modal [json-pointer:/view/type]"]
        if problems:
            self.add_warning(
                "invalid_response_action",
                f"response_action {action}: " + "; ".join(problems),
                "view_submission",
            )
            return "failed"
        if action == "update":
            self._replace_view(self._views[view_id], new_view)
            return "updated"
        if len(self._modal_stacks.get(user_id, [])) >= MAX_MODAL_STACK:
            self.add_warning("invalid_response_action", "push_limit_reached", "view_submission")
            return "failed"
        self._push_view(user_id, new_view)
        return "pushed"

    def _new_view(self, view: dict[str, Any], user_id: str | None) -> View:
        view_id = f"V{self._next_seq():09d}"
        obj = View(
            id=view_id,
            type=str(view.get("type")),
            user_id=user_id,
            blocks=with_generated_ids(view.get("blocks") or []),
            sent=copy.deepcopy(view),
            hash=self._new_hash(),
            team_id=self.team_id,
            app_id=self.app_id,
            bot_id=self.bot_id,
        )
        self._apply_view_fields(obj, view)
        self._views[view_id] = obj
        return obj

    def _new_hash(self) -> str:
        return f"{int(self.clock())}.{uuid.uuid4().hex[:8]}"

    @staticmethod
    def _apply_view_fields(obj: View, view: dict[str, Any]) -> None:
        obj.callback_id = str(view.get("callback_id") or "")
        if view.get("external_id") or not obj.external_id:  # an update keeps the old one
            obj.external_id = str(view.get("external_id") or "")
        obj.private_metadata = str(view.get("private_metadata") or "")
        obj.title = copy.deepcopy(view.get("title"))
        obj.submit = copy.deepcopy(view.get("submit"))
        obj.close = copy.deepcopy(view.get("close"))
        obj.notify_on_close = truthy(view.get("notify_on_close"))
        obj.clear_on_close = truthy(view.get("clear_on_close"))

    def _replace_view(self, obj: View, view: dict[str, Any]) -> None:
        obj.blocks = with_generated_ids(view.get("blocks") or [])
        obj.sent = copy.deepcopy(view)
        obj.hash = self._new_hash()
        obj.errors = None
        self._apply_view_fields(obj, view)
        # Slack keeps what the user typed for elements that are still there.
        present = {(ref.block_id, ref.action_id) for ref in iter_elements(obj.blocks)}
        obj.state = {
            block_id: kept
            for block_id, actions in obj.state.items()
            if (kept := {a: v for a, v in actions.items() if (block_id, a) in present})
        }

    def _push_view(self, user_id: str | None, view: dict[str, Any]) -> View:
        stack = self._modal_stacks.setdefault(user_id, [])
        obj = self._new_view(view, user_id)
        if stack:
            obj.previous_view_id = stack[-1]
            obj.root_view_id = stack[0]
        stack.append(obj.id)
        return obj

    def _check_external_id(self, view: dict[str, Any], *, except_id: str | None = None) -> None:
        external_id = view.get("external_id")
        if not external_id:
            return
        for other in self._views.values():
            if other.id != except_id and not other.closed and other.external_id == external_id:
                raise SlackApiFailure("duplicate_external_id")

    def _use_trigger(self, args: dict[str, Any]) -> str | None:
        """Validate (not yet consume) the trigger; returns its user."""
        trigger_id = args.get("trigger_id") or args.get("interactivity_pointer")
        if not trigger_id:
            raise SlackApiFailure(
                "invalid_arguments", messages=["[ERROR] missing required field: trigger_id"]
            )
        trigger = self._triggers.get(str(trigger_id))
        if trigger is None:
            raise SlackApiFailure("invalid_trigger_id")
        if trigger.used:
            raise SlackApiFailure("exchanged_trigger_id")
        if self.monotonic() > trigger.expires:
            raise SlackApiFailure("expired_trigger_id")
        return trigger.user_id

    def _consume_trigger(self, args: dict[str, Any]) -> None:
        trigger_id = args.get("trigger_id") or args.get("interactivity_pointer")
        self._triggers[str(trigger_id)].used = True

    @staticmethod
    def _view_arg(args: dict[str, Any], *, kind: str | None) -> dict[str, Any]:
        view = args.get("view")
        problems = validate_view(view)
        if not isinstance(view, dict):
            raise SlackApiFailure("invalid_arguments", messages=problems)
        if not problems and kind is not None and view.get("type") != kind:
            problems = [f"[ERROR] view type must be '{kind}' [json-pointer:/view/type]"]
        if problems:
            raise SlackApiFailure("invalid_arguments", messages=problems)
        return view

    def _find_view_for_update(self, args: dict[str, Any]) -> View:
        view_id, external_id = args.get("view_id"), args.get("external_id")
        if not view_id and not external_id:
            raise SlackApiFailure(
                "invalid_arguments",
                messages=["[ERROR] either view_id or external_id is required"],
            )
        for obj in self._views.values():
            if obj.closed:
                continue
            if (view_id and obj.id == view_id) or (external_id and obj.external_id == external_id):
                return obj
        raise SlackApiFailure("not_found")
