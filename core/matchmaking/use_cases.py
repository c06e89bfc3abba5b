"""Matching as the Slack side calls it: one use case per step of a conversation. Each takes
the `Database`, opens its own transaction, applies matchmaking's rules (through the
session-level functions of :mod:`core.matchmaking.service`) and returns what the flow renders
and sends. The flow parses a click, calls one of these, and sends; it opens no transaction
and decides nothing about matching itself.

Sending is not done here, so the Slack side reports back what came of it with the `record_*`
and `*_not_delivered` use cases (one small transaction each), after the message went out or
failed."""

from __future__ import annotations

import uuid
from dataclasses import replace

from core.kernel.clock import Clock
from core.kernel.db import Database
from core.matchmaking import service as svc
from core.matchmaking.home import HomeMatching
from core.matchmaking.outcomes import (
    AnswerOutcome,
    MatchingError,
    MessageRef,
    NoneSuitOutcome,
    RequestOutcome,
    ShortlistOutcome,
)

# --- shortlists ---------------------------------------------------------------------------


def fresh_shortlist(
    db: Database, team_id: str, user_id: str, clock: Clock, program_id: int | None = None
) -> ShortlistOutcome | None:
    """A new shortlist for a mentee of a program (None: the workspace's default one), after
    they confirmed or edited their profile or asked for a new mentor. The outcome says why
    there is none (`for_mentee` is False when they already asked someone or have a mentor);
    None if they are not a mentee there."""
    with db.transaction() as session:
        return svc.shortlist_for_user(session, team_id, user_id, clock, program_id=program_id)


def run_program(
    db: Database, team_id: str, program_name: str | None, clock: Clock
) -> tuple[list[ShortlistOutcome], list[int]]:
    """A coordinator's run over a program (by name, or the default one): every confirmed
    mentee without an open request or pair gets a new shortlist, or the reason for none; in
    the same transaction each mentee's message is queued in the delivery ledger. Returns the
    outcomes and the ledger rows to send. Raises `MatchingError` when the workspace has no
    such program."""
    with db.transaction() as session:
        program = svc.find_program(session, team_id, program_name)
        if program is None:
            raise MatchingError(f"workspace {team_id} has no program {program_name or ''}")
        outcomes = svc.run_matching(session, program, clock)
        ids = svc.enqueue_run_shortlists(
            session, outcomes, clock.now(), run=f"run:{uuid.uuid4().hex[:16]}"
        )
        return outcomes, ids


def shortlist_delivered(db: Database, outcome: ShortlistOutcome, posted: MessageRef | None) -> None:
    """What came of DMing a shortlist: its message is kept (to mark it replaced or requested
    later), or, if it could not be delivered, the list is closed so that it holds no one's
    exposure. Nothing to do for an outcome without a stored list."""
    if outcome.shortlist_id is None:
        return
    shortlist_settled(db, outcome.shortlist_id, posted, delivered=posted is not None)


def shortlist_settled(
    db: Database, shortlist_id: int, posted: MessageRef | None, *, delivered: bool
) -> None:
    """A stored list's DM went out (`posted` is its message, None if Slack's answer was
    lost) or could not be delivered (the list is closed, holding no one's exposure)."""
    with db.transaction() as session:
        if posted is not None:
            svc.record_shortlist_message(session, shortlist_id, posted.channel, posted.ts)
        elif not delivered:
            svc.close_shortlist(session, shortlist_id)


def run_delivery_counts(db: Database, ids: list[int]) -> tuple[int, int, int]:
    """(lists, 'no mentor' messages, people unreachable) of a run's ledger rows so far."""
    with db.transaction() as session:
        return svc.run_delivery_counts(session, ids)


def team_of(db: Database, participation_id: int) -> str:
    with db.transaction() as session:
        return svc.team_of(session, participation_id)


def shortlist_is_open(db: Database, *, team_id: str, user_id: str, shortlist_id: int) -> bool:
    """Whether this person may still answer this shortlist (it is theirs and open)."""
    with db.transaction() as session:
        return svc.shortlist_is_open(
            session, team_id=team_id, user_id=user_id, shortlist_id=shortlist_id
        )


def none_suit(
    db: Database,
    *,
    team_id: str,
    user_id: str,
    shortlist_id: int,
    reason_code: str | None,
    reason: str | None,
    clock: Clock,
) -> NoneSuitOutcome:
    """None of the suggested mentors suit the mentee: see `service.none_suit`."""
    with db.transaction() as session:
        return svc.none_suit(
            session,
            team_id=team_id,
            user_id=user_id,
            shortlist_id=shortlist_id,
            reason_code=reason_code,
            reason=reason,
            clock=clock,
        )


# --- requests and answers -----------------------------------------------------------------


def request_mentor(
    db: Database, *, team_id: str, user_id: str, shortlist_id: int, mentor_id: int, clock: Clock
) -> RequestOutcome:
    """The mentee asks a mentor from their shortlist: see `service.request_mentor`. Asking the
    mentor they have already asked (a double click) is "already_sent": nothing to say."""
    with db.transaction() as session:
        outcome = svc.request_mentor(
            session,
            team_id=team_id,
            user_id=user_id,
            shortlist_id=shortlist_id,
            mentor_id=mentor_id,
            clock=clock,
        )
    asked = outcome.pending_with
    if outcome.status == "already_pending" and asked and asked.participation_id == mentor_id:
        return replace(outcome, status="already_sent")
    return outcome


def record_request_message(db: Database, request_id: int, message: MessageRef) -> None:
    """Keep the mentor's request message, to close it when the request ends."""
    with db.transaction() as session:
        svc.record_request_message(session, request_id, message.channel, message.ts)


def accept_request(
    db: Database, *, team_id: str, user_id: str, request_id: int, clock: Clock
) -> AnswerOutcome:
    """The mentor says yes: see `service.accept_request` ("overdue": it is to be expired)."""
    with db.transaction() as session:
        return svc.accept_request(
            session, team_id=team_id, user_id=user_id, request_id=request_id, clock=clock
        )


def record_pair_intro(db: Database, pair_id: int, channel: str) -> None:
    """Keep the group DM where a new pair was introduced."""
    with db.transaction() as session:
        svc.record_pair_intro(session, pair_id, channel)


def request_for_mentor(
    db: Database, *, team_id: str, user_id: str, request_id: int
) -> AnswerOutcome:
    """The mentor's request as it is now (before the decline modal opens), changing nothing."""
    with db.transaction() as session:
        return svc.request_for_mentor(
            session, team_id=team_id, user_id=user_id, request_id=request_id
        )


def decline_request(
    db: Database, *, team_id: str, user_id: str, request_id: int, reason: str | None, clock: Clock
) -> AnswerOutcome:
    """The mentor says no (with an optional reason): see `service.decline_request`."""
    with db.transaction() as session:
        return svc.decline_request(
            session,
            team_id=team_id,
            user_id=user_id,
            request_id=request_id,
            reason=reason,
            clock=clock,
        )


def expire_request(db: Database, request_id: int, clock: Clock) -> AnswerOutcome | None:
    """Expire an unanswered request once: see `service.expire_request`."""
    with db.transaction() as session:
        return svc.expire_request(session, request_id, clock)


# --- people Slack cannot reach ------------------------------------------------------------


def mark_unreachable(db: Database, team_id: str, user_id: str) -> list[int]:
    """Slack cannot deliver to this person: they are left out of matching. Returns their
    pending requests as a mentor, each to be cancelled with :func:`cancel_request`."""
    with db.transaction() as session:
        return svc.mark_unreachable(session, team_id, user_id)


def cancel_request(db: Database, request_id: int, clock: Clock) -> AnswerOutcome | None:
    """Close a request whose mentor cannot be reached: see `service.cancel_request`."""
    with db.transaction() as session:
        return svc.cancel_request(session, request_id, clock)


def closed_request(db: Database, request_id: int) -> AnswerOutcome | None:
    """How a request closed elsewhere must now read: see `service.closed_request`."""
    with db.reading() as session:
        return svc.closed_request(session, request_id)


# --- the sweep: expiry and reminders ------------------------------------------------------


def due_expiries(db: Database, clock: Clock) -> list[int]:
    """The pending requests whose time is up, each to be expired with :func:`expire_request`."""
    with db.transaction() as session:
        return svc.due_expiries(session, clock)


def due_reminders(db: Database, clock: Clock) -> list[int]:
    """The pending requests whose mentor is due their one reminder."""
    with db.transaction() as session:
        return svc.due_reminders(session, clock)


def plan_reminders(db: Database, clock: Clock) -> list[int]:
    """Put the due reminders in the delivery ledger (each once); returns the new ledger ids,
    for the deliverer to send."""
    with db.transaction() as session:
        return svc.plan_reminders(session, clock)


# --- App Home -----------------------------------------------------------------------------


def home_section(db: Database, team_id: str, user_id: str) -> HomeMatching | None:
    """The default program's matching for App Home: None for someone in several programs
    (they see matching under each program's own section: :func:`program_home_section`)."""
    with db.transaction() as session:
        if svc.in_several_programs(session, team_id, user_id):
            return None
        return svc.home_matching(session, team_id, user_id)


def program_home_section(db: Database, team_id: str, user_id: str, program_id: int) -> HomeMatching:
    """Someone's own matching in one program, for that program's App Home section."""
    with db.transaction() as session:
        return svc.home_matching(session, team_id, user_id, program_id)


# --- when no mentor fits: the waitlist and a coordinator's help ---------------------------


def join_waitlist(
    db: Database, *, team_id: str, user_id: str, mentee_id: int, kind: svc.WaitKind, clock: Clock
) -> svc.WaitOutcome:
    """*Tell me when a mentor fits* or *Ask a coordinator*: see `waitlist.join`."""
    with db.transaction() as session:
        return svc.join_waitlist(
            session, team_id=team_id, user_id=user_id, mentee_id=mentee_id, kind=kind, clock=clock
        )


def close_help(
    db: Database, *, team_id: str, user_id: str, entry_id: int, clock: Clock
) -> tuple[str, svc.HelpToSend | None]:
    """A coordinator marks a mentee's request for help handled."""
    with db.transaction() as session:
        return svc.close_help(
            session, team_id=team_id, user_id=user_id, entry_id=entry_id, clock=clock
        )


def check_waitlist(
    db: Database, clock: Clock, *, program_id: int | None = None, freed_only: bool = False
) -> list[int]:
    """Give the waiting mentees a mentor now fits their shortlist (queued in the ledger)."""
    with db.transaction() as session:
        return svc.check_waitlist(session, clock, program_id=program_id, freed_only=freed_only)


def program_of_user(db: Database, team_id: str, user_id: str, program_id: int | None) -> int | None:
    """The program a profile was confirmed in (None given: the workspace's default one)."""
    if program_id is not None:
        return program_id
    with db.transaction() as session:
        program = svc.find_program(session, team_id, None)
        return None if program is None else program.id


def plan_unsent_requests(db: Database, clock: Clock) -> list[int]:
    """Mentor requests that never got their message: queued in the ledger, once."""
    with db.transaction() as session:
        return svc.plan_unsent_requests(session, clock)
