"""When the Slack client may send a Web API call again, and when it must not.

The rule: a call is repeated only when repeating it cannot make Slack act twice.

- HTTP 429 (every method): Slack did not act on the call, so it is sent again after
  Retry-After, as long as the waits of one call add up to at most `RATE_LIMIT_BUDGET`
  seconds (less where the caller says so, see `rate_limit_budget`); beyond that the 429 is
  raised and the caller decides (the deliverer puts the message back in the ledger).
- A connection error (reset, refused, a timeout): Slack may or may not have acted. Only
  calls that read, or that set state to the same value again, are repeated (`IDEMPOTENT`):
  `*.info`, `*.list`, `*.history`, `*.replies`, `*.members`, `auth.test`, lookups, and
  `views.publish`, `views.update`, `chat.update`, `conversations.open`. Everything else
  (chat.postMessage, chat.postEphemeral, views.open, files.*, ...) is sent once: a
  timeout there is reported to the caller, never turned into a second message.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.client import RemoteDisconnected
from urllib.error import URLError

from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

RATE_LIMIT_BUDGET = 30.0  # seconds one call may spend waiting out 429s
CONNECTION_RETRIES = 2

READ_SUFFIXES = frozenset(
    {"info", "list", "history", "replies", "members", "test", "lookupByEmail", "get"}
)
IDEMPOTENT_WRITES = frozenset(
    {"views.publish", "views.update", "chat.update", "conversations.open"}
)
CONNECTION_ERRORS = (URLError, ConnectionError, RemoteDisconnected, TimeoutError)

_budget: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "mentorbot_rate_limit_budget", default=None
)


def method_of(url: str) -> str:
    """`https://slack.com/api/chat.postMessage?x=1` -> `chat.postMessage`."""
    return url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]


def is_idempotent(method: str) -> bool:
    """May this Web API method be sent again after a connection error?"""
    return method in IDEMPOTENT_WRITES or method.rsplit(".", 1)[-1] in READ_SUFFIXES


@contextmanager
def rate_limit_budget(seconds: float) -> Iterator[None]:
    """Calls made inside wait out 429s for at most `seconds` in all (0: not at all)."""
    token = _budget.set(max(0.0, seconds))
    try:
        yield
    finally:
        _budget.reset(token)


def _retry_after(response: HttpResponse) -> float:
    for key, values in response.headers.items():
        if key.lower() == "retry-after":
            value = values[0] if isinstance(values, list) and values else values
            try:
                return max(0.0, float(value))  # type: ignore[arg-type]
            except (TypeError, ValueError):
                break
    return 1.0


class SafeRetryHandler(RetryHandler):
    """429s waited out (bounded) for every method; connection errors retried for idempotent
    methods only. `sleep` is injectable (tests record the waits instead of sleeping)."""

    def __init__(
        self,
        *,
        budget: float = RATE_LIMIT_BUDGET,
        connection_retries: int = CONNECTION_RETRIES,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(max_retry_count=1_000)  # bounded by the budget and the counts below
        self.budget = budget
        self.connection_retries = connection_retries
        self.sleep = sleep

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        values = state.custom_values if state.custom_values is not None else {}
        state.custom_values = values
        if response is not None and response.status_code == 429:
            limit = _budget.get()
            budget = self.budget if limit is None else min(limit, self.budget)
            wait = _retry_after(response)
            if values.get("waited", 0.0) + wait > budget:
                return False
            values["wait"] = wait
            return True
        if error is None or response is not None or not isinstance(error, CONNECTION_ERRORS):
            return False
        if not is_idempotent(method_of(request.url)):
            return False
        if values.get("reconnects", 0) >= self.connection_retries:
            return False
        values["wait"] = 0.5 * (values.get("reconnects", 0) + 1)
        values["reconnects"] = values.get("reconnects", 0) + 1
        return True

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        values = state.custom_values or {}
        wait = float(values.pop("wait", 0.0))
        if response is not None:
            values["waited"] = values.get("waited", 0.0) + wait
        state.next_attempt_requested = True
        if wait > 0:
            self.sleep(wait)
        state.increment_current_attempt()
