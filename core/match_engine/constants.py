"""Limits, practical-fit point weights and array type aliases shared by the matching parts."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal, get_args

import numpy as np
import numpy.typing as npt

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
PTS_TIME = round(PRACTICAL_POINTS * PRACTICAL_WEIGHTS["working_hours"])
PTS_LANG = round(PRACTICAL_POINTS * PRACTICAL_WEIGHTS["language"])
PTS_FORMAT = round(PRACTICAL_POINTS * PRACTICAL_WEIGHTS["meeting_format"])
PTS_DEPT = PRACTICAL_POINTS - PTS_TIME - PTS_LANG - PTS_FORMAT
# In-person meeting wanted but the two are based in different places: mostly, not fully, poor.
FORMAT_DIFFERENT_LOCATION = 0.4
TIER_EPS = 1e-9
# Rank keys are tier * STRIDE + practical points, so a higher tier always wins.
STRIDE = PRACTICAL_POINTS + 1

Int = npt.NDArray[np.int64]
Float = npt.NDArray[np.float64]
Bool = npt.NDArray[np.bool_]

MEETING_FORMATS: frozenset[str] = frozenset(get_args(MeetingFormat))
DEPARTMENT_PREFERENCES: frozenset[str] = frozenset(get_args(DepartmentPreference))
