"""Where the exact solve's time goes, and whether the problem splits (``--solve-study``).

Run: ``python -m benchmarks.bench_matching --solve-study --mentees 60000 --mentors 40000``.

For one seeded instance this prints, from the pruned candidate pool that the exact solve gets:
how many mentors can take every mentee that lists them (their demand is within their exposure,
so they never constrain anybody), how many mentees only list such mentors (they could be
settled without the solver), and the connected components of the candidate graph (parts that
share no candidate could be solved apart). Then it times, in the same process and in turn, the
maximum flow alone and the same OR-Tools network with today's lexicographic weights (up to
about 1e12-1e14) and with each level's own small costs alone: coverage (0 or 1), tier (0 to
20) and practical points (0 to 1000). Solving the levels one after another with small costs
needs at least one solve per level (each on a network that keeps the levels above at their
optimum), so the sum of the three is a floor for what that approach would cost.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import numpy as np
from ortools.graph.python import max_flow, min_cost_flow

from core.match_engine.candidates import Pool, generate
from core.match_engine.constants import PRACTICAL_POINTS, Int
from core.match_engine.constraints import MatchConstraints, MatchSettings
from core.match_engine.prepare import Prepared
from core.match_engine.solver import _network, _Weights, _weights, exposure


def components(n: int, m: int, pool: Pool) -> Int:
    """Component label of every node (mentees 0..n-1, mentors n..n+m-1), by min-label sweeps."""
    label = np.arange(n + m)
    tails, heads = pool.mentee, n + pool.mentor
    while True:
        low = np.minimum(label[tails], label[heads])
        new = label.copy()
        np.minimum.at(new, tails, low)
        np.minimum.at(new, heads, low)
        new = new[new]
        if np.array_equal(new, label):
            return label
        label = new


def split_facts(prep: Prepared, pool: Pool) -> dict[str, Any]:
    n, m = len(prep.mentees), len(prep.mentors)
    deg_m = np.bincount(pool.mentor, minlength=m)
    free = deg_m <= exposure(prep)  # every mentee listing them fits
    listed = deg_m > 0
    constrained_arcs = np.bincount(pool.mentee, weights=~free[pool.mentor], minlength=n)
    has_arcs = np.bincount(pool.mentee, minlength=n) > 0
    label = components(n, m, pool)
    used = label[np.concatenate([pool.mentee, n + pool.mentor])]
    sizes = np.bincount(np.unique(used, return_inverse=True)[1])
    return {
        "arcs": int(pool.mentee.size),
        "mentors listed": int(listed.sum()),
        "mentors never full": int((free & listed).sum()),
        "mentees settled without solver": int((has_arcs & (constrained_arcs == 0)).sum()),
        "components": int(sizes.size),
        "largest component arcs share": float(
            np.bincount(label[pool.mentee]).max() / max(1, pool.mentee.size)
        ),
    }


def _timed_solve(prep: Prepared, pool: Pool, weights: _Weights, flow_bound: int) -> float:
    n, m = len(prep.mentees), len(prep.mentors)
    deg_e = np.bincount(pool.mentee, minlength=n)
    deg_m = np.bincount(pool.mentor, minlength=m)
    tails, heads, caps, costs, _ = _network(prep, pool, deg_e, deg_m, weights)
    solver = min_cost_flow.SimpleMinCostFlow()
    solver.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int32), heads.astype(np.int32), caps, costs.astype(np.int64)
    )
    solver.set_nodes_supplies(
        np.array([n + m, n + m + 1], dtype=np.int32),
        np.array([flow_bound, -flow_bound], dtype=np.int64),
    )
    t = time.perf_counter()
    status = solver.solve_max_flow_with_min_cost()
    elapsed = time.perf_counter() - t
    assert status == solver.OPTIMAL, status
    return elapsed


def _timed_max_flow(prep: Prepared, pool: Pool) -> float:
    n, m = len(prep.mentees), len(prep.mentors)
    K = prep.settings.shortlist_size
    deg_e = np.bincount(pool.mentee, minlength=n)
    mentors = np.flatnonzero(np.bincount(pool.mentor, minlength=m) > 0)
    source, sink = n + m, n + m + 1
    flow = max_flow.SimpleMaxFlow()
    flow.add_arcs_with_capacity(
        np.concatenate([np.full(n, source), pool.mentee, n + mentors]).astype(np.int32),
        np.concatenate([np.arange(n), n + pool.mentor, np.full(mentors.size, sink)]).astype(
            np.int32
        ),
        np.concatenate(
            [np.minimum(deg_e, K), np.ones(pool.mentee.size, np.int64), exposure(prep)[mentors]]
        ),
    )
    t = time.perf_counter()
    flow.solve(source, sink)
    return time.perf_counter() - t


def solve_study(inst: Any, repeat: int) -> None:
    settings = MatchSettings(max_memory_mb=10_000_000)
    prep = Prepared(
        inst.mentees,
        inst.mentors,
        inst.organisation,
        inst.constraints or MatchConstraints(),
        settings,
        inst.names,
    )
    pool = generate(prep)
    print(
        f"{len(prep.mentees):,} x {len(prep.mentors):,}: "
        + ", ".join(
            f"{k} {v:,}" if isinstance(v, int) else f"{k} {v:.3f}"
            for k, v in split_facts(prep, pool).items()
        )
    )
    deg_e = np.bincount(pool.mentee, minlength=len(prep.mentees))
    deg_m = np.bincount(pool.mentor, minlength=len(prep.mentors))
    bound = int(
        min(
            np.minimum(deg_e, settings.shortlist_size).sum(),
            np.minimum(deg_m, exposure(prep)).sum(),
        )
    )
    today = _weights(prep, bound)
    top = prep.n_tiers - 1
    variants = {
        f"today (lexicographic, max cost {today.w_cover + today.w_max:.1e})": today,
        "coverage level alone (costs 0/1)": _Weights(PRACTICAL_POINTS + 1, 0, 0, 1),
        f"tier level alone (costs 0-{top})": _Weights(PRACTICAL_POINTS + 1, 1, top, 0),
        f"practical level alone (costs 0-{PRACTICAL_POINTS})": _Weights(1, 0, PRACTICAL_POINTS, 0),
    }
    times: dict[str, list[float]] = {"maximum flow alone": []}
    times.update({name: [] for name in variants})
    for _ in range(repeat):  # interleaved, so load changes hit every variant alike
        times["maximum flow alone"].append(_timed_max_flow(prep, pool))
        for name, weights in variants.items():
            times[name].append(_timed_solve(prep, pool, weights, bound))
    base = statistics.median(times[next(iter(variants))])
    for name, values in times.items():
        med = statistics.median(values)
        print(f"  {name}: {med:.2f} s (x{med / base:.2f} of today's solve)")
