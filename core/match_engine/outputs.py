"""What a matching run returns: reasons, candidates, unmatched mentees and the whole result.

Owns the stable reason codes (:data:`CANDIDATE_REASON_CODES`, :data:`UNMATCHED_REASON_CODES`)
and the frozen result types with their JSON-ready ``to_dict``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

CANDIDATE_REASON_CODES: frozenset[str] = frozenset(
    {
        "covers_goals",
        "misses_goals",
        "same_timezone",
        "tz_ahead",
        "tz_behind",
        "same_language",
        "no_shared_language",
        "meeting_format",
        "same_location",
        "different_location",
        "same_department",
        "other_department",
    }
)
UNMATCHED_REASON_CODES: frozenset[str] = frozenset(
    {
        "no_goals",
        "no_mentor_covers_goals",
        "only_reporting_line",
        "all_ruled_out",
        "no_capacity",
        "exposure_limit",
    }
)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, tuple | list | frozenset | set):
        return [_jsonable(v) for v in value]
    return value


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a candidate was suggested (or why a mentee got none).

    ``code`` is stable (see :data:`CANDIDATE_REASON_CODES`), ``params`` are plain values for the
    template, ``text`` is the rendered English ("" until rendered, see :func:`render_result`).
    Texts are plain, not escaped for mrkdwn: escape them where they enter a Slack message.
    """

    code: str
    params: Mapping[str, Any] = field(default_factory=dict, hash=False)
    text: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "params": _jsonable(self.params), "text": self.text}


@dataclass(frozen=True, slots=True)
class Candidate:
    """One suggested mentor.

    - ``developmental_fit`` in [0, 1]: share of the mentee's (weighted) goals the mentor covers.
    - ``practical_fit`` in [0, 1]: practical points / 1000 (working hours 40 %, language 30 %,
      meeting format 20 %, department 10 %).
    - ``tier`` = floor(developmental_fit / close_band): the developmental band.
    - ``score`` = (tier + practical_points / 1001) / number_of_tiers, in [0, 1), where
      number_of_tiers = floor(1 / close_band) + 1. Ordering by score is lexicographic: a higher
      band always wins, practical fit only orders candidates within a band.
    - ``goals_covered``: covered goal ids in the mentee's priority order.
    """

    mentor_id: str
    score: float
    developmental_fit: float
    practical_fit: float
    reasons: tuple[Reason, ...]
    tier: int = 0
    goals_covered: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "mentor_id": self.mentor_id,
            "score": self.score,
            "developmental_fit": self.developmental_fit,
            "practical_fit": self.practical_fit,
            "tier": self.tier,
            "goals_covered": list(self.goals_covered),
            "reasons": [r.to_dict() for r in self.reasons],
        }


@dataclass(frozen=True, slots=True)
class Unmatched:
    """A mentee with no shortlist, with the most specific reason (see UNMATCHED_REASON_CODES)."""

    mentee_id: str
    reason_code: str
    reason: str = ""
    params: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "mentee_id": self.mentee_id,
            "reason_code": self.reason_code,
            "reason": self.reason,
            "params": _jsonable(self.params),
        }


@dataclass(frozen=True)
class MatchResult:
    """Shortlists (best first) for shortlisted mentees, and every other mentee in `unmatched`.

    Every mentee given to :func:`match` is in exactly one of the two.
    """

    shortlists: dict[str, list[Candidate]]
    unmatched: list[Unmatched]
    stats: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "shortlists": {m: [c.to_dict() for c in cs] for m, cs in self.shortlists.items()},
            "unmatched": [u.to_dict() for u in self.unmatched],
            "stats": _jsonable(self.stats),
        }
