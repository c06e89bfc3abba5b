"""The k rule, settings validation and the coordinators command line, without Slack."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from bot.cli import main as cli
from core.coordination.models import AuditEvent, Coordinator
from core.coordination.service import validate_settings
from core.kernel.db import Database
from core.privacy.service import MIN_K, mask, mask_partition, program_k
from core.programs.service import program_settings


def test_a_group_smaller_than_k_is_hidden_zero_included() -> None:
    assert str(mask(5, 5)) == "5"
    assert str(mask(4, 5)) == "fewer than 5"
    assert str(mask(0, 5)) == "fewer than 5"
    assert mask(4, 5).hidden and not mask(5, 5).hidden


def test_one_hidden_cell_next_to_a_shown_total_takes_another_with_it() -> None:
    cells = mask_partition({"mentee": 6, "mentor": 5, "both": 1}, 5, total_shown=True)
    assert [str(c) for c in cells.values()] == ["6", "not shown (privacy)", "fewer than 5"]
    # without a shown total nothing can be subtracted: only the small cell goes
    cells = mask_partition({"mentee": 6, "mentor": 5, "both": 1}, 5, total_shown=False)
    assert [str(c) for c in cells.values()] == ["6", "5", "fewer than 5"]


@given(
    counts=st.dictionaries(st.sampled_from("abcdef"), st.integers(0, 40), min_size=2),
    k=st.integers(MIN_K, 10),
)
def test_no_small_cell_can_be_worked_out_from_the_total(counts: dict[str, int], k: int) -> None:
    total = sum(counts.values())
    cells = mask_partition(counts, k, total_shown=total >= k)
    for name, count in counts.items():
        if count < k:
            assert cells[name].hidden  # the rule itself
    hidden = [name for name, cell in cells.items() if cell.hidden]
    if total >= k and hidden:
        # the hidden cells' sum is all a reader can learn: never a single small cell
        assert len(hidden) >= 2 or len(counts) == 1


def test_the_privacy_minimum_has_a_floor() -> None:
    # A stored minimum below the floor (or not a number) is not used: the default is.
    defaults = program_settings(None)
    assert defaults.privacy_min_group == 5 >= MIN_K
    assert program_k(defaults.with_stored({"privacy_min_group": 1})) == 5
    assert program_k(defaults.with_stored({"privacy_min_group": "nonsense"})) == 5
    assert program_k(defaults.with_stored({"privacy_min_group": MIN_K})) == MIN_K
    assert program_k(defaults) == 5


def test_settings_are_validated_with_clear_problems() -> None:
    clean, problems = validate_settings(
        {
            "shortlist_size": "11",
            "privacy_min_group": "2",
            "duration_months": "5",
            "meeting_cadence": "daily",
            "working_hours_start": "17",
            "working_hours_end": "9",
            "target_checkin_response_rate": "120",
            "target_active_pairs": "",
            "objectives": "\n".join(f"objective {n}" for n in range(9)),
        }
    )
    assert set(problems) == {
        "shortlist_size",
        "privacy_min_group",
        "duration_months",
        "meeting_cadence",
        "working_hours",
        "target_checkin_response_rate",
        "objectives",
    }
    assert clean == {"targets": {"active_pairs": None}}
    clean, problems = validate_settings(
        {"shortlist_size": "4", "meeting_cadence": "every month", "target_days_to_match": "10.5"}
    )
    assert problems == {}
    assert clean == {
        "shortlist_size": 4,
        "meeting_cadence": "every month",
        "targets": {"days_to_match": 10.5},
    }


def test_the_command_line_sets_lists_and_removes_coordinators(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    # no workspace known yet, and no token to ask Slack: a clear error
    assert cli(["coordinators", "add", "U012ABCDEF"]) == 2
    assert "pass --team" in capsys.readouterr().err
    assert cli(["coordinators", "add", "not-an-id", "--team", "T0001"]) == 2
    assert "is not a Slack user id" in capsys.readouterr().err
    assert cli(["coordinators", "add", "U012ABCDEF", "--team", "T0001"]) == 0
    assert "is now a coordinator of Mentoring program" in capsys.readouterr().out
    # the workspace is known now: --team is optional
    assert cli(["coordinators", "add", "U012ABCDEF"]) == 0
    assert "was already" in capsys.readouterr().out
    assert cli(["coordinators", "add", "U0SECOND"]) == 0
    assert cli(["coordinators", "list"]) == 0
    assert "U012ABCDEF, U0SECOND" in capsys.readouterr().out
    assert cli(["coordinators", "list", "--program", "Nope"]) == 2
    assert "no program called 'Nope'" in capsys.readouterr().err
    assert cli(["coordinators", "remove", "U012ABCDEF"]) == 0
    assert cli(["coordinators", "remove", "U0SECOND"]) == 0  # the CLI may remove the last one
    db = Database(database_url)
    with db.transaction() as session:
        assert session.scalars(select(Coordinator)).all() == []
        actions = [(e.actor, e.action) for e in session.scalars(select(AuditEvent))]
    db.dispose()
    assert actions == [
        ("cli", "coordinators.add"),
        ("cli", "coordinators.add"),
        ("cli", "coordinators.remove"),
        ("cli", "coordinators.remove"),
    ]
