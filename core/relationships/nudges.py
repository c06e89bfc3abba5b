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
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.matchmaking.models import PAIR_ACTIVE, Pair
from core.messaging.claim import Item, Message
from core.messaging.models import DELIVERY_SENT, DIGEST, Delivery
from core.people.models import Person
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
    both people of a pair get each nudge, so counting one person's is counting the pair's).
    Only earlier periods count, so a nudge drawn again later (a digest redrawn to settle
    another item) keeps the words and buttons it was sent with."""
    subject = f"pair:{pair_id}"
    sent = _sent_periods(session, [subject], [recipient_id])[subject][epoch]
    return len({p for p in sent if p < period}) + 1


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


def check_open(session: Session, info: PairInfo, epoch: object) -> None:
    """A button of a nudge sent under `epoch` acts only while that nudge is unanswered: an
    old nudge's button pressed after an answer (a stale copy, a double click) changes
    nothing. None: a button that names no epoch (Home, or one sent before nudges did)."""
    if epoch is None:
        return
    relationship = relationship_of(session, info.pair_id)
    if relationship is None or isinstance(epoch, bool) or relationship.meeting_epoch != epoch:
        raise RelationshipError("stale")  # also any epoch that is not a number


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
    """A sent message that showed the pair's buttons, to take them away: a message of its own
    (replaced whole), or a digest (`digest`: what it held, to draw again with only the
    answered items settled)."""

    channel: str
    ts: str
    digest: Message | None = None


OUTCOME = "done"  # a sent item's payload: what answered it, {"key": template, "args": {...}}


def posted_nudges(
    session: Session, pair_id: int, kind: str = KIND, outcome: dict[str, Any] | None = None
) -> list[Posted]:
    """The pair's sent nudges (or other messages of `kind`; both people's copies), so that an
    answer can replace them with a one-line ✓. A message sent inside a digest (a message that
    holds other items too) comes with that digest's items, so that only its own part is
    replaced and the other items keep their buttons.

    Nudges: only those the answer just given answered, i.e. sent under the epoch before it
    (every answer grows the epoch by one), so nudges settled by an earlier answer keep their
    ✓ line; other kinds: only those no answer settled before. With `outcome`, each of those rows keeps it (`OUTCOME`), so that a digest drawn
    again after a later answer shows this item's own ✓ line."""
    info = pair_info(session, pair_id)
    if info is None:
        return []
    rows = session.execute(
        select(
            Delivery.id,
            Delivery.slack_channel,
            Delivery.slack_ts,
            Delivery.message_id,
            Delivery.payload,
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
        rows = [r for r in rows if isinstance(r[4], dict) and r[4].get("epoch") == answered]
    else:  # a message answered before (an earlier term's end) keeps the line it got then
        rows = [r for r in rows if not (isinstance(r[4], dict) and OUTCOME in r[4])]
    if outcome is not None:
        _keep(session, [(int(r[0]), r[4]) for r in rows], outcome)
    digests = sent_digests(session, {int(r[3]) for r in rows if r[3] is not None})
    out: dict[tuple[str, str], Posted] = {}
    for _id, channel, ts, message_id, _payload in rows:
        digest = digests.get(message_id) if isinstance(message_id, int) else None
        if channel:
            out[(str(channel), str(ts))] = Posted(str(channel), str(ts), digest)
    return list(out.values())


def answered_in(
    session: Session,
    pair_id: int,
    channel: str,
    ts: str,
    kinds: tuple[str, ...],
    outcome: dict[str, Any],
) -> None:
    """The pair's items of `kinds` in one sent message (the one a button was pressed in) keep
    `outcome`, so that the message drawn again later shows their ✓ line, not their buttons."""
    if not kinds:
        return
    rows = session.execute(
        select(Delivery.id, Delivery.payload).where(
            Delivery.slack_channel == channel,
            Delivery.slack_ts == ts,
            Delivery.kind.in_(kinds),
            Delivery.subject == f"pair:{pair_id}",
            Delivery.status == DELIVERY_SENT,
        )
    ).all()
    _keep(session, [(int(r[0]), r[1]) for r in rows], outcome)


def _keep(session: Session, rows: list[tuple[int, object]], outcome: dict[str, Any]) -> None:
    for row_id, payload in rows:
        kept = {**(payload if isinstance(payload, dict) else {}), OUTCOME: outcome}
        session.execute(update(Delivery).where(Delivery.id == row_id).values(payload=kept))


def sent_digests(session: Session, message_ids: set[int]) -> dict[int, Message]:
    """Of these sent messages, the digests that showed more than one item, each with the items
    it showed in the order it showed them (as the deliverer claimed them)."""
    if not message_ids:
        return {}
    items: dict[int, list[Item]] = defaultdict(list)
    for row in session.execute(
        select(
            Delivery.id,
            Delivery.kind,
            Delivery.subject,
            Delivery.period,
            Delivery.payload,
            Delivery.due_at,
            Delivery.message_id,
        ).where(Delivery.message_id.in_(message_ids), Delivery.status == DELIVERY_SENT)
    ).all():
        payload = row.payload if isinstance(row.payload, dict) else {}
        items[int(row.message_id)].append(
            Item(row.id, row.kind, row.subject, row.period, payload, row.due_at)
        )
    heads = session.execute(
        select(Delivery, Person.slack_user_id, Person.timezone)
        .join(Person, Person.id == Delivery.recipient_id)
        .where(Delivery.id.in_([m for m, shown in items.items() if len(shown) > 1]))
    ).all()
    return {
        head.id: Message(
            id=head.id,
            team_id=head.team_id,
            recipient_id=head.recipient_id,
            user_id=str(user_id),
            timezone=timezone,
            kind=head.kind,
            subject=head.subject,
            period=head.period,
            payload=dict(head.payload or {}),
            attempts=head.attempts,
            items=sorted(items[head.id], key=lambda i: (i.due_at, i.id)),
        )
        for head, user_id, timezone in heads
        if head.kind == DIGEST
    }
