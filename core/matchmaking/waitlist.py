"""When no mentor fits: the mentee's next steps. *Tell me when a mentor fits* puts them on
the program's waitlist; they are told once, with a new shortlist, when a mentor who fits them
confirms a profile or a pair ends and frees a mentor's time. *Ask a coordinator* records a
help request and DMs the program's coordinators (through the delivery ledger) with a button
to mark it handled. A mentor's request that has no message yet (a lost post, a seeded demo
request) is sent through the ledger too, so no request can only expire.

Each function runs in the caller's transaction. Rows hold ids only; no text is logged."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.kernel.clock import Clock
from core.matchmaking.expiry import reminder_to_send
from core.matchmaking.lookups import _goals, _has_active_pair, _owned_by, _pending_request, _ref
from core.matchmaking.models import (
    PAIR_ACTIVE,
    REQUEST_PENDING,
    WAIT_COORDINATOR,
    WAIT_DONE,
    WAIT_NOTIFIED,
    WAIT_NOTIFY,
    WAIT_OPEN,
    MentorRequest,
    Pair,
    WaitlistEntry,
)
from core.matchmaking.outcomes import GoalInfo, PersonRef, ReminderDue
from core.matchmaking.run_delivery import SHORTLIST_KIND
from core.matchmaking.shortlists import _open_shortlists, shortlist_for_mentee
from core.messaging.ledger import Due, enqueue_now
from core.people.directory import upsert_person
from core.people.models import STATUS_LEFT, Participation
from core.programs.models import Program
from core.relationships.checkins import coordinator_ids

HELP_KIND = "match_help"  # a coordinator's DM: a mentee no mentor fits asked for help
REQUEST_KIND = "mentor_request"  # a mentor's request that has no message yet
# A request posted directly is recorded within moments; one still without a message after
# this long was never delivered, and the ledger sends it.
REQUEST_UNSENT_AFTER = timedelta(minutes=5)

WaitKind = Literal["notify", "coordinator"]


@dataclass
class WaitOutcome:
    """What a no-fit button did: `status` "ok" (recorded now), "already" (it was), or why
    not ("not_yours", "not_waiting": they have a list, a request or a mentor by now,
    "no_coordinator": the program has nobody to ask)."""

    status: str
    program_id: int = 0
    waiting: set[str] = field(default_factory=set)  # the open kinds afterwards
    deliveries: list[int] = field(default_factory=list)  # ledger rows to send now
    coordinators: list[str] = field(default_factory=list)  # the program's, by Slack id


@dataclass(frozen=True)
class HelpToSend:
    entry_id: int
    mentee: PersonRef
    program: str
    goals: tuple[GoalInfo, ...]
    open: bool
    closed_by: str | None


def open_kinds(session: Session, mentee_id: int) -> set[str]:
    return set(
        session.scalars(
            select(WaitlistEntry.kind).where(
                WaitlistEntry.mentee_id == mentee_id, WaitlistEntry.status == WAIT_OPEN
            )
        )
    )


def _is_waiting_for_mentor(session: Session, mentee_id: int) -> bool:
    participation = session.get(Participation, mentee_id)
    return (
        participation is not None
        and participation.status != STATUS_LEFT
        and _pending_request(session, mentee_id) is None
        and not _has_active_pair(session, mentee_id)
        and not _open_shortlists(session, mentee_id)
    )


def join(
    session: Session, *, team_id: str, user_id: str, mentee_id: int, kind: WaitKind, clock: Clock
) -> WaitOutcome:
    """The mentee asks to be told when a mentor fits, or asks a coordinator for help."""
    participation = session.get(Participation, mentee_id)
    if participation is None or not _owned_by(session, mentee_id, team_id, user_id):
        return WaitOutcome("not_yours")
    program_id = participation.program_id
    helpers = coordinator_ids(session, program_id)
    if kind in open_kinds(session, mentee_id):
        return WaitOutcome("already", program_id, open_kinds(session, mentee_id), [], helpers)
    if not _is_waiting_for_mentor(session, mentee_id):
        return WaitOutcome("not_waiting", program_id, open_kinds(session, mentee_id), [], helpers)
    entry = WaitlistEntry(
        team_id=team_id,
        program_id=program_id,
        mentee_id=mentee_id,
        kind=kind,
        status=WAIT_OPEN,
        created_at=clock.now(),
        checked_at=clock.now(),
    )
    try:
        with session.begin_nested():
            session.add(entry)
    except IntegrityError:  # a double click, at the same moment
        return WaitOutcome("already", program_id, open_kinds(session, mentee_id), [], helpers)
    deliveries = _tell_coordinators(session, entry, clock) if kind == WAIT_COORDINATOR else []
    if kind == WAIT_COORDINATOR and not deliveries:
        # Nobody to ask: no request is left open that nobody sees.
        session.delete(entry)
        session.flush()
        return WaitOutcome("no_coordinator", program_id, open_kinds(session, mentee_id), [], [])
    return WaitOutcome("ok", program_id, open_kinds(session, mentee_id), deliveries, helpers)


def _tell_coordinators(session: Session, entry: WaitlistEntry, clock: Clock) -> list[int]:
    ids: list[int] = []
    for user_id in coordinator_ids(session, entry.program_id):
        person = upsert_person(session, entry.team_id, None, user_id, clock)
        if person.unreachable:
            continue
        due = Due(
            team_id=entry.team_id,
            recipient_id=person.id,
            kind=HELP_KIND,
            subject=f"help:{entry.id}",
            batched=False,
            payload={"entry": entry.id},
        )
        new = enqueue_now(session, due, clock.now())
        if new is not None:
            ids.append(new)
    return ids


def help_to_send(session: Session, entry_id: int) -> HelpToSend | None:
    entry = session.get(WaitlistEntry, entry_id)
    if entry is None or entry.kind != WAIT_COORDINATOR:
        return None
    mentee = _ref(session, entry.mentee_id)
    program = session.get(Program, entry.program_id)
    if mentee is None or program is None:
        return None
    return HelpToSend(
        entry.id,
        mentee,
        program.name,
        _goals(session, entry.mentee_id),
        entry.status == WAIT_OPEN,
        entry.closed_by,
    )


def close_help(
    session: Session, *, team_id: str, user_id: str, entry_id: int, clock: Clock
) -> tuple[str, HelpToSend | None]:
    """A coordinator marks a mentee's help request handled: ("closed" | "already" |
    "not_coordinator" | "missing", the request as it is now)."""
    entry = session.get(WaitlistEntry, entry_id)
    if entry is None or entry.team_id != team_id or entry.kind != WAIT_COORDINATOR:
        return "missing", None
    if user_id not in coordinator_ids(session, entry.program_id):
        return "not_coordinator", None
    status = "already"
    if entry.status == WAIT_OPEN:
        entry.status, entry.closed_at, entry.closed_by = WAIT_DONE, clock.now(), user_id
        session.flush()
        status = "closed"
    return status, help_to_send(session, entry_id)


def _freed_since(session: Session, program_id: int, since: datetime) -> bool:
    return bool(
        session.scalar(
            select(
                exists().where(
                    Pair.program_id == program_id,
                    Pair.status != PAIR_ACTIVE,
                    Pair.ended_at.is_not(None),
                    Pair.ended_at > since,
                )
            )
        )
    )


def check(
    session: Session, clock: Clock, *, program_id: int | None = None, freed_only: bool = False
) -> list[int]:
    """Look for a fitting mentor for the waiting mentees (of one program, or all; with
    `freed_only`, only where a pair ended since the last look). Each one a mentor now fits
    gets a shortlist, queued in the ledger, and is told once. Returns the ledger ids."""
    query = select(WaitlistEntry).where(
        WaitlistEntry.kind == WAIT_NOTIFY, WaitlistEntry.status == WAIT_OPEN
    )
    if program_id is not None:
        query = query.where(WaitlistEntry.program_id == program_id)
    ids: list[int] = []
    now = clock.now()
    for entry in session.scalars(query.order_by(WaitlistEntry.id)).all():
        since = entry.checked_at or entry.created_at
        if freed_only and not _freed_since(session, entry.program_id, since):
            continue
        entry.checked_at = now
        if not _is_waiting_for_mentor(session, entry.mentee_id):
            entry.status, entry.closed_at = WAIT_DONE, now
            continue
        program = session.get(Program, entry.program_id)
        outcome = (
            None
            if program is None
            else shortlist_for_mentee(session, program, entry.mentee_id, clock)
        )
        if outcome is None or not outcome.has_candidates:
            continue
        entry.status, entry.closed_at = WAIT_NOTIFIED, now
        participation = session.get(Participation, entry.mentee_id)
        assert participation is not None
        due = Due(
            team_id=entry.team_id,
            recipient_id=participation.person_id,
            kind=SHORTLIST_KIND,
            subject=f"shortlist:{outcome.shortlist_id}",
            batched=False,
            payload={"shortlist": outcome.shortlist_id, "mentee": entry.mentee_id, "lead": "fits"},
        )
        new = enqueue_now(session, due, now)
        if new is not None:
            ids.append(new)
    session.flush()
    return ids


def plan_unsent_requests(session: Session, clock: Clock, limit: int = 200) -> list[int]:
    """Pending requests whose mentor never got a message (a lost post, a demo request seeded
    without one): one ledger row each, sent once (the ledger's key adds nothing twice).
    Returns the ids of the rows still to send."""
    now = clock.now()
    rows = session.execute(
        select(MentorRequest.id, MentorRequest.team_id, Participation.person_id)
        .join(Participation, Participation.id == MentorRequest.mentor_id)
        .where(
            MentorRequest.status == REQUEST_PENDING,
            MentorRequest.mentor_ts.is_(None),
            MentorRequest.created_at <= now - REQUEST_UNSENT_AFTER,
            MentorRequest.expires_at > now,
        )
        .order_by(MentorRequest.id)
        .limit(limit)
    ).all()
    ids: list[int] = []
    for request_id, team_id, person_id in rows:
        due = Due(
            team_id=team_id,
            recipient_id=person_id,
            kind=REQUEST_KIND,
            subject=f"request:{request_id}",
            batched=False,
            payload={"request": request_id},
        )
        new = enqueue_now(session, due, now)
        if new is not None:
            ids.append(new)
    return ids


def request_to_send(session: Session, request_id: int, now: datetime) -> ReminderDue | None:
    """A mentor's request as its message shows it, when its ledger row's turn comes: None
    once it is not pending any more, or its message went out meanwhile."""
    request = session.get(MentorRequest, request_id)
    if request is None or request.mentor_ts is not None:
        return None
    return reminder_to_send(session, request_id, now)
