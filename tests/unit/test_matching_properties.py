"""Property tests of the matching core: hard rules always hold, every mentee is accounted for,
and the min-cost-flow shortlists are optimal (checked against exhaustive search)."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from functools import cache
from itertools import combinations
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.matching import (
    PRACTICAL_POINTS,
    Candidate,
    MatchConstraints,
    MatchResult,
    MatchSettings,
    MenteeInput,
    MentorInput,
    Organisation,
    candidate_pool,
    greedy_shortlists,
    match,
)

CONTENT = Path(__file__).resolve().parents[2] / "content"
TAXONOMY = yaml.safe_load((CONTENT / "competencies.yaml").read_text(encoding="utf-8"))
NAMES = {c["id"]: c["name"] for g in TAXONOMY["groups"] for c in g["competencies"]}
COMPS = list(NAMES)[:6]  # few competencies: plenty of overlap and contention
ZONES = [None, "Europe/London", "America/New_York", "Asia/Kolkata", "Australia/Sydney"]
DEPTS = [None, "Sales", "Engineering"]
FORMATS = ["remote", "in_person", "either"]


@dataclass
class Instance:
    managers: dict[str, str | None]
    mentees: list[MenteeInput]
    mentors: list[MentorInput]
    constraints: MatchConstraints
    settings: MatchSettings

    def run(self, solver: Any = match, **overrides: Any) -> MatchResult:
        cfg = MatchSettings(**{**self.settings.__dict__, **overrides})
        result: MatchResult = solver(
            self.mentees,
            self.mentors,
            Organisation(self.managers),
            names=NAMES,
            constraints=self.constraints,
            settings=cfg,
        )
        return result


@st.composite
def instances(
    draw: st.DrawFn, max_people: int = 12, max_mentees: int = 8, max_mentors: int = 6
) -> Instance:
    n = draw(st.integers(1, max_people))
    people = [f"p{k}" for k in range(n)]
    # A random forest: each person reports to an earlier person, to an unknown id, or nobody.
    managers: dict[str, str | None] = {}
    for k, person in enumerate(people):
        pick = draw(st.integers(-2, k - 1))
        managers[person] = None if pick == -1 else ("ghost" if pick == -2 else people[pick])
    # Some people may have no manager record at all.
    for person in draw(st.lists(st.sampled_from(people), max_size=2)):
        managers.pop(person, None)
    pool = [*people, "ghost", "outsider"]
    mentee_ids = draw(st.lists(st.sampled_from(pool), unique=True, max_size=max_mentees))
    mentor_ids = draw(st.lists(st.sampled_from(pool), unique=True, max_size=max_mentors))

    def common() -> dict[str, Any]:
        return {
            "timezone": draw(st.sampled_from(ZONES)),
            "work_hours": draw(st.sampled_from([(9, 17), (8, 16), (22, 6)])),
            "languages": draw(st.frozensets(st.sampled_from(["en", "de", "fr"]), max_size=2)),
            "meeting_format": draw(st.sampled_from(FORMATS)),
            "department": draw(st.sampled_from(DEPTS)),
            "location": draw(st.sampled_from([None, "Berlin", "Pune"])),
        }

    mentees = []
    for pid in mentee_ids:
        goals = tuple(draw(st.lists(st.sampled_from(COMPS), unique=True, max_size=3)))
        weights = draw(
            st.none()
            | st.tuples(*[st.integers(1, 9) for _ in goals]).map(lambda t: tuple(map(float, t)))
        )
        mentees.append(MenteeInput(pid, goals, goal_weights=weights or None, **common()))
    mentors = []
    for pid in mentor_ids:
        capacity = draw(st.integers(0, 5))
        mentors.append(
            MentorInput(
                pid,
                draw(st.frozensets(st.sampled_from(COMPS), max_size=4)),
                capacity=capacity,
                open_load=draw(st.integers(0, 3)),
                **common(),
            )
        )
    pairs = st.tuples(st.sampled_from(pool), st.sampled_from(pool)).filter(lambda t: t[0] != t[1])
    previous = draw(st.frozensets(pairs.map(frozenset), max_size=4))
    constraints = MatchConstraints(
        do_not_pair=draw(st.frozensets(pairs.map(frozenset), max_size=3)),
        previous_pairs=previous,
        allow_previous=frozenset(
            draw(st.lists(st.sampled_from(sorted(previous, key=sorted)), max_size=2))
        )
        if previous
        else frozenset(),
        excluded=draw(
            st.dictionaries(
                st.sampled_from(pool), st.frozensets(st.sampled_from(pool), max_size=2), max_size=3
            )
        ),
    )
    k = draw(st.integers(1, 3))
    cfg = MatchSettings(
        shortlist_size=k,
        exposure_factor=draw(st.integers(1, 3)),
        department_preference=draw(st.sampled_from(["any", "same", "different"])),
        close_band=draw(st.sampled_from([0.05, 0.1, 0.25])),
        candidates_per_mentee_prune=draw(st.integers(k, k + 3)),
        mentor_side_prune_factor=draw(st.integers(0, 2)),
    )
    return Instance(managers, mentees, mentors, constraints, cfg)


# --- an independent statement of the rules ---------------------------------------------------


def chain(managers: dict[str, str | None], person: str) -> set[str]:
    above: set[str] = set()
    boss = managers.get(person)
    while boss is not None:
        above.add(boss)
        boss = managers.get(boss)
    return above


def in_line(managers: dict[str, str | None], a: str, b: str) -> bool:
    return a == b or a in chain(managers, b) or b in chain(managers, a)


def ruled_out(inst: Instance, mentee: str, mentor: str) -> bool:
    c = inst.constraints
    pair = frozenset({mentee, mentor})
    return (
        pair in c.do_not_pair
        or (pair in c.previous_pairs and pair not in c.allow_previous)
        or mentor in c.excluded.get(mentee, frozenset())
    )


def eligible(inst: Instance, e: MenteeInput, m: MentorInput) -> bool:
    return (
        bool(set(e.goals) & m.expertise)
        and not in_line(inst.managers, e.id, m.id)
        and not ruled_out(inst, e.id, m.id)
        and m.capacity - m.open_load > 0
    )


def expected_empty_reason(inst: Instance, e: MenteeInput) -> str:
    if not e.goals:
        return "no_goals"
    stage = [m for m in inst.mentors if set(e.goals) & m.expertise and m.id != e.id]
    if not stage:
        return "no_mentor_covers_goals"
    stage = [m for m in stage if not in_line(inst.managers, e.id, m.id)]
    if not stage:
        return "only_reporting_line"
    stage = [m for m in stage if not ruled_out(inst, e.id, m.id)]
    if not stage:
        return "all_ruled_out"
    return "no_capacity"


def developmental_fit(e: MenteeInput, m: MentorInput) -> float:
    raw = e.goal_weights or tuple(float(len(e.goals) - k) for k in range(len(e.goals)))
    return sum(w for g, w in zip(e.goals, raw, strict=True) if g in m.expertise) / sum(raw)


def objective(shortlists: dict[str, list[Candidate]]) -> tuple[int, int, int, int]:
    cands = [c for cs in shortlists.values() for c in cs]
    return (
        len(cands),
        sum(1 for cs in shortlists.values() if cs),
        sum(c.tier for c in cands),
        sum(round(c.practical_fit * PRACTICAL_POINTS) for c in cands),
    )


COMMON = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@COMMON
@given(instances())
def test_hard_rules_always_hold(inst: Instance) -> None:
    result = inst.run()
    cfg = inst.settings
    mentees = {e.id: e for e in inst.mentees}
    mentors = {m.id: m for m in inst.mentors}

    # Every mentee is shortlisted or unmatched with a reason, never both, nobody else.
    unmatched = {u.mentee_id: u for u in result.unmatched}
    assert set(result.shortlists) | set(unmatched) == set(mentees)
    assert not set(result.shortlists) & set(unmatched)

    shown: Counter[str] = Counter()
    for mentee_id, cands in result.shortlists.items():
        e = mentees[mentee_id]
        assert 1 <= len(cands) <= cfg.shortlist_size
        assert len({c.mentor_id for c in cands}) == len(cands)
        assert [c.score for c in cands] == sorted((c.score for c in cands), reverse=True)
        for c in cands:
            m = mentors[c.mentor_id]
            assert c.mentor_id != mentee_id
            assert not in_line(inst.managers, mentee_id, c.mentor_id)
            assert not ruled_out(inst, mentee_id, c.mentor_id)
            assert m.capacity - m.open_load > 0
            assert set(c.goals_covered) == set(e.goals) & m.expertise != set()
            dev = developmental_fit(e, m)
            assert math.isclose(c.developmental_fit, dev, abs_tol=1e-6)
            assert c.tier == math.floor(dev / cfg.close_band + 1e-6)
            assert 0.0 <= c.practical_fit <= 1.0 and 0.0 <= c.score < 1.0
            assert {r.code for r in c.reasons} >= {"covers_goals", "meeting_format"}
            shown[c.mentor_id] += 1
    for mentor_id, count in shown.items():
        m = mentors[mentor_id]
        assert count <= (m.capacity - m.open_load) * cfg.exposure_factor

    for mentee_id, u in unmatched.items():
        e = mentees[mentee_id]
        any_eligible = any(eligible(inst, e, m) for m in inst.mentors)
        expected = "exposure_limit" if any_eligible else expected_empty_reason(inst, e)
        assert u.reason_code == expected


@COMMON
@given(instances())
def test_candidate_pool_is_exactly_the_eligible_pairs(inst: Instance) -> None:
    pool = candidate_pool(
        inst.mentees,
        inst.mentors,
        Organisation(inst.managers),
        names=NAMES,
        constraints=inst.constraints,
        settings=MatchSettings(candidates_per_mentee_prune=max(len(inst.mentors), 3)),
    )
    for e in inst.mentees:
        want = {m.id for m in inst.mentors if eligible(inst, e, m)}
        assert {c.mentor_id for c in pool[e.id]} == want
        keys = [(c.tier, c.practical_fit) for c in pool[e.id]]
        assert keys == sorted(keys, reverse=True)


@COMMON
@given(instances())
def test_exact_solution_is_never_worse_than_greedy(inst: Instance) -> None:
    exact = inst.run()
    greedy = inst.run(greedy_shortlists)
    assert objective(exact.shortlists) >= objective(greedy.shortlists)
    assert exact.stats["eligible_pairs"] == greedy.stats["eligible_pairs"]


def brute_force(
    pool: dict[str, list[Candidate]], exposure: dict[str, int], k: int
) -> tuple[int, int, int, int]:
    """The best objective over every feasible choice of shortlists (memoised enumeration)."""
    mentee_ids = sorted(pool)
    mentor_ids = sorted(exposure)
    slot = {m: i for i, m in enumerate(mentor_ids)}

    @cache
    def best(index: int, left: tuple[int, ...]) -> tuple[int, int, int, int]:
        if index == len(mentee_ids):
            return (0, 0, 0, 0)
        cands = pool[mentee_ids[index]]
        top = best(index + 1, left)  # this mentee gets nobody
        for size in range(1, min(k, len(cands)) + 1):
            for chosen in combinations(cands, size):
                rest = list(left)
                if any(rest[slot[c.mentor_id]] == 0 for c in chosen):
                    continue
                for c in chosen:
                    rest[slot[c.mentor_id]] -= 1
                tail = best(index + 1, tuple(rest))
                here = (
                    size + tail[0],
                    1 + tail[1],
                    sum(c.tier for c in chosen) + tail[2],
                    sum(round(c.practical_fit * PRACTICAL_POINTS) for c in chosen) + tail[3],
                )
                top = max(top, here)
        return top

    return best(0, tuple(exposure[m] for m in mentor_ids))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_people=8, max_mentees=5, max_mentors=4))
def test_flow_objective_equals_brute_force_optimum(inst: Instance) -> None:
    unpruned = max(len(inst.mentors), inst.settings.shortlist_size)
    result = inst.run(candidates_per_mentee_prune=unpruned)
    pool = candidate_pool(
        inst.mentees,
        inst.mentors,
        Organisation(inst.managers),
        names=NAMES,
        constraints=inst.constraints,
        settings=MatchSettings(
            **{**inst.settings.__dict__, "candidates_per_mentee_prune": unpruned}
        ),
    )
    exposure = {
        m.id: max(m.capacity - m.open_load, 0) * inst.settings.exposure_factor for m in inst.mentors
    }
    optimum = brute_force(pool, exposure, inst.settings.shortlist_size)
    assert objective(result.shortlists) == optimum
    stats = result.stats["objective"]
    assert (
        stats["entries"],
        stats["covered"],
        stats["tier_sum"],
        stats["practical_points_sum"],
    ) == optimum
