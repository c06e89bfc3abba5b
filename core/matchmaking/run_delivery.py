"""A matching run's shortlists as delivery-ledger rows: queued in the run's own transaction
(one row per mentee told), rebuilt from the stored list when the row's turn comes, and
dropped if the list was superseded, answered or closed meanwhile.

Rows hold ids and codes only: `shortlist` names the stored list, `shortlist_none` the mentee
and the code of why no mentor fits (the text comes from the reason templates when sent).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.matchmaking.loading import reason_templates
from core.matchmaking.lookups import _has_active_pair, _pending_request, _ref
from core.matchmaking.models import Shortlist
from core.matchmaking.outcomes import (
    SHORTLIST_OPEN,
    ShortlistCandidate,
    ShortlistOutcome,
)
from core.matchmaking.shortlists import _open_shortlists
from core.messaging.bulk_sql import among
from core.messaging.ledger import Due, enqueue
from core.messaging.models import DELIVERY_FAILED, DELIVERY_PENDING, DELIVERY_SENT, Delivery
from core.messaging.models import SHORTLIST as SHORTLIST_KIND
from core.people.models import STATUS_LEFT, Participation
from core.programs.models import Program
from core.programs.service import program_settings

SHORTLIST_NONE_KIND = "shortlist_none"  # "no suitable mentor right now", with the reason code
DEFAULT_NONE_CODE = "no_mentor_covers_goals"

__all__ = [
    "DEFAULT_NONE_CODE",
    "SHORTLIST_KIND",
    "SHORTLIST_NONE_KIND",
    "enqueue_run_shortlists",
    "no_mentor_to_send",
    "run_delivery_counts",
    "shortlist_to_send",
]


def _due(outcome: ShortlistOutcome, person_id: int, run: str, now: datetime) -> Due:
    mentee_id = outcome.mentee.participation_id
    if outcome.has_candidates:
        return Due(
            team_id=outcome.team_id,
            recipient_id=person_id,
            kind=SHORTLIST_KIND,
            subject=f"shortlist:{outcome.shortlist_id}",
            due_at=now,
            batched=False,
            payload={"shortlist": outcome.shortlist_id, "mentee": mentee_id},
        )
    return Due(
        team_id=outcome.team_id,
        recipient_id=person_id,
        kind=SHORTLIST_NONE_KIND,
        subject=f"mentee:{mentee_id}",
        period=run,
        due_at=now,
        batched=False,
        payload={"mentee": mentee_id, "code": outcome.unmatched_code or DEFAULT_NONE_CODE},
    )


def enqueue_run_shortlists(
    session: Session, outcomes: Iterable[ShortlistOutcome], now: datetime, *, run: str
) -> list[int]:
    """One ledger row per mentee a run tells something (its list, or why there is none), in
    the caller's transaction (the one that stored the lists): one bulk insert that adds
    nothing already queued. `run` names the run (the period of 'no mentor' rows; a list's
    own id keys its row). Returns the ids of the rows still to send, in the outcomes' order."""
    told = [o for o in outcomes if o.for_mentee]
    if not told:
        return []
    persons = dict(
        session.execute(
            select(Participation.id, Participation.person_id).where(
                among(session, Participation.id, [o.mentee.participation_id for o in told])
            )
        ).all()
    )
    dues = [
        _due(o, int(persons[o.mentee.participation_id]), run, now)
        for o in told
        if o.mentee.participation_id in persons
    ]
    enqueue(session, dues, now)
    keys = {(d.kind, d.subject, d.period): index for index, d in enumerate(dues)}
    found = session.execute(
        select(Delivery.id, Delivery.kind, Delivery.subject, Delivery.period).where(
            among(session, Delivery.recipient_id, [d.recipient_id for d in dues]),
            Delivery.kind.in_([SHORTLIST_KIND, SHORTLIST_NONE_KIND]),
            Delivery.status == DELIVERY_PENDING,
        )
    ).all()
    queued = sorted(
        (keys[(kind, subject, period)], int(row_id))
        for row_id, kind, subject, period in found
        if (kind, subject, period) in keys
    )
    return [row_id for _, row_id in queued]


def _payload_int(payload: Any, key: str) -> int | None:
    value = payload.get(key) if hasattr(payload, "get") else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def shortlist_to_send(session: Session, shortlist_id: int) -> ShortlistOutcome | None:
    """A stored shortlist as the mentee's DM shows it, rebuilt from the database; None when
    it is no longer worth sending (superseded, answered or closed, or already posted)."""
    shortlist = session.get(Shortlist, shortlist_id)
    if shortlist is None or shortlist.status != SHORTLIST_OPEN or shortlist.message_ts:
        return None
    mentee = _ref(session, shortlist.mentee_id)
    program = session.get(Program, shortlist.program_id)
    if mentee is None or program is None:
        return None
    candidates: list[ShortlistCandidate] = []
    for cand in shortlist.candidates or []:
        mentor_id = _payload_int(cand, "mentor_id")
        mentor = None if mentor_id is None else _ref(session, mentor_id)
        if mentor is None:
            continue
        reasons = cand.get("reasons") if isinstance(cand.get("reasons"), list) else []
        score = cand.get("score")
        candidates.append(
            ShortlistCandidate(
                mentor=mentor,
                score=float(score) if isinstance(score, int | float) else 0.0,
                reasons=tuple(str(r) for r in reasons),
            )
        )
    if not candidates:
        return None
    return ShortlistOutcome(
        team_id=shortlist.team_id,
        program_id=program.id,
        mentee=mentee,
        shortlist_id=shortlist.id,
        candidates=tuple(candidates),
        settings=program_settings(program),
    )


def _reason(code: str) -> tuple[str, str]:
    try:
        return code, reason_templates().render(code, {})
    except ValueError:
        return DEFAULT_NONE_CODE, reason_templates().render(DEFAULT_NONE_CODE, {})


def no_mentor_to_send(session: Session, mentee_id: int, code: str) -> ShortlistOutcome | None:
    """'No suitable mentor right now' for a mentee, with the text for `code`; None when they
    are no longer waiting (they left, hold an open list, asked someone or have a mentor)."""
    participation = session.get(Participation, mentee_id)
    mentee = _ref(session, mentee_id)
    if participation is None or mentee is None or participation.status == STATUS_LEFT:
        return None
    if (
        _open_shortlists(session, mentee_id)
        or _pending_request(session, mentee_id) is not None
        or _has_active_pair(session, mentee_id)
    ):
        return None
    program = session.get(Program, participation.program_id)
    if program is None:
        return None
    code, text = _reason(code)
    return ShortlistOutcome(
        team_id=program.team_id,
        program_id=program.id,
        mentee=mentee,
        shortlist_id=None,
        unmatched_code=code,
        unmatched_reason=text,
        settings=program_settings(program),
    )


def run_delivery_counts(session: Session, ids: Sequence[int]) -> tuple[int, int, int]:
    """What became of a run's rows so far: (lists sent or still to go, 'no mentor' messages
    sent or still to go, people Slack could not reach). Dropped rows count nowhere."""
    shortlists = no_mentor = unreachable = 0
    if not ids:
        return 0, 0, 0
    for kind, status in session.execute(
        select(Delivery.kind, Delivery.status).where(Delivery.id.in_(list(ids)))
    ):
        if status == DELIVERY_FAILED:
            unreachable += 1
        elif status in (DELIVERY_SENT, DELIVERY_PENDING):
            shortlists += int(kind == SHORTLIST_KIND)
            no_mentor += int(kind == SHORTLIST_NONE_KIND)
    return shortlists, no_mentor, unreachable
