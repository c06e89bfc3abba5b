"""What the sandbox reports: to the person using the page, or to whoever starts it."""

from __future__ import annotations


class SandboxError(Exception):
    """Something the person using the page did that Slack would not allow (shown to them)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class SandboxStartError(RuntimeError):
    """The sandbox could not start; the message says what to do."""
