"""Submitting and closing modals, checked as the Slack client checks them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from sandbox.fake_slack import ElementRef, View, iter_elements
from sandbox.fake_slack.blockkit import INPUT_ELEMENT_TYPES

from .interactions import BlockActions, describe_element
from .state_values import state_is_empty


class ModalActions(BlockActions):
    """``view_submission`` and ``view_closed`` for the person's open modals."""

    def _modal(self, user_id: str, view: View | str | None) -> View:
        stack = self.fake.open_views(user_id)
        if not stack:
            raise AssertionError(f"{user_id} has no modal open")
        if view is None:
            return stack[-1]
        view_id = view.id if isinstance(view, View) else view
        for candidate in stack:
            if candidate.id == view_id:
                return candidate
        raise AssertionError(
            f"view {view_id!r} is not open for {user_id}; open: {[v.id for v in stack]}"
        )

    def submit_view(
        self,
        user_id: str,
        view_id_or_view: View | str | None = None,
        values: Mapping[str, Mapping[str, Any]] | None = None,
        *,
        check_required: bool = True,
    ) -> httpx.Response:
        """``user_id`` presses Submit on a modal (default: their top modal).

        ``values`` is ``{block_id: {action_id: value}}`` with simple values as for
        :meth:`select` (or a full Slack state dict with a ``"type"`` key). Elements not given
        keep what :meth:`select` recorded, else their ``initial_*`` value. Unknown
        block/action ids, option values that do not exist, texts outside
        ``min_length``/``max_length`` and (with ``check_required``) empty required inputs
        raise AssertionError, because the Slack client would not let that happen.

        Afterwards the app's answer is applied to the fake's modal stack (close, ``clear``,
        ``update``, ``push``, ``errors``); see ``last_submission_outcome``.
        """
        self._check_interactivity()
        view = self._modal(user_id, view_id_or_view)
        refs = {
            (r.block_id, r.action_id): r
            for r in iter_elements(view.blocks)
            if r.type in INPUT_ELEMENT_TYPES and r.block_id and r.action_id
        }
        given = {str(b): dict(actions) for b, actions in (values or {}).items()}
        _check_inputs_exist(view, refs, given)
        state: dict[str, Any] = {}
        for (block_id, action_id), ref in refs.items():
            assert block_id is not None and action_id is not None
            value = self._submitted_value(view, ref, given)
            state.setdefault(block_id, {})[action_id] = value
            if check_required:
                _check_required(view, ref, value)
        payload = {
            "type": "view_submission",
            "team": self._team_obj(),
            "user": self._user_obj(user_id),
            "api_app_id": self.api_app_id,
            "token": "unused-verification-token",
            "trigger_id": self.fake.issue_trigger_id(user_id),
            "view": view.to_slack(state),
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }
        response = self.interaction(payload)
        self.last_submission_outcome = self.fake.resolve_view_submission(
            user_id, view.id, response.status_code, response.text
        )
        return self._done(response)

    def _submitted_value(
        self, view: View, ref: ElementRef, given: dict[str, dict[str, Any]]
    ) -> dict[str, Any]:
        """What an input holds on submit: the value given now, else what was entered before,
        else its initial value."""
        block_id, action_id = str(ref.block_id), str(ref.action_id)
        if action_id in given.get(block_id, {}):
            return self._state_value(
                ref.element, given[block_id][action_id], where=describe_element(ref)
            )
        entered: dict[str, Any] | None = view.state.get(block_id, {}).get(action_id)
        return entered or self._state_value(ref.element, None)

    def close_view(
        self,
        user_id: str,
        view_id_or_view: View | str | None = None,
        *,
        clear: bool = False,
        send: bool | None = None,
    ) -> httpx.Response | None:
        """``user_id`` closes a modal (default: the top one; ``clear`` closes them all).

        Slack sends ``view_closed`` only for views with ``notify_on_close: true``; ``send``
        overrides that. Returns None when nothing was sent.
        """
        view = self._modal(user_id, view_id_or_view)
        stack = self.fake.open_views(user_id)
        self.fake.close_view(user_id, None if clear else view.id, clear=clear)
        should_send = view.notify_on_close if send is None else send
        if not should_send:
            return None
        self._check_interactivity()
        payload = {
            "type": "view_closed",
            "team": self._team_obj(),
            "user": self._user_obj(user_id),
            "api_app_id": self.api_app_id,
            "token": "unused-verification-token",
            "view": view.to_slack(self._view_state(view)),
            "is_cleared": clear and len(stack) > 1,
            "is_enterprise_install": False,
            "enterprise": None,
        }
        return self._done(self.interaction(payload))


def _check_inputs_exist(
    view: View,
    refs: Mapping[tuple[str, str], ElementRef],
    given: dict[str, dict[str, Any]],
) -> None:
    for block_id, actions in given.items():
        for action_id in actions:
            if (block_id, action_id) not in refs:
                known: dict[str, list[str]] = {}
                for b, a in refs:
                    known.setdefault(str(b), []).append(str(a))
                raise AssertionError(
                    f"view {view.id} ({view.callback_id}) has no input {block_id}/{action_id};"
                    f" inputs are {known}"
                )


def _check_required(view: View, ref: ElementRef, value: Mapping[str, Any]) -> None:
    block = view.blocks[ref.block_index]
    if ref.block_type == "input" and not block.get("optional") and state_is_empty(value):
        raise AssertionError(
            f"required input {describe_element(ref)} in view {view.id} is empty; Slack would "
            "not let the user submit (pass a value, or check_required=False)"
        )
