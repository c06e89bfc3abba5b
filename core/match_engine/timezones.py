"""Time zones: DST-free standard offsets and the daily overlap of two working windows."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.match_engine.constants import REFERENCE_YEAR
from core.match_engine.inputs import check_work_hours


@lru_cache(maxsize=4096)
def standard_offset_minutes(tz: str, year: int) -> int:
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
    return standard_offset_minutes(tz, year) / 60


def utc_window(offset_min: int, hours: tuple[float, float]) -> tuple[int, int]:
    start = round(hours[0] * 60)
    length = (round(hours[1] * 60) - start) % 1440 or 1440
    return ((start - offset_min) % 1440, length)


@lru_cache(maxsize=65536)
def overlap_minutes(a: tuple[int, int], b: tuple[int, int]) -> int:
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
    a = utc_window(standard_offset_minutes(tz_a, year), check_work_hours("a", hours_a))
    b = utc_window(standard_offset_minutes(tz_b, year), check_work_hours("b", hours_b))
    return overlap_minutes(a, b) / 60
