"""FAQ use cases around a question asked in Slack: keeping it server-side for its buttons,
logging the gaps coordinators should fill, and passing a question to coordinators only after
the person agreed. Each function runs inside the caller's transaction.

Nothing here logs question text (it is stored, for its purpose, and never written to logs).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from core.faq.models import (
    GAP_NO_MATCH,
    GAP_NOT_HELPFUL,
    GAP_REASONS,
    GAP_UNANSWERED,
    FaqGap,
    FaqPendingQuestion,
)
from core.kernel.clock import Clock
from core.programs.models import Program
from core.programs.service import program_settings

# How long a question's buttons ("pass it to a coordinator", "not helpful") keep working.
PENDING_KEEP = timedelta(days=7)
# How long gap entries (question text, no user id) are kept for coordinators to review.
GAP_KEEP = timedelta(days=365)

SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")

__all__ = [
    "GAP_KEEP",
    "GAP_NOT_HELPFUL",
    "GAP_NO_MATCH",
    "GAP_UNANSWERED",
    "PENDING_KEEP",
    "EscalationClaim",
    "Gap",
    "PendingQuestion",
    "claim_escalation",
    "coordinator_ids",
    "decline_escalation",
    "drop_escalation",
    "faq_settings",
    "finish_escalation",
    "list_gaps",
    "log_gap",
    "pending_question",
    "purge_expired",
    "question_status",
    "record_question",
    "record_vote",
    "undo_escalation",
]


@dataclass(frozen=True)
class PendingQuestion:
    """A question's state, detached from the session."""

    id: int
    program_id: int
    asked_by: str
    question: str | None
    band: str
    entry_id: str | None
    status: str  # open | escalated | declined | expired

    @classmethod
    def of(cls, row: FaqPendingQuestion, now: datetime) -> PendingQuestion:
        if row.escalated_at is not None:
            status = "escalated"
        elif row.declined_at is not None:
            status = "declined"
        elif row.expires_at <= now or row.question is None:
            status = "expired"
        else:
            status = "open"
        return cls(
            row.id,
            row.program_id,
            row.slack_user_id,
            row.question,
            row.band,
            row.entry_id,
            status,
        )


@dataclass(frozen=True)
class Gap:
    team_id: str
    program_id: int | None
    question: str | None
    entry_id: str | None
    band: str
    reason: str
    logged_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "logged_at": self.logged_at.isoformat(),
            "team_id": self.team_id,
            "program_id": self.program_id,
            "reason": self.reason,
            "band": self.band,
            "entry_id": self.entry_id,
            "question": self.question,
        }


@dataclass(frozen=True)
class EscalationClaim:
    """`status` "claimed" (then `question` is the text to send) or why not: "escalated",
    "declined", "expired", "not_yours", "missing"."""

    status: str
    question: str | None = None
    program_id: int | None = None
    pending_id: int | None = None


# --- questions ----------------------------------------------------------------------------
def record_question(
    session: Session,
    *,
    team_id: str,
    program_id: int,
    user_id: str,
    question: str,
    band: str,
    entry_id: str | None,
    clock: Clock,
) -> int:
    """Keep a question asked in Slack for its buttons; an unanswered one is also logged as
    a gap. Returns the id the buttons carry."""
    now = clock.now()
    row = FaqPendingQuestion(
        team_id=team_id,
        program_id=program_id,
        slack_user_id=user_id,
        question=question,
        band=band,
        entry_id=entry_id,
        asked_at=now,
        expires_at=now + PENDING_KEEP,
    )
    session.add(row)
    if band == "unknown":
        log_gap(
            session,
            team_id=team_id,
            program_id=program_id,
            question=question,
            entry_id=None,
            band=band,
            reason=GAP_UNANSWERED,
            clock=clock,
        )
    session.flush()
    return row.id


def pending_question(
    session: Session, pending_id: Any, team_id: str, user_id: str, clock: Clock
) -> PendingQuestion | None:
    """The question behind a button, only for the person who asked it."""
    row = _row(session, pending_id, team_id)
    if row is None or row.slack_user_id != user_id:
        return None
    return PendingQuestion.of(row, clock.now())


def _row(session: Session, pending_id: Any, team_id: str) -> FaqPendingQuestion | None:
    if not isinstance(pending_id, int) or isinstance(pending_id, bool):
        return None
    row = session.get(FaqPendingQuestion, pending_id)
    if row is None or row.team_id != team_id:
        return None
    return row


# --- gaps ---------------------------------------------------------------------------------
def log_gap(
    session: Session,
    *,
    team_id: str,
    program_id: int | None,
    question: str | None,
    entry_id: str | None,
    band: str,
    reason: str,
    clock: Clock,
) -> None:
    if reason not in GAP_REASONS:
        raise ValueError(f"unknown gap reason {reason!r}")
    session.add(
        FaqGap(
            team_id=team_id,
            program_id=program_id,
            question=question,
            entry_id=entry_id,
            band=band,
            reason=reason,
            logged_at=clock.now(),
        )
    )


def record_vote(
    session: Session,
    *,
    team_id: str,
    program_id: int | None,
    user_id: str,
    entry_id: str | None,
    pending_id: Any,
    reason: str,
    clock: Clock,
) -> tuple[bool, PendingQuestion | None]:
    """Log a "not helpful" (`GAP_NOT_HELPFUL`) or "none of these" (`GAP_NO_MATCH`) vote.

    With the voter's own question behind the button, the gap carries its text and is logged
    once per question. Without one (a topic picked from the browse list, or someone else's
    question in a channel) only the entry is logged.

    Returns (whether this call logged a gap, the voter's question if there is one): a
    repeated click logs nothing more and returns False."""
    if reason not in (GAP_NOT_HELPFUL, GAP_NO_MATCH):
        raise ValueError(f"not a vote: {reason!r}")
    row = _row(session, pending_id, team_id)
    if row is None or row.slack_user_id != user_id:
        log_gap(
            session,
            team_id=team_id,
            program_id=program_id,
            question=None,
            entry_id=entry_id,
            band="answer" if reason == GAP_NOT_HELPFUL else "suggest",
            reason=reason,
            clock=clock,
        )
        return True, None
    now = clock.now()
    claimed = session.execute(
        update(FaqPendingQuestion)
        .where(FaqPendingQuestion.id == row.id, FaqPendingQuestion.feedback_at.is_(None))
        .values(feedback_at=now)
        .execution_options(synchronize_session=False)
    )
    session.refresh(row)
    logged = claimed.rowcount == 1  # type: ignore[attr-defined]
    if logged:
        log_gap(
            session,
            team_id=team_id,
            program_id=row.program_id,
            question=row.question,
            entry_id=entry_id or row.entry_id,
            band=row.band,
            reason=reason,
            clock=clock,
        )
    return logged, PendingQuestion.of(row, now)


def list_gaps(
    session: Session,
    *,
    team_id: str | None = None,
    since: datetime | None = None,
    limit: int | None = None,
) -> list[Gap]:
    """Gaps, newest first."""
    query = select(FaqGap).order_by(FaqGap.logged_at.desc(), FaqGap.id.desc())
    if team_id:
        query = query.where(FaqGap.team_id == team_id)
    if since is not None:
        query = query.where(FaqGap.logged_at >= since)
    if limit:
        query = query.limit(limit)
    return [
        Gap(g.team_id, g.program_id, g.question, g.entry_id, g.band, g.reason, g.logged_at)
        for g in session.scalars(query)
    ]


# --- escalation ---------------------------------------------------------------------------
def claim_escalation(
    session: Session, pending_id: Any, team_id: str, user_id: str, clock: Clock
) -> EscalationClaim:
    """The person agreed to pass their question on: claim it (once) and return its text."""
    row = _row(session, pending_id, team_id)
    if row is None:
        return EscalationClaim("missing")
    if row.slack_user_id != user_id:
        return EscalationClaim("not_yours")
    now = clock.now()
    claimed = session.execute(
        update(FaqPendingQuestion)
        .where(
            FaqPendingQuestion.id == row.id,
            FaqPendingQuestion.escalated_at.is_(None),
            FaqPendingQuestion.declined_at.is_(None),
            FaqPendingQuestion.question.is_not(None),
            FaqPendingQuestion.expires_at > now,
        )
        .values(escalated_at=now)
        .execution_options(synchronize_session=False)
    )
    session.refresh(row)
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return EscalationClaim(PendingQuestion.of(row, now).status, None, row.program_id, row.id)
    return EscalationClaim("claimed", row.question, row.program_id, row.id)


def finish_escalation(session: Session, pending_id: int) -> None:
    """The coordinators have the question: the bot no longer keeps its text."""
    session.execute(
        update(FaqPendingQuestion)
        .where(FaqPendingQuestion.id == pending_id)
        .values(question=None)
        .execution_options(synchronize_session=False)
    )


def undo_escalation(session: Session, pending_id: int) -> None:
    """No coordinator could be reached: the person can try again."""
    session.execute(
        update(FaqPendingQuestion)
        .where(FaqPendingQuestion.id == pending_id)
        .values(escalated_at=None)
        .execution_options(synchronize_session=False)
    )


def drop_escalation(session: Session, pending_id: int, clock: Clock) -> None:
    """A claimed question that has nobody to go to (the asker is the program's only
    coordinator): nothing is sent, the bot forgets its text as if declined. Its gap, logged
    when the offer was made, stays (it has no user id)."""
    session.execute(
        update(FaqPendingQuestion)
        .where(FaqPendingQuestion.id == pending_id)
        .values(escalated_at=None, declined_at=clock.now(), question=None)
        .execution_options(synchronize_session=False)
    )


def decline_escalation(
    session: Session, pending_id: Any, team_id: str, user_id: str, clock: Clock
) -> str:
    """The person said no: forget the question text. Returns "declined" when this call
    changed it, else why not ("escalated", "declined", "expired", "not_yours", "missing")."""
    row = _row(session, pending_id, team_id)
    if row is None:
        return "missing"
    if row.slack_user_id != user_id:
        return "not_yours"
    result = session.execute(
        update(FaqPendingQuestion)
        .where(
            FaqPendingQuestion.id == row.id,
            FaqPendingQuestion.escalated_at.is_(None),
            FaqPendingQuestion.declined_at.is_(None),
        )
        .values(declined_at=clock.now(), question=None)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:  # type: ignore[attr-defined]
        return "declined"
    session.refresh(row)
    status = PendingQuestion.of(row, clock.now()).status
    return "already_declined" if status == "declined" else status


def question_status(
    session: Session, pending_id: Any, team_id: str, user_id: str, clock: Clock
) -> str:
    """ "open", "escalated", "declined", "expired", or "not_yours" / "missing"."""
    row = _row(session, pending_id, team_id)
    if row is None:
        return "missing"
    if row.slack_user_id != user_id:
        return "not_yours"
    return PendingQuestion.of(row, clock.now()).status


# --- coordinators ---------------------------------------------------------------------------
def coordinator_ids(session: Session, program: Program) -> list[str]:
    """Who answers questions passed on from the FAQ: the program's coordinators, from the
    coordinators table (the one source of who coordinates)."""
    try:
        from core.coordination.service import coordinator_ids as registered
    except ImportError:  # the coordinator console is not part of this install
        return []
    return registered(session, program.id)


# --- housekeeping ---------------------------------------------------------------------------
def purge_expired(session: Session, clock: Clock) -> tuple[int, int]:
    """Delete expired questions and old gaps. Returns (questions, gaps) deleted."""
    now = clock.now()
    questions = session.execute(
        delete(FaqPendingQuestion).where(FaqPendingQuestion.expires_at <= now)
    )
    gaps = session.execute(delete(FaqGap).where(FaqGap.logged_at < now - GAP_KEEP))
    return int(questions.rowcount or 0), int(gaps.rowcount or 0)  # type: ignore[attr-defined]


def faq_settings(session: Session, program: Program) -> dict[str, Any]:
    """The program settings FAQ answers are rendered with. Their `coordinators` are the
    program's coordinators (so answers name the people an escalation goes to), or the
    plain contact of the `coordinators` setting while there are none."""
    return program_settings(program).as_dict()
