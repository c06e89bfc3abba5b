"""Keeps the sandbox's Slack workspace in the sandbox's database, so a restart shows the same
conversations.

The fake Slack keeps everything in memory (the tests want exactly that). The sandbox saves
what its page shows, `FakeSlack.export_state()` (conversations and their messages with edits,
deletions and ephemeral answers, Home tabs, open modals, files) plus who has seen what, into a
table of its own in its SQLite file, and loads it back when it starts. The table belongs to the
sandbox alone: it is not in the bot's models or migrations, and it goes with the file when the
sandbox is reset. Tokens, the signing secret, trigger ids and response_urls are never saved.

One row a record (a conversation, a message, a view, a file, ...), so a save writes only what
changed since the last one. Saves run on a background thread shortly after the fake reports a
change, and once more on `stop()`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

TABLE = "sandbox_slack"
SETTLE_SECONDS = 0.2  # wait this long after a change, so one save covers a burst of calls
_LISTS = {"channels": "id", "messages": None, "views": "id", "files": "id"}

Records = dict[tuple[str, str], str]


def to_records(snapshot: dict[str, Any]) -> Records:
    """Split a snapshot into rows: one per item of its lists, one for the rest of each part."""
    records: Records = {}
    for part, data in snapshot.items():
        rest = dict(data)
        for name, key in _LISTS.items():
            if name not in rest:
                continue
            for item in rest[name]:
                ident = item[key] if key else f"{item['channel']} {item['ts']}"
                records[(f"{part}.{name}", ident)] = _dump(item)
            rest[name] = []  # its items are rows of their own
        records[(part, "")] = _dump(rest)
    return records


def from_records(records: Records) -> dict[str, Any]:
    """The snapshot `to_records` split (list items in the order of their keys)."""
    snapshot: dict[str, Any] = {}
    for (kind, _ident), text in sorted(records.items()):
        part, _, name = kind.partition(".")
        if name:
            snapshot.setdefault(part, {}).setdefault(name, []).append(json.loads(text))
        else:
            snapshot.setdefault(part, {}).update(json.loads(text))
    return snapshot


def _dump(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


class SlackStore:
    """Saves `snapshot()` (a dict of JSON-ready dicts) into `path`, and loads it back.

    Call `changed()` whenever the snapshot may differ (it only wakes the saver thread), and
    `paused()` around deleting the file so that no save races it.
    """

    def __init__(self, path: Path, snapshot: Callable[[], dict[str, Any]]) -> None:
        self.path = path
        self._snapshot = snapshot
        self._written: Records = {}
        self._lock = threading.RLock()  # one save (or load, or pause) at a time
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # --- reading ---------------------------------------------------------------------------
    def load(self) -> dict[str, Any] | None:
        """What was saved in `path`, or None when nothing was."""
        with self._lock:
            self._written = {}
            if not self.path.exists():
                return None
            with self._connect() as conn:
                exists = conn.execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (TABLE,)
                ).fetchone()
                if not exists:
                    return None
                rows = conn.execute(f"SELECT kind, ident, data FROM {TABLE}").fetchall()
            self._written = {(kind, ident): data for kind, ident, data in rows}
            return from_records(self._written) if rows else None

    # --- writing ---------------------------------------------------------------------------
    def save(self) -> int:
        """Write what changed since the last save; returns how many rows were written."""
        with self._lock:
            records = to_records(self._snapshot())
            upserts = [
                (kind, ident, data)
                for (kind, ident), data in records.items()
                if self._written.get((kind, ident)) != data
            ]
            gone = [key for key in self._written if key not in records]
            if not upserts and not gone:
                return 0
            with self._connect() as conn:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute(
                    f"CREATE TABLE IF NOT EXISTS {TABLE} (kind TEXT NOT NULL, ident TEXT NOT NULL,"
                    " data TEXT NOT NULL, PRIMARY KEY (kind, ident))"
                )
                conn.executemany(
                    f"INSERT INTO {TABLE} (kind, ident, data) VALUES (?, ?, ?) "
                    "ON CONFLICT (kind, ident) DO UPDATE SET data = excluded.data",
                    upserts,
                )
                conn.executemany(f"DELETE FROM {TABLE} WHERE kind = ? AND ident = ?", gone)
                conn.execute("COMMIT")
            self._written = records
            return len(upserts) + len(gone)

    def changed(self) -> None:
        self._wake.set()

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """No save runs inside, and the next one writes everything again (for when the file is
        deleted inside)."""
        with self._lock:
            self._written = {}
            yield

    # --- the saver thread ------------------------------------------------------------------
    def start(self) -> SlackStore:
        if self._thread is None:
            self._stopping.clear()
            self._thread = threading.Thread(target=self._run, name="sandbox-slack-saver")
            self._thread.daemon = True
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the saver thread, then save what is left."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stopping.set()
            self._wake.set()
            thread.join()
        self._save_logged()

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait()
            if self._stopping.wait(SETTLE_SECONDS):
                return  # stop() saves
            self._wake.clear()
            self._save_logged()

    def _save_logged(self) -> None:
        try:
            self.save()
        except (sqlite3.Error, OSError) as exc:  # keep serving; the next change tries again
            logger.warning("could not save the sandbox's Slack conversations: %s", exc)

    def _connect(self) -> contextlib.closing[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, timeout=15, isolation_level=None)
        return contextlib.closing(conn)
