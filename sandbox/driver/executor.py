"""A thread pool for Bolt's listeners that can wait until all their work is done."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any


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
