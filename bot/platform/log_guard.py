"""Logging that is safe by construction, whatever level the root logger is set to.

At DEBUG, `slack_sdk` logs every Web API request and response body (message text, so goal
text typed back to a person), Bolt logs listener payloads, and SQLAlchemy logs SQL parameters
(the values written to the database). None of that may reach a log. The app therefore pins
those loggers to INFO or above when it is created (`install`), and adds a filter to them that
drops any record that still carries a request or response body. The app's own loggers log ids
only (never names or free text); `bot.platform.logs.RedactingFilter` remains the last line of defence
for tokens.
"""

from __future__ import annotations

import logging

from bot.platform.logs import TOKEN_PATTERN

# logger name -> the lowest level it may log at
PINNED_LEVELS = {
    "slack_sdk": logging.INFO,
    "slack_bolt": logging.INFO,
    "sqlalchemy": logging.WARNING,
    "urllib3": logging.INFO,
    "httpx": logging.INFO,
    "httpcore": logging.INFO,
    "apscheduler": logging.INFO,
}
# What the body-logging records of slack_sdk and Bolt start with.
BODY_MARKERS = ("Sending a request", "Received the following response", "body_params", "json_body")


class DropBodies(logging.Filter):
    """Drop records that carry a Web API body, and records that carry a token."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: drop it rather than guess
            return False
        if any(marker in message for marker in BODY_MARKERS):
            return False
        return TOKEN_PATTERN.search(message) is None


_FILTER = DropBodies()


def install() -> None:
    """Pin the noisy libraries' loggers (idempotent)."""
    for name, floor in PINNED_LEVELS.items():
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET or logger.level < floor:
            logger.setLevel(floor)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
    for name in ("slack_sdk.web.base_client", "slack_bolt.App", "slack_sdk.web"):
        logger = logging.getLogger(name)
        if logger.level != logging.NOTSET and logger.level < logging.INFO:
            logger.setLevel(logging.INFO)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
