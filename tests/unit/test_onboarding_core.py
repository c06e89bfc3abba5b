"""The onboarding state machine, through its service functions (no Slack)."""

from __future__ import annotations

import pytest

from core.kernel.clock import FakeClock
from core.kernel.db import Database
from core.onboarding import service as ob
from core.people.directory import upsert_person
from core.people.models import STATUS_ACTIVE
from core.programs.service import default_program


def start(db: Database, clock: FakeClock, user: str = "U1"):
    with db.transaction() as session:
        person = upsert_person(session, "T1", None, user, clock)
        program = default_program(session, "T1", clock)
        conversation, started = ob.start(session, person, program, clock)
        return conversation.id, started


def step(
    db: Database, clock: FakeClock, conv_id: int, value, *, typed: bool = False, version="current"
):
    with db.transaction() as session:
        conversation = session.get(ob.Conversation, conv_id)
        v = conversation.version if version == "current" else version
        return ob.answer(
            session,
            conversation,
            step=conversation.step,
            version=None if typed else v,
            value=value,
            clock=clock,
            typed=typed,
        )


def current(db: Database, conv_id: int):
    with db.transaction() as session:
        return session.get(ob.Conversation, conv_id)


def test_mentee_walks_through_every_step_and_confirms(db: Database, clock: FakeClock) -> None:
    conv_id, started = start(db, clock)
    assert started
    assert step(db, clock, conv_id, "mentee").ok
    assert current(db, conv_id).step == ob.GOALS
    assert step(db, clock, conv_id, ["public-speaking", "stakeholder-management"]).ok
    assert current(db, conv_id).step == "goal_success:0"
    assert step(db, clock, conv_id, "Give a talk at the all-hands", typed=True).ok
    assert step(db, clock, conv_id, "Run a steering meeting calmly", typed=True).ok
    assert current(db, conv_id).step == ob.FORMAT  # mentor questions skipped
    for value in ("remote", ["en", "pt"]):
        assert step(db, clock, conv_id, value).ok
    assert step(db, clock, conv_id, None).ok  # skip notes
    conversation = current(db, conv_id)
    assert conversation.step == ob.REVIEW  # confidentiality is part of the review
    assert [g["priority"] for g in conversation.draft["goals"]] == [1, 2]  # order chosen
    with db.transaction() as session:
        conversation = session.get(ob.Conversation, conv_id)
        assert ob.confirm(session, conversation, version=conversation.version, clock=clock).ok
    with db.transaction() as session:
        person = upsert_person(session, "T1", None, "U1", clock)
        participation = ob.find_participation(
            session, person, default_program(session, "T1", clock)
        )
        assert participation.status == STATUS_ACTIVE and participation.confirmed
        assert [g.competency_id for g in participation.goals] == [
            "public-speaking",
            "stakeholder-management",
        ]
        assert participation.goals[0].success == "Give a talk at the all-hands"
        assert participation.languages == ["en", "pt"]
        assert participation.is_mentee and not participation.is_mentor


def test_both_roles_get_mentor_questions_too(db: Database, clock: FakeClock) -> None:
    conv_id, _ = start(db, clock)
    step(db, clock, conv_id, "both")
    step(db, clock, conv_id, ["system-design"])
    step(db, clock, conv_id, "Design a service end to end", typed=True)
    assert current(db, conv_id).step == ob.EXPERTISE
    step(db, clock, conv_id, ["code-quality", "career-planning"])
    assert current(db, conv_id).step == ob.CAPACITY
    step(db, clock, conv_id, 2)
    assert current(db, conv_id).draft["capacity"] == 2


def test_a_stale_version_changes_nothing(db: Database, clock: FakeClock) -> None:
    conv_id, _ = start(db, clock)
    first = current(db, conv_id).version
    assert step(db, clock, conv_id, "mentor", version=first).ok
    again = step(db, clock, conv_id, "mentee", version=first)
    assert again.outcome == "stale"
    assert current(db, conv_id).draft["role"] == "mentor"


def test_typing_when_a_button_is_expected_is_not_an_answer(db: Database, clock: FakeClock) -> None:
    conv_id, _ = start(db, clock)
    result = step(db, clock, conv_id, "I want to be a mentee", typed=True)
    assert result.outcome == "expects_button"
    assert current(db, conv_id).step == ob.ROLE


@pytest.mark.parametrize("length", [501, 2000])
def test_over_long_text_is_refused_with_the_limit(
    db: Database, clock: FakeClock, length: int
) -> None:
    conv_id, _ = start(db, clock)
    step(db, clock, conv_id, "mentee")
    step(db, clock, conv_id, ["writing"])
    result = step(db, clock, conv_id, "x" * length, typed=True)
    assert result.outcome == "invalid"
    assert "500" in (result.error or "") and str(length) in (result.error or "")
    assert current(db, conv_id).step == "goal_success:0"


def test_more_goals_than_allowed_are_refused(db: Database, clock: FakeClock) -> None:
    conv_id, _ = start(db, clock)
    step(db, clock, conv_id, "mentee")
    result = step(db, clock, conv_id, ["writing", "negotiation", "hiring", "delegation"])
    assert result.outcome == "invalid" and "3" in (result.error or "")


def test_unknown_competency_is_refused(db: Database, clock: FakeClock) -> None:
    conv_id, _ = start(db, clock)
    step(db, clock, conv_id, "mentor")
    result = step(db, clock, conv_id, ["juggling"])
    assert result.outcome == "invalid"


def test_starting_again_returns_the_same_conversation(db: Database, clock: FakeClock) -> None:
    conv_id, _ = start(db, clock)
    step(db, clock, conv_id, "mentee")
    again, started = start(db, clock)
    assert again == conv_id and not started
    assert current(db, conv_id).step == ob.GOALS
