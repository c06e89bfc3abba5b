"""The tiered candidate search (the default) gives exactly what the dense scan gives.

`MatchSettings(candidate_search="dense")` scores every (mentee, mentor) cell: the reference.
The tiered search scores only the cells that can make the pruned pool. On seeded random
programs, and on the edges (no mentors, one reporting line, no capacity, exact ties, extreme
goal weights), both must give the same candidates in the same order, the same shortlists and
the same unmatched reasons.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
import yaml

from core.matching import (
    MatchConstraints,
    MatchResult,
    MatchSettings,
    MenteeInput,
    MentorInput,
    Organisation,
    candidate_pool,
    match,
)

CONTENT = Path(__file__).resolve().parents[2] / "content"
TAXONOMY = yaml.safe_load((CONTENT / "competencies.yaml").read_text(encoding="utf-8"))
NAMES = {c["id"]: c["name"] for g in TAXONOMY["groups"] for c in g["competencies"]}
ZONES = [None, "Europe/London", "Europe/Berlin", "America/New_York", "Asia/Kolkata"]
FORMATS = ["remote", "in_person", "either"]


def _person(rng: random.Random) -> dict[str, Any]:
    return {
        "timezone": rng.choice(ZONES),
        "languages": frozenset(rng.sample(["en", "de", "fr"], rng.randint(0, 2))),
        "meeting_format": rng.choice(FORMATS),
        "department": rng.choice([None, "Sales", "Ops", "Eng"]),
        "location": rng.choice([None, "Berlin", "London"]),
    }


def random_program(seed: int, n_mentees: int, n_mentors: int, n_comps: int) -> dict[str, Any]:
    """A seeded program: a manager forest, people in both roles, pair rules, odd weights."""
    rng = random.Random(seed)
    comps = list(NAMES)[:n_comps]
    ids = [f"P{k:04d}" for k in range(n_mentees + n_mentors)]
    managers: dict[str, str | None] = {}
    for k, pid in enumerate(ids):
        managers[pid] = ids[rng.randrange(k)] if k and rng.random() < 0.8 else None
    mentee_ids = ids[:n_mentees]
    mentor_ids = ids[n_mentees:] + rng.sample(mentee_ids, min(3, n_mentees))  # some are both
    mentees = []
    for pid in mentee_ids:
        goals = tuple(rng.sample(comps, rng.randint(0, 3)))
        weights = None
        if goals and rng.random() < 0.3:
            weights = tuple(rng.choice([1.0, 2.0, 5.0, 0.5]) for _ in goals)
        mentees.append(MenteeInput(pid, goals, goal_weights=weights, **_person(rng)))
    mentors = [
        MentorInput(
            pid,
            frozenset(rng.sample(comps, rng.randint(0, 4))),
            capacity=rng.randint(0, 5),
            open_load=rng.randint(0, 1),
            **_person(rng),
        )
        for pid in mentor_ids
    ]

    def pairs(count: int) -> frozenset[frozenset[str]]:
        return frozenset(
            frozenset({rng.choice(mentee_ids), rng.choice(mentor_ids)}) for _ in range(count)
        ) - {frozenset({x}) for x in ids}

    previous = pairs(n_mentees // 3)
    constraints = MatchConstraints(
        do_not_pair=pairs(n_mentees // 5),
        previous_pairs=previous,
        allow_previous=frozenset(list(previous)[: len(previous) // 4]),
        excluded={rng.choice(mentee_ids): frozenset(rng.sample(mentor_ids, 2)) for _ in range(5)},
    )
    settings = MatchSettings(
        shortlist_size=rng.randint(1, 4),
        exposure_factor=rng.randint(1, 3),
        close_band=rng.choice([0.05, 0.1, 0.25, 0.01]),
        department_preference=rng.choice(["different", "same", "any"]),
        candidates_per_mentee_prune=rng.choice([4, 6, 15]),
        mentor_side_prune_factor=rng.choice([0, 1, 4]),
    )
    return {
        "mentees": mentees,
        "mentors": mentors,
        "organisation": Organisation(managers),
        "constraints": constraints,
        "settings": settings,
    }


def _with(program: dict[str, Any], search: str) -> dict[str, Any]:
    settings = program["settings"]
    return {
        **program,
        "settings": MatchSettings(**{**settings.__dict__, "candidate_search": search}),
    }


def _run(program: dict[str, Any], search: str) -> MatchResult:
    p = _with(program, search)
    return match(
        p["mentees"],
        p["mentors"],
        p["organisation"],
        names=NAMES,
        constraints=p["constraints"],
        settings=p["settings"],
    )


def _pool(program: dict[str, Any], search: str) -> dict[str, list[tuple[str, float, int]]]:
    p = _with(program, search)
    pool = candidate_pool(
        p["mentees"],
        p["mentors"],
        p["organisation"],
        names=NAMES,
        constraints=p["constraints"],
        settings=p["settings"],
    )
    return {k: [(c.mentor_id, c.score, c.tier) for c in v] for k, v in pool.items()}


def _shortlists(result: MatchResult) -> dict[str, list[str]]:
    return {k: [c.mentor_id for c in v] for k, v in result.shortlists.items()}


def assert_same(program: dict[str, Any]) -> MatchResult:
    assert _pool(program, "tiered") == _pool(program, "dense")
    tiered, dense = _run(program, "tiered"), _run(program, "dense")
    assert _shortlists(tiered) == _shortlists(dense)
    assert [(u.mentee_id, u.reason_code) for u in tiered.unmatched] == [
        (u.mentee_id, u.reason_code) for u in dense.unmatched
    ]
    for key in ("objective", "eligible_pairs", "pruned_pairs", "mentor_side_pairs"):
        assert tiered.stats[key] == dense.stats[key]
    return tiered


@pytest.mark.parametrize("seed", range(12))
def test_random_programs_get_the_same_candidates_and_shortlists(seed: int) -> None:
    sizes = [(60, 25, 6), (150, 40, 8), (40, 80, 5), (200, 12, 10)][seed % 4]
    result = assert_same(random_program(seed, *sizes))
    assert result.stats["mentees"] == sizes[0]


def test_a_contended_program_uses_the_mentor_side_and_still_agrees() -> None:
    program = random_program(99, 400, 60, 12)
    program["settings"] = MatchSettings(candidates_per_mentee_prune=5, mentor_side_prune_factor=4)
    result = assert_same(program)
    assert result.stats["mentor_side_pairs"] > 0
    assert result.stats["shortlist_entries"] > 0


def test_no_mentors() -> None:
    program = random_program(1, 30, 5, 6)
    program["mentors"] = []
    result = assert_same(program)
    assert not result.shortlists
    assert {u.reason_code for u in result.unmatched} <= {"no_goals", "no_mentor_covers_goals"}


def test_everybody_in_one_reporting_line() -> None:
    program = random_program(2, 20, 10, 4)
    people = sorted({p.id for p in program["mentees"]} | {q.id for q in program["mentors"]})
    chain: dict[str, str | None] = {
        pid: prev for prev, pid in zip([None, *people], people, strict=False)
    }
    program["organisation"] = Organisation(chain)
    result = assert_same(program)
    assert not result.shortlists
    assert "only_reporting_line" in {u.reason_code for u in result.unmatched}


def test_no_mentor_has_capacity() -> None:
    program = random_program(3, 25, 10, 5)
    program["mentors"] = [
        MentorInput(q.id, q.expertise, capacity=0, open_load=0) for q in program["mentors"]
    ]
    result = assert_same(program)
    assert not result.shortlists
    assert "no_capacity" in {u.reason_code for u in result.unmatched}


def test_exact_ties_are_broken_the_same_way_whatever_the_input_order() -> None:
    comps = list(NAMES)[:3]
    mentees = [MenteeInput(f"E{k:03d}", tuple(comps)) for k in range(40)]
    mentors = [MentorInput(f"M{k:03d}", frozenset(comps), capacity=1) for k in range(30)]
    program = {
        "mentees": mentees,
        "mentors": mentors,
        "organisation": Organisation({}),
        "constraints": MatchConstraints(),
        "settings": MatchSettings(candidates_per_mentee_prune=4, mentor_side_prune_factor=2),
    }
    first = assert_same(program)
    shuffled = {
        **program,
        "mentees": list(reversed(mentees)),
        "mentors": random.Random(5).sample(mentors, len(mentors)),
    }
    again = assert_same(shuffled)
    assert _shortlists(first) == _shortlists(again)
    assert len({tuple(v) for v in _shortlists(first).values()}) > 1  # ties spread over mentors


def test_extreme_goal_weights() -> None:
    program = random_program(7, 80, 30, 6)
    program["mentees"] = [
        MenteeInput(p.id, p.goals, goal_weights=tuple([1e6, 1.0, 1e-3][: len(p.goals)]) or None)
        for p in program["mentees"]
    ]
    assert_same(program)


def test_unknown_candidate_search_is_refused() -> None:
    with pytest.raises(ValueError, match="candidate_search"):
        MatchSettings(candidate_search="fast")  # type: ignore[arg-type]
