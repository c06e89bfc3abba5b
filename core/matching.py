"""The pure matching core: explained, exposure-balanced mentor shortlists.

Pure Python + numpy + OR-Tools. No Slack, no database session, no file or network I/O, no
clock. The caller (a service in `core/`) loads people, the taxonomy names and the reason
templates, builds the frozen inputs below and calls :func:`match`.

Overview (see `docs/matching.md` for the full rules and measured figures):

1. Candidates. A mentor is a candidate for a mentee when every hard rule holds: not the same
   person, not in the mentee's reporting line (above or below), not a do-not-pair pair, not a
   previous pair (unless the coordinator allowed it), not excluded by the mentee, remaining
   capacity > 0, and the mentor covers at least one of the mentee's goals.
2. Scores. Developmental fit (goals covered, weighted by priority) is quantised into tiers of
   width ``close_band``; practical fit (working-hours overlap, language, meeting format,
   department) only orders candidates inside a tier. See :class:`Candidate`.
3. Shortlists. Each mentee gets up to ``K`` candidates and each mentor appears in at most
   ``remaining_capacity * F`` shortlists. The assignment is solved exactly as a min-cost flow
   over a pruned candidate set (each mentee's top ``candidates_per_mentee_prune``, plus the
   best-fitting mentees of mentors that few mentees rank near the top).

Eligibility by status (confirmed, active, not paused, same program) is the caller's job: the
core matches whatever people it is given and has no notion of status.
"""

from __future__ import annotations

import math
import time
import zlib
from collections import Counter, deque
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import lru_cache
from types import MappingProxyType
from typing import Any, Literal, TypeVar, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt
from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment
from ortools.graph.python import min_cost_flow

__all__ = [
    "CANDIDATE_REASON_CODES",
    "MAX_CAPACITY",
    "MAX_GOALS",
    "PRACTICAL_POINTS",
    "PRACTICAL_WEIGHTS",
    "UNMATCHED_REASON_CODES",
    "Candidate",
    "DepartmentPreference",
    "ManagerGraph",
    "MatchConstraints",
    "MatchResult",
    "MatchSettings",
    "MatchTooLarge",
    "MeetingFormat",
    "MenteeInput",
    "MentorInput",
    "Organisation",
    "Reason",
    "ReasonTemplates",
    "Unmatched",
    "WorkEstimate",
    "candidate_pool",
    "estimate_work",
    "greedy_shortlists",
    "match",
    "render_reasons",
    "render_result",
    "standard_utc_offset_hours",
    "working_overlap_hours",
]

_T = TypeVar("_T")
MeetingFormat = Literal["remote", "in_person", "either"]
DepartmentPreference = Literal["any", "same", "different"]

MAX_GOALS = 3
MAX_CAPACITY = 5
DEFAULT_MAX_MEMORY_MB = 2048
DEFAULT_WORK_HOURS: tuple[float, float] = (9.0, 17.0)
REFERENCE_YEAR = 2025

# Practical fit is an integer number of points out of PRACTICAL_POINTS, the sum of four parts.
PRACTICAL_POINTS = 1000
PRACTICAL_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {"working_hours": 0.4, "language": 0.3, "meeting_format": 0.2, "department": 0.1}
)
_PTS_TIME = round(PRACTICAL_POINTS * PRACTICAL_WEIGHTS["working_hours"])
_PTS_LANG = round(PRACTICAL_POINTS * PRACTICAL_WEIGHTS["language"])
_PTS_FORMAT = round(PRACTICAL_POINTS * PRACTICAL_WEIGHTS["meeting_format"])
_PTS_DEPT = PRACTICAL_POINTS - _PTS_TIME - _PTS_LANG - _PTS_FORMAT
# In-person meeting wanted but the two are based in different places: mostly, not fully, poor.
_FORMAT_DIFFERENT_LOCATION = 0.4
_TIER_EPS = 1e-9

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

Int = npt.NDArray[np.int64]
Float = npt.NDArray[np.float64]
Bool = npt.NDArray[np.bool_]

_MEETING_FORMATS: frozenset[str] = frozenset(get_args(MeetingFormat))
_DEPARTMENT_PREFERENCES: frozenset[str] = frozenset(get_args(DepartmentPreference))


# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------


def _check_id(kind: str, value: object) -> None:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{kind} id must be a non-empty string, got {value!r}")


def _check_work_hours(who: str, hours: object) -> tuple[float, float]:
    if not isinstance(hours, tuple | list) or len(hours) != 2:
        raise ValueError(f"{who}: work_hours must be a (start, end) pair of local hours")
    start, end = hours
    for value in (start, end):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{who}: work_hours must be numbers, got {hours!r}")
        if not 0 <= value <= 24:
            raise ValueError(f"{who}: work_hours must lie between 0 and 24, got {hours!r}")
    if start % 24 == end % 24:
        raise ValueError(f"{who}: work_hours start and end must differ, got {hours!r}")
    return (float(start), float(end))


def _check_common(
    who: str, obj: Any, timezone: object, meeting_format: object, department: object
) -> None:
    if timezone is not None and (not isinstance(timezone, str) or not timezone):
        raise ValueError(f"{who}: timezone must be an IANA name such as 'Europe/Berlin' or None")
    if meeting_format not in _MEETING_FORMATS:
        raise ValueError(
            f"{who}: meeting_format must be one of {sorted(_MEETING_FORMATS)}, "
            f"got {meeting_format!r}"
        )
    if department is not None and not isinstance(department, str):
        raise ValueError(f"{who}: department must be a string or None")
    languages = obj.languages
    if isinstance(languages, str) or not isinstance(languages, Iterable):
        raise ValueError(f"{who}: languages must be a set of language codes")
    langs = frozenset(languages)
    if not all(isinstance(x, str) and x for x in langs):
        raise ValueError(f"{who}: languages must be non-empty strings")
    object.__setattr__(obj, "languages", langs)
    object.__setattr__(obj, "work_hours", _check_work_hours(who, obj.work_hours))


@dataclass(frozen=True, slots=True)
class MenteeInput:
    """A mentee as the matching core sees them.

    - ``goals``: competency ids, highest priority first, at most :data:`MAX_GOALS`, no repeats.
    - ``goal_weights``: optional explicit positive weights, one per goal; by default the
      priorities weigh n, n-1, ..., 1 (3/2/1 for three goals). Weights are normalised to sum 1.
    - ``timezone``: IANA name or None (unknown: working-hours fit counts as neutral).
    - ``work_hours``: (start, end) local hours, default 9-17; end < start means overnight.
    - ``languages``: language codes (as stored, e.g. ``"en"``); empty means unknown.
    - ``location``: only used when someone wants to meet in person.
    """

    id: str
    goals: tuple[str, ...] = ()
    goal_weights: tuple[float, ...] | None = None
    timezone: str | None = None
    work_hours: tuple[float, float] = DEFAULT_WORK_HOURS
    languages: frozenset[str] = frozenset()
    meeting_format: MeetingFormat = "either"
    department: str | None = None
    location: str | None = None

    def __post_init__(self) -> None:
        _check_id("mentee", self.id)
        who = f"mentee {self.id!r}"
        if isinstance(self.goals, str):
            raise ValueError(f"{who}: goals must be a sequence of competency ids, not a string")
        goals = tuple(self.goals)
        if len(goals) > MAX_GOALS:
            raise ValueError(f"{who}: at most {MAX_GOALS} goals, got {len(goals)}")
        if not all(isinstance(g, str) and g for g in goals):
            raise ValueError(f"{who}: goals must be competency ids (non-empty strings)")
        if len(set(goals)) != len(goals):
            raise ValueError(f"{who}: a goal is listed twice: {list(goals)}")
        object.__setattr__(self, "goals", goals)
        if self.goal_weights is not None:
            weights = tuple(float(w) for w in self.goal_weights)
            if len(weights) != len(goals):
                raise ValueError(f"{who}: goal_weights needs one weight per goal")
            if not all(math.isfinite(w) and w > 0 for w in weights):
                raise ValueError(f"{who}: goal_weights must be positive numbers")
            object.__setattr__(self, "goal_weights", weights)
        _check_common(who, self, self.timezone, self.meeting_format, self.department)

    def weights(self) -> tuple[float, ...]:
        """The normalised goal weights (summing to 1), in goal order."""
        raw = self.goal_weights or tuple(float(len(self.goals) - k) for k in range(len(self.goals)))
        total = sum(raw)
        return tuple(w / total for w in raw)


@dataclass(frozen=True, slots=True)
class MentorInput:
    """A mentor as the matching core sees them.

    ``capacity`` (0-5) is how many mentees they take at once; ``open_load`` counts their open
    pairs plus pending offers. Remaining capacity is ``capacity - open_load``; a mentor with
    remaining capacity <= 0 is never a candidate.
    """

    id: str
    expertise: frozenset[str] = frozenset()
    capacity: int = 1
    open_load: int = 0
    timezone: str | None = None
    work_hours: tuple[float, float] = DEFAULT_WORK_HOURS
    languages: frozenset[str] = frozenset()
    meeting_format: MeetingFormat = "either"
    department: str | None = None
    location: str | None = None

    def __post_init__(self) -> None:
        _check_id("mentor", self.id)
        who = f"mentor {self.id!r}"
        if isinstance(self.expertise, str):
            raise ValueError(f"{who}: expertise must be a set of competency ids, not a string")
        expertise = frozenset(self.expertise)
        if not all(isinstance(x, str) and x for x in expertise):
            raise ValueError(f"{who}: expertise must be competency ids (non-empty strings)")
        object.__setattr__(self, "expertise", expertise)
        for name, value, top in (
            ("capacity", self.capacity, MAX_CAPACITY),
            ("open_load", self.open_load, None),
        ):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{who}: {name} must be a whole number, got {value!r}")
            if value < 0 or (top is not None and value > top):
                limit = f"between 0 and {top}" if top is not None else "0 or more"
                raise ValueError(f"{who}: {name} must be {limit}, got {value}")
        _check_common(who, self, self.timezone, self.meeting_format, self.department)

    @property
    def remaining_capacity(self) -> int:
        return self.capacity - self.open_load


# --------------------------------------------------------------------------------------------
# Organisation: the reporting forest as Euler-tour intervals
# --------------------------------------------------------------------------------------------


class ManagerGraph:
    """A compiled reporting forest.

    Every person gets an Euler-tour interval ``[tin, tout)``: X is X's own ancestor or above Y
    in the reporting line iff ``tin[X] <= tin[Y] < tout[X]``. Building is O(people); each test
    is O(1) and vectorises with numpy.
    """

    __slots__ = ("_ids", "_index", "_parent", "tin", "tout")

    def __init__(self, managers: Mapping[str, str | None]) -> None:
        index: dict[str, int] = {}
        ids: list[str] = []
        for person in managers:
            _check_id("person", person)
            index[person] = len(ids)
            ids.append(person)
        parent: list[int] = [-1] * len(ids)
        for person, manager in managers.items():
            if manager is None or manager == "":
                continue
            if not isinstance(manager, str):
                raise ValueError(f"the manager of {person!r} must be a person id or None")
            m = index.get(manager)
            if m is None:  # a manager we know nothing else about: a root
                m = index[manager] = len(ids)
                ids.append(manager)
                parent.append(-1)
            parent[index[person]] = m
        self._ids = ids
        self._index = index
        self._parent = parent
        self.tin, self.tout = self._euler(ids, parent)

    @staticmethod
    def _euler(
        ids: Sequence[str], parent: Sequence[int]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        n = len(ids)
        children: list[list[int]] = [[] for _ in range(n)]
        roots: list[int] = []
        for child, p in enumerate(parent):
            (roots if p < 0 else children[p]).append(child)
        tin = [-1] * n
        tout = [-1] * n
        clock = 0
        for root in roots:
            tin[root] = clock
            clock += 1
            stack: list[tuple[int, int]] = [(root, 0)]
            while stack:
                node, k = stack[-1]
                kids = children[node]
                if k < len(kids):
                    stack[-1] = (node, k + 1)
                    child = kids[k]
                    tin[child] = clock
                    clock += 1
                    stack.append((child, 0))
                else:
                    tout[node] = clock
                    stack.pop()
        if clock != n:
            ManagerGraph._raise_cycle(ids, parent, tin)
        return np.asarray(tin, dtype=np.int64), np.asarray(tout, dtype=np.int64)

    @staticmethod
    def _raise_cycle(ids: Sequence[str], parent: Sequence[int], tin: Sequence[int]) -> None:
        stuck = [i for i in range(len(ids)) if tin[i] < 0]
        node = stuck[0]
        seen: dict[int, int] = {}
        path: list[int] = []
        while node not in seen:
            seen[node] = len(path)
            path.append(node)
            node = parent[node]
        cycle = [ids[i] for i in path[seen[node] :]]
        shown = " -> ".join([*cycle[:10], *(["..."] if len(cycle) > 10 else []), cycle[0]])
        raise ValueError(
            f"The manager data has a reporting cycle: {shown}. Every chain of managers must "
            f"end with someone who has no manager; correct the manager of one of these people "
            f"({len(stuck)} people are affected)."
        )

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, person: object) -> bool:
        return person in self._index

    def managers_of(self, person: str) -> tuple[str, ...]:
        """The whole chain of managers above ``person``, nearest first."""
        i = self._index.get(person)
        chain: list[str] = []
        while i is not None and self._parent[i] >= 0:
            i = self._parent[i]
            chain.append(self._ids[i])
        return tuple(chain)

    def in_reporting_line(self, a: str, b: str) -> bool:
        """True if a is above b, b is above a, or a == b. Unknown people are unrelated."""
        if a == b:
            return True
        i, j = self._index.get(a), self._index.get(b)
        if i is None or j is None:
            return False
        ti, tj = self.tin[i], self.tin[j]
        return bool(ti <= tj < self.tout[i] or tj <= ti < self.tout[j])

    def intervals(
        self, people: Sequence[str]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """(tin, tout) for each person; people not in the graph get fresh isolated intervals."""
        tin = np.empty(len(people), dtype=np.int64)
        tout = np.empty(len(people), dtype=np.int64)
        extra: dict[str, int] = {}
        n = len(self._ids)
        for k, person in enumerate(people):
            i = self._index.get(person)
            if i is None:
                if person not in extra:
                    extra[person] = n + len(extra)
                tin[k] = extra[person]
                tout[k] = extra[person] + 1
            else:
                tin[k] = self.tin[i]
                tout[k] = self.tout[i]
        return tin, tout

    def line_pairs(self, a_ids: Sequence[str], b_ids: Sequence[str]) -> tuple[Int, Int]:
        """Every (i, j) where ``a_ids[i]`` and ``b_ids[j]`` share a reporting line.

        That is: the same person, or one anywhere above the other. Vectorised on the Euler
        intervals: the people below X are those whose ``tin`` lies in ``[tin[X], tout[X])``, a
        range found by binary search in the sorted ``tin`` of the other side. The number of
        pairs is at most depth * (len(a_ids) + len(b_ids)).
        """
        both = self.intervals([*a_ids, *b_ids])
        na = len(a_ids)
        tin_a, tout_a = both[0][:na], both[1][:na]
        tin_b, tout_b = both[0][na:], both[1][na:]
        # b at or above a (includes the same person), then a strictly above b.
        i1, j1 = _within(tin_a, tin_b, tout_b, strict=False)
        j2, i2 = _within(tin_b, tin_a, tout_a, strict=True)
        return np.concatenate([i1, i2]), np.concatenate([j1, j2])


def _within(tin_x: Int, lo_y: Int, hi_y: Int, *, strict: bool) -> tuple[Int, Int]:
    """Pairs (x, y) with lo_y[y] <= tin_x[x] < hi_y[y] (lo_y[y] < tin_x[x] when strict)."""
    order = np.argsort(tin_x, kind="stable")
    sorted_tin = tin_x[order]
    lo = np.searchsorted(sorted_tin, lo_y, side="right" if strict else "left")
    hi = np.searchsorted(sorted_tin, hi_y, side="left")
    counts = np.maximum(hi - lo, 0)
    total = int(counts.sum())
    y = np.repeat(np.arange(lo_y.size, dtype=np.int64), counts)
    starts = np.cumsum(counts) - counts
    pos = np.repeat(lo - starts, counts) + np.arange(total, dtype=np.int64)
    return order[pos].astype(np.int64), y


@dataclass(frozen=True)
class Organisation:
    """Who manages whom: ``managers[person] = manager id or None``.

    It should cover everybody (mentees, mentors and people who are only managers). A manager
    id that is not itself a key is treated as a root (someone with no manager); a mentee or
    mentor missing from the mapping has no known manager and no known reports. A cycle raises
    ValueError naming the people in it, at construction.
    """

    managers: Mapping[str, str | None]
    graph: ManagerGraph = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "graph", ManagerGraph(self.managers))


# --------------------------------------------------------------------------------------------
# Constraints and settings
# --------------------------------------------------------------------------------------------

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
        if self.department_preference not in _DEPARTMENT_PREFERENCES:
            raise ValueError(
                f"department_preference must be one of {sorted(_DEPARTMENT_PREFERENCES)}"
            )
        band = self.close_band
        if isinstance(band, bool) or not isinstance(band, int | float) or not 0.01 <= band <= 1:
            raise ValueError("close_band must be a number from 0.01 to 1")


# --------------------------------------------------------------------------------------------
# Outputs
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Reason templates
# --------------------------------------------------------------------------------------------


def _join_and(items: Iterable[Any], word: str = "and") -> str:
    values = [str(i) for i in items]
    if len(values) <= 1:
        return "".join(values)
    return ", ".join(values[:-1]) + f" {word} " + values[-1]


def _plural(count: int, singular: str, many: str | None = None) -> str:
    return f"{count} {singular if count == 1 else (many or singular + 's')}"


class ReasonTemplates:
    """Compiled reason templates: reason code -> Jinja2 string (plain text, not escaped).

    Built from the mapping in `content/templates/matching_reasons.yaml` (the caller reads the
    file). Every code in CANDIDATE_REASON_CODES and UNMATCHED_REASON_CODES must be present.
    Filters available: ``join_and`` and ``plural`` (the same as the app's text renderer).
    """

    def __init__(self, templates: Mapping[str, str]) -> None:
        missing = sorted((CANDIDATE_REASON_CODES | UNMATCHED_REASON_CODES) - set(templates))
        if missing:
            raise ValueError(f"reason templates are missing these codes: {', '.join(missing)}")
        env = SandboxedEnvironment(
            undefined=StrictUndefined,
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )
        env.filters.update(join_and=_join_and, plural=_plural)
        self._compiled = {}
        for code, source in templates.items():
            if not isinstance(source, str):
                raise ValueError(f"reason template {code!r} must be a string")
            try:
                self._compiled[code] = env.from_string(source)
            except TemplateError as exc:
                raise ValueError(f"reason template {code!r} is not valid Jinja2: {exc}") from exc

    def render(self, code: str, params: Mapping[str, Any]) -> str:
        try:
            template = self._compiled[code]
        except KeyError:
            raise ValueError(f"no reason template for code {code!r}") from None
        try:
            return template.render(**params).strip()
        except TemplateError as exc:
            raise ValueError(f"reason template {code!r} failed to render: {exc}") from exc


def _templates(templates: ReasonTemplates | Mapping[str, str]) -> ReasonTemplates:
    return templates if isinstance(templates, ReasonTemplates) else ReasonTemplates(templates)


def render_reasons(
    candidate: Candidate, templates: ReasonTemplates | Mapping[str, str]
) -> tuple[Reason, ...]:
    """The candidate's reasons with ``text`` rendered from the templates."""
    tpl = _templates(templates)
    return tuple(replace(r, text=tpl.render(r.code, r.params)) for r in candidate.reasons)


def render_result(
    result: MatchResult, templates: ReasonTemplates | Mapping[str, str]
) -> MatchResult:
    """A copy of ``result`` with every reason text (candidates and unmatched) rendered."""
    tpl = _templates(templates)
    cache: dict[int, Reason] = {}

    def one(reason: Reason) -> Reason:
        # Reasons are shared between candidates; render each distinct object once.
        done = cache.get(id(reason))
        if done is None:
            done = cache[id(reason)] = replace(reason, text=tpl.render(reason.code, reason.params))
        return done

    shortlists = {
        mentee: [replace(c, reasons=tuple(one(r) for r in c.reasons)) for c in cands]
        for mentee, cands in result.shortlists.items()
    }
    unmatched = [replace(u, reason=tpl.render(u.reason_code, u.params)) for u in result.unmatched]
    return MatchResult(shortlists=shortlists, unmatched=unmatched, stats=result.stats)


# --------------------------------------------------------------------------------------------
# Time zones
# --------------------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _standard_offset_minutes(tz: str, year: int) -> int:
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown time zone {tz!r} (use an IANA name such as 'Europe/Berlin')"
        ) from exc
    offsets = []
    for month in (1, 7):
        off = datetime(year, month, 15, 12, tzinfo=UTC).astimezone(zone).utcoffset()
        assert off is not None
        offsets.append(round(off.total_seconds() / 60))
    return min(offsets)


def standard_utc_offset_hours(tz: str, year: int = REFERENCE_YEAR) -> float:
    """The zone's DST-free (standard, 'winter clock') UTC offset in hours.

    Taken as the smaller of its offsets on 15 January and 15 July of ``year`` (noon UTC), so
    results do not depend on today's date or on the hemisphere, and zones with "negative DST"
    (Europe/Dublin) come out right. Raises ValueError for an unknown zone.
    """
    return _standard_offset_minutes(tz, year) / 60


def _utc_window(offset_min: int, hours: tuple[float, float]) -> tuple[int, int]:
    start = round(hours[0] * 60)
    length = (round(hours[1] * 60) - start) % 1440 or 1440
    return ((start - offset_min) % 1440, length)


@lru_cache(maxsize=65536)
def _overlap_minutes(a: tuple[int, int], b: tuple[int, int]) -> int:
    (sa, la), (sb, lb) = a, b
    total = 0
    for shift in (-1440, 0, 1440):
        lo = max(sa, sb + shift)
        hi = min(sa + la, sb + lb + shift)
        total += max(0, hi - lo)
    return min(total, la, lb)


def working_overlap_hours(
    tz_a: str,
    hours_a: tuple[float, float],
    tz_b: str,
    hours_b: tuple[float, float],
    year: int = REFERENCE_YEAR,
) -> float:
    """Hours per day the two local working windows overlap, using standard (DST-free) offsets."""
    a = _utc_window(_standard_offset_minutes(tz_a, year), _check_work_hours("a", hours_a))
    b = _utc_window(_standard_offset_minutes(tz_b, year), _check_work_hours("b", hours_b))
    return _overlap_minutes(a, b) / 60


def _num(x: float) -> int | float:
    """2.0 -> 2, 5.5 -> 5.5 (for friendly template output)."""
    r = round(x, 2)
    return int(r) if r == int(r) else r


# --------------------------------------------------------------------------------------------
# Preparation: canonical order, indices and lookup tables
# --------------------------------------------------------------------------------------------


def _crc(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


class _Prepared:
    """Everything the vectorised candidate generation needs, as numpy arrays."""

    def __init__(
        self,
        mentees: Sequence[MenteeInput],
        mentors: Sequence[MentorInput],
        organisation: Organisation,
        constraints: MatchConstraints,
        settings: MatchSettings,
        names: Mapping[str, str],
    ) -> None:
        self.settings = settings
        self.names = names
        self.mentees = sorted(mentees, key=lambda p: p.id)
        self.mentors = sorted(mentors, key=lambda q: q.id)
        mentee_ids = [p.id for p in self.mentees]
        mentor_ids = [q.id for q in self.mentors]
        for kind, ids in (("mentee", mentee_ids), ("mentor", mentor_ids)):
            for x, y in zip(ids, ids[1:], strict=False):
                if x == y:
                    raise ValueError(f"{kind} {x!r} is listed twice")
        self._check_names()
        n, m = len(self.mentees), len(self.mentors)
        self.mentee_index = {pid: i for i, pid in enumerate(mentee_ids)}
        self.mentor_index = {pid: j for j, pid in enumerate(mentor_ids)}

        # Developmental fit depends only on which of a mentee's (at most 3) goals a mentor
        # covers: a 3-bit pattern. Each mentee gets a table pattern -> tier, computed exactly in
        # float64; a dense block then needs only three byte gathers, no matrix product (and
        # so no BLAS threads fighting the chunk threads).
        comp = {c: k for k, c in enumerate(names)}
        n_comp = len(comp)
        self.goal_cols = np.full((n, MAX_GOALS), n_comp, dtype=np.int64)  # n_comp: "no goal"
        self.goal_w = np.zeros((n, MAX_GOALS), dtype=np.float64)
        for i, p in enumerate(self.mentees):
            for k, (g, w) in enumerate(zip(p.goals, p.weights(), strict=True)):
                self.goal_cols[i, k] = comp[g]
                self.goal_w[i, k] = w
        self.expertise_t = np.zeros((n_comp + 1, m), dtype=np.uint8)  # last row: all zero
        for j, q in enumerate(self.mentors):
            for c in q.expertise:
                self.expertise_t[comp[c], j] = 1
        band = settings.close_band
        self.n_tiers = math.floor(1.0 / band + _TIER_EPS) + 1
        patterns = np.arange(1 << MAX_GOALS)
        dev_table = np.zeros((n, patterns.size), dtype=np.float64)
        for k in range(MAX_GOALS):
            dev_table += self.goal_w[:, k : k + 1] * ((patterns >> k) & 1)[None, :]
        tiers = np.floor(dev_table / band + _TIER_EPS).astype(np.int64)
        self.tier_key_table = (tiers * _STRIDE).ravel()  # [i * 8 + pattern]
        self.has_goals = np.fromiter((bool(p.goals) for p in self.mentees), bool, n)
        self.remaining = np.fromiter((q.remaining_capacity for q in self.mentors), np.int64, m)
        self.self_m = np.fromiter((self.mentor_index.get(x, -1) for x in mentee_ids), np.int64, n)

        # Reporting line: the sparse list of (mentee, mentor) pairs in one line (incl. self).
        graph = organisation.graph
        rl_i, rl_j = graph.line_pairs(mentee_ids, mentor_ids)
        self.rl = _PairList(rl_i, rl_j, m)
        self.unknown_people = sum(1 for x in {*mentee_ids, *mentor_ids} if x not in graph)

        # Pair rules: do-not-pair, previous pairs, the mentee's own exclusions.
        rule: set[tuple[int, int]] = set()
        for a, b in constraints.blocked_pairs():
            ei, mj = self.mentee_index.get(a), self.mentor_index.get(b)
            if ei is not None and mj is not None:
                rule.add((ei, mj))
        arr = np.array(sorted(rule), dtype=np.int64).reshape(-1, 2)
        self.rules = _PairList(arr[:, 0], arr[:, 1], m)
        self.excluded = _PairList(
            np.concatenate([rl_i, arr[:, 0]]), np.concatenate([rl_j, arr[:, 1]]), m
        )

        self._practical_tables()

        # Order-independent tie-break: mentors ranked by a hash of their id.
        order = sorted(range(m), key=lambda j: (_crc(mentor_ids[j]), mentor_ids[j]))
        self.hash_rank_m = np.empty(m, dtype=np.int64)
        self.hash_rank_m[order] = np.arange(m)
        self.hash_e = np.fromiter((_crc(x) for x in mentee_ids), np.int64, n)

    def _check_names(self) -> None:
        unknown: dict[str, str] = {}
        for p in self.mentees:
            for g in p.goals:
                if g not in self.names:
                    unknown.setdefault(g, f"goal of mentee {p.id!r}")
        for q in self.mentors:
            for c in q.expertise:
                if c not in self.names:
                    unknown.setdefault(c, f"expertise of mentor {q.id!r}")
        if unknown:
            shown = "; ".join(f"{c!r} ({where})" for c, where in sorted(unknown.items())[:10])
            raise ValueError(
                f"{len(unknown)} competency id(s) are not in the taxonomy: {shown}. "
                "Add them to content/competencies.yaml or correct the profiles."
            )

    def _practical_tables(self) -> None:
        """Practical points from two small tables plus a same-department term.

        points[i, j] = A[(window, languages) of i, of j] + B[(format + place, department
        known?) of i, of j] + (same - diff) * [same department].
        """
        settings = self.settings
        year = settings.reference_year
        pref = settings.department_preference
        self.dept_same, self.dept_diff, dept_unknown = {
            "different": (0, _PTS_DEPT, _PTS_DEPT // 2),
            "same": (_PTS_DEPT, 0, _PTS_DEPT // 2),
            "any": (_PTS_DEPT, _PTS_DEPT, _PTS_DEPT),
        }[pref]

        sched_key: dict[tuple[int, int] | None, int] = {}
        lang_key: dict[frozenset[str], int] = {}
        fmt_key: dict[tuple[str, str | None], int] = {}
        dept_key: dict[str, int] = {}
        raw_key: dict[tuple[Any, ...], tuple[int, int, int]] = {}

        def profile(
            who: str, p: MenteeInput | MentorInput, unknown_dept: int
        ) -> tuple[int, int, int, int]:
            raw = (p.timezone, p.work_hours, p.languages, p.meeting_format, p.location)
            parts = raw_key.get(raw)
            if parts is None:
                if p.timezone is None:
                    window = None
                else:
                    try:
                        offset = _standard_offset_minutes(p.timezone, year)
                    except ValueError as exc:
                        raise ValueError(f"{who}: {exc}") from None
                    window = _utc_window(offset, p.work_hours)
                sk = sched_key.setdefault(window, len(sched_key))
                langs = frozenset(x.strip().casefold() for x in p.languages)
                lk = lang_key.setdefault(langs, len(lang_key))
                loc = p.location.strip().casefold() if p.location else None
                fk = fmt_key.setdefault((p.meeting_format, loc), len(fmt_key))
                parts = raw_key[raw] = (sk, lk, fk)
            dk = (
                unknown_dept
                if not p.department
                else dept_key.setdefault(p.department, len(dept_key))
            )
            return (*parts, dk)

        prof_e = [profile(f"mentee {p.id!r}", p, -1) for p in self.mentees]
        prof_m = [profile(f"mentor {q.id!r}", q, -2) for q in self.mentors]

        scheds = list(sched_key)
        n_s = len(scheds)
        t_tab = np.zeros((n_s, n_s), dtype=np.int64)
        self.overlap_min = np.full((n_s, n_s), -1, dtype=np.int64)
        for a, ka in enumerate(scheds):
            for b, kb in enumerate(scheds):
                if ka is None or kb is None:
                    t_tab[a, b] = _PTS_TIME // 2
                    continue
                ov = _overlap_minutes(ka, kb)
                self.overlap_min[a, b] = ov
                t_tab[a, b] = round(_PTS_TIME * ov / min(ka[1], kb[1]))

        langs = list(lang_key)
        l_tab = np.zeros((len(langs), len(langs)), dtype=np.int64)
        for a, la in enumerate(langs):
            for b, lb in enumerate(langs):
                l_tab[a, b] = _PTS_LANG // 2 if not la or not lb else (_PTS_LANG if la & lb else 0)

        fmts = list(fmt_key)
        f_tab = np.zeros((len(fmts), len(fmts)), dtype=np.int64)
        for a, (fa, loc_a) in enumerate(fmts):
            for b, (fb, loc_b) in enumerate(fmts):
                if {fa, fb} == {"remote", "in_person"}:
                    f_tab[a, b] = 0
                elif "in_person" in (fa, fb) and loc_a and loc_b and loc_a != loc_b:
                    f_tab[a, b] = round(_PTS_FORMAT * _FORMAT_DIFFERENT_LOCATION)
                else:
                    f_tab[a, b] = _PTS_FORMAT

        # Two small tables: (working window, languages) and (format + place, department known).
        def combos(keys: list[tuple[int, int]]) -> tuple[Int, Int]:
            index: dict[tuple[int, int], int] = {}
            ids = np.array([index.setdefault(k, len(index)) for k in keys], dtype=np.int64)
            return ids, np.array(list(index), dtype=np.int64).reshape(-1, 2)

        self.prof_a_e, ae = combos([(x[0], x[1]) for x in prof_e])
        self.prof_a_m, am = combos([(x[0], x[1]) for x in prof_m])
        self.prof_b_e, be = combos([(x[2], int(x[3] >= 0)) for x in prof_e])
        self.prof_b_m, bm = combos([(x[2], int(x[3] >= 0)) for x in prof_m])
        table_a = (
            t_tab[ae[:, 0][:, None], am[:, 0][None, :]]
            + l_tab[ae[:, 1][:, None], am[:, 1][None, :]]
        )
        known = (be[:, 1][:, None] > 0) & (bm[:, 1][None, :] > 0)
        table_b = f_tab[be[:, 0][:, None], bm[:, 0][None, :]] + np.where(
            known, self.dept_diff, dept_unknown
        )
        self.table_a = table_a.astype(np.int16)
        self.table_b = table_b.astype(np.int16)
        self.sched_e = np.array([x[0] for x in prof_e], dtype=np.int64)
        self.sched_m = np.array([x[0] for x in prof_m], dtype=np.int64)
        self.dept_e = np.array([x[3] for x in prof_e], dtype=np.int64)
        self.dept_m = np.array([x[3] for x in prof_m], dtype=np.int64)

    # -- dense blocks (rows: sorted mentee indices, cols: mentor indices) ---------------------

    def coverage(self, rows: Int, cols: Int) -> npt.NDArray[np.uint8]:
        """Bit k set where the mentor covers the mentee's k-th goal (rows x cols)."""
        expertise = self.expertise_t[:, cols]
        goal_cols = self.goal_cols[rows]
        out: npt.NDArray[np.uint8] = expertise[goal_cols[:, 0]]
        for k in range(1, MAX_GOALS):
            out |= expertise[goal_cols[:, k]] << np.uint8(k)
        return out

    def tier_keys(self, rows: Int, pattern: npt.NDArray[np.uint8]) -> npt.NDArray[np.int64]:
        """tier * 1001 for each cell, looked up from the mentee's pattern table."""
        index = pattern.astype(np.int64)
        index += (rows << MAX_GOALS)[:, None]
        out: npt.NDArray[np.int64] = self.tier_key_table.take(index)
        return out

    def dev_pairs(self, rows: Int, cols: Int) -> Float:
        """Developmental fit of the pairs (rows[k], cols[k]), summed in goal order."""
        out: Float = np.zeros(rows.size, dtype=np.float64)
        for k in range(MAX_GOALS):
            out += self.goal_w[rows, k] * self.expertise_t[self.goal_cols[rows, k], cols]
        return out

    def practical_points(self, rows: Int, cols: Int) -> npt.NDArray[np.int16]:
        pts: npt.NDArray[np.int16] = self.table_a[self.prof_a_e[rows]][:, self.prof_a_m[cols]]
        pts += self.table_b[self.prof_b_e[rows]][:, self.prof_b_m[cols]]
        delta = self.dept_same - self.dept_diff
        if delta:  # unknown departments are -1 / -2, so never "equal"
            eq = self.dept_e[rows][:, None] == self.dept_m[cols][None, :]
            pts += eq.astype(np.int16) * np.int16(delta)
        return pts


class _PairList:
    """Sorted (mentee, mentor) pairs, scattered into dense boolean blocks on demand."""

    def __init__(self, i: Int, j: Int, m: int) -> None:
        codes = np.unique(i.astype(np.int64) * max(m, 1) + j)
        self.i, self.j = codes // max(m, 1), codes % max(m, 1)

    def block(self, rows: Int, width: int, col_of: Int | None = None) -> Bool:
        out = np.zeros((rows.size, width), dtype=bool)
        if rows.size == 0 or self.i.size == 0:
            return out
        lo, hi = np.searchsorted(self.i, [rows[0], rows[-1] + 1])
        if hi > lo:
            bi, bj = self.i[lo:hi], self.j[lo:hi]
            pos = np.minimum(np.searchsorted(rows, bi), rows.size - 1)
            keep = rows[pos] == bi
            pos, bj = pos[keep], bj[keep]
            if col_of is not None:
                bj = col_of[bj]
                keep = bj >= 0
                pos, bj = pos[keep], bj[keep]
            out[pos, bj] = True
        return out


# --------------------------------------------------------------------------------------------
# Candidate generation (vectorised, chunked) with two-sided pruning
# --------------------------------------------------------------------------------------------

_CHUNK_CELLS = 1_000_000
_WORKERS = 2  # numpy releases the GIL in the dense steps, so two chunks run at once


def _pipeline(fn: Callable[[int], _T], starts: range, consume: Callable[[int, _T], None]) -> None:
    """``consume(s, fn(s))`` for each start in order; ``fn`` runs on a small thread pool.

    The first chunk runs alone (its results let the following chunks filter early); then at
    most ``2 * _WORKERS`` chunks are in flight, so finished chunks never pile up while
    ``consume`` (in this thread) catches up.
    """
    if len(starts) <= 2:
        for s in starts:
            consume(s, fn(s))
        return
    consume(starts[0], fn(starts[0]))
    with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
        pending: deque[tuple[int, Future[_T]]] = deque()
        for s in starts[1:]:
            pending.append((s, pool.submit(fn, s)))
            if len(pending) >= 2 * _WORKERS:
                first, future = pending.popleft()
                consume(first, future.result())
        while pending:
            first, future = pending.popleft()
            consume(first, future.result())


_STRIDE = PRACTICAL_POINTS + 1


@dataclass
class _Pool:
    """Pruned candidate arcs, grouped by mentee (CSR) and ordered best first within a mentee."""

    mentee: Int  # mentee index per arc
    mentor: Int  # mentor index per arc
    key: Int  # rank key: tier * 1001 + practical points
    indptr: Int  # arcs of mentee i: indptr[i]:indptr[i + 1]
    eligible: Int  # (n,) eligible candidates per mentee before pruning
    empty_reason: dict[int, str]  # mentee index -> reason, for mentees without any candidate
    mentor_side_arcs: int


class _Keys:
    """Builds dense blocks of pruning keys: 0 = not eligible, else a value unique per row.

    value = ((tier * 1001 + points) << bits) + (hash_rank_of_mentor XOR hash_of_mentee) + 1.
    The XOR term spreads exact ties over all mentors in an order that differs per mentee but
    does not depend on input order.
    """

    def __init__(self, prep: _Prepared, avail: Int) -> None:
        self.prep = prep
        self.avail = avail
        ma = avail.size
        rank = np.empty(ma, dtype=np.int64)
        rank[np.argsort(prep.hash_rank_m[avail], kind="stable")] = np.arange(ma)
        self.bits = max(1, (max(ma, 1) - 1).bit_length())
        top = (((prep.n_tiers - 1) * _STRIDE + PRACTICAL_POINTS) << self.bits) + (1 << self.bits)
        self.top = top
        self.dtype: type[np.signedinteger[Any]] = np.int32 if top < 2**31 - 1 else np.int64
        self.tb_col = rank.astype(self.dtype)
        self.tb_row = (prep.hash_e & ((1 << self.bits) - 1)).astype(self.dtype)

    def columns(self, cols: Int) -> Int:
        """Mentor index -> position in `cols` (-1 elsewhere), for scattering pair lists."""
        out = np.full(len(self.prep.mentors), -1, dtype=np.int64)
        out[self.avail[cols]] = np.arange(cols.size)
        return out

    def block(self, rows: Int, cols: Int, col_of: Int) -> npt.NDArray[np.signedinteger[Any]]:
        """Keys for rows x cols (cols are positions in `avail`; col_of from `columns`)."""
        prep, dtype = self.prep, self.dtype
        mentors = self.avail[cols]
        pattern = prep.coverage(rows, mentors)
        valid = pattern != 0
        valid &= ~prep.excluded.block(rows, cols.size, col_of)
        full = prep.tier_keys(rows, pattern).astype(dtype)
        full += prep.practical_points(rows, mentors)
        full <<= self.bits
        full += np.bitwise_xor(self.tb_col[cols][None, :], self.tb_row[rows][:, None])
        full += dtype(1)
        full *= valid
        return full

    def unpack(self, values: npt.NDArray[np.signedinteger[Any]]) -> Int:
        """Rank keys (tier * 1001 + points) from block values."""
        out: Int = (values.astype(np.int64) - 1) >> self.bits
        return out


class _MentorTops:
    """Per mentor, a running list of the best ``size`` eligible mentees seen so far.

    Entries are ``(value << rbits) | (rmask - tie_rank[mentee])``, unique per mentor: equal
    block values are ordered by the mentee's hash rank (lower first), so the list is the same
    whatever order the chunks arrive in. Candidates are buffered and merged in batches of about
    ``mentors x size`` (one sort per batch), so memory stays linear in the number of mentors.
    ``floor`` is the smallest block value that can still enter each mentor's list; chunk
    workers drop everything below it before anything reaches the buffer.

    The result is exactly each mentor's best ``size`` mentees under that order, whatever the
    chunking: an entry dropped by a (possibly stale) floor, or by a chunk's own top ``size``,
    has ``size`` better entries for the same mentor already.
    """

    def __init__(self, prep: _Prepared, mentors: int, size: int, value_top: int) -> None:
        n = len(prep.mentees)
        self.size = size
        self.rbits = max(1, (max(n, 1) - 1).bit_length())
        if value_top.bit_length() + self.rbits > 62:
            raise ValueError("this matching run is too large for one run; match smaller groups")
        self.rmask = (1 << self.rbits) - 1
        self.ebits = value_top.bit_length() + self.rbits
        self.emask = (1 << self.ebits) - 1
        # One sort of (mentor, entry) packed into an int64 when the bits allow, else lexsort.
        self.packed = self.ebits + max(1, (max(mentors, 1) - 1).bit_length()) <= 63
        order = np.lexsort((np.arange(n), prep.hash_e))  # by (hash, position in id order)
        self.row_of_rank = order.astype(np.int64)
        self.tie = np.empty(n, dtype=np.int64)
        self.tie[order] = self.rmask - np.arange(n)
        self.entries = np.zeros((mentors, size), dtype=np.int64)  # best first; 0 = empty
        self.worst = np.zeros(mentors, dtype=np.int64)  # the last entry once a list is full
        self.floor = np.ones(mentors, dtype=np.int64)
        self._cols: list[Int] = []
        self._entries: list[Int] = []
        self._buffered = 0
        self._batch = max(mentors * size, 1 << 16)

    def add(self, rows: Int, cols: Int, values: Int) -> None:
        entries = (values << self.rbits) | self.tie[rows]
        keep = entries > self.worst[cols]
        self._cols.append(cols[keep])
        self._entries.append(entries[keep])
        self._buffered += int(keep.sum())
        if self._buffered >= self._batch:
            self.flush()

    def flush(self) -> None:
        if not self._buffered:
            self._cols, self._entries = [], []
            return
        cols = np.concatenate(self._cols)
        entries = np.concatenate(self._entries)
        self._cols, self._entries, self._buffered = [], [], 0
        touched = np.unique(cols)
        held = self.entries[touched]
        filled = held > 0
        cols = np.concatenate([np.broadcast_to(touched[:, None], held.shape)[filled], cols])
        entries = np.concatenate([held[filled], entries])
        if self.packed:  # mentor ascending, then entry descending
            key = (cols << self.ebits) | (self.emask - entries)
            key.sort()
            cols, entries = key >> self.ebits, self.emask - (key & self.emask)
        else:
            order = np.lexsort((-entries, cols))
            cols, entries = cols[order], entries[order]
        start = np.searchsorted(cols, touched)
        rank = np.arange(cols.size) - np.repeat(start, np.diff(np.append(start, cols.size)))
        keep = rank < self.size
        self.entries[touched] = 0
        self.entries[cols[keep], rank[keep]] = entries[keep]
        self.worst[touched] = self.entries[touched, self.size - 1]
        floor = self.floor.copy()  # a new array: chunk workers may be reading the old one
        floor[touched] = np.maximum(self.worst[touched] >> self.rbits, 1)
        self.floor = floor

    def best(self, cols: Int, want: Int) -> tuple[Int, Int, Int]:
        """(mentee, mentor position, block value) of each mentor's best ``want`` mentees."""
        self.flush()
        entries = self.entries[cols]
        keep = (np.arange(self.size)[None, :] < want[:, None]) & (entries > 0)
        picked = entries[keep]
        mentees = self.row_of_rank[self.rmask - (picked & self.rmask)]
        mentor = np.broadcast_to(cols[:, None], keep.shape)[keep]
        return mentees, mentor, picked >> self.rbits


def _generate(prep: _Prepared) -> _Pool:
    """All eligible pairs, scored chunk by chunk, pruned on both sides.

    Mentee side: each mentee keeps its top P candidates. Mentor side: each mentor also keeps
    its top ``want = Q * exposure + K`` mentees, used only for mentors that appear in fewer than
    ``want`` mentee lists. Both selections are made in the same pass over the dense blocks; the
    mentor side as one running top list per mentor (:class:`_MentorTops`).
    """
    settings = prep.settings
    n = len(prep.mentees)
    K = settings.shortlist_size
    avail = np.flatnonzero(prep.remaining > 0)
    ma = avail.size
    keys = _Keys(prep, avail)
    all_cols = np.arange(ma)
    all_col_of = keys.columns(all_cols)
    P = min(settings.candidates_per_mentee_prune, ma)
    exposure = np.maximum(prep.remaining[avail], 0) * settings.exposure_factor
    factor = settings.mentor_side_prune_factor
    want = factor * exposure + K
    t_max = int(want.max()) if factor and ma else 0
    chunk = max(1, _CHUNK_CELLS // max(ma, 1))
    tops = _MentorTops(prep, ma, t_max, keys.top) if t_max else None

    def one_chunk(start: int) -> tuple[Int, ...]:
        rows = np.arange(start, min(n, start + chunk))
        full = keys.block(rows, all_cols, all_col_of)
        counts = np.count_nonzero(full, axis=1)
        # Top P per row: values are unique within a row, so a threshold selects exactly P.
        if ma > P:
            thr = np.maximum(np.partition(full, ma - P, axis=1)[:, ma - P], 1)
        else:
            thr = np.ones(rows.size, dtype=full.dtype)
        flat = np.flatnonzero(full >= thr[:, None])
        row_side = (rows[flat // ma], flat % ma, full.ravel()[flat].astype(np.int64))
        # Mentor side: only the cells that can still enter a mentor's running top list (and,
        # while those lists are still filling, only each mentor's top t_max in this chunk).
        if tops is not None:
            passing = full >= tops.floor.astype(full.dtype)[None, :]
            if rows.size > t_max and np.count_nonzero(passing) > 2 * t_max * ma:
                kth = rows.size - t_max
                local = np.partition(np.ascontiguousarray(full.T), kth, axis=1)[:, kth]
                passing &= full >= local[None, :]
            flat = np.flatnonzero(passing)
            col_side = (rows[flat // ma], flat % ma, full.ravel()[flat].astype(np.int64))
        else:
            col_side = (flat[:0], flat[:0], flat[:0])
        return (*row_side, *col_side, counts, thr.astype(np.int64))

    eligible = np.zeros(n, dtype=np.int64)
    row_thr = np.ones(n, dtype=np.int64)
    row_parts: list[tuple[Int, Int, Int]] = []

    def consume(start: int, got: tuple[Int, ...]) -> None:
        row_parts.append((got[0], got[1], got[2]))
        if tops is not None:
            tops.add(got[3], got[4], got[5])
        eligible[start : start + got[6].size] = got[6]
        row_thr[start : start + got[7].size] = got[7]

    _pipeline(one_chunk, range(0, n if ma else 0, chunk), consume)

    if row_parts:
        e, c, v = (np.concatenate([p[k] for p in row_parts]) for k in range(3))
    else:
        e = c = v = np.zeros(0, dtype=np.int64)
    row_parts.clear()
    extra = 0
    if tops is not None and e.size:
        under = np.flatnonzero(np.bincount(c, minlength=ma) < want)
        if under.size:
            e2, c2, v2 = tops.best(under, want[under])
            new = v2 < row_thr[e2]  # not already among that mentee's own top P
            extra = int(new.sum())
            e = np.concatenate([e, e2[new]])
            c = np.concatenate([c, c2[new]])
            v = np.concatenate([v, v2[new]])
    order = np.lexsort((-v, e))
    e, c, v = e[order], c[order], v[order]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(e, minlength=n), out=indptr[1:])
    empty = np.flatnonzero(eligible == 0)
    return _Pool(
        mentee=e,
        mentor=avail[c] if ma else c,
        key=keys.unpack(v),
        indptr=indptr,
        eligible=eligible,
        empty_reason=_diagnose(prep, empty),
        mentor_side_arcs=int(extra),
    )


def _diagnose(prep: _Prepared, rows_without: Int) -> dict[int, str]:
    """The most specific reason for each mentee left without any candidate.

    Filters apply in a fixed order - goals, coverage, reporting line, pair rules, capacity -
    and the reason names the filter that removed the last mentors standing.
    """
    out: dict[int, str] = {}
    m = len(prep.mentors)
    cols = np.arange(m)
    chunk = max(1, _CHUNK_CELLS // max(m, 1))
    for start in range(0, rows_without.size, chunk):
        rows = rows_without[start : start + chunk]
        cover = prep.coverage(rows, cols) != 0
        self_col = prep.self_m[rows]
        has = np.flatnonzero(self_col >= 0)
        cover[has, self_col[has]] = False
        outside = cover & ~prep.rl.block(rows, m)
        allowed = outside & ~prep.rules.block(rows, m)
        any_cover = np.asarray(cover.any(axis=1)).tolist()
        any_outside = np.asarray(outside.any(axis=1)).tolist()
        any_allowed = np.asarray(allowed.any(axis=1)).tolist()
        for k, i in enumerate(rows.tolist()):
            if not prep.has_goals[i]:
                out[i] = "no_goals"
            elif not any_cover[k]:
                out[i] = "no_mentor_covers_goals"
            elif not any_outside[k]:
                out[i] = "only_reporting_line"
            elif not any_allowed[k]:
                out[i] = "all_ruled_out"
            else:
                out[i] = "no_capacity"
    return out


# --------------------------------------------------------------------------------------------
# Assignment: exact min-cost flow and the greedy baseline
# --------------------------------------------------------------------------------------------


def _exposure(prep: _Prepared) -> Int:
    out: Int = np.maximum(prep.remaining, 0) * prep.settings.exposure_factor
    return out


def _solve_flow(prep: _Prepared, pool: _Pool) -> tuple[Bool, dict[str, Any]]:
    """Choose shortlist entries exactly; returns a mask over the pool's arcs and solver facts.

    Network: source -> mentee (one arc of capacity 1 and cost 0, one of capacity K-1 and cost
    Wc) -> mentor (capacity 1, cost Wmax - w) -> sink (capacity remaining * F), with
    w = tier * Wt + points. Solved as maximum flow with minimum cost, the optimum is
    lexicographic: (1) most shortlist entries, (2) most mentees with at least one entry,
    (3) highest sum of tiers, (4) highest sum of practical points. Wt exceeds any possible
    difference in total points and Wc any possible difference in total w, so a lower level
    never outweighs a higher one.
    """
    settings = prep.settings
    n, m = len(prep.mentees), len(prep.mentors)
    K = settings.shortlist_size
    rows, mentors = pool.mentee, pool.mentor
    chosen = np.zeros(rows.size, dtype=bool)
    info: dict[str, Any] = {"arcs": int(rows.size)}
    if rows.size == 0:
        return chosen, info
    tiers, points = pool.key // _STRIDE, pool.key % _STRIDE
    exposure = _exposure(prep)
    deg_e = np.bincount(rows, minlength=n)
    deg_m = np.bincount(mentors, minlength=m)
    flow_bound = int(min(np.minimum(deg_e, K).sum(), np.minimum(deg_m, exposure).sum()))
    n_nodes = n + m + 2
    limit = 2**62 // (n_nodes + 1)
    for divisor in (1, 10, 100, 1000):
        p_max = PRACTICAL_POINTS // divisor
        w_tier = flow_bound * p_max + 1
        w_max = (prep.n_tiers - 1) * w_tier + p_max
        w_cover = flow_bound * w_max + 1
        if w_cover + w_max <= limit and (w_cover + w_max) * flow_bound <= 2**62:
            break
    else:
        raise ValueError(
            "This matching run is too large for an exact solve with close_band="
            f"{settings.close_band}; use a wider close_band or fewer candidates per mentee."
        )
    weight = tiers * w_tier + points // divisor
    source, sink = n + m, n + m + 1
    mentee_nodes = np.flatnonzero(deg_e > 0)
    mentor_nodes = np.flatnonzero(deg_m > 0)
    n_src = mentee_nodes.size
    tails = np.concatenate([np.full(2 * n_src, source), rows, n + mentor_nodes])
    heads = np.concatenate(
        [mentee_nodes, mentee_nodes, n + mentors, np.full(mentor_nodes.size, sink)]
    )
    caps = np.concatenate(
        [
            np.ones(n_src, dtype=np.int64),
            np.minimum(deg_e[mentee_nodes], K) - 1,
            np.ones(rows.size, dtype=np.int64),
            exposure[mentor_nodes],
        ]
    )
    costs = np.concatenate(
        [
            np.zeros(n_src, dtype=np.int64),
            np.full(n_src, w_cover, dtype=np.int64),
            w_max - weight,
            np.zeros(mentor_nodes.size, dtype=np.int64),
        ]
    )
    solver = min_cost_flow.SimpleMinCostFlow()
    solver.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int32), heads.astype(np.int32), caps, costs.astype(np.int64)
    )
    solver.set_nodes_supplies(
        np.array([source, sink], dtype=np.int32),
        np.array([flow_bound, -flow_bound], dtype=np.int64),
    )
    status = solver.solve_max_flow_with_min_cost()
    if status != solver.OPTIMAL:
        raise RuntimeError(f"the min-cost flow solver failed with status {status!r}")
    first = 2 * n_src
    flows = solver.flows(np.arange(first, first + rows.size, dtype=np.int32))
    chosen[:] = np.asarray(flows) > 0
    info.update(
        flow=int(solver.maximum_flow()),
        flow_bound=flow_bound,
        practical_resolution=PRACTICAL_POINTS // divisor,
    )
    return chosen, info


def _solve_greedy(prep: _Prepared, pool: _Pool) -> tuple[Bool, dict[str, Any]]:
    """Baseline: mentees in id order take their best candidates that still have exposure."""
    K = prep.settings.shortlist_size
    left = _exposure(prep).tolist()
    chosen = np.zeros(pool.mentor.size, dtype=bool)
    mentors = pool.mentor.tolist()
    indptr = pool.indptr.tolist()
    for i in range(len(prep.mentees)):
        taken = 0
        for a in range(indptr[i], indptr[i + 1]):
            if taken == K:
                break
            j = mentors[a]
            if left[j] > 0:
                left[j] -= 1
                chosen[a] = True
                taken += 1
    return chosen, {"arcs": int(pool.mentor.size)}


# --------------------------------------------------------------------------------------------
# Building results and reasons
# --------------------------------------------------------------------------------------------


def _reason(code: str, **params: Any) -> Reason:
    return Reason(code, MappingProxyType(params))


class _ReasonFactory:
    """Builds Reason objects for chosen candidates; equal reasons are shared objects."""

    def __init__(self, prep: _Prepared, language_names: Mapping[str, str] | None) -> None:
        self.prep = prep
        self.language_names = language_names or {}
        self._goals: dict[tuple[tuple[str, ...], frozenset[str]], tuple[Any, ...]] = {}
        self._parts: dict[tuple[Any, ...], tuple[Reason, ...]] = {}

    def _language(self, code: str) -> str:
        return self.language_names.get(code) or self.language_names.get(code.casefold()) or code

    def _goal_part(
        self, goals: tuple[str, ...], expertise: frozenset[str]
    ) -> tuple[tuple[Reason, ...], tuple[str, ...]]:
        key = (goals, expertise)
        hit = self._goals.get(key)
        if hit is None:
            names = self.prep.names
            covered = tuple(g for g in goals if g in expertise)
            missed = tuple(g for g in goals if g not in expertise)
            reasons = [
                Reason(
                    "covers_goals",
                    MappingProxyType(
                        {
                            "goals": tuple(names[g] for g in covered),
                            "goal_ids": covered,
                            "covered": len(covered),
                            "total": len(goals),
                            "top_goal": bool(covered) and covered[0] == goals[0],
                        }
                    ),
                )
            ]
            if missed:
                reasons.append(
                    Reason(
                        "misses_goals",
                        MappingProxyType(
                            {"goals": tuple(names[g] for g in missed), "goal_ids": missed}
                        ),
                    )
                )
            hit = self._goals[key] = (tuple(reasons), covered)
        return hit[0], hit[1]

    def _cached(
        self, key: tuple[Any, ...], make: Callable[[], tuple[Reason, ...]]
    ) -> tuple[Reason, ...]:
        hit = self._parts.get(key)
        if hit is None:
            hit = self._parts[key] = make()
        return hit

    def _practical_part(self, i: int, j: int) -> tuple[Reason, ...]:
        prep = self.prep
        mentee, mentor = prep.mentees[i], prep.mentors[j]
        se, sm = int(prep.sched_e[i]), int(prep.sched_m[j])
        return (
            self._cached(("tz", mentee.timezone, mentor.timezone, se, sm), lambda: self._tz(i, j))
            + self._cached(
                ("lang", mentee.languages, mentor.languages), lambda: self._languages(i, j)
            )
            + self._cached(
                (
                    "fmt",
                    mentee.meeting_format,
                    mentor.meeting_format,
                    mentee.location,
                    mentor.location,
                ),
                lambda: self._format(i, j),
            )
            + self._cached(
                ("dept", mentee.department, mentor.department), lambda: self._department(i, j)
            )
        )

    def _tz(self, i: int, j: int) -> tuple[Reason, ...]:
        prep = self.prep
        mentee, mentor = prep.mentees[i], prep.mentors[j]
        if mentee.timezone is None or mentor.timezone is None:
            return ()
        year = prep.settings.reference_year
        diff = _standard_offset_minutes(mentor.timezone, year) - _standard_offset_minutes(
            mentee.timezone, year
        )
        overlap = _num(int(prep.overlap_min[prep.sched_e[i], prep.sched_m[j]]) / 60)
        if diff == 0:
            return (_reason("same_timezone", overlap_hours=overlap),)
        code = "tz_ahead" if diff > 0 else "tz_behind"
        return (_reason(code, hours=_num(abs(diff) / 60), overlap_hours=overlap),)

    def _languages(self, i: int, j: int) -> tuple[Reason, ...]:
        mentee, mentor = self.prep.mentees[i], self.prep.mentors[j]
        le = {x.strip().casefold(): x for x in mentee.languages}
        lm = {x.strip().casefold() for x in mentor.languages}
        if not le or not lm:
            return ()
        shared = sorted(le[k] for k in le.keys() & lm)
        if not shared:
            return (_reason("no_shared_language"),)
        names = tuple(self._language(x) for x in shared)
        return (_reason("same_language", languages=names, language_codes=tuple(shared)),)

    def _format(self, i: int, j: int) -> tuple[Reason, ...]:
        mentee, mentor = self.prep.mentees[i], self.prep.mentors[j]
        fe, fm = mentee.meeting_format, mentor.meeting_format
        compatible = {fe, fm} != {"remote", "in_person"}
        agreed = fe if fe == fm or fm == "either" else fm
        out = [
            _reason(
                "meeting_format",
                compatible=compatible,
                format=agreed if compatible else fm,
                mentee_format=fe,
                mentor_format=fm,
            )
        ]
        if compatible and "in_person" in (fe, fm) and mentee.location and mentor.location:
            same_place = mentee.location.strip().casefold() == mentor.location.strip().casefold()
            code = "same_location" if same_place else "different_location"
            out.append(_reason(code, location=mentor.location))
        return tuple(out)

    def _department(self, i: int, j: int) -> tuple[Reason, ...]:
        mentee, mentor = self.prep.mentees[i], self.prep.mentors[j]
        pref = self.prep.settings.department_preference
        if pref == "any" or not mentee.department or not mentor.department:
            return ()
        same = mentee.department == mentor.department
        code = "same_department" if same else "other_department"
        return (_reason(code, department=mentor.department, preferred=same == (pref == "same")),)

    def candidate(self, i: int, j: int, key: int, dev: float) -> Candidate:
        prep = self.prep
        mentee, mentor = prep.mentees[i], prep.mentors[j]
        goal_reasons, covered = self._goal_part(mentee.goals, mentor.expertise)
        tier, points = divmod(key, _STRIDE)
        return Candidate(
            mentor_id=mentor.id,
            score=round((tier + points / _STRIDE) / prep.n_tiers, 6),
            developmental_fit=round(dev, 9),
            practical_fit=points / PRACTICAL_POINTS,
            reasons=goal_reasons + self._practical_part(i, j),
            tier=tier,
            goals_covered=covered,
        )


def _result(
    prep: _Prepared,
    pool: _Pool,
    chosen: Bool,
    solver_name: str,
    solver_info: dict[str, Any],
    timings: dict[str, float],
    language_names: Mapping[str, str] | None,
) -> MatchResult:
    factory = _ReasonFactory(prep, language_names)
    picked = np.flatnonzero(chosen)
    by_mentee: dict[int, list[Candidate]] = {}
    rows, cols = pool.mentee[picked], pool.mentor[picked]
    for i, j, k, d in zip(
        rows.tolist(),
        cols.tolist(),
        pool.key[picked].tolist(),
        prep.dev_pairs(rows, cols).tolist(),
        strict=True,
    ):
        by_mentee.setdefault(i, []).append(factory.candidate(i, j, k, d))
    shortlists: dict[str, list[Candidate]] = {}
    unmatched: list[Unmatched] = []
    tier_sum = points_sum = 0
    score_sum = 0.0
    for i, mentee in enumerate(prep.mentees):
        cands = by_mentee.get(i)
        if not cands:
            code = pool.empty_reason.get(i, "exposure_limit")
            unmatched.append(Unmatched(mentee.id, code))
            continue
        cands.sort(key=lambda c: (-c.score, -c.developmental_fit, c.mentor_id))
        shortlists[mentee.id] = cands
        for c in cands:
            tier_sum += c.tier
            points_sum += round(c.practical_fit * PRACTICAL_POINTS)
            score_sum += c.score
    exposure = _exposure(prep)
    used = np.bincount(pool.mentor[picked], minlength=len(prep.mentors))
    entries = int(picked.size)
    stats: dict[str, Any] = {
        "solver": solver_name,
        "mentees": len(prep.mentees),
        "mentors": len(prep.mentors),
        "mentors_with_capacity": int((prep.remaining > 0).sum()),
        "eligible_pairs": int(pool.eligible.sum()),
        "pruned_pairs": int(pool.mentor.size),
        "mentor_side_pairs": pool.mentor_side_arcs,
        "shortlist_entries": entries,
        "mentees_shortlisted": len(shortlists),
        "unmatched_by_reason": dict(sorted(Counter(u.reason_code for u in unmatched).items())),
        "mentors_at_exposure_limit": int(((used >= exposure) & (exposure > 0)).sum()),
        "people_without_manager_record": prep.unknown_people,
        "objective": {
            "entries": entries,
            "covered": len(shortlists),
            "tier_sum": tier_sum,
            "practical_points_sum": points_sum,
            "score_sum": round(score_sum, 6),
        },
        "solver_info": solver_info,
        "timings_s": {k: round(v, 4) for k, v in timings.items()},
    }
    return MatchResult(shortlists=shortlists, unmatched=unmatched, stats=stats)


# --------------------------------------------------------------------------------------------
# Size guard
# --------------------------------------------------------------------------------------------

# Bytes per pruned arc (its mentee, mentor and key, their sorted copies, the flow network's
# arc) and per person (inputs, indexes, candidates with their reasons), measured with margin.
_BYTES_PER_ARC = 150
_BYTES_PER_PERSON = 2048
_BYTES_PER_DENSE_CELL = 24  # the int32/int64 temporaries of one dense block
# Per slot of the mentors' running top lists: the slot itself, a batch of as many buffered
# candidates, and the temporaries of merging the two (concatenation, sort order, sorted copy).
_BYTES_PER_TOP_SLOT = 256


@dataclass(frozen=True)
class WorkEstimate:
    """What one run would do, from the sizes alone (see :func:`estimate_work`)."""

    mentees: int
    mentors_with_room: int
    pairs: int  # mentees x mentors with room: the cells scored before pruning
    arcs: int  # upper bound on the candidate arcs kept after pruning
    memory_mb: int  # estimated peak memory of the run


class MatchTooLarge(ValueError):
    """A run too large for its memory limit, refused before anything large was allocated."""

    def __init__(self, estimate: WorkEstimate, limit_mb: int) -> None:
        self.estimate = estimate
        self.limit_mb = limit_mb
        super().__init__(
            f"matching {estimate.mentees:,} mentees against {estimate.mentors_with_room:,} "
            f"mentors with room in one run ({estimate.pairs:,} possible pairs) would need about "
            f"{estimate.memory_mb:,} MB of memory, more than the limit of {limit_mb:,} MB. "
            "Match smaller groups in separate runs (for example a program per department or "
            "region), or raise the limit if the machine has that much memory to spare."
        )


def estimate_work(
    mentees: Sequence[MenteeInput],
    mentors: Sequence[MentorInput],
    settings: MatchSettings | None = None,
) -> WorkEstimate:
    """Estimate a run's size and peak memory without allocating anything large.

    Terms (see ``_generate``): the chunks in flight (two being scored, the rest finished and
    waiting to be merged), each about one million cells; the mentors' running top lists,
    ``mentors x t_max`` slots with their merge buffer; the pruned arcs (at most P per mentee
    plus t_max per mentor) and the flow network; and the people themselves. Every term is
    linear in the number of mentees or of mentors, not in their product.
    """
    settings = settings or MatchSettings()
    n = len(mentees)
    ma = sum(1 for q in mentors if q.remaining_capacity > 0)
    pairs = n * ma
    exposure = max((q.remaining_capacity for q in mentors), default=0) * settings.exposure_factor
    t_max = settings.mentor_side_prune_factor * max(exposure, 0) + settings.shortlist_size
    if not settings.mentor_side_prune_factor:
        t_max = 0
    arcs = min(pairs, n * min(settings.candidates_per_mentee_prune, ma) + ma * t_max)
    cells = min(pairs, max(_CHUNK_CELLS, ma))  # one chunk: at least one mentee's row
    dense = (2 * _WORKERS + 1) * cells * _BYTES_PER_DENSE_CELL
    tops = ma * t_max * _BYTES_PER_TOP_SLOT if pairs else 0
    total = dense + tops + arcs * _BYTES_PER_ARC + (n + len(mentors)) * _BYTES_PER_PERSON
    return WorkEstimate(n, ma, pairs, arcs, -(-total // 2**20))


def _check_size(
    mentees: Sequence[MenteeInput], mentors: Sequence[MentorInput], settings: MatchSettings
) -> None:
    estimate = estimate_work(mentees, mentors, settings)
    if estimate.memory_mb > settings.max_memory_mb:
        raise MatchTooLarge(estimate, settings.max_memory_mb)


# --------------------------------------------------------------------------------------------
# Public entry points
# --------------------------------------------------------------------------------------------

_Solver = Callable[[_Prepared, _Pool], tuple[Bool, dict[str, Any]]]


def _run(
    solver_name: str,
    solver: _Solver,
    mentees: Sequence[MenteeInput],
    mentors: Sequence[MentorInput],
    organisation: Organisation,
    names: Mapping[str, str],
    constraints: MatchConstraints | None,
    settings: MatchSettings | None,
    templates: ReasonTemplates | Mapping[str, str] | None,
    language_names: Mapping[str, str] | None,
) -> MatchResult:
    compiled = _templates(templates) if templates is not None else None
    settings = settings or MatchSettings()
    _check_size(mentees, mentors, settings)
    t0 = time.monotonic()
    prep = _Prepared(
        mentees,
        mentors,
        organisation,
        constraints or MatchConstraints(),
        settings,
        names,
    )
    t1 = time.monotonic()
    pool = _generate(prep)
    t2 = time.monotonic()
    chosen, info = solver(prep, pool)
    t3 = time.monotonic()
    timings = {"prepare": t1 - t0, "candidates": t2 - t1, "solve": t3 - t2}
    result = _result(prep, pool, chosen, solver_name, info, timings, language_names)
    t4 = time.monotonic()
    result.stats["timings_s"]["build"] = round(t4 - t3, 4)
    result.stats["timings_s"]["total"] = round(t4 - t0, 4)
    return render_result(result, compiled) if compiled is not None else result


def match(
    mentees: Sequence[MenteeInput],
    mentors: Sequence[MentorInput],
    organisation: Organisation,
    *,
    names: Mapping[str, str],
    constraints: MatchConstraints | None = None,
    settings: MatchSettings | None = None,
    templates: ReasonTemplates | Mapping[str, str] | None = None,
    language_names: Mapping[str, str] | None = None,
) -> MatchResult:
    """Exposure-balanced, explained shortlists for ``mentees`` (exact min-cost flow).

    ``names`` maps every competency id used by a goal or expertise to its display name (ids
    missing from it raise ValueError). ``language_names`` optionally maps language codes to
    display names for reasons. With ``templates`` the reason texts are rendered; otherwise
    ``text``/``reason`` are "" until :func:`render_result` is called.

    Deterministic: the result does not depend on the order of ``mentees`` or ``mentors``.
    """
    return _run(
        "min_cost_flow",
        _solve_flow,
        mentees,
        mentors,
        organisation,
        names,
        constraints,
        settings,
        templates,
        language_names,
    )


def greedy_shortlists(
    mentees: Sequence[MenteeInput],
    mentors: Sequence[MentorInput],
    organisation: Organisation,
    *,
    names: Mapping[str, str],
    constraints: MatchConstraints | None = None,
    settings: MatchSettings | None = None,
    templates: ReasonTemplates | Mapping[str, str] | None = None,
    language_names: Mapping[str, str] | None = None,
) -> MatchResult:
    """Baseline for benchmarks and tests: same candidates, greedy assignment (mentees by id)."""
    return _run(
        "greedy",
        _solve_greedy,
        mentees,
        mentors,
        organisation,
        names,
        constraints,
        settings,
        templates,
        language_names,
    )


def candidate_pool(
    mentees: Sequence[MenteeInput],
    mentors: Sequence[MentorInput],
    organisation: Organisation,
    *,
    names: Mapping[str, str],
    constraints: MatchConstraints | None = None,
    settings: MatchSettings | None = None,
    language_names: Mapping[str, str] | None = None,
) -> dict[str, list[Candidate]]:
    """Every mentee's eligible candidates after pruning, best first, before exposure balancing.

    With ``candidates_per_mentee_prune`` >= the number of mentors nothing is pruned, so this
    lists every eligible pair. Useful for coordinator views ("who else could fit?").
    """
    settings = settings or MatchSettings()
    _check_size(mentees, mentors, settings)
    prep = _Prepared(
        mentees,
        mentors,
        organisation,
        constraints or MatchConstraints(),
        settings,
        names,
    )
    pool = _generate(prep)
    factory = _ReasonFactory(prep, language_names)
    devs = prep.dev_pairs(pool.mentee, pool.mentor).tolist()
    mentor_at, key_at = pool.mentor.tolist(), pool.key.tolist()
    out: dict[str, list[Candidate]] = {}
    for i, mentee in enumerate(prep.mentees):
        lo, hi = int(pool.indptr[i]), int(pool.indptr[i + 1])
        out[mentee.id] = [
            factory.candidate(i, mentor_at[a], key_at[a], devs[a]) for a in range(lo, hi)
        ]
    return out
