"""Building one run's result: shortlists in order, unmatched mentees, and statistics.

Owns :func:`build_result`, which turns the solver's chosen arcs into a :class:`MatchResult`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

import numpy as np

from core.match_engine.candidates import Pool
from core.match_engine.constants import PRACTICAL_POINTS, Bool, Int
from core.match_engine.outputs import Candidate, MatchResult, Unmatched
from core.match_engine.prepare import Prepared
from core.match_engine.reasons import ReasonFactory
from core.match_engine.solver import exposure


def _candidates_by_mentee(
    prep: Prepared, pool: Pool, picked: Int, language_names: Mapping[str, str] | None
) -> dict[int, list[Candidate]]:
    """The chosen candidates (with their reasons) of each mentee index, in arc order."""
    factory = ReasonFactory(prep, language_names)
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
    return by_mentee


def _objective(shortlists: Mapping[str, list[Candidate]], entries: int) -> dict[str, Any]:
    """What the solver optimised, summed over the shortlists in mentee and rank order."""
    tier_sum = points_sum = 0
    score_sum = 0.0
    for cands in shortlists.values():
        for c in cands:
            tier_sum += c.tier
            points_sum += round(c.practical_fit * PRACTICAL_POINTS)
            score_sum += c.score
    return {
        "entries": entries,
        "covered": len(shortlists),
        "tier_sum": tier_sum,
        "practical_points_sum": points_sum,
        "score_sum": round(score_sum, 6),
    }


def _stats(
    prep: Prepared,
    pool: Pool,
    picked: Int,
    shortlists: Mapping[str, list[Candidate]],
    unmatched: list[Unmatched],
) -> dict[str, Any]:
    limit = exposure(prep)
    used = np.bincount(pool.mentor[picked], minlength=len(prep.mentors))
    entries = int(picked.size)
    return {
        "mentees": len(prep.mentees),
        "mentors": len(prep.mentors),
        "mentors_with_capacity": int((prep.remaining > 0).sum()),
        "eligible_pairs": int(pool.eligible.sum()),
        "pruned_pairs": int(pool.mentor.size),
        "mentor_side_pairs": pool.mentor_side_arcs,
        "shortlist_entries": entries,
        "mentees_shortlisted": len(shortlists),
        "unmatched_by_reason": dict(sorted(Counter(u.reason_code for u in unmatched).items())),
        "mentors_at_exposure_limit": int(((used >= limit) & (limit > 0)).sum()),
        "people_without_manager_record": prep.unknown_people,
        "objective": _objective(shortlists, entries),
    }


def build_result(
    prep: Prepared,
    pool: Pool,
    chosen: Bool,
    solver_name: str,
    solver_info: dict[str, Any],
    timings: dict[str, float],
    language_names: Mapping[str, str] | None,
) -> MatchResult:
    """Shortlists best first for every mentee who got one, the most specific reason for the
    rest, and the run's statistics."""
    picked = np.flatnonzero(chosen)
    by_mentee = _candidates_by_mentee(prep, pool, picked, language_names)
    shortlists: dict[str, list[Candidate]] = {}
    unmatched: list[Unmatched] = []
    for i, mentee in enumerate(prep.mentees):
        cands = by_mentee.get(i)
        if not cands:
            code = pool.empty_reason.get(i, "exposure_limit")
            unmatched.append(Unmatched(mentee.id, code))
            continue
        cands.sort(key=lambda c: (-c.score, -c.developmental_fit, c.mentor_id))
        shortlists[mentee.id] = cands
    stats: dict[str, Any] = {
        "solver": solver_name,
        **_stats(prep, pool, picked, shortlists, unmatched),
        "solver_info": solver_info,
        "timings_s": {k: round(v, 4) for k, v in timings.items()},
    }
    return MatchResult(shortlists=shortlists, unmatched=unmatched, stats=stats)
