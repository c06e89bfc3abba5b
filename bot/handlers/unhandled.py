"""Acknowledge anything no other listener took, so Slack shows no error and does not retry:
for example a button on an old message whose feature has since changed."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App

if TYPE_CHECKING:
    from bot.app import MentorApp

logger = logging.getLogger(__name__)


def register(app: App, mentor: MentorApp) -> None:
    @app.action(re.compile(".*"))
    def any_action(ack: Ack, action: dict[str, Any]) -> None:
        ack()
        logger.info("no handler for action %s; acknowledged", action.get("action_id"))

    @app.view_submission(re.compile(".*"))
    def any_submission(ack: Ack, view: dict[str, Any]) -> None:
        ack()
        logger.info("no handler for view %s; acknowledged", view.get("callback_id"))

    @app.view_closed(re.compile(".*"))
    def any_close(ack: Ack) -> None:
        ack()
