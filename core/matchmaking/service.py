"""Matching use cases: shortlists, requests, answers, expiry. No Slack.

Each public function is one use case and runs inside the caller's transaction
(`Database.transaction()`): it reads what it needs, changes state with conditional updates whose
row count is checked, and returns plain data (no live ORM objects) for the Slack layer to show.

The pure matching core (`core.matching`) decides who fits; this module feeds it from the
database and keeps the hard rules that depend on state:

- only confirmed, active, unpaused, reachable participants of the program take part;
- a mentor's load is their active pairs plus pending requests; a request re-checks it with the
  mentor's participation row locked (`SELECT ... FOR UPDATE` on PostgreSQL; SQLite's
  `BEGIN IMMEDIATE` already serialises writers), so two mentees cannot both take a last slot;
- a mentee has at most one pending request (a partial unique index backs this up);
- answers are conditional updates `WHERE status = 'pending'`: a double click, or a click on an
  expired or superseded request, changes nothing.

Shortlists. A coordinator's run (:func:`run_matching`, :func:`preview`) solves the whole
program at once (exposure-balanced, exact). A shortlist for one mentee (after confirming a
profile, a decline, an expiry, "none of these suit me") solves for that mentee alone, with
every mentor whose exposure (remaining capacity x F) is already used up by other mentees' open
shortlists left out, so the cap holds across the program as lists come and go.

Working days: reminders and expiry count Monday to Friday in the mentor's time zone (UTC when
unknown), from the injected clock; a reminder falls inside the mentor's working hours.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, Literal
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
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
    Unmatched,
    WorkEstimate,
    match,
)
from core.matchmaking.models import (
    PAIR_ACTIVE,
    REQUEST_ACCEPTED,
    REQUEST_CANCELLED,
    REQUEST_DECLINED,
    REQUEST_EXPIRED,
    REQUEST_PENDING,
    DoNotPair,
    MatchExclusion,
    MentorRequest,
    NoneSuitFeedback,
    Pair,
    Shortlist,
)
from core.people.models import (
    MEETING_FORMATS,
    STATUS_ACTIVE,
    STATUS_LEFT,
    Expertise,
    Goal,
    Participation,
    Person,
)
from core.people.profiles import clean_text, competency_name, languages, taxonomy
from core.privacy.service import close_request
from core.programs.models import Program, Workspace
from core.programs.service import default_settings, program_in_workspace, program_settings
from core.programs.settings import ProgramSettings
from core.relationships.models import RematchRequest

logger = logging.getLogger(__name__)

SHORTLIST_OPEN = "open"
SHORTLIST_CLOSED = "closed"

EXCLUDED_NONE_SUIT = "none_suit"
EXCLUDED_DECLINED = "declined"
EXCLUDED_EXPIRED = "expired"

NONE_SUIT_REASONS = ("goals", "practical", "known", "other")
DECLINE_REASON_MAX_CHARS = 500
NONE_SUIT_TEXT_MAX_CHARS = 500

# Goal priority (1 top, 2 important, 3 nice to have) -> weight in developmental fit.
PRIORITY_WEIGHTS = {1: 3.0, 2: 2.0, 3: 1.0}

WEEKDAYS = 5  # Monday to Friday are working days


class MatchingError(ValueError):
    """The data cannot be matched as it is (for example a reporting cycle). Clear message."""


# Program setting: the memory one matching run may use (MB); see docs/matching.md.
MEMORY_LIMIT_SETTING = "matching_max_memory_mb"
_NO_MEMORY_LIMIT = 10_000_000


class MatchingTooLarge(MatchingError):
    """A program too large to match in one run within its memory limit. Nothing was run."""

    def __init__(self, program: str, estimate: WorkEstimate, limit_mb: int) -> None:
        self.estimate = estimate
        self.limit_mb = limit_mb
        super().__init__(
            f"program '{program}' is too large to match in one run: "
            f"{estimate.mentees:,} waiting mentees x {estimate.mentors_with_room:,} mentors "
            f"with room would need about {estimate.memory_mb:,} MB of memory (limit "
            f"{limit_mb:,} MB). Split it into smaller programs (for example per department or "
            f"region), or, if the server has the memory, raise the program setting "
            f"{MEMORY_LIMIT_SETTING} (for a preview: --max-memory-mb)."
        )


# --------------------------------------------------------------------------------------------
# Plain results for the Slack layer
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonRef:
    participation_id: int
    user_id: str
    name: str
    title: str | None = None


@dataclass(frozen=True)
class GoalInfo:
    name: str
    success: str | None = None


@dataclass(frozen=True)
class MessageRef:
    channel: str
    ts: str


@dataclass(frozen=True)
class ShortlistCandidate:
    mentor: PersonRef
    score: float
    reasons: tuple[str, ...]


@dataclass
class ShortlistOutcome:
    """A mentee's new shortlist, or why they have none this time."""

    team_id: str
    program_id: int
    mentee: PersonRef
    shortlist_id: int | None
    candidates: tuple[ShortlistCandidate, ...] = ()
    unmatched_code: str | None = None
    unmatched_reason: str | None = None
    # Older open shortlist messages this one replaces (to be marked as replaced in Slack).
    superseded: tuple[MessageRef, ...] = ()
    settings: ProgramSettings = field(default_factory=default_settings)

    @property
    def has_candidates(self) -> bool:
        return self.shortlist_id is not None and bool(self.candidates)


RequestStatus = Literal[
    "ok", "taken", "unavailable", "already_pending", "already_paired", "stale", "not_yours"
]


@dataclass
class RequestOutcome:
    status: RequestStatus
    mentee: PersonRef | None = None
    mentor: PersonRef | None = None
    request_id: int | None = None
    goals: tuple[GoalInfo, ...] = ()
    expires_at: datetime | None = None
    shortlist_message: MessageRef | None = None
    # "taken" / "unavailable": the alternatives offered instead.
    next: ShortlistOutcome | None = None
    # "already_pending": the mentor already asked.
    pending_with: PersonRef | None = None
    settings: ProgramSettings = field(default_factory=default_settings)


AnswerStatus = Literal[
    "pending",
    "accepted",
    "declined",
    "expired",
    "cancelled",
    "already_answered",
    "overdue",
    "not_yours",
    "missing",
]


@dataclass
class AnswerOutcome:
    """What happened to a request: answered now, or why nothing changed."""

    status: AnswerStatus
    request_id: int | None = None
    current_status: str | None = None  # the request's status afterwards
    mentee: PersonRef | None = None
    mentor: PersonRef | None = None
    goals: tuple[GoalInfo, ...] = ()
    pair_id: int | None = None
    expires_at: datetime | None = None
    mentor_messages: tuple[MessageRef, ...] = ()
    next: ShortlistOutcome | None = None
    settings: ProgramSettings = field(default_factory=default_settings)

    @property
    def changed(self) -> bool:
        return self.status in ("accepted", "declined", "expired", "cancelled")


@dataclass
class NoneSuitOutcome:
    status: Literal["ok", "stale", "not_yours"]
    mentee: PersonRef | None = None
    shortlist_message: MessageRef | None = None
    excluded: int = 0
    next: ShortlistOutcome | None = None
    settings: ProgramSettings = field(default_factory=default_settings)


@dataclass(frozen=True)
class ReminderDue:
    request_id: int
    mentee: PersonRef
    mentor: PersonRef
    goals: tuple[GoalInfo, ...]
    created_at: datetime
    expires_at: datetime
    settings: ProgramSettings


@dataclass
class PreviewResult:
    """A whole-program matching run, with the people behind the ids (nothing stored)."""

    team_id: str
    program: str
    result: MatchResult
    people: dict[str, PersonRef]  # slack user id -> person

    def to_json(self) -> dict[str, Any]:
        """The `match preview --json` shape."""
        shortlists = [
            {
                "mentee": mentee,
                "candidates": [
                    {
                        "mentor": c.mentor_id,
                        "score": c.score,
                        "reasons": [r.text for r in c.reasons],
                    }
                    for c in cands
                ],
            }
            for mentee, cands in sorted(self.result.shortlists.items())
        ]
        unmatched = [
            {"mentee": u.mentee_id, "reason": u.reason}
            for u in sorted(self.result.unmatched, key=lambda u: u.mentee_id)
        ]
        stats = dict(self.result.stats)
        stats.update(team_id=self.team_id, program=self.program)
        return {"shortlists": shortlists, "unmatched": unmatched, "stats": stats}


# --------------------------------------------------------------------------------------------
# Working days
# --------------------------------------------------------------------------------------------


def _zone(tz: str | None) -> ZoneInfo:
    if tz:
        try:
            return ZoneInfo(tz)
        except Exception:
            pass
    return ZoneInfo("UTC")


def add_working_days(start: datetime, days: int, tz: str | None = None) -> datetime:
    """`start` moved forward by `days` working days (Monday to Friday) in the zone `tz`.

    The time of day is kept (wall clock): Monday 10:00 + 2 = Wednesday 10:00, Friday 15:00 + 1
    = Monday 15:00, Saturday 10:00 + 1 = Monday 10:00.
    """
    if start.tzinfo is None:
        raise ValueError("add_working_days needs an aware datetime")
    local = start.astimezone(_zone(tz))
    counted = 0
    while counted < days:
        local = local + timedelta(days=1)
        if local.weekday() < WEEKDAYS:
            counted += 1
    return local.astimezone(UTC)


def within_working_hours(
    when: datetime, tz: str | None, start_hour: int, end_hour: int
) -> datetime:
    """`when`, or the start of the next working period (Mon-Fri, `start_hour` to `end_hour`
    local) if it falls outside one."""
    local = when.astimezone(_zone(tz))
    if local.weekday() < WEEKDAYS and start_hour <= local.hour < end_hour:
        return when.astimezone(UTC)
    day = local if local.hour < start_hour else local + timedelta(days=1)
    while day.weekday() >= WEEKDAYS:
        day = day + timedelta(days=1)
    begin = day.replace(hour=start_hour, minute=0, second=0, microsecond=0)
    return begin.astimezone(UTC)


def request_deadlines(
    created: datetime, settings: ProgramSettings, tz: str | None
) -> tuple[datetime, datetime]:
    """(remind_at, expires_at) for a request made at `created` to a mentor in `tz`."""
    remind_days = settings.request_reminder_days
    expiry_days = settings.request_expiry_days
    hours = settings.working_hours
    start_hour, end_hour = hours.start, hours.end
    expires_at = add_working_days(created, expiry_days, tz)
    remind_at = within_working_hours(
        add_working_days(created, remind_days, tz), tz, start_hour, end_hour
    )
    return min(remind_at, expires_at), expires_at


# --------------------------------------------------------------------------------------------
# Reading the program into matching inputs
# --------------------------------------------------------------------------------------------


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
    now = clock.now()
    settings = program_settings(program)
    names = competency_names()
    hours = _work_hours(settings)
    single = mentee_id is not None

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
    if single:
        query = query.where(or_(Participation.id == mentee_id, Participation.is_mentor.is_(True)))
    rows = session.execute(query).all()

    goals: dict[int, list[tuple[str, int]]] = defaultdict(list)
    goal_query = (
        select(Goal.participation_id, Goal.competency_id, Goal.priority)
        .join(Participation, Participation.id == Goal.participation_id)
        .where(Participation.program_id == program.id)
        .order_by(Goal.participation_id, Goal.priority, Goal.position)
    )
    if single:
        goal_query = goal_query.where(Goal.participation_id == mentee_id)
    for pid, competency, priority in session.execute(goal_query):
        if competency in names:
            goals[pid].append((competency, priority or 2))
    expertise: dict[int, set[str]] = defaultdict(set)
    for pid, competency in session.execute(
        select(Expertise.participation_id, Expertise.competency_id)
        .join(Participation, Participation.id == Expertise.participation_id)
        .where(Participation.program_id == program.id, Participation.is_mentor.is_(True))
    ):
        if competency in names:
            expertise[pid].add(competency)

    load: Counter[int] = Counter()
    busy_mentees: dict[int, str] = {}
    for mentee_pid, mentor_pid in session.execute(
        select(MentorRequest.mentee_id, MentorRequest.mentor_id).where(
            MentorRequest.program_id == program.id, MentorRequest.status == REQUEST_PENDING
        )
    ):
        load[mentor_pid] += 1
        busy_mentees[mentee_pid] = "pending_request"
    for mentee_pid, mentor_pid in session.execute(
        select(Pair.mentee_id, Pair.mentor_id).where(
            Pair.program_id == program.id, Pair.status == PAIR_ACTIVE
        )
    ):
        load[mentor_pid] += 1
        busy_mentees[mentee_pid] = "paired"

    mentee_row = next((r for r in rows if r[0] == mentee_id), None) if single else None
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
        managers = _reporting_line(session, program.team_id, str(mentee_row[6]))
    else:
        managers = {}
    try:
        organisation = Organisation(managers)
    except ValueError as exc:
        raise MatchingError(str(exc)) from None

    refs: dict[str, PersonRef] = {}
    pid_slack: dict[int, str] = {}
    mentees: dict[str, MenteeInput] = {}
    mentors: dict[str, MentorInput] = {}
    ineligible: dict[str, str] = {}
    for row in rows:
        pid, is_mentee, is_mentor = int(row[0]), bool(row[1]), bool(row[2])
        is_mentee = is_mentee and (not single or pid == mentee_id)
        capacity = int(row[3] or 0)
        slack_id, name, title = str(row[6]), str(row[7] or row[6]), row[8]
        tz: str | None = row[9] if row[9] and _valid_timezone(str(row[9])) else None
        dept: str | None = str(row[10]) if row[10] else None
        fmt: MeetingFormat = row[4] if row[4] in MEETING_FORMATS else "either"
        langs: list[Any] = list(row[5] or [])
        refs[slack_id] = PersonRef(pid, slack_id, name, title)
        pid_slack[pid] = slack_id
        lang_set = frozenset(str(x) for x in (langs or []) if x)
        if is_mentee:
            if pid in busy_mentees:
                ineligible[slack_id] = busy_mentees[pid]
            else:
                chosen = goals.get(pid, [])[:MAX_GOALS]
                mentees[slack_id] = MenteeInput(
                    slack_id,
                    tuple(c for c, _ in chosen),
                    goal_weights=tuple(PRIORITY_WEIGHTS.get(p, 2.0) for _, p in chosen) or None,
                    timezone=tz,
                    work_hours=hours,
                    languages=lang_set,
                    meeting_format=fmt,
                    department=dept,
                )
        if is_mentor:
            mentors[slack_id] = MentorInput(
                slack_id,
                frozenset(expertise.get(pid, ())),
                capacity=max(0, min(MAX_CAPACITY, capacity)),
                open_load=load.get(pid, 0),
                timezone=tz,
                work_hours=hours,
                languages=lang_set,
                meeting_format=fmt,
                department=dept or None,
            )

    # Pair rules: coordinator's do-not-pair, previous pairs (anywhere in the workspace), and
    # the mentors each mentee turned down or who did not answer. One mentee: only their own.
    person_a, person_b = aliased(Person), aliased(Person)
    dnp_query = (
        select(person_a.slack_user_id, person_b.slack_user_id)
        .select_from(DoNotPair)
        .join(person_a, person_a.id == DoNotPair.person_a)
        .join(person_b, person_b.id == DoNotPair.person_b)
        .where(DoNotPair.team_id == program.team_id)
    )
    mentee_p, mentor_p = aliased(Participation), aliased(Participation)
    previous_query = (
        select(person_a.slack_user_id, person_b.slack_user_id)
        .select_from(Pair)
        .join(mentee_p, mentee_p.id == Pair.mentee_id)
        .join(mentor_p, mentor_p.id == Pair.mentor_id)
        .join(person_a, person_a.id == mentee_p.person_id)
        .join(person_b, person_b.id == mentor_p.person_id)
        .where(Pair.team_id == program.team_id)
    )
    exclusion_query = (
        select(MatchExclusion.mentee_id, MatchExclusion.mentor_id)
        .join(Participation, Participation.id == MatchExclusion.mentee_id)
        .where(Participation.program_id == program.id)
    )
    if single:
        person = mentee_row[11] if mentee_row is not None else -1
        dnp_query = dnp_query.where(or_(DoNotPair.person_a == person, DoNotPair.person_b == person))
        previous_query = previous_query.where(
            or_(mentee_p.person_id == person, mentor_p.person_id == person)
        )
        exclusion_query = exclusion_query.where(MatchExclusion.mentee_id == mentee_id)
    do_not_pair = {frozenset(p) for p in session.execute(dnp_query) if p[0] != p[1]}
    previous = {frozenset(p) for p in session.execute(previous_query) if p[0] != p[1]}
    excluded: dict[str, set[str]] = defaultdict(set)
    for mentee_pid, mentor_pid in session.execute(exclusion_query):
        if mentee_pid in pid_slack and mentor_pid in pid_slack:
            excluded[pid_slack[mentee_pid]].add(pid_slack[mentor_pid])
    constraints = MatchConstraints(
        do_not_pair=frozenset(do_not_pair),
        previous_pairs=frozenset(previous),
        excluded={k: frozenset(v) for k, v in excluded.items()},
    )
    return _Program(
        program=program,
        settings=settings,
        refs=refs,
        mentees=mentees,
        mentors=mentors,
        organisation=organisation,
        constraints=constraints,
        # One mentee's run is linear in the mentors: the whole-program memory limit is for
        # coordinators' runs and previews, and never keeps a mentee from their list.
        match_settings=replace(match_settings(settings), max_memory_mb=_NO_MEMORY_LIMIT)
        if single
        else match_settings(settings),
        ineligible_mentees=ineligible,
    )


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
# Shortlists
# --------------------------------------------------------------------------------------------


def find_program(session: Session, team_id: str, name: str | None = None) -> Program | None:
    """A workspace's program by name, or its default program (None if there is none)."""
    query = select(Program).where(Program.team_id == team_id)
    if name is None:
        query = query.order_by(Program.is_default.desc(), Program.id)
    else:
        query = query.where(Program.name == name)
    return session.scalars(query).first()


def preview(
    session: Session, program: Program, clock: Clock, *, max_memory_mb: int | None = None
) -> PreviewResult:
    """Match every waiting mentee of the program (as a coordinator's run would), storing and
    sending nothing. `max_memory_mb` overrides the program's memory limit for this preview;
    a program too large for it raises :class:`MatchingTooLarge`."""
    data = _load_program(session, program, clock)
    if max_memory_mb is not None:
        data.match_settings = replace(data.match_settings, max_memory_mb=max_memory_mb)
    result = _run(data, data.mentees.values(), data.mentors.values())
    return PreviewResult(
        team_id=program.team_id, program=program.name, result=result, people=dict(data.refs)
    )


def _open_shortlists(session: Session, mentee_id: int) -> list[Shortlist]:
    return list(
        session.scalars(
            select(Shortlist).where(
                Shortlist.mentee_id == mentee_id, Shortlist.status == SHORTLIST_OPEN
            )
        )
    )


def _close_open_shortlists(session: Session, mentee_id: int) -> tuple[MessageRef, ...]:
    refs: list[MessageRef] = []
    for shortlist in _open_shortlists(session, mentee_id):
        if shortlist.message_channel and shortlist.message_ts:
            refs.append(MessageRef(shortlist.message_channel, shortlist.message_ts))
    session.execute(
        update(Shortlist)
        .where(Shortlist.mentee_id == mentee_id, Shortlist.status == SHORTLIST_OPEN)
        .values(status=SHORTLIST_CLOSED)
        .execution_options(synchronize_session=False)
    )
    return tuple(refs)


def _store_shortlist(
    session: Session,
    data: _Program,
    mentee: PersonRef,
    result: MatchResult,
    clock: Clock,
    unmatched_by_id: Mapping[str, Unmatched] | None = None,
) -> ShortlistOutcome:
    superseded = _close_open_shortlists(session, mentee.participation_id)
    program = data.program
    cands = result.shortlists.get(mentee.user_id) or []
    if not cands:
        if unmatched_by_id is None:
            unmatched_by_id = {u.mentee_id: u for u in result.unmatched}
        unmatched = unmatched_by_id.get(mentee.user_id)
        return ShortlistOutcome(
            team_id=program.team_id,
            program_id=program.id,
            mentee=mentee,
            shortlist_id=None,
            unmatched_code=unmatched.reason_code if unmatched else "no_mentor_covers_goals",
            unmatched_reason=unmatched.reason if unmatched else None,
            superseded=superseded,
            settings=data.settings,
        )
    candidates = tuple(
        ShortlistCandidate(
            mentor=data.refs[c.mentor_id],
            score=c.score,
            reasons=tuple(r.text for r in c.reasons),
        )
        for c in cands
    )
    shortlist = Shortlist(
        team_id=program.team_id,
        program_id=program.id,
        mentee_id=mentee.participation_id,
        candidates=[
            {
                "mentor_id": c.mentor.participation_id,
                "score": c.score,
                "reasons": list(c.reasons),
            }
            for c in candidates
        ],
        status=SHORTLIST_OPEN,
        created_at=clock.now(),
    )
    session.add(shortlist)
    # A mentee who asked for a new mentor after their pair ended has been given one to choose.
    session.execute(
        update(RematchRequest)
        .where(RematchRequest.mentee_id == mentee.participation_id, RematchRequest.status == "open")
        .values(status="done")
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return ShortlistOutcome(
        team_id=program.team_id,
        program_id=program.id,
        mentee=mentee,
        shortlist_id=shortlist.id,
        candidates=candidates,
        superseded=superseded,
        settings=data.settings,
    )


def _exposure_used(session: Session, program_id: int, except_mentee: int) -> Counter[int]:
    """How many open shortlists (of other mentees) each mentor participation is on."""
    used: Counter[int] = Counter()
    for mentee_id, candidates in session.execute(
        select(Shortlist.mentee_id, Shortlist.candidates).where(
            Shortlist.program_id == program_id, Shortlist.status == SHORTLIST_OPEN
        )
    ):
        if mentee_id == except_mentee:
            continue
        for cand in candidates if isinstance(candidates, list) else []:
            if isinstance(cand, Mapping) and isinstance(cand.get("mentor_id"), int):
                used[cand["mentor_id"]] += 1
    return used


def _not_waiting(
    program: Program, mentee: PersonRef, code: str, settings: ProgramSettings
) -> ShortlistOutcome:
    return ShortlistOutcome(
        team_id=program.team_id,
        program_id=program.id,
        mentee=mentee,
        shortlist_id=None,
        unmatched_code=code,
        settings=settings,
    )


def shortlist_for_mentee(
    session: Session, program: Program, mentee_participation_id: int, clock: Clock
) -> ShortlistOutcome | None:
    """A new shortlist for one mentee (their older open one is closed).

    Returns None when the participation is not a confirmed, active, unpaused mentee of the
    program. A mentee with a pending request or an active pair gets an outcome without
    candidates and `unmatched_code` "pending_request" or "paired" (nothing is stored).
    """
    data = _load_program(session, program, clock, mentee_participation_id)
    ref = next(
        (r for r in data.refs.values() if r.participation_id == mentee_participation_id), None
    )
    if ref is None:
        return None
    if ref.user_id in data.ineligible_mentees:
        return _not_waiting(program, ref, data.ineligible_mentees[ref.user_id], data.settings)
    mentee = data.mentees.get(ref.user_id)
    if mentee is None:
        return None
    used = _exposure_used(session, program.id, mentee_participation_id)
    factor = data.match_settings.exposure_factor
    open_mentors = [
        m
        for m in data.mentors.values()
        if used.get(data.refs[m.id].participation_id, 0) < max(0, m.remaining_capacity) * factor
    ]
    result = _run(data, [mentee], open_mentors)
    if not result.shortlists.get(ref.user_id) and len(open_mentors) < len(data.mentors):
        # Would anyone fit if exposure were not capped? Then say so ("in high demand").
        uncapped = _run(data, [mentee], data.mentors.values())
        if uncapped.shortlists.get(ref.user_id):
            result = _with_exposure_reason(result, ref.user_id)
    return _store_shortlist(session, data, ref, result, clock)


def _with_exposure_reason(result: MatchResult, mentee_id: str) -> MatchResult:
    text = reason_templates().render("exposure_limit", {})
    unmatched = [
        replace(u, reason_code="exposure_limit", reason=text) if u.mentee_id == mentee_id else u
        for u in result.unmatched
    ]
    return MatchResult(shortlists=result.shortlists, unmatched=unmatched, stats=result.stats)


def shortlist_for_user(
    session: Session,
    team_id: str,
    user_id: str,
    clock: Clock,
    program_name: str | None = None,
    *,
    program_id: int | None = None,
) -> ShortlistOutcome | None:
    """`shortlist_for_mentee` for a Slack user in a workspace's program (by id, by name, or
    the default one). None if they are not a mentee there."""
    if program_id is not None:
        program = program_in_workspace(session, team_id, program_id)
    else:
        program = find_program(session, team_id, program_name)
    if program is None:
        return None
    participation = session.scalars(
        select(Participation)
        .join(Person, Person.id == Participation.person_id)
        .where(
            Participation.program_id == program.id,
            Person.team_id == team_id,
            Person.slack_user_id == user_id,
        )
    ).first()
    if participation is None or not participation.is_mentee:
        return None
    return shortlist_for_mentee(session, program, participation.id, clock)


def run_matching(
    session: Session, program: Program, clock: Clock, *, waiting_only: bool = False
) -> list[ShortlistOutcome]:
    """A coordinator's run: solve the whole program at once and store a new shortlist for
    every confirmed mentee without an open request or pair (older open lists are replaced).
    Mentees without candidates get an outcome with the reason and no stored list.

    With `waiting_only`, mentees who hold an open shortlist are left alone (they are still
    choosing: no outcome, their list stays as it is), and the mentors on those lists count
    them against their exposure: remaining capacity x F lists in all, as for one mentee's list
    (:func:`shortlist_for_mentee`). A mentor part of whose exposure is taken joins the
    program-wide solve with the whole lists left (rounded down to a multiple of F), so the cap
    always holds; the exposure the rounding held back is then offered, one mentee at a time
    as for a single list, to the mentees the solve left without candidates for lack of
    room."""
    return _coordinator_run(session, program, clock, waiting_only)[0]


# Unmatched reasons a mentee's own solve against the exposure still free may change.
_NO_ROOM = ("exposure_limit", "no_capacity")


def _coordinator_run(
    session: Session, program: Program, clock: Clock, waiting_only: bool
) -> tuple[list[ShortlistOutcome], int]:
    """`run_matching`, and how many waiting mentees it left alone (they hold an open list)."""
    data = _load_program(session, program, clock)
    mentees, mentors = dict(data.mentees), dict(data.mentors)
    free: Counter[str] = Counter()  # mentor slack id -> lists they may still join
    reduced = False
    if waiting_only:
        choosing, used = _open_lists(session, program.id)
        mentees = {
            k: v for k, v in mentees.items() if data.refs[k].participation_id not in choosing
        }
        factor = data.match_settings.exposure_factor
        for slack_id, mentor in data.mentors.items():
            remaining = max(0, mentor.remaining_capacity)
            free[slack_id] = max(
                0, remaining * factor - used.get(data.refs[slack_id].participation_id, 0)
            )
            left = free[slack_id] // factor
            if left < remaining:
                mentors[slack_id] = replace(mentor, open_load=mentor.open_load + remaining - left)
                reduced = True
    result = _run(data, mentees.values(), mentors.values())
    if reduced:
        result = _offer_held_back(data, result, mentees, free)
    unmatched = {u.mentee_id: u for u in result.unmatched}
    outcomes = [
        _store_shortlist(session, data, data.refs[mentee_id], result, clock, unmatched)
        for mentee_id in sorted(mentees)
    ]
    return outcomes, len(data.mentees) - len(mentees)


def _offer_held_back(
    data: _Program,
    result: MatchResult,
    mentees: Mapping[str, MenteeInput],
    free: Counter[str],
) -> MatchResult:
    """After a solve with rounded-down exposure: each mentee it left without candidates for
    lack of room (in id order) gets their own solve against the mentors with exposure still
    free, as a single mentee's list would. Stops as soon as no mentor has room."""
    for candidates in result.shortlists.values():
        for candidate in candidates:
            free[candidate.mentor_id] -= 1
    shortlists = dict(result.shortlists)
    unmatched = []
    for item in sorted(result.unmatched, key=lambda u: u.mentee_id):
        mentee = mentees.get(item.mentee_id)
        goals = set(mentee.goals) if mentee is not None else set()
        with_room = [data.mentors[m] for m, n in free.items() if n > 0]
        if (
            mentee is not None
            and item.reason_code in _NO_ROOM
            and any(goals & m.expertise for m in with_room)
        ):
            found = _run(data, [mentee], with_room).shortlists.get(item.mentee_id)
            if found:
                shortlists[item.mentee_id] = found
                for candidate in found:
                    free[candidate.mentor_id] -= 1
                continue
        if mentee is not None and item.reason_code == "no_capacity":
            # Full only because of the lists mentees are choosing from: say they are in high
            # demand, as a single mentee's list does.
            covering = [m for m in data.mentors.values() if goals & m.expertise]
            if any(m.remaining_capacity > 0 for m in covering) and _run(
                data, [mentee], covering
            ).shortlists.get(item.mentee_id):
                text = reason_templates().render("exposure_limit", {})
                item = replace(item, reason_code="exposure_limit", reason=text)
        unmatched.append(item)
    return MatchResult(shortlists=shortlists, unmatched=unmatched, stats=result.stats)


def _open_lists(session: Session, program_id: int) -> tuple[set[int], Counter[int]]:
    """Mentee participations holding an open shortlist in the program, and how many open
    shortlists each mentor participation is on."""
    choosing: set[Any] = set()  # participation ids
    used: Counter[int] = Counter()
    for mentee_id, candidates in session.execute(
        select(Shortlist.mentee_id, Shortlist.candidates).where(
            Shortlist.program_id == program_id, Shortlist.status == SHORTLIST_OPEN
        )
    ):
        choosing.add(mentee_id)
        for cand in candidates if isinstance(candidates, list) else []:
            if isinstance(cand, Mapping) and isinstance(cand.get("mentor_id"), int):
                used[cand["mentor_id"]] += 1
    return choosing, used


@dataclass(frozen=True)
class RunPlan:
    """What a coordinator's run (`run_matching(..., waiting_only=True)`) would do now: counts
    only, nothing stored or sent."""

    program: str
    shortlists: int  # waiting mentees who would get a shortlist
    no_mentor: int  # waiting mentees with no suitable mentor right now
    choosing: int  # mentees with an open shortlist, left as they are

    @property
    def waiting(self) -> int:
        return self.shortlists + self.no_mentor


def plan_matching(session: Session, program: Program, clock: Clock) -> RunPlan:
    """Dry-run a coordinator's run: the same solve, inside a savepoint that is rolled back, so
    the counts are exactly what the run would do against the data as it is now. Raises
    MatchingTooLarge / MatchingError as the run would."""
    name = program.name
    savepoint = session.begin_nested()
    try:
        outcomes, choosing = _coordinator_run(session, program, clock, waiting_only=True)
    finally:
        savepoint.rollback()
    with_list = sum(1 for o in outcomes if o.has_candidates)
    return RunPlan(
        program=name,
        shortlists=with_list,
        no_mentor=len(outcomes) - with_list,
        choosing=choosing,
    )


def record_shortlist_message(session: Session, shortlist_id: int, channel: str, ts: str) -> None:
    shortlist = session.get(Shortlist, shortlist_id)
    if shortlist is not None:
        shortlist.message_channel, shortlist.message_ts = channel, ts


def close_shortlist(session: Session, shortlist_id: int) -> None:
    """Close a list that could not be delivered (its mentee is unreachable)."""
    session.execute(
        update(Shortlist)
        .where(Shortlist.id == shortlist_id, Shortlist.status == SHORTLIST_OPEN)
        .values(status=SHORTLIST_CLOSED)
    )


# --------------------------------------------------------------------------------------------
# Helpers for the request use cases
# --------------------------------------------------------------------------------------------


def _ref(session: Session, participation_id: int) -> PersonRef | None:
    row = session.execute(
        select(Participation.id, Person.slack_user_id, Person.display_name, Person.title)
        .join(Person, Person.id == Participation.person_id)
        .where(Participation.id == participation_id)
    ).first()
    if row is None:
        return None
    pid, slack_id, name, title = row
    return PersonRef(pid, slack_id, name or slack_id, title)


def _goals(session: Session, mentee_id: int) -> tuple[GoalInfo, ...]:
    return tuple(
        GoalInfo(competency_name(c), s)
        for c, s in session.execute(
            select(Goal.competency_id, Goal.success)
            .where(Goal.participation_id == mentee_id)
            .order_by(Goal.priority, Goal.position)
        )
    )


def _lock(session: Session, participation_ids: Iterable[int]) -> dict[int, Participation]:
    """Lock participation rows (in id order, so two transactions never deadlock) and read
    them fresh. FOR UPDATE on PostgreSQL; SQLite renders nothing (BEGIN IMMEDIATE holds the
    write lock already)."""
    rows = session.scalars(
        select(Participation)
        .where(Participation.id.in_(sorted(set(participation_ids))))
        .order_by(Participation.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    return {p.id: p for p in rows}


def mentor_load(session: Session, mentor_id: int) -> int:
    """Active pairs plus pending requests of a mentor participation."""
    pending = session.scalar(
        select(func.count())
        .select_from(MentorRequest)
        .where(MentorRequest.mentor_id == mentor_id, MentorRequest.status == REQUEST_PENDING)
    )
    active = session.scalar(
        select(func.count())
        .select_from(Pair)
        .where(Pair.mentor_id == mentor_id, Pair.status == PAIR_ACTIVE)
    )
    return int(pending or 0) + int(active or 0)


def _pending_request(session: Session, mentee_id: int) -> MentorRequest | None:
    return session.scalars(
        select(MentorRequest).where(
            MentorRequest.mentee_id == mentee_id, MentorRequest.status == REQUEST_PENDING
        )
    ).first()


def _has_active_pair(session: Session, mentee_id: int) -> bool:
    return (
        session.scalar(
            select(Pair.id).where(Pair.mentee_id == mentee_id, Pair.status == PAIR_ACTIVE)
        )
        is not None
    )


def _person_of(session: Session, participation: Participation) -> Person:
    person = session.get(Person, participation.person_id)
    assert person is not None
    return person


def _available(participation: Participation, person: Person, now: datetime) -> bool:
    paused = participation.paused_until is not None and participation.paused_until > now
    return (
        participation.status == STATUS_ACTIVE
        and participation.confirmed
        and participation.is_mentor
        and not paused
        and not person.unreachable
    )


def _exclude(
    session: Session, team_id: str, mentee_id: int, mentor_id: int, reason: str, now: datetime
) -> bool:
    exists = session.scalar(
        select(MatchExclusion.id).where(
            MatchExclusion.mentee_id == mentee_id, MatchExclusion.mentor_id == mentor_id
        )
    )
    if exists is not None:
        return False
    try:
        with session.begin_nested():
            session.add(
                MatchExclusion(
                    team_id=team_id,
                    mentee_id=mentee_id,
                    mentor_id=mentor_id,
                    reason=reason,
                    created_at=now,
                )
            )
    except IntegrityError:  # a concurrent exclusion of the same pair
        return False
    return True


def _program_of(session: Session, program_id: int) -> Program:
    program = session.get(Program, program_id)
    assert program is not None
    return program


def _candidate_ids(shortlist: Shortlist) -> list[int]:
    return [
        c["mentor_id"]
        for c in shortlist.candidates or []
        if isinstance(c, Mapping) and isinstance(c.get("mentor_id"), int)
    ]


def _shortlist_message(shortlist: Shortlist) -> MessageRef | None:
    if shortlist.message_channel and shortlist.message_ts:
        return MessageRef(shortlist.message_channel, shortlist.message_ts)
    return None


def _owned_by(session: Session, participation_id: int, team_id: str, user_id: str) -> bool:
    row = session.execute(
        select(Person.team_id, Person.slack_user_id)
        .join(Participation, Participation.person_id == Person.id)
        .where(Participation.id == participation_id)
    ).first()
    return row is not None and row[0] == team_id and row[1] == user_id


# --------------------------------------------------------------------------------------------
# Requesting a mentor
# --------------------------------------------------------------------------------------------


def request_mentor(
    session: Session,
    *,
    team_id: str,
    user_id: str,
    shortlist_id: int,
    mentor_id: int,
    clock: Clock,
    via_coordinator: bool = False,
) -> RequestOutcome:
    """The mentee `user_id` asks mentor participation `mentor_id` from their shortlist.

    The mentor's capacity is checked with their participation row locked: when the last slot
    was just taken the outcome is "taken" and carries a new shortlist (alternatives).
    """
    now = clock.now()
    shortlist = session.get(Shortlist, shortlist_id)
    if shortlist is None or shortlist.team_id != team_id:
        return RequestOutcome("stale")
    if not _owned_by(session, shortlist.mentee_id, team_id, user_id):
        return RequestOutcome("not_yours")
    mentee_id = shortlist.mentee_id
    locked = _lock(session, (mentee_id, mentor_id))
    session.refresh(shortlist)
    program = _program_of(session, shortlist.program_id)
    settings = program_settings(program)
    mentee = _ref(session, mentee_id)
    assert mentee is not None
    message = _shortlist_message(shortlist)
    pending = _pending_request(session, mentee_id)
    if pending is not None:
        return RequestOutcome(
            "already_pending",
            mentee=mentee,
            pending_with=_ref(session, pending.mentor_id),
            shortlist_message=message,
            settings=settings,
        )
    if _has_active_pair(session, mentee_id):
        return RequestOutcome(
            "already_paired", mentee=mentee, shortlist_message=message, settings=settings
        )
    if shortlist.status != SHORTLIST_OPEN or mentor_id not in _candidate_ids(shortlist):
        return RequestOutcome("stale", mentee=mentee, shortlist_message=message, settings=settings)
    mentor_row = locked.get(mentor_id)
    mentor = _ref(session, mentor_id)
    if mentor_row is None or mentor is None or mentor_row.program_id != program.id:
        return RequestOutcome("stale", mentee=mentee, shortlist_message=message, settings=settings)
    mentor_person = _person_of(session, mentor_row)
    if not _available(mentor_row, mentor_person, now) or (
        mentor_load(session, mentor_id) >= mentor_row.capacity
    ):
        status: RequestStatus = (
            "taken" if _available(mentor_row, mentor_person, now) else "unavailable"
        )
        shortlist.status = SHORTLIST_CLOSED
        session.flush()
        alternatives = shortlist_for_mentee(session, program, mentee_id, clock)
        return RequestOutcome(
            status,
            mentee=mentee,
            mentor=mentor,
            shortlist_message=message,
            next=alternatives,
            settings=settings,
        )
    remind_at, expires_at = request_deadlines(now, settings, mentor_person.timezone)
    request = MentorRequest(
        team_id=team_id,
        program_id=program.id,
        mentee_id=mentee_id,
        mentor_id=mentor_id,
        shortlist_id=shortlist.id,
        status=REQUEST_PENDING,
        via_coordinator=via_coordinator,
        created_at=now,
        remind_at=remind_at,
        expires_at=expires_at,
    )
    try:
        with session.begin_nested():
            session.add(request)
    except IntegrityError:  # the same mentee asked someone at the same moment
        pending = _pending_request(session, mentee_id)
        return RequestOutcome(
            "already_pending",
            mentee=mentee,
            pending_with=_ref(session, pending.mentor_id) if pending else None,
            shortlist_message=message,
            settings=settings,
        )
    shortlist.status = SHORTLIST_CLOSED
    session.flush()
    return RequestOutcome(
        "ok",
        mentee=mentee,
        mentor=mentor,
        request_id=request.id,
        goals=_goals(session, mentee_id),
        expires_at=expires_at,
        shortlist_message=message,
        settings=settings,
    )


def record_request_message(session: Session, request_id: int, channel: str, ts: str) -> None:
    request = session.get(MentorRequest, request_id)
    if request is not None:
        request.mentor_channel, request.mentor_ts = channel, ts


# --------------------------------------------------------------------------------------------
# Answers: accept, decline, expiry, cancellation
# --------------------------------------------------------------------------------------------


def _answer_context(
    session: Session, request: MentorRequest
) -> tuple[PersonRef | None, PersonRef | None, ProgramSettings, tuple[MessageRef, ...]]:
    program = _program_of(session, request.program_id)
    messages = (
        (MessageRef(request.mentor_channel, request.mentor_ts),)
        if request.mentor_channel and request.mentor_ts
        else ()
    )
    return (
        _ref(session, request.mentee_id),
        _ref(session, request.mentor_id),
        program_settings(program),
        messages,
    )


def _request_outcome(
    session: Session,
    request: MentorRequest,
    status: AnswerStatus,
    next_list: ShortlistOutcome | None = None,
) -> AnswerOutcome:
    """`status`, with the request as the session has it (refresh it first if it changed)."""
    mentee, mentor, settings, messages = _answer_context(session, request)
    return AnswerOutcome(
        status,
        request_id=request.id,
        current_status=request.status,
        mentee=mentee,
        mentor=mentor,
        expires_at=request.expires_at,
        mentor_messages=messages,
        next=next_list,
        settings=settings,
    )


def _unchanged(session: Session, request: MentorRequest, status: AnswerStatus) -> AnswerOutcome:
    session.refresh(request)
    return _request_outcome(session, request, status)


def _mentor_request(
    session: Session, request_id: int, team_id: str, user_id: str
) -> tuple[MentorRequest | None, AnswerOutcome | None]:
    request = session.get(MentorRequest, request_id)
    if request is None or request.team_id != team_id:
        return None, AnswerOutcome("missing", request_id=request_id)
    if not _owned_by(session, request.mentor_id, team_id, user_id):
        return None, AnswerOutcome("not_yours", request_id=request_id)
    return request, None


def accept_request(
    session: Session, *, team_id: str, user_id: str, request_id: int, clock: Clock
) -> AnswerOutcome:
    """The mentor says yes: the request is accepted and the pair created, once."""
    now = clock.now()
    request, refused = _mentor_request(session, request_id, team_id, user_id)
    if request is None:
        assert refused is not None
        return refused
    if request.status != REQUEST_PENDING:
        return _unchanged(session, request, "already_answered")
    if request.expires_at <= now:
        return _unchanged(session, request, "overdue")
    if not close_request(session, request.id, REQUEST_ACCEPTED, now):
        return _unchanged(session, request, "already_answered")
    pair = Pair(
        team_id=request.team_id,
        program_id=request.program_id,
        mentee_id=request.mentee_id,
        mentor_id=request.mentor_id,
        request_id=request.id,
        status=PAIR_ACTIVE,
        created_at=now,
    )
    session.add(pair)
    _close_open_shortlists(session, request.mentee_id)
    session.flush()
    session.refresh(request)
    mentee, mentor, settings, messages = _answer_context(session, request)
    return AnswerOutcome(
        "accepted",
        request_id=request.id,
        current_status=REQUEST_ACCEPTED,
        mentee=mentee,
        mentor=mentor,
        goals=_goals(session, request.mentee_id),
        pair_id=pair.id,
        mentor_messages=messages,
        settings=settings,
    )


def record_pair_intro(session: Session, pair_id: int, channel: str) -> None:
    pair = session.get(Pair, pair_id)
    if pair is not None:
        pair.intro_channel = channel


def _after_close(
    session: Session,
    request: MentorRequest,
    status: AnswerStatus,
    exclusion: str | None,
    clock: Clock,
) -> AnswerOutcome:
    """A request ended without a pair: exclude that mentor if asked, offer the next ones."""
    if exclusion is not None:
        _exclude(
            session, request.team_id, request.mentee_id, request.mentor_id, exclusion, clock.now()
        )
    session.flush()
    session.refresh(request)
    program = _program_of(session, request.program_id)
    next_list = shortlist_for_mentee(session, program, request.mentee_id, clock)
    return _request_outcome(session, request, status, next_list)


def decline_request(
    session: Session,
    *,
    team_id: str,
    user_id: str,
    request_id: int,
    reason: str | None,
    clock: Clock,
) -> AnswerOutcome:
    """The mentor says not now. The optional reason is private (never shown to the mentee,
    never logged); the mentee is offered the next candidates."""
    now = clock.now()
    request, refused = _mentor_request(session, request_id, team_id, user_id)
    if request is None:
        assert refused is not None
        return refused
    if request.status != REQUEST_PENDING:
        return _unchanged(session, request, "already_answered")
    text = clean_text(reason)
    if text is not None:
        text = text[:DECLINE_REASON_MAX_CHARS]
    if not close_request(session, request.id, REQUEST_DECLINED, now, decline_reason=text):
        return _unchanged(session, request, "already_answered")
    return _after_close(session, request, "declined", EXCLUDED_DECLINED, clock)


def cancel_request(session: Session, request_id: int, clock: Clock) -> AnswerOutcome | None:
    """Close a pending request that cannot go on (the mentor cannot be reached). The mentee is
    offered the next candidates. None if it was not pending any more."""
    request = session.get(MentorRequest, request_id)
    if request is None or not close_request(session, request_id, REQUEST_CANCELLED, clock.now()):
        return None
    return _after_close(session, request, "cancelled", None, clock)


def due_expiries(session: Session, clock: Clock, limit: int = 500) -> list[int]:
    return list(
        session.scalars(
            select(MentorRequest.id)
            .where(MentorRequest.status == REQUEST_PENDING, MentorRequest.expires_at <= clock.now())
            .order_by(MentorRequest.expires_at)
            .limit(limit)
        )
    )


def expire_request(session: Session, request_id: int, clock: Clock) -> AnswerOutcome | None:
    """Expire an unanswered request once (None if it is not pending and due any more). The
    mentor is not suggested to that mentee again; the mentee gets the next candidates."""
    now = clock.now()
    request = session.get(MentorRequest, request_id)
    if request is None or request.expires_at > now:
        return None
    if not close_request(session, request_id, REQUEST_EXPIRED, now):
        return None
    # A coordinator's proposal that ran out is not held against the mentor.
    exclusion = None if request.via_coordinator else EXCLUDED_EXPIRED
    return _after_close(session, request, "expired", exclusion, clock)


def due_reminders(session: Session, clock: Clock, limit: int = 500) -> list[int]:
    now = clock.now()
    return list(
        session.scalars(
            select(MentorRequest.id)
            .where(
                MentorRequest.status == REQUEST_PENDING,
                MentorRequest.reminded_at.is_(None),
                MentorRequest.remind_at <= now,
                MentorRequest.expires_at > now,
            )
            .order_by(MentorRequest.remind_at)
            .limit(limit)
        )
    )


def claim_reminder(session: Session, request_id: int, clock: Clock) -> ReminderDue | None:
    """Mark a due reminder as sent (once): None if another sweep claimed it or it is not due."""
    now = clock.now()
    result = session.execute(
        update(MentorRequest)
        .where(
            MentorRequest.id == request_id,
            MentorRequest.status == REQUEST_PENDING,
            MentorRequest.reminded_at.is_(None),
            MentorRequest.remind_at <= now,
            MentorRequest.expires_at > now,
        )
        .values(reminded_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    request = session.get(MentorRequest, request_id)
    assert request is not None
    mentee, mentor, settings, _ = _answer_context(session, request)
    assert mentee is not None and mentor is not None
    return ReminderDue(
        request_id=request_id,
        mentee=mentee,
        mentor=mentor,
        goals=_goals(session, request.mentee_id),
        created_at=request.created_at,
        expires_at=request.expires_at,
        settings=settings,
    )


def release_reminder(session: Session, request_id: int) -> None:
    """Undo a claim whose message Slack refused, so the next sweep tries again."""
    session.execute(
        update(MentorRequest)
        .where(MentorRequest.id == request_id, MentorRequest.status == REQUEST_PENDING)
        .values(reminded_at=None)
    )


def request_for_mentor(
    session: Session, *, team_id: str, user_id: str, request_id: int
) -> AnswerOutcome:
    """A mentor's request as it is now (for the decline modal), changing nothing."""
    request, refused = _mentor_request(session, request_id, team_id, user_id)
    if request is None:
        assert refused is not None
        return refused
    return _request_outcome(
        session, request, "pending" if request.status == REQUEST_PENDING else "already_answered"
    )


# --------------------------------------------------------------------------------------------
# "None of these suit me"
# --------------------------------------------------------------------------------------------


def none_suit(
    session: Session,
    *,
    team_id: str,
    user_id: str,
    shortlist_id: int,
    reason_code: str | None,
    reason: str | None,
    clock: Clock,
) -> NoneSuitOutcome:
    """Record why none of the suggested mentors suit, exclude them from the mentee's next
    shortlists, and offer the next candidates (if any)."""
    now = clock.now()
    shortlist = session.get(Shortlist, shortlist_id)
    if shortlist is None or shortlist.team_id != team_id:
        return NoneSuitOutcome("stale")
    if not _owned_by(session, shortlist.mentee_id, team_id, user_id):
        return NoneSuitOutcome("not_yours")
    _lock(session, (shortlist.mentee_id,))
    session.refresh(shortlist)
    program = _program_of(session, shortlist.program_id)
    settings = program_settings(program)
    mentee = _ref(session, shortlist.mentee_id)
    message = _shortlist_message(shortlist)
    if shortlist.status != SHORTLIST_OPEN:
        return NoneSuitOutcome("stale", mentee=mentee, shortlist_message=message, settings=settings)
    text = clean_text(reason)
    session.add(
        NoneSuitFeedback(
            team_id=team_id,
            mentee_id=shortlist.mentee_id,
            reason_code=reason_code if reason_code in NONE_SUIT_REASONS else None,
            reason=text[:NONE_SUIT_TEXT_MAX_CHARS] if text else None,
            created_at=now,
        )
    )
    excluded = sum(
        _exclude(session, team_id, shortlist.mentee_id, mentor_id, EXCLUDED_NONE_SUIT, now)
        for mentor_id in _candidate_ids(shortlist)
    )
    shortlist.status = SHORTLIST_CLOSED
    session.flush()
    next_list = shortlist_for_mentee(session, program, shortlist.mentee_id, clock)
    return NoneSuitOutcome(
        "ok",
        mentee=mentee,
        shortlist_message=message,
        excluded=excluded,
        next=next_list,
        settings=settings,
    )


def shortlist_is_open(session: Session, *, team_id: str, user_id: str, shortlist_id: int) -> bool:
    shortlist = session.get(Shortlist, shortlist_id)
    return (
        shortlist is not None
        and shortlist.team_id == team_id
        and shortlist.status == SHORTLIST_OPEN
        and _owned_by(session, shortlist.mentee_id, team_id, user_id)
    )


# --------------------------------------------------------------------------------------------
# People who cannot be reached, and what App Home shows
# --------------------------------------------------------------------------------------------


def mark_unreachable(session: Session, team_id: str, user_id: str) -> list[int]:
    """Slack says this person cannot be messaged: leave them out of matching from now on.
    Returns the ids of pending requests where they are the mentor (to be cancelled)."""
    person = session.scalars(
        select(Person).where(Person.team_id == team_id, Person.slack_user_id == user_id)
    ).first()
    if person is None:
        return []
    person.unreachable = True
    return list(
        session.scalars(
            select(MentorRequest.id)
            .join(Participation, Participation.id == MentorRequest.mentor_id)
            .where(
                Participation.person_id == person.id,
                MentorRequest.status == REQUEST_PENDING,
            )
        )
    )


def in_several_programs(session: Session, team_id: str, user_id: str) -> bool:
    """Whether someone takes part (has not left) in more than one program: then App Home
    shows matching under each program's own section instead of one for the default."""
    count = session.scalar(
        select(func.count(Participation.id))
        .join(Person, Person.id == Participation.person_id)
        .where(
            Person.team_id == team_id,
            Person.slack_user_id == user_id,
            Participation.status != STATUS_LEFT,
        )
    )
    return int(count or 0) > 1


@dataclass
class HomeMatching:
    """What App Home shows about matching for one person in one program."""

    mentor_of_mine: PersonRef | None = None  # my active mentor (as a mentee)
    asked: PersonRef | None = None  # whom I asked (pending)
    asked_until: datetime | None = None
    has_open_shortlist: bool = False
    requests_to_me: list[tuple[PersonRef, datetime]] = field(default_factory=list)
    my_mentees: list[PersonRef] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (
            self.mentor_of_mine
            or self.asked
            or self.has_open_shortlist
            or self.requests_to_me
            or self.my_mentees
        )


def home_matching(
    session: Session, team_id: str, user_id: str, program_id: int | None = None
) -> HomeMatching:
    """The person's own matching state in one program: the program with `program_id` (only a
    program of this workspace), else the one program they take part in, else the workspace's
    default program."""
    state = HomeMatching()
    if program_id is None:
        theirs = session.scalars(
            select(Participation.program_id)
            .join(Person, Person.id == Participation.person_id)
            .where(
                Person.team_id == team_id,
                Person.slack_user_id == user_id,
                Participation.status != STATUS_LEFT,
            )
        ).all()
        if len(theirs) == 1:
            program_id = theirs[0]
    if program_id is None:
        program = find_program(session, team_id)
    else:
        program = program_in_workspace(session, team_id, program_id)
    if program is None:
        return state
    participation = session.scalars(
        select(Participation)
        .join(Person, Person.id == Participation.person_id)
        .where(
            Participation.program_id == program.id,
            Person.team_id == team_id,
            Person.slack_user_id == user_id,
            Participation.status != STATUS_LEFT,
        )
    ).first()
    if participation is None:
        return state
    pid = participation.id
    if participation.is_mentee:
        pair = session.scalars(
            select(Pair).where(Pair.mentee_id == pid, Pair.status == PAIR_ACTIVE)
        ).first()
        if pair is not None:
            state.mentor_of_mine = _ref(session, pair.mentor_id)
        pending = _pending_request(session, pid)
        if pending is not None:
            state.asked, state.asked_until = _ref(session, pending.mentor_id), pending.expires_at
        state.has_open_shortlist = bool(_open_shortlists(session, pid))
    if participation.is_mentor:
        for request in session.scalars(
            select(MentorRequest)
            .where(MentorRequest.mentor_id == pid, MentorRequest.status == REQUEST_PENDING)
            .order_by(MentorRequest.created_at)
        ):
            ref = _ref(session, request.mentee_id)
            if ref is not None:
                state.requests_to_me.append((ref, request.expires_at))
        for pair in session.scalars(
            select(Pair)
            .where(Pair.mentor_id == pid, Pair.status == PAIR_ACTIVE)
            .order_by(Pair.created_at)
        ):
            ref = _ref(session, pair.mentee_id)
            if ref is not None:
                state.my_mentees.append(ref)
    return state


def team_of(session: Session, participation_id: int) -> str:
    return str(
        session.scalar(select(Participation.team_id).where(Participation.id == participation_id))
        or ""
    )


def workspaces(session: Session) -> list[str]:
    return list(session.scalars(select(Workspace.team_id).order_by(Workspace.team_id)))


def program_names(session: Session, team_id: str) -> list[str]:
    return list(
        session.scalars(select(Program.name).where(Program.team_id == team_id).order_by(Program.id))
    )


def sorted_people(refs: Sequence[PersonRef]) -> list[PersonRef]:
    return sorted(refs, key=lambda r: (r.name.casefold(), r.user_id))
