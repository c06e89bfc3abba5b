"""How a pair answers its meeting nudges: the unanswered streak, the rhythm, and the messages a
later answer settles.

A nudge is *answered* when either person logs a meeting, says it is scheduled, snoozes,
changes the rhythm or pauses from it: each of those grows `relationships.meeting_epoch`. So the
nudges sent under the current epoch are exactly the ones nobody answered, counted from the
ledger (one per period, whichever of the two copies went out). The streak picks the nudge's
wording and buttons; after `NUDGE_LIMIT` unanswered nudges the bot stops repeating itself
(`core.relationships.scheduled` drops further ones) and the pair is listed as at risk for
coordinators (`silent_pair_ids`: ids only).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.matchmaking.models import PAIR_ACTIVE, Pair
from core.messaging.models import DELIVERY_SENT, Delivery
from core.relationships.models import CADENCE_DAYS, Agreement, Relationship
from core.relationships.service import PairInfo, RelationshipError, pair_info, relationship_of

NUDGE_LIMIT = 3  # unanswered nudges in a row before the bot stops and a coordinator sees it
KIND = "meeting_nudge"


def _sent_periods(
    session: Session, subjects: list[str], recipients: list[int] | None = None
) -> dict[str, dict[int, set[str]]]:
    """subject -> epoch -> periods of meeting nudges sent to either person of the pair (or to
    `recipients`: then the ledger's unique key (recipient, kind, subject, ...) is the index)."""
    out: dict[str, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
    if not subjects:
        return out
    query = select(Delivery.subject, Delivery.period, Delivery.payload).where(
        Delivery.kind == KIND,
        Delivery.subject.in_(subjects),
        Delivery.status == DELIVERY_SENT,
    )
    if recipients is not None:
        query = query.where(Delivery.recipient_id.in_(recipients))
    rows = session.execute(query).all()
    for subject, period, payload in rows:
        epoch = payload.get("epoch") if isinstance(payload, dict) else None
        if isinstance(epoch, int):
            out[str(subject)][epoch].add(str(period))
    return out


def streak(session: Session, pair_id: int, recipient_id: int, epoch: int, period: str) -> int:
    """Which unanswered nudge in a row the recipient's nudge of `period` is (1 for the first;
    both people of a pair get each nudge, so counting one person's is counting the pair's)."""
    subject = f"pair:{pair_id}"
    earlier = _sent_periods(session, [subject], [recipient_id])[subject][epoch] - {period}
    return len(earlier) + 1


def silent_pair_ids(session: Session, program_id: int) -> set[int]:
    """Active pairs of the program that left `NUDGE_LIMIT` nudges in a row unanswered."""
    rows = session.execute(
        select(Relationship.pair_id, Relationship.meeting_epoch)
        .join(Pair, Pair.id == Relationship.pair_id)
        .where(Relationship.program_id == program_id, Pair.status == PAIR_ACTIVE)
    ).all()
    epochs = {f"pair:{pair_id}": (int(pair_id), int(epoch or 0)) for pair_id, epoch in rows}
    sent = _sent_periods(session, list(epochs))
    return {
        pair_id
        for subject, (pair_id, epoch) in epochs.items()
        if len(sent[subject][epoch]) >= NUDGE_LIMIT
    }


def answered(session: Session, info: PairInfo) -> None:
    """Someone answered the nudges another way (e.g. a pause): start the count again."""
    relationship = relationship_of(session, info.pair_id)
    if relationship is not None:
        session.execute(
            update(Relationship)
            .where(Relationship.id == relationship.id)
            .values(meeting_epoch=Relationship.meeting_epoch + 1)
        )


def change_cadence(session: Session, info: PairInfo, cadence: str, now: datetime) -> datetime:
    """*Change our rhythm*: the agreement's cadence and the nudge timer follow; the count of
    unanswered nudges starts again. Returns when the next nudge is due."""
    days = CADENCE_DAYS.get(cadence)
    if days is None:
        raise RelationshipError("bad_cadence")
    relationship = relationship_of(session, info.pair_id)
    agreement = session.scalars(select(Agreement).where(Agreement.pair_id == info.pair_id)).first()
    if relationship is None or relationship.active_since is None or agreement is None:
        raise RelationshipError("no_agreement_yet")
    agreement.cadence, agreement.updated_at = cadence, now
    when = now + timedelta(days=days)
    session.execute(
        update(Relationship)
        .where(Relationship.id == relationship.id)
        .values(
            cadence_days=days,
            next_meeting_nudge_at=when,
            meeting_epoch=Relationship.meeting_epoch + 1,
        )
    )
    return when


@dataclass(frozen=True)
class Posted:
    """A sent nudge whose message holds nothing else: its buttons can be taken away."""

    channel: str
    ts: str


def posted_nudges(session: Session, pair_id: int, kind: str = KIND) -> list[Posted]:
    """The pair's sent nudges (or other messages of `kind`; both people's copies) that are
    alone in their message, so that an answer can replace them with a one-line ✓. Nudges
    batched with other items keep their buttons (those answer "already taken care of").

    Nudges: only those the answer just given answered, i.e. sent under the epoch before it
    (every answer grows the epoch by one), so nudges settled by an earlier answer keep their
    ✓ line."""
    info = pair_info(session, pair_id)
    if info is None:
        return []
    rows = session.execute(
        select(
            Delivery.slack_channel, Delivery.slack_ts, Delivery.message_id, Delivery.payload
        ).where(
            Delivery.recipient_id.in_([m.person_id for m in info.members]),
            Delivery.kind == kind,
            Delivery.subject == f"pair:{pair_id}",
            Delivery.status == DELIVERY_SENT,
            Delivery.slack_ts.is_not(None),
        )
    ).all()
    if kind == KIND:
        relationship = relationship_of(session, pair_id)
        answered = (relationship.meeting_epoch - 1) if relationship is not None else None
        rows = [r for r in rows if isinstance(r[3], dict) and r[3].get("epoch") == answered]
    message_ids = {r[2] for r in rows if r[2] is not None}
    crowded: set[int] = set()
    if message_ids:
        siblings = session.execute(
            select(Delivery.message_id, Delivery.id).where(Delivery.message_id.in_(message_ids))
        ).all()
        counts: dict[int, int] = defaultdict(int)
        for message_id, _id in siblings:
            if message_id is not None:
                counts[int(message_id)] += 1
        crowded = {m for m, n in counts.items() if n > 1}
    return [
        Posted(str(channel), str(ts))
        for channel, ts, message_id, _payload in rows
        if channel and message_id not in crowded
    ]
