"""Pair rules and run settings: :class:`MatchConstraints` and :class:`MatchSettings`."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from core.match_engine.constants import (
    DEFAULT_MAX_MEMORY_MB,
    DEPARTMENT_PREFERENCES,
    REFERENCE_YEAR,
    DepartmentPreference,
)

CandidateSearch = Literal["tiered", "dense"]
PairLike = frozenset[str] | tuple[str, str]


def _pairs(name: str, pairs: Iterable[Collection[str]]) -> frozenset[frozenset[str]]:
    out: set[frozenset[str]] = set()
    for pair in pairs:
        if isinstance(pair, str):
            raise ValueError(f"{name}: each pair must hold two person ids, got {pair!r}")
        fs = frozenset(pair)
        if len(fs) != 2 or not all(isinstance(x, str) and x for x in fs):
            raise ValueError(f"{name}: each pair must hold two different person ids, got {pair!r}")
        out.add(fs)
    return frozenset(out)


@dataclass(frozen=True)
class MatchConstraints:
    """Pair-level rules. Pairs are unordered; ids not in this run are ignored.

    - ``do_not_pair``: never pair these two (coordinator's list; never explained to users).
    - ``previous_pairs``: people who were paired before are not offered again ...
    - ``allow_previous``: ... unless the coordinator allowed that pair again.
    - ``excluded``: mentee id -> mentor ids the mentee turned down ("none of these suit me").
    """

    do_not_pair: frozenset[frozenset[str]] = frozenset()
    previous_pairs: frozenset[frozenset[str]] = frozenset()
    allow_previous: frozenset[frozenset[str]] = frozenset()
    excluded: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "do_not_pair", _pairs("do_not_pair", self.do_not_pair))
        object.__setattr__(self, "previous_pairs", _pairs("previous_pairs", self.previous_pairs))
        object.__setattr__(self, "allow_previous", _pairs("allow_previous", self.allow_previous))
        excluded: dict[str, frozenset[str]] = {}
        for mentee, mentors in self.excluded.items():
            if isinstance(mentors, str):
                raise ValueError(f"excluded[{mentee!r}] must be a set of mentor ids")
            excluded[mentee] = frozenset(mentors)
        object.__setattr__(self, "excluded", MappingProxyType(excluded))

    def blocked_pairs(self) -> Iterable[tuple[str, str]]:
        """Every (a, b) that must not be offered, in both orders for unordered pairs."""
        for pair in self.do_not_pair | (self.previous_pairs - self.allow_previous):
            a, b = tuple(pair)
            yield a, b
            yield b, a
        for mentee, mentors in self.excluded.items():
            for mentor in mentors:
                yield mentee, mentor


@dataclass(frozen=True)
class MatchSettings:
    """Knobs of one matching run (program settings).

    - ``shortlist_size`` K: candidates per mentee (1-10).
    - ``exposure_factor`` F: a mentor appears in at most ``remaining_capacity * F`` shortlists.
    - ``department_preference``: "different" (default: an outside view), "same" or "any".
    - ``close_band``: developmental-fit values in the same band of this width count as equal or
      close (0.01-1); practical fit only orders candidates within a band.
    - ``candidates_per_mentee_prune`` P: candidates per mentee kept for the exact solve (>= K).
    - ``mentor_side_prune_factor`` Q: a mentor who is in fewer than ``Q * exposure + K`` of
      those lists also keeps that many of its own best-fitting mentees (0 turns this off), so
      mentors nobody ranks near the top still get their exposure used. See docs/matching.md.
    - ``reference_year``: whose 15 January and 15 July fix the time-zone offsets (see
      :func:`standard_utc_offset_hours`).
    - ``candidate_search``: "tiered" (default) scores only the (mentee, mentor) cells that can
      make the pruned candidates; "dense" scores every cell (the reference: the same candidates,
      slower on large programs). See docs/matching.md, "Tiered candidate search".
    - ``max_memory_mb``: a run whose estimated peak memory (:func:`estimate_work`) is above
      this is refused with :class:`MatchTooLarge` before anything large is allocated.
    """

    shortlist_size: int = 3
    exposure_factor: int = 2
    department_preference: DepartmentPreference = "different"
    close_band: float = 0.05
    candidates_per_mentee_prune: int = 15
    mentor_side_prune_factor: int = 4
    reference_year: int = REFERENCE_YEAR
    max_memory_mb: int = DEFAULT_MAX_MEMORY_MB
    candidate_search: CandidateSearch = "tiered"

    def __post_init__(self) -> None:
        def whole(name: str, value: object, low: int, high: int) -> None:
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ValueError(f"{name} must be a whole number from {low} to {high}")

        whole("shortlist_size", self.shortlist_size, 1, 10)
        whole("exposure_factor", self.exposure_factor, 1, 100)
        whole("candidates_per_mentee_prune", self.candidates_per_mentee_prune, 1, 1_000_000)
        whole("mentor_side_prune_factor", self.mentor_side_prune_factor, 0, 1000)
        whole("reference_year", self.reference_year, 1970, 2200)
        whole("max_memory_mb", self.max_memory_mb, 1, 10_000_000)
        if self.candidates_per_mentee_prune < self.shortlist_size:
            raise ValueError("candidates_per_mentee_prune must be at least shortlist_size")
        if self.department_preference not in DEPARTMENT_PREFERENCES:
            raise ValueError(
                f"department_preference must be one of {sorted(DEPARTMENT_PREFERENCES)}"
            )
        if self.candidate_search not in ("tiered", "dense"):
            raise ValueError('candidate_search must be "tiered" or "dense"')
        band = self.close_band
        if isinstance(band, bool) or not isinstance(band, int | float) or not 0.01 <= band <= 1:
            raise ValueError("close_band must be a number from 0.01 to 1")
