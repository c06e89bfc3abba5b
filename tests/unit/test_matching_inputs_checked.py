"""`MenteeInput.from_checked` / `MentorInput.from_checked` (used by program loading) build
exactly what the checking constructors build from the same normalised values."""

from __future__ import annotations

import pytest

from core.matching import MenteeInput, MentorInput

WHEREABOUTS = {
    "timezone": "Europe/Berlin",
    "work_hours": (8.0, 16.0),
    "languages": frozenset({"en", "de"}),
    "meeting_format": "in_person",
    "department": "Ops",
    "location": "Berlin",
}


@pytest.mark.parametrize("weights", [None, (3.0, 1.0)])
def test_a_mentee_from_checked_values_equals_the_checked_one(
    weights: tuple[float, ...] | None,
) -> None:
    checked = MenteeInput("U1", ("c1", "c2"), goal_weights=weights, **WHEREABOUTS)  # type: ignore[arg-type]
    fast = MenteeInput.from_checked("U1", ("c1", "c2"), weights, **WHEREABOUTS)  # type: ignore[arg-type]
    assert fast == checked
    assert hash(fast) == hash(checked)
    assert fast.weights() == checked.weights()


def test_a_mentor_from_checked_values_equals_the_checked_one() -> None:
    checked = MentorInput("U2", frozenset({"c1"}), capacity=3, open_load=1, **WHEREABOUTS)  # type: ignore[arg-type]
    fast = MentorInput.from_checked(
        "U2",
        frozenset({"c1"}),
        capacity=3,
        open_load=1,
        **WHEREABOUTS,  # type: ignore[arg-type]
    )
    assert fast == checked
    assert fast.remaining_capacity == 2
    assert MentorInput.from_checked(
        "U3",
        frozenset(),
        capacity=0,
        open_load=0,
        timezone=None,
        work_hours=(9.0, 17.0),
        languages=frozenset(),
        meeting_format="either",
        department=None,
    ) == MentorInput("U3", capacity=0)


def test_the_checking_constructor_still_refuses_bad_values() -> None:
    with pytest.raises(ValueError, match="twice"):
        MenteeInput("U1", ("c1", "c1"))
    with pytest.raises(ValueError, match="capacity"):
        MentorInput("U2", capacity=9)
