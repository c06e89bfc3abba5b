"""Assignment: which pruned candidates make the shortlists.

Owns the exact solve (:func:`solve_flow`, a maximum flow with minimum cost on OR-Tools) and
the greedy baseline (:func:`solve_greedy`) used by benchmarks and tests, plus each mentor's
exposure limit (:func:`exposure`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from ortools.graph.python import min_cost_flow

from core.match_engine.candidates import Pool
from core.match_engine.constants import PRACTICAL_POINTS, STRIDE, Bool, Int
from core.match_engine.prepare import Prepared


def exposure(prep: Prepared) -> Int:
    out: Int = np.maximum(prep.remaining, 0) * prep.settings.exposure_factor
    return out


@dataclass(frozen=True)
class _Weights:
    """Integer cost weights that make the min-cost optimum lexicographic (see solve_flow)."""

    divisor: int  # practical points are divided by this to keep costs within int64
    w_tier: int
    w_max: int
    w_cover: int


def _weights(prep: Prepared, flow_bound: int) -> _Weights:
    """The finest practical resolution whose costs cannot overflow the solver's int64."""
    n_nodes = len(prep.mentees) + len(prep.mentors) + 2
    limit = 2**62 // (n_nodes + 1)
    for divisor in (1, 10, 100, 1000):
        p_max = PRACTICAL_POINTS // divisor
        w_tier = flow_bound * p_max + 1
        w_max = (prep.n_tiers - 1) * w_tier + p_max
        w_cover = flow_bound * w_max + 1
        if w_cover + w_max <= limit and (w_cover + w_max) * flow_bound <= 2**62:
            return _Weights(divisor, w_tier, w_max, w_cover)
    raise ValueError(
        "This matching run is too large for an exact solve with close_band="
        f"{prep.settings.close_band}; use a wider close_band or fewer candidates per mentee."
    )


def _network(
    prep: Prepared, pool: Pool, deg_e: Int, deg_m: Int, weights: _Weights
) -> tuple[Int, Int, Int, Int, int]:
    """(tails, heads, capacities, costs, index of the first mentee -> mentor arc)."""
    n, m = len(prep.mentees), len(prep.mentors)
    K = prep.settings.shortlist_size
    rows, mentors = pool.mentee, pool.mentor
    tiers, points = pool.key // STRIDE, pool.key % STRIDE
    weight = tiers * weights.w_tier + points // weights.divisor
    source, sink = n + m, n + m + 1
    mentee_nodes = np.flatnonzero(deg_e > 0)
    mentor_nodes = np.flatnonzero(deg_m > 0)
    n_src = mentee_nodes.size
    tails = np.concatenate([np.full(2 * n_src, source), rows, n + mentor_nodes])
    heads = np.concatenate(
        [mentee_nodes, mentee_nodes, n + mentors, np.full(mentor_nodes.size, sink)]
    )
    caps = np.concatenate(
        [
            np.ones(n_src, dtype=np.int64),
            np.minimum(deg_e[mentee_nodes], K) - 1,
            np.ones(rows.size, dtype=np.int64),
            exposure(prep)[mentor_nodes],
        ]
    )
    costs = np.concatenate(
        [
            np.zeros(n_src, dtype=np.int64),
            np.full(n_src, weights.w_cover, dtype=np.int64),
            weights.w_max - weight,
            np.zeros(mentor_nodes.size, dtype=np.int64),
        ]
    )
    return tails, heads, caps, costs, 2 * n_src


def solve_flow(prep: Prepared, pool: Pool) -> tuple[Bool, dict[str, Any]]:
    """Choose shortlist entries exactly; returns a mask over the pool's arcs and solver facts.

    Network: source -> mentee (one arc of capacity 1 and cost 0, one of capacity K-1 and cost
    Wc) -> mentor (capacity 1, cost Wmax - w) -> sink (capacity remaining * F), with
    w = tier * Wt + points. Solved as maximum flow with minimum cost, the optimum is
    lexicographic: (1) most shortlist entries, (2) most mentees with at least one entry,
    (3) highest sum of tiers, (4) highest sum of practical points. Wt exceeds any possible
    difference in total points and Wc any possible difference in total w, so a lower level
    never outweighs a higher one.
    """
    n, m = len(prep.mentees), len(prep.mentors)
    K = prep.settings.shortlist_size
    rows = pool.mentee
    chosen = np.zeros(rows.size, dtype=bool)
    info: dict[str, Any] = {"arcs": int(rows.size)}
    if rows.size == 0:
        return chosen, info
    deg_e = np.bincount(rows, minlength=n)
    deg_m = np.bincount(pool.mentor, minlength=m)
    flow_bound = int(min(np.minimum(deg_e, K).sum(), np.minimum(deg_m, exposure(prep)).sum()))
    weights = _weights(prep, flow_bound)
    tails, heads, caps, costs, first = _network(prep, pool, deg_e, deg_m, weights)
    source, sink = n + m, n + m + 1
    solver = min_cost_flow.SimpleMinCostFlow()
    solver.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int32), heads.astype(np.int32), caps, costs.astype(np.int64)
    )
    solver.set_nodes_supplies(
        np.array([source, sink], dtype=np.int32),
        np.array([flow_bound, -flow_bound], dtype=np.int64),
    )
    status = solver.solve_max_flow_with_min_cost()
    if status != solver.OPTIMAL:
        raise RuntimeError(f"the min-cost flow solver failed with status {status!r}")
    flows = solver.flows(np.arange(first, first + rows.size, dtype=np.int32))
    chosen[:] = np.asarray(flows) > 0
    info.update(
        flow=int(solver.maximum_flow()),
        flow_bound=flow_bound,
        practical_resolution=PRACTICAL_POINTS // weights.divisor,
    )
    return chosen, info


def solve_greedy(prep: Prepared, pool: Pool) -> tuple[Bool, dict[str, Any]]:
    """Baseline: mentees in id order take their best candidates that still have exposure."""
    K = prep.settings.shortlist_size
    left = exposure(prep).tolist()
    chosen = np.zeros(pool.mentor.size, dtype=bool)
    mentors = pool.mentor.tolist()
    indptr = pool.indptr.tolist()
    for i in range(len(prep.mentees)):
        taken = 0
        for a in range(indptr[i], indptr[i + 1]):
            if taken == K:
                break
            j = mentors[a]
            if left[j] > 0:
                left[j] -= 1
                chosen[a] = True
                taken += 1
    return chosen, {"arcs": int(pool.mentor.size)}
