"""A thread pool for Bolt's listeners that can wait until all their work is done."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

from bot.platform.executor import TrackedExecutor


class TrackingExecutor(TrackedExecutor):
    """A thread pool that knows when all submitted work is done (the bot's own, counting its
    work in flight) and keeps the exceptions escaping a task in ``errors``.

    Give it to Bolt as ``App(listener_executor=executor)`` and pass ``executor.wait_idle`` as
    the driver's ``after_request``.
    """

    def __init__(self, max_workers: int | None = 5, thread_name_prefix: str = "") -> None:
        super().__init__(max_workers, thread_name_prefix=thread_name_prefix)
        self.errors: list[BaseException] = []

    def _done(self, future: Future[Any] | None) -> None:
        if future is not None and not future.cancelled():
            exc = future.exception()
            if exc is not None:
                self.errors.append(exc)
        super()._done(future)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until no task is queued or running (tasks may submit more tasks); a wait that
        times out raises TimeoutError, so this only ever returns True."""
        if not super().wait_idle(timeout):
            raise TimeoutError(f"{self.pending} listener task(s) still running")
        return True
