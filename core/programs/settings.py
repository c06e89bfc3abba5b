"""The settings a program runs with: one typed, frozen value, validated once.

Every default is stated once, in `content/program_defaults.yaml`; a program stores only the
keys a coordinator changed (JSON in `Program.settings`, the same shape as the YAML file).
`ProgramSettings.build` checks each value with the field's checker in `CHECKS` (the one place
that knows each setting's type and range): unknown keys are ignored and a bad stored value
falls back to the default (with a warning naming the key). A coordinator's edits are checked
by the same checkers (`check_setting`), so what is saved is always what a program can run with.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from core.matching import MAX_CAPACITY, MAX_GOALS, DepartmentPreference
from core.relationships.models import CADENCE_DAYS as AGREEMENT_CADENCE_DAYS

log = logging.getLogger(__name__)

# Meeting rhythms a coordinator can choose, as phrases, with their length in days.
CADENCE_DAYS = {"every week": 7, "every two weeks": 14, "every month": 30}
DURATIONS = (3, 6, 9, 12)  # relationship lengths (months) a coordinator can choose
MIN_K = 3  # the smallest minimum group a program may set
OBJECTIVES_MAX = 8
OBJECTIVE_MAX_CHARS = 150
TARGET_KEYS = (
    "active_pairs",
    "meetings_per_active_pair",
    "checkin_response_rate",
    "days_to_match",
    "goals_progressing",
)
PERCENT_TARGETS = ("checkin_response_rate", "goals_progressing")
# Whole-number settings a coordinator can change, with their inclusive range.
INT_RANGES: dict[str, tuple[int, int]] = {
    "shortlist_size": (1, 10),
    "agreement_nudge_days": (1, 60),
    "request_reminder_days": (1, 30),
    "request_expiry_days": (1, 60),
    "checkin_first_days": (7, 180),
    "checkin_every_days": (7, 365),
    "privacy_min_group": (MIN_K, 100),
    # Memory (MB) one whole-program matching run may use (see core.matchmaking.service).
    "matching_max_memory_mb": (64, 262_144),
}


class SettingProblem(ValueError):
    """A setting's value is not one a program can run with. `problem` is the template key
    under `coordinator.settings_errors` a coordinator is shown."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


@dataclass(frozen=True)
class Hours:
    """The daily window (local hours, 24-hour clock) the bot may message people in."""

    start: int
    end: int


@dataclass(frozen=True)
class Targets:
    """Coordinators' targets for `/mentoring stats`; None means no target."""

    active_pairs: float | None
    meetings_per_active_pair: float | None
    checkin_response_rate: float | None
    days_to_match: float | None
    goals_progressing: float | None

    def get(self, key: str) -> float | None:
        value: float | None = getattr(self, key)
        return value


@dataclass(frozen=True)
class ProgramSettings:
    """The effective settings of one program (see content/program_defaults.yaml for each)."""

    name: str
    objectives: tuple[str, ...]
    shortlist_size: int
    exposure_factor: int
    request_reminder_days: int
    request_expiry_days: int
    department_preference: DepartmentPreference
    max_goals: int
    max_mentor_capacity: int
    matching_max_memory_mb: int
    agreement_nudge_days: int
    duration_months: int
    meeting_cadence: str
    checkin_first_days: int
    checkin_every_days: int
    working_hours: Hours
    privacy_min_group: int
    retention_days: int
    materials_url: str
    coordinators: tuple[str | Mapping[str, Any], ...]
    default_cadence: str
    duration_choices: tuple[int, ...]
    extension_months: int
    snooze_days: int
    working_days: tuple[int, ...]
    default_timezone: str
    targets: Targets

    @classmethod
    def build(
        cls, defaults: Mapping[str, Any], stored: Mapping[str, Any] | None = None
    ) -> ProgramSettings:
        """The defaults with the stored overrides on top. A default that is missing or invalid
        is a broken content folder (ValueError); a bad stored value falls back to the default."""
        values: dict[str, Any] = {}
        for key, check in CHECKS.items():
            try:
                values[key] = check(defaults.get(key))
            except SettingProblem:
                raise ValueError(f"program_defaults.yaml: invalid or missing {key!r}") from None
        base = cls(**values)
        return base.with_stored(stored or {})

    def with_stored(self, stored: Mapping[str, Any]) -> ProgramSettings:
        """These settings with stored overrides applied (unknown keys are ignored)."""
        changes: dict[str, Any] = {}
        for key, value in stored.items():
            check = CHECKS.get(key)
            if check is None:
                continue
            if key == "targets" and isinstance(value, Mapping):
                value = {**stored_form(self.targets), **value}
            try:
                changes[key] = check(value)
            except SettingProblem:
                log.warning(
                    "program setting %r has an invalid stored value; using the default", key
                )
        return replace(self, **changes) if changes else self

    def as_dict(self) -> dict[str, Any]:
        """The settings in their stored form (as in program_defaults.yaml), e.g. for templates."""
        return {f.name: stored_form(getattr(self, f.name)) for f in fields(self)}


def stored_form(value: Any) -> Any:
    """A typed setting value back in its stored (JSON) form."""
    if isinstance(value, Hours | Targets):
        return {f.name: getattr(value, f.name) for f in fields(value)}
    if isinstance(value, tuple):
        return [dict(v) if isinstance(v, Mapping) else v for v in value]
    return value


# --- checkers: a stored (JSON/YAML) value in, the typed value out, else SettingProblem -------


def whole_number(value: Any) -> int | None:
    """`value` as a whole number (also from text such as "7" or "7.0"), else None."""
    if value is None or isinstance(value, bool) or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        return None
    return int(number) if number.is_integer() else None


def _between(low: int, high: int | None, problem: str = "number_between") -> Callable[[Any], int]:
    def check(value: Any) -> int:
        number = whole_number(value)
        if number is None or number < low or (high is not None and number > high):
            raise SettingProblem(problem)
        return number

    return check


def _in_range(key: str) -> Callable[[Any], int]:
    """A coordinator-editable number: its range is read from INT_RANGES when checked."""

    def check(value: Any) -> int:
        low, high = INT_RANGES[key]
        return _between(low, high)(value)

    return check


def _one_of(options: Any, problem: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str) or value not in options:
            raise SettingProblem(problem)
        return value

    return check


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise SettingProblem("text")
    return value


def _name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SettingProblem("text")
    return value


def _objectives(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(isinstance(o, str) for o in value):
        raise SettingProblem("objectives")
    if len(value) > OBJECTIVES_MAX:
        raise SettingProblem("too_many_objectives")
    if any(len(o) > OBJECTIVE_MAX_CHARS for o in value):
        raise SettingProblem("objective_too_long")
    return tuple(value)


def _duration(value: Any) -> int:
    number = whole_number(value)
    if number not in DURATIONS:
        raise SettingProblem("duration")
    return number


def _numbers(low: int, high: int | None) -> Callable[[Any], tuple[int, ...]]:
    """A non-empty list of whole numbers in [low, high]."""
    one = _between(low, high)

    def check(value: Any) -> tuple[int, ...]:
        if not isinstance(value, list | tuple) or not value:
            raise SettingProblem("numbers")
        return tuple(one(v) for v in value)

    return check


def _hours(value: Any) -> Hours:
    if not isinstance(value, Mapping):
        raise SettingProblem("working_hours")
    start, end = whole_number(value.get("start")), whole_number(value.get("end"))
    if start is None or end is None or not 0 <= start < end <= 24:
        raise SettingProblem("working_hours")
    return Hours(start, end)


def _coordinators(value: Any) -> tuple[str | Mapping[str, Any], ...]:
    items = value if isinstance(value, list | tuple) else [value]
    if value is None:
        items = []
    if not all(isinstance(i, str | Mapping) for i in items):
        raise SettingProblem("coordinators")
    return tuple(items)


def target_value(key: str, value: Any) -> float | None:
    """One target: empty is no target; otherwise a number >= 0 (a percentage at most 100)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise SettingProblem("target")
    try:
        amount = float(str(value).strip())
    except ValueError:
        raise SettingProblem("target") from None
    if amount < 0 or (key in PERCENT_TARGETS and amount > 100):
        raise SettingProblem("target")
    return int(amount) if amount.is_integer() else round(amount, 1)


def _targets(value: Any) -> Targets:
    if not isinstance(value, Mapping):
        raise SettingProblem("target")
    return Targets(**{key: target_value(key, value.get(key)) for key in TARGET_KEYS})


CHECKS: dict[str, Callable[[Any], Any]] = {
    "name": _name,
    "objectives": _objectives,
    "shortlist_size": _in_range("shortlist_size"),
    "exposure_factor": _between(1, None),
    "request_reminder_days": _in_range("request_reminder_days"),
    "request_expiry_days": _in_range("request_expiry_days"),
    "department_preference": _one_of(("same", "different", "any"), "department_preference"),
    "max_goals": _between(1, MAX_GOALS),
    "max_mentor_capacity": _between(1, MAX_CAPACITY),
    "matching_max_memory_mb": _in_range("matching_max_memory_mb"),
    "agreement_nudge_days": _in_range("agreement_nudge_days"),
    "duration_months": _duration,
    "meeting_cadence": _one_of(CADENCE_DAYS, "cadence"),
    "checkin_first_days": _in_range("checkin_first_days"),
    "checkin_every_days": _in_range("checkin_every_days"),
    "working_hours": _hours,
    "privacy_min_group": _in_range("privacy_min_group"),
    "retention_days": _between(0, None),
    "materials_url": _text,
    "coordinators": _coordinators,
    "default_cadence": _one_of(AGREEMENT_CADENCE_DAYS, "cadence"),
    "duration_choices": _numbers(1, None),
    "extension_months": _between(1, None),
    "snooze_days": _between(1, None),
    "working_days": _numbers(1, 7),
    "default_timezone": _name,
    "targets": _targets,
}


def check_setting(key: str, value: Any) -> Any:
    """`value` (in stored form) checked as the setting `key`: the typed value, else
    `SettingProblem` with the problem a coordinator is shown."""
    return CHECKS[key](value)
