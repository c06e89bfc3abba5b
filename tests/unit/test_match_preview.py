"""`mentorbot match preview`: the --json shape, the reporting-line exclusion as a coordinator
sees it, and that a preview sends nothing and changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.cli import main
from core.coordination.service import INT_RANGES, save_settings
from core.kernel.clock import FakeClock
from core.kernel.db import Database
from core.matchmaking import service as svc
from core.matchmaking.models import MentorRequest, Shortlist
from core.programs.models import Program
from tests.matching_data import HEADER, PEOPLE, seed, snapshot

# Top manages Bea, who manages Ana, who manages Rex (who manages Ria). Top and Ria are
# perfect mentors for Ana's goals but sit in her reporting line; Cy and Ben do not.
# Gil's only mentor for his goal is his own manager Hal.
ORG = PEOPLE.replace("U_BEA,Bea Boss,,", "U_BEA,Bea Boss,U_TOP,") + (
    "U_TOP,Tia Top,,Engineering,VP,mentor,,public-speaking;stakeholder-management,3,"
    "Europe/London,en,either\n"
    "U_REX,Rex Low,U_ANA,Engineering,Engineer,,,,,Europe/Lisbon,,\n"
    "U_RIA,Ria Low,U_REX,Engineering,Engineer,mentor,,public-speaking;stakeholder-management,2,"
    "Europe/Lisbon,en;pt,remote\n"
    "U_HAL,Hal Ito,,Security,Head,mentor,,security,2,Asia/Tokyo,en,either\n"
    "U_GIL,Gil Ito,U_HAL,Security,Analyst,mentee,security,,,Asia/Tokyo,en,either\n"
)


@pytest.fixture
def preview(database_url: str, tmp_path: Path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)

    def run(*args: str) -> tuple[int, str, str]:
        code = main(["match", "preview", *args])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def test_json_shape_and_reporting_line_exclusion(preview, db: Database, clock: FakeClock) -> None:
    seed(db, clock, ORG)
    code, out, err = preview("--json")
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert set(data) == {"shortlists", "unmatched", "stats"}
    assert isinstance(data["stats"], dict) and data["stats"]["mentees"] == 2
    for item in data["shortlists"]:
        assert set(item) == {"mentee", "candidates"}
        for cand in item["candidates"]:
            assert set(cand) == {"mentor", "score", "reasons"}
            assert isinstance(cand["mentor"], str) and isinstance(cand["score"], float)
            assert cand["reasons"] and all(isinstance(r, str) and r for r in cand["reasons"])
    for item in data["unmatched"]:
        assert set(item) == {"mentee", "reason"}

    lists = {s["mentee"]: [c["mentor"] for c in s["candidates"]] for s in data["shortlists"]}
    # Nobody above Ana (Bea, Top) or below her (Ria, via Rex) is offered.
    assert lists == {"U_ANA": ["U_CY", "U_BEN"]}
    unmatched = {u["mentee"]: u["reason"] for u in data["unmatched"]}
    assert list(unmatched) == ["U_GIL"]
    assert "reporting line" in unmatched["U_GIL"]


def test_preview_sends_nothing_and_changes_nothing(preview, db: Database, clock: FakeClock) -> None:
    seed(db, clock, ORG)
    before = snapshot(db)
    code, out, _ = preview("--team", "T0001", "--program", "Mentoring program")
    assert code == 0
    assert "U_ANA (Ana Lima)" in out and "1. U_CY (Cy Tan)" in out
    assert "Can help with all your goals" in out
    assert "U_GIL (Gil Ito): The mentors who cover your goals are in your own reporting line" in out
    assert "Nothing was sent or changed" in out
    assert snapshot(db) == before
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Shortlist)) == 0
        assert session.scalar(select(func.count()).select_from(MentorRequest)) == 0


def test_preview_needs_a_known_workspace_and_program(
    preview, db: Database, clock: FakeClock
) -> None:
    code, _, err = preview()
    assert code == 2 and "no workspace" in err
    seed(db, clock, HEADER)  # a workspace and its default program, nobody in it
    code, out, _ = preview("--json")
    assert code == 0 and json.loads(out)["shortlists"] == []
    code, _, err = preview("--program", "Nope")
    assert code == 2 and "no program named 'Nope'" in err


def crowd(mentees: int, mentors: int) -> str:
    """A flat organisation: `mentees` mentees and `mentors` mentors who all fit each other."""
    rows = [HEADER]
    rows += [
        f"U_E{k:04d},Mentee {k},,Sales,Rep,mentee,public-speaking,,,Europe/London,en,remote\n"
        for k in range(mentees)
    ]
    rows += [
        f"U_M{k:04d},Mentor {k},,Ops,Lead,mentor,,public-speaking,2,Europe/London,en,either\n"
        for k in range(mentors)
    ]
    return "".join(rows)


def test_a_program_too_large_for_the_memory_limit_is_a_one_line_error(
    preview, db: Database, clock: FakeClock
) -> None:
    seed(db, clock, crowd(200, 200))
    before = snapshot(db)
    code, out, err = preview("--json", "--max-memory-mb", "1")
    assert (code, out) == (1, "")
    assert err.count("\n") == 1 and err.startswith("mentorbot: ") and "Traceback" not in err
    assert "program 'Mentoring program' is too large to match in one run" in err
    assert "200 waiting mentees x 200 mentors with room" in err and "(limit 1 MB)" in err
    assert "Split it into smaller programs" in err and "matching_max_memory_mb" in err
    assert snapshot(db) == before
    # The same program with room to spare is matched.
    code, out, err = preview("--json", "--max-memory-mb", "64")
    assert (code, err) == (0, "") and len(json.loads(out)["shortlists"]) == 200
    with pytest.raises(SystemExit) as usage:
        preview("--max-memory-mb", "0")
    assert usage.value.code == 2


def test_the_program_setting_limits_a_coordinators_run(
    db: Database, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a limit this small (below what a coordinator may set) keeps the test's program small
    monkeypatch.setitem(INT_RANGES, svc.MEMORY_LIMIT_SETTING, (1, 262_144))
    seed(db, clock, crowd(200, 200))
    with db.transaction() as session:
        program = session.scalars(select(Program)).one()
        save_settings(session, program, {svc.MEMORY_LIMIT_SETTING: 1})
    with db.transaction() as session:
        program = session.scalars(select(Program)).one()
        with pytest.raises(svc.MatchingTooLarge) as info:
            svc.run_matching(session, program, clock)
    assert isinstance(info.value, ValueError) and info.value.limit_mb == 1
    assert info.value.estimate.pairs == 200 * 200
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Shortlist)) == 0
        # One mentee's own shortlist is small whatever the limit.
        outcome = svc.shortlist_for_user(session, "T0001", "U_E0000", clock)
        assert outcome is not None and len(outcome.candidates) == 3
