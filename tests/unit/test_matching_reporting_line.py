""" "Never pairs people in the same reporting line" on deep reporting chains, through the
service: one mentee's shortlist (which reads only that mentee's part of the reporting forest)
and a coordinator's whole-program preview must both leave out exactly the people above and
below the mentee, and nobody else."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from core.coordination.service import save_settings
from core.kernel.clock import FakeClock
from core.kernel.db import Database
from core.matchmaking import service as svc
from core.people.models import Person
from core.programs.models import Program
from tests.matching_data import HEADER, TEAM, seed

DEPTH = 40  # C00 (top) manages C01, who manages C02, ... down to C39
SIDE = 15  # S00..S14 hang below C10: beside C11..C39, below C00..C10
MENTORS = {"C03", "C15", "C25", "C35", "S05", "S14", "R0"}
MENTEES = ["C00", "C10", "C20", "C39", "S14", "R1", "S07"]


def managers() -> dict[str, str | None]:
    out: dict[str, str | None] = {f"C{k:02d}": f"C{k - 1:02d}" if k else None for k in range(DEPTH)}
    out.update({f"S{k:02d}": f"S{k - 1:02d}" if k else "C10" for k in range(SIDE)})
    out.update({"R0": None, "R1": "R0"})
    return out


def in_line(a: str, b: str, boss: dict[str, str | None]) -> bool:
    """Independent of the code under test: walk each chain up."""

    def chain(x: str) -> set[str]:
        seen = {x}
        while boss.get(x):
            x = boss[x]  # type: ignore[assignment]
            seen.add(x)
        return seen

    return a in chain(b) or b in chain(a)


def org_csv() -> str:
    rows = [HEADER]
    for person, manager in managers().items():
        roles = ";".join(
            r for r, yes in (("mentee", person in MENTEES), ("mentor", person in MENTORS)) if yes
        )
        goals = "security" if person in MENTEES else ""
        expertise = "security" if person in MENTORS else ""
        if person in ("C05", "C38"):  # the only writing mentors: far above and below C30
            roles, expertise = "mentor", "writing"
        if person == "C30":
            roles, goals = "mentee", "writing"
        capacity = "5" if "mentor" in roles else ""
        rows.append(
            f"{person},Person {person},{manager or ''},Dept,Title,{roles},{goals},{expertise},"
            f"{capacity},Europe/London,en,either\n"
        )
    return "".join(rows)


def program(db: Database) -> Program:
    with db.transaction() as session:
        found = session.scalars(select(Program)).one()
        save_settings(session, found, {"shortlist_size": 10})
        return found


def test_deep_chains_leave_out_exactly_the_reporting_line(db: Database, clock: FakeClock) -> None:
    seed(db, clock, org_csv())
    boss = managers()
    program(db)
    singles: dict[str, set[str]] = {}
    for mentee in MENTEES:
        with db.transaction() as session:
            outcome = svc.shortlist_for_user(session, TEAM, mentee, clock)
        assert outcome is not None
        singles[mentee] = {c.mentor.user_id for c in outcome.candidates}
    with db.transaction() as session:
        found = session.scalars(select(Program)).one()
        whole = svc.preview(session, found, clock).result
    for mentee in MENTEES:
        expected = {m for m in MENTORS if not in_line(mentee, m, boss)}
        assert singles[mentee] == expected, mentee
        assert {c.mentor_id for c in whole.shortlists.get(mentee, [])} == expected, mentee
    # Spot checks of the walk itself: the top sees only the other tree, the bottom of the
    # side branch sees the main chain below the branch point.
    assert singles["C00"] == {"R0"}
    assert singles["S14"] == {"C15", "C25", "C35", "R0"}
    assert singles["C20"] == {"S05", "S14", "R0"}


def test_only_mentors_in_the_line_far_above_and_below_means_unmatched(
    db: Database, clock: FakeClock
) -> None:
    seed(db, clock, org_csv())
    with db.transaction() as session:
        outcome = svc.shortlist_for_user(session, TEAM, "C30", clock)
    assert outcome is not None and outcome.candidates == ()
    assert outcome.unmatched_code == "only_reporting_line"


def test_a_cycle_in_the_mentees_chain_is_reported_not_looped(
    db: Database, clock: FakeClock
) -> None:
    seed(db, clock, org_csv())
    with db.transaction() as session:  # data changed behind the import's back: C05 -> C20
        session.execute(
            update(Person)
            .where(Person.team_id == TEAM, Person.slack_user_id == "C05")
            .values(manager_slack_id="C20")
        )
    with db.transaction() as session, pytest.raises(svc.MatchingError, match="reporting cycle"):
        svc.shortlist_for_user(session, TEAM, "C39", clock)
