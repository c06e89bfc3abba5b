"""The public entry points: :func:`match`, :func:`greedy_shortlists`, :func:`candidate_pool`.

Each checks the run's size, prepares the inputs, generates candidates and (for the first two)
assigns shortlists and builds the result; see `core.matching` for the overview.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from core.match_engine.candidates import Pool, generate
from core.match_engine.constants import Bool
from core.match_engine.constraints import MatchConstraints, MatchSettings
from core.match_engine.gc_pause import gc_paused
from core.match_engine.inputs import MenteeInput, MentorInput
from core.match_engine.organisation import Organisation
from core.match_engine.outputs import Candidate, MatchResult
from core.match_engine.prepare import Prepared
from core.match_engine.reasons import (
    ReasonFactory,
    ReasonTemplates,
    compiled_templates,
    render_result,
)
from core.match_engine.results import build_result
from core.match_engine.size_guard import check_size
from core.match_engine.solver import solve_flow, solve_greedy

_Solver = Callable[[Prepared, Pool], tuple[Bool, dict[str, Any]]]


_SOLVERS: dict[str, _Solver] = {"min_cost_flow": solve_flow, "greedy": solve_greedy}


def _prepared(
    mentees: Sequence[MenteeInput],
    mentors: Sequence[MentorInput],
    organisation: Organisation,
    names: Mapping[str, str],
    constraints: MatchConstraints | None,
    settings: MatchSettings,
) -> Prepared:
    return Prepared(
        mentees,
        mentors,
        organisation,
        constraints or MatchConstraints(),
        settings,
        names,
    )


def match(
    mentees: Sequence[MenteeInput],
    mentors: Sequence[MentorInput],
    organisation: Organisation,
    *,
    names: Mapping[str, str],
    constraints: MatchConstraints | None = None,
    settings: MatchSettings | None = None,
    templates: ReasonTemplates | Mapping[str, str] | None = None,
    language_names: Mapping[str, str] | None = None,
    solver: Literal["min_cost_flow", "greedy"] = "min_cost_flow",
) -> MatchResult:
    """Exposure-balanced, explained shortlists for ``mentees`` (exact min-cost flow).

    ``names`` maps every competency id used by a goal or expertise to its display name (ids
    missing from it raise ValueError). ``language_names`` optionally maps language codes to
    display names for reasons. With ``templates`` the reason texts are rendered; otherwise
    ``text``/``reason`` are "" until :func:`render_result` is called. ``solver="greedy"`` is
    the baseline of :func:`greedy_shortlists`.

    Deterministic: the result does not depend on the order of ``mentees`` or ``mentors``.
    """
    compiled = compiled_templates(templates) if templates is not None else None
    settings = settings or MatchSettings()
    check_size(mentees, mentors, settings)
    with gc_paused():
        return _match(
            mentees,
            mentors,
            organisation,
            names,
            constraints,
            settings,
            compiled,
            language_names,
            solver,
        )


def _match(
    mentees: Sequence[MenteeInput],
    mentors: Sequence[MentorInput],
    organisation: Organisation,
    names: Mapping[str, str],
    constraints: MatchConstraints | None,
    settings: MatchSettings,
    compiled: ReasonTemplates | None,
    language_names: Mapping[str, str] | None,
    solver: Literal["min_cost_flow", "greedy"],
) -> MatchResult:
    t0 = time.monotonic()
    prep = _prepared(mentees, mentors, organisation, names, constraints, settings)
    t1 = time.monotonic()
    pool = generate(prep)
    t2 = time.monotonic()
    chosen, info = _SOLVERS[solver](prep, pool)
    t3 = time.monotonic()
    timings = {"prepare": t1 - t0, "candidates": t2 - t1, "solve": t3 - t2}
    result = build_result(prep, pool, chosen, solver, info, timings, language_names)
    t4 = time.monotonic()
    result.stats["timings_s"]["build"] = round(t4 - t3, 4)
    result.stats["timings_s"]["total"] = round(t4 - t0, 4)
    return render_result(result, compiled) if compiled is not None else result


# Baseline for benchmarks and tests: the same candidates, greedy assignment (mentees by id).
greedy_shortlists = functools.partial(match, solver="greedy")


def candidate_pool(
    mentees: Sequence[MenteeInput],
    mentors: Sequence[MentorInput],
    organisation: Organisation,
    *,
    names: Mapping[str, str],
    constraints: MatchConstraints | None = None,
    settings: MatchSettings | None = None,
    language_names: Mapping[str, str] | None = None,
) -> dict[str, list[Candidate]]:
    """Every mentee's eligible candidates after pruning, best first, before exposure balancing.

    With ``candidates_per_mentee_prune`` >= the number of mentors nothing is pruned, so this
    lists every eligible pair. Useful for coordinator views ("who else could fit?").
    """
    settings = settings or MatchSettings()
    check_size(mentees, mentors, settings)
    prep = _prepared(mentees, mentors, organisation, names, constraints, settings)
    with gc_paused():
        return _pool_candidates(prep, language_names)


def _pool_candidates(
    prep: Prepared, language_names: Mapping[str, str] | None
) -> dict[str, list[Candidate]]:
    pool = generate(prep)
    factory = ReasonFactory(prep, language_names)
    devs = prep.dev_pairs(pool.mentee, pool.mentor).tolist()
    mentor_at, key_at = pool.mentor.tolist(), pool.key.tolist()
    out: dict[str, list[Candidate]] = {}
    for i, mentee in enumerate(prep.mentees):
        lo, hi = int(pool.indptr[i]), int(pool.indptr[i + 1])
        out[mentee.id] = [
            factory.candidate(i, mentor_at[a], key_at[a], devs[a]) for a in range(lo, hi)
        ]
    return out
