"""The onboarding conversation as a persisted state machine.

The conversation asks one thing at a time; its state (current step, version, draft answers)
lives in the `conversations` table so a restart resumes where the person was. Every answer is
applied with a conditional update on (id, version): a stale or repeated click, or the same
event delivered twice, matches no row and changes nothing.

Steps, in order (mentee-only and mentor-only steps are skipped for the other role):
role -> goals -> goal_success:i (each goal) -> expertise -> capacity -> format -> languages ->
notes -> review -> done. The goals' order is their priority (the first is the top one); how
confidentiality works is part of the review, and confirming acknowledges it. `goal_priority:i`
and `confidentiality` are no longer asked; a conversation saved at one of them still resumes.

`progress` numbers the steps the person sees: every goal's success question is one step
("step 3 of 7, goal 2 of 3"), so the total is fixed once the role is known.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.kernel.clock import Clock
from core.kernel.texts import plain
from core.onboarding.models import Conversation
from core.people.models import STATUS_LEFT, Participation, Person
from core.people.profiles import (
    NOTES_MAX_CHARS,
    SUCCESS_MAX_CHARS,
    GoalInput,
    ProfileForm,
    ProfileInvalid,
    check_text,
    clean_text,
    save_profile,
    validate,
)
from core.programs.models import Program
from core.programs.service import program_settings

KIND = "onboarding"

ROLE = "role"
GOALS = "goals"
GOAL_SUCCESS = "goal_success"
GOAL_PRIORITY = "goal_priority"
EXPERTISE = "expertise"
CAPACITY = "capacity"
FORMAT = "format"
LANGUAGES = "languages"
NOTES = "notes"
CONFIDENTIALITY = "confidentiality"
REVIEW = "review"
DONE = "done"

# Steps answered by typing in the DM; every other step is answered with a button or menu.
TEXT_STEPS = (GOAL_SUCCESS, NOTES)

Outcome = Literal["ok", "stale", "invalid", "expects_button", "expects_text", "question"]


@dataclass
class StepResult:
    outcome: Outcome
    conversation: Conversation
    answered_step: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


def step_name(step: str) -> str:
    return step.split(":", 1)[0]


def step_index(step: str) -> int:
    return int(step.split(":", 1)[1]) if ":" in step else 0


def step_sequence(draft: Mapping[str, Any]) -> list[str]:
    form = ProfileForm.from_dict(draft)
    steps = [ROLE]
    if form.is_mentee:
        steps.append(GOALS)
        steps += [f"{GOAL_SUCCESS}:{i}" for i in range(len(form.goals))]
    if form.is_mentor:
        steps += [EXPERTISE, CAPACITY]
    steps += [FORMAT, LANGUAGES, NOTES, REVIEW, DONE]
    return steps


def next_step(draft: Mapping[str, Any], step: str) -> str:
    steps = step_sequence(draft)
    return steps[steps.index(step) + 1] if step in steps else REVIEW


# The steps as the person counts them (every goal's success question is one step).
_MENTEE_STEPS = (ROLE, GOALS, GOAL_SUCCESS)
_MENTOR_STEPS = (ROLE, EXPERTISE, CAPACITY)
_BOTH_STEPS = (ROLE, GOALS, GOAL_SUCCESS, EXPERTISE, CAPACITY)
_LAST_STEPS = (FORMAT, LANGUAGES, NOTES, REVIEW)


@dataclass(frozen=True)
class Progress:
    """ "Step `number` of `total`" (and, on a goal's question, "goal `part` of `parts`")."""

    number: int
    total: int
    part: int = 0
    parts: int = 0


def progress(conversation: Conversation) -> Progress:
    """Where the person is: the total is fixed once the role is known (before that, the
    mentee's count, which is the mentor's too)."""
    form = ProfileForm.from_dict(conversation.draft or {})
    steps: tuple[str, ...]
    if form.is_mentee and form.is_mentor:
        steps = _BOTH_STEPS + _LAST_STEPS
    elif form.is_mentor and form.role:
        steps = _MENTOR_STEPS + _LAST_STEPS
    else:
        steps = _MENTEE_STEPS + _LAST_STEPS
    name = step_name(conversation.step)
    number = steps.index(name) + 1 if name in steps else len(steps)
    if name == GOAL_SUCCESS:
        return Progress(number, len(steps), step_index(conversation.step) + 1, len(form.goals))
    return Progress(number, len(steps))


def expects_text(conversation: Conversation) -> bool:
    return step_name(conversation.step) in TEXT_STEPS


def get_conversation(session: Session, conversation_id: int) -> Conversation | None:
    return session.get(Conversation, conversation_id)


def find_conversation(session: Session, person: Person, program: Program) -> Conversation | None:
    return session.scalars(
        select(Conversation).where(
            Conversation.person_id == person.id,
            Conversation.program_id == program.id,
            Conversation.kind == KIND,
        )
    ).first()


def unfinished_conversation(session: Session, person: Person) -> Conversation | None:
    """The person's onboarding still under way in any program (the most recently touched one
    when there are several)."""
    return session.scalars(
        select(Conversation)
        .where(
            Conversation.person_id == person.id,
            Conversation.kind == KIND,
            Conversation.completed_at.is_(None),
        )
        .order_by(Conversation.updated_at.desc(), Conversation.id.desc())
    ).first()


def find_participation(session: Session, person: Person, program: Program) -> Participation | None:
    return session.scalars(
        select(Participation).where(
            Participation.person_id == person.id, Participation.program_id == program.id
        )
    ).first()


def ensure_participation(
    session: Session, person: Person, program: Program, clock: Clock
) -> Participation:
    participation = find_participation(session, person, program)
    if participation is None:
        now = clock.now()
        participation = Participation(
            team_id=person.team_id,
            program_id=program.id,
            person_id=person.id,
            created_at=now,
            updated_at=now,
            languages=[],
        )
        session.add(participation)
        session.flush()
    return participation


def start(
    session: Session, person: Person, program: Program, clock: Clock, *, restart: bool = False
) -> tuple[Conversation, bool]:
    """The person's onboarding conversation, started if there is none (or `restart`).

    Returns (conversation, started): `started` is False when an existing conversation is
    simply returned, so the caller re-shows the current step instead of starting over.
    """
    participation = ensure_participation(session, person, program, clock)
    conversation = find_conversation(session, person, program)
    now = clock.now()
    if conversation is not None and not restart:
        return conversation, False
    if participation.status == STATUS_LEFT:
        participation.status = "onboarding"
    if conversation is None:
        conversation = Conversation(
            team_id=person.team_id,
            person_id=person.id,
            program_id=program.id,
            kind=KIND,
            step=ROLE,
            version=1,
            draft={},
            started_at=now,
            updated_at=now,
        )
        session.add(conversation)
        session.flush()
        return conversation, True
    _transition(session, conversation, conversation.version, ROLE, {}, clock, completed=False)
    return conversation, True


def _transition(
    session: Session,
    conversation: Conversation,
    version: int,
    step: str,
    draft: dict[str, Any],
    clock: Clock,
    *,
    completed: bool | None = None,
) -> bool:
    values: dict[str, Any] = {
        "step": step,
        "version": version + 1,
        "draft": draft,
        "updated_at": clock.now(),
    }
    if completed is True:
        values["completed_at"] = clock.now()
    elif completed is False:
        values["completed_at"] = None
    result = session.execute(
        update(Conversation)
        .where(Conversation.id == conversation.id, Conversation.version == version)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    session.refresh(conversation)
    return True


def _invalid(conversation: Conversation, message: str) -> StepResult:
    return StepResult("invalid", conversation, error=message)


def answer(
    session: Session,
    conversation: Conversation,
    *,
    step: str,
    version: int | None,
    value: Any,
    clock: Clock,
    typed: bool = False,
) -> StepResult:
    """Apply an answer to the current step.

    `version` is the version the button was drawn for (None for typed text, which always
    answers the current step). A mismatch, or a step that is no longer current, is stale.
    """
    refused = _refusal(conversation, step, version, typed)
    if refused is not None:
        return refused
    settings = program_settings(session.get(Program, conversation.program_id))
    draft = dict(conversation.draft or {})
    form = ProfileForm.from_dict(draft)
    index = step_index(step)
    apply = _APPLY.get(step_name(step))
    if apply is None:
        return StepResult("stale", conversation)
    problem = apply(form, value, index)
    if problem is not None:
        return _invalid(conversation, problem)

    errors = validate(form, settings, complete=False)
    if errors:
        return _invalid(conversation, next(iter(errors.values())))
    new_draft = form.as_dict()
    following = next_step(new_draft, step)
    if not _transition(session, conversation, conversation.version, following, new_draft, clock):
        return StepResult("stale", conversation)
    return StepResult("ok", conversation, answered_step=step)


def _refusal(
    conversation: Conversation, step: str, version: int | None, typed: bool
) -> StepResult | None:
    """A stale answer, or one of the wrong kind (text for a button step or back)."""
    if version is not None and version != conversation.version:
        return StepResult("stale", conversation)
    if step != conversation.step:
        return StepResult("stale", conversation)
    name = step_name(step)
    if typed and name not in TEXT_STEPS:
        return StepResult("expects_button", conversation)
    if not typed and name in TEXT_STEPS and name != NOTES:
        return StepResult("expects_text", conversation)
    return None


# Each step's answer is applied to the form by one function (form, value, goal index); it
# returns the problem to show, or None.
def _apply_role(form: ProfileForm, value: Any, index: int) -> str | None:
    if value not in ("mentee", "mentor", "both"):
        return plain("profile.errors.role")
    form.role = value
    if not form.is_mentee:
        form.goals = []
    if not form.is_mentor:
        form.expertise, form.capacity = [], None
    return None


def _apply_goals(form: ProfileForm, value: Any, index: int) -> str | None:
    chosen = [str(v) for v in (value or [])]
    form.goals = [
        next((g for g in form.goals if g.competency_id == c), GoalInput(c)) for c in chosen
    ]
    if not chosen:
        return plain("profile.errors.goals_required")
    for position, goal in enumerate(form.goals):  # the order chosen is the priority
        goal.priority = 1 if position == 0 else 2
    return None


def _apply_goal_success(form: ProfileForm, value: Any, index: int) -> str | None:
    text = clean_text(str(value or ""))
    problem = check_text(text, SUCCESS_MAX_CHARS)
    if problem or text is None:
        return problem or plain("profile.errors.empty")
    form.goals[index].success = text
    return None


def _apply_goal_priority(form: ProfileForm, value: Any, index: int) -> str | None:
    try:
        form.goals[index].priority = int(value)
    except (TypeError, ValueError):
        return plain("profile.errors.priority")
    return None


def _apply_expertise(form: ProfileForm, value: Any, index: int) -> str | None:
    form.expertise = [str(v) for v in (value or [])]
    if not form.expertise:
        return plain("profile.errors.expertise_required")
    return None


def _apply_capacity(form: ProfileForm, value: Any, index: int) -> str | None:
    try:
        form.capacity = int(value)
    except (TypeError, ValueError):
        return plain("profile.errors.capacity", limit=5)
    return None


def _apply_format(form: ProfileForm, value: Any, index: int) -> str | None:
    form.meeting_format = str(value)
    return None


def _apply_languages(form: ProfileForm, value: Any, index: int) -> str | None:
    form.languages = [str(v) for v in (value or [])]
    return None


def _apply_notes(form: ProfileForm, value: Any, index: int) -> str | None:
    text = None if value is None else clean_text(str(value))
    problem = check_text(text, NOTES_MAX_CHARS)
    if problem:
        return problem
    form.notes = text
    return None


def _apply_confidentiality(form: ProfileForm, value: Any, index: int) -> str | None:
    form.confidentiality_ack = bool(value)
    if not form.confidentiality_ack:
        return plain("profile.errors.confidentiality")
    return None


_APPLY: dict[str, Callable[[ProfileForm, Any, int], str | None]] = {
    ROLE: _apply_role,
    GOALS: _apply_goals,
    GOAL_SUCCESS: _apply_goal_success,
    GOAL_PRIORITY: _apply_goal_priority,
    EXPERTISE: _apply_expertise,
    CAPACITY: _apply_capacity,
    FORMAT: _apply_format,
    LANGUAGES: _apply_languages,
    NOTES: _apply_notes,
    CONFIDENTIALITY: _apply_confidentiality,
}


def replace_draft(
    session: Session, conversation: Conversation, form: ProfileForm, clock: Clock
) -> StepResult:
    """Edit answers from the modal while reviewing (the modal has every field)."""
    settings = program_settings(session.get(Program, conversation.program_id))
    form.confidentiality_ack = True  # acknowledged by the confirm that follows
    errors = validate(form, settings, complete=True)
    if errors:
        raise ProfileInvalid(errors)
    ok = _transition(session, conversation, conversation.version, REVIEW, form.as_dict(), clock)
    return StepResult("ok" if ok else "stale", conversation, answered_step=REVIEW)


def confirm(
    session: Session, conversation: Conversation, *, version: int | None, clock: Clock
) -> StepResult:
    """Confirm the played-back profile: it becomes the person's profile, visible to matching."""
    if conversation.step != REVIEW or (version is not None and version != conversation.version):
        return StepResult("stale", conversation)
    program = session.get(Program, conversation.program_id)
    person = session.get(Person, conversation.person_id)
    assert program is not None and person is not None
    participation = ensure_participation(session, person, program, clock)
    form = ProfileForm.from_dict(conversation.draft)
    form.confidentiality_ack = True  # the review explains it; confirming acknowledges it
    try:
        save_profile(session, participation, form, program_settings(program), clock, confirm=True)
    except ProfileInvalid as exc:
        return _invalid(conversation, next(iter(exc.errors.values())))
    if not _transition(
        session, conversation, conversation.version, DONE, conversation.draft, clock, completed=True
    ):
        # A concurrent confirm won: roll back this one's profile write.
        raise StaleConfirm()
    return StepResult("ok", conversation, answered_step=REVIEW)


class StaleConfirm(Exception):
    """Raised so the surrounding transaction rolls back a confirm that lost a race."""


def draft_form(conversation: Conversation) -> ProfileForm:
    return ProfileForm.from_dict(conversation.draft or {})
