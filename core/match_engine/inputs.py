"""The frozen mentee and mentor inputs of the matching core and their validation.

Owns :class:`MenteeInput`, :class:`MentorInput` and the checks they (and other parts) apply to
ids and working hours.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import TypeVar

from core.match_engine.constants import (
    DEFAULT_WORK_HOURS,
    MAX_CAPACITY,
    MAX_GOALS,
    MEETING_FORMATS,
    MeetingFormat,
)


def check_id(kind: str, value: object) -> None:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{kind} id must be a non-empty string, got {value!r}")


def check_work_hours(who: str, hours: object) -> tuple[float, float]:
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


_T = TypeVar("_T")


def _unchecked(cls: type[_T], values: dict[str, object]) -> _T:
    """An instance of the frozen input class ``cls`` with ``values`` set as they are (no
    __post_init__): every field must be given, already in its normalised type."""
    obj = object.__new__(cls)
    for name, value in values.items():
        object.__setattr__(obj, name, value)
    return obj


@dataclass(frozen=True, slots=True, kw_only=True)
class _Whereabouts:
    """What mentees and mentors both tell about when, where and how they can meet (keyword
    arguments of both inputs)."""

    timezone: str | None = None
    work_hours: tuple[float, float] = DEFAULT_WORK_HOURS
    languages: frozenset[str] = frozenset()
    meeting_format: MeetingFormat = "either"
    department: str | None = None
    location: str | None = None

    def _check_whereabouts(self, who: str) -> None:
        timezone, department = self.timezone, self.department
        if timezone is not None and (not isinstance(timezone, str) or not timezone):
            raise ValueError(
                f"{who}: timezone must be an IANA name such as 'Europe/Berlin' or None"
            )
        if self.meeting_format not in MEETING_FORMATS:
            raise ValueError(
                f"{who}: meeting_format must be one of {sorted(MEETING_FORMATS)}, "
                f"got {self.meeting_format!r}"
            )
        if department is not None and not isinstance(department, str):
            raise ValueError(f"{who}: department must be a string or None")
        languages: object = self.languages
        if isinstance(languages, str) or not isinstance(languages, Iterable):
            raise ValueError(f"{who}: languages must be a set of language codes")
        langs = frozenset(languages)
        if not all(isinstance(x, str) and x for x in langs):
            raise ValueError(f"{who}: languages must be non-empty strings")
        object.__setattr__(self, "languages", langs)
        object.__setattr__(self, "work_hours", check_work_hours(who, self.work_hours))


@dataclass(frozen=True, slots=True)
class MenteeInput(_Whereabouts):
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

    def __post_init__(self) -> None:
        check_id("mentee", self.id)
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
        self._check_whereabouts(who)

    @classmethod
    def from_checked(
        cls,
        id: str,
        goals: tuple[str, ...],
        goal_weights: tuple[float, ...] | None,
        *,
        timezone: str | None,
        work_hours: tuple[float, float],
        languages: frozenset[str],
        meeting_format: MeetingFormat,
        department: str | None,
        location: str | None = None,
    ) -> MenteeInput:
        """The same mentee without the checks, for callers whose values already keep every
        rule above in its normalised type (e.g. rows checked when they were stored): a
        program's loading builds thousands of inputs and the checks cost it about 6 us each."""
        return _unchecked(cls, _fields_of(cls, locals()))

    def weights(self) -> tuple[float, ...]:
        """The normalised goal weights (summing to 1), in goal order."""
        raw = self.goal_weights or tuple(float(len(self.goals) - k) for k in range(len(self.goals)))
        total = sum(raw)
        return tuple(w / total for w in raw)


@dataclass(frozen=True, slots=True)
class MentorInput(_Whereabouts):
    """A mentor as the matching core sees them.

    ``capacity`` (0-5) is how many mentees they take at once; ``open_load`` counts their open
    pairs plus pending offers. Remaining capacity is ``capacity - open_load``; a mentor with
    remaining capacity <= 0 is never a candidate.
    """

    id: str
    expertise: frozenset[str] = frozenset()
    capacity: int = 1
    open_load: int = 0

    def __post_init__(self) -> None:
        check_id("mentor", self.id)
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
        self._check_whereabouts(who)

    @classmethod
    def from_checked(
        cls,
        id: str,
        expertise: frozenset[str],
        *,
        capacity: int,
        open_load: int,
        timezone: str | None,
        work_hours: tuple[float, float],
        languages: frozenset[str],
        meeting_format: MeetingFormat,
        department: str | None,
        location: str | None = None,
    ) -> MentorInput:
        """The same mentor without the checks (see :meth:`MenteeInput.from_checked`)."""
        return _unchecked(cls, _fields_of(cls, locals()))

    @property
    def remaining_capacity(self) -> int:
        return self.capacity - self.open_load


def _fields_of(cls: type, given: dict[str, object]) -> dict[str, object]:
    return {f.name: given[f.name] for f in fields(cls)}
