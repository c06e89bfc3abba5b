"""The browser sandbox: the real bot, a local stand-in for Slack, and a web page to use it.

One process, everything bound to 127.0.0.1:

- a Starlette app (the sandbox server, `sandbox.web`) serving the page (`sandbox/static/`), its small JSON
  API (`/api/...`) and the fake Slack Web API mounted under `/fake-slack`;
- the unmodified bot in HTTP mode (`sandbox.harness.BotUnderTest`: `bot.app.create_app` served
  by uvicorn on its own loopback port) with `SLACK_API_URL` pointing at `/fake-slack/api/`;
- the bot's real scheduler (`bot.scheduling.scheduler.start_scheduler`) plus one sweep after every clock
  advance, all on an `OffsetClock` that the page moves forward by an hour, a day, a week, a
  month, or to the next Monday 09:00.

The page acts as the people: it sends the bot what Slack would (signed `message.im` events,
`/mentoring` commands, `app_home_opened`, clicks, menu choices, modal submissions) through
`sandbox.driver.SlackDriver`, which only clicks what really is in the Block Kit the bot sent.

The data is a separate SQLite file (default `sandbox.db`). The clock offset is kept in that
file's SQLite header (`PRAGMA user_version`, in seconds), and the fake Slack's conversations in
a table of the sandbox's own (`sandbox.slack_store`), so both live and die with the data: a
restart shows the same DMs, channels, Home tabs and modals, and a reset empties them.

The people list reads where everyone is in the program from the bot's database
(`sandbox.progress`).
"""

from __future__ import annotations

import contextlib
import copy
import logging
import re
import secrets
import sqlite3
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler

from bot.scheduling.scheduler import start_scheduler
from core.kernel.clock import OffsetClock
from core.kernel.db import Database
from core.kernel.migrate import upgrade
from sandbox import seed as demo
from sandbox.asgi_thread import ServerStartError, ServerThread
from sandbox.driver import SlackDriver
from sandbox.errors import SandboxError, SandboxStartError, plain_error
from sandbox.fake_slack import Channel, FakeSlack, Message, View
from sandbox.harness import BotUnderTest
from sandbox.progress import program_stages
from sandbox.slack_store import SlackStore
from sandbox.web import FAKE_SLACK_PATH, STATIC_DIR, LocalOnly, build_app

__all__ = [
    "FAKE_SLACK_PATH",
    "STATIC_DIR",
    "LocalOnly",
    "Sandbox",
    "SandboxError",
    "SandboxStartError",
    "build_app",
    "read_clock_offset",
    "write_clock_offset",
]

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"
CLOCK_STEPS = {
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
    "week": timedelta(weeks=1),
}
LONG_STEPS = ("month", "monday")
MAX_OFFSET_SECONDS = 2**31 - 1  # what PRAGMA user_version can hold (about 68 years)
TABS = ("home", "messages")
BOT_FAILED = "mentorbot did not answer properly. Try again in a moment."


# ------------------------------------------------------------------------- the clock file
def read_clock_offset(path: Path) -> int:
    """Seconds the sandbox clock runs ahead of real time, as stored in the database file."""
    if not path.exists():
        return 0
    with contextlib.closing(sqlite3.connect(path, timeout=15)) as conn:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])


def write_clock_offset(path: Path, seconds: int) -> None:
    with contextlib.closing(sqlite3.connect(path, timeout=15)) as conn:
        conn.execute(f"PRAGMA user_version = {int(seconds)}")
        conn.commit()


def _next_month(now: datetime) -> datetime:
    """The same day and time a calendar month later (the month's last day when shorter)."""
    year, month = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
    day = now.day
    while True:
        try:
            return now.replace(year=year, month=month, day=day)
        except ValueError:  # 31 January -> 28 or 29 February
            day -= 1


def _next_monday_9(now: datetime, tz: str) -> datetime:
    """The next Monday 09:00 in `tz` strictly after `now` (a week on if it is Monday after 9)."""
    local = now.astimezone(ZoneInfo(tz))
    days = (7 - local.weekday()) % 7
    target = (local + timedelta(days=days)).replace(hour=9, minute=0, second=0, microsecond=0)
    if target <= local:
        target += timedelta(days=7)
    return target.astimezone(now.tzinfo)


def _offset_label(seconds: int) -> str:
    if seconds <= 0:
        return "real time"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = []
    if days:
        parts.append(f"{days} day{'s' if days != 1 else ''}")
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if minutes and not days:
        parts.append(f"{minutes} min")
    return "+" + " ".join(parts or ["0 min"]) + " ahead"


# ------------------------------------------------------------------------- the sandbox
class Sandbox:
    """The running sandbox. `start()` binds 127.0.0.1:`port` (0 = any free port).

    Args:
        db_path: the SQLite file holding the sandbox's data (created and migrated if needed).
        port: the page's port; when busy, the next `port_attempts - 1` ports are tried.
        seed: `demo` or `empty` (see `sandbox.seed`); used only when the database is empty.
        scheduler: run the bot's real APScheduler job (every minute) as production does.
        reset: delete the database first.
    """

    def __init__(
        self,
        db_path: str | Path = "sandbox.db",
        *,
        port: int = 3000,
        seed: str = "demo",
        scheduler: bool = True,
        reset: bool = False,
        port_attempts: int = 1,
    ) -> None:
        if seed not in demo.SEEDS:
            raise ValueError(f"unknown seed {seed!r}: choose one of {', '.join(demo.SEEDS)}")
        self.db_path = Path(db_path).expanduser().resolve()
        self.requested_port = port
        self.seed_kind = seed
        self.use_scheduler = scheduler
        self.reset_first = reset
        self.port_attempts = max(1, port_attempts)
        self.signing_secret = secrets.token_hex(16)
        self.clock = OffsetClock()
        self.fake: FakeSlack | None = None
        self.bot: BotUnderTest | None = None
        self.scheduler: BackgroundScheduler | None = None
        self.server: ServerThread | None = None
        self.channel_id: str | None = None
        self.seeded_on_start = False
        self._lock = threading.RLock()
        self._seen: dict[str, float] = {}  # user id -> newest ts they have looked at
        self.store = SlackStore(self.db_path, self._snapshot)

    # --- lifecycle -------------------------------------------------------------------------
    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.db_path}"

    @property
    def url(self) -> str:
        if self.server is None:
            raise RuntimeError("the sandbox is not started")
        return self.server.url

    @property
    def sockets(self) -> list[tuple[str, int]]:
        """(host, port) of every server this sandbox listens on (the page and the bot)."""
        out = []
        for server in (self.server, self.bot.server if self.bot else None):
            if server is not None:
                out.append((server.host, server.port))
        return out

    def start(self) -> Sandbox:
        if self.reset_first:
            self._delete_database()
        try:
            self.fake = FakeSlack(
                clock=lambda: self.clock.now().timestamp(), on_change=self.store.changed
            )
        except FileNotFoundError as exc:
            raise SandboxStartError(
                f"{exc} The sandbox's stand-in for Slack checks every call against that "
                "reference (it ships next to the project as shared/slack-api-ref)."
            ) from None
        self.server = self._bind()
        self.fake.set_base_url(self.server.url + FAKE_SLACK_PATH)
        try:
            self._boot()
        except BaseException:
            self.stop()
            raise
        self.store.start()
        return self

    def _bind(self) -> ServerThread:
        app = build_app(self)
        last_error: Exception | None = None
        port = self.requested_port
        for attempt in range(self.port_attempts if port else 1):
            try:
                return ServerThread(app, HOST, port + attempt if port else 0, name="sandbox-ui")
            except ServerStartError as exc:
                last_error = exc
        raise SandboxStartError(
            f"cannot listen on {HOST}:{port}"
            + (f"-{port + self.port_attempts - 1}" if self.port_attempts > 1 and port else "")
            + f" ({last_error}). Is another sandbox running? Pick a free port with --port."
        )

    def _boot(self) -> None:
        """Migrate, seed if empty, and start the bot and its scheduler (under the lock)."""
        assert self.fake is not None
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        db = Database(self.database_url)
        try:
            upgrade(db.engine)
            self.clock = OffsetClock(offset=timedelta(seconds=read_clock_offset(self.db_path)))
            saved = self.store.load()
            if saved is not None:
                self._restore(saved)
            self.channel_id = demo.add_to_slack(self.fake)
            self.seeded_on_start = not demo.is_seeded(db, self.fake.team_id)
            if self.seeded_on_start:
                demo.seed(db, self.clock, self.fake, self.seed_kind)
        finally:
            db.dispose()
        self.bot = BotUnderTest(
            database_url=self.database_url,
            clock=self.clock,
            fake=self.fake,
            signing_secret=self.signing_secret,
        ).start()
        if self.use_scheduler:
            self.scheduler = start_scheduler(self.bot.app)
            self.bot.app.flows.faq.warm()

    def _restore(self, saved: dict[str, Any]) -> None:
        """Put the saved conversations back into the fake Slack (its users are added next)."""
        assert self.fake is not None
        try:
            self.fake.load_state(saved["slack"])
            seen = {str(k): float(v) for k, v in saved["page"]["seen"].items()}
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            logger.warning("the saved Slack conversations cannot be read (%s): starting empty", exc)
            return
        self._seen = seen

    def _snapshot(self) -> dict[str, Any]:
        """What `self.store` saves: the fake Slack's conversations, and who has seen what."""
        return {"slack": self._fake().export_state(), "page": {"seen": self._seen.copy()}}

    def _stop_bot(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=True)
            self.scheduler = None
        if self.bot is not None:
            self.bot.stop()  # the fake is ours, so it keeps serving
            self.bot = None

    def _delete_database(self) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(self.db_path) + suffix).unlink(missing_ok=True)

    def stop(self) -> None:
        with self._lock:
            self._stop_bot()
            if self.fake is not None:
                self.store.stop()  # saves what the bot did last
            if self.server is not None:
                self.server.stop()
                self.server = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- whole-sandbox controls ------------------------------------------------------------
    def reset(self) -> None:
        """Throw the data away and start again from the seed (the page stays where it is)."""
        with self._lock:
            assert self.fake is not None
            self._stop_bot()
            with self.store.paused():
                self._delete_database()
                self.fake.reset(restart_ts=True)  # new messages dated by the reset clock
                self._seen.clear()
                self._boot()

    def advance(self, step: str, user_id: str | None = None) -> datetime:
        """Move the clock forward by an hour, a day, a week, a calendar month, or to the next
        Monday 09:00 (where `user_id` lives, else where the coordinator does), running the
        bot's sweeps as the scheduler would on the way: once per day crossed (so a Monday
        digest or a weekly nudge on the way is not jumped over), and at the end."""
        steps = (*CLOCK_STEPS, *LONG_STEPS)
        if step not in steps:
            raise SandboxError(f"unknown clock step {step!r}: use one of {', '.join(steps)}")
        with self._lock:
            now = self.clock.now()
            if step in CLOCK_STEPS:
                target = now + CLOCK_STEPS[step]
            elif step == "month":
                target = _next_month(now)
            else:
                target = _next_monday_9(now, self._tz_of(user_id))
            if (self.clock.offset + (target - now)).total_seconds() > MAX_OFFSET_SECONDS:
                raise SandboxError("The sandbox clock cannot go further ahead; reset it instead.")
            start = self.clock.offset
            day = timedelta(days=1)
            while day < target - now:  # the days on the way
                self._move_to(start + day)
                day += timedelta(days=1)
            self._move_to(start + (target - now))
            return self.clock.now()

    def _move_to(self, offset: timedelta) -> None:
        """Set the clock `offset` ahead of real time (whole seconds), then sweep."""
        offset = timedelta(seconds=round(offset.total_seconds()))
        self.clock.advance(offset - self.clock.offset)
        write_clock_offset(self.db_path, int(offset.total_seconds()))
        self._bot.run_sweeps()  # what the scheduler's job does, with the new time

    def _tz_of(self, user_id: str | None) -> str:
        fake = self._fake()
        user = (fake.user(user_id) if user_id else None) or fake.user(demo.COORDINATOR)
        return str((user or {}).get("tz") or "UTC")

    # --- what a person does ----------------------------------------------------------------
    @property
    def _bot(self) -> BotUnderTest:
        if self.bot is None:
            raise SandboxError("the sandbox is restarting; try again in a moment", 503)
        return self.bot

    @property
    def _driver(self) -> SlackDriver:
        return self._bot.d

    def _fake(self) -> FakeSlack:
        assert self.fake is not None
        return self.fake

    def _user(self, user_id: Any) -> dict[str, Any]:
        user = self._fake().user(str(user_id or ""))
        if user is None or user.get("is_bot"):
            raise SandboxError("There is nobody by that name in this workspace.", 404)
        return user

    def _act(self, fn: Callable[[], Any]) -> Any:
        """Run one driver action; what Slack would refuse comes back as a SandboxError."""
        with self._lock:
            try:
                response = fn()
            except AssertionError as exc:
                logger.info("the sandbox refused an action: %s", str(exc).strip())
                raise plain_error(str(exc)) from None
        status = getattr(response, "status_code", 200)
        if status >= 400:
            logger.warning("the bot answered HTTP %s", status)
            raise SandboxError(BOT_FAILED, 502)
        return response

    def open_tab(self, user_id: str, tab: str) -> None:
        """The person opens the app's Home or Messages tab (Slack sends app_home_opened)."""
        self._user(user_id)
        if tab not in TABS:
            raise SandboxError(f"unknown tab {tab!r}: use home or messages")
        self._act(lambda: self._driver.open_home(user_id, tab))

    def dm(self, user_id: str, text: str) -> None:
        self._user(user_id)
        text = _clean_text(text)
        self._act(lambda: self._driver.dm(user_id, text))

    def slash(self, user_id: str, text: str, channel_id: str | None = None) -> None:
        """`text` is what was typed, starting with the command (`/mentoring help`)."""
        self._user(user_id)
        command, _, rest = _clean_text(text).partition(" ")
        if channel_id:
            self._channel(user_id, channel_id)
        self._act(lambda: self._driver.slash(user_id, command, rest.strip(), channel_id=channel_id))

    def channel_message(self, user_id: str, channel_id: str, text: str) -> None:
        """A message in a channel. The bot hears it only if the manifest subscribes to it."""
        self._user(user_id)
        channel = self._channel(user_id, channel_id)
        text = _clean_text(text)
        fake = self._fake()
        with self._lock:
            msg = fake.record_user_message(channel_id, user_id, text, blocks=_rich_text(text))
            kind = channel["kind"]
            subscribed = fake.subscribed_events
            name = "message." + {"channel": "channels", "group": "groups", "mpim": "mpim"}[kind]
            if subscribed is not None and name not in subscribed:
                return  # Slack would not tell the app about it
        event = {
            "type": "message",
            "channel": channel_id,
            "channel_type": kind,
            "user": user_id,
            "text": text,
            "ts": msg.ts,
            "event_ts": msg.ts,
            "team": fake.team_id,
            "blocks": msg.blocks,
        }
        self._act(lambda: self._driver.event(event))

    def click(
        self,
        user_id: str,
        source: dict[str, Any],
        action_id: str,
        *,
        block_id: str | None = None,
        value: str | None = None,
    ) -> None:
        self._user(user_id)
        where = self._source(user_id, source)
        self._act(
            lambda: self._driver.click(
                user_id, action_id, value=value, block_id=block_id or None, **where
            )
        )

    def select(
        self,
        user_id: str,
        source: dict[str, Any],
        action_id: str,
        values: Any,
        *,
        block_id: str | None = None,
    ) -> None:
        self._user(user_id)
        where = self._source(user_id, source)
        self._act(
            lambda: self._driver.select(
                user_id, action_id, values, block_id=block_id or None, **where
            )
        )

    def submit(self, user_id: str, view_id: str, values: dict[str, Any]) -> str | None:
        """Press Submit on an open modal with what was entered; returns what happened
        (`closed`, `updated`, `pushed`, `errors`, ...)."""
        self._user(user_id)
        self._modal(user_id, view_id)
        if not isinstance(values, dict) or not all(isinstance(v, dict) for v in values.values()):
            raise SandboxError("values must be {block_id: {action_id: value}}")
        self._act(lambda: self._driver.submit_view(user_id, view_id, values))
        return self._driver.last_submission_outcome

    def close_modal(self, user_id: str, view_id: str) -> None:
        self._user(user_id)
        self._modal(user_id, view_id)
        with self._lock:
            try:
                response = self._driver.close_view(user_id, view_id)
            except AssertionError as exc:
                logger.info("the sandbox refused to close a window: %s", str(exc).strip())
                raise plain_error(str(exc)) from None
        if response is not None and response.status_code >= 400:
            logger.warning("the bot answered HTTP %s", response.status_code)
            raise SandboxError(BOT_FAILED, 502)

    def _modal(self, user_id: str, view_id: str) -> View:
        for view in self._fake().open_views(user_id):
            if view.id == view_id:
                return view
        raise SandboxError("that window is no longer open", 409)

    def _channel(self, user_id: str, channel_id: str) -> dict[str, Any]:
        for channel in self._conversations(user_id):
            if channel["id"] == channel_id:
                return channel
        raise SandboxError("You are not in that channel.", 404)

    def _source(self, user_id: str, source: Any) -> dict[str, Any]:
        """Where an element the person used is: a message they can see, or their view."""
        if not isinstance(source, dict):
            raise SandboxError("source must be {kind: message, channel, ts} or {kind: view, id}")
        fake = self._fake()
        if source.get("kind") == "message":
            channel, ts = str(source.get("channel") or ""), str(source.get("ts") or "")
            if channel != fake.dm_channel(user_id):
                self._channel(user_id, channel)
            msg = fake.message(channel, ts)
            if msg is None or msg.deleted or msg.ephemeral_user not in (None, user_id):
                raise SandboxError("that message is gone", 409)
            return {"in_message": msg}
        if source.get("kind") == "view":
            view = fake.view(str(source.get("id") or ""))
            if view is None or view.closed or view.user_id != user_id:
                raise SandboxError("that view is no longer open", 409)
            return {"in_view": view.id}
        raise SandboxError("source must be {kind: message, ...} or {kind: view, ...}")

    # --- what a person sees ----------------------------------------------------------------
    def file(self, user_id: str, file_id: str) -> tuple[str, str, bytes]:
        """(name, mimetype, bytes) of a file shared where the person can see it."""
        self._user(user_id)
        fake = self._fake()
        found = fake.file(file_id)
        if found is None or not found.completed or found.content is None:
            raise SandboxError("That file is gone.", 404)
        visible = {fake.dm_channel(user_id), *(c.id for c in self._channels_of(user_id))}
        if not visible.intersection(found.channels):
            raise SandboxError("That file was not shared with you.", 404)
        return found.name, found.mimetype, found.content

    def _channels_of(self, user_id: str) -> list[Channel]:
        """Channels, private channels and group DMs the person is in (the seeded channel
        first). The fake has no public listing of conversations, so read its table under
        its lock (copies only)."""
        fake = self._fake()
        with fake._lock:
            found = [
                copy.deepcopy(c)
                for c in fake._channels.values()
                if c.kind in ("channel", "group", "mpim") and user_id in c.members
            ]
        found.sort(key=lambda c: (c.id != self.channel_id, c.kind != "channel", c.created, c.id))
        return found

    def _conversations(self, user_id: str) -> list[dict[str, Any]]:
        channels = self._channels_of(user_id)
        users = {u["id"]: u for u in self._fake().users} if channels else {}
        out = []
        for channel in channels:
            if channel.kind == "mpim":
                others = [m for m in channel.members if m != user_id]
                name = ", ".join(_display(users.get(m), m) for m in others) + ", mentorbot"
            else:
                name = "#" + (channel.name or channel.id)
            out.append({"id": channel.id, "kind": channel.kind, "name": name})
        return out

    def state(self, user_id: str) -> dict[str, Any]:
        """Everything the page shows for one person (and marks their messages as seen)."""
        with self._lock:
            user = self._user(user_id)
            fake = self._fake()
            users = {u["id"]: u for u in fake.users}
            dm_channel = fake.dm_channel(user_id)
            dm = [self._message(m, users) for m in fake.dm_messages(user_id)]
            channels = []
            for channel in self._conversations(user_id):
                msgs = [
                    self._message(m, users)
                    for m in fake.messages(channel["id"])
                    if m.ephemeral_user in (None, user_id)
                ]
                channels.append({**channel, "messages": msgs})
            home = fake.home_view(user_id)
            modals = fake.open_views(user_id)
            newest = max((float(m.ts) for m in self._inbox(user_id)), default=0.0)
            if newest > self._seen.get(user_id, 0.0):
                self._seen[user_id] = newest
                self.store.changed()
            return {
                "me": {"id": user_id, "name": _display(user, user_id), "tz": user.get("tz")},
                "dm": {"channel": dm_channel, "messages": dm},
                "home": self._view(home) if home is not None else None,
                "modals": [self._view(v) for v in modals],
                "channels": channels,
                "clock": self.clock_info(user.get("tz")),
                "people": self.people(),
                "users": {uid: _display(u, uid) for uid, u in users.items()},
            }

    def clock_info(self, tz: str | None = None) -> dict[str, Any]:
        now = self.clock.now()
        offset = int(self.clock.offset.total_seconds())
        info: dict[str, Any] = {
            "now": now.isoformat(),
            "utc": now.strftime("%a %d %b %Y, %H:%M UTC"),
            "offset_seconds": offset,
            "offset": _offset_label(offset),
        }
        if tz:
            local = now.astimezone(ZoneInfo(tz))
            info["local"] = local.strftime("%a %H:%M") + f" in {tz}"
        return info

    def people(self) -> list[dict[str, Any]]:
        """The people list: the reporting tree, each with where they are in the program."""
        with self._lock:
            fake = self._fake()
            stages = self._stages()
            out = []
            for person in demo.tree_order():
                user = fake.user(person.user_id)
                if user is None:
                    continue
                stage = stages.get(person.user_id, {"stage": "not joined"})
                out.append(
                    {
                        "id": person.user_id,
                        "name": _display(user, person.user_id),
                        "title": person.title,
                        "department": person.department,
                        "tz": user.get("tz"),
                        "manager": person.manager,
                        "depth": demo.depth(person.user_id),
                        **stage,
                        "unread": self._unread(person.user_id),
                    }
                )
            return out

    def _inbox(self, user_id: str) -> list[Message]:
        """What counts towards a person's unread badge: their DM with the bot and their
        group DMs and private channels (like Slack, not every public channel message)."""
        fake = self._fake()
        messages = fake.dm_messages(user_id)
        for channel in self._channels_of(user_id):
            if channel.kind != "channel":
                messages += fake.messages(channel.id)
        return [m for m in messages if m.user != user_id and m.ephemeral_user in (None, user_id)]

    def _unread(self, user_id: str) -> int:
        seen = self._seen.get(user_id, 0.0)
        return sum(1 for m in self._inbox(user_id) if float(m.ts) > seen)

    def _stages(self) -> dict[str, dict[str, Any]]:
        """Program status per Slack user id, read from the bot's database."""
        with self._bot.app.db.transaction() as session:
            return program_stages(session, self._fake().team_id)

    @staticmethod
    def _message(msg: Message, users: dict[str, dict[str, Any]]) -> dict[str, Any]:
        return {
            "ts": msg.ts,
            "user": msg.user,
            "user_name": _display(users.get(msg.user), msg.user),
            "from_bot": msg.from_bot,
            "text": msg.text or "",
            "blocks": msg.blocks,
            "attachments": msg.attachments,
            "files": [
                {
                    "id": f.get("id"),
                    "name": f.get("name"),
                    "title": f.get("title") or f.get("name"),
                    "mimetype": f.get("mimetype"),
                    "size": f.get("size"),
                }
                for f in msg.files
            ],
            "ephemeral": msg.is_ephemeral,
            "edited": msg.edited_ts is not None,
            "thread_ts": msg.thread_ts if msg.thread_ts and msg.thread_ts != msg.ts else None,
            "channel": msg.channel,
        }

    @staticmethod
    def _view(view: View) -> dict[str, Any]:
        return {
            "id": view.id,
            "type": view.type,
            "hash": view.hash,
            "callback_id": view.callback_id,
            "title": view.title,
            "submit": view.submit,
            "close": view.close,
            "blocks": view.blocks,
            "errors": view.errors or {},
            "previous_view_id": view.previous_view_id,
        }


def _display(user: dict[str, Any] | None, fallback: str) -> str:
    if not user:
        return fallback
    profile = user.get("profile") or {}
    return str(profile.get("real_name") or user.get("real_name") or user.get("name") or fallback)


def _clean_text(text: Any) -> str:
    value = str(text or "").strip()
    if not value:
        raise SandboxError("type something first")
    if len(value) > 4000:
        raise SandboxError("that message is too long (4,000 characters at most)")
    return value


_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


def _rich_text(text: str) -> list[dict[str, Any]]:
    """What Slack's composer sends: text, with each <@U…> mention as a user element."""
    elements: list[dict[str, Any]] = []
    last = 0
    for found in _MENTION.finditer(text):
        if found.start() > last:
            elements.append({"type": "text", "text": text[last : found.start()]})
        elements.append({"type": "user", "user_id": found.group(1)})
        last = found.end()
    if last < len(text):
        elements.append({"type": "text", "text": text[last:]})
    return [
        {
            "type": "rich_text",
            "block_id": secrets.token_hex(3),
            "elements": [{"type": "rich_text_section", "elements": elements}],
        }
    ]
