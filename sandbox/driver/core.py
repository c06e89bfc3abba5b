"""The driver a test holds: every kind of request Slack makes, in one class."""

from __future__ import annotations

from .commands import SlashCommands
from .events import EventSender
from .modals import ModalActions

__all__ = ["SlackDriver"]


class SlackDriver(ModalActions, SlashCommands, EventSender):
    """Send Slack-shaped, signed requests to the app at ``events_url``.

    Args:
        events_url: where Slack posts events (Bolt HTTP mode: ``.../slack/events``).
        signing_secret: the app's signing secret.
        fake: the FakeSlack the app talks to (the source of users, channels, messages, views,
            trigger ids and response_urls).
        after_request: called after every request, e.g. ``TrackingExecutor.wait_idle`` or
            ``bot.platform.executor.TrackedExecutor.wait_idle``; returning ``False`` (a timed-out wait)
            raises AssertionError.
        clock_ts: epoch seconds for ``X-Slack-Request-Timestamp`` (default: real time; Bolt
            rejects timestamps more than 5 minutes off).
        commands_url / interactivity_url: if the app uses other URLs than ``events_url``.
        api_app_id: default ``fake.app_id``.
        check_manifest: refuse to send events / commands / interactions Slack would not send
            to this app because the manifest does not subscribe to / declare / enable them.
    """
