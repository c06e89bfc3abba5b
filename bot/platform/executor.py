"""The thread pools that run work after Slack has been answered.

`TrackedExecutor` is Bolt's listener executor: it runs listeners (and so acknowledges
requests) and must never be kept busy by long work. `JobQueue` is a second, bounded pool for
long work a request sets off (match-run DMs, exports, invitations, announcements): when it is
full, `submit` refuses at once (`JobQueueFull`) and the person is told to try again shortly.

Both count the work in flight so that a caller (the sandbox UI, the test driver) can wait until
everything a request set off has finished. Each piece of work runs in a copy of the submitter's
context variables (as `asyncio.to_thread` does), so a listener or a job still knows which
interaction its request is (`core.kernel.interactions`).
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from core.kernel.db import patience


class JobQueueFull(RuntimeError):
    """The job queue holds as many jobs as it may: try again shortly."""


class TrackedExecutor(ThreadPoolExecutor):
    def __init__(
        self,
        max_workers: int | None = 8,
        *,
        thread_name_prefix: str = "listener",
        wait_ms: int | None = None,
    ) -> None:
        """`wait_ms`: how long each task's database transactions may wait for a lock
        (`core.kernel.db.patience`); None keeps the default waits."""
        super().__init__(max_workers=max_workers, thread_name_prefix=thread_name_prefix)
        self._pending = 0
        self._idle = threading.Condition()
        self._wait_ms = wait_ms

    def _admit(self) -> None:
        """Count one more task in flight (under `self._idle`)."""
        self._pending += 1

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        with self._idle:
            self._admit()
        try:
            future = super().submit(contextvars.copy_context().run, self._run, fn, *args, **kwargs)
        except BaseException:
            self._done(None)
            raise
        future.add_done_callback(self._done)
        return future

    def _run(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        if self._wait_ms is None:
            return fn(*args, **kwargs)
        with patience(self._wait_ms):
            return fn(*args, **kwargs)

    def _done(self, _future: Future[Any] | None) -> None:
        with self._idle:
            self._pending -= 1
            if self._pending == 0:
                self._idle.notify_all()

    @property
    def pending(self) -> int:
        with self._idle:
            return self._pending

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until no work is queued or running. False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout=timeout)


class JobQueue(TrackedExecutor):
    """Long work, on workers of its own, with at most `max_queued` jobs waiting for one."""

    def __init__(
        self, max_workers: int = 4, *, max_queued: int = 16, thread_name_prefix: str = "job"
    ) -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix=thread_name_prefix)
        self.workers = max_workers
        self.capacity = max_workers + max_queued

    def _admit(self) -> None:
        if self._pending >= self.capacity:
            raise JobQueueFull(f"{self._pending} jobs queued or running")
        super()._admit()
