"""Reading a program into the matching core's inputs (:func:`_load_program`), and running the
core on them (:func:`_run`): eligible participants, goals and expertise, mentors' load, the
reporting forest and the pair rules (do-not-pair, previous pairs, exclusions). Also the
program settings the core takes (:func:`match_settings`) and the texts it renders."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple, cast
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session, aliased

from core.kernel.clock import Clock
from core.kernel.paths import content_dir
from core.matching import (
    MAX_CAPACITY,
    MAX_GOALS,
    MatchConstraints,
    MatchResult,
    MatchSettings,
    MatchTooLarge,
    MeetingFormat,
    MenteeInput,
    MentorInput,
    Organisation,
    ReasonTemplates,
    gc_paused,
    match,
)
from core.matchmaking.models import (
    PAIR_ACTIVE,
    REQUEST_PENDING,
    DoNotPair,
    MatchExclusion,
    MentorRequest,
    Pair,
)
from core.matchmaking.outcomes import (
    _NO_MEMORY_LIMIT,
    PRIORITY_WEIGHTS,
    MatchingError,
    MatchingTooLarge,
    PersonRef,
)
from core.people.models import (
    MEETING_FORMATS,
    STATUS_ACTIVE,
    Expertise,
    Goal,
    Participation,
    Person,
)
from core.people.profiles import languages, taxonomy
from core.programs.models import Program
from core.programs.service import program_settings
from core.programs.settings import ProgramSettings


@lru_cache(maxsize=1)
def reason_templates() -> ReasonTemplates:
    path = content_dir() / "templates" / "matching_reasons.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return ReasonTemplates({str(k): str(v) for k, v in data.items()})


@lru_cache(maxsize=1)
def competency_names() -> dict[str, str]:
    return {c.id: c.name for c in taxonomy().competencies}


@lru_cache(maxsize=1024)
def _valid_timezone(tz: str) -> bool:
    try:
        ZoneInfo(tz)
        return True
    except Exception:
        return False


def match_settings(settings: ProgramSettings) -> MatchSettings:
    """The matching core's settings (each checked in ProgramSettings)."""
    return MatchSettings(
        shortlist_size=settings.shortlist_size,
        exposure_factor=settings.exposure_factor,
        department_preference=settings.department_preference,
        max_memory_mb=settings.matching_max_memory_mb,
    )


def _work_hours(settings: ProgramSettings) -> tuple[float, float]:
    start, end = float(settings.working_hours.start), float(settings.working_hours.end)
    if start % 24 == end % 24:  # a whole day (0 to 24) is not a window the matching core takes
        return (9.0, 17.0)
    return (start, end)


@dataclass
class _Program:
    """Everything matching needs about one program, read in a handful of queries."""

    program: Program
    settings: ProgramSettings
    refs: dict[str, PersonRef]  # slack id -> eligible participant
    mentees: dict[str, MenteeInput]  # waiting mentees
    mentors: dict[str, MentorInput]
    organisation: Organisation
    constraints: MatchConstraints
    match_settings: MatchSettings
    ineligible_mentees: dict[str, str]  # slack id -> why they are not waiting


def _load_program(
    session: Session, program: Program, clock: Clock, mentee_id: int | None = None
) -> _Program:
    """Read the program into matching inputs.

    With `mentee_id` (a participation id) only what one mentee's shortlist needs is read: that
    mentee, the mentors, the pair rules that involve the mentee, and the part of the reporting
    forest that decides who is in the mentee's line (:func:`_reporting_line`). Without it, the
    whole program and the whole workspace's reporting forest.
    """
    with gc_paused():
        return _read_program(session, program, clock, mentee_id)


def _read_program(
    session: Session, program: Program, clock: Clock, mentee_id: int | None
) -> _Program:
    settings = program_settings(program)
    single = mentee_id is not None
    rows = _participant_rows(session, program, clock.now(), mentee_id)
    facts = _facts(session, program, settings, mentee_id)
    mentee_row = next((r for r in rows if r.id == mentee_id), None) if single else None
    organisation = _organisation(session, program, single, mentee_row)
    people = _people(rows, facts, mentee_id)
    person = None
    if single:
        person = mentee_row.person_id if mentee_row is not None else -1
    constraints = _pair_rules(session, program, person, mentee_id, people.pid_slack)
    chosen = match_settings(settings)
    return _Program(
        program=program,
        settings=settings,
        refs=people.refs,
        mentees=people.mentees,
        mentors=people.mentors,
        organisation=organisation,
        constraints=constraints,
        # One mentee's run is linear in the mentors: the whole-program memory limit is for
        # coordinators' runs and previews, and never keeps a mentee from their list.
        match_settings=replace(chosen, max_memory_mb=_NO_MEMORY_LIMIT) if single else chosen,
        ineligible_mentees=people.ineligible,
    )


class _Participant(NamedTuple):
    """One eligible participant of the program, as read by :func:`_participant_rows`."""

    id: int  # the participation's
    is_mentee: bool
    is_mentor: bool
    capacity: int | None
    meeting_format: str | None
    languages: Any
    slack_id: str
    name: str | None
    title: str | None
    timezone: str | None
    department: str | None
    person_id: int


def _participant_rows(
    session: Session, program: Program, now: datetime, mentee_id: int | None
) -> list[_Participant]:
    """The program's confirmed, active, unpaused, reachable participants (with `mentee_id`:
    that mentee and the mentors)."""
    query = (
        select(
            Participation.id,
            Participation.is_mentee,
            Participation.is_mentor,
            Participation.capacity,
            Participation.meeting_format,
            Participation.languages,
            Person.slack_user_id,
            Person.display_name,
            Person.title,
            Person.timezone,
            Person.department,
            Person.id,
        )
        .join(Person, Person.id == Participation.person_id)
        .where(
            Participation.program_id == program.id,
            Participation.status == STATUS_ACTIVE,
            Participation.profile_confirmed_at.is_not(None),
            or_(Participation.paused_until.is_(None), Participation.paused_until <= now),
            Person.unreachable.is_(False),
        )
    )
    if mentee_id is not None:
        query = query.where(or_(Participation.id == mentee_id, Participation.is_mentor.is_(True)))
    return [_Participant._make(row) for row in session.execute(query)]


@dataclass(frozen=True)
class _Facts:
    """What the participant rows need besides themselves, per participation id."""

    goals: dict[int, list[tuple[str, int]]]  # (competency, priority), in the mentee's order
    expertise: dict[int, set[str]]
    load: Counter[int]  # a mentor's pending requests plus active pairs
    busy: dict[int, str]  # mentees who are not waiting -> why ("pending_request", "paired")
    hours: tuple[float, float]  # the program's working hours


def _facts(
    session: Session, program: Program, settings: ProgramSettings, mentee_id: int | None
) -> _Facts:
    names = competency_names()
    goals = _goals_by_participation(session, program, names, mentee_id)
    expertise = _expertise_by_participation(session, program, names)
    load, busy = _open_load(session, program)
    return _Facts(goals, expertise, load, busy, _work_hours(settings))


def _goals_by_participation(
    session: Session, program: Program, names: Mapping[str, str], mentee_id: int | None
) -> dict[int, list[tuple[str, int]]]:
    goals: dict[int, list[tuple[str, int]]] = defaultdict(list)
    query = (
        select(Goal.participation_id, Goal.competency_id, Goal.priority)
        .join(Participation, Participation.id == Goal.participation_id)
        .where(Participation.program_id == program.id)
        .order_by(Goal.participation_id, Goal.priority, Goal.position)
    )
    if mentee_id is not None:
        query = query.where(Goal.participation_id == mentee_id)
    for pid, competency, priority in session.execute(query):
        if competency in names:
            goals[pid].append((competency, priority or 2))
    return goals


def _expertise_by_participation(
    session: Session, program: Program, names: Mapping[str, str]
) -> dict[int, set[str]]:
    expertise: dict[int, set[str]] = defaultdict(set)
    for pid, competency in session.execute(
        select(Expertise.participation_id, Expertise.competency_id)
        .join(Participation, Participation.id == Expertise.participation_id)
        .where(Participation.program_id == program.id, Participation.is_mentor.is_(True))
    ):
        if competency in names:
            expertise[pid].add(competency)
    return expertise


def _open_load(session: Session, program: Program) -> tuple[Counter[int], dict[int, str]]:
    """Each mentor's pending requests plus active pairs, and the mentees those make busy."""
    load: Counter[int] = Counter()
    busy: dict[int, str] = {}
    for mentee_pid, mentor_pid in session.execute(
        select(MentorRequest.mentee_id, MentorRequest.mentor_id).where(
            MentorRequest.program_id == program.id, MentorRequest.status == REQUEST_PENDING
        )
    ):
        load[mentor_pid] += 1
        busy[mentee_pid] = "pending_request"
    for mentee_pid, mentor_pid in session.execute(
        select(Pair.mentee_id, Pair.mentor_id).where(
            Pair.program_id == program.id, Pair.status == PAIR_ACTIVE
        )
    ):
        load[mentor_pid] += 1
        busy[mentee_pid] = "paired"
    return load, busy


def _organisation(
    session: Session, program: Program, single: bool, mentee_row: _Participant | None
) -> Organisation:
    """The reporting forest: the whole workspace's, or (`single`) the part that decides who is
    in the mentee's line (nothing when the mentee is not a participant)."""
    if not single:
        # The whole workspace's reporting lines (people who only manage count too).
        managers = {
            slack_id: manager or None
            for slack_id, manager in session.execute(
                select(Person.slack_user_id, Person.manager_slack_id).where(
                    Person.team_id == program.team_id
                )
            )
        }
    elif mentee_row is not None:
        managers = _reporting_line(session, program.team_id, str(mentee_row.slack_id))
    else:
        managers = {}
    try:
        return Organisation(managers)
    except ValueError as exc:
        raise MatchingError(str(exc)) from None


@dataclass
class _People:
    """The participant rows as the matching core's inputs."""

    refs: dict[str, PersonRef] = field(default_factory=dict)  # slack id -> participant
    pid_slack: dict[int, str] = field(default_factory=dict)  # participation id -> slack id
    mentees: dict[str, MenteeInput] = field(default_factory=dict)  # waiting mentees
    mentors: dict[str, MentorInput] = field(default_factory=dict)
    ineligible: dict[str, str] = field(default_factory=dict)  # slack id -> why not waiting


def _people(rows: Iterable[_Participant], facts: _Facts, mentee_id: int | None) -> _People:
    people = _People()
    for row in rows:
        _add_participant(people, row, facts, mentee_id)
    return people


def _add_participant(
    people: _People, row: _Participant, facts: _Facts, mentee_id: int | None
) -> None:
    """One participant row: their ref, and their input as a waiting mentee and/or a mentor
    (with `mentee_id`, only that participation is taken as a mentee).

    The inputs skip the matching core's checks (`from_checked`): the rows were checked when
    stored (goals unique per participation, at most MAX_GOALS kept), and what the database
    does not guarantee is normalised here (time zone, format, capacity, languages)."""
    pid, slack_id = int(row.id), str(row.slack_id)
    people.refs[slack_id] = PersonRef(pid, slack_id, str(row.name or row.slack_id), row.title)
    people.pid_slack[pid] = slack_id
    tz = row.timezone if row.timezone and _valid_timezone(str(row.timezone)) else None
    dept = str(row.department) if row.department else None
    fmt = cast(
        MeetingFormat, row.meeting_format if row.meeting_format in MEETING_FORMATS else "either"
    )
    lang_set = frozenset(str(x) for x in (row.languages or []) if x)
    is_mentee = bool(row.is_mentee) and (mentee_id is None or pid == mentee_id)
    if is_mentee and pid in facts.busy:
        people.ineligible[slack_id] = facts.busy[pid]
    elif is_mentee:
        chosen = facts.goals.get(pid, [])[:MAX_GOALS]
        people.mentees[slack_id] = MenteeInput.from_checked(
            slack_id,
            tuple(c for c, _ in chosen),
            goal_weights=tuple(PRIORITY_WEIGHTS.get(p, 2.0) for _, p in chosen) or None,
            timezone=tz,
            work_hours=facts.hours,
            languages=lang_set,
            meeting_format=fmt,
            department=dept,
        )
    if row.is_mentor:
        people.mentors[slack_id] = MentorInput.from_checked(
            slack_id,
            frozenset(facts.expertise.get(pid, ())),
            capacity=max(0, min(MAX_CAPACITY, int(row.capacity or 0))),
            open_load=facts.load.get(pid, 0),
            timezone=tz,
            work_hours=facts.hours,
            languages=lang_set,
            meeting_format=fmt,
            department=dept or None,
        )


def _pair_rules(
    session: Session,
    program: Program,
    person: int | None,
    mentee_id: int | None,
    pid_slack: Mapping[int, str],
) -> MatchConstraints:
    """Pair rules: coordinator's do-not-pair, previous pairs (anywhere in the workspace), and
    the mentors each mentee turned down or who did not answer. With `person` and `mentee_id`
    (one mentee's person and participation): only the rules that involve them."""
    do_not_pair = {
        frozenset(p) for p in session.execute(_do_not_pair_query(program, person)) if p[0] != p[1]
    }
    previous = {
        frozenset(p)
        for p in session.execute(_previous_pairs_query(program, person))
        if p[0] != p[1]
    }
    exclusion_query = (
        select(MatchExclusion.mentee_id, MatchExclusion.mentor_id)
        .join(Participation, Participation.id == MatchExclusion.mentee_id)
        .where(Participation.program_id == program.id)
    )
    if mentee_id is not None:
        exclusion_query = exclusion_query.where(MatchExclusion.mentee_id == mentee_id)
    excluded: dict[str, set[str]] = defaultdict(set)
    for mentee_pid, mentor_pid in session.execute(exclusion_query):
        if mentee_pid in pid_slack and mentor_pid in pid_slack:
            excluded[pid_slack[mentee_pid]].add(pid_slack[mentor_pid])
    return MatchConstraints(
        do_not_pair=frozenset(do_not_pair),
        previous_pairs=frozenset(previous),
        excluded={k: frozenset(v) for k, v in excluded.items()},
    )


def _do_not_pair_query(program: Program, person: int | None) -> Select[str, str]:
    """The workspace's do-not-pair pairs as slack ids (only those with `person`, if given)."""
    person_a, person_b = aliased(Person), aliased(Person)
    query = (
        select(person_a.slack_user_id, person_b.slack_user_id)
        .select_from(DoNotPair)
        .join(person_a, person_a.id == DoNotPair.person_a)
        .join(person_b, person_b.id == DoNotPair.person_b)
        .where(DoNotPair.team_id == program.team_id)
    )
    if person is not None:
        query = query.where(or_(DoNotPair.person_a == person, DoNotPair.person_b == person))
    return query


def _previous_pairs_query(program: Program, person: int | None) -> Select[str, str]:
    """Every pair the workspace has had, as (mentee, mentor) slack ids (only those with
    `person`, if given)."""
    person_a, person_b = aliased(Person), aliased(Person)
    mentee_p, mentor_p = aliased(Participation), aliased(Participation)
    query = (
        select(person_a.slack_user_id, person_b.slack_user_id)
        .select_from(Pair)
        .join(mentee_p, mentee_p.id == Pair.mentee_id)
        .join(mentor_p, mentor_p.id == Pair.mentor_id)
        .join(person_a, person_a.id == mentee_p.person_id)
        .join(person_b, person_b.id == mentor_p.person_id)
        .where(Pair.team_id == program.team_id)
    )
    if person is not None:
        query = query.where(or_(mentee_p.person_id == person, mentor_p.person_id == person))
    return query


# Slack ids per IN (...) list when walking down the reporting forest.
_LINE_CHUNK = 1000


def _reporting_line(session: Session, team_id: str, person: str) -> dict[str, str | None]:
    """The part of a workspace's reporting forest that decides who is in `person`'s line.

    That is `person`'s whole chain of managers (one indexed lookup per level, up to someone
    without a manager, a manager the workspace has no record of, or someone seen before: a
    cycle, which :class:`Organisation` then reports) and everyone below `person` (one query
    per level). Everybody else is in neither direction from `person`, so leaving them out
    changes nothing for `person`'s matches: the rule "never in the same reporting line" is
    decided exactly as on the whole forest.
    """
    managers: dict[str, str | None] = {}
    current: str | None = person
    while current is not None and current not in managers:
        manager = session.scalar(
            select(Person.manager_slack_id).where(
                Person.team_id == team_id, Person.slack_user_id == current
            )
        )
        managers[current] = manager or None
        current = manager or None
    frontier = [person]
    while frontier:
        below: list[str] = []
        for start in range(0, len(frontier), _LINE_CHUNK):
            for slack_id, manager in session.execute(
                select(Person.slack_user_id, Person.manager_slack_id).where(
                    Person.team_id == team_id,
                    Person.manager_slack_id.in_(frontier[start : start + _LINE_CHUNK]),
                )
            ):
                if slack_id not in managers:
                    managers[slack_id] = manager
                    below.append(slack_id)
        frontier = below
    return managers


def _run(
    data: _Program, mentees: Iterable[MenteeInput], mentors: Iterable[MentorInput]
) -> MatchResult:
    """Run the matching core. Raises MatchingTooLarge (before the core allocates anything
    large) when the run would need more memory than the program's limit."""
    try:
        return match(
            list(mentees),
            list(mentors),
            data.organisation,
            names=competency_names(),
            constraints=data.constraints,
            settings=data.match_settings,
            templates=reason_templates(),
            language_names=languages(),
        )
    except MatchTooLarge as exc:
        raise MatchingTooLarge(data.program.name, exc.estimate, exc.limit_mb) from None


# --------------------------------------------------------------------------------------------
