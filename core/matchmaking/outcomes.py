"""The plain data the matching use cases return to the Slack layer, and their shared
constants and errors: who someone is (:class:`PersonRef`), a shortlist and why there is none,
what a request or an answer did, a reminder that is due, a coordinator's preview. No ORM
objects leave the use cases; these do."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from core.matching import MatchResult, WorkEstimate
from core.programs.service import default_settings
from core.programs.settings import ProgramSettings

SHORTLIST_OPEN = "open"
SHORTLIST_CLOSED = "closed"

EXCLUDED_NONE_SUIT = "none_suit"
EXCLUDED_DECLINED = "declined"
EXCLUDED_EXPIRED = "expired"

NONE_SUIT_REASONS = ("goals", "practical", "known", "other")
DECLINE_REASON_MAX_CHARS = 500
NONE_SUIT_TEXT_MAX_CHARS = 500

# Goal priority (1 top, 2 important, 3 nice to have) -> weight in developmental fit.
PRIORITY_WEIGHTS = {1: 3.0, 2: 2.0, 3: 1.0}


class MatchingError(ValueError):
    """The data cannot be matched as it is (for example a reporting cycle). Clear message."""


# Program setting: the memory one matching run may use (MB); see docs/matching.md.
MEMORY_LIMIT_SETTING = "matching_max_memory_mb"
_NO_MEMORY_LIMIT = 10_000_000


class MatchingTooLarge(MatchingError):
    """A program too large to match in one run within its memory limit. Nothing was run."""

    def __init__(self, program: str, estimate: WorkEstimate, limit_mb: int) -> None:
        self.estimate = estimate
        self.limit_mb = limit_mb
        super().__init__(
            f"program '{program}' is too large to match in one run: "
            f"{estimate.mentees:,} waiting mentees x {estimate.mentors_with_room:,} mentors "
            f"with room would need about {estimate.memory_mb:,} MB of memory (limit "
            f"{limit_mb:,} MB). Split it into smaller programs (for example per department or "
            f"region), or, if the server has the memory, raise the program setting "
            f"{MEMORY_LIMIT_SETTING} (for a preview: --max-memory-mb)."
        )


# Why a mentee gets no new shortlist because they are not waiting for a mentor.
NOT_WAITING = ("pending_request", "paired")

# --------------------------------------------------------------------------------------------
# Plain results for the Slack layer
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonRef:
    participation_id: int
    user_id: str
    name: str
    title: str | None = None


@dataclass(frozen=True)
class GoalInfo:
    name: str
    success: str | None = None


@dataclass(frozen=True)
class MessageRef:
    channel: str
    ts: str


@dataclass(frozen=True)
class ShortlistCandidate:
    mentor: PersonRef
    score: float
    reasons: tuple[str, ...]


@dataclass
class ShortlistOutcome:
    """A mentee's new shortlist, or why they have none this time."""

    team_id: str
    program_id: int
    mentee: PersonRef
    shortlist_id: int | None
    candidates: tuple[ShortlistCandidate, ...] = ()
    unmatched_code: str | None = None
    unmatched_reason: str | None = None
    # Older open shortlist messages this one replaces (to be marked as replaced in Slack).
    superseded: tuple[MessageRef, ...] = ()
    settings: ProgramSettings = field(default_factory=default_settings)

    @property
    def has_candidates(self) -> bool:
        return self.shortlist_id is not None and bool(self.candidates)

    @property
    def for_mentee(self) -> bool:
        """Whether the mentee is told about it: not when they have already asked a mentor or
        have one (then there is no list and nothing new to say)."""
        return self.unmatched_code not in NOT_WAITING


RequestStatus = Literal[
    "ok",
    "taken",
    "unavailable",
    "already_pending",
    "already_sent",  # "already_pending" with the very mentor asked again: a double click
    "already_paired",
    "stale",
    "not_yours",
]


@dataclass
class RequestOutcome:
    status: RequestStatus
    mentee: PersonRef | None = None
    mentor: PersonRef | None = None
    request_id: int | None = None
    goals: tuple[GoalInfo, ...] = ()
    expires_at: datetime | None = None
    shortlist_message: MessageRef | None = None
    # "taken" / "unavailable": the alternatives offered instead.
    next: ShortlistOutcome | None = None
    # "already_pending": the mentor already asked.
    pending_with: PersonRef | None = None
    settings: ProgramSettings = field(default_factory=default_settings)


AnswerStatus = Literal[
    "pending",
    "accepted",
    "declined",
    "expired",
    "cancelled",
    "already_answered",
    "overdue",
    "not_yours",
    "missing",
]


@dataclass
class AnswerOutcome:
    """What happened to a request: answered now, or why nothing changed."""

    status: AnswerStatus
    request_id: int | None = None
    team_id: str = ""  # the request's workspace ("" when there is no such request)
    current_status: str | None = None  # the request's status afterwards
    mentee: PersonRef | None = None
    mentor: PersonRef | None = None
    goals: tuple[GoalInfo, ...] = ()
    pair_id: int | None = None
    expires_at: datetime | None = None
    mentor_messages: tuple[MessageRef, ...] = ()
    next: ShortlistOutcome | None = None
    settings: ProgramSettings = field(default_factory=default_settings)

    @property
    def changed(self) -> bool:
        return self.status in ("accepted", "declined", "expired", "cancelled")


@dataclass
class NoneSuitOutcome:
    status: Literal["ok", "stale", "not_yours"]
    mentee: PersonRef | None = None
    shortlist_message: MessageRef | None = None
    excluded: int = 0
    next: ShortlistOutcome | None = None
    settings: ProgramSettings = field(default_factory=default_settings)


@dataclass(frozen=True)
class ReminderDue:
    request_id: int
    mentee: PersonRef
    mentor: PersonRef
    goals: tuple[GoalInfo, ...]
    created_at: datetime
    expires_at: datetime
    settings: ProgramSettings
    team_id: str = ""  # the request's workspace


@dataclass
class PreviewResult:
    """A whole-program matching run, with the people behind the ids (nothing stored)."""

    team_id: str
    program: str
    result: MatchResult
    people: dict[str, PersonRef]  # slack user id -> person

    def to_json(self) -> dict[str, Any]:
        """The `match preview --json` shape."""
        shortlists = [
            {
                "mentee": mentee,
                "candidates": [
                    {
                        "mentor": c.mentor_id,
                        "score": c.score,
                        "reasons": [r.text for r in c.reasons],
                    }
                    for c in cands
                ],
            }
            for mentee, cands in sorted(self.result.shortlists.items())
        ]
        unmatched = [
            {"mentee": u.mentee_id, "reason": u.reason}
            for u in sorted(self.result.unmatched, key=lambda u: u.mentee_id)
        ]
        stats = dict(self.result.stats)
        stats.update(team_id=self.team_id, program=self.program)
        return {"shortlists": shortlists, "unmatched": unmatched, "stats": stats}
