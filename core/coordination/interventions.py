"""A coordinator's matching interventions, as use cases: propose a match, the two people's
answers, unpair, do-not-pair and rematch.

Each opens its own transaction on a program the caller was authorised for
(`console.authorize`), applies the rules in `core.coordination.service`, audits the action in
the same transaction and returns an outcome: the result, or the problem the domain refused it
with (then nothing changed).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session

from core.coordination import service as co
from core.coordination.console import Outcome, ProgramRef, audit, row
from core.coordination.models import OUTCOME_REFUSED
from core.kernel.clock import Clock
from core.kernel.db import Database
from core.programs.models import Program

T = TypeVar("T")


def _change(
    db: Database, program: ProgramRef, change: Callable[[Session, Program], T]
) -> Outcome[T]:
    """Run `change` on the program in one transaction; a refusal rolls it back."""
    try:
        with db.transaction() as session:
            return Outcome(change(session, row(session, program)))
    except co.CoordinationError as exc:
        return Outcome(problem=exc)


def propose_match(
    db: Database, clock: Clock, program: ProgramRef, user_id: str, mentee: str, mentor: str
) -> Outcome[co.Proposal]:
    """Ask both people to accept a coordinator's match; a refused match is audited as such
    (in a transaction of its own, as the attempt rolled back)."""

    def change(session: Session, found: Program) -> co.Proposal:
        proposal = co.propose_match(session, found, mentee, mentor, by=user_id, clock=clock)
        audit(session, clock, program, user_id, "match", [mentee, mentor])
        return proposal

    outcome = _change(db, program, change)
    if outcome.problem is not None:
        with db.transaction() as session:
            audit(
                session, clock, program, user_id, "match", [mentee, mentor], outcome=OUTCOME_REFUSED
            )
    return outcome


def answer_match(
    db: Database, clock: Clock, match_id: int, user_id: str, *, yes: bool
) -> co.MatchAnswer:
    """One of the two people answers; only their own side, only while it is pending."""
    with db.transaction() as session:
        return co.answer_match(session, match_id, user_id, yes=yes, clock=clock)


def unpair(
    db: Database, clock: Clock, program: ProgramRef, user_id: str, a: str, b: str
) -> Outcome[co.Unpaired]:
    def change(session: Session, found: Program) -> co.Unpaired:
        done = co.unpair(session, found, a, b, clock)
        audit(session, clock, program, user_id, "unpair", [a, b, f"pair:{done.pair_id}"])
        return done

    return _change(db, program, change)


def do_not_pair(
    db: Database, clock: Clock, program: ProgramRef, user_id: str, a: str, b: str
) -> Outcome[co.DoNotPairResult]:
    def change(session: Session, found: Program) -> co.DoNotPairResult:
        result = co.do_not_pair(session, found, a, b, clock)
        audit(session, clock, program, user_id, "do_not_pair", [a, b])
        return result

    return _change(db, program, change)


def rematch(
    db: Database, clock: Clock, program: ProgramRef, user_id: str, mentee: str
) -> Outcome[co.Rematch]:
    def change(session: Session, found: Program) -> co.Rematch:
        result = co.rematch(session, found, mentee, clock)
        audit(session, clock, program, user_id, "rematch", [mentee, *result.ending.partners])
        return result

    return _change(db, program, change)
