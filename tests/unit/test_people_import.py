"""`mentorbot people import`: good files, every kind of bad row (the database is left exactly
as it was), BOM and line endings, and the upsert rules. Runs the real command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli import main
from core.kernel.clock import FakeClock
from core.kernel.db import Database
from core.people.models import Goal, Participation, Person
from tests.matching_data import HEADER, PEOPLE, seed, snapshot


@pytest.fixture
def cli(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)  # no stray .env

    def run(*args: str, csv: str | bytes | None = None) -> tuple[int, str, str]:
        argv = list(args)
        if csv is not None:
            path = tmp_path / "people.csv"
            path.write_bytes(csv if isinstance(csv, bytes) else csv.encode("utf-8"))
            argv.insert(2, str(path))
        code = main(argv)
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def people(db: Database) -> dict[str, Person]:
    with db.transaction() as session:
        return {p.slack_user_id: p for p in session.scalars(select(Person))}


def profile(db: Database, user: str) -> tuple[Participation, list[str], list[str]]:
    with db.transaction() as session:
        part = session.scalars(
            select(Participation).join(Person).where(Person.slack_user_id == user)
        ).one()
        goals = [g.competency_id for g in part.goals]
        expertise = sorted(e.competency_id for e in part.expertise)
        return part, goals, expertise


def test_a_good_file_imports_everyone_with_confirmed_profiles(cli, db: Database) -> None:
    code, out, err = cli("people", "import", "--team", "T0001", csv=PEOPLE)
    assert (code, err) == (0, "")
    assert "imported 4 people" in out and "4 new" in out and "4 with a confirmed profile" in out
    everyone = people(db)
    assert everyone["U_ANA"].manager_slack_id == "U_BEA"
    assert (everyone["U_ANA"].display_name, everyone["U_ANA"].title) == ("Ana Lima", "Engineer")
    assert everyone["U_ANA"].timezone == "Europe/Lisbon"
    ana, goals, _ = profile(db, "U_ANA")
    assert ana.is_mentee and not ana.is_mentor and ana.status == "active" and ana.confirmed
    assert goals == ["public-speaking", "stakeholder-management"]  # priority order kept
    assert (ana.meeting_format, ana.languages) == ("remote", ["en", "pt"])
    cy, _, expertise = profile(db, "U_CY")
    assert (
        cy.is_mentor
        and cy.capacity == 1
        and expertise
        == [
            "public-speaking",
            "stakeholder-management",
        ]
    )


def test_reimport_updates_only_the_columns_in_the_file(cli, db: Database) -> None:
    cli("people", "import", "--team", "T0001", csv=PEOPLE)
    code, out, _ = cli(
        "people",
        "import",
        csv="slack_user_id,name,title\nU_ANA,Ana Lima,Staff engineer\nU_NEW,New Person,\n",
    )  # --team omitted: the only workspace is used
    assert code == 0 and "1 new, 1 updated" in out
    everyone = people(db)
    assert everyone["U_ANA"].title == "Staff engineer"
    assert everyone["U_ANA"].manager_slack_id == "U_BEA"  # no manager column: kept
    _, goals, _ = profile(db, "U_ANA")
    assert goals == ["public-speaking", "stakeholder-management"]
    # An empty cell in a present column clears the value.
    cli("people", "import", csv="slack_user_id,name,manager\nU_ANA,Ana Lima,\n")
    assert people(db)["U_ANA"].manager_slack_id is None


def test_roles_without_goals_or_expertise_are_not_confirmed(cli, db: Database) -> None:
    code, out, _ = cli(
        "people",
        "import",
        "--team",
        "T0001",
        csv=HEADER + "U_X,Xu,,,,mentee;mentor,writing,,2,,,\n",
    )
    assert code == 0 and "0 with a confirmed profile" in out
    part, goals, expertise = profile(db, "U_X")
    assert part.status == "onboarding" and not part.confirmed
    assert (goals, expertise, part.capacity) == (["writing"], [], 2)


BAD_ROWS = [
    pytest.param(
        HEADER + "U_Z,Zed,,,,mentee,public-speaking;juggling,,,,,\n",
        "line 2: goals: unknown competency id 'juggling'",
        id="unknown-competency",
    ),
    pytest.param(
        "slack_user_id,name,shoe_size\nU_Z,Zed,44\n",
        "line 1: shoe_size: unknown column",
        id="unknown-column",
    ),
    pytest.param(
        "name,title\nZed,Boss\n", "line 1: slack_user_id: required column is missing", id="no-id"
    ),
    pytest.param(
        "slack_user_id,name\nU_Z,Zed\nU_Y,Yan\nU_Z,Zed again\n",
        "line 4: slack_user_id: U_Z is already on line 2",
        id="duplicate-user",
    ),
    pytest.param(
        "slack_user_id,name,manager\nU_Z,Zed,U_Y\nU_Y,Yan,U_X\nU_X,Xu,U_Z\n",
        "line 2: manager: reporting cycle U_Z -> U_Y -> U_X -> U_Z (also lines 3, 4)",
        id="manager-cycle",
    ),
    pytest.param(
        "slack_user_id,name,manager\nU_BEA,Bea Boss,U_ANA\n",
        "line 2: manager: reporting cycle U_BEA -> U_ANA -> U_BEA",
        id="cycle-through-existing-people",
    ),
    pytest.param(
        "slack_user_id,name,manager\nU_Z,Zed,U_Z\n",
        "line 2: manager: a person cannot manage themselves",
        id="own-manager",
    ),
    pytest.param(
        "slack_user_id,name,timezone\nU_Z,Zed,Mars/Olympus\n",
        "line 2: timezone: unknown time zone 'Mars/Olympus'",
        id="bad-timezone",
    ),
    pytest.param(
        HEADER + "U_Z,Zed,,,,mentor,,writing,6,,,\n",
        "line 2: capacity: must be from 0 to 5, got 6",
        id="capacity-too-high",
    ),
    pytest.param(
        HEADER + "U_Z,Zed,,,,mentor,,writing,-1,,,\n",
        "line 2: capacity: must be from 0 to 5, got -1",
        id="capacity-negative",
    ),
    pytest.param(
        HEADER + "U_Z,Zed,,,,mentor,,writing,two,,,\n",
        "line 2: capacity: 'two' is not a whole number",
        id="capacity-not-a-number",
    ),
    pytest.param(
        "slack_user_id,name\nU_Z,\n", "line 2: name: required, but empty", id="empty-name"
    ),
    pytest.param(
        "slack_user_id,name,roles\nU_Z,Zed,coach\n",
        "line 2: roles: 'coach' is not mentee, mentor or mentee;mentor",
        id="bad-role",
    ),
    pytest.param(
        "slack_user_id,name,roles,goals\nU_Z,Zed,mentor,writing\n",
        "line 2: goals: only mentees have goals",
        id="goals-for-a-mentor",
    ),
    pytest.param(
        "slack_user_id,name,roles,goals\nU_Z,Zed,mentee,writing;hiring;security;delegation\n",
        "line 2: goals: at most 3 allowed, got 4",
        id="too-many-goals",
    ),
    pytest.param(
        "slack_user_id,name,languages\nU_Z,Zed,en;klingon\n",
        "line 2: languages: unknown language code 'klingon'",
        id="bad-language",
    ),
    pytest.param(
        "slack_user_id,name,meeting_format\nU_Z,Zed,carrier pigeon\n",
        "line 2: meeting_format: 'carrier pigeon' is not remote, in_person or either",
        id="bad-format",
    ),
    pytest.param(
        "slack_user_id,name\nU_Z,Zed,extra\n",
        "line 2: (row): 3 values but the header has 2 columns",
        id="too-many-values",
    ),
    pytest.param(
        "slack_user_id,name,email\nU_Z,Zed,not-an-address\n",
        "line 2: email: 'not-an-address' is not an email address",
        id="bad-email",
    ),
    pytest.param(
        "slack_user_id,name\nU_Z,Zed\nU_Y,Y\xe9\n".encode("latin-1"),
        "line 3: (file): this is not UTF-8 text",
        id="not-utf8",
    ),
]


@pytest.mark.parametrize(("csv", "expected"), BAD_ROWS)
def test_a_bad_row_aborts_everything_and_says_where(
    cli, db: Database, clock: FakeClock, csv: str | bytes, expected: str
) -> None:
    seed(db, clock, PEOPLE)
    before = snapshot(db)
    # Good rows around the bad one must not be written either.
    code, out, err = cli("people", "import", csv=csv)
    assert code == 1 and out == ""
    assert expected in err, err
    assert "nothing was imported" in err
    assert snapshot(db) == before


def test_every_problem_is_listed_at_once(cli, db: Database) -> None:
    csv = HEADER + (
        "U_A,Al,,,,mentee,juggling,,,Nowhere/Land,,\n"
        "U_B,Bo,,,,mentor,,writing,9,,,\n"
        "U_A,Al again,,,,,,,,,,\n"
    )
    code, _, err = cli("people", "import", "--team", "T0001", csv=csv)
    assert code == 1
    lines = [line for line in err.splitlines() if line.startswith("line ")]
    assert [line.split(":")[0:2] for line in lines] == [
        ["line 2", " goals"],
        ["line 2", " timezone"],
        ["line 3", " capacity"],
        ["line 4", " slack_user_id"],
    ]
    assert "4 problems" in err
    assert snapshot(db)["people"] == []


@pytest.mark.parametrize(
    "encode",
    [
        pytest.param(lambda t: ("\ufeff" + t).encode("utf-8"), id="utf8-bom"),
        pytest.param(lambda t: t.replace("\n", "\r\n").encode("utf-8"), id="crlf"),
        pytest.param(lambda t: ("\ufeff" + t.replace("\n", "\r\n")).encode("utf-8"), id="bom-crlf"),
    ],
)
def test_bom_and_windows_line_endings(cli, db: Database, encode) -> None:
    csv = "Slack_User_ID,Name,Title\nU_JO,José Ñúñez,Líder de equipo\n"
    code, out, err = cli("people", "import", "--team", "T0001", csv=encode(csv))
    assert (code, err) == (0, ""), err
    assert people(db)["U_JO"].display_name == "José Ñúñez"
    assert people(db)["U_JO"].title == "Líder de equipo"


def test_team_and_program_must_be_known(cli, db: Database, clock: FakeClock) -> None:
    code, _, err = cli("people", "import", csv="slack_user_id,name\nU_Z,Zed\n")
    assert code == 1 and "--team" in err and snapshot(db)["people"] == []
    seed(db, clock, PEOPLE)
    seed(db, clock, "slack_user_id,name\nU_Q,Quinn\n", team="T0002")
    code, _, err = cli("people", "import", csv="slack_user_id,name\nU_Z,Zed\n")
    assert code == 1 and "several workspaces (T0001, T0002)" in err
    code, _, err = cli(
        "people", "import", "--team", "T0001", "--program", "Reverse", csv="slack_user_id,name\n"
    )
    assert code == 1 and "no program named 'Reverse'" in err and "'Mentoring program'" in err


def test_a_missing_file_is_a_clear_error(cli) -> None:
    code = main(["people", "import", "/nonexistent/people.csv"])
    assert code == 2


def test_ten_thousand_rows_import_in_one_go(cli, db: Database) -> None:
    """A big file imports completely. How long it takes is measured by
    `python -m benchmarks import` (docs/import.md), not asserted here."""
    rows = [HEADER]
    for i in range(10_000):
        manager = f"U{i // 10:06d}" if i >= 10 else ""
        if i % 2:
            rows.append(
                f"U{i:06d},Person {i},{manager},Dept {i % 40},Title,mentee,"
                "public-speaking;writing;hiring,,,Europe/Berlin,en;de,remote\n"
            )
        else:
            rows.append(
                f"U{i:06d},Person {i},{manager},Dept {i % 40},Title,mentor,,"
                "public-speaking;writing;security,2,America/New_York,en,either\n"
            )
    code, out, err = cli("people", "import", "--team", "T0001", csv="".join(rows))
    assert (code, err) == (0, ""), err
    assert "imported 10000 people" in out and "10000 with a confirmed profile" in out
    with db.transaction() as session:
        assert len(session.scalars(select(Goal.id)).all()) == 5_000 * 3
