"""Practical fit: working hours, language, meeting format and department, as point tables.

Owns :class:`PracticalTables`. People with the same (time zone, hours, languages, format,
place) share a profile, so the points of any mentee-mentor block come from two small tables
plus a same-department term instead of a per-pair computation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from core.match_engine.constants import (
    FORMAT_DIFFERENT_LOCATION,
    PTS_DEPT,
    PTS_FORMAT,
    PTS_LANG,
    PTS_TIME,
    Int,
)
from core.match_engine.constraints import MatchSettings
from core.match_engine.inputs import MenteeInput, MentorInput
from core.match_engine.timezones import overlap_minutes, standard_offset_minutes, utc_window

Window = tuple[int, int]
Profile = tuple[int, int, int, int]  # (schedule, languages, format + place, department) keys


class _ProfileKeys:
    """Numbers each distinct schedule, language set, format + place and department in turn."""

    def __init__(self, year: int) -> None:
        self.year = year
        self.sched: dict[Window | None, int] = {}
        self.lang: dict[frozenset[str], int] = {}
        self.fmt: dict[tuple[str, str | None], int] = {}
        self.dept: dict[str, int] = {}
        self._raw: dict[tuple[Any, ...], tuple[int, int, int]] = {}

    def _window(self, who: str, p: MenteeInput | MentorInput) -> Window | None:
        if p.timezone is None:
            return None
        try:
            offset = standard_offset_minutes(p.timezone, self.year)
        except ValueError as exc:
            raise ValueError(f"{who}: {exc}") from None
        return utc_window(offset, p.work_hours)

    def of(self, who: str, p: MenteeInput | MentorInput, unknown_dept: int) -> Profile:
        """The profile keys of one person; ``unknown_dept`` stands for a missing department."""
        raw = (p.timezone, p.work_hours, p.languages, p.meeting_format, p.location)
        parts = self._raw.get(raw)
        if parts is None:
            sk = self.sched.setdefault(self._window(who, p), len(self.sched))
            langs = frozenset(x.strip().casefold() for x in p.languages)
            lk = self.lang.setdefault(langs, len(self.lang))
            loc = p.location.strip().casefold() if p.location else None
            fk = self.fmt.setdefault((p.meeting_format, loc), len(self.fmt))
            parts = self._raw[raw] = (sk, lk, fk)
        dk = (
            unknown_dept if not p.department else self.dept.setdefault(p.department, len(self.dept))
        )
        return (*parts, dk)


def _time_table(scheds: Sequence[Window | None]) -> tuple[Int, Int]:
    """Working-hours points and overlap minutes (-1: a zone unknown) per pair of schedules."""
    n_s = len(scheds)
    t_tab = np.zeros((n_s, n_s), dtype=np.int64)
    overlap_min = np.full((n_s, n_s), -1, dtype=np.int64)
    for a, ka in enumerate(scheds):
        for b, kb in enumerate(scheds):
            if ka is None or kb is None:
                t_tab[a, b] = PTS_TIME // 2
                continue
            ov = overlap_minutes(ka, kb)
            overlap_min[a, b] = ov
            t_tab[a, b] = round(PTS_TIME * ov / min(ka[1], kb[1]))
    return t_tab, overlap_min


def _language_table(langs: Sequence[frozenset[str]]) -> Int:
    l_tab = np.zeros((len(langs), len(langs)), dtype=np.int64)
    for a, la in enumerate(langs):
        for b, lb in enumerate(langs):
            l_tab[a, b] = PTS_LANG // 2 if not la or not lb else (PTS_LANG if la & lb else 0)
    return l_tab


def _format_points(fa: str, loc_a: str | None, fb: str, loc_b: str | None) -> int:
    if {fa, fb} == {"remote", "in_person"}:
        return 0
    if "in_person" in (fa, fb) and loc_a and loc_b and loc_a != loc_b:
        return round(PTS_FORMAT * FORMAT_DIFFERENT_LOCATION)
    return PTS_FORMAT


def _format_table(fmts: Sequence[tuple[str, str | None]]) -> Int:
    f_tab = np.zeros((len(fmts), len(fmts)), dtype=np.int64)
    for a, (fa, loc_a) in enumerate(fmts):
        for b, (fb, loc_b) in enumerate(fmts):
            f_tab[a, b] = _format_points(fa, loc_a, fb, loc_b)
    return f_tab


def _combos(keys: list[tuple[int, int]]) -> tuple[Int, Int]:
    """Each key's combination number, and the distinct combinations in first-seen order."""
    index: dict[tuple[int, int], int] = {}
    ids = np.array([index.setdefault(k, len(index)) for k in keys], dtype=np.int64)
    return ids, np.array(list(index), dtype=np.int64).reshape(-1, 2)


class PracticalTables:
    """Practical points from two small tables plus a same-department term.

    points[i, j] = A[(window, languages) of i, of j] + B[(format + place, department
    known?) of i, of j] + (same - diff) * [same department].
    """

    def __init__(
        self,
        mentees: Sequence[MenteeInput],
        mentors: Sequence[MentorInput],
        settings: MatchSettings,
    ) -> None:
        self.dept_same, self.dept_diff, dept_unknown = {
            "different": (0, PTS_DEPT, PTS_DEPT // 2),
            "same": (PTS_DEPT, 0, PTS_DEPT // 2),
            "any": (PTS_DEPT, PTS_DEPT, PTS_DEPT),
        }[settings.department_preference]
        keys = _ProfileKeys(settings.reference_year)
        prof_e = [keys.of(f"mentee {p.id!r}", p, -1) for p in mentees]
        prof_m = [keys.of(f"mentor {q.id!r}", q, -2) for q in mentors]
        t_tab, self.overlap_min = _time_table(list(keys.sched))
        l_tab = _language_table(list(keys.lang))
        f_tab = _format_table(list(keys.fmt))

        # Two small tables: (working window, languages) and (format + place, department known).
        self.prof_a_e, ae = _combos([(x[0], x[1]) for x in prof_e])
        self.prof_a_m, am = _combos([(x[0], x[1]) for x in prof_m])
        self.prof_b_e, be = _combos([(x[2], int(x[3] >= 0)) for x in prof_e])
        self.prof_b_m, bm = _combos([(x[2], int(x[3] >= 0)) for x in prof_m])
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

    def points(self, rows: Int, cols: Int) -> npt.NDArray[np.int16]:
        """Practical points of the block rows x cols (sorted mentee and mentor indices)."""
        pts: npt.NDArray[np.int16] = self.table_a[self.prof_a_e[rows]][:, self.prof_a_m[cols]]
        pts += self.table_b[self.prof_b_e[rows]][:, self.prof_b_m[cols]]
        delta = self.dept_same - self.dept_diff
        if delta:  # unknown departments are -1 / -2, so never "equal"
            eq = self.dept_e[rows][:, None] == self.dept_m[cols][None, :]
            pts += eq.astype(np.int16) * np.int16(delta)
        return pts
