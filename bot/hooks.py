"""Extension points between features, so one feature's flow can let others react without
importing them (for example: a confirmed profile lets matching send a shortlist)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient

logger = logging.getLogger(__name__)

ProfileConfirmed = Callable[[WebClient, str, str], None]
HomeSection = Callable[[str, str], list[dict[str, Any]]]
DmHandler = Callable[[WebClient, str, str, str], bool]


class Hooks:
    def __init__(self) -> None:
        self._profile_confirmed: list[ProfileConfirmed] = []
        self._home_sections: list[HomeSection] = []
        self._dm_handlers: list[DmHandler] = []

    def on_profile_confirmed(self, fn: ProfileConfirmed) -> ProfileConfirmed:
        self._profile_confirmed.append(fn)
        return fn

    def on_home_section(self, fn: HomeSection) -> HomeSection:
        self._home_sections.append(fn)
        return fn

    def on_dm(self, fn: DmHandler) -> DmHandler:
        """A handler for DMs that no running conversation claimed. Return True if handled."""
        self._dm_handlers.append(fn)
        return fn

    def profile_confirmed(self, client: WebClient, team_id: str, user_id: str) -> None:
        for fn in self._profile_confirmed:
            try:
                fn(client, team_id, user_id)
            except Exception:
                logger.exception("a profile-confirmed hook failed for %s", user_id)

    def home_sections(self, team_id: str, user_id: str) -> list[dict[str, Any]]:
        blocks: list[dict[str, Any]] = []
        for fn in self._home_sections:
            try:
                blocks += fn(team_id, user_id)
            except Exception:
                logger.exception("a home-section hook failed for %s", user_id)
        return blocks

    def dm(self, client: WebClient, team_id: str, user_id: str, text: str) -> bool:
        return any(fn(client, team_id, user_id, text) for fn in self._dm_handlers)
