"""What the sandbox reports: to the person using the page, or to whoever starts it."""

from __future__ import annotations

import re


class SandboxError(Exception):
    """Something the person using the page did that Slack would not allow (shown to them)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class SandboxStartError(RuntimeError):
    """The sandbox could not start; the message says what to do."""


#: What the Slack stand-in refuses, as a person would put it: (pattern in the driver's
#: explanation, HTTP status, what the page shows). The driver's own text names action ids and
#: user ids: it is logged, never shown.
_PLAIN: tuple[tuple[str, int, str], ...] = (
    (
        r"sees no (button|menu|element|select|overflow|checkbox|radio|date|time|input)",
        409,
        "That button is no longer there — the message was already answered.",
    ),
    (r"does not exist \(or was deleted\)", 409, "That message is gone."),
    (r"view .* is not open|has no modal open", 409, "That window is already closed."),
    (r"max_length", 400, "That is longer than this field allows: please shorten it."),
    (r"min_length", 400, "That is shorter than this field needs: please add a little more."),
    (r"is not a number|decimals are not allowed", 400, "Please type a whole number here."),
    (r"min_value|max_value", 400, "That number is outside what this field allows."),
    (r"not an email address", 400, "Please type an email address here."),
    (r"is not YYYY-MM-DD", 400, "Please pick a date."),
    (r"at most \d+ selections", 400, "That is more choices than this field allows."),
    (
        r"declares no '(/[^']*)' command",
        400,
        "This workspace has no {0} command. Try /mentoring help.",
    ),
)
_FALLBACK = "That did not work. Try again, or reset the sandbox if it keeps happening."


def plain_error(detail: str) -> SandboxError:
    """The driver's developer explanation of a refused action, as a person would read it."""
    for pattern, status, text in _PLAIN:
        found = re.search(pattern, detail)
        if found is not None:
            groups = [g for g in found.groups() if g and g.startswith("/")]
            return SandboxError(text.format(*groups), status)
    return SandboxError(_FALLBACK)
