"""`mentorbot match preview`: the --json shape, the reporting-line exclusion as a coordinator
sees it, and that a preview sends nothing and changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.cli import main
from core.clock import FakeClock
from core.db import Database
from core.models import MentorRequest, Shortlist
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
