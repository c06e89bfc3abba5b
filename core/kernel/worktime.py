"""The one working-time calendar: a program's working hours on its working days, in each
person's own time zone (the program's `default_timezone` when theirs is unknown).

Every schedule uses it: when the bot may send someone a scheduled message (nudges, digests),
and when a mentor request is reminded and expires (so many working days after it was made).
All instants in and out are aware UTC datetimes; a person's time zone (an IANA name from
Slack's `users.info`) is applied only here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:
    from core.programs.settings import ProgramSettings

WEEKDAYS = frozenset({1, 2, 3, 4, 5})  # ISO weekdays, 1 = Monday


@lru_cache(maxsize=1024)
def zone(name: str | None, fallback: str = "UTC") -> ZoneInfo:
    """The time zone called `name`, or `fallback` when it is empty or unknown."""
    for candidate in (name, fallback, "UTC"):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


@dataclass(frozen=True)
class WorkingHours:
    """A daily window [start, end) in local hours, on the given ISO weekdays."""

    start: int = 9
    end: int = 17
    days: frozenset[int] = WEEKDAYS
    fallback_tz: str = "UTC"

    def __post_init__(self) -> None:
        if not (0 <= self.start < self.end <= 24):
            raise ValueError("working hours need 0 <= start < end <= 24")
        if not self.days or not self.days <= set(range(1, 8)):
            raise ValueError("working days must be ISO weekdays 1 (Monday) to 7 (Sunday)")

    @classmethod
    def from_settings(cls, settings: ProgramSettings) -> WorkingHours:
        """A program's working hours, days and fallback time zone (checked in its settings)."""
        return cls(
            start=settings.working_hours.start,
            end=settings.working_hours.end,
            days=frozenset(settings.working_days),
            fallback_tz=settings.default_timezone,
        )

    def _bounds(self, day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
        start = datetime.combine(day, time(self.start), tzinfo=tz)
        end = (
            datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
            if self.end == 24
            else datetime.combine(day, time(self.end), tzinfo=tz)
        )
        return start.astimezone(UTC), end.astimezone(UTC)

    def contains(self, when: datetime, tz_name: str | None) -> bool:
        tz = zone(tz_name, self.fallback_tz)
        local = when.astimezone(tz)
        if local.isoweekday() not in self.days:
            return False
        start, end = self._bounds(local.date(), tz)
        return start <= when < end

    def next_start(self, when: datetime, tz_name: str | None) -> datetime:
        """`when` itself if it is inside working hours, else the next moment that is."""
        tz = zone(tz_name, self.fallback_tz)
        today = when.astimezone(tz).date()
        for offset in range(8):
            day = today + timedelta(days=offset)
            if day.isoweekday() not in self.days:
                continue
            start, end = self._bounds(day, tz)
            if when < start:
                return start
            if when < end:
                return when
        raise AssertionError("a working day occurs every week")  # pragma: no cover

    def next_day_start(self, when: datetime, tz_name: str | None) -> datetime:
        """The start of working hours on the next working day after `when`'s local day."""
        tz = zone(tz_name, self.fallback_tz)
        tomorrow = when.astimezone(tz).date() + timedelta(days=1)
        start, _ = self._bounds(tomorrow, tz)
        return self.next_start(start, tz_name)

    def local_day(self, when: datetime, tz_name: str | None) -> date:
        return when.astimezone(zone(tz_name, self.fallback_tz)).date()

    def add_working_days(self, when: datetime, days: int, tz_name: str | None) -> datetime:
        """`when` moved forward by `days` working days in the person's zone, keeping the local
        time of day: with Monday-Friday, Monday 10:00 + 2 = Wednesday 10:00, Friday 15:00 + 1 =
        Monday 15:00, Saturday 10:00 + 1 = Monday 10:00."""
        if when.tzinfo is None:
            raise ValueError("add_working_days needs an aware datetime")
        local = when.astimezone(zone(tz_name, self.fallback_tz))
        counted = 0
        while counted < days:
            local = local + timedelta(days=1)
            if local.isoweekday() in self.days:
                counted += 1
        return local.astimezone(UTC)
