"""Slack listeners, grouped by feature. Each module has one `register(app, mentor)`.

Handlers are thin: they parse the request, acknowledge it, and hand over to a flow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_bolt import App

from bot.handlers import commands, faq, home, lifecycle, matching, messages, onboarding, unhandled
from bot.handlers import coordination as coordinator
from bot.handlers import relationships as relationship
from bot.handlers import self_service as everyone

if TYPE_CHECKING:
    from bot.app import MentorApp

# `unhandled` goes last: it acknowledges whatever no other listener took.
# `everyone` and `coordinator` come after `commands` (they add to its subcommand table,
# `help` included).
MODULES = (
    onboarding,
    home,
    messages,
    commands,
    faq,
    matching,
    everyone,
    coordinator,
    lifecycle,
    relationship,
    unhandled,
)


def register(app: App, mentor: MentorApp) -> None:
    """Register every feature's listeners on `app`; the flows they hand over to are
    `mentor.flows`, built by `bot.app.create_app`."""
    for module in MODULES:
        module.register(app, mentor)
