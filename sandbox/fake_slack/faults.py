"""Error injection: answer chosen calls with an error Slack documents, or with a rate limit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .common import Fault
from .state import WorkspaceState


class FaultInjection(WorkspaceState):
    """Faults that tests queue with :meth:`fail_next` and :meth:`rate_limit_next`."""

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
            self._faults.append(Fault(method, error, times, match, status, None, dict(fields)))

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
            self._faults.append(Fault(method, "ratelimited", times, match, 429, int(retry_after)))

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

    def _take_fault(self, method: str, args: dict[str, Any]) -> Fault | None:
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
