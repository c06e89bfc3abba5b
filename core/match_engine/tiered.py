"""Tiered candidate search: the same pruned candidates as the dense scan, without scoring
every (mentee, mentor) cell.

A cell's pruning value is ``((tier * 1001 + points) << bits) + tie + 1``: the developmental
tier decides first. A mentee's tier for a mentor depends only on which of the mentee's goals
the mentor covers, so mentees are grouped by their goal *set*: one coverage pattern per set
and mentor (a byte) says which tier every member of the set would give that mentor. From the
number of mentors per pattern, each mentee finds the highest tier T such that at least
``P + (its excluded pairs)`` mentors are in tier T or above; its best P candidates are then
among those mentors (every other eligible mentor is in a lower tier, so has a lower value),
and only those cells are scored. The mentor side works the same way from the top tier: a
mentor's best mentees are those who have all their goals covered when there are enough of
them, else the mentor's whole column is scored. Every value, threshold and tie-break is the
dense scan's (:class:`core.match_engine.candidates._Keys`), so the pool is identical; see
``tests/unit/test_matching_tiered.py`` and docs/matching.md ("Tiered candidate search").
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from core.match_engine.constants import MAX_GOALS, STRIDE, Int

if TYPE_CHECKING:
    from core.match_engine.candidates import _Generation

N_PATTERNS = 1 << MAX_GOALS
SET_CHUNK_CELLS = 2_000_000  # goal sets x mentors scored per chunk (bytes)
CELL_CHUNK = 2_000_000  # cells valued at once


def _expand(starts: Int, lengths: Int) -> Int:
    """Concatenated ranges starts[k] : starts[k] + lengths[k]."""
    total = int(lengths.sum())
    if not total:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(np.cumsum(lengths) - lengths, lengths)
    out: Int = np.repeat(starts, lengths) + (np.arange(total) - offsets)
    return out


class TieredSearch:
    """Top-P candidates per mentee and the mentor side, scoring only the cells that can win."""

    def __init__(self, gen: _Generation) -> None:
        self.gen = gen
        prep = self.prep = gen.prep
        n = gen.n
        self.expertise = prep.expertise_t[:, gen.avail]  # (competencies + 1, mentors with room)
        order = np.argsort(prep.goal_cols, axis=1, kind="stable")
        sorted_goals = np.take_along_axis(prep.goal_cols, order, axis=1)
        self.sets, set_of = np.unique(sorted_goals, axis=0, return_inverse=True)
        self.set_of = set_of.reshape(-1).astype(np.int64)
        # Mentees grouped by set (CSR).
        self.members = np.argsort(self.set_of, kind="stable")
        sizes = np.bincount(self.set_of, minlength=len(self.sets))
        self.set_start = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        # tier key of each mentee per canonical pattern (bit c = c-th goal of the sorted set).
        canon = np.arange(N_PATTERNS)
        original = np.zeros((n, N_PATTERNS), dtype=np.int64)
        for c in range(MAX_GOALS):
            original |= ((canon >> c) & 1)[None, :] << order[:, c : c + 1]
        table = prep.tier_key_table.reshape(n, N_PATTERNS)
        self.tier_key = np.take_along_axis(table, original, axis=1)
        self.tier_key[:, 0] = -STRIDE  # no goal covered: not a candidate (level -1)
        self.levels = prep.n_tiers
        # Excluded pairs (reporting line incl. self, pair rules) with a mentor who has room.
        pos = np.full(len(prep.mentors), -1, dtype=np.int64)
        pos[gen.avail] = np.arange(gen.ma)
        ex_c = pos[prep.excluded.j]
        keep = ex_c >= 0
        self.ex_i, self.ex_c = prep.excluded.i[keep], ex_c[keep]
        self.ex_code = np.sort(self.ex_i * max(gen.ma, 1) + self.ex_c)
        self.ex_per_mentee = np.bincount(self.ex_i, minlength=n)
        self.ex_per_mentor = np.bincount(self.ex_c, minlength=gen.ma)

    # -- shared -------------------------------------------------------------------------------

    def _set_chunks(self, cols: Int | None = None) -> Iterator[tuple[int, npt.NDArray[np.uint8]]]:
        """(first set, canonical coverage patterns of a chunk of sets x mentors with room, or
        x ``cols`` of them)."""
        expertise = self.expertise if cols is None else self.expertise[:, cols]
        step = max(1, SET_CHUNK_CELLS // max(expertise.shape[1], 1))
        for s0 in range(0, len(self.sets), step):
            goals = self.sets[s0 : s0 + step]
            pat: npt.NDArray[np.uint8] = expertise[goals[:, 0]]
            for c in range(1, MAX_GOALS):
                pat |= expertise[goals[:, c]] << np.uint8(c)
            yield s0, pat

    def values(self, rows: Int, cols: Int, pattern: Int) -> Int:
        """Pruning values of the cells (rows[k], cols[k]) given their canonical patterns; 0 for
        excluded cells. The same arithmetic as the dense blocks."""
        keys, prep = self.gen.keys, self.prep
        mentors = self.gen.avail[cols]
        pts = prep.practical
        points = pts.table_a[pts.prof_a_e[rows], pts.prof_a_m[mentors]].astype(np.int64)
        points += pts.table_b[pts.prof_b_e[rows], pts.prof_b_m[mentors]]
        delta = pts.dept_same - pts.dept_diff
        if delta:
            points += (pts.dept_e[rows] == pts.dept_m[mentors]) * delta
        out: Int = (self.tier_key[rows, pattern] + points) << keys.bits
        out += np.bitwise_xor(keys.tb_col[cols], keys.tb_row[rows]).astype(np.int64) + 1
        if self.ex_code.size:
            code = rows * max(self.gen.ma, 1) + cols
            at = np.minimum(np.searchsorted(self.ex_code, code), self.ex_code.size - 1)
            out[self.ex_code[at] == code] = 0
        out[pattern == 0] = 0
        return out

    # -- mentee side --------------------------------------------------------------------------

    def mentee_side(self) -> tuple[Int, Int, Int]:
        """Each mentee's best P cells (mentee, mentor position, value); fills the generation's
        eligible counts and row thresholds, and the mentors' full-coverage counts."""
        parts: list[tuple[Int, Int, Int]] = []
        for s0, pat in self._set_chunks():
            parts.append(self._mentee_chunk(s0, pat))
        if not parts:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty
        return tuple(np.concatenate([p[k] for p in parts]) for k in range(3))  # type: ignore[return-value]

    def _mentee_chunk(self, s0: int, pat: npt.NDArray[np.uint8]) -> tuple[Int, Int, Int]:
        cs, ma = pat.shape
        counts = np.bincount(
            (pat + (np.arange(cs, dtype=np.int64) * N_PATTERNS)[:, None]).ravel(),
            minlength=cs * N_PATTERNS,
        ).reshape(cs, N_PATTERNS)
        rows = self.members[self.set_start[s0] : self.set_start[s0 + cs]]
        local = self.set_of[rows] - s0
        allowed = self._allowed_patterns(rows, counts[local])
        self._eligible(rows, counts[local])
        # Mentor columns of each (set, allowed patterns) combination, then its members' cells.
        combo_key = local * 256 + allowed
        combos, combo_of = np.unique(combo_key, return_inverse=True)
        c_set, c_allowed = combos // 256, combos % 256
        mask = ((c_allowed.astype(np.uint8)[:, None] >> pat[c_set]) & np.uint8(1)).view(bool)
        c_idx, cols = np.nonzero(mask)
        by_combo = np.argsort(combo_of.reshape(-1), kind="stable")
        sizes = np.bincount(combo_of.reshape(-1), minlength=combos.size)
        start = np.concatenate([[0], np.cumsum(sizes)])[:-1]
        reps = sizes[c_idx]
        member = by_combo[_expand(start[c_idx], reps)]
        cell_rows = rows[member]
        cell_cols = np.repeat(cols, reps)
        cell_pat = pat[local[member], cell_cols].astype(np.int64)
        return self._top_p(cell_rows, cell_cols, cell_pat)

    def _allowed_patterns(self, rows: Int, counts: Int) -> Int:
        """Per mentee, the canonical patterns in tiers at or above its threshold (8-bit mask)."""
        tk = self.tier_key[rows]
        valid = tk >= 0
        need = self.gen.top_p + self.ex_per_mentee[rows]
        at_or_above = (tk[:, None, :] >= tk[:, :, None]) & valid[:, None, :]
        cum = (at_or_above * counts[:, None, :]).sum(axis=2)
        ok = valid & (cum >= need[:, None])
        threshold = np.where(ok, tk, -1).max(axis=1)
        threshold = np.where(threshold < 0, 0, threshold)  # too few: every covering mentor
        keep = valid & (tk >= threshold[:, None])
        out: Int = (keep * (1 << np.arange(N_PATTERNS))).sum(axis=1)
        return out

    def _eligible(self, rows: Int, counts: Int) -> None:
        """Eligible mentors per mentee: covering ones minus excluded covering ones."""
        self.gen.eligible[rows] = self.gen.ma - counts[:, 0]

    def excluded_covering(self) -> None:
        """Subtract the excluded pairs whose mentor covers a goal (after all chunks)."""
        if not self.ex_i.size:
            return
        goals = self.prep.goal_cols[self.ex_i]
        cover = np.zeros(self.ex_i.size, dtype=bool)
        for k in range(MAX_GOALS):
            cover |= self.expertise[goals[:, k], self.ex_c] != 0
        self.gen.eligible -= np.bincount(self.ex_i[cover], minlength=self.gen.n)

    def _top_p(self, rows: Int, cols: Int, pattern: Int) -> tuple[Int, Int, Int]:
        """The best P valid cells of each mentee in the chunk; sets row thresholds."""
        values = self.values(rows, cols, pattern)
        valid = values > 0
        rows, cols, values = rows[valid], cols[valid], values[valid]
        rows, cols, values = _by_row_best_first(rows, cols, values, int(self.gen.keys.top))
        first = np.searchsorted(rows, rows, side="left")
        rank = np.arange(rows.size) - first
        top_p = self.gen.top_p
        keep = rank < top_p
        at_p = rank == top_p - 1
        thr = self.gen.row_thr
        thr[rows] = 1
        if self.gen.ma > top_p:
            thr[rows[at_p]] = values[at_p]
        return rows[keep], cols[keep], values[keep]

    # -- mentor side --------------------------------------------------------------------------

    def mentor_side(self, under: Int) -> tuple[Int, Int, Int]:
        """(mentee, mentor position, value) of the best ``want`` mentees of each mentor in
        ``under``, ordered as the dense scan's running top lists order them.

        A first pass counts, per mentor, the mentees in each tier (from how many members of
        each goal set have each tier per pattern); the mentor's threshold is the highest tier
        with at least ``want + (its excluded pairs)`` mentees at or above it. A second pass
        scores only the mentees at or above the thresholds: every other mentee has at least
        ``want`` valid mentees in a higher tier.
        """
        levels = self.levels
        level = self.tier_key // STRIDE  # -1 where no goal is covered
        hist = self._level_counts(under, level)
        need = self.gen.want[under] + self.ex_per_mentor[under]
        cum = np.cumsum(hist[:, ::-1], axis=1)[:, ::-1]  # mentees at this tier or above
        reach = cum >= need[:, None]
        threshold = np.where(reach.any(axis=1), levels - 1 - np.argmax(reach[:, ::-1], 1), 0)
        high = np.full((len(self.sets), N_PATTERNS), -1, dtype=np.int64)
        np.maximum.at(high, self.set_of, level)  # the highest tier of a set's members
        # A set x pattern reaches a mentor's threshold: one byte per pattern and threshold.
        reaches = (high[:, :, None] >= np.arange(levels)[None, None, :]) & (high[:, :, None] >= 0)
        parts: list[tuple[Int, Int, Int]] = []
        for s0, pat in self._set_chunks(under):
            code = pat.astype(np.int16) * levels + threshold.astype(np.int16)[None, :]
            flat = reaches[s0 : s0 + pat.shape[0]].reshape(pat.shape[0], -1)
            s_idx, u_idx = np.nonzero(np.take_along_axis(flat, code, axis=1))
            sets = s_idx + s0
            lengths = self.set_start[sets + 1] - self.set_start[sets]
            rows = self.members[_expand(self.set_start[sets], lengths)]
            u_cell = np.repeat(u_idx, lengths)
            pattern = np.repeat(pat[s_idx, u_idx], lengths).astype(np.int64)
            keep = level[rows, pattern] >= threshold[u_cell]
            rows, cols, pattern = rows[keep], under[u_cell[keep]], pattern[keep]
            parts.append((rows, cols, self.values(rows, cols, pattern)))
        return self._best_per_mentor(under, *_concat(parts))

    def _level_counts(self, under: Int, level: Int) -> Int:
        """(mentors in ``under``, tiers): how many mentees each mentor would give each tier."""
        per_set = np.zeros((len(self.sets), N_PATTERNS, self.levels), dtype=np.float32)
        valid = level >= 0
        idx_set = np.broadcast_to(self.set_of[:, None], level.shape)[valid]
        idx_pat = np.broadcast_to(np.arange(N_PATTERNS)[None, :], level.shape)[valid]
        np.add.at(per_set, (idx_set, idx_pat, level[valid]), 1)
        hist = np.zeros((under.size, self.levels), dtype=np.float64)
        # Only the tiers some member reaches with a pattern (a handful of the levels).
        present = [np.flatnonzero(per_set[:, p].any(axis=0)) for p in range(N_PATTERNS)]
        for s0, pat in self._set_chunks(under):
            block = per_set[s0 : s0 + pat.shape[0]]
            for p in range(1, N_PATTERNS):
                if present[p].size:
                    mask = (pat == p).view(np.uint8).T.astype(np.float32)
                    hist[:, present[p]] += mask @ block[:, p][:, present[p]]
        out: Int = np.rint(hist).astype(np.int64)
        return out

    def _best_per_mentor(
        self, under: Int, rows: Int, cols: Int, values: Int
    ) -> tuple[Int, Int, Int]:
        gen = self.gen
        valid = values > 0
        rows, cols, values = rows[valid], cols[valid], values[valid]
        tie = self._tie()[rows]
        tbits, vbits = int(gen.n + 1).bit_length(), int(gen.keys.top).bit_length()
        if int(gen.ma).bit_length() + vbits + tbits <= 63:  # one sort of packed integers
            packed = (cols << (vbits + tbits)) | ((int(gen.keys.top) - values) << tbits)
            order = np.argsort(packed | ((1 << tbits) - 1 - tie))
        else:
            order = np.lexsort((-tie, -values, cols))
        rows, cols, values = rows[order], cols[order], values[order]
        rank = np.arange(cols.size) - np.searchsorted(cols, cols, side="left")
        limit = np.zeros(gen.ma, dtype=np.int64)
        limit[under] = gen.want[under]
        keep = rank < limit[cols]
        return rows[keep], cols[keep], values[keep]

    def _tie(self) -> Int:
        """Higher = earlier among equal values: the dense scan's order by mentee hash rank."""
        n = self.gen.n
        order = np.lexsort((np.arange(n), self.prep.hash_e))
        tie = np.empty(n, dtype=np.int64)
        tie[order] = n - np.arange(n)
        return tie


def _concat(parts: list[tuple[Int, Int, Int]]) -> tuple[Int, Int, Int]:
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    return (
        np.concatenate([p[0] for p in parts]),
        np.concatenate([p[1] for p in parts]),
        np.concatenate([p[2] for p in parts]),
    )


def _by_row_best_first(rows: Int, cols: Int, values: Int, top: int) -> tuple[Int, Int, Int]:
    """The cells ordered by row, highest value first within a row (values are unique per
    row). One sort of packed integers when row and value fit in 63 bits, else a lexsort."""
    if not rows.size:
        return rows, cols, values
    base = int(rows.min())
    vbits = top.bit_length()
    if (int(rows.max()) - base).bit_length() + vbits <= 63:
        packed = ((rows - base) << vbits) | (top - values)
        order = np.argsort(packed)
    else:
        order = np.lexsort((-values, rows))
    return rows[order], cols[order], values[order]
