"""What a mentee does with their shortlist: ask one mentor (:func:`request_mentor`, which
re-checks the mentor's capacity with their participation row locked, so two mentees cannot
both take a last slot), or say none of them suit (:func:`none_suit`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.kernel.clock import Clock
from core.matchmaking.expiry import request_deadlines
from core.matchmaking.lookups import (
    _available,
    _candidate_ids,
    _exclude,
    _goals,
    _has_active_pair,
    _lock,
    _owned_by,
    _pending_request,
    _person_of,
    _program_of,
    _ref,
    _shortlist_message,
    mentor_load,
)
from core.matchmaking.models import REQUEST_PENDING, MentorRequest, NoneSuitFeedback, Shortlist
from core.matchmaking.outcomes import (
    EXCLUDED_NONE_SUIT,
    NONE_SUIT_REASONS,
    NONE_SUIT_TEXT_MAX_CHARS,
    SHORTLIST_CLOSED,
    SHORTLIST_OPEN,
    MessageRef,
    NoneSuitOutcome,
    PersonRef,
    RequestOutcome,
    RequestStatus,
)
from core.matchmaking.shortlists import shortlist_for_mentee
from core.people.profiles import clean_text
from core.programs.models import Program
from core.programs.service import program_settings
from core.programs.settings import ProgramSettings


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
    locked = _lock(session, (shortlist.mentee_id, mentor_id))
    session.refresh(shortlist)
    ask = _ask(session, shortlist)
    refused = _cannot_ask(session, ask, mentor_id)
    if refused is not None:
        return refused
    mentor_row = locked.get(mentor_id)
    mentor = _ref(session, mentor_id)
    if mentor_row is None or mentor is None or mentor_row.program_id != ask.program.id:
        return ask.outcome("stale")
    mentor_person = _person_of(session, mentor_row)
    available = _available(mentor_row, mentor_person, now)
    if not available or mentor_load(session, mentor_id) >= mentor_row.capacity:
        return _taken(session, ask, mentor, "taken" if available else "unavailable", clock)
    return _store_request(session, ask, mentor, mentor_person.timezone, via_coordinator, now)


@dataclass(frozen=True)
class _Ask:
    """A mentee asking from their (locked, fresh) shortlist: what every outcome reports."""

    shortlist: Shortlist
    program: Program
    mentee: PersonRef
    message: MessageRef | None
    settings: ProgramSettings

    def outcome(self, status: RequestStatus, **more: Any) -> RequestOutcome:
        return RequestOutcome(
            status,
            mentee=self.mentee,
            shortlist_message=self.message,
            settings=self.settings,
            **more,
        )


def _ask(session: Session, shortlist: Shortlist) -> _Ask:
    program = _program_of(session, shortlist.program_id)
    settings = program_settings(program)
    mentee = _ref(session, shortlist.mentee_id)
    assert mentee is not None
    return _Ask(shortlist, program, mentee, _shortlist_message(shortlist), settings)


def _cannot_ask(session: Session, ask: _Ask, mentor_id: int) -> RequestOutcome | None:
    """Why the mentee cannot ask anyone from this list now (None if they can)."""
    pending = _pending_request(session, ask.shortlist.mentee_id)
    if pending is not None:
        return ask.outcome("already_pending", pending_with=_ref(session, pending.mentor_id))
    if _has_active_pair(session, ask.shortlist.mentee_id):
        return ask.outcome("already_paired")
    if ask.shortlist.status != SHORTLIST_OPEN or mentor_id not in _candidate_ids(ask.shortlist):
        return ask.outcome("stale")
    return None


def _taken(
    session: Session, ask: _Ask, mentor: PersonRef, status: RequestStatus, clock: Clock
) -> RequestOutcome:
    """The mentor has no room (or cannot mentor now): the list closes and the mentee gets
    alternatives."""
    ask.shortlist.status = SHORTLIST_CLOSED
    session.flush()
    alternatives = shortlist_for_mentee(session, ask.program, ask.shortlist.mentee_id, clock)
    return ask.outcome(status, mentor=mentor, next=alternatives)


def _store_request(
    session: Session,
    ask: _Ask,
    mentor: PersonRef,
    mentor_tz: str | None,
    via_coordinator: bool,
    now: datetime,
) -> RequestOutcome:
    """The pending request, with its reminder and expiry in the mentor's working days; the
    shortlist it came from closes."""
    shortlist = ask.shortlist
    remind_at, expires_at = request_deadlines(now, ask.settings, mentor_tz)
    request = MentorRequest(
        team_id=shortlist.team_id,
        program_id=ask.program.id,
        mentee_id=shortlist.mentee_id,
        mentor_id=mentor.participation_id,
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
        pending = _pending_request(session, shortlist.mentee_id)
        return ask.outcome(
            "already_pending", pending_with=_ref(session, pending.mentor_id) if pending else None
        )
    shortlist.status = SHORTLIST_CLOSED
    session.flush()
    return ask.outcome(
        "ok",
        mentor=mentor,
        request_id=request.id,
        goals=_goals(session, shortlist.mentee_id),
        expires_at=expires_at,
    )


def record_request_message(session: Session, request_id: int, channel: str, ts: str) -> None:
    request = session.get(MentorRequest, request_id)
    if request is not None:
        request.mentor_channel, request.mentor_ts = channel, ts


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
