"""Preparation: canonical order, indices and the lookup tables candidate scoring needs.

Owns :class:`Prepared` (people sorted by id, goal and expertise tables, the pattern -> tier
tables, reporting-line and rule pairs, practical tables, hash tie-breaks) and
:class:`PairList`, a sparse set of (mentee, mentor) pairs scattered into dense blocks.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from core.match_engine.constants import MAX_GOALS, STRIDE, TIER_EPS, Bool, Float, Int
from core.match_engine.constraints import MatchConstraints, MatchSettings
from core.match_engine.inputs import MenteeInput, MentorInput
from core.match_engine.organisation import Organisation
from core.match_engine.practical import PracticalTables


def crc(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


class Prepared:
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
        self._index_people()
        self._goal_tables()
        self._pair_rules(organisation, constraints)
        self.practical = PracticalTables(self.mentees, self.mentors, settings)
        self._tie_break()

    def _index_people(self) -> None:
        """Refuse repeated ids and unknown competencies; index people in id order."""
        mentee_ids = [p.id for p in self.mentees]
        mentor_ids = [q.id for q in self.mentors]
        for kind, ids in (("mentee", mentee_ids), ("mentor", mentor_ids)):
            for x, y in zip(ids, ids[1:], strict=False):
                if x == y:
                    raise ValueError(f"{kind} {x!r} is listed twice")
        self._check_names()
        self.mentee_ids, self.mentor_ids = mentee_ids, mentor_ids
        self.mentee_index = {pid: i for i, pid in enumerate(mentee_ids)}
        self.mentor_index = {pid: j for j, pid in enumerate(mentor_ids)}

    def _goal_tables(self) -> None:
        """Goals, expertise and each mentee's pattern -> tier table; capacity and self index.

        Developmental fit depends only on which of a mentee's (at most 3) goals a mentor
        covers: a 3-bit pattern. Each mentee gets a table pattern -> tier, computed exactly in
        float64; a dense block then needs only three byte gathers, no matrix product (and
        so no BLAS threads fighting the chunk threads).
        """
        n, m = len(self.mentees), len(self.mentors)
        comp = {c: k for k, c in enumerate(self.names)}
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
        band = self.settings.close_band
        self.n_tiers = math.floor(1.0 / band + TIER_EPS) + 1
        patterns = np.arange(1 << MAX_GOALS)
        dev_table = np.zeros((n, patterns.size), dtype=np.float64)
        for k in range(MAX_GOALS):
            dev_table += self.goal_w[:, k : k + 1] * ((patterns >> k) & 1)[None, :]
        tiers = np.floor(dev_table / band + TIER_EPS).astype(np.int64)
        self.tier_key_table = (tiers * STRIDE).ravel()  # [i * 8 + pattern]
        self.has_goals = np.fromiter((bool(p.goals) for p in self.mentees), bool, n)
        self.remaining = np.fromiter((q.remaining_capacity for q in self.mentors), np.int64, m)
        self.self_m = np.fromiter(
            (self.mentor_index.get(x, -1) for x in self.mentee_ids), np.int64, n
        )

    def _pair_rules(self, organisation: Organisation, constraints: MatchConstraints) -> None:
        """The reporting-line pairs, the rule-blocked pairs, and both together."""
        m = len(self.mentors)
        # Reporting line: the sparse list of (mentee, mentor) pairs in one line (incl. self).
        graph = organisation.graph
        rl_i, rl_j = graph.line_pairs(self.mentee_ids, self.mentor_ids)
        self.rl = PairList(rl_i, rl_j, m)
        self.unknown_people = sum(1 for x in {*self.mentee_ids, *self.mentor_ids} if x not in graph)

        # Pair rules: do-not-pair, previous pairs, the mentee's own exclusions.
        rule: set[tuple[int, int]] = set()
        for a, b in constraints.blocked_pairs():
            ei, mj = self.mentee_index.get(a), self.mentor_index.get(b)
            if ei is not None and mj is not None:
                rule.add((ei, mj))
        arr = np.array(sorted(rule), dtype=np.int64).reshape(-1, 2)
        self.rules = PairList(arr[:, 0], arr[:, 1], m)
        self.excluded = PairList(
            np.concatenate([rl_i, arr[:, 0]]), np.concatenate([rl_j, arr[:, 1]]), m
        )

    def _tie_break(self) -> None:
        """Order-independent tie-break: mentors ranked by a hash of their id."""
        mentor_ids = self.mentor_ids
        m = len(mentor_ids)
        order = sorted(range(m), key=lambda j: (crc(mentor_ids[j]), mentor_ids[j]))
        self.hash_rank_m = np.empty(m, dtype=np.int64)
        self.hash_rank_m[order] = np.arange(m)
        self.hash_e = np.fromiter((crc(x) for x in self.mentee_ids), np.int64, len(self.mentees))

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
        return self.practical.points(rows, cols)


class PairList:
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
