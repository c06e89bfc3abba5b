"""The workspace a fake Slack keeps: configuration, users, conversations and their messages,
views, files, recorded calls and warnings, ids and timestamps, and saving it all.

Everything is guarded by one re-entrant lock: uvicorn serves requests on its own thread while
tests read the state from theirs.
"""

from __future__ import annotations

import base64
import copy
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from ..asgi_thread import ServerThread
from .api_ref import ApiReference, repo_root
from .common import Fault, ResponseUrl, SlackApiFailure, Trigger, record_fields, stable_id, ts_key
from .models import ApiCall, Channel, FakeFile, Message, SlackWarning, View

_DEFAULT: Any = object()
STATE_VERSION = 1  # of export_state()'s layout


class WorkspaceState:
    """The fake's configuration and stored workspace, and the queries tests make of it.

    :class:`~sandbox.fake_slack.core.FakeSlack` documents the arguments.
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

        self._read_manifest(manifest_path, bot_scopes)

        self._lock = threading.RLock()
        self._seq = 0  # ids of views, files and triggers; never reset, like _last_ts_us
        self._last_ts_us = 0  # never reset: ts stay unique for the fake's lifetime
        self._revision = 0
        self.reset()

    def _read_manifest(
        self, manifest_path: str | Path | None, bot_scopes: Iterable[str] | None
    ) -> None:
        """Set ``manifest_path``, ``manifest`` and the ``granted_scopes`` they imply."""
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

    def reset(self, *, restart_ts: bool = False) -> None:
        """Forget everything (users, conversations, views, files, calls, faults, warnings)
        except the configuration; the bot user is re-added and tokens work again.

        New message ts stay above every ts issued before, unless `restart_ts`: then they
        follow the clock again (for a clock that was moved back, with nothing kept that
        could still refer to an old ts)."""
        with self._lock:
            self._init_state()
            if restart_ts:
                self._last_ts_us = 0
            self._changed()
        self.add_user(self.bot_user_id, self.bot_name, real_name=self.bot_name, is_bot=True)

    def _init_state(self) -> None:
        self._users: dict[str, dict[str, Any]] = {}
        self._channels: dict[str, Channel] = {}
        self._messages: dict[str, list[Message]] = {}
        self._views: dict[str, View] = {}
        self._modal_stacks: dict[str | None, list[str]] = {}
        self._home_views: dict[str, str] = {}
        self._triggers: dict[str, Trigger] = {}
        self._response_urls: dict[str, ResponseUrl] = {}
        self._files: dict[str, FakeFile] = {}
        self._calls: list[ApiCall] = []
        self._faults: list[Fault] = []
        self._warnings: list[SlackWarning] = []
        self._token_state = "active"

    # ================================================================== where it is served
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
        real = real_name or name
        user: dict[str, Any] = {
            "id": id,
            "team_id": team_id or self.team_id,
            "name": name,
            "deleted": deleted,
            "color": "9f69e7",
            "real_name": real,
            **self._time_zone_fields(id, tz),
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

    def _time_zone_fields(self, user_id: str, tz: str) -> dict[str, Any]:
        """``tz``, ``tz_label`` and ``tz_offset`` of a user object, as of the fake's clock."""
        try:
            zone = ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {tz!r} for user {user_id}") from exc
        now = datetime.fromtimestamp(self.clock(), zone)
        offset = now.utcoffset()
        return {
            "tz": tz,
            "tz_label": now.tzname(),
            "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
        }

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
        channel_id = id or stable_id("G" if is_private else "C", "channel", name)
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
            self._triggers[trigger] = Trigger(user_id, self.monotonic() + lifetime)
        return trigger

    def new_response_url(
        self, channel: str, user_id: str | None, *, message_ts: str | None = None
    ) -> str:
        """A ``response_url`` bound to ``channel`` / ``user_id`` (and the clicked message)."""
        rid = uuid.uuid4().hex
        with self._lock:
            self._response_urls[rid] = ResponseUrl(
                channel=channel,
                user_id=user_id,
                message_ts=message_ts,
                expires=self.monotonic() + self.response_url_ttl,
                uses_left=self.response_url_uses,
            )
        return f"{self.base_url}/response/{rid}"

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
                data = record_fields(file)
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
                    "channels": [record_fields(c) for c in self._channels.values()],
                    "messages": [
                        record_fields(m) for msgs in self._messages.values() for m in msgs
                    ],
                    "views": [record_fields(v) for v in self._views.values() if v.id in open_views],
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
                msgs.sort(key=lambda m: ts_key(m.ts))
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

    # ================================================================== state helpers
    def _im_for(self, user_id: str) -> Channel:
        if user_id not in self._users:
            raise KeyError(f"unknown user {user_id!r}: call fake.add_user({user_id!r}, ...) first")
        channel_id = stable_id("D", "im", self.team_id, user_id)
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

    def _find_message(
        self, channel: str, ts: str, *, include_deleted: bool = False
    ) -> Message | None:
        for msg in self._messages.get(channel, []):
            if msg.ts == ts and (include_deleted or not msg.deleted):
                return msg
        return None

    def _scope_granted(self, scope: str) -> bool:
        return self.granted_scopes is None or scope in self.granted_scopes


def _load_manifest(path: Path) -> dict[str, Any]:
    """The manifest at `path` (parsed once per file version: each fake reads it, and the tests
    make one per test). A deep copy, so a fake may change its own."""
    try:
        stat = path.stat()
    except OSError as exc:
        raise FileNotFoundError(f"cannot read app manifest {path}: {exc}") from exc
    return copy.deepcopy(_parsed_manifest(path, stat.st_mtime_ns, stat.st_size))


@lru_cache(maxsize=8)
def _parsed_manifest(path: Path, _mtime_ns: int, _size: int) -> dict[str, Any]:
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
