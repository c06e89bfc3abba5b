"""Coordinators: who may run which program, the audit log, program settings, and the matching
interventions coordinators can make (match, unpair, do-not-pair, rematch).

Authorization is always decided here, from the database: a command, a button or a modal
submission names a program, and the person acting must be one of that program's coordinators
at that moment. A refused attempt is audited like any other action.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from core.coordination.models import OUTCOME_OK, AuditEvent, Coordinator, CoordinatorMatch
from core.kernel.clock import Clock
from core.kernel.db import add_if_new
from core.matching import ManagerGraph
from core.matchmaking.answers import start_pair
from core.matchmaking.models import (
    PAIR_ACTIVE,
    REQUEST_ACCEPTED,
    REQUEST_CANCELLED,
    REQUEST_DECLINED,
    REQUEST_PENDING,
    DoNotPair,
    MatchExclusion,
    MentorRequest,
    Pair,
)
from core.people.directory import find_person, upsert_person
from core.people.models import STATUS_ACTIVE, Participation, Person
from core.privacy.service import Ending, close_request, close_shortlists, end_pair
from core.programs.models import Program
from core.programs.service import default_settings, ensure_workspace, program_settings
from core.programs.settings import (  # the rules for each setting live there (re-exported)
    CADENCE_DAYS as CADENCE_DAYS,
)
from core.programs.settings import (
    DURATIONS as DURATIONS,
)
from core.programs.settings import (
    INT_RANGES as INT_RANGES,
)
from core.programs.settings import (
    OBJECTIVE_MAX_CHARS as OBJECTIVE_MAX_CHARS,
)
from core.programs.settings import (
    OBJECTIVES_MAX as OBJECTIVES_MAX,
)
from core.programs.settings import (
    TARGET_KEYS as TARGET_KEYS,
)
from core.programs.settings import (
    ProgramSettings,
    SettingProblem,
    check_setting,
    stored_form,
    target_value,
    whole_number,
)

CLI_ACTOR = "cli"
PROGRAM_NAME_MAX = 80


class CoordinationError(Exception):
    """A request that cannot be done as asked. `key` names the message in
    content/templates/coordinator.yaml (`coordinator.errors.<key>`)."""

    def __init__(self, key: str, **context: Any) -> None:
        super().__init__(key)
        self.key = key
        self.context = context


class NotCoordinator(CoordinationError):
    def __init__(self, program: str | None = None) -> None:
        super().__init__("not_coordinator", program=program)


# --- the audit log --------------------------------------------------------------------------


def record(
    session: Session,
    *,
    team_id: str,
    program_id: int | None,
    actor: str,
    action: str,
    outcome: str = OUTCOME_OK,
    targets: Iterable[str] = (),
    clock: Clock,
) -> AuditEvent:
    event = AuditEvent(
        team_id=team_id,
        program_id=program_id,
        actor=actor,
        action=action[:48],
        outcome=outcome,
        targets=[str(t) for t in targets],
        created_at=clock.now(),
    )
    session.add(event)
    session.flush()
    return event


# A coordinator's matching run. Its confirmation button carries the id of the program's latest
# completed run (`match_run_token`); a click runs only if that is still the latest, so a
# double click, a repeated delivery or a second confirmation of the same state sends nothing
# twice.
MATCH_RUN = "match.run"


def match_run_token(session: Session, program_id: int) -> int:
    """The id of the program's latest completed matching run in the audit log (0: none)."""
    latest = session.scalar(
        select(func.max(AuditEvent.id)).where(
            AuditEvent.program_id == program_id,
            AuditEvent.action == MATCH_RUN,
            AuditEvent.outcome == OUTCOME_OK,
        )
    )
    return int(latest or 0)


def claim_match_run(session: Session, program_id: int, token: Any) -> bool:
    """Lock the program row (so concurrent clicks queue up here: FOR NO KEY UPDATE on
    PostgreSQL, which leaves inserts that reference the program free; SQLite's BEGIN
    IMMEDIATE already serialises writers) and say whether no run has completed since `token`
    was handed out. The caller runs matching and records `MATCH_RUN` in the same transaction,
    which retires the token."""
    if not isinstance(token, int) or isinstance(token, bool):
        return False
    session.execute(
        select(Program.id).where(Program.id == program_id).with_for_update(key_share=True)
    )
    return match_run_token(session, program_id) == token


def recent_audit(session: Session, program_ids: Iterable[int], limit: int = 20) -> list[AuditEvent]:
    ids = list(program_ids)
    if not ids:
        return []
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.program_id.in_(ids))
            .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
            .limit(limit)
        )
    )


# --- who coordinates what -------------------------------------------------------------------


def coordinator_ids(session: Session, program_id: int) -> list[str]:
    return list(
        session.scalars(
            select(Coordinator.slack_user_id)
            .where(Coordinator.program_id == program_id)
            .order_by(Coordinator.created_at, Coordinator.id)
        )
    )


def is_coordinator(session: Session, program_id: int, user_id: str) -> bool:
    return (
        session.scalar(
            select(Coordinator.id).where(
                Coordinator.program_id == program_id, Coordinator.slack_user_id == user_id
            )
        )
        is not None
    )


def coordinated_programs(session: Session, team_id: str, user_id: str) -> list[Program]:
    return list(
        session.scalars(
            select(Program)
            .join(Coordinator, Coordinator.program_id == Program.id)
            .where(Coordinator.team_id == team_id, Coordinator.slack_user_id == user_id)
            .order_by(Program.is_default.desc(), Program.name)
        )
    )


def workspace_has_coordinators(session: Session, team_id: str) -> bool:
    return session.scalar(select(Coordinator.id).where(Coordinator.team_id == team_id)) is not None


def find_program(session: Session, team_id: str, name: str) -> Program | None:
    return session.scalars(
        select(Program).where(
            Program.team_id == team_id, func.lower(Program.name) == name.strip().lower()
        )
    ).first()


def resolve_program(
    session: Session, team_id: str, user_id: str, name: str | None, clock: Clock
) -> Program:
    """The program a coordinator command acts on: the one named, else the only program the
    person coordinates. Raises NotCoordinator / CoordinationError."""
    from core.programs.service import default_program

    if name:
        program = find_program(session, team_id, name)
        if program is None:
            raise CoordinationError("unknown_program", name=name)
        if not is_coordinator(session, program.id, user_id):
            raise NotCoordinator(program.name)
        return program
    mine = coordinated_programs(session, team_id, user_id)
    if not mine:
        default_program(session, team_id, clock)
        raise NotCoordinator()
    if len(mine) > 1:
        raise CoordinationError("which_program", names=[p.name for p in mine])
    return mine[0]


def may_add_coordinator(
    session: Session, program: Program, user_id: str, *, workspace_admin: bool
) -> bool:
    """Coordinators of the program may add others. A program with no coordinator yet can be
    given its first one by a Slack workspace admin or owner (or with the command line)."""
    if is_coordinator(session, program.id, user_id):
        return True
    return workspace_admin and not coordinator_ids(session, program.id)


def add_coordinator(
    session: Session, program: Program, user_id: str, *, by: str, clock: Clock
) -> bool:
    """Make someone a coordinator of the program. False if they already were."""
    if is_coordinator(session, program.id, user_id):
        return False
    ensure_workspace(session, program.team_id, clock)
    return add_if_new(
        session,
        Coordinator(
            team_id=program.team_id,
            program_id=program.id,
            slack_user_id=user_id,
            added_by=by,
            created_at=clock.now(),
        ),
    )


def remove_coordinator(
    session: Session, program: Program, user_id: str, *, keep_one: bool = True
) -> bool:
    """Remove a coordinator. With `keep_one` the last coordinator cannot be removed (so a
    program is never left without anyone to run it from Slack)."""
    row = session.scalars(
        select(Coordinator).where(
            Coordinator.program_id == program.id, Coordinator.slack_user_id == user_id
        )
    ).first()
    if row is None:
        return False
    if keep_one and len(coordinator_ids(session, program.id)) <= 1:
        raise CoordinationError("last_coordinator", program=program.name)
    session.delete(row)
    session.flush()
    return True


# --- programs -------------------------------------------------------------------------------


def check_program_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise CoordinationError("program_name_missing")
    if len(name) > PROGRAM_NAME_MAX:
        raise CoordinationError("program_name_too_long", limit=PROGRAM_NAME_MAX)
    return name


def create_program(session: Session, team_id: str, name: str, *, by: str, clock: Clock) -> Program:
    """Create a program; the person creating it becomes its first coordinator."""
    name = check_program_name(name)
    ensure_workspace(session, team_id, clock)
    if find_program(session, team_id, name) is not None:
        raise CoordinationError("program_exists", name=name)
    program = Program(
        team_id=team_id, name=name, is_default=False, settings={}, created_at=clock.now()
    )
    session.add(program)
    session.flush()
    add_coordinator(session, program, by, by=by, clock=clock)
    return program


def list_programs(session: Session, team_id: str) -> list[Program]:
    return list(
        session.scalars(
            select(Program)
            .where(Program.team_id == team_id)
            .order_by(Program.is_default.desc(), Program.name)
        )
    )


# --- program settings -----------------------------------------------------------------------

# Each setting's type and range are checked in core.programs.settings (`check_setting`).


def _objectives(text: str) -> list[str]:
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return [line.lstrip("-• ").strip() for line in lines if line.strip("-• ")]


def _form_values(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The modal's fields in stored form (before they are checked)."""
    values: dict[str, Any] = {}
    if "objectives" in raw:
        values["objectives"] = _objectives(str(raw.get("objectives") or ""))
    for key in (*INT_RANGES, "duration_months"):
        if key in raw:
            values[key] = whole_number(raw.get(key))
    if "meeting_cadence" in raw:
        values["meeting_cadence"] = str(raw.get("meeting_cadence") or "")
    if "working_hours_start" in raw or "working_hours_end" in raw:
        values["working_hours"] = {
            "start": raw.get("working_hours_start"),
            "end": raw.get("working_hours_end"),
        }
    return values


def validate_settings(raw: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Check settings entered by a coordinator. Returns (settings, problems by key);
    problems are template keys under `coordinator.settings_errors`."""
    clean: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for key, value in _form_values(raw).items():
        try:
            clean[key] = stored_form(check_setting(key, value))
        except SettingProblem as problem:
            problems[key] = problem.problem
    targets: dict[str, Any] = {}
    for key in TARGET_KEYS:
        name = f"target_{key}"
        if name not in raw:
            continue
        try:
            targets[key] = target_value(key, raw.get(name))
        except SettingProblem as problem:
            problems[name] = problem.problem
    if targets:
        clean["targets"] = targets
    return clean, problems


def save_settings(session: Session, program: Program, values: Mapping[str, Any]) -> dict[str, Any]:
    """Store validated settings as overrides: only keys that differ from the defaults."""
    defaults = default_settings().as_dict()
    overrides = dict(program.settings or {})
    for key, value in values.items():
        default = defaults.get(key)
        if key == "targets" and isinstance(default, Mapping):
            merged = {**dict(default), **dict(overrides.get("targets") or {}), **dict(value)}
            value = merged
        if value == default:
            overrides.pop(key, None)
        else:
            overrides[key] = value
    program.settings = overrides
    session.flush()
    return overrides


def cadence_days(settings: ProgramSettings) -> int:
    return CADENCE_DAYS[settings.meeting_cadence]


# --- participants ---------------------------------------------------------------------------


def participant(session: Session, program: Program, user_id: str) -> Participation | None:
    return session.scalars(
        select(Participation)
        .join(Person, Person.id == Participation.person_id)
        .where(Participation.program_id == program.id, Person.slack_user_id == user_id)
    ).first()


def in_reporting_line(session: Session, team_id: str, a: str, b: str) -> bool:
    """Is one of the two above the other in the reporting line (as far as anyone knows)?"""
    rows = session.execute(
        select(Person.slack_user_id, Person.manager_slack_id).where(Person.team_id == team_id)
    ).all()
    managers = {user: manager for user, manager in rows}
    try:
        return ManagerGraph(managers).in_reporting_line(a, b)
    except ValueError as exc:  # a cycle in the manager data: refuse rather than guess
        raise CoordinationError("manager_cycle") from exc


def do_not_pair_exists(session: Session, team_id: str, a: Person, b: Person) -> bool:
    first, second = sorted((a.id, b.id))
    return (
        session.scalar(
            select(DoNotPair.id).where(
                DoNotPair.team_id == team_id,
                or_(
                    (DoNotPair.person_a == first) & (DoNotPair.person_b == second),
                    (DoNotPair.person_a == second) & (DoNotPair.person_b == first),
                ),
            )
        )
        is not None
    )


def active_pair_between(
    session: Session, program: Program, a: Participation, b: Participation
) -> Pair | None:
    return session.scalars(
        select(Pair).where(
            Pair.program_id == program.id,
            Pair.status == PAIR_ACTIVE,
            or_(
                (Pair.mentee_id == a.id) & (Pair.mentor_id == b.id),
                (Pair.mentee_id == b.id) & (Pair.mentor_id == a.id),
            ),
        )
    ).first()


# --- match override -------------------------------------------------------------------------


@dataclass
class Proposal:
    match_id: int
    mentee: str
    mentor: str
    program: str


def propose_match(
    session: Session, program: Program, mentee_id: str, mentor_id: str, *, by: str, clock: Clock
) -> Proposal:
    """A coordinator's match: refused within a reporting line or a do-not-pair pair; else a
    request both people are asked to accept."""
    if mentee_id == mentor_id:
        raise CoordinationError("same_person")
    mentee = participant(session, program, mentee_id)
    mentor = participant(session, program, mentor_id)
    for user, part in ((mentee_id, mentee), (mentor_id, mentor)):
        if part is None or part.status != STATUS_ACTIVE:
            raise CoordinationError("not_participating", user=user, program=program.name)
    assert mentee is not None and mentor is not None
    if not mentee.is_mentee:
        raise CoordinationError("not_a_mentee", user=mentee_id)
    if not mentor.is_mentor:
        raise CoordinationError("not_a_mentor", user=mentor_id)
    if in_reporting_line(session, program.team_id, mentee_id, mentor_id):
        raise CoordinationError("reporting_line")
    if do_not_pair_exists(session, program.team_id, mentee.person, mentor.person):
        raise CoordinationError("do_not_pair")
    if active_pair_between(session, program, mentee, mentor) is not None:
        raise CoordinationError("already_paired")
    pending = session.scalars(
        select(MentorRequest).where(
            MentorRequest.mentee_id == mentee.id, MentorRequest.status == REQUEST_PENDING
        )
    ).first()
    if pending is not None:
        raise CoordinationError("request_pending", user=mentee_id)
    now = clock.now()
    settings = program_settings(program)
    request = MentorRequest(
        team_id=program.team_id,
        program_id=program.id,
        mentee_id=mentee.id,
        mentor_id=mentor.id,
        status=REQUEST_PENDING,
        via_coordinator=True,
        created_at=now,
        expires_at=now + timedelta(days=settings.request_expiry_days + 3),
    )
    if not add_if_new(session, request):  # a concurrent request won the one-pending slot
        raise CoordinationError("request_pending", user=mentee_id)
    match = CoordinatorMatch(
        team_id=program.team_id,
        program_id=program.id,
        request_id=request.id,
        proposed_by=by,
        created_at=now,
    )
    session.add(match)
    session.flush()
    return Proposal(match.id, mentee_id, mentor_id, program.name)


@dataclass
class MatchAnswer:
    outcome: str  # waiting | paired | declined | stale
    mentee: str = ""
    mentor: str = ""
    coordinator: str = ""
    program: str = ""
    pair_id: int | None = None


def answer_match(
    session: Session, match_id: int, user_id: str, *, yes: bool, clock: Clock
) -> MatchAnswer:
    """One of the two people answers a coordinator's match. Only they can answer their
    side (checked against the database), and only while the request is pending."""
    match = session.get(CoordinatorMatch, match_id)
    if match is None:
        return MatchAnswer("stale")
    request = session.get(MentorRequest, match.request_id)
    if request is None or request.status != REQUEST_PENDING:
        return MatchAnswer("stale")
    mentee = session.get(Participation, request.mentee_id)
    mentor = session.get(Participation, request.mentor_id)
    program = session.get(Program, match.program_id)
    assert mentee is not None and mentor is not None and program is not None
    answer = MatchAnswer(
        "waiting",
        mentee=mentee.person.slack_user_id,
        mentor=mentor.person.slack_user_id,
        coordinator=match.proposed_by,
        program=program.name,
    )
    if user_id == answer.mentee:
        column = CoordinatorMatch.mentee_answer
    elif user_id == answer.mentor:
        column = CoordinatorMatch.mentor_answer
    else:
        return MatchAnswer("stale")
    result = session.execute(
        update(CoordinatorMatch)
        .where(CoordinatorMatch.id == match.id, column.is_(None))
        .values({column.key: "yes" if yes else "no"})
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return MatchAnswer("stale")
    session.refresh(match)
    now = clock.now()
    if not yes:
        close_request(session, request.id, REQUEST_DECLINED, now)
        match.decided_at = now
        answer.outcome = "declined"
        return answer
    if match.mentee_answer == "yes" and match.mentor_answer == "yes":
        return _pair_agreed_match(session, match, request, program, answer, now)
    return answer


def _pair_agreed_match(
    session: Session,
    match: CoordinatorMatch,
    request: MentorRequest,
    program: Program,
    answer: MatchAnswer,
    now: datetime,
) -> MatchAnswer:
    """Both said yes: the request is accepted and the pair starts."""
    if not close_request(session, request.id, REQUEST_ACCEPTED, now):
        return MatchAnswer("stale")
    pair = start_pair(session, request, now)
    session.flush()
    match.decided_at = now
    answer.outcome = "paired"
    answer.pair_id = pair.id
    return answer


# --- unpair, do-not-pair, rematch -----------------------------------------------------------


@dataclass
class Unpaired:
    mentee: str
    mentor: str
    pair_id: int


def unpair(session: Session, program: Program, a: str, b: str, clock: Clock) -> Unpaired:
    first, second = participant(session, program, a), participant(session, program, b)
    if first is None or second is None:
        raise CoordinationError("not_paired")
    pair = active_pair_between(session, program, first, second)
    if pair is None:
        raise CoordinationError("not_paired")
    if not end_pair(session, pair.id, clock.now(), "coordinator"):
        raise CoordinationError("not_paired")
    mentee = a if pair.mentee_id == first.id else b
    mentor = b if mentee == a else a
    return Unpaired(mentee=mentee, mentor=mentor, pair_id=pair.id)


@dataclass
class DoNotPairResult:
    created: bool
    currently_paired: bool


def do_not_pair(
    session: Session, program: Program, a: str, b: str, clock: Clock
) -> DoNotPairResult:
    """Record that two people must never be paired (in any program of the workspace)."""
    if a == b:
        raise CoordinationError("same_person")
    team_id = program.team_id
    person_a = find_person(session, team_id, a) or upsert_person(session, team_id, None, a, clock)
    person_b = find_person(session, team_id, b) or upsert_person(session, team_id, None, b, clock)
    paired = False
    part_a, part_b = participant(session, program, a), participant(session, program, b)
    if part_a is not None and part_b is not None:
        paired = active_pair_between(session, program, part_a, part_b) is not None
    if do_not_pair_exists(session, team_id, person_a, person_b):
        return DoNotPairResult(created=False, currently_paired=paired)
    first, second = sorted((person_a.id, person_b.id))
    session.add(DoNotPair(team_id=team_id, person_a=first, person_b=second, created_at=clock.now()))
    session.flush()
    return DoNotPairResult(created=True, currently_paired=paired)


@dataclass
class Rematch:
    mentee: str
    ending: Ending = field(default_factory=Ending)


def rematch(session: Session, program: Program, mentee_id: str, clock: Clock) -> Rematch:
    """Start a mentee's matching again: their open pair ends kindly, their pending request is
    withdrawn and their open shortlist closed; the mentor they had is not offered again."""
    mentee = participant(session, program, mentee_id)
    if mentee is None or mentee.status != STATUS_ACTIVE:
        raise CoordinationError("not_participating", user=mentee_id, program=program.name)
    if not mentee.is_mentee:
        raise CoordinationError("not_a_mentee", user=mentee_id)
    previous = [
        p.mentor_id
        for p in session.scalars(
            select(Pair).where(Pair.mentee_id == mentee.id, Pair.status == PAIR_ACTIVE)
        )
    ]
    # Only the mentee's side ends: as a mentor (role "both") they carry on.
    ending = Ending()
    now = clock.now()
    for pair in session.scalars(
        select(Pair).where(Pair.mentee_id == mentee.id, Pair.status == PAIR_ACTIVE)
    ):
        if end_pair(session, pair.id, now, "rematch"):
            mentor = session.get(Participation, pair.mentor_id)
            if mentor is not None:
                ending.partners.append(mentor.person.slack_user_id)
    for req in session.scalars(
        select(MentorRequest).where(
            MentorRequest.mentee_id == mentee.id, MentorRequest.status == REQUEST_PENDING
        )
    ):
        if close_request(session, req.id, REQUEST_CANCELLED, now):
            mentor = session.get(Participation, req.mentor_id)
            if mentor is not None:
                ending.asked.append(mentor.person.slack_user_id)
    close_shortlists(session, [mentee.id])
    for mentor_id in previous:
        exists = session.scalar(
            select(MatchExclusion.id).where(
                MatchExclusion.mentee_id == mentee.id, MatchExclusion.mentor_id == mentor_id
            )
        )
        if exists is None:
            session.add(
                MatchExclusion(
                    team_id=program.team_id,
                    mentee_id=mentee.id,
                    mentor_id=mentor_id,
                    reason="rematch",
                    created_at=now,
                )
            )
    session.flush()
    session.expire_all()
    return Rematch(mentee=mentee_id, ending=ending)
