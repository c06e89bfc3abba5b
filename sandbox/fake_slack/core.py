"""A stateful, in-memory fake of the Slack Web API, served over real HTTP.

See the package docstring (``sandbox/fake_slack/__init__.py``) for a tour. Everything here is
guarded by one re-entrant lock: uvicorn serves requests on its own thread while tests read
the state from theirs.
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import json
import mimetypes
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from datetime import datetime
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from ..asgi_thread import ServerThread
from .api_ref import ApiReference, repo_root
from .blockkit import (
    MESSAGE_TEXT_MAX,
    iter_elements,
    validate_blocks,
    validate_view,
    with_generated_ids,
)
from .models import ApiCall, Channel, FakeFile, Message, SlackWarning, View

__all__ = ["FakeSlack", "SlackApiFailure"]

_DEFAULT: Any = object()

# Arguments Slack takes as JSON-encoded strings in form bodies.
_JSON_ARGS = {
    "blocks": "invalid_blocks_format",
    "attachments": "invalid_attachments",
    "view": "invalid_arguments",
    "files": "invalid_arguments",
    "metadata": "invalid_metadata_format",
}
# conversations.* methods whose scope depends on the kind of conversation.
_CONVERSATION_SCOPE_SUFFIX = {
    "conversations.info": "read",
    "conversations.members": "read",
    "conversations.history": "history",
    "conversations.replies": "history",
    "conversations.open": "write",
}
_SCOPE_PREFIX = {"im": "im", "mpim": "mpim", "channel": "channels", "group": "groups"}
# Methods that never change what export_state() saves (every other successful call may).
_READ_ONLY_METHODS = frozenset(
    {
        "auth.test",
        "team.info",
        "users.info",
        "users.list",
        "users.lookupByEmail",
        "bots.info",
        "conversations.info",
        "conversations.members",
        "chat.getPermalink",
        "files.info",
    }
)
STATE_VERSION = 1  # of export_state()'s layout
MAX_MODAL_STACK = 3


class SlackApiFailure(Exception):
    """Raised inside a method handler to answer ``{"ok": false, "error": ...}``."""

    def __init__(
        self, error: str, *, status: int = 200, messages: list[str] | None = None, **extra: Any
    ) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.extra = extra
        if messages:
            self.extra["response_metadata"] = {"messages": list(messages)}


@dataclass
class _Fault:
    method: str
    error: str
    times: int
    match: Callable[[dict[str, Any]], bool] | None
    status: int = 200
    retry_after: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Trigger:
    user_id: str | None
    expires: float  # FakeSlack.monotonic()
    used: bool = False


@dataclass
class _ResponseUrl:
    channel: str
    user_id: str | None
    message_ts: str | None
    expires: float  # FakeSlack.monotonic()
    uses_left: int


def _truthy(value: Any) -> bool:
    return (
        value is True or value == 1 or (isinstance(value, str) and value.lower() in ("true", "1"))
    )


def _fields(record: Any) -> dict[str, Any]:
    """A dataclass instance's fields, not copied."""
    return {f.name: getattr(record, f.name) for f in fields(record)}


def _ts_key(ts: str) -> tuple[int, int]:
    seconds, _, micros = ts.partition(".")
    return int(seconds), int(micros or 0)


def _stable_id(prefix: str, *parts: str) -> str:
    digest = hashlib.sha1("|".join(parts).encode()).digest()
    return prefix + base64.b32encode(digest).decode()[:10]


class FakeSlack:
    """Stateful fake of Slack's Web API for a single workspace with one bot.

    Args:
        manifest_path: app manifest (YAML or JSON) whose ``oauth_config.scopes.bot`` are the
            granted scopes. Default: ``<repo>/manifest.yml`` if it exists. ``None``: grant
            every scope and skip the manifest checks.
        api_ref_dir: the slack-api-ref directory. Default: ``$MENTORBOT_SLACK_API_REF`` or
            ``<repo>/../shared/slack-api-ref``.
        bot_scopes: override the granted bot scopes (ignores the manifest's list).
        trigger_ttl: lifetime of issued trigger ids in real seconds (Slack: 3).
        response_url_ttl / response_url_uses: Slack allows 5 posts within 30 minutes.
        clock: wall clock (epoch seconds) for message ``ts``, ``created`` and ``tz_offset``;
            pass the app's injected clock in the sandbox.
        monotonic: the timer for the lifetimes of trigger ids and ``response_url`` links, which
            Slack counts in real seconds. Default: ``time.monotonic``; tests may pass a fake.
        on_change: called (with no arguments, under the fake's lock, so it must be quick) after
            anything that :meth:`export_state` saves may have changed. Default: nothing; the
            fake itself never writes anywhere.
        base_url: public base URL when :attr:`asgi_app` is mounted elsewhere instead of being
            served by :meth:`start` (e.g. ``"http://127.0.0.1:8000/slack-fake"``).

    Use ``with FakeSlack() as fake:`` or ``fake.start()`` / ``fake.stop()`` to serve it on
    127.0.0.1; point the bot at ``WebClient(base_url=fake.api_url, token=fake.bot_token)``.
    """

    def __init__(
        self,
        manifest_path: str | Path | None = _DEFAULT,
        api_ref_dir: str | Path | None = None,
        *,
        team_id: str = "T0001",
        team_name: str = "Acme Corp",
        team_domain: str = "acme",
        bot_user_id: str = "UBOT",
        bot_id: str = "B0BOT",
        bot_name: str = "mentorbot",
        app_id: str = "A0MENTORBOT",
        bot_token: str = "xoxb-test-0000-mentorbot",
        bot_scopes: Iterable[str] | None = None,
        trigger_ttl: float = 3.0,
        response_url_ttl: float = 1800.0,
        response_url_uses: int = 5,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        on_change: Callable[[], None] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        base_url: str | None = None,
    ) -> None:
        self.api_ref = ApiReference(api_ref_dir)
        self.team_id = team_id
        self.team_name = team_name
        self.team_domain = team_domain
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.bot_name = bot_name
        self.app_id = app_id
        self.bot_token = bot_token
        self.trigger_ttl = trigger_ttl
        self.response_url_ttl = response_url_ttl
        self.response_url_uses = response_url_uses
        self.clock = clock
        self.monotonic = monotonic
        self.on_change = on_change
        self._host, self._port = host, port
        self._base_url = base_url.rstrip("/") if base_url else None
        self._server: ServerThread | None = None
        self._asgi_app: Any = None

        if manifest_path is _DEFAULT:
            candidate = repo_root() / "manifest.yml"
            manifest_path = candidate if candidate.exists() else None
        self.manifest_path = Path(manifest_path) if manifest_path is not None else None
        self.manifest: dict[str, Any] | None = (
            _load_manifest(self.manifest_path) if self.manifest_path else None
        )
        if bot_scopes is not None:
            self.granted_scopes: frozenset[str] | None = frozenset(bot_scopes)
        elif self.manifest is not None:
            scopes = ((self.manifest.get("oauth_config") or {}).get("scopes") or {}).get("bot")
            self.granted_scopes = frozenset(scopes or [])
        else:
            self.granted_scopes = None

        self._lock = threading.RLock()
        self._seq = 0  # ids of views, files and triggers; never reset, like _last_ts_us
        self._last_ts_us = 0  # never reset: ts stay unique for the fake's lifetime
        self._revision = 0
        self.reset()

    def reset(self) -> None:
        """Forget everything (users, conversations, views, files, calls, faults, warnings)
        except the configuration; the bot user is re-added and tokens work again."""
        with self._lock:
            self._init_state()
            self._changed()
        self.add_user(self.bot_user_id, self.bot_name, real_name=self.bot_name, is_bot=True)

    def _init_state(self) -> None:
        self._users: dict[str, dict[str, Any]] = {}
        self._channels: dict[str, Channel] = {}
        self._messages: dict[str, list[Message]] = {}
        self._views: dict[str, View] = {}
        self._modal_stacks: dict[str | None, list[str]] = {}
        self._home_views: dict[str, str] = {}
        self._triggers: dict[str, _Trigger] = {}
        self._response_urls: dict[str, _ResponseUrl] = {}
        self._files: dict[str, FakeFile] = {}
        self._calls: list[ApiCall] = []
        self._faults: list[_Fault] = []
        self._warnings: list[SlackWarning] = []
        self._token_state = "active"

    # ================================================================== serving
    @property
    def asgi_app(self) -> Any:
        """A Starlette app serving ``/api/<method>``, ``/response/<id>``, ``/upload/<id>``."""
        if self._asgi_app is None:
            from .asgi import build_asgi_app

            self._asgi_app = build_asgi_app(self)
        return self._asgi_app

    def start(self) -> FakeSlack:
        """Serve the fake on ``host:port`` (default 127.0.0.1, free port) on a thread."""
        if self._server is None:
            self._server = ServerThread(
                self.asgi_app, self._host, self._port, lifespan="off", name="fake-slack"
            )
            self._base_url = self._server.url
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def set_base_url(self, base_url: str) -> None:
        """Tell the fake where it is reachable when :attr:`asgi_app` is mounted elsewhere."""
        self._base_url = base_url.rstrip("/")

    @property
    def base_url(self) -> str:
        if self._base_url is None:
            raise RuntimeError(
                "FakeSlack is not being served: call fake.start() (or use `with FakeSlack()`),"
                " or fake.set_base_url(...) if you mounted fake.asgi_app yourself"
            )
        return self._base_url

    @property
    def api_url(self) -> str:
        """Base URL for ``WebClient(base_url=...)``; ends with ``/api/``."""
        return self.base_url + "/api/"

    # ================================================================== workspace setup
    def add_user(
        self,
        id: str,
        name: str,
        real_name: str | None = None,
        tz: str = "Europe/London",
        *,
        is_bot: bool = False,
        deleted: bool = False,
        team_id: str | None = None,
        locale: str = "en-US",
        email: str | None = None,
        title: str = "",
        is_admin: bool = False,
        display_name: str | None = None,
    ) -> dict[str, Any]:
        """Add (or replace) a workspace member; returns the ``users.info`` ``user`` object."""
        try:
            zone = ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {tz!r} for user {id}") from exc
        now = datetime.fromtimestamp(self.clock(), zone)
        offset = now.utcoffset()
        real = real_name or name
        user: dict[str, Any] = {
            "id": id,
            "team_id": team_id or self.team_id,
            "name": name,
            "deleted": deleted,
            "color": "9f69e7",
            "real_name": real,
            "tz": tz,
            "tz_label": now.tzname(),
            "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
            "profile": {
                "title": title,
                "real_name": real,
                "real_name_normalized": real,
                "display_name": display_name if display_name is not None else name,
                "display_name_normalized": display_name if display_name is not None else name,
                "email": email,
                "image_72": f"https://avatars.example.invalid/{id}_72.png",
                "team": team_id or self.team_id,
            },
            "is_admin": is_admin,
            "is_owner": False,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": is_bot,
            "is_app_user": False,
            "updated": int(self.clock()),
            "locale": locale,
        }
        if email is None:
            del user["profile"]["email"]
        if is_bot and id == self.bot_user_id:
            user["profile"]["bot_id"] = self.bot_id
        with self._lock:
            self._users[id] = user
        return copy.deepcopy(user)

    def user(self, user_id: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._users.get(user_id)
            return copy.deepcopy(found) if found else None

    @property
    def users(self) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(list(self._users.values()))

    def add_channel(
        self,
        name: str,
        members: Iterable[str] = (),
        *,
        id: str | None = None,
        is_private: bool = False,
        bot_is_member: bool = True,
    ) -> str:
        """Add a public (``C…``) or private (``G…``) channel; returns its id."""
        kind = "group" if is_private else "channel"
        channel_id = id or _stable_id("G" if is_private else "C", "channel", name)
        with self._lock:
            self._channels[channel_id] = Channel(
                id=channel_id,
                kind=kind,
                members=[m for m in members if m != self.bot_user_id],
                name=name.lstrip("#"),
                created=int(self.clock()),
                bot_is_member=bot_is_member,
            )
            self._messages.setdefault(channel_id, [])
            self._changed()
        return channel_id

    def channel(self, channel_id: str) -> Channel | None:
        with self._lock:
            found = self._channels.get(channel_id)
            return copy.deepcopy(found) if found else None

    def revoke_tokens(self) -> None:
        """Every later call answers ``token_revoked`` (as after an uninstall)."""
        with self._lock:
            self._token_state = "revoked"
            self._changed()

    def restore_tokens(self) -> None:
        with self._lock:
            self._token_state = "active"
            self._changed()

    # ================================================================== manifest facts
    @property
    def subscribed_events(self) -> frozenset[str] | None:
        """Bot events from the manifest, or None when there is no manifest."""
        if self.manifest is None:
            return None
        subs = (self.manifest.get("settings") or {}).get("event_subscriptions") or {}
        return frozenset(subs.get("bot_events") or [])

    @property
    def slash_commands(self) -> frozenset[str] | None:
        if self.manifest is None:
            return None
        commands = (self.manifest.get("features") or {}).get("slash_commands") or []
        return frozenset(str(c.get("command")) for c in commands if isinstance(c, dict))

    @property
    def interactivity_enabled(self) -> bool | None:
        if self.manifest is None:
            return None
        inter = (self.manifest.get("settings") or {}).get("interactivity") or {}
        return bool(inter.get("is_enabled"))

    def _app_home_flag(self, key: str, default: bool) -> bool:
        if self.manifest is None:
            return True
        home = (self.manifest.get("features") or {}).get("app_home") or {}
        value = home.get(key)
        return default if value is None else bool(value)

    # ================================================================== ids & time
    def _next_seq(self) -> int:
        with self._lock:
            self._seq += 1
            return self._seq

    def next_ts(self) -> str:
        """A unique, strictly increasing message ts (``"1700000000.000100"`` style)."""
        with self._lock:
            now_us = int(self.clock() * 1_000_000)
            self._last_ts_us = max(now_us, self._last_ts_us + 1)
            seconds, micros = divmod(self._last_ts_us, 1_000_000)
            return f"{seconds}.{micros:06d}"

    def issue_trigger_id(self, user_id: str | None = None, *, ttl: float | None = None) -> str:
        """A trigger id valid once, for ``trigger_ttl`` real seconds (Slack: 3 s) by
        :attr:`monotonic`."""
        trigger = f"{int(self.clock())}.{self._next_seq()}.{uuid.uuid4().hex}"
        lifetime = self.trigger_ttl if ttl is None else ttl
        with self._lock:
            self._triggers[trigger] = _Trigger(user_id, self.monotonic() + lifetime)
        return trigger

    def new_response_url(
        self, channel: str, user_id: str | None, *, message_ts: str | None = None
    ) -> str:
        """A ``response_url`` bound to ``channel`` / ``user_id`` (and the clicked message)."""
        rid = uuid.uuid4().hex
        with self._lock:
            self._response_urls[rid] = _ResponseUrl(
                channel=channel,
                user_id=user_id,
                message_ts=message_ts,
                expires=self.monotonic() + self.response_url_ttl,
                uses_left=self.response_url_uses,
            )
        return f"{self.base_url}/response/{rid}"

    # ================================================================== error injection
    def fail_next(
        self,
        method: str,
        error: str = "user_not_found",
        times: int = 1,
        match: Callable[[dict[str, Any]], bool] | None = None,
        *,
        status: int = 200,
        **fields: Any,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` (whose args satisfy ``match``) with
        ``{"ok": false, "error": error, **fields}``.

        ``error`` must be documented for ``method`` in the reference (or be one of
        :data:`~sandbox.fake_slack.api_ref.COMMON_ERRORS`), else ValueError.
        """
        self._check_fault(method, error, times)
        with self._lock:
            self._faults.append(_Fault(method, error, times, match, status, None, dict(fields)))

    def rate_limit_next(
        self,
        method: str,
        retry_after: int = 1,
        times: int = 1,
        match: Callable[[dict[str, Any]], bool] | None = None,
    ) -> None:
        """Answer HTTP 429, ``Retry-After: retry_after``, ``{"ok": false, "error": "ratelimited"}``."""
        self._check_fault(method, "ratelimited", times)
        with self._lock:
            self._faults.append(_Fault(method, "ratelimited", times, match, 429, int(retry_after)))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def pending_faults(self) -> list[tuple[str, str, int]]:
        """(method, error, remaining times) of injected faults not used up yet."""
        with self._lock:
            return [(f.method, f.error, f.times) for f in self._faults]

    def _check_fault(self, method: str, error: str, times: int) -> None:
        if method not in self.api_ref:
            raise ValueError(f"cannot inject into unknown Slack method {method!r}")
        allowed = self.api_ref.injectable_errors(method)
        if error not in allowed:
            documented = ", ".join(sorted(self.api_ref.errors_for(method))) or "(none)"
            raise ValueError(
                f"{error!r} is not a documented error of {method}. "
                f"Documented: {documented}; always allowed: ratelimited, fatal_error, "
                "internal_error and the common auth errors."
            )
        if times < 1:
            raise ValueError("times must be >= 1")

    def _take_fault(self, method: str, args: dict[str, Any]) -> _Fault | None:
        for fault in self._faults:
            if fault.method != method:
                continue
            if fault.match is not None and not fault.match(args):
                continue
            fault.times -= 1
            if fault.times <= 0:
                self._faults.remove(fault)
            return fault
        return None

    # ================================================================== recorded calls
    @property
    def calls(self) -> list[ApiCall]:
        with self._lock:
            return copy.deepcopy(self._calls)

    def calls_to(self, method: str, *, ok: bool | None = None) -> list[ApiCall]:
        with self._lock:
            return copy.deepcopy(
                [c for c in self._calls if c.method == method and (ok is None or c.ok == ok)]
            )

    def last_call(self, method: str | None = None) -> ApiCall | None:
        with self._lock:
            for call in reversed(self._calls):
                if method is None or call.method == method:
                    return copy.deepcopy(call)
        return None

    def reset_calls(self) -> None:
        with self._lock:
            self._calls.clear()

    @property
    def warnings(self) -> list[SlackWarning]:
        """Things Slack would warn about or silently mangle (see :class:`SlackWarning`)."""
        with self._lock:
            return list(self._warnings)

    def add_warning(self, code: str, detail: str, method: str | None = None) -> None:
        with self._lock:
            self._warnings.append(SlackWarning(code, detail, method))

    def clear_warnings(self) -> None:
        with self._lock:
            self._warnings.clear()

    # ================================================================== queries
    def dm_channel(self, user_id: str) -> str:
        """The id of the bot's IM with ``user_id`` (stable; created on first use)."""
        with self._lock:
            return self._im_for(user_id).id

    def messages(
        self,
        channel: str,
        *,
        include_deleted: bool = False,
        include_ephemeral: bool = True,
        thread_ts: str | None = None,
    ) -> list[Message]:
        """Messages in ``channel`` oldest first (thread replies included)."""
        with self._lock:
            out = [
                m
                for m in self._messages.get(channel, [])
                if (include_deleted or not m.deleted)
                and (include_ephemeral or not m.is_ephemeral)
                and (thread_ts is None or m.thread_ts == thread_ts or m.ts == thread_ts)
            ]
            return copy.deepcopy(out)

    def dm_messages(self, user_id: str, *, include_deleted: bool = False) -> list[Message]:
        """Both sides of the bot's IM with ``user_id`` (ephemeral ones included)."""
        with self._lock:
            channel = self._im_for(user_id).id
            msgs = self.messages(channel, include_deleted=include_deleted)
        return [m for m in msgs if m.ephemeral_user in (None, user_id)]

    def last_dm(self, user_id: str) -> Message | None:
        """The newest message *from the bot* in its IM with ``user_id``, or None."""
        bot_msgs = [m for m in self.dm_messages(user_id) if m.from_bot]
        return bot_msgs[-1] if bot_msgs else None

    def message(self, channel: str, ts: str) -> Message | None:
        with self._lock:
            found = self._find_message(channel, ts, include_deleted=True)
            return copy.deepcopy(found) if found else None

    def home_view(self, user_id: str) -> View | None:
        with self._lock:
            view_id = self._home_views.get(user_id)
            return copy.deepcopy(self._views[view_id]) if view_id else None

    def open_views(self, user_id: str | None) -> list[View]:
        """The user's modal stack, root first (empty when no modal is open)."""
        with self._lock:
            return copy.deepcopy([self._views[v] for v in self._modal_stacks.get(user_id, [])])

    def view(self, view_id: str) -> View | None:
        with self._lock:
            found = self._views.get(view_id)
            return copy.deepcopy(found) if found else None

    @property
    def files(self) -> list[FakeFile]:
        """Every file the app started uploading, in order (check ``.completed``)."""
        with self._lock:
            return copy.deepcopy(list(self._files.values()))

    def file(self, file_id: str) -> FakeFile | None:
        with self._lock:
            found = self._files.get(file_id)
            return copy.deepcopy(found) if found else None

    # ================================================================== saving the workspace
    @property
    def revision(self) -> int:
        """A number that goes up whenever what :meth:`export_state` returns may have changed."""
        with self._lock:
            return self._revision

    def _changed(self) -> None:
        self._revision += 1
        if self.on_change is not None:
            self.on_change()

    def export_state(self) -> dict[str, Any]:
        """The workspace's conversations as plain, JSON-ready data, for :meth:`load_state`.

        Included: every conversation with its messages (edited, deleted and ephemeral ones
        too), the Home tabs and open modals (with what was typed into them), files, and the
        counters that keep new ts and ids unique. Not included: users (whoever sets the
        workspace up adds them again), the configuration and tokens, recorded calls,
        warnings, injected faults, and short-lived trigger ids and response_urls.
        """
        with self._lock:
            open_views = {v for stack in self._modal_stacks.values() for v in stack}
            open_views.update(self._home_views.values())
            files = []
            for file in self._files.values():
                data = _fields(file)
                if file.content is not None:
                    data["content"] = base64.b64encode(file.content).decode("ascii")
                files.append(data)
            # Copied by a JSON round trip: a few times faster than deep copies.
            text = json.dumps(
                {
                    "version": STATE_VERSION,
                    "seq": self._seq,
                    "last_ts_us": self._last_ts_us,
                    "token_state": self._token_state,
                    "channels": [_fields(c) for c in self._channels.values()],
                    "messages": [_fields(m) for msgs in self._messages.values() for m in msgs],
                    "views": [_fields(v) for v in self._views.values() if v.id in open_views],
                    "modal_stacks": [[u, list(s)] for u, s in self._modal_stacks.items() if s],
                    "home_views": self._home_views,
                    "files": files,
                }
            )
        state: dict[str, Any] = json.loads(text)
        return state

    def load_state(self, state: dict[str, Any]) -> None:
        """Put back what :meth:`export_state` returned, in place of the current conversations,
        views and files (users are kept). Raises ValueError for another layout version."""
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"cannot load fake Slack state version {state.get('version')!r}")
        with self._lock:
            channels = [Channel(**c) for c in state["channels"]]
            messages: dict[str, list[Message]] = {c.id: [] for c in channels}
            for data in state["messages"]:
                msg = Message(**data)
                messages.setdefault(msg.channel, []).append(msg)
            for msgs in messages.values():
                msgs.sort(key=lambda m: _ts_key(m.ts))
            files = {}
            for data in state["files"]:
                file = FakeFile(**data)
                if isinstance(file.content, str):
                    file.content = base64.b64decode(file.content)
                files[file.id] = file
            self._channels = {c.id: c for c in channels}
            self._messages = messages
            self._views = {v["id"]: View(**v) for v in state["views"]}
            self._modal_stacks = {user: list(stack) for user, stack in state["modal_stacks"]}
            self._home_views = dict(state["home_views"])
            self._files = files
            self._token_state = str(state["token_state"])
            self._seq = max(self._seq, int(state["seq"]))
            self._last_ts_us = max(self._last_ts_us, int(state["last_ts_us"]))
            self._changed()

    # ================================================================== driver-side hooks
    # What Slack's own client does when a person acts; used by sandbox.driver.SlackDriver.
    def record_user_message(
        self,
        channel: str,
        user_id: str,
        text: str,
        *,
        thread_ts: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
    ) -> Message:
        """Store a message a person wrote (so DM history shows both sides)."""
        with self._lock:
            if channel not in self._channels:
                raise KeyError(f"unknown channel {channel!r}")
            msg = Message(
                channel=channel,
                ts=self.next_ts(),
                text=text,
                user=user_id,
                blocks=copy.deepcopy(blocks),
                sent_blocks=copy.deepcopy(blocks),
                thread_ts=thread_ts,
                team=self.team_id,
                via="user",
            )
            self._messages.setdefault(channel, []).append(msg)
            self._changed()
            return copy.deepcopy(msg)

    def record_command_response(
        self, channel: str, user_id: str, payload: dict[str, Any]
    ) -> Message | None:
        """Show a slash command's acknowledgement body the way Slack does.

        Ephemeral to ``user_id`` unless ``response_type`` is ``in_channel``. Invalid blocks
        are recorded as a warning (Slack shows the user an error instead).
        """
        with self._lock:
            try:
                msg = self._post_from_response(
                    channel, user_id, payload, message_ts=None, via="ack", method="command_ack"
                )
            except SlackApiFailure as exc:
                detail = exc.error
                meta = exc.extra.get("response_metadata") or {}
                if meta.get("messages"):
                    detail += ": " + "; ".join(meta["messages"])
                self.add_warning("invalid_command_response", detail, "command_ack")
                return None
            self._changed()
            return msg

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
            action = answer.get("response_action") if isinstance(answer, dict) else None
            if action is None:
                self.close_view(user_id, view_id)
                return "closed"
            if action == "clear":
                self.close_view(user_id, clear=True)
                return "cleared"
            if action == "errors":
                errors = answer.get("errors")
                view = self._views[view_id]
                input_ids = {b.get("block_id") for b in view.blocks if b.get("type") == "input"}
                if not isinstance(errors, dict) or not errors:
                    self.add_warning(
                        "invalid_response_action", "errors must be a non-empty object", None
                    )
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
            if action in ("update", "push"):
                new_view = answer.get("view")
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
                stack = self._modal_stacks.get(user_id, [])
                if len(stack) >= MAX_MODAL_STACK:
                    self.add_warning(
                        "invalid_response_action", "push_limit_reached", "view_submission"
                    )
                    return "failed"
                self._push_view(user_id, new_view)
                return "pushed"
            self.add_warning("invalid_response_action", f"unknown response_action {action!r}", None)
            return "failed"

    # ================================================================== HTTP entry points
    def handle_api(
        self,
        method: str,
        *,
        http_method: str = "POST",
        query: dict[str, str] | None = None,
        body: bytes = b"",
        content_type: str = "",
        authorization: str | None = None,
        base_url: str | None = None,
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        """Handle one Web API request; returns (HTTP status, JSON body, extra headers)."""
        with self._lock:
            args: dict[str, Any] = {}
            status, payload, headers, error = 200, {}, {}, None
            call_warnings: list[str] = []
            try:
                args, from_json = _parse_args(query or {}, body, content_type)
                token = _bearer(authorization)
                token_only_in_json = token is None and from_json and "token" in args
                if token is None and not from_json:
                    token = args.get("token")
                args.pop("token", None)
                if method not in self.api_ref:
                    raise SlackApiFailure("unknown_method", req_method=method)
                self._check_auth(token, token_only_in_json)
                if from_json and args and not self.api_ref.json_supported(method):
                    raise SlackApiFailure(
                        "invalid_arguments",
                        messages=[
                            f"[ERROR] {method} does not accept application/json bodies; "
                            "send the arguments form-encoded or in the query string"
                        ],
                    )
                _decode_json_args(args)
                missing = [
                    a for a in self.api_ref.required_args(method) if args.get(a) in (None, "")
                ]
                if missing:
                    raise SlackApiFailure(
                        "invalid_arguments",
                        messages=[f"[ERROR] missing required field: {a}" for a in missing],
                    )
                self._check_scopes(method, args)
                fault = self._take_fault(method, args)
                if fault is not None:
                    if fault.retry_after is not None:
                        headers["Retry-After"] = str(fault.retry_after)
                    raise SlackApiFailure(fault.error, status=fault.status, **fault.extra)
                handler = _HANDLERS.get(method)
                base = self._base_url or base_url or ""
                if handler is not None:
                    result = handler(self, args, base)
                else:
                    result = _generic(self, args, base)
                call_warnings = result.pop("_warnings", [])
                payload = {"ok": True, **result}
                if method not in _READ_ONLY_METHODS:
                    self._changed()
            except SlackApiFailure as exc:
                status, error = exc.status, exc.error
                payload = {"ok": False, "error": exc.error, **exc.extra}
            except Exception as exc:  # a bug in the fake: answer like Slack's 500, loudly
                status, error = 500, "internal_error"
                payload = {"ok": False, "error": "internal_error"}
                self.add_warning("fake_slack_bug", f"{type(exc).__name__}: {exc}", method)
            self._calls.append(
                ApiCall(
                    method=method,
                    args=_loggable(args),
                    ok=payload["ok"],
                    error=error,
                    status=status,
                    response=copy.deepcopy(payload),
                    timestamp=time.time(),
                    http_method=http_method,
                    warnings=call_warnings,
                )
            )
            return status, payload, headers

    def handle_response_url(self, rid: str, body: bytes, content_type: str) -> tuple[int, dict]:
        """Handle a POST to a ``response_url`` the fake issued."""
        with self._lock:
            args: dict[str, Any] = {}
            status, error = 200, None
            payload: dict[str, Any] = {"ok": True}
            try:
                info = self._response_urls.get(rid)
                if info is None:
                    raise SlackApiFailure("invalid_url", status=404)
                if self.monotonic() > info.expires:
                    raise SlackApiFailure("expired_url", status=404)
                if info.uses_left <= 0:
                    raise SlackApiFailure("used_url", status=404)
                args = _parse_response_body(body, content_type)
                info.uses_left -= 1
                self._post_from_response(
                    info.channel,
                    info.user_id,
                    args,
                    message_ts=info.message_ts,
                    via="response_url",
                    method="response_url",
                )
                self._changed()
            except SlackApiFailure as exc:
                status = 400 if exc.status == 200 else exc.status
                error = exc.error
                payload = {"ok": False, "error": exc.error, **exc.extra}
            self._calls.append(
                ApiCall(
                    "response_url",
                    _loggable(args),
                    payload["ok"],
                    error,
                    status,
                    copy.deepcopy(payload),
                    time.time(),
                )
            )
            return status, payload

    def handle_upload(self, file_id: str, body: bytes, content_type: str) -> tuple[int, str]:
        """Accept the bytes POSTed to an ``upload_url`` from files.getUploadURLExternal."""
        with self._lock:
            file = self._files.get(file_id)
            if file is None:
                status, text = 404, "file_not_found"
            else:
                data = body
                if content_type.startswith("multipart/form-data"):
                    parts = _parse_multipart(body, content_type)
                    data = next((v for v in parts.values() if isinstance(v, bytes)), b"")
                file.content = data
                if len(data) != file.length:
                    self.add_warning(
                        "upload_length_mismatch",
                        f"{file.name}: declared length {file.length}, uploaded {len(data)} bytes",
                        "upload_url",
                    )
                status, text = 200, f"OK - {len(data)}"
                self._changed()
            self._calls.append(
                ApiCall(
                    "upload_url",
                    {"file_id": file_id, "bytes": len(body)},
                    status == 200,
                    None if status == 200 else text,
                    status,
                    {"ok": status == 200},
                    time.time(),
                )
            )
            return status, text

    # ================================================================== checks
    def _check_auth(self, token: str | None, token_only_in_json: bool) -> None:
        if not token:
            if token_only_in_json:
                raise SlackApiFailure(
                    "not_authed",
                    messages=["[ERROR] send the token in the Authorization header with JSON"],
                )
            raise SlackApiFailure("not_authed")
        if token != self.bot_token:
            raise SlackApiFailure("invalid_auth")
        if self._token_state == "revoked":
            raise SlackApiFailure("token_revoked")

    def _check_scopes(self, method: str, args: dict[str, Any]) -> None:
        if not self.api_ref.bot_token_allowed(method):
            raise SlackApiFailure("not_allowed_token_type")
        if self.granted_scopes is None:
            return
        needed = self._needed_scopes(method, args)
        if needed and not (set(needed) & self.granted_scopes):
            raise SlackApiFailure(
                "missing_scope",
                needed=",".join(needed),
                provided=",".join(sorted(self.granted_scopes)),
            )

    def _needed_scopes(self, method: str, args: dict[str, Any]) -> list[str]:
        scopes = self.api_ref.scopes_for(method)
        suffix = _CONVERSATION_SCOPE_SUFFIX.get(method)
        if suffix is None:
            return scopes
        kind: str | None = None
        if method == "conversations.open" and not args.get("channel"):
            users = _split_ids(args.get("users"))
            kind = "im" if len(users) == 1 else "mpim" if users else None
        else:
            channel = self._channels.get(str(args.get("channel") or ""))
            kind = channel.kind if channel else None
        if kind is None:
            return scopes
        specific = f"{_SCOPE_PREFIX[kind]}:{suffix}"
        return [specific] if specific in scopes else scopes

    def _scope_granted(self, scope: str) -> bool:
        return self.granted_scopes is None or scope in self.granted_scopes

    # ================================================================== state helpers
    def _im_for(self, user_id: str) -> Channel:
        if user_id not in self._users:
            raise KeyError(f"unknown user {user_id!r}: call fake.add_user({user_id!r}, ...) first")
        channel_id = _stable_id("D", "im", self.team_id, user_id)
        channel = self._channels.get(channel_id)
        if channel is None:
            channel = Channel(
                id=channel_id,
                kind="im",
                members=[user_id],
                user=user_id,
                created=int(self.clock()),
            )
            self._channels[channel_id] = channel
            self._messages.setdefault(channel_id, [])
            self._changed()
        return channel

    def _resolve_channel(self, value: Any, *, for_post: bool = False) -> Channel:
        ref = str(value or "")
        if ref in self._channels:
            return self._channels[ref]
        if for_post and ref in self._users:
            # chat.postMessage(channel=<user id>) posts into the app's DM with that user.
            return self._im_for(ref)
        name = ref.lstrip("#")
        for channel in self._channels.values():
            if channel.name == name and channel.kind in ("channel", "group"):
                return channel
        raise SlackApiFailure("channel_not_found")

    def _check_can_post(self, channel: Channel) -> None:
        if channel.kind == "im":
            user = self._users.get(channel.user or "")
            if user is None or user.get("deleted"):
                raise SlackApiFailure("is_archived")
            if not self._app_home_flag("messages_tab_enabled", True):
                raise SlackApiFailure("messages_tab_disabled")
            return
        if channel.is_archived:
            raise SlackApiFailure("is_archived")
        if not channel.bot_is_member:
            if channel.kind == "channel" and self._scope_granted("chat:write.public"):
                return
            if channel.kind == "channel":
                raise SlackApiFailure("not_in_channel")
            raise SlackApiFailure("channel_not_found")

    def _find_message(
        self, channel: str, ts: str, *, include_deleted: bool = False
    ) -> Message | None:
        for msg in self._messages.get(channel, []):
            if msg.ts == ts and (include_deleted or not msg.deleted):
                return msg
        return None

    def _check_message_content(
        self,
        args: dict[str, Any],
        *,
        method: str,
        require_content: bool = True,
        truncate_long_text: bool = False,
    ) -> list[str]:
        """Validate text / blocks of a message; returns warnings to record."""
        warnings: list[str] = []
        blocks = args.get("blocks")
        text = args.get("text")
        if text is not None and not isinstance(text, str):
            text = str(text)
            args["text"] = text
        if blocks is not None:
            problems = validate_blocks(blocks)
            if problems:
                raise SlackApiFailure("invalid_blocks", messages=problems)
        has_blocks = bool(blocks)
        if require_content and not text and not has_blocks and not args.get("attachments"):
            raise SlackApiFailure("no_text")
        if text and len(text) > MESSAGE_TEXT_MAX:
            if not truncate_long_text:
                raise SlackApiFailure("msg_too_long")
            args["text"] = text[:MESSAGE_TEXT_MAX]
            warnings.append("text_truncated")
            self.add_warning(
                "text_truncated",
                f"text of {len(text)} characters truncated to {MESSAGE_TEXT_MAX}",
                method,
            )
        if has_blocks and not text:
            warnings.append("missing_text_in_blocks_message")
            self.add_warning(
                "missing_text_in_blocks_message",
                "message has blocks but no fallback `text` (notifications and screen readers "
                "show nothing)",
                method,
            )
        return warnings

    def _store_bot_message(
        self,
        channel: Channel,
        args: dict[str, Any],
        *,
        via: str,
        warnings: list[str],
        method: str,
        ephemeral_user: str | None = None,
    ) -> Message:
        blocks = args.get("blocks")
        thread_ts = args.get("thread_ts") or None
        if thread_ts and self._find_message(channel.id, str(thread_ts)) is None:
            warnings.append("thread_not_found")
            self.add_warning(
                "thread_not_found", f"thread_ts {thread_ts} not found in {channel.id}", method
            )
        msg = Message(
            channel=channel.id,
            ts=self.next_ts(),
            text=args.get("text"),
            user=self.bot_user_id,
            blocks=with_generated_ids(blocks) if blocks is not None else None,
            sent_blocks=copy.deepcopy(blocks),
            thread_ts=str(thread_ts) if thread_ts else None,
            bot_id=self.bot_id,
            app_id=self.app_id,
            team=self.team_id,
            ephemeral_user=ephemeral_user,
            attachments=copy.deepcopy(args.get("attachments")),
            metadata=copy.deepcopy(args.get("metadata")),
            via=via,
            warnings=list(warnings),
        )
        self._messages.setdefault(channel.id, []).append(msg)
        return msg

    def _post_from_response(
        self,
        channel_id: str,
        user_id: str | None,
        args: dict[str, Any],
        *,
        message_ts: str | None,
        via: str,
        method: str,
    ) -> Message | None:
        """response_url / command-ack semantics: new, replace_original or delete_original."""
        channel = self._channels.get(channel_id)
        if channel is None:
            raise SlackApiFailure("channel_not_found", status=404)
        if _truthy(args.get("delete_original")):
            original = self._find_message(channel_id, message_ts or "")
            if original is None:
                raise SlackApiFailure("message_not_found", status=404)
            original.deleted = True
            return None
        warnings = self._check_message_content(args, method=method)
        if _truthy(args.get("replace_original")):
            original = self._find_message(channel_id, message_ts or "")
            if original is None:
                raise SlackApiFailure("message_not_found", status=404)
            original.text = args.get("text")
            blocks = args.get("blocks")
            original.blocks = with_generated_ids(blocks) if blocks is not None else None
            original.sent_blocks = copy.deepcopy(blocks)
            original.edited_ts = self.next_ts()
            original.warnings = warnings
            return copy.deepcopy(original)
        ephemeral = args.get("response_type") != "in_channel"
        msg = self._store_bot_message(
            channel,
            args,
            via=via,
            warnings=warnings,
            method=method,
            ephemeral_user=user_id if ephemeral else None,
        )
        return copy.deepcopy(msg)

    # ---------------------------------------------------------------- views
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
        obj.notify_on_close = _truthy(view.get("notify_on_close"))
        obj.clear_on_close = _truthy(view.get("clear_on_close"))

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


# ====================================================================== method handlers
def _auth_test(fake: FakeSlack, args: dict[str, Any], base: str) -> dict[str, Any]:
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


def _team_info(fake: FakeSlack, args: dict[str, Any], base: str) -> dict[str, Any]:
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
    if not _truthy(args.get("include_locale")):
        out.pop("locale", None)
    if not fake._scope_granted("users:read.email"):
        out["profile"].pop("email", None)
    return out


def _users_info(fake: FakeSlack, args: dict[str, Any], base: str) -> dict[str, Any]:
    user = fake._users.get(str(args["user"]))
    if user is None:
        raise SlackApiFailure("user_not_found")
    return {"user": _visible_user(fake, user, args)}


def _paginate(items: list[Any], args: dict[str, Any]) -> tuple[list[Any], str]:
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


def _users_list(fake: FakeSlack, args: dict[str, Any], base: str) -> dict[str, Any]:
    members = [_visible_user(fake, u, args) for u in fake._users.values()]
    page, next_cursor = _paginate(members, args)
    return {
        "members": page,
        "cache_ts": int(fake.clock()),
        "response_metadata": {"next_cursor": next_cursor},
    }


def _users_lookup_by_email(fake: FakeSlack, args: dict[str, Any], base: str) -> dict[str, Any]:
    email = str(args["email"]).lower()
    for user in fake._users.values():
        if str(user["profile"].get("email") or "").lower() == email:
            return {"user": copy.deepcopy(user)}
    raise SlackApiFailure("users_not_found")


def _bots_info(fake: FakeSlack, args: dict[str, Any], base: str) -> dict[str, Any]:
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


def _split_ids(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else str(value).split(",")
    out: list[str] = []
    for item in items:
        item = str(item).strip()
        if item and item not in out:
            out.append(item)
    return out


def _conversations_open(fake: FakeSlack, args: dict[str, Any], base: str) -> dict[str, Any]:
    if args.get("channel"):
        channel = fake._channels.get(str(args["channel"]))
        if channel is None or channel.kind not in ("im", "mpim"):
            raise SlackApiFailure("channel_not_found")
        already = True
    else:
        users = [u for u in _split_ids(args.get("users")) if u != fake.bot_user_id]
        if not _split_ids(args.get("users")):
            raise SlackApiFailure("users_list_not_supplied")
        if not users:
            raise SlackApiFailure("not_enough_users")
        if len(users) > 8:
            raise SlackApiFailure("too_many_users")
        for user_id in users:
            user = fake._users.get(user_id)
            if user is None:
                raise SlackApiFailure("user_not_found")
            if user.get("deleted"):
                raise SlackApiFailure("user_disabled")
        if len(users) == 1:
            channel_id = _stable_id("D", "im", fake.team_id, users[0])
            already = channel_id in fake._channels
            channel = fake._im_for(users[0])
        else:
            members = sorted(users)
            channel_id = _stable_id("G", "mpim", fake.team_id, *members)
            already = channel_id in fake._channels
            if not already:
                names = "--".join(fake._users[u]["name"] for u in members)
                fake._channels[channel_id] = Channel(
                    id=channel_id,
                    kind="mpim",
                    members=members,
                    name=f"mpdm-{names}--{fake.bot_name}-1",
                    created=int(fake.clock()),
                )
                fake._messages.setdefault(channel_id, [])
            channel = fake._channels[channel_id]
    out: dict[str, Any] = {}
    if already:
        out.update({"no_op": True, "already_open": True})
    if _truthy(args.get("return_im")):
        out["channel"] = channel.to_slack(fake.bot_user_id)
    else:
        out["channel"] = {"id": channel.id}
    return out


def _conversations_info(fake: FakeSlack, args: dict[str, Any], base: str) -> dict[str, Any]:
    channel = fake._resolve_channel(args["channel"])
    return {"channel": channel.to_slack(fake.bot_user_id)}


def _conversations_members(fake: FakeSlack, args: dict[str, Any], base: str) -> dict[str, Any]:
    channel = fake._resolve_channel(args["channel"])
    members = list(channel.members)
    if channel.kind in ("im", "mpim") or channel.bot_is_member:
        members.append(fake.bot_user_id)
    page, next_cursor = _paginate(members, args)
    return {"members": page, "response_metadata": {"next_cursor": next_cursor}}


def _chat_post_message(fake: FakeSlack, args: dict[str, Any], base: str) -> dict[str, Any]:
    channel = fake._resolve_channel(args["channel"], for_post=True)
    fake._check_can_post(channel)
    warnings = fake._check_message_content(args, method="chat.postMessage", truncate_long_text=True)
    msg = fake._store_bot_message(
        channel, args, via="api", warnings=warnings, method="chat.postMessage"
    )
    return {"channel": channel.id, "ts": msg.ts, "message": msg.to_slack(), "_warnings": warnings}


def _chat_post_ephemeral(fake: FakeSlack, args: dict[str, Any], base: str) -> dict[str, Any]:
    channel = fake._resolve_channel(args["channel"], for_post=True)
    user_id = str(args["user"])
    user = fake._users.get(user_id)
    in_channel = channel.user == user_id if channel.kind == "im" else user_id in channel.members
    if user is None or not in_channel:
        raise SlackApiFailure("user_not_in_channel")
    fake._check_can_post(channel)
    warnings = fake._check_message_content(args, method="chat.postEphemeral")
    msg = fake._store_bot_message(
        channel,
        args,
        via="api",
        warnings=warnings,
        method="chat.postEphemeral",
        ephemeral_user=user_id,
    )
    return {"message_ts": msg.ts, "_warnings": warnings}


def _own_message(fake: FakeSlack, args: dict[str, Any], verb: str) -> tuple[Channel, Message]:
    """The bot's own (not ephemeral) message that chat.update / chat.delete names."""
    channel = fake._resolve_channel(args["channel"])
    msg = fake._find_message(channel.id, str(args["ts"]))
    if msg is None or msg.is_ephemeral:
        raise SlackApiFailure("message_not_found")
    if not msg.from_bot:
        raise SlackApiFailure(f"cant_{verb}_message")
    return channel, msg


def _chat_update(fake: FakeSlack, args: dict[str, Any], base: str) -> dict[str, Any]:
    channel, msg = _own_message(fake, args, "update")
    if "text" not in args and "blocks" not in args and "attachments" not in args:
        raise SlackApiFailure("no_text")
    merged = {
        "text": args.get("text", msg.text),
        "blocks": args.get("blocks", msg.sent_blocks),
        "attachments": args.get("attachments", msg.attachments),
    }
    warnings = fake._check_message_content(merged, method="chat.update")
    msg.text = merged["text"]
    if "blocks" in args:
        msg.blocks = with_generated_ids(args["blocks"]) if args["blocks"] is not None else None
        msg.sent_blocks = copy.deepcopy(args["blocks"])
    if "attachments" in args:
        msg.attachments = copy.deepcopy(args["attachments"])
    if "metadata" in args:
        msg.metadata = copy.deepcopy(args["metadata"])
    msg.edited_ts = fake.next_ts()
    msg.warnings = warnings
    return {
        "channel": channel.id,
        "ts": msg.ts,
        "text": msg.text or "",
        "message": msg.to_slack(),
        "_warnings": warnings,
    }


def _chat_delete(fake: FakeSlack, args: dict[str, Any], base: str) -> dict[str, Any]:
    channel, msg = _own_message(fake, args, "delete")
    msg.deleted = True
    return {"channel": channel.id, "ts": msg.ts}


def _chat_get_permalink(fake: FakeSlack, args: dict[str, Any], base: str) -> dict[str, Any]:
    channel = fake._resolve_channel(args["channel"])
    msg = fake._find_message(channel.id, str(args["message_ts"]))
    if msg is None:
        raise SlackApiFailure("message_not_found")
    link = f"https://{fake.team_domain}.slack.com/archives/{channel.id}/p{msg.ts.replace('.', '')}"
    if msg.thread_ts and msg.thread_ts != msg.ts:
        link += f"?thread_ts={msg.thread_ts}&cid={channel.id}"
    return {"channel": channel.id, "permalink": link}


def _views_open(fake: FakeSlack, args: dict[str, Any], base: str) -> dict[str, Any]:
    user_id = fake._use_trigger(args)
    view = fake._view_arg(args, kind="modal")
    fake._check_external_id(view)
    fake._consume_trigger(args)
    fake.close_view(user_id, clear=True)
    obj = fake._push_view(user_id, view)
    return {"view": obj.to_slack()}


def _views_push(fake: FakeSlack, args: dict[str, Any], base: str) -> dict[str, Any]:
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


def _views_update(fake: FakeSlack, args: dict[str, Any], base: str) -> dict[str, Any]:
    obj = fake._find_view_for_update(args)
    expected_hash = args.get("hash")
    if expected_hash and expected_hash != obj.hash:
        raise SlackApiFailure("hash_conflict")
    view = fake._view_arg(args, kind=obj.type)
    fake._check_external_id(view, except_id=obj.id)
    fake._replace_view(obj, view)
    return {"view": obj.to_slack()}


def _views_publish(fake: FakeSlack, args: dict[str, Any], base: str) -> dict[str, Any]:
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


def _files_get_upload_url(fake: FakeSlack, args: dict[str, Any], base: str) -> dict[str, Any]:
    try:
        length = int(args["length"])
    except (TypeError, ValueError):
        raise SlackApiFailure(
            "invalid_arguments", messages=["[ERROR] length must be an integer"]
        ) from None
    file_id = f"F{fake._next_seq():09d}"
    name = str(args["filename"])
    fake._files[file_id] = FakeFile(
        id=file_id,
        name=name,
        length=length,
        user=fake.bot_user_id,
        created=int(fake.clock()),
        alt_txt=args.get("alt_txt"),
        mimetype=mimetypes.guess_type(name)[0] or "application/octet-stream",
    )
    return {"upload_url": f"{base}/upload/{file_id}", "file_id": file_id}


def _files_complete_upload(fake: FakeSlack, args: dict[str, Any], base: str) -> dict[str, Any]:
    items = args.get("files")
    if not isinstance(items, list) or not items:
        raise SlackApiFailure(
            "invalid_arguments", messages=["[ERROR] files must be a non-empty JSON array"]
        )
    files: list[FakeFile] = []
    for item in items:
        file = fake._files.get(str((item or {}).get("id")))
        if file is None or not file.uploaded:
            raise SlackApiFailure("file_not_found")
        if item.get("title"):
            file.title = str(item["title"])
        files.append(file)
    targets = _split_ids(args.get("channels")) or _split_ids(args.get("channel_id"))
    channels = [fake._resolve_channel(c) for c in targets]
    for channel in channels:
        fake._check_can_post(channel)
    share: dict[str, Any] = {
        "text": args.get("initial_comment") or "",
        "thread_ts": args.get("thread_ts"),
    }
    if args.get("blocks") is not None:
        problems = validate_blocks(args["blocks"])
        if problems:
            raise SlackApiFailure("invalid_blocks", messages=problems)
        share["blocks"] = args["blocks"]
    for file in files:
        file.completed = True
        for channel in channels:
            if channel.id not in file.channels:
                file.channels.append(channel.id)
    for channel in channels:
        msg = fake._store_bot_message(
            channel, share, via="file", warnings=[], method="files.completeUploadExternal"
        )
        msg.files = [f.to_slack() for f in files]
    return {"files": [{"id": f.id, "title": f.title or f.name} for f in files]}


def _files_info(fake: FakeSlack, args: dict[str, Any], base: str) -> dict[str, Any]:
    file = fake._files.get(str(args["file"]))
    if file is None or not file.completed:
        raise SlackApiFailure("file_not_found")
    return {"file": file.to_slack()}


def _files_upload(fake: FakeSlack, args: dict[str, Any], base: str) -> dict[str, Any]:
    raise SlackApiFailure(
        "method_deprecated",
        messages=["[ERROR] files.upload is retired; use files_upload_v2 (getUploadURLExternal)"],
    )


def _generic(fake: FakeSlack, args: dict[str, Any], base: str) -> dict[str, Any]:
    """Methods without special behaviour: ``{"ok": true}``, but blocks are still checked."""
    if args.get("blocks") is not None:
        problems = validate_blocks(args["blocks"])
        if problems:
            raise SlackApiFailure("invalid_blocks", messages=problems)
    return {}


_HANDLERS: dict[str, Callable[[FakeSlack, dict[str, Any], str], dict[str, Any]]] = {
    "auth.test": _auth_test,
    "team.info": _team_info,
    "users.info": _users_info,
    "users.list": _users_list,
    "users.lookupByEmail": _users_lookup_by_email,
    "bots.info": _bots_info,
    "conversations.open": _conversations_open,
    "conversations.info": _conversations_info,
    "conversations.members": _conversations_members,
    "chat.postMessage": _chat_post_message,
    "chat.postEphemeral": _chat_post_ephemeral,
    "chat.update": _chat_update,
    "chat.delete": _chat_delete,
    "chat.getPermalink": _chat_get_permalink,
    "views.open": _views_open,
    "views.push": _views_push,
    "views.update": _views_update,
    "views.publish": _views_publish,
    "files.getUploadURLExternal": _files_get_upload_url,
    "files.completeUploadExternal": _files_complete_upload,
    "files.info": _files_info,
    "files.upload": _files_upload,
}


# ====================================================================== request parsing
def _bearer(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or None


def _parse_args(
    query: dict[str, str], body: bytes, content_type: str
) -> tuple[dict[str, Any], bool]:
    """Merge query string and body arguments; returns (args, body_was_json)."""
    args: dict[str, Any] = dict(query)
    ctype = content_type.split(";")[0].strip().lower()
    if not body:
        return args, False
    if ctype == "application/json":
        try:
            data = json.loads(body)
        except ValueError:
            raise SlackApiFailure("invalid_json") from None
        if not isinstance(data, dict):
            raise SlackApiFailure("invalid_json")
        args.update(data)
        return args, True
    if ctype == "multipart/form-data":
        args.update(_parse_multipart(body, content_type))
        return args, False
    try:
        args.update(dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True)))
    except UnicodeDecodeError:
        raise SlackApiFailure("invalid_form_data") from None
    return args, False


def _parse_multipart(body: bytes, content_type: str) -> dict[str, Any]:
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    out: dict[str, Any] = {}
    if not message.is_multipart():
        raise SlackApiFailure("invalid_form_data")
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        data = part.get_payload(decode=True) or b""
        if not isinstance(data, bytes):
            data = str(data).encode()
        if part.get_filename():
            out[str(name)] = data
        else:
            out[str(name)] = data.decode("utf-8", errors="replace")
    return out


def _decode_json_args(args: dict[str, Any]) -> None:
    for key, error in _JSON_ARGS.items():
        value = args.get(key)
        if isinstance(value, str):
            if not value.strip():
                args.pop(key)
                continue
            try:
                args[key] = json.loads(value)
            except ValueError:
                raise SlackApiFailure(
                    error, messages=[f"[ERROR] {key} is not valid JSON [json-pointer:/{key}]"]
                ) from None


def _parse_response_body(body: bytes, content_type: str) -> dict[str, Any]:
    ctype = content_type.split(";")[0].strip().lower()
    try:
        if ctype == "application/x-www-form-urlencoded":
            form = dict(parse_qsl(body.decode("utf-8")))
            data = json.loads(form.get("payload", "{}"))
        else:
            data = json.loads(body or b"{}")
    except ValueError:
        raise SlackApiFailure("invalid_payload") from None
    if not isinstance(data, dict):
        raise SlackApiFailure("invalid_payload")
    _decode_json_args(data)
    return data


def _loggable(args: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in args.items():
        if key == "token":
            continue
        out[key] = f"<{len(value)} bytes>" if isinstance(value, bytes) else copy.deepcopy(value)
    return out


def _load_manifest(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FileNotFoundError(f"cannot read app manifest {path}: {exc}") from exc
    try:
        data = yaml.safe_load(text)  # JSON is valid YAML too
    except yaml.YAMLError as exc:
        raise ValueError(f"app manifest {path} is not valid YAML/JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ValueError(f"app manifest {path} must be a mapping at the top level")
    return data
