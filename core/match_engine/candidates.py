"""Candidate generation: every eligible pair scored in dense chunks, pruned on both sides.

Owns :class:`Pool` (the pruned arcs every later step works on), :func:`generate` and the
diagnosis of mentees left without any candidate. Chunks of about :data:`CHUNK_CELLS` cells are
scored on a small thread pool; each mentee keeps its best P candidates and each mentor its
best-fitting mentees (see docs/matching.md, "Pruning (and how much it costs)").
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from core.match_engine.constants import PRACTICAL_POINTS, STRIDE, Bool, Int
from core.match_engine.prepare import Prepared
from core.match_engine.tiered import TieredSearch

_T = TypeVar("_T")

CHUNK_CELLS = 1_000_000
WORKERS = 2  # numpy releases the GIL in the dense steps, so two chunks run at once


def _pipeline(fn: Callable[[int], _T], starts: range, consume: Callable[[int, _T], None]) -> None:
    """``consume(s, fn(s))`` for each start in order; ``fn`` runs on a small thread pool.

    The first chunk runs alone (its results let the following chunks filter early); then at
    most ``2 * WORKERS`` chunks are in flight, so finished chunks never pile up while
    ``consume`` (in this thread) catches up.
    """
    if len(starts) <= 2:
        for s in starts:
            consume(s, fn(s))
        return
    consume(starts[0], fn(starts[0]))
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        pending: deque[tuple[int, Future[_T]]] = deque()
        for s in starts[1:]:
            pending.append((s, pool.submit(fn, s)))
            if len(pending) >= 2 * WORKERS:
                first, future = pending.popleft()
                consume(first, future.result())
        while pending:
            first, future = pending.popleft()
            consume(first, future.result())


@dataclass
class Pool:
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

    def __init__(self, prep: Prepared, avail: Int) -> None:
        self.prep = prep
        self.avail = avail
        ma = avail.size
        rank = np.empty(ma, dtype=np.int64)
        rank[np.argsort(prep.hash_rank_m[avail], kind="stable")] = np.arange(ma)
        self.bits = max(1, (max(ma, 1) - 1).bit_length())
        top = (((prep.n_tiers - 1) * STRIDE + PRACTICAL_POINTS) << self.bits) + (1 << self.bits)
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

    def __init__(self, prep: Prepared, mentors: int, size: int, value_top: int) -> None:
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


class _Generation:
    """One pass of candidate generation: its sizes, the chunk scorer, the collector, the merge.

    Mentee side: each mentee keeps its top P candidates. Mentor side: each mentor also keeps
    its top ``want = Q * exposure + K`` mentees, used only for mentors that appear in fewer than
    ``want`` mentee lists. Both selections are made in the same pass over the dense blocks; the
    mentor side as one running top list per mentor (:class:`_MentorTops`).
    """

    def __init__(self, prep: Prepared) -> None:
        settings = prep.settings
        self.prep = prep
        self.n = n = len(prep.mentees)
        self.avail = np.flatnonzero(prep.remaining > 0)
        self.ma = ma = self.avail.size
        self.keys = _Keys(prep, self.avail)
        self.all_cols = np.arange(ma)
        self.all_col_of = self.keys.columns(self.all_cols)
        self.top_p = min(settings.candidates_per_mentee_prune, ma)
        exposure = np.maximum(prep.remaining[self.avail], 0) * settings.exposure_factor
        factor = settings.mentor_side_prune_factor
        self.want = factor * exposure + settings.shortlist_size
        self.t_max = int(self.want.max()) if factor and ma else 0
        self.chunk = max(1, CHUNK_CELLS // max(ma, 1))
        self.dense = settings.candidate_search == "dense"
        self.tops = (
            _MentorTops(prep, ma, self.t_max, self.keys.top) if self.t_max and self.dense else None
        )
        self.eligible = np.zeros(n, dtype=np.int64)
        self.row_thr = np.ones(n, dtype=np.int64)
        self.row_parts: list[tuple[Int, Int, Int]] = []

    def run(self) -> Pool:
        if not self.dense:
            return self._run_tiered()
        _pipeline(self.score_chunk, range(0, self.n if self.ma else 0, self.chunk), self.consume)
        e, c, v = self._row_arcs()
        tops = self.tops
        e, c, v, extra = self._add_mentor_side(
            e, c, v, None if tops is None else lambda under: tops.best(under, self.want[under])
        )
        return self._pool(e, c, v, extra)

    def _run_tiered(self) -> Pool:
        """The same pool, scoring only the cells that can win (:mod:`.tiered`)."""
        search = TieredSearch(self)
        e, c, v = search.mentee_side()
        search.excluded_covering()
        e, c, v, extra = self._add_mentor_side(e, c, v, search.mentor_side if self.t_max else None)
        return self._pool(e, c, v, extra)

    # -- in the chunk workers -----------------------------------------------------------------

    def score_chunk(self, start: int) -> tuple[Int, ...]:
        """Both sides' surviving cells of one chunk of mentees, their counts and thresholds."""
        rows = np.arange(start, min(self.n, start + self.chunk))
        full = self.keys.block(rows, self.all_cols, self.all_col_of)
        counts = np.count_nonzero(full, axis=1)
        thr = self._row_thresholds(full)
        row_side = self._cells(rows, full, full >= thr[:, None])
        col_side = self._mentor_side(rows, full)
        return (*row_side, *col_side, counts, thr.astype(np.int64))

    def _row_thresholds(
        self, full: npt.NDArray[np.signedinteger[Any]]
    ) -> npt.NDArray[np.signedinteger[Any]]:
        """Top P per row: values are unique within a row, so a threshold selects exactly P."""
        ma, top_p = self.ma, self.top_p
        if ma > top_p:
            return np.maximum(np.partition(full, ma - top_p, axis=1)[:, ma - top_p], 1)
        return np.ones(full.shape[0], dtype=full.dtype)

    def _cells(
        self, rows: Int, full: npt.NDArray[np.signedinteger[Any]], mask: Bool
    ) -> tuple[Int, Int, Int]:
        """(mentee, mentor position, block value) of the cells where ``mask`` is set."""
        flat = np.flatnonzero(mask)
        return rows[flat // self.ma], flat % self.ma, full.ravel()[flat].astype(np.int64)

    def _mentor_side(
        self, rows: Int, full: npt.NDArray[np.signedinteger[Any]]
    ) -> tuple[Int, Int, Int]:
        """Only the cells that can still enter a mentor's running top list (and, while those
        lists are still filling, only each mentor's top t_max in this chunk)."""
        tops, t_max = self.tops, self.t_max
        if tops is None:
            none = np.zeros(0, dtype=np.int64)
            return none, none, none
        passing = full >= tops.floor.astype(full.dtype)[None, :]
        if rows.size > t_max and np.count_nonzero(passing) > 2 * t_max * self.ma:
            kth = rows.size - t_max
            local = np.partition(np.ascontiguousarray(full.T), kth, axis=1)[:, kth]
            passing &= full >= local[None, :]
        return self._cells(rows, full, passing)

    # -- in the calling thread ----------------------------------------------------------------

    def consume(self, start: int, got: tuple[Int, ...]) -> None:
        self.row_parts.append((got[0], got[1], got[2]))
        if self.tops is not None:
            self.tops.add(got[3], got[4], got[5])
        self.eligible[start : start + got[6].size] = got[6]
        self.row_thr[start : start + got[7].size] = got[7]

    def _row_arcs(self) -> tuple[Int, Int, Int]:
        if self.row_parts:
            e, c, v = (np.concatenate([p[k] for p in self.row_parts]) for k in range(3))
        else:
            e = c = v = np.zeros(0, dtype=np.int64)
        self.row_parts.clear()
        return e, c, v

    def _add_mentor_side(
        self, e: Int, c: Int, v: Int, best: Callable[[Int], tuple[Int, Int, Int]] | None
    ) -> tuple[Int, Int, Int, int]:
        """Add the best mentees (``best(under)``) of mentors in fewer than ``want`` lists."""
        if best is None or not e.size:
            return e, c, v, 0
        under = np.flatnonzero(np.bincount(c, minlength=self.ma) < self.want)
        if not under.size:
            return e, c, v, 0
        e2, c2, v2 = best(under)
        new = v2 < self.row_thr[e2]  # not already among that mentee's own top P
        extra = int(new.sum())
        e = np.concatenate([e, e2[new]])
        c = np.concatenate([c, c2[new]])
        v = np.concatenate([v, v2[new]])
        return e, c, v, extra

    def _pool(self, e: Int, c: Int, v: Int, extra: int) -> Pool:
        n = self.n
        order = np.lexsort((-v, e))
        e, c, v = e[order], c[order], v[order]
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(e, minlength=n), out=indptr[1:])
        empty = np.flatnonzero(self.eligible == 0)
        return Pool(
            mentee=e,
            mentor=self.avail[c] if self.ma else c,
            key=self.keys.unpack(v),
            indptr=indptr,
            eligible=self.eligible,
            empty_reason=_diagnose(self.prep, empty),
            mentor_side_arcs=int(extra),
        )


def generate(prep: Prepared) -> Pool:
    """All eligible pairs, scored chunk by chunk, pruned on both sides (see :class:`_Generation`)."""
    return _Generation(prep).run()


def _diagnose(prep: Prepared, rows_without: Int) -> dict[int, str]:
    """The most specific reason for each mentee left without any candidate.

    Filters apply in a fixed order - goals, coverage, reporting line, pair rules, capacity -
    and the reason names the filter that removed the last mentors standing.
    """
    out: dict[int, str] = {}
    m = len(prep.mentors)
    cols = np.arange(m)
    chunk = max(1, CHUNK_CELLS // max(m, 1))
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
