"""Typed callbacks between features: the events one feature's flow announces and other
features react to, without the announcing flow knowing who listens.

Why not hand the flows to each other: the features call each other in a circle (onboarding
confirms a profile -> matching pairs two people -> relationships invites the pair -> its
changes redraw the Home tab that onboarding draws, with a section from each feature). A flow
that only *uses* another gets it in its constructor (see `bot.app.Flows`); the events of that
circle, and the Home tab's sections and the unclaimed-DM handlers that several features add
to, go through here instead. `bot.app.build_flows` subscribes every flow in one place; tests
may subscribe more to watch an event.

Each announcement runs every subscriber and logs (never raises) when one fails, so a broken
feature cannot stop the one announcing. `dm` and `aside` differ: they stop at the first
handler that claims the message (`dm` lets a failure through to the listener)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient

logger = logging.getLogger(__name__)

ProfileConfirmed = Callable[[WebClient, str, str, int | None], None]
HomeSection = Callable[[str, str], list[dict[str, Any]]]
# (team_id, user_id, program_id): blocks for one program's part of the Home tab of someone
# who takes part in several programs
ProgramHomeSection = Callable[[str, str, int], list[dict[str, Any]]]
DmHandler = Callable[[WebClient, str, str, str], bool]
# (client, team_id, pair_id): a pair was created (the matching flow calls it after accepting)
PairCreated = Callable[[WebClient, str, int], None]
# (client, team_id, request_ids): requests closed by someone leaving; their messages must close
RequestsWithdrawn = Callable[[WebClient, str, list[int]], None]
# (client, team_id, mentee_user_id, program_id): a mentee whose pair ended asks for a new mentor
RematchRequested = Callable[[WebClient, str, str, int], None]


class Hooks:
    def __init__(self) -> None:
        self._profile_confirmed: list[ProfileConfirmed] = []
        self._home_sections: list[HomeSection] = []
        self._program_home_sections: list[ProgramHomeSection] = []
        self._dm_handlers: list[DmHandler] = []
        self._asides: list[DmHandler] = []
        self._pair_created: list[PairCreated] = []
        self._rematch_requested: list[RematchRequested] = []
        self._requests_withdrawn: list[RequestsWithdrawn] = []

    def on_profile_confirmed(self, fn: ProfileConfirmed) -> ProfileConfirmed:
        self._profile_confirmed.append(fn)
        return fn

    def on_home_section(self, fn: HomeSection) -> HomeSection:
        self._home_sections.append(fn)
        return fn

    def on_program_home_section(self, fn: ProgramHomeSection) -> ProgramHomeSection:
        """Blocks shown under one program's section of the Home tab, for someone in several
        programs (someone in one program sees `on_home_section` blocks only)."""
        self._program_home_sections.append(fn)
        return fn

    def on_dm(self, fn: DmHandler) -> DmHandler:
        """A handler for DMs that no running conversation claimed. Return True if handled."""
        self._dm_handlers.append(fn)
        return fn

    def on_aside(self, fn: DmHandler) -> DmHandler:
        """A handler for text typed while a conversation waits for a button: it may answer
        it on the side (for example a confident FAQ answer). Return True if it did."""
        self._asides.append(fn)
        return fn

    def aside(self, client: WebClient, team_id: str, user_id: str, text: str) -> bool:
        for fn in self._asides:
            try:
                if fn(client, team_id, user_id, text):
                    return True
            except Exception:
                logger.exception("an aside handler failed for %s", user_id)
        return False

    def profile_confirmed(
        self, client: WebClient, team_id: str, user_id: str, program_id: int | None = None
    ) -> None:
        """A profile was confirmed in `program_id` (None: the workspace's default program)."""
        for fn in self._profile_confirmed:
            try:
                fn(client, team_id, user_id, program_id)
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

    def program_home_sections(
        self, team_id: str, user_id: str, program_id: int
    ) -> list[dict[str, Any]]:
        blocks: list[dict[str, Any]] = []
        for fn in self._program_home_sections:
            try:
                blocks += fn(team_id, user_id, program_id)
            except Exception:
                logger.exception("a program home-section hook failed for %s", user_id)
        return blocks

    def dm(self, client: WebClient, team_id: str, user_id: str, text: str) -> bool:
        return any(fn(client, team_id, user_id, text) for fn in self._dm_handlers)

    # --- mentoring relationships -------------------------------------------------------------
    def on_pair_created(self, fn: PairCreated) -> PairCreated:
        """Called after a pair is created: the relationship flow invites both to set up their
        learning agreement. The matching flow calls `pair_created` once the pair committed."""
        self._pair_created.append(fn)
        return fn

    def on_rematch_requested(self, fn: RematchRequested) -> RematchRequested:
        """Called when the mentee of an ended pair asks for a new mentor (also recorded as an
        open `rematch_requests` row, so matching can pick it up later too)."""
        self._rematch_requested.append(fn)
        return fn

    def on_requests_withdrawn(self, fn: RequestsWithdrawn) -> RequestsWithdrawn:
        """Called after someone leaves with mentor requests pending: the matching flow closes
        the mentors' request messages in place (no live Accept / Decline left behind)."""
        self._requests_withdrawn.append(fn)
        return fn

    def requests_withdrawn(self, client: WebClient, team_id: str, request_ids: list[int]) -> None:
        for fn in self._requests_withdrawn:
            try:
                fn(client, team_id, request_ids)
            except Exception:
                logger.exception("a requests-withdrawn hook failed")

    def pair_created(self, client: WebClient, team_id: str, pair_id: int) -> None:
        for fn in self._pair_created:
            try:
                fn(client, team_id, pair_id)
            except Exception:
                logger.exception("a pair-created hook failed for pair %s", pair_id)

    def rematch_requested(
        self, client: WebClient, team_id: str, user_id: str, program_id: int
    ) -> bool:
        """Returns True if any feature took the request up."""
        for fn in self._rematch_requested:
            try:
                fn(client, team_id, user_id, program_id)
            except Exception:
                logger.exception("a rematch hook failed for %s", user_id)
        return bool(self._rematch_requested)
