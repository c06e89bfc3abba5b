"""Benchmark of the matching core (core/matching.py).

Run: ``python -m benchmarks matching`` (add ``--help`` to ``python -m benchmarks.bench_matching``).

By default: seeded synthetic organisations (30 competencies, manager trees 6 levels deep,
realistic time zones, languages, formats and departments) of 10,000 x 2,000, 20,000 x 10,000
and 60,000 x 40,000, each matched in a fresh process with the tiered candidate search beside
the dense scan (the previous algorithm, the baseline; up to 20,000 x 10,000 unless
``--dense-large``): core time, peak memory, ratio, and whether both gave the same result; then
``mentorbot match preview``'s overhead over the core at 10,000 x 2,000 (SQLite).
``--greedy`` times the exact matching against the greedy baseline at one size.
``--prune-study`` measures how often pruning to the top-P candidates changes the exact
optimum compared with no pruning. ``--service`` imports the same organisation into a
database (SQLite; PostgreSQL with ``--database-url``) and times one mentee's shortlist through
``core.matchmaking.service`` against a coordinator's whole-program preview measured in the same
run.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from benchmarks.common import status_kib
from core.matching import (
    MatchConstraints,
    MatchResult,
    MatchSettings,
    MenteeInput,
    MentorInput,
    Organisation,
    greedy_shortlists,
    match,
)

ROOT = Path(__file__).resolve().parent.parent

# (zone, weight): a company spread over Europe, the Americas and Asia-Pacific.
TIMEZONES = [
    ("Europe/London", 14),
    ("Europe/Berlin", 14),
    ("Europe/Paris", 6),
    ("Europe/Warsaw", 5),
    ("Europe/Dublin", 3),
    ("Europe/Helsinki", 2),
    ("America/New_York", 14),
    ("America/Chicago", 5),
    ("America/Denver", 2),
    ("America/Los_Angeles", 9),
    ("America/Sao_Paulo", 3),
    ("America/Toronto", 3),
    ("Asia/Kolkata", 8),
    ("Asia/Singapore", 4),
    ("Asia/Tokyo", 3),
    ("Asia/Dubai", 1),
    ("Australia/Sydney", 3),
    ("Africa/Lagos", 1),
]
LANGUAGES = ["en", "de", "fr", "es", "pt", "pl", "hi", "ja"]
CITIES = ["London", "Berlin", "New York", "San Francisco", "Bangalore", "Singapore", "Sydney"]
DEPARTMENTS = [f"Dept {k:02d}" for k in range(15)]
WORK_HOURS = [(9.0, 17.0), (8.0, 16.0), (10.0, 18.0), (7.0, 15.0)]


def competency_names() -> dict[str, str]:
    data = yaml.safe_load((ROOT / "content" / "competencies.yaml").read_text(encoding="utf-8"))
    return {c["id"]: c["name"] for g in data["groups"] for c in g["competencies"]}


@dataclass
class Instance:
    mentees: list[MenteeInput]
    mentors: list[MentorInput]
    organisation: Organisation
    constraints: MatchConstraints
    names: dict[str, str]


def generate(
    seed: int = 0,
    n_mentees: int = 10_000,
    n_mentors: int = 2_000,
    n_both: int | None = None,
    depth: int = 6,
) -> Instance:
    """A random but seeded organisation. `n_both` people are both mentee and mentor."""
    rng = np.random.default_rng(seed)
    names = competency_names()
    comps = list(names)
    n_both = n_mentors // 10 if n_both is None else n_both
    n_people = n_mentees + n_mentors - n_both + max(50, (n_mentees + n_mentors) // 60)
    ids = [f"U{k:06d}" for k in range(n_people)]
    order = rng.permutation(n_people)

    # Manager forest `depth` levels deep: level sizes grow geometrically.
    growth = 4.0
    raw = np.array([growth**k for k in range(depth)])
    sizes = np.maximum(1, np.floor(raw / raw.sum() * n_people)).astype(int)
    sizes[-1] += n_people - sizes.sum()
    managers: dict[str, str | None] = {}
    level_start = 0
    prev: list[int] = []
    for size in sizes:
        level = order[level_start : level_start + size].tolist()
        for p in level:
            managers[ids[p]] = ids[prev[rng.integers(len(prev))]] if prev else None
        prev, level_start = level, level_start + size

    # Roles.
    role_order = rng.permutation(n_people)
    mentee_ids = [ids[p] for p in role_order[:n_mentees]]
    mentor_only = [ids[p] for p in role_order[n_mentees : n_mentees + n_mentors - n_both]]
    mentor_ids = mentor_only + mentee_ids[:n_both]

    tz_names = [t for t, _ in TIMEZONES]
    tz_w = np.array([w for _, w in TIMEZONES], dtype=float)
    tz_w /= tz_w.sum()
    popularity = 1.0 / np.arange(1, len(comps) + 1) ** 0.8
    popularity /= popularity.sum()
    pop_order = rng.permutation(len(comps))

    def person_common() -> dict[str, Any]:
        tz = None if rng.random() < 0.05 else tz_names[rng.choice(len(tz_names), p=tz_w)]
        langs = {"en"} if rng.random() < 0.9 else set()
        langs |= {LANGUAGES[rng.integers(1, len(LANGUAGES))] for _ in range(rng.integers(0, 2))}
        fmt = rng.choice(["either", "remote", "in_person"], p=[0.6, 0.3, 0.1])
        return {
            "timezone": tz,
            "work_hours": WORK_HOURS[rng.choice(4, p=[0.7, 0.1, 0.1, 0.1])],
            "languages": frozenset(langs),
            "meeting_format": str(fmt),
            "department": None if rng.random() < 0.03 else DEPARTMENTS[rng.integers(15)],
            "location": CITIES[rng.integers(len(CITIES))] if rng.random() < 0.8 else None,
        }

    mentees = []
    for pid in mentee_ids:
        picks = rng.choice(len(comps), size=3, replace=False, p=popularity)
        goals = tuple(comps[pop_order[k]] for k in picks)
        mentees.append(MenteeInput(pid, goals, **person_common()))
    mentors = []
    for pid in mentor_ids:
        k = int(rng.integers(3, 9))
        expertise = frozenset(comps[c] for c in rng.choice(len(comps), size=k, replace=False))
        capacity = int(rng.choice(6, p=[0.08, 0.25, 0.3, 0.2, 0.12, 0.05]))
        load = int(rng.integers(0, capacity + 1)) if rng.random() < 0.3 else 0
        mentors.append(MentorInput(pid, expertise, capacity, load, **person_common()))

    def pairs(count: int) -> list[frozenset[str]]:
        a = rng.integers(len(mentee_ids), size=count)
        b = rng.integers(len(mentor_ids), size=count)
        return [
            frozenset({mentee_ids[i], mentor_ids[j]})
            for i, j in zip(a, b, strict=True)
            if mentee_ids[i] != mentor_ids[j]
        ]

    previous = pairs(n_mentees // 3)
    allowed = previous[: len(previous) // 10]
    excluded = {
        mentee_ids[i]: frozenset(mentor_ids[j] for j in rng.integers(len(mentor_ids), size=3))
        for i in rng.choice(len(mentee_ids), size=n_mentees // 10, replace=False)
    }
    constraints = MatchConstraints(
        do_not_pair=frozenset(pairs(n_mentees // 20)),
        previous_pairs=frozenset(previous),
        allow_previous=frozenset(allowed),
        excluded=excluded,
    )
    return Instance(mentees, mentors, Organisation(managers), constraints, names)


Runner = Callable[..., MatchResult]


def run(runner: Runner, inst: Instance, settings: MatchSettings) -> MatchResult:
    return runner(
        inst.mentees,
        inst.mentors,
        inst.organisation,
        names=inst.names,
        constraints=inst.constraints,
        settings=settings,
    )


def timed(
    runner: Runner, inst: Instance, settings: MatchSettings, repeat: int
) -> tuple[MatchResult, list[float]]:
    times = []
    result = None
    for _ in range(repeat):
        gc.collect()
        t = time.perf_counter()
        result = run(runner, inst, settings)
        times.append(time.perf_counter() - t)
    assert result is not None
    return result, times


def peak_memory(runner: Runner, inst: Instance, settings: MatchSettings) -> tuple[float, float]:
    """(tracemalloc peak MiB, peak RSS growth MiB) of one run.

    tracemalloc sees Python and numpy allocations but not OR-Tools' C++ heap; the RSS figure
    covers everything: the kernel's peak-RSS mark (VmHWM) is reset just before the run
    (Linux /proc/self/clear_refs) and compared with the RSS at the start.
    """
    gc.collect()
    tracemalloc.start()
    run(runner, inst, settings)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    gc.collect()
    rss_start = status_kib("VmRSS")
    try:
        Path("/proc/self/clear_refs").write_text("5")
        reset = True
    except OSError:
        reset = False
    run(runner, inst, settings)
    hwm = status_kib("VmHWM")
    if not reset or rss_start is None or hwm is None:
        return peak / 2**20, float("nan")
    return peak / 2**20, (hwm - rss_start) / 1024


def objective_row(result: MatchResult) -> dict[str, Any]:
    return dict(result.stats["objective"])


def table(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(r[k]) for r in rows) for k in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        lines.append(
            "  ".join(
                c.ljust(w) if k == 0 else c.rjust(w)
                for k, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main_benchmark(args: argparse.Namespace) -> None:
    t = time.perf_counter()
    inst = generate(args.seed, args.mentees, args.mentors)
    gen_time = time.perf_counter() - t
    settings = MatchSettings(
        candidates_per_mentee_prune=args.prune, mentor_side_prune_factor=args.mentor_side
    )
    print(
        f"instance: {len(inst.mentees)} mentees x {len(inst.mentors)} mentors, "
        f"{len(inst.organisation.managers)} people, seed {args.seed}, prune P={args.prune}, "
        f"K={settings.shortlist_size}, F={settings.exposure_factor} "
        f"(generated in {gen_time:.1f} s; {os.cpu_count()} cores)"
    )
    run(match, inst, settings)  # warm-up: imports, zoneinfo caches
    exact, t_exact = timed(match, inst, settings, args.repeat)
    greedy, t_greedy = timed(greedy_shortlists, inst, settings, args.repeat)
    mem_exact = peak_memory(match, inst, settings)
    mem_greedy = peak_memory(greedy_shortlists, inst, settings)

    te, tg = exact.stats["timings_s"], greedy.stats["timings_s"]
    med_e, med_g = statistics.median(t_exact), statistics.median(t_greedy)
    rows: list[tuple[str, ...]] = [
        ("", "exact (flow)", "greedy", "exact/greedy"),
        ("total time, median (s)", f"{med_e:.3f}", f"{med_g:.3f}", f"{med_e / med_g:.2f}"),
        ("  prepare (s)", f"{te['prepare']:.3f}", f"{tg['prepare']:.3f}", ""),
        ("  candidates (s)", f"{te['candidates']:.3f}", f"{tg['candidates']:.3f}", ""),
        (
            "  solve (s)",
            f"{te['solve']:.3f}",
            f"{tg['solve']:.3f}",
            f"{te['solve'] / max(tg['solve'], 1e-9):.1f}",
        ),
        ("  build results (s)", f"{te['build']:.3f}", f"{tg['build']:.3f}", ""),
        ("tracemalloc peak (MiB)", f"{mem_exact[0]:.0f}", f"{mem_greedy[0]:.0f}", ""),
        ("peak RSS growth (MiB)", f"{mem_exact[1]:.0f}", f"{mem_greedy[1]:.0f}", ""),
    ]
    oe, og = objective_row(exact), objective_row(greedy)
    for name in ("entries", "covered", "tier_sum", "practical_points_sum", "score_sum"):
        ratio = oe[name] / og[name] if og[name] else float("nan")
        rows.append((f"objective: {name}", f"{oe[name]:g}", f"{og[name]:g}", f"{ratio:.3f}"))
    print(table(rows))
    print(
        f"eligible pairs {exact.stats['eligible_pairs']:,}, kept after pruning "
        f"{exact.stats['pruned_pairs']:,}; unmatched {exact.stats['unmatched_by_reason']} "
        f"(greedy: {greedy.stats['unmatched_by_reason']})"
    )
    print(f"all exact runs (s): {', '.join(f'{x:.3f}' for x in t_exact)}")
    print(
        f"max RSS of the process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )


OBJECTIVE_KEYS = ("entries", "covered", "tier_sum", "practical_points_sum")


def prune_study(args: argparse.Namespace) -> None:
    """How often does pruning change the exact optimum? (vs. no pruning at all)"""
    configs = [tuple(int(x) for x in c.split(":")) for c in args.configs.split(",")]
    losses: dict[tuple[int, ...], list[tuple[int, ...]]] = {c: [] for c in configs}
    base: list[dict[str, Any]] = []
    for seed in range(args.seeds):
        inst = generate(1000 + seed, args.study_mentees, args.study_mentors)
        full = run(match, inst, MatchSettings(candidates_per_mentee_prune=len(inst.mentors)))
        of = full.stats["objective"]
        base.append(of)
        for p, q in configs:
            cfg = MatchSettings(candidates_per_mentee_prune=p, mentor_side_prune_factor=q)
            op = run(match, inst, cfg).stats["objective"]
            losses[(p, q)].append(tuple(of[k] - op[k] for k in OBJECTIVE_KEYS))
    totals = {k: sum(b[k] for b in base) for k in OBJECTIVE_KEYS}
    rows: list[tuple[str, ...]] = [
        ("P:Q", "objective differs", "entries lost", "covered lost", "tier_sum lost", "points lost")
    ]
    for (p, q), d in losses.items():
        differs = sum(1 for x in d if any(x))
        cells = [f"{p}:{q}", f"{differs}/{len(d)}"]
        for k, key in enumerate(OBJECTIVE_KEYS):
            lost = sum(x[k] for x in d)
            cells.append(f"{lost} ({100 * lost / max(totals[key], 1):.2f} %)")
        rows.append(tuple(cells))
    print(
        f"prune study: {args.seeds} instances of {args.study_mentees} mentees x "
        f"{args.study_mentors} mentors; P = candidates per mentee, Q = mentor-side factor; "
        "losses summed over instances vs. the unpruned optimum (negative points = a gain "
        "bought with a lower level of the objective)"
    )
    print(table(rows))


def unpruned_comparison(args: argparse.Namespace) -> None:
    """Full-size instance: default pruning against no pruning at all (slow, memory-hungry)."""
    inst = generate(args.seed, args.mentees, args.mentors)
    rows: list[tuple[str, ...]] = [("", "time (s)", *OBJECTIVE_KEYS, "arcs")]
    for label, cfg in (
        ("default", MatchSettings(candidates_per_mentee_prune=args.prune)),
        ("unpruned", MatchSettings(candidates_per_mentee_prune=len(inst.mentors))),
    ):
        gc.collect()
        t = time.perf_counter()
        res = run(match, inst, cfg)
        elapsed = time.perf_counter() - t
        o = res.stats["objective"]
        rows.append(
            (
                label,
                f"{elapsed:.2f}",
                *(str(o[k]) for k in OBJECTIVE_KEYS),
                str(res.stats["pruned_pairs"]),
            )
        )
    print(table(rows))


def instance_csv(inst: Instance) -> bytes:
    """The organisation as a `mentorbot people import` file (see docs/import.md)."""
    mentees = {p.id: p for p in inst.mentees}
    mentors = {q.id: q for q in inst.mentors}
    out = [
        "slack_user_id,name,manager,department,roles,goals,expertise,capacity,timezone,"
        "languages,meeting_format\n"
    ]
    for pid, manager in inst.organisation.managers.items():
        p, q = mentees.get(pid), mentors.get(pid)
        who = p or q
        roles = ";".join(r for r, x in (("mentee", p), ("mentor", q)) if x is not None)
        out.append(
            ",".join(
                (
                    pid,
                    f"Person {pid}",
                    manager or "",
                    (who.department or "") if who else "",
                    roles,
                    ";".join(p.goals) if p else "",
                    ";".join(sorted(q.expertise)) if q else "",
                    str(q.capacity) if q else "",
                    (who.timezone or "") if who else "",
                    ";".join(sorted(who.languages)) if who else "",
                    who.meeting_format if who else "",
                )
            )
            + "\n"
        )
    return "".join(out).encode("utf-8")


@contextlib.contextmanager
def imported_program(inst: Instance, database_url: str | None) -> Iterator[tuple[Any, Any]]:
    """(database, program) with the instance imported (SQLite in a temporary directory, or a
    database of its own on the PostgreSQL server at ``database_url``); removed afterwards."""
    import tempfile

    from benchmarks import sweep_data
    from core.kernel.clock import FakeClock
    from core.kernel.db import Database
    from core.kernel.migrate import upgrade
    from core.matchmaking import service as svc
    from core.people.importer import import_people

    with tempfile.TemporaryDirectory(prefix="bench-matching-") as tmp:
        if database_url:
            url = sweep_data.recreate_database(database_url, "mentorbot_bench_matching")
        else:
            url = f"sqlite:///{tmp}/matching.db"
        db = Database(url)
        try:
            if not database_url:
                upgrade(db.engine)
            with db.transaction() as session:
                import_people(
                    session,
                    instance_csv(inst),
                    team_id="T0BENCH",
                    program_name=None,
                    clock=FakeClock(),
                )
            with db.transaction() as session:
                program = svc.find_program(session, "T0BENCH")
                assert program is not None
            yield db, program
        finally:
            db.dispose()
            if database_url:
                sweep_data.drop_database(database_url, "mentorbot_bench_matching")


def timed_in_session(db: Any, program: Any, fn: Callable[[Any, Any], Any]) -> tuple[float, Any]:
    """(seconds, result) of ``fn(session, program)`` in a transaction that is rolled back."""
    with db.sessions() as session:
        prog = session.merge(program)
        gc.collect()
        t = time.perf_counter()
        out = fn(session, prog)
        elapsed = time.perf_counter() - t
        session.rollback()
    return elapsed, out


def service_benchmark(args: argparse.Namespace) -> None:
    """One mentee's shortlist through the service, against a whole-program preview."""
    from sqlalchemy import select

    from core.kernel.clock import FakeClock
    from core.matchmaking import service as svc
    from core.people.models import Participation, Person

    inst = generate(args.seed, args.mentees, args.mentors)
    clock = FakeClock()
    with imported_program(inst, args.database_url) as (db, program):
        with db.transaction() as session:
            mentee_pids = list(
                session.scalars(
                    select(Participation.id)
                    .join(Person, Person.id == Participation.person_id)
                    .where(Participation.is_mentee.is_(True))
                    .order_by(Person.slack_user_id)
                )
            )
        rng = np.random.default_rng(args.seed)
        sample = [mentee_pids[k] for k in rng.choice(len(mentee_pids), args.sample, False)]

        def once(fn: Callable[[Any, Any], Any]) -> float:
            return timed_in_session(db, program, fn)[0]

        once(lambda s, p: svc.shortlist_for_mentee(s, p, sample[0], clock))  # warm-up
        single = [once(lambda s, p, m=m: svc.shortlist_for_mentee(s, p, m, clock)) for m in sample]
        whole = [once(lambda s, p: svc.preview(s, p, clock)) for _ in range(args.repeat)]
    med_s, med_w = statistics.median(single), statistics.median(whole)
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(
        f"service on {backend}: {len(inst.mentees)} mentees x {len(inst.mentors)} mentors, "
        f"{len(inst.organisation.managers)} people (manager trees 6 levels deep), seed "
        f"{args.seed}; {args.sample} sampled mentees"
    )
    rows: list[tuple[str, ...]] = [
        ("", "median (s)", "p90 (s)", "max (s)", "vs whole program"),
        (
            "one mentee's shortlist",
            f"{med_s:.3f}",
            f"{float(np.percentile(single, 90)):.3f}",
            f"{max(single):.3f}",
            f"{med_s / med_w:.3f}",
        ),
        ("whole-program preview", f"{med_w:.3f}", "", f"{max(whole):.3f}", "1.000"),
    ]
    print(table(rows))


# -- sizes: the tiered search against the dense scan, in fresh processes -----------------------

SIZES = ((10_000, 2_000), (20_000, 10_000), (60_000, 40_000))
DENSE_UP_TO = 20_000 * 10_000  # the dense scan (the baseline) runs at these sizes by default
LARGE_TARGET = {"time_s": 10.0, "memory_mib": 1024.0}


def child_run(n_mentees: int, n_mentors: int, search: str, repeat: int, seed: int) -> None:
    """One size in this (fresh) process; prints one JSON line. Peak RSS growth: the kernel's
    high-water mark is reset (Linux /proc/self/clear_refs) after the instance is built."""
    inst = generate(seed, n_mentees, n_mentors)
    settings = MatchSettings(candidate_search=search, max_memory_mb=10_000_000)
    times = []
    result = None
    for k in range(repeat):
        gc.collect()
        if k == repeat - 1:  # measure memory on the last run
            rss_start = status_kib("VmRSS")
            with contextlib.suppress(OSError):
                Path("/proc/self/clear_refs").write_text("5")
        t = time.perf_counter()
        result = run(match, inst, settings)
        times.append(time.perf_counter() - t)
    assert result is not None
    hwm = status_kib("VmHWM")
    growth = (hwm - rss_start) / 1024 if hwm is not None and rss_start is not None else None
    print(
        json.dumps(
            {
                "times": times,
                "timings": result.stats["timings_s"],
                "objective": result.stats["objective"],
                "pruned_pairs": result.stats["pruned_pairs"],
                "rss_growth_mib": growth,
                "maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


def in_child(n_mentees: int, n_mentors: int, search: str, repeat: int, seed: int) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "benchmarks.bench_matching", "--child"]
    cmd += [f"{n_mentees},{n_mentors},{search},{repeat}", "--seed", str(seed)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT).stdout
    data: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return data


def sizes_benchmark(args: argparse.Namespace) -> None:
    """Core time and peak memory per size: the tiered search beside the dense scan (the
    previous algorithm, the baseline) where it is feasible, each size in a fresh process."""
    print(
        f"matching sizes (seed {args.seed}, default settings, {os.cpu_count()} cores; each run "
        "in a fresh process; time = median core time of the runs, memory = peak RSS growth "
        "of the last run)"
    )
    rows: list[tuple[str, ...]] = [
        (
            "mentees x mentors",
            "tiered (s)",
            "dense (s)",
            "dense/tiered",
            "tiered MiB",
            "dense MiB",
            "same result",
        )
    ]
    large = None
    for n, m in SIZES:
        repeat = args.repeat if n * m <= DENSE_UP_TO else 1
        tiered = in_child(n, m, "tiered", repeat, args.seed)
        dense = None
        if n * m <= DENSE_UP_TO or args.dense_large:
            dense = in_child(n, m, "dense", repeat, args.seed)
        t_t = statistics.median(tiered["times"])
        cells = [f"{n:,} x {m:,}", f"{t_t:.2f}", "", "", f"{tiered['rss_growth_mib']:.0f}", "", ""]
        if dense is not None:
            t_d = statistics.median(dense["times"])
            same = (tiered["objective"], tiered["pruned_pairs"]) == (
                dense["objective"],
                dense["pruned_pairs"],
            )
            cells[2:4] = [f"{t_d:.2f}", f"{t_d / t_t:.2f}"]
            cells[5:7] = [f"{dense['rss_growth_mib']:.0f}", "yes" if same else "NO"]
        rows.append(tuple(cells))
        large = tiered
    print(table(rows))
    if large is not None:
        t = large["timings"]
        ok_t = statistics.median(large["times"]) <= LARGE_TARGET["time_s"]
        ok_m = large["rss_growth_mib"] <= LARGE_TARGET["memory_mib"]
        print(
            f"{SIZES[-1][0]:,} x {SIZES[-1][1]:,} (tiered): prepare {t['prepare']:.2f} s, "
            f"candidates {t['candidates']:.2f} s, solve {t['solve']:.2f} s, build "
            f"{t['build']:.2f} s; process max RSS {large['maxrss_mib']:.0f} MiB. Targets "
            f"<= 10 s: {'met' if ok_t else 'MISSED'}; <= 1 GiB: {'met' if ok_m else 'MISSED'}"
        )


def preview_overhead(args: argparse.Namespace) -> None:
    """`mentorbot match preview` (load from the database, match, render the reasons and the
    summary text) against the core time of the same run, in the same process."""
    from bot.cli.match import summary
    from core.kernel.clock import FakeClock
    from core.matchmaking import service as svc

    inst = generate(args.seed, args.mentees, args.mentors)
    clock = FakeClock()

    def preview_text(session: Any, program: Any) -> tuple[Any, str]:
        result = svc.preview(session, program, clock)
        return result, summary(result)

    with imported_program(inst, args.database_url) as (db, program):
        timed_in_session(db, program, preview_text)  # warm-up: imports, caches
        runs: dict[str, list[tuple[float, Any]]] = {"now (collector paused)": [], BEFORE: []}
        for _ in range(args.repeat):  # interleaved, so load changes hit both alike
            runs["now (collector paused)"].append(timed_in_session(db, program, preview_text))
            with collector_running():
                runs[BEFORE].append(timed_in_session(db, program, preview_text))
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(
        f"match preview on {backend}, {len(inst.mentees):,} mentees x {len(inst.mentors):,} "
        f"mentors (median of {args.repeat}; core = match()'s own time inside the preview):"
    )
    for name, done in runs.items():
        wall = statistics.median(w for w, _ in done)
        core = statistics.median(out[0].result.stats["timings_s"]["total"] for _, out in done)
        over = statistics.median(w - out[0].result.stats["timings_s"]["total"] for w, out in done)
        print(
            f"  {name}: preview {wall:.2f} s, core {core:.2f} s, overhead {over:.2f} s "
            f"(target <= 1 s: {'met' if over <= 1.0 else 'MISSED'}); preview/core "
            f"{wall / core:.2f}"
        )


BEFORE = "the same, collector running"


@contextlib.contextmanager
def collector_running() -> Iterator[None]:
    """The preview as before the collector pause: the pause made a no-op for the body."""
    from core.match_engine import entry_points
    from core.matchmaking import loading

    saved = entry_points.gc_paused, loading.gc_paused
    entry_points.gc_paused = loading.gc_paused = contextlib.nullcontext  # type: ignore[assignment]
    try:
        yield
    finally:
        entry_points.gc_paused, loading.gc_paused = saved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--mentees", type=int, default=10_000)
    parser.add_argument("--mentors", type=int, default=2_000)
    parser.add_argument("--prune", type=int, default=MatchSettings().candidates_per_mentee_prune)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--prune-study", action="store_true", help="run the pruning study instead")
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--study-mentees", type=int, default=1_000)
    parser.add_argument("--study-mentors", type=int, default=200)
    parser.add_argument("--mentor-side", type=int, default=MatchSettings().mentor_side_prune_factor)
    parser.add_argument("--configs", default="3:0,5:0,10:0,15:0,20:0,3:2,5:2,10:2,15:2,20:2,15:3")
    parser.add_argument(
        "--unpruned", action="store_true", help="compare with no pruning on the full instance"
    )
    parser.add_argument(
        "--service",
        action="store_true",
        help="time one mentee's shortlist through core.matchmaking.service (database)",
    )
    parser.add_argument("--sample", type=int, default=30, help="mentees timed with --service")
    parser.add_argument(
        "--database-url",
        default=None,
        help="--service on this PostgreSQL server (a database of its own); default SQLite",
    )
    parser.add_argument("--greedy", action="store_true", help="exact against greedy at one size")
    parser.add_argument(
        "--dense-large", action="store_true", help="also run the dense scan at 60,000 x 40,000"
    )
    parser.add_argument("--no-preview", action="store_true", help="skip the preview overhead")
    parser.add_argument(
        "--preview-only", action="store_true", help="only the preview overhead (at one size)"
    )
    parser.add_argument(
        "--solve-study", action="store_true", help="where the exact solve's time goes (one size)"
    )
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        n, m, search, repeat = args.child.split(",")
        child_run(int(n), int(m), search, int(repeat), args.seed)
    elif args.service:
        service_benchmark(args)
    elif args.prune_study:
        prune_study(args)
    elif args.unpruned:
        unpruned_comparison(args)
    elif args.greedy:
        main_benchmark(args)
    elif args.solve_study:
        from benchmarks.matching_solve_study import solve_study

        solve_study(generate(args.seed, args.mentees, args.mentors), args.repeat)
    elif args.preview_only:
        preview_overhead(args)
    else:
        sizes_benchmark(args)
        if not args.no_preview:
            preview_overhead(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
