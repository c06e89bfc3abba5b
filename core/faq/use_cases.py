"""FAQ use cases the Slack side calls: each opens its own transaction, applies the rules and
returns what the caller needs to render. The per-session building blocks are in
`core.faq.questions`.

What they decide:
- whose program (settings, coordinators) an answer quotes, and for which audience;
- that a question's buttons act only for the person who asked it;
- that a "not helpful" / "none of these" vote is logged once per question;
- who a question is passed on to: a coordinator asking never gets their own question back,
  and a program's only coordinator is told nobody else can take it (nothing is sent, the
  question is forgotten); with no coordinator at all the person can try again later.

Nothing here logs question text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.coordination.service import coordinated_programs
from core.faq import questions
from core.faq.questions import Gap, PendingQuestion
from core.kernel.clock import Clock
from core.kernel.db import Database
from core.onboarding import service as onboarding
from core.people.directory import find_person
from core.people.models import STATUS_LEFT
from core.programs.models import Program
from core.programs.service import person_program, taking_part

__all__ = [
    "Asker",
    "Escalation",
    "Vote",
    "asker",
    "decline_question",
    "escalate_question",
    "gaps",
    "own_question",
    "purge_expired",
    "question_state",
    "record_question",
    "settle_escalation",
    "vote",
]


@dataclass(frozen=True)
class Asker:
    """What answering needs to know about the person and their program."""

    program_id: int
    settings: dict[str, Any]
    audience: str | None  # "coordinator", "mentee", "mentor" or None (everyone's answers)
    coordinators: list[str]


@dataclass(frozen=True)
class Vote:
    """`logged`: this call logged the gap (False for a repeated click); `own`: the voter's own
    question behind the button, if there is one."""

    logged: bool
    own: PendingQuestion | None


@dataclass(frozen=True)
class Escalation:
    """The outcome of "Ask a coordinator".

    `status`: "send" (pass `question` to `coordinators`, then `settle_escalation`),
    "only_coordinator" (the asker is the program's only coordinator, `program` names it;
    nothing is sent and the question is forgotten), "no_coordinator" (nobody to ask; the
    person may try again), or why the click changed nothing: "escalated", "declined",
    "expired", "not_yours", "missing"."""

    status: str
    question: str | None = None
    pending_id: int | None = None
    coordinators: list[str] = field(default_factory=list)
    program: str = ""


# --- asking -------------------------------------------------------------------------------
def asker(db: Database, team_id: str, user_id: str, clock: Clock) -> Asker:
    """Answers quote the settings and coordinators of the asker's own program (the one they
    take part in, when there is exactly one; for someone in none, the one they coordinate,
    when there is exactly one), else the default program's. Coordinators get coordinator
    answers; someone only mentee (only mentor) in the program gets mentee (mentor) answers."""
    with db.transaction() as session:
        person = find_person(session, team_id, user_id)
        program = person_program(session, team_id, person, clock)
        if not taking_part(session, person):
            coordinated = coordinated_programs(session, team_id, user_id)
            if len(coordinated) == 1:
                program = coordinated[0]
        settings = questions.faq_settings(session, program)
        coordinators = questions.coordinator_ids(session, program)
        audience: str | None = None
        if user_id in coordinators:
            audience = "coordinator"
        else:
            participation = (
                onboarding.find_participation(session, person, program) if person else None
            )
            if participation is not None and participation.status != STATUS_LEFT:
                if participation.is_mentee and not participation.is_mentor:
                    audience = "mentee"
                elif participation.is_mentor and not participation.is_mentee:
                    audience = "mentor"
        return Asker(program.id, settings, audience, coordinators)


def record_question(
    db: Database,
    *,
    team_id: str,
    program_id: int,
    user_id: str,
    question: str,
    band: str,
    entry_id: str | None,
    clock: Clock,
) -> int:
    """Keep a question server-side (buttons carry only its id; an unanswered one is logged as
    a gap). Returns that id."""
    with db.transaction() as session:
        return questions.record_question(
            session,
            team_id=team_id,
            program_id=program_id,
            user_id=user_id,
            question=question,
            band=band,
            entry_id=entry_id,
            clock=clock,
        )


# --- buttons ------------------------------------------------------------------------------
def own_question(
    db: Database, pending_id: Any, team_id: str, user_id: str, clock: Clock
) -> PendingQuestion | None:
    """The question behind a button, only if it is this person's."""
    with db.transaction() as session:
        return questions.pending_question(session, pending_id, team_id, user_id, clock)


def question_state(db: Database, pending_id: Any, team_id: str, user_id: str, clock: Clock) -> str:
    """ "open", "escalated", "declined", "expired", or "not_yours" / "missing"."""
    with db.transaction() as session:
        return questions.question_status(session, pending_id, team_id, user_id, clock)


def vote(
    db: Database,
    *,
    team_id: str,
    program_id: int | None,
    user_id: str,
    entry_id: str | None,
    pending_id: Any,
    reason: str,
    clock: Clock,
) -> Vote:
    """Log a gap: an answer that did not help (`GAP_NOT_HELPFUL`) or suggestions that did not
    fit (`GAP_NO_MATCH`); once per question for the asker's own question."""
    with db.transaction() as session:
        logged, own = questions.record_vote(
            session,
            team_id=team_id,
            program_id=program_id,
            user_id=user_id,
            entry_id=entry_id,
            pending_id=pending_id,
            reason=reason,
            clock=clock,
        )
    return Vote(logged, own)


# --- escalation ---------------------------------------------------------------------------
def escalate_question(
    db: Database, pending_id: Any, team_id: str, user_id: str, clock: Clock
) -> Escalation:
    """The person agreed to pass their question on: claim it (once) and decide who gets it.
    With nobody to ask, the claim is dropped (the asker is the only coordinator) or undone
    (no coordinator at all)."""
    with db.transaction() as session:
        claim = questions.claim_escalation(session, pending_id, team_id, user_id, clock)
        if claim.status != "claimed" or claim.pending_id is None:
            return Escalation(claim.status, pending_id=claim.pending_id)
        program = session.get(Program, claim.program_id)
        every = questions.coordinator_ids(session, program) if program else []
        # A coordinator asking does not get their own question back.
        others = [c for c in every if c != user_id]
        if program is not None and every and not others:
            questions.drop_escalation(session, claim.pending_id, clock)
            return Escalation(
                "only_coordinator", claim.question, claim.pending_id, program=program.name
            )
        if not others:
            questions.undo_escalation(session, claim.pending_id)
            return Escalation("no_coordinator", claim.question, claim.pending_id)
        return Escalation("send", claim.question, claim.pending_id, others)


def settle_escalation(db: Database, pending_id: int, *, delivered: bool) -> None:
    """After sending: the escalation is finished (the text forgotten) if anyone got the
    question, else undone so the person can try again."""
    with db.transaction() as session:
        if delivered:
            questions.finish_escalation(session, pending_id)
        else:
            questions.undo_escalation(session, pending_id)


def decline_question(
    db: Database, pending_id: Any, team_id: str, user_id: str, clock: Clock
) -> str:
    """The person said no: forget the question text. "declined" when this call changed it,
    else why not ("already_declined", "escalated", "expired", "not_yours", "missing")."""
    with db.transaction() as session:
        return questions.decline_escalation(session, pending_id, team_id, user_id, clock)


# --- coordinators' side -------------------------------------------------------------------
def gaps(
    db: Database,
    *,
    team_id: str | None = None,
    since: datetime | None = None,
    limit: int | None = None,
) -> list[Gap]:
    """The logged gaps, newest first."""
    with db.transaction() as session:
        return questions.list_gaps(session, team_id=team_id, since=since, limit=limit)


def purge_expired(db: Database, clock: Clock) -> tuple[int, int]:
    """Delete expired questions and old gaps: (questions, gaps) deleted."""
    with db.transaction() as session:
        return questions.purge_expired(session, clock)
