"""A coordinator's matching run of a whole program, as use cases: the preview (a dry run's
counts and the token its confirmation carries) and the confirmed run, which happens once per
token (a double click or a stale confirmation runs nothing).

Matching may refuse to run (a program too large for its memory limit, or a reporting loop):
the attempt is then audited as refused and the outcome carries the reason.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from core.coordination import service as co
from core.coordination.console import ProgramRef, audit, row
from core.coordination.models import OUTCOME_REFUSED
from core.kernel.clock import Clock
from core.kernel.db import Database
from core.matchmaking import service as matching

logger = logging.getLogger(__name__)

MATCH_PREVIEW = "match.preview"  # `/mentoring match run`: the counts, before confirming


def _refused(
    db: Database, clock: Clock, program: ProgramRef, user_id: str, action: str, exc: Exception
) -> None:
    with db.transaction() as session:
        audit(session, clock, program, user_id, action, outcome=OUTCOME_REFUSED)
    logger.info("matching run for program %s refused: %s", program.id, type(exc).__name__)


@dataclass(frozen=True)
class Preview:
    """What a run would do now and the token to confirm it with; or why matching refused."""

    plan: matching.RunPlan | None = None
    token: int = 0
    refusal: matching.MatchingError | None = None


def preview(db: Database, clock: Clock, program: ProgramRef, user_id: str) -> Preview:
    try:
        with db.transaction() as session:
            plan = matching.plan_matching(session, row(session, program), clock)
            token = co.match_run_token(session, program.id)
            audit(session, clock, program, user_id, MATCH_PREVIEW)
    except matching.MatchingError as exc:
        _refused(db, clock, program, user_id, MATCH_PREVIEW, exc)
        return Preview(refusal=exc)
    return Preview(plan=plan, token=token)


@dataclass(frozen=True)
class Run:
    """The shortlists of a confirmed run and the delivery-ledger rows that send them; none
    when the token was already used (`already`), or why matching refused."""

    outcomes: list[matching.ShortlistOutcome] | None = None
    refusal: matching.MatchingError | None = None
    deliveries: list[int] = field(default_factory=list)

    @property
    def already(self) -> bool:
        return self.outcomes is None and self.refusal is None


def confirm(db: Database, clock: Clock, program: ProgramRef, user_id: str, token: Any) -> Run:
    """Run matching for the mentees waiting, once for this token, and audit it. In the same
    transaction each mentee's shortlist (or 'no suitable mentor') is queued in the delivery
    ledger, so a crash after this commits loses nothing and sends nothing twice: the sweep
    sends what the caller's kick did not."""
    deliveries: list[int] = []
    try:
        with db.transaction() as session:
            outcomes = None
            if co.claim_match_run(session, program.id, token):
                outcomes = matching.run_matching(
                    session, row(session, program), clock, waiting_only=True
                )
                audit(session, clock, program, user_id, co.MATCH_RUN)
                session.flush()
                run = f"run:{co.match_run_token(session, program.id)}"  # this run's audit id
                deliveries = matching.enqueue_run_shortlists(
                    session, outcomes, clock.now(), run=run
                )
    except matching.MatchingError as exc:
        _refused(db, clock, program, user_id, co.MATCH_RUN, exc)
        return Run(refusal=exc)
    return Run(outcomes=outcomes, deliveries=deliveries)
