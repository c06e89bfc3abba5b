"""Onboarding's use cases: each opens one transaction, applies the onboarding rules through
`core.onboarding.service` and returns an outcome the Slack side renders (it holds no live
rows: a conversation in an outcome is detached, read after the commit).

What they decide: which program a Join is about, whether a Join starts, resumes or is
already done, which conversation an answer may touch (only the clicker's own), which
profile someone may edit (only their own, in a program they take part in), and what the
Home tab says about them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.kernel.clock import Clock
from core.kernel.db import Database
from core.onboarding import service as ob
from core.onboarding.models import Conversation
from core.onboarding.understand import looks_like_question, understand
from core.people.directory import SlackProfile, find_person, upsert_person
from core.people.models import STATUS_ACTIVE, STATUS_LEFT, Participation, Person
from core.people.profiles import ProfileForm, ProfileInvalid, competency_name, save_profile
from core.programs.models import Program
from core.programs.service import (
    default_program,
    program_in_workspace,
    program_named,
    program_settings,
    taking_part,
    workspace_programs,
)
from core.programs.settings import ProgramSettings

logger = logging.getLogger(__name__)

PromptAt = tuple[str | None, str | None]


@dataclass(frozen=True)
class Snapshot:
    """Someone's onboarding in one program, as it stood when the transaction committed."""

    person_id: int
    name: str
    program: str
    settings: ProgramSettings
    conversation: Conversation | None
    participation_status: str | None
    confirmed: bool


# --- people ----------------------------------------------------------------------------------
def _person(session: Session, team_id: str, user_id: str, clock: Clock) -> Person:
    person = find_person(session, team_id, user_id)
    return person if person is not None else upsert_person(session, team_id, None, user_id, clock)


def refresh_person(
    db: Database, team_id: str, user_id: str, profile: SlackProfile | None, clock: Clock
) -> None:
    """Record (or refresh) someone's name, title and time zone as read from Slack."""
    with db.transaction() as session:
        upsert_person(session, team_id, profile, user_id, clock)


def is_participant(db: Database, team_id: str, user_id: str) -> bool:
    """Does the person take part in any of the workspace's programs?"""
    with db.transaction() as session:
        return bool(taking_part(session, find_person(session, team_id, user_id)))


# --- which program ---------------------------------------------------------------------------
def _program(session: Session, conversation: Conversation) -> Program:
    program = session.get(Program, conversation.program_id)
    assert program is not None
    return program


def _current_program(
    session: Session, team_id: str, person: Person | None, clock: Clock
) -> Program:
    """The program someone's Home tab and profile are about: the one whose onboarding is
    under way, else the one they take part in (the default first), else the default."""
    conversation = ob.unfinished_conversation(session, person) if person else None
    if conversation is not None:
        return _program(session, conversation)
    mine = taking_part(session, person)
    return mine[0] if mine else default_program(session, team_id, clock)


def _program_to_join(
    session: Session, team_id: str, person: Person, clock: Clock, *, explicit: bool
) -> Program | list[Program] | None:
    """Which program a Join with no program named is about: the onboarding under way;
    else the only program; else, when asked explicitly, the programs to choose from (those
    the person has not joined yet). None: nothing to do."""
    conversation = ob.unfinished_conversation(session, person)
    if conversation is not None:
        return _program(session, conversation)
    default = default_program(session, team_id, clock)
    programs = workspace_programs(session, team_id)
    if len(programs) <= 1:
        return default
    if not explicit:
        return None  # several programs: the Home tab's Join button asks which
    joined = {
        p.program_id for p in person.participations if p.status != STATUS_LEFT and p.confirmed
    }
    open_programs = [p for p in programs if p.id not in joined]
    if not open_programs:
        return taking_part(session, person)[0]  # in every program: "already set up"
    return open_programs


def joinable_program(db: Database, team_id: str, program_id: object, name: object) -> int | None:
    """The program a Join button names (by id, else by name), looked up in the clicker's
    workspace only: None when it is not there."""
    with db.transaction() as session:
        program = (
            program_in_workspace(session, team_id, program_id)
            if program_id is not None
            else program_named(session, team_id, name)
        )
        return program.id if program is not None else None


@dataclass(frozen=True)
class ProgramLookup:
    """The program a command named, else the workspace's programs to answer with."""

    program_id: int | None
    programs: list[str]


def program_by_name(db: Database, team_id: str, name: str) -> ProgramLookup:
    with db.transaction() as session:
        program = program_named(session, team_id, name)
        if program is not None:
            return ProgramLookup(program.id, [])
        return ProgramLookup(None, [p.name for p in workspace_programs(session, team_id)])


# --- starting --------------------------------------------------------------------------------
StartAction = Literal["none", "choose", "already", "prompt"]


@dataclass(frozen=True)
class StartOutcome:
    """What a Join leads to: nothing, a choice of programs, "already set up" (`several`:
    the workspace has several programs), or the current question (`snapshot`)."""

    action: StartAction
    choices: list[tuple[int, str]]
    snapshot: Snapshot | None = None
    several: bool = False
    supersede: PromptAt = (None, None)  # the earlier copy of a question asked again


def _snapshot(
    session: Session, person: Person, program: Program, conversation: Conversation | None
) -> Snapshot:
    participation = ob.find_participation(session, person, program)
    return Snapshot(
        person_id=person.id,
        name=person.display_name,
        program=program.name,
        settings=program_settings(program),
        conversation=conversation,
        participation_status=participation.status if participation else None,
        confirmed=bool(
            participation and participation.confirmed and participation.status == STATUS_ACTIVE
        ),
    )


def start_onboarding(
    db: Database,
    team_id: str,
    user_id: str,
    clock: Clock,
    *,
    explicit: bool,
    program_id: int | None = None,
) -> StartOutcome:
    """Start (or resume) onboarding in `program_id` (None: the program `_program_to_join`
    picks, or a choice). `explicit` when the person asked to join: then an existing
    conversation's current question is shown again, and a finished one says so."""
    with db.transaction() as session:
        person = _person(session, team_id, user_id, clock)
        chosen = (
            program_in_workspace(session, team_id, program_id)
            if program_id is not None
            else _program_to_join(session, team_id, person, clock, explicit=explicit)
        )
        if chosen is None:
            return StartOutcome("none", [])
        if isinstance(chosen, list):
            return StartOutcome("choose", [(p.id, p.name) for p in chosen])
        several = len(workspace_programs(session, team_id)) > 1
        participation = ob.find_participation(session, person, chosen)
        restart = participation is not None and participation.status == STATUS_LEFT
        if participation is not None and participation.confirmed and not restart:
            # Already has a profile (confirmed here, or imported by a coordinator).
            snapshot, started = _snapshot(session, person, chosen, None), False
        else:
            conversation, started = ob.start(session, person, chosen, clock, restart=restart)
            snapshot = _snapshot(session, person, chosen, conversation)
        earlier = _prompt_at(snapshot.conversation) if snapshot.conversation else (None, None)
    action = _start_action(snapshot, started, explicit)
    supersede = earlier if not started else (None, None)
    return StartOutcome(action, [], snapshot, several, supersede)


@dataclass(frozen=True)
class JoinOffer:
    """What a Join offer says: to whom, about which program, and whether they left it."""

    name: str
    program: str
    left: bool


WELCOMED = "welcome"  # a conversations row that only records the one-time greeting


def _welcome_row(session: Session, person: Person) -> Conversation | None:
    return session.scalars(
        select(Conversation).where(
            Conversation.person_id == person.id, Conversation.kind == WELCOMED
        )
    ).first()


def greet_once(db: Database, team_id: str, user_id: str, clock: Clock) -> JoinOffer | None:
    """The greeting for someone opening the bot's DM for the first time ever: what the
    program is and a Join button (nothing starts). None for anyone greeted or offered to
    join before, taking part, or who left: they are not greeted again."""
    with db.transaction() as session:
        person = _person(session, team_id, user_id, clock)
        if person.participations or _welcome_row(session, person) is not None:
            return None
        program = default_program(session, team_id, clock)
        return JoinOffer(person.display_name, program.name, False)


def record_offer(db: Database, team_id: str, user_id: str, at: PromptAt, clock: Clock) -> PromptAt:
    """Remember where the newest Join offer was posted (so an older one, or this one once
    someone joins, loses its button); returns where the previous one was."""
    try:
        with db.transaction() as session:
            person = _person(session, team_id, user_id, clock)
            row = _welcome_row(session, person)
            if row is None:
                now = clock.now()
                row = Conversation(
                    team_id=team_id,
                    person_id=person.id,
                    program_id=default_program(session, team_id, clock).id,
                    kind=WELCOMED,
                    step="offered",
                    version=1,
                    draft={},
                    started_at=now,
                    updated_at=now,
                    completed_at=now,
                )
                session.add(row)
            previous = _prompt_at(row)
            row.prompt_channel, row.prompt_ts = at
            session.flush()
            return previous
    except IntegrityError:  # the same person's other tab won the race
        return (None, None)


def take_offer(db: Database, team_id: str, user_id: str) -> PromptAt:
    """Where the live Join offer is, forgotten now that the person joined (None, None: none)."""
    with db.transaction() as session:
        person = find_person(session, team_id, user_id)
        row = _welcome_row(session, person) if person is not None else None
        if row is None:
            return (None, None)
        at = _prompt_at(row)
        row.prompt_channel = row.prompt_ts = None
        return at


def join_offer(db: Database, team_id: str, user_id: str, clock: Clock) -> JoinOffer:
    """The program someone who does not take part would join, and whether they left it."""
    with db.transaction() as session:
        person = _person(session, team_id, user_id, clock)
        program = _current_program(session, team_id, person, clock)
        participation = ob.find_participation(session, person, program)
        left = participation is not None and participation.status == STATUS_LEFT
        return JoinOffer(person.display_name, program.name, left)


def _start_action(snapshot: Snapshot, started: bool, explicit: bool) -> StartAction:
    if snapshot.confirmed and not started:
        return "already" if explicit else "none"
    if not started and not explicit:
        return "none"
    return "prompt"


BURIED = "_buried"  # a draft key: something was posted below the current question
LINES = "_lines"  # a draft key: the ✓ lines the current question's message shows


def bury_prompt(db: Database, conversation_id: int) -> None:
    """Remember that the bot posted something below the current question (an answer to a
    question, a hint): the next question is then posted below, not asked in its place."""
    with db.transaction() as session:
        current = session.get(Conversation, conversation_id)
        if current is not None:
            current.draft = {**(current.draft or {}), BURIED: True}


def record_prompt(
    db: Database,
    conversation_id: int,
    version: int,
    channel: str | None,
    ts: str | None,
    lines: tuple[str, ...] = (),
) -> None:
    """Remember where a question was posted (and the ✓ lines its message shows), unless the
    conversation has moved on since."""
    with db.transaction() as session:
        current = session.get(Conversation, conversation_id)
        if current is not None and current.version == version:
            current.prompt_channel, current.prompt_ts = channel, ts
            draft = {k: v for k, v in (current.draft or {}).items() if k not in (BURIED, LINES)}
            current.draft = {**draft, LINES: list(lines)} if lines else draft


# --- answers ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Answered:
    """An answer applied (or refused): the step's result, the onboarding as it now stands and
    where the question that was answered had been posted."""

    result: ob.StepResult
    snapshot: Snapshot
    prompt_at: PromptAt
    prompt_is_last: bool = True  # nothing was posted below the question since it was asked
    prompt_lines: tuple[str, ...] = ()  # the ✓ lines the question's message already shows


def _own_conversation(
    session: Session, person: Person, conversation_id: object
) -> Conversation | None:
    """The conversation a button points at, only if it belongs to the person who clicked."""
    if not isinstance(conversation_id, int):
        return None
    conversation = session.get(Conversation, conversation_id)
    if conversation is None or conversation.person_id != person.id:
        return None
    return conversation


def _prompt_at(conversation: Conversation) -> PromptAt:
    return conversation.prompt_channel, conversation.prompt_ts


def answer_button(
    db: Database,
    team_id: str,
    user_id: str,
    clock: Clock,
    *,
    token: dict[str, Any],
    value: Any,
    typed: bool = False,
) -> Answered | None:
    """Apply a click or menu choice (`token`: the button's conversation, step and version)
    to the clicker's own conversation. None: the button is not about theirs."""
    with db.transaction() as session:
        person = _person(session, team_id, user_id, clock)
        conversation = _own_conversation(session, person, token.get("c"))
        if conversation is None:
            return None
        prompt_at = _prompt_at(conversation)
        is_last = not (conversation.draft or {}).get(BURIED)
        lines = tuple(str(line) for line in (conversation.draft or {}).get(LINES) or ())
        result = ob.answer(
            session,
            conversation,
            step=str(token.get("s")),
            version=token.get("v"),
            value=value,
            clock=clock,
            typed=typed,
        )
        snapshot = _snapshot(session, person, _program(session, conversation), conversation)
    return Answered(result, snapshot, prompt_at, is_last, lines)


def answer_typed(
    db: Database, team_id: str, user_id: str, text: str, clock: Clock
) -> Answered | None:
    """A DM typed by someone in onboarding: a question about the program (outcome
    "question": the step waits), the answer to a text question, or an answer to a button
    question when it is unambiguous (applied like the click). None when no onboarding of
    theirs is running."""
    with db.transaction() as session:
        person = find_person(session, team_id, user_id)
        conversation = ob.unfinished_conversation(session, person) if person else None
        if person is None or conversation is None:
            return None
        program = _program(session, conversation)
        prompt_at = _prompt_at(conversation)
        lines = tuple(str(line) for line in (conversation.draft or {}).get(LINES) or ())
        result = _typed_result(session, conversation, program, text, clock)
        snapshot = _snapshot(session, person, program, conversation)
    return Answered(result, snapshot, prompt_at, False, lines)


def _typed_result(
    session: Session, conversation: Conversation, program: Program, text: str, clock: Clock
) -> ob.StepResult:
    name = ob.step_name(conversation.step)
    free_text = name in ob.TEXT_STEPS
    if looks_like_question(text, strict=free_text):
        return ob.StepResult("question", conversation)
    if free_text:
        value: Any = text
    else:
        limit = program_settings(program).max_mentor_capacity
        value = understand(name, text, capacity_limit=limit)
        if value is None:
            return ob.StepResult("expects_button", conversation)
    return ob.answer(
        session,
        conversation,
        step=conversation.step,
        version=None,
        value=value,
        clock=clock,
        typed=free_text,
    )


def confirm_profile(
    db: Database, team_id: str, user_id: str, clock: Clock, *, token: dict[str, Any]
) -> Answered | None:
    """Confirm the clicker's own played-back profile. None: the button is not about theirs,
    or a concurrent confirm won (this one's writes are rolled back)."""
    try:
        with db.transaction() as session:
            person = _person(session, team_id, user_id, clock)
            conversation = _own_conversation(session, person, token.get("c"))
            if conversation is None:
                return None
            prompt_at = _prompt_at(conversation)
            result = ob.confirm(session, conversation, version=token.get("v"), clock=clock)
            snapshot = _snapshot(session, person, _program(session, conversation), conversation)
    except ob.StaleConfirm:
        logger.info("a concurrent confirm won; this one changed nothing")
        return None
    return Answered(result, snapshot, prompt_at)


# --- editing ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class ProfileChoice:
    """Which profile `/mentoring profile [--program NAME]` edits: `edit` (program_id None:
    the current program), `not_yours` (the name is not one of theirs) or `choose` (several)."""

    status: Literal["edit", "not_yours", "choose"]
    program_id: int | None
    programs: list[tuple[int, str]]


def profile_to_edit(db: Database, team_id: str, user_id: str, name: str | None) -> ProfileChoice:
    """Someone in several programs chooses which profile to edit unless they name one; only
    their own programs can be named."""
    with db.transaction() as session:
        mine = [
            (p.id, p.name) for p in taking_part(session, find_person(session, team_id, user_id))
        ]
    if name is not None:
        chosen = next((p for p in mine if p[1].lower() == name.lower()), None)
        if chosen is None:
            return ProfileChoice("not_yours", None, mine)
        return ProfileChoice("edit", chosen[0], mine)
    if len(mine) > 1:
        return ProfileChoice("choose", None, mine)
    return ProfileChoice("edit", None, mine)


def chosen_profile(db: Database, team_id: str, user_id: str, program_id: object) -> str | None:
    """The name of the program a profile chooser's button opens, only if the clicker takes
    part in it (the id is checked against their own programs); else None."""
    with db.transaction() as session:
        mine = {p.id: p.name for p in taking_part(session, find_person(session, team_id, user_id))}
    if not isinstance(program_id, int) or isinstance(program_id, bool):
        return None
    return mine.get(program_id)


@dataclass(frozen=True)
class Editor:
    """What the profile modal shows: the form, its program's settings, what the modal
    remembers (draft or profile) and its title (the program, for someone in several)."""

    form: ProfileForm
    settings: ProgramSettings
    metadata: dict[str, Any]
    title: str | None


def profile_editor(
    db: Database, team_id: str, user_id: str, clock: Clock, *, program_id: int | None
) -> Editor | None:
    """The profile to edit in `program_id` (checked to be the workspace's), else in the
    current program: the onboarding draft while reviewing, else the confirmed profile.
    None: the person is not in the program (onboarding is to start instead)."""
    with db.transaction() as session:
        person = _person(session, team_id, user_id, clock)
        program = (
            program_in_workspace(session, team_id, program_id) if program_id is not None else None
        ) or _current_program(session, team_id, person, clock)
        several = len(taking_part(session, person)) > 1
        participation = ob.find_participation(session, person, program)
        conversation = ob.find_conversation(session, person, program)
        settings = program_settings(program)
        title = program.name if several else None
        if conversation is not None and conversation.step == ob.REVIEW:
            metadata = {"mode": "draft", "c": conversation.id, "v": conversation.version}
            return Editor(ob.draft_form(conversation), settings, metadata, title)
        if (
            participation is not None
            and participation.confirmed
            and participation.status != STATUS_LEFT
        ):
            form = ProfileForm.from_participation(participation)
            return Editor(form, settings, {"mode": "profile", "p": participation.id}, title)
        return None


FormReader = Callable[[ProgramSettings], tuple[ProfileForm, dict[str, str]]]


@dataclass(frozen=True)
class ProfileEdit:
    """A submitted profile modal: `unreadable` (the reader's errors), `invalid` (the
    profile's rule errors), `stale` (nothing to change), `refused` (not their profile),
    `draft` (the review's draft replaced: `answered`) or `saved` (`form` in `program_id`)."""

    status: Literal["unreadable", "invalid", "stale", "refused", "draft", "saved"]
    errors: dict[str, str] | None = None
    form: ProfileForm | None = None
    program_id: int | None = None
    answered: Answered | None = None


def _edited_program(
    session: Session, team_id: str, mode: object, conversation_id: object, participation_id: object
) -> Program | None:
    """The program of the draft or profile a profile modal edits (its settings apply);
    whose it is is checked before anything is saved."""
    row: Conversation | Participation | None = None
    if mode == "draft" and isinstance(conversation_id, int):
        row = session.get(Conversation, conversation_id)
    elif mode == "profile" and isinstance(participation_id, int):
        row = session.get(Participation, participation_id)
    return program_in_workspace(session, team_id, row.program_id) if row is not None else None


def save_profile_edit(
    db: Database,
    team_id: str,
    user_id: str,
    clock: Clock,
    *,
    metadata: dict[str, Any],
    read_form: FormReader,
) -> ProfileEdit:
    """Save a profile modal (`metadata`: what it edits, as `profile_editor` said) read with
    `read_form` under its program's settings, only into the submitter's own draft/profile."""
    mode = metadata.get("mode")
    with db.transaction() as session:
        program = _edited_program(
            session, team_id, mode, metadata.get("c"), metadata.get("p")
        ) or default_program(session, team_id, clock)
        settings = program_settings(program)
        form, errors = read_form(settings)
        if errors:
            return ProfileEdit("unreadable", errors=errors)
        person = _person(session, team_id, user_id, clock)
        try:
            if mode == "draft":
                return _replace_draft(session, person, program, metadata.get("c"), form, clock)
            if mode == "profile":
                participation = session.get(Participation, metadata.get("p"))
                if participation is None or participation.person_id != person.id:
                    return ProfileEdit("refused")
                save_profile(session, participation, form, settings, clock, confirm=False)
                return ProfileEdit("saved", form=form, program_id=participation.program_id)
            return ProfileEdit("stale")
        except ProfileInvalid as exc:
            return ProfileEdit("invalid", errors=exc.errors)


def _replace_draft(
    session: Session,
    person: Person,
    program: Program,
    conversation_id: object,
    form: ProfileForm,
    clock: Clock,
) -> ProfileEdit:
    conversation = _own_conversation(session, person, conversation_id)
    if conversation is None or conversation.step != ob.REVIEW:
        return ProfileEdit("stale")  # a stale modal: nothing to change
    prompt_at = _prompt_at(conversation)
    result = ob.replace_draft(session, conversation, form, clock)
    snapshot = _snapshot(session, person, program, conversation)
    return ProfileEdit("draft", answered=Answered(result, snapshot, prompt_at))


# --- App Home --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Standing:
    """Someone's standing in one program: none | onboarding | active | left (and, for the
    current program of someone in several, `several`), with their profile when active."""

    program_id: int
    program: str
    status: str
    is_mentee: bool = False
    is_mentor: bool = False
    goals: tuple[str, ...] = ()
    areas: tuple[str, ...] = ()
    capacity: int = 0


@dataclass(frozen=True)
class Home:
    """What someone's Home tab is about: their current program, and each of their programs
    when they take part in several."""

    current: Standing
    programs: tuple[Standing, ...] = ()


def _active(program: Program, participation: Participation) -> Standing:
    return Standing(
        program_id=program.id,
        program=program.name,
        status="active",
        is_mentee=participation.is_mentee,
        is_mentor=participation.is_mentor,
        goals=tuple(competency_name(g.competency_id) for g in participation.goals),
        areas=tuple(competency_name(e.competency_id) for e in participation.expertise),
        capacity=participation.capacity,
    )


def _standing(session: Session, person: Person | None, program: Program) -> Standing:
    participation = ob.find_participation(session, person, program) if person else None
    if participation is None:
        return Standing(program.id, program.name, "none")
    if participation.status == STATUS_LEFT:
        return Standing(program.id, program.name, "left")
    if participation.confirmed:
        return _active(program, participation)
    return Standing(program.id, program.name, "onboarding")


def _program_standing(session: Session, person: Person, program: Program) -> Standing:
    """One program's status on the Home tab of someone in several programs."""
    participation = ob.find_participation(session, person, program)
    if participation is not None and participation.confirmed:
        return _active(program, participation)
    return Standing(program.id, program.name, "onboarding")


def home(db: Database, team_id: str, user_id: str, clock: Clock) -> Home:
    """Someone's Home tab: their current program's standing, or each program's."""
    with db.transaction() as session:
        person = find_person(session, team_id, user_id)
        program = _current_program(session, team_id, person, clock)
        mine = taking_part(session, person)
        if person is not None and len(mine) > 1:
            programs = tuple(_program_standing(session, person, p) for p in mine)
            return Home(Standing(program.id, program.name, "several"), programs)
        return Home(_standing(session, person, program))
