"""A mentor's answer to a request, and the other ways a request ends: accept (the pair is
created once), decline, cancellation (the mentor cannot be reached) and expiry. Each is a
conditional update `WHERE status = 'pending'`, so a double click, or a click on an expired or
superseded request, changes nothing. A request that ends without a pair offers the mentee the
next candidates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.kernel.clock import Clock
from core.matchmaking.lookups import _exclude, _goals, _owned_by, _program_of, _ref
from core.matchmaking.models import (
    PAIR_ACTIVE,
    REQUEST_ACCEPTED,
    REQUEST_CANCELLED,
    REQUEST_DECLINED,
    REQUEST_EXPIRED,
    REQUEST_PENDING,
    MentorRequest,
    Pair,
)
from core.matchmaking.outcomes import (
    DECLINE_REASON_MAX_CHARS,
    EXCLUDED_DECLINED,
    EXCLUDED_EXPIRED,
    AnswerOutcome,
    AnswerStatus,
    MessageRef,
    PersonRef,
    ShortlistOutcome,
)
from core.matchmaking.shortlists import _close_open_shortlists, shortlist_for_mentee
from core.messaging.models import Delivery
from core.people.profiles import clean_text
from core.privacy.service import close_request
from core.programs.service import program_settings
from core.programs.settings import ProgramSettings


def start_pair(session: Session, request: MentorRequest, now: datetime) -> Pair:
    """The pair an accepted request starts (by the mentor, or by both after a coordinator's
    proposal); the caller has already closed the request."""
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
    return pair


def _answer_context(
    session: Session, request: MentorRequest
) -> tuple[PersonRef | None, PersonRef | None, ProgramSettings, tuple[MessageRef, ...]]:
    program = _program_of(session, request.program_id)
    messages: tuple[MessageRef, ...] = (
        (MessageRef(request.mentor_channel, request.mentor_ts),)
        if request.mentor_channel and request.mentor_ts
        else ()
    )
    # The one reminder carries the same buttons: it is closed with the request.
    for channel, ts in session.execute(
        select(Delivery.slack_channel, Delivery.slack_ts).where(
            Delivery.kind == "request_reminder",  # expiry.REMINDER_KIND (it imports us)
            Delivery.subject == f"request:{request.id}",
            Delivery.slack_ts.is_not(None),
        )
    ):
        messages += (MessageRef(str(channel), str(ts)),)
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
        team_id=request.team_id,
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
    pair = start_pair(session, request, now)
    _close_open_shortlists(session, request.mentee_id)
    session.flush()
    session.refresh(request)
    mentee, mentor, settings, messages = _answer_context(session, request)
    return AnswerOutcome(
        "accepted",
        request_id=request.id,
        team_id=request.team_id,
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


def closed_request(session: Session, request_id: int) -> AnswerOutcome | None:
    """A request closed elsewhere (its mentee left the program), as its messages must now
    read; None if it is missing or still pending. Changes nothing."""
    request = session.get(MentorRequest, request_id)
    if request is None or request.status == REQUEST_PENDING:
        return None
    return _request_outcome(session, request, "already_answered")


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
