"""The relationship's use cases, one per thing a person does in Slack: each opens ONE
transaction, applies the rules of who may do what and when (only the mentee drafts the
agreement, only the mentor confirms it, a button drawn for an older version or check-in is
stale, a closed pair takes no more changes), and returns an outcome for the Slack side to
render. A request that cannot be done comes back as `Refused` (never raised); the messages it
caused are queued in the delivery ledger with the change, and their ids come back in `sent`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.kernel.clock import Clock
from core.kernel.db import Database
from core.people.directory import find_person
from core.people.models import Participation, Person
from core.programs.models import Program
from core.programs.service import default_program, taking_part
from core.relationships import agreements, checkins, meetings, nudges, pauses
from core.relationships.agreements import AgreementForm, AgreementInvalid
from core.relationships.checkins import CheckinAnswers
from core.relationships.models import (
    AGREEMENT_ACTIVE,
    AGREEMENT_PROPOSED,
    INDEFINITE,
    Agreement,
    Relationship,
)
from core.relationships.service import (
    Member,
    PairInfo,
    RelationshipError,
    agreement_of,
    ends_on,
    local_today,
    member_of,
    only_pair,
    pair_info,
    pairs_of,
    relationship_of,
    request_rematch,
    settings_for,
    start_relationship,
)

T = TypeVar("T")


# --- outcomes --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Refused:
    """Why it cannot be done: the message `relationship.errors.<key>`, filled with `context`."""

    key: str
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Invalid:
    """A submitted form with problems (nothing was written): template keys under
    `relationship.errors` by field name, and the goal limit the form was read with."""

    errors: dict[str, str]
    max_goals: int = 0


@dataclass(frozen=True)
class Changed:
    """Done: the ledger ids to send now, and the pair it changed (whose App Homes show it)."""

    sent: list[int]
    info: PairInfo | None


@dataclass(frozen=True)
class Met(Changed):
    new: bool  # False: that day was already logged (by either person)
    met_on: date


@dataclass(frozen=True)
class HelpAsked(Changed):
    new: bool  # False: the person already has an open request


@dataclass(frozen=True)
class Rhythm(Changed):
    cadence: str = ""
    next_nudge: datetime | None = None


@dataclass(frozen=True)
class Paused(Changed):
    until: date | None  # None: until they resume


@dataclass(frozen=True)
class CheckedIn(Changed):
    new: bool  # False: this check-in was already answered


@dataclass(frozen=True)
class RematchAsked:
    info: PairInfo
    new: bool  # False: asked before


@dataclass(frozen=True)
class Drafting:
    """The mentee may (re)write the agreement: the modal starts with `form`."""

    info: PairInfo
    form: AgreementForm
    version: int | None
    max_goals: int
    durations: list[int]
    suggestion: str | None


@dataclass(frozen=True)
class Reviewing:
    """The mentor pressed "set up": they get the mentee's draft to confirm instead."""

    info: PairInfo
    agreement: Agreement


@dataclass(frozen=True)
class Suggesting:
    info: PairInfo
    version: Any


@dataclass(frozen=True)
class NoteOpened:
    info: PairInfo
    meeting_id: int
    met_on: date
    note: str | None


@dataclass(frozen=True)
class CheckinOpened:
    info: PairInfo
    seq: int
    goals: list[str]
    partner: Member


@dataclass(frozen=True)
class PairAtHome:
    info: PairInfo
    member: Member
    partner: Member
    since: date  # local to the person
    agreement: Agreement | None
    until: date | None  # the local day the term ends
    last_met: date | None


@dataclass(frozen=True)
class Home:
    pairs: list[PairAtHome]
    paused_open: bool = False  # paused until they resume
    paused_until: date | None = None


def _attempt(db: Database, step: Callable[[Session], T]) -> T | Refused:
    """Run `step` in one transaction; a RelationshipError rolls it back and is the refusal."""
    try:
        with db.transaction() as session:
            return step(session)
    except RelationshipError as exc:
        return Refused(exc.key, dict(exc.context))


def _as_member(
    db: Database,
    team_id: str,
    user_id: str,
    pair_id: Any,
    step: Callable[[Session, PairInfo, Member], T],
    *,
    active: bool = True,
) -> T | Refused:
    """`_attempt` a step of a person of the pair a button names (it exists, they are in it,
    and unless `active=False` it is still active)."""
    return _attempt(db, lambda s: step(s, *member_of(s, team_id, user_id, pair_id, active=active)))


def _change(
    db: Database,
    team_id: str,
    user_id: str,
    pair_id: Any,
    apply: Callable[[Session, PairInfo, Member], list[int]],
) -> Changed | Refused:
    """`_as_member`, for a step whose result is the ledger ids to send now."""
    return _as_member(db, team_id, user_id, pair_id, lambda s, i, m: Changed(apply(s, i, m), i))


# --- new pairs -------------------------------------------------------------------------------
def start(db: Database, pair_id: int, now: datetime) -> Changed:
    """A new pair: its schedule, and both invited to set up their agreement."""
    with db.transaction() as session:
        ids = start_relationship(session, pair_id, now)
        return Changed(ids, pair_info(session, pair_id))


# --- agreement -------------------------------------------------------------------------------
def open_agreement(
    db: Database, team_id: str, user_id: str, pair_id: Any
) -> Drafting | Reviewing | Refused:
    """ "Set up the agreement": the mentee drafts (or revises) it; the mentor gets the draft to
    review, and is told to wait when there is none to review yet."""

    def step(session: Session, info: PairInfo, member: Member) -> Drafting | Reviewing:
        agreement = agreement_of(session, info.pair_id)
        if agreement is not None and agreement.status == AGREEMENT_ACTIVE:
            raise RelationshipError("already_active")
        if member.role == "mentor":
            if agreement is None or agreement.status != AGREEMENT_PROPOSED:
                key = "no_draft" if agreement is None else "only_mentee_drafts"
                raise RelationshipError(key, partner=info.mentee.name)
            return Reviewing(info, agreement)
        form, version = agreements.default_form(session, info)
        settings = settings_for(session, info.program_id)
        return Drafting(
            info,
            form,
            version,
            settings.max_goals,
            agreements.durations(settings),
            agreement.suggestion if agreement is not None else None,
        )

    return _as_member(db, team_id, user_id, pair_id, step)


def submit_agreement(
    db: Database,
    team_id: str,
    user_id: str,
    pair_id: Any,
    version: Any,
    read_form: Callable[[int], AgreementForm],
    now: datetime,
) -> Changed | Invalid | Refused:
    """The mentee's draft (`read_form(max_goals)` reads the submitted modal with the program's
    goal limit) goes to the mentor to confirm."""

    def step(session: Session, info: PairInfo, member: Member) -> Changed | Invalid:
        max_goals = settings_for(session, info.program_id).max_goals
        form = read_form(max_goals)
        try:
            ids = agreements.submit_draft(session, info, member, form, version, now)
        except AgreementInvalid as exc:
            return Invalid(exc.errors, max_goals)
        return Changed(ids, info)

    return _as_member(db, team_id, user_id, pair_id, step)


def confirm_agreement(
    db: Database, team_id: str, user_id: str, pair_id: Any, version: Any, now: datetime
) -> Changed | Refused:
    """The mentor confirms the draft they were shown: the agreement is active for both."""
    return _change(
        db, team_id, user_id, pair_id, lambda s, i, m: agreements.confirm(s, i, m, version, now)
    )


def open_suggest(
    db: Database, team_id: str, user_id: str, pair_id: Any, version: Any
) -> Suggesting | Refused:
    """Only the mentor suggests changes, and only to the draft version the button shows."""

    def step(session: Session, info: PairInfo, member: Member) -> Suggesting:
        agreement = agreement_of(session, info.pair_id)
        if member.role != "mentor":
            raise RelationshipError("only_mentor_confirms", partner=info.mentor.name)
        if (
            agreement is None
            or agreement.status != AGREEMENT_PROPOSED
            or agreement.version != version
        ):
            raise RelationshipError("stale")
        return Suggesting(info, version)

    return _as_member(db, team_id, user_id, pair_id, step)


def submit_suggestion(
    db: Database, team_id: str, user_id: str, pair_id: Any, version: Any, text: str, now: datetime
) -> Changed | Invalid | Refused:
    """The mentor's suggested changes go back to the mentee, who revises the draft."""

    def step(session: Session, info: PairInfo, member: Member) -> Changed | Invalid:
        try:
            ids = agreements.suggest_changes(session, info, member, version, text, now)
        except AgreementInvalid as exc:
            return Invalid(exc.errors)
        return Changed(ids, info)

    return _as_member(db, team_id, user_id, pair_id, step)


# --- meetings --------------------------------------------------------------------------------
def _log(session: Session, info: PairInfo, member: Member, when: date, now: datetime) -> Met:
    _meeting, new, ids = meetings.log_meeting(session, info, member, when, now)
    return Met(ids, info, new, when)


def met_today(
    db: Database, team_id: str, user_id: str, pair_id: Any, now: datetime
) -> Met | Refused:
    """ "We met" pressed: the pair met today (the person's day)."""
    return _as_member(
        db,
        team_id,
        user_id,
        pair_id,
        lambda s, info, m: _log(s, info, m, local_today(now, m.timezone), now),
    )


def met_picked(
    db: Database, team_id: str, user_id: str, pair_id: Any, picked: str, now: datetime
) -> Met | Refused:
    """ "We met" answered with a date from its date picker (empty: today)."""

    def step(session: Session, info: PairInfo, member: Member) -> Met:
        today = local_today(now, member.timezone)
        try:
            when = date.fromisoformat(picked) if picked else today
        except ValueError:
            raise RelationshipError("bad_date", text=picked) from None
        return _log(session, info, member, when, now)

    return _as_member(db, team_id, user_id, pair_id, step)


def change_rhythm(
    db: Database, team_id: str, user_id: str, pair_id: Any, cadence: str, now: datetime
) -> Rhythm | Refused:
    """*Change our rhythm* from a nudge: the agreement's cadence changes for both."""

    def step(session: Session, info: PairInfo, _member: Member) -> Rhythm:
        when = nudges.change_cadence(session, info, cadence, now)
        return Rhythm([], info, cadence, when)

    return _as_member(db, team_id, user_id, pair_id, step)


def pause_from_nudge(
    db: Database, team_id: str, user_id: str, pair_id: Any, clock: Clock, epoch: Any = None
) -> Paused | Refused:
    """*Pause* on a nudge: four weeks without reminders, and the unanswered count restarts
    (refused as "stale" when the nudge, `epoch`, was already answered)."""
    still_open = _as_member(
        db, team_id, user_id, pair_id, lambda s, i, _m: nudges.check_open(s, i, epoch)
    )
    if isinstance(still_open, Refused):
        return still_open
    outcome = pause(db, team_id, user_id, "4w", clock)
    if not isinstance(outcome, Refused):

        def restart(session: Session, info: PairInfo, _member: Member) -> list[int]:
            nudges.answered(session, info)
            return []

        _change(db, team_id, user_id, pair_id, restart)
    return outcome


def rhythm_of(
    db: Database, team_id: str, user_id: str, pair_id: Any, epoch: Any = None
) -> Rhythm | Refused:
    """The pair's current cadence, for *Change our rhythm* and *We met* (refused before an
    agreement, and as "stale" from a nudge, `epoch`, that was already answered)."""

    def step(session: Session, info: PairInfo, _member: Member) -> Rhythm:
        nudges.check_open(session, info, epoch)
        agreement = agreement_of(session, info.pair_id)
        if agreement is None or agreement.status != AGREEMENT_ACTIVE:
            raise RelationshipError("no_agreement_yet")
        return Rhythm([], info, agreement.cadence)

    return _as_member(db, team_id, user_id, pair_id, step)


def posted_nudges(
    db: Database, pair_id: int, kind: str = nudges.KIND, outcome: dict[str, Any] | None = None
) -> list[nudges.Posted]:
    """Where the pair's sent messages of `kind` are, to take their buttons away (each keeps
    `outcome`, what answered it, for a digest drawn again later)."""
    with db.transaction() as session:
        return nudges.posted_nudges(session, pair_id, kind, outcome)


def answered_in(
    db: Database,
    pair_id: int,
    where: tuple[str, str],
    kinds: tuple[str, ...],
    outcome: dict[str, Any],
) -> None:
    """The pair's items of `kinds` in the message at `where` (channel, ts) were answered."""
    with db.transaction() as session:
        nudges.answered_in(session, pair_id, where[0], where[1], kinds, outcome)


def met_on(db: Database, team_id: str, user_id: str, args: str, now: datetime) -> Met | Refused:
    """`/mentoring met [@partner] [date]`: the person's pair (with that partner) met then."""

    def step(session: Session) -> Met:
        partner, rest = partner_arg(session, team_id, user_id, args)
        info, member = only_pair(session, team_id, user_id, partner)
        when = meetings.parse_date(rest, local_today(now, member.timezone))
        return _log(session, info, member, when, now)

    return _attempt(db, step)


def partner_arg(session: Session, team_id: str, user_id: str, args: str) -> tuple[str | None, str]:
    """Split `/mentoring met` arguments into a partner (a mention, or @name: a partner's id,
    first name or full name) and the date."""
    partner: str | None = None
    rest = []
    for token in args.split():
        if token.startswith("<@") and token.endswith(">"):
            partner = token[2:-1].split("|", 1)[0]
        elif token.startswith("@") and len(token) > 1:
            wanted = token[1:].lower()
            for info in pairs_of(session, team_id, user_id):
                for m in info.members:
                    if m.user_id != user_id and (
                        m.user_id.lower() == wanted
                        or m.name.lower().split(" ")[0] == wanted
                        or m.name.lower() == wanted
                    ):
                        partner = m.user_id
            if partner is None:
                partner = token[1:]
        else:
            rest.append(token)
    return partner, " ".join(rest)


def put_off(
    db: Database,
    team_id: str,
    user_id: str,
    pair_id: Any,
    now: datetime,
    *,
    snooze: bool,
    epoch: Any = None,
) -> Changed | Refused:
    """The next meeting nudge moves: "Snooze" by the program's snooze days, "Scheduled" by
    the pair's cadence (two weeks without one). A nudge already answered (`epoch`) is
    refused as "stale": nothing moves twice."""

    def step(session: Session, info: PairInfo, _member: Member) -> Changed:
        nudges.check_open(session, info, epoch)
        relationship = relationship_of(session, info.pair_id)
        settings = settings_for(session, info.program_id)
        days = (
            settings.snooze_days
            if snooze
            else int((relationship.cadence_days if relationship else None) or 14)
        )
        meetings.put_off(session, info, now, days)
        return Changed([], info)

    return _as_member(db, team_id, user_id, pair_id, step)


def open_note(
    db: Database, team_id: str, user_id: str, pair_id: Any, meeting_id: Any
) -> NoteOpened | Refused:
    """A person's own private note on one of their pair's meetings (also after it ended)."""

    def step(session: Session, info: PairInfo, member: Member) -> NoteOpened:
        meeting = meetings.meeting_of_pair(session, info, meeting_id)
        note = meetings.note_of(session, meeting.id, member.person_id)
        return NoteOpened(info, meeting.id, meeting.met_on, note)

    return _as_member(db, team_id, user_id, pair_id, step, active=False)


def save_note(
    db: Database,
    team_id: str,
    user_id: str,
    pair_id: Any,
    meeting_id: Any,
    text: str,
    now: datetime,
) -> Changed | Refused:
    """Keep, replace or (empty) remove the person's private note on a meeting."""

    def step(session: Session, info: PairInfo, member: Member) -> Changed:
        meetings.save_note(session, info, member, meeting_id, text, now)
        return Changed([], info)

    return _as_member(db, team_id, user_id, pair_id, step, active=False)


# --- pauses ----------------------------------------------------------------------------------
def _own_programs(
    session: Session, team_id: str, person: Person | None, clock: Clock
) -> list[Program]:
    """A break is from mentoring, not from one program: pausing and resuming apply to every
    program the person takes part in (the default one when none, which then says they are
    not part of it)."""
    return taking_part(session, person) or [default_program(session, team_id, clock)]


def pause(db: Database, team_id: str, user_id: str, args: str, clock: Clock) -> Paused | Refused:
    """`/mentoring pause [1w|2w|4w]`: no nudges for the person's pairs for that long (or until
    they resume); their partners are told."""

    def step(session: Session) -> Paused:
        length = pauses.parse_pause(args)
        person = find_person(session, team_id, user_id)
        ids: list[int] = []
        until_at = None
        for program in _own_programs(session, team_id, person, clock):
            record, sent = pauses.pause(session, team_id, user_id, program, length, clock.now())
            ids += sent
            until_at = record.until
        if until_at is None:
            return Paused(ids, None, None)
        return Paused(ids, None, local_today(until_at, person.timezone if person else None))

    return _attempt(db, step)


def resume(db: Database, team_id: str, user_id: str, clock: Clock) -> Changed | Refused:
    """End the person's pause in every program; refused when there was none."""

    def step(session: Session) -> Changed:
        person = find_person(session, team_id, user_id)
        resumed = False
        for program in _own_programs(session, team_id, person, clock):
            try:
                pauses.resume(session, team_id, user_id, program, clock.now())
                resumed = True
            except RelationshipError as exc:
                if exc.key != "not_paused":
                    raise
        if not resumed:
            raise RelationshipError("not_paused")
        return Changed([], None)

    return _attempt(db, step)


# --- check-ins, help, endings ----------------------------------------------------------------
def open_checkin(
    db: Database, team_id: str, user_id: str, pair_id: Any, seq: Any
) -> CheckinOpened | Refused:
    """A check-in opens once per person: a button for an unknown or answered one is stale."""

    def step(session: Session, info: PairInfo, member: Member) -> CheckinOpened:
        number = checkins.check_seq(session, info, seq)
        if checkins.answered(session, info, member, number) is not None:
            raise RelationshipError("stale")
        goals = checkins.checkin_goals(session, info)
        return CheckinOpened(info, number, goals, info.partner(member.person_id))

    return _as_member(db, team_id, user_id, pair_id, step)


def submit_checkin(
    db: Database,
    team_id: str,
    user_id: str,
    pair_id: Any,
    seq: Any,
    read_answers: Callable[[int], CheckinAnswers],
    now: datetime,
) -> CheckedIn | Refused:
    """One person's answers (`read_answers(n_goals)` reads the submitted modal for the
    agreement's goals), kept private unless both agree to share a summary."""

    def step(session: Session, info: PairInfo, member: Member) -> CheckedIn:
        answers = read_answers(len(checkins.checkin_goals(session, info)))
        checkin_id, ids = checkins.submit_checkin(
            session,
            info,
            member,
            seq,
            progress=answers.progress,
            health=answers.health,
            note=answers.note,
            share=answers.share,
            now=now,
        )
        return CheckedIn(ids, info, checkin_id is not None)

    return _as_member(db, team_id, user_id, pair_id, step)


def ask_help(
    db: Database, team_id: str, user_id: str, pair_id: Any, clock: Clock, source: str = "checkin"
) -> HelpAsked | Refused:
    """Ask to talk to a coordinator (once while a request is open); `source`: where the
    button was (a check-in or a nudge)."""

    def step(session: Session, info: PairInfo, member: Member) -> HelpAsked:
        _id, new, ids = checkins.request_help(session, info, member, clock, source)
        return HelpAsked(ids, info, new)

    return _as_member(db, team_id, user_id, pair_id, step)


def end_no_fault(
    db: Database, team_id: str, user_id: str, pair_id: Any, now: datetime
) -> Changed | Refused:
    return _change(
        db, team_id, user_id, pair_id, lambda s, i, m: checkins.end_no_fault(s, i, m, now)
    )


def complete(
    db: Database, team_id: str, user_id: str, pair_id: Any, now: datetime
) -> Changed | Refused:
    return _change(db, team_id, user_id, pair_id, lambda s, i, m: checkins.complete(s, i, m, now))


def extend(
    db: Database, team_id: str, user_id: str, pair_id: Any, period: Any, now: datetime
) -> Changed | Refused:
    return _change(
        db, team_id, user_id, pair_id, lambda s, i, m: checkins.extend(s, i, m, period, now)
    )


def rematch(
    db: Database, team_id: str, user_id: str, pair_id: Any, now: datetime
) -> RematchAsked | Refused:
    """The mentee of an ended pair asks for a new mentor."""
    return _as_member(
        db,
        team_id,
        user_id,
        pair_id,
        lambda s, info, m: RematchAsked(info, request_rematch(s, info, m, now)),
        active=False,
    )


# --- App Home --------------------------------------------------------------------------------
def home(db: Database, team_id: str, user_id: str, now: datetime) -> Home | None:
    """What App Home shows of the person's relationships (None: not a person we know)."""
    with db.transaction() as session:
        person = find_person(session, team_id, user_id)
        if person is None:
            return None
        paused = session.scalar(
            select(Participation.paused_until).where(
                Participation.person_id == person.id, Participation.paused_until > now
            )
        )
        pairs = [_at_home(session, person, info) for info in pairs_of(session, team_id, user_id)]
        state = Home([p for p in pairs if p is not None])
        if paused is not None and paused >= INDEFINITE:
            return Home(state.pairs, paused_open=True)
        if paused is not None:
            return Home(state.pairs, paused_until=local_today(paused, person.timezone))
        return state


def _at_home(session: Session, person: Person, info: PairInfo) -> PairAtHome | None:
    member = info.member(person.id)
    if member is None:
        return None
    relationship: Relationship | None = relationship_of(session, info.pair_id)
    return PairAtHome(
        info=info,
        member=member,
        partner=info.partner(person.id),
        since=local_today(info.created_at, person.timezone),
        agreement=agreement_of(session, info.pair_id),
        until=ends_on(relationship, person.timezone),
        last_met=relationship.last_met_on if relationship else None,
    )
