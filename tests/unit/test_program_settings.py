"""ProgramSettings: one typed, frozen value built from content's defaults and a program's
stored overrides, checked once; coordinators' edits are checked by the same rules."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import pytest
import yaml

from core.coordination.service import save_settings, validate_settings
from core.kernel.paths import content_dir
from core.kernel.texts import plain
from core.programs.models import Program
from core.programs.service import default_settings, program_defaults, program_settings
from core.programs.settings import MIN_K, ProgramSettings


def content_defaults() -> dict[str, Any]:
    text = (content_dir() / "program_defaults.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def stored(values: dict[str, Any], name: str = "Design guild") -> Program:
    return Program(team_id="T1", name=name, is_default=False, settings=values)


def test_the_defaults_are_contents_defaults() -> None:
    settings = program_settings(None)
    assert settings == default_settings()
    assert settings.as_dict() == content_defaults()
    assert settings.max_goals == content_defaults()["max_goals"]
    assert settings.working_hours.start == content_defaults()["working_hours"]["start"]


def test_a_programs_stored_values_and_name_override_the_defaults() -> None:
    settings = program_settings(
        stored({"shortlist_size": 5, "working_hours": {"start": 8, "end": 16}})
    )
    assert settings.name == "Design guild"
    assert settings.shortlist_size == 5
    assert (settings.working_hours.start, settings.working_hours.end) == (8, 16)
    assert settings.max_goals == default_settings().max_goals  # the rest are the defaults


def test_unknown_stored_keys_are_ignored() -> None:
    assert program_settings(stored({"no_such_setting": 1})) == program_settings(stored({}))


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("max_goals", "lots"),
        ("shortlist_size", 0),
        ("privacy_min_group", MIN_K - 1),
        ("working_hours", {"start": 17, "end": 9}),
        ("meeting_cadence", "daily"),
        ("duration_months", 5),
        ("working_days", []),
        ("objectives", "not a list"),
        ("targets", {"checkin_response_rate": 150}),
    ],
)
def test_a_bad_stored_value_falls_back_to_the_default_with_a_warning(
    key: str, value: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="core.programs.settings"):
        settings = program_settings(stored({key: value, "snooze_days": 3}))
    assert getattr(settings, key) == getattr(default_settings(), key)
    assert settings.snooze_days == 3  # the good value next to it is kept
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and key in warnings[0]
    assert repr(value) not in warnings[0] and str(value) not in warnings[0].replace(key, "")


def test_the_settings_are_frozen() -> None:
    settings = program_settings(None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.max_goals = 9  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.working_hours.start = 1  # type: ignore[misc]
    assert isinstance(settings.objectives, tuple) and isinstance(settings.duration_choices, tuple)


def test_broken_content_defaults_are_an_error_naming_the_key() -> None:
    defaults = dict(program_defaults())
    del defaults["max_goals"]
    with pytest.raises(ValueError, match="max_goals"):
        ProgramSettings.build(defaults)
    with pytest.raises(ValueError, match="shortlist_size"):
        ProgramSettings.build({**program_defaults(), "shortlist_size": 99})


def test_coordinator_edits_out_of_range_get_the_same_messages_as_before() -> None:
    clean, problems = validate_settings(
        {
            "shortlist_size": "11",
            "request_expiry_days": "0",
            "checkin_first_days": "3.5",
            "privacy_min_group": str(MIN_K - 1),
            "matching_max_memory_mb": "63",
            "duration_months": "5",
            "meeting_cadence": "daily",
            "working_hours_start": "17",
            "working_hours_end": "9",
            "target_checkin_response_rate": "120",
            "target_days_to_match": "-1",
            "target_active_pairs": "many",
        }
    )
    assert clean == {}
    assert problems == {
        "shortlist_size": "number_between",
        "request_expiry_days": "number_between",
        "checkin_first_days": "number_between",
        "privacy_min_group": "number_between",
        "matching_max_memory_mb": "number_between",
        "duration_months": "duration",
        "meeting_cadence": "cadence",
        "working_hours": "working_hours",
        "target_checkin_response_rate": "target",
        "target_days_to_match": "target",
        "target_active_pairs": "target",
    }
    # every problem is a message the coordinator is shown (as before)
    for problem in set(problems.values()):
        assert plain(f"coordinator.settings_errors.{problem}", low=1, high=10)
    too_many = "\n".join(f"objective {n}" for n in range(9))
    assert validate_settings({"objectives": too_many})[1] == {"objectives": "too_many_objectives"}
    too_long = "x" * 151
    assert validate_settings({"objectives": too_long})[1] == {"objectives": "objective_too_long"}


def test_coordinator_edits_in_range_are_stored_in_the_same_form() -> None:
    clean, problems = validate_settings(
        {
            "objectives": "- Grow new managers\n\n• Share   knowledge",
            "shortlist_size": "10",
            "privacy_min_group": str(MIN_K),
            "duration_months": "12",
            "meeting_cadence": "every week",
            "working_hours_start": "0",
            "working_hours_end": "24",
            "target_goals_progressing": "100",
            "target_days_to_match": "",
        }
    )
    assert problems == {}
    assert clean == {
        "objectives": ["Grow new managers", "Share knowledge"],
        "shortlist_size": 10,
        "privacy_min_group": MIN_K,
        "duration_months": 12,
        "meeting_cadence": "every week",
        "working_hours": {"start": 0, "end": 24},
        "targets": {"goals_progressing": 100, "days_to_match": None},
    }
    # what a coordinator saves is what the program then runs with
    program = stored({})

    class Flushing:
        def flush(self) -> None:
            pass

    save_settings(Flushing(), program, clean)  # type: ignore[arg-type]
    settings = program_settings(program)
    assert settings.objectives == ("Grow new managers", "Share knowledge")
    assert settings.shortlist_size == 10 and settings.meeting_cadence == "every week"
    assert settings.targets.goals_progressing == 100 and settings.targets.active_pairs is None
