"""Pieces every part of the fake Slack shares: the failure a method answers with, the short-lived
records it keeps (injected faults, trigger ids, response_urls) and small value helpers."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any


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
class Fault:
    """An answer queued by ``fail_next`` / ``rate_limit_next`` for the next matching calls."""

    method: str
    error: str
    times: int
    match: Callable[[dict[str, Any]], bool] | None
    status: int = 200
    retry_after: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Trigger:
    """A trigger id the fake issued: whose it is, until when, and whether it was used."""

    user_id: str | None
    expires: float  # FakeSlack.monotonic()
    used: bool = False


@dataclass
class ResponseUrl:
    """A response_url the fake issued: where it posts and how often it still may."""

    channel: str
    user_id: str | None
    message_ts: str | None
    expires: float  # FakeSlack.monotonic()
    uses_left: int


def truthy(value: Any) -> bool:
    """Slack's reading of a boolean argument (form bodies send strings)."""
    return (
        value is True or value == 1 or (isinstance(value, str) and value.lower() in ("true", "1"))
    )


def record_fields(record: Any) -> dict[str, Any]:
    """A dataclass instance's fields, not copied."""
    return {f.name: getattr(record, f.name) for f in fields(record)}


def ts_key(ts: str) -> tuple[int, int]:
    seconds, _, micros = ts.partition(".")
    return int(seconds), int(micros or 0)


def stable_id(prefix: str, *parts: str) -> str:
    digest = hashlib.sha1("|".join(parts).encode()).digest()
    return prefix + base64.b32encode(digest).decode()[:10]


def split_ids(value: Any) -> list[str]:
    """Ids from a comma-separated string or a list, each once, in order."""
    if value is None:
        return []
    items = value if isinstance(value, list) else str(value).split(",")
    out: list[str] = []
    for item in items:
        item = str(item).strip()
        if item and item not in out:
            out.append(item)
    return out
