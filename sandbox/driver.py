"""Drive the app under test the way Slack does: correctly signed HTTP requests.

:class:`SlackDriver` plays both Slack's servers (events, slash commands, interactivity
payloads, signed with the app's signing secret) and the Slack client a person uses (it only
clicks buttons and picks options that really exist in the messages and views the app sent to
the :class:`~sandbox.fake_slack.FakeSlack`). Each method returns the app's ``httpx.Response``.

    fake = FakeSlack().start()
    fake.add_user("U1", "ada")
    driver = SlackDriver(app_url + "/slack/events", SIGNING_SECRET, fake,
                         after_request=executor.wait_idle)
    driver.dm("U1", "hi")                        # message.im event
    driver.click("U1", "onboarding.start")       # a button in the bot's latest DM to U1
    driver.submit_view("U1", values={"goal": {"goal.text": "Public speaking"}})

If the app runs listeners after ``ack()`` on Bolt's thread pool, pass a
:class:`TrackingExecutor` as ``App(listener_executor=...)`` and its ``wait_idle`` as
``after_request`` so every driver call returns only when the listener work has finished.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any
from urllib.parse import urlencode

import httpx
from slack_sdk.signature import SignatureVerifier

from sandbox.fake_slack import ElementRef, FakeSlack, Message, View, iter_elements
from sandbox.fake_slack.blockkit import INPUT_ELEMENT_TYPES

__all__ = ["SlackDriver", "TrackingExecutor", "sign_request"]

SLOW_ACK_SECONDS = 3.0  # Slack gives up (and retries events) after 3 s


def sign_request(signing_secret: str, body: bytes | str, timestamp: int | str) -> str:
    """``X-Slack-Signature`` for ``body``: ``v0=`` HMAC-SHA256 of ``v0:{timestamp}:{body}``."""
    signature = SignatureVerifier(signing_secret).generate_signature(
        timestamp=str(timestamp), body=body
    )
    assert signature is not None
    return signature


class TrackingExecutor(ThreadPoolExecutor):
    """A thread pool that knows when all submitted work is done.

    Give it to Bolt as ``App(listener_executor=executor)`` and pass ``executor.wait_idle`` as
    the driver's ``after_request``. Exceptions escaping a task are kept in ``errors``.
    """

    def __init__(self, max_workers: int | None = 5, **kwargs: Any) -> None:
        super().__init__(max_workers=max_workers, **kwargs)
        self._pending = 0
        self._cond = threading.Condition()
        self.errors: list[BaseException] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        with self._cond:
            self._pending += 1
        try:
            future = super().submit(fn, *args, **kwargs)
        except BaseException:
            self._task_done(None)
            raise
        future.add_done_callback(self._task_done)
        return future

    def _task_done(self, future: Future[Any] | None) -> None:
        if future is not None and not future.cancelled():
            exc = future.exception()
            if exc is not None:
                self.errors.append(exc)
        with self._cond:
            self._pending -= 1
            self._cond.notify_all()

    @property
    def pending(self) -> int:
        with self._cond:
            return self._pending

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Block until no task is queued or running (tasks may submit more tasks)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{self._pending} listener task(s) still running")
                self._cond.wait(remaining)


# ---------------------------------------------------------------------------- state shapes
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


def _summary(ref: ElementRef) -> str:
    value = ref.element.get("value")
    shown = f", value={value!r}" if value is not None else ""
    return f"{ref.action_id} ({ref.type}{shown})"


def _describe(ref: ElementRef) -> str:
    return f"{ref.block_id}/{ref.action_id} ({ref.type})"


class SlackDriver:
    """Send Slack-shaped, signed requests to the app at ``events_url``.

    Args:
        events_url: where Slack posts events (Bolt HTTP mode: ``.../slack/events``).
        signing_secret: the app's signing secret.
        fake: the FakeSlack the app talks to (the source of users, channels, messages, views,
            trigger ids and response_urls).
        after_request: called after every request, e.g. ``TrackingExecutor.wait_idle`` or
            ``bot.platform.executor.TrackedExecutor.wait_idle``; returning ``False`` (a timed-out wait)
            raises AssertionError.
        clock_ts: epoch seconds for ``X-Slack-Request-Timestamp`` (default: real time; Bolt
            rejects timestamps more than 5 minutes off).
        commands_url / interactivity_url: if the app uses other URLs than ``events_url``.
        api_app_id: default ``fake.app_id``.
        check_manifest: refuse to send events / commands / interactions Slack would not send
            to this app because the manifest does not subscribe to / declare / enable them.
    """

    def __init__(
        self,
        events_url: str,
        signing_secret: str,
        fake: FakeSlack,
        *,
        after_request: Callable[[], object] | None = None,
        clock_ts: Callable[[], int] | None = None,
        commands_url: str | None = None,
        interactivity_url: str | None = None,
        api_app_id: str | None = None,
        check_manifest: bool = True,
        timeout: float = 30.0,
    ) -> None:
        self.events_url = events_url
        self.commands_url = commands_url or events_url
        self.interactivity_url = interactivity_url or events_url
        self.signing_secret = signing_secret
        self.fake = fake
        self.after_request = after_request
        self.clock_ts = clock_ts or (lambda: int(time.time()))
        self.api_app_id = api_app_id or fake.app_id
        self.check_manifest = check_manifest
        self.http = httpx.Client(timeout=timeout)
        self.last_response: httpx.Response | None = None
        self.last_event_id: str | None = None
        self.last_submission_outcome: str | None = None

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> SlackDriver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ================================================================== transport
    def _post(
        self,
        url: str,
        body: bytes,
        content_type: str,
        *,
        extra_headers: Mapping[str, str] | None = None,
        sign: bool = True,
        timestamp: int | None = None,
    ) -> httpx.Response:
        ts = self.clock_ts() if timestamp is None else timestamp
        headers = {
            "Content-Type": content_type,
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
            "X-Slack-Request-Timestamp": str(ts),
        }
        if sign:
            headers["X-Slack-Signature"] = sign_request(self.signing_secret, body, ts)
        headers.update(extra_headers or {})
        started = time.monotonic()
        response = self.http.post(url, content=body, headers=headers)
        elapsed = time.monotonic() - started
        if elapsed > SLOW_ACK_SECONDS:
            self.fake.add_warning(
                "slow_ack",
                f"the app took {elapsed:.1f} s to answer; Slack gives up after 3 s",
                None,
            )
        self.last_response = response
        return response

    def _done(self, response: httpx.Response) -> httpx.Response:
        if self.after_request is not None and self.after_request() is False:
            # e.g. a wait_idle(timeout) that reports a timeout by returning False
            raise AssertionError("after_request reported that the app's work did not finish")
        return response

    def raw(
        self,
        body: bytes | str,
        headers: Mapping[str, str] | None = None,
        *,
        sign: bool = True,
        timestamp: int | None = None,
        content_type: str = "application/json",
        url: str | None = None,
    ) -> httpx.Response:
        """POST ``body`` as is (signed unless ``sign=False``; ``headers`` override anything,
        e.g. a wrong ``X-Slack-Signature``). For bad-signature, stale-timestamp and
        malformed-body tests."""
        data = body.encode() if isinstance(body, str) else body
        response = self._post(
            url or self.events_url,
            data,
            content_type,
            extra_headers=headers,
            sign=sign,
            timestamp=timestamp,
        )
        return self._done(response)

    # ================================================================== helpers
    def _user(self, user_id: str) -> dict[str, Any]:
        user = self.fake.user(user_id)
        if user is None:
            raise AssertionError(
                f"unknown user {user_id!r}: add them first with fake.add_user({user_id!r}, ...)"
            )
        return user

    def _user_obj(self, user_id: str) -> dict[str, Any]:
        user = self._user(user_id)
        return {
            "id": user_id,
            "username": user["name"],
            "name": user["name"],
            "team_id": user["team_id"],
        }

    def _team_obj(self) -> dict[str, Any]:
        return {"id": self.fake.team_id, "domain": self.fake.team_domain}

    def _channel_name(self, channel_id: str) -> str:
        channel = self.fake.channel(channel_id)
        if channel is None:
            return "unknown"
        if channel.kind == "im":
            return "directmessage"
        if channel.kind == "group":
            return "privategroup"
        return channel.name or channel_id

    @staticmethod
    def _rich_text(text: str) -> list[dict[str, Any]]:
        return [
            {
                "type": "rich_text",
                "block_id": uuid.uuid4().hex[:5],
                "elements": [
                    {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}
                ],
            }
        ]

    # ================================================================== events
    @staticmethod
    def _subscription_name(event: Mapping[str, Any]) -> str:
        kind = str(event.get("type"))
        if kind == "message":
            suffix = {"im": "im", "channel": "channels", "group": "groups", "mpim": "mpim"}.get(
                str(event.get("channel_type")), "channels"
            )
            return f"message.{suffix}"
        return kind

    def event(
        self,
        event: Mapping[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str | None = None,
        team_id: str | None = None,
        api_app_id: str | None = None,
    ) -> httpx.Response:
        """Send ``event`` in an ``event_callback`` envelope (as Slack's Events API does).

        ``retry_num`` adds ``X-Slack-Retry-Num`` / ``X-Slack-Retry-Reason`` (default
        ``http_timeout``) like Slack's redeliveries. The same ``event_id`` may be sent any
        number of times: dropping duplicates is the app's job.
        """
        body_event = dict(event)
        body_event.setdefault("event_ts", self.fake.next_ts())
        subscribed = self.fake.subscribed_events
        name = self._subscription_name(body_event)
        if self.check_manifest and subscribed is not None and name not in subscribed:
            raise AssertionError(
                f"the manifest does not subscribe to {name!r}, so Slack would never send this "
                f"event. Subscribed bot_events: {sorted(subscribed)}"
            )
        team = team_id or self.fake.team_id
        event_id = event_id or "Ev" + uuid.uuid4().hex[:10].upper()
        envelope = {
            "token": "unused-verification-token",
            "team_id": team,
            "api_app_id": api_app_id or self.api_app_id,
            "event": body_event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(self.fake.clock()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": team,
                    "user_id": self.fake.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": "4-" + uuid.uuid4().hex,
        }
        headers: dict[str, str] = {}
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = retry_reason or "http_timeout"
        self.last_event_id = event_id
        body = json.dumps(envelope).encode()
        return self._done(
            self._post(self.events_url, body, "application/json", extra_headers=headers)
        )

    def url_verification(self, challenge: str = "challenge-token") -> httpx.Response:
        """The handshake Slack sends when the request URL is saved."""
        body = json.dumps(
            {"token": "unused", "challenge": challenge, "type": "url_verification"}
        ).encode()
        return self._done(self._post(self.events_url, body, "application/json"))

    def dm(
        self, user_id: str, text: str, *, thread_ts: str | None = None, **event_fields: Any
    ) -> httpx.Response:
        """``user_id`` writes ``text`` to the bot (a ``message.im`` event).

        The message is also stored in the fake, so ``fake.dm_messages`` shows both sides.
        """
        self._user(user_id)
        channel = self.fake.dm_channel(user_id)
        msg = self.fake.record_user_message(
            channel, user_id, text, thread_ts=thread_ts, blocks=self._rich_text(text)
        )
        event: dict[str, Any] = {
            "type": "message",
            "channel": channel,
            "user": user_id,
            "text": text,
            "ts": msg.ts,
            "event_ts": msg.ts,
            "channel_type": "im",
            "client_msg_id": str(uuid.uuid4()),
            "team": self.fake.team_id,
            "blocks": msg.blocks,
        }
        if thread_ts:
            event["thread_ts"] = thread_ts
        event.update(event_fields)
        return self.event(event)

    def open_home(self, user_id: str, tab: str = "home") -> httpx.Response:
        """``user_id`` opens the app's Home (or Messages, ``tab="messages"``) tab."""
        self._user(user_id)
        event: dict[str, Any] = {
            "type": "app_home_opened",
            "user": user_id,
            "channel": self.fake.dm_channel(user_id),
            "tab": tab,
            "event_ts": self.fake.next_ts(),
        }
        home = self.fake.home_view(user_id)
        if tab == "home" and home is not None:
            event["view"] = home.to_slack()
        return self.event(event)

    def mention(self, user_id: str, channel: str, text: str) -> httpx.Response:
        """``user_id`` mentions the bot in ``channel`` (an ``app_mention`` event)."""
        self._user(user_id)
        if self.fake.channel(channel) is None:
            raise AssertionError(f"unknown channel {channel!r}: create it with fake.add_channel")
        mention = f"<@{self.fake.bot_user_id}>"
        if mention not in text:
            text = f"{mention} {text}"
        msg = self.fake.record_user_message(channel, user_id, text, blocks=self._rich_text(text))
        return self.event(
            {
                "type": "app_mention",
                "user": user_id,
                "text": text,
                "ts": msg.ts,
                "channel": channel,
                "event_ts": msg.ts,
                "team": self.fake.team_id,
                "client_msg_id": str(uuid.uuid4()),
                "blocks": msg.blocks,
            }
        )

    def app_uninstalled(self, *, revoke: bool = True) -> httpx.Response:
        """The workspace uninstalled the app; by default its token stops working first."""
        if revoke:
            self.fake.revoke_tokens()
        return self.event({"type": "app_uninstalled", "event_ts": self.fake.next_ts()})

    def tokens_revoked(
        self,
        bot_ids: Iterable[str] | None = None,
        user_ids: Iterable[str] = (),
        *,
        revoke: bool = True,
    ) -> httpx.Response:
        """Tokens were revoked; ``bot_ids`` are bot *user* ids (default: the fake's bot)."""
        if revoke:
            self.fake.revoke_tokens()
        bots = list(bot_ids) if bot_ids is not None else [self.fake.bot_user_id]
        return self.event(
            {
                "type": "tokens_revoked",
                "tokens": {"oauth": list(user_ids), "bot": bots},
                "event_ts": self.fake.next_ts(),
            }
        )

    # ================================================================== slash commands
    def slash(
        self,
        user_id: str,
        command: str = "/mentoring",
        text: str = "",
        *,
        channel_id: str | None = None,
    ) -> httpx.Response:
        """``user_id`` runs ``command text`` (in their DM with the bot unless ``channel_id``).

        A non-empty acknowledgement body is shown the way Slack shows it: stored in the fake
        as an ephemeral message (or in-channel for ``response_type: in_channel``).
        """
        user = self._user(user_id)
        commands = self.fake.slash_commands
        if self.check_manifest and commands is not None and command not in commands:
            raise AssertionError(
                f"the manifest declares no {command!r} command; declared: {sorted(commands)}"
            )
        channel = channel_id or self.fake.dm_channel(user_id)
        form = {
            "token": "unused-verification-token",
            "team_id": self.fake.team_id,
            "team_domain": self.fake.team_domain,
            "channel_id": channel,
            "channel_name": self._channel_name(channel),
            "user_id": user_id,
            "user_name": user["name"],
            "command": command,
            "text": text,
            "api_app_id": self.api_app_id,
            "is_enterprise_install": "false",
            "response_url": self.fake.new_response_url(channel, user_id),
            "trigger_id": self.fake.issue_trigger_id(user_id),
        }
        body = urlencode(form).encode()
        response = self._post(self.commands_url, body, "application/x-www-form-urlencoded")
        if response.status_code == 200 and response.content.strip():
            try:
                payload = response.json()
            except ValueError:
                payload = {"text": response.text}
            if not isinstance(payload, dict):
                payload = {"text": response.text}
            self.fake.record_command_response(channel, user_id, payload)
        return self._done(response)

    # ================================================================== interactivity
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
        state = self._state_value(ref.element, values, where=_describe(ref))
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

    # ------------------------------------------------------------------ views
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
        state: dict[str, Any] = {}
        for (block_id, action_id), ref in refs.items():
            assert block_id is not None and action_id is not None
            if action_id in given.get(block_id, {}):
                value = self._state_value(
                    ref.element, given[block_id][action_id], where=_describe(ref)
                )
            else:
                value = view.state.get(block_id, {}).get(action_id) or self._state_value(
                    ref.element, None
                )
            state.setdefault(block_id, {})[action_id] = value
            block = view.blocks[ref.block_index]
            if (
                check_required
                and ref.block_type == "input"
                and not block.get("optional")
                and _is_empty(value)
            ):
                raise AssertionError(
                    f"required input {_describe(ref)} in view {view.id} is empty; Slack would "
                    "not let the user submit (pass a value, or check_required=False)"
                )
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

    # ================================================================== state values
    def _state_value(self, element: Mapping[str, Any], value: Any, where: str = "") -> dict:
        """The ``state.values`` entry Slack sends for ``element`` holding ``value``.

        ``value=None`` means "untouched": the element's ``initial_*`` value, if any.
        """
        kind = str(element.get("type"))
        if isinstance(value, Mapping) and "type" in value:
            if value["type"] != kind:
                raise AssertionError(f"{where}: state type {value['type']!r} != element {kind!r}")
            return dict(value)
        out: dict[str, Any] = {"type": kind}
        untouched = value is None

        if kind in _OPTION_TYPES:
            multi = _OPTION_TYPES[kind]
            if untouched:
                initial = element.get("initial_options" if multi else "initial_option")
                chosen = _as_list(initial)
            else:
                options = _flat_options(element)
                by_value = {o.get("value"): o for o in options}
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
            if multi:
                out["selected_options"] = [dict(o) for o in chosen]
            else:
                out["selected_option"] = dict(chosen[0]) if chosen else None
            return out

        if kind in _EXTERNAL_TYPES:
            multi = _EXTERNAL_TYPES[kind]
            if untouched:
                items = _as_list(element.get("initial_options" if multi else "initial_option"))
            else:
                items = [
                    dict(v)
                    if isinstance(v, Mapping)
                    else {"text": {"type": "plain_text", "text": str(v)}, "value": str(v)}
                    for v in _as_list(value)
                ]
            if multi:
                out["selected_options"] = items
            else:
                out["selected_option"] = items[0] if items else None
            return out

        if kind in _ID_SELECTS:
            key, initial_key, multi = _ID_SELECTS[kind]
            ids = _as_list(element.get(initial_key) if untouched else value)
            if kind.endswith("users_select"):
                for user_id in ids:
                    if not untouched and self.fake.user(str(user_id)) is None:
                        raise AssertionError(f"{where}: unknown user {user_id!r}")
            if not multi and len(ids) > 1:
                raise AssertionError(f"{where}: pick exactly one, got {value!r}")
            out[key] = list(ids) if multi else (ids[0] if ids else None)
            return out

        if kind in _TEXT_INPUTS:
            text = element.get("initial_value") if untouched else value
            if text is not None:
                text = str(text)
                if not untouched:
                    self._check_text_input(element, text, where)
            if text == "":
                text = None
            out["value"] = text
            return out

        if kind == "rich_text_input":
            if untouched:
                out["rich_text_value"] = element.get("initial_value")
            else:
                out["rich_text_value"] = self._rich_text(str(value))[0]
            return out

        if kind == "datepicker":
            date = element.get("initial_date") if untouched else value
            if isinstance(date, dt.date):
                date = date.isoformat()
            if date is not None:
                try:
                    dt.date.fromisoformat(str(date))
                except ValueError:
                    raise AssertionError(f"{where}: {date!r} is not YYYY-MM-DD") from None
            out["selected_date"] = date
            return out

        if kind == "timepicker":
            when = element.get("initial_time") if untouched else value
            if isinstance(when, dt.time):
                when = when.strftime("%H:%M")
            out["selected_time"] = when
            if element.get("timezone"):
                out["timezone"] = element["timezone"]
            return out

        if kind == "datetimepicker":
            stamp = element.get("initial_date_time") if untouched else value
            if isinstance(stamp, dt.datetime):
                stamp = int(stamp.timestamp())
            out["selected_date_time"] = int(stamp) if stamp is not None else None
            return out

        if kind == "file_input":
            out["files"] = [] if untouched else _as_list(value)
            return out

        raise AssertionError(f"{where}: cannot enter a value into a {kind!r} element")

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
        if element.get("type") == "email_text_input" and "@" not in text:
            raise AssertionError(f"{where}: {text!r} is not an email address")


def _is_empty(state: Mapping[str, Any]) -> bool:
    for key, value in state.items():
        if key in ("type", "timezone"):
            continue
        if value not in (None, [], ""):
            return False
    return True
