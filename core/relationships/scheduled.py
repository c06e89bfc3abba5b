"""Whether a relationship message waiting in the delivery ledger is still worth sending.

The ledger may hold a message for hours or days (working hours, a digest, a 429). When its
turn comes, `still_due` applies the rule for its kind to the pair as it is *now* and returns
what the message needs (the pair, the recipient, their partner and the record it is about),
or None: then the item is dropped and nothing is sent. The Slack side only renders.

The rules, by kind:
- an agreement invitation or nudge: only while the pair is active and no agreement is in
  force (a nudge: the relationship has not started);
- a review or a suggestion of changes: only for the agreement version it was queued for,
  still in that state;
- a meeting nudge: only for the meeting rhythm it was planned in (`epoch`), not while
  either person is paused, and not after `nudges.NUDGE_LIMIT` nudges in a row went
  unanswered (the bot stops repeating itself; coordinators see the pair as at risk); it
  carries its place in that streak, which picks its wording and buttons;
- a check-in prompt: only for the current check-in, not answered by the recipient, not
  while paused;
- a check-in summary: only once both have answered and agreed to share;
- the term's end: only if the end date is still the one it was planned for;
- a pause: only while that pause is running;
- a help request: names only the person who asked (`me`), never their partner's answers.
Closure notes, logged meetings, the summary and help requests are sent for ended pairs too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from core.matchmaking.models import PAIR_ACTIVE
from core.programs.settings import ProgramSettings
from core.relationships import checkins, nudges
from core.relationships.models import (
    AGREEMENT_ACTIVE,
    AGREEMENT_CHANGES,
    AGREEMENT_PROPOSED,
    Agreement,
    Meeting,
    Pause,
)
from core.relationships.service import Member, PairState, pair_state, settings_for


@dataclass(frozen=True)
class Queued:
    """A ledger item as the rules see it."""

    kind: str
    recipient_id: int
    payload: Mapping[str, Any]
    period: str
    now: datetime


@dataclass(frozen=True)
class StillDue:
    """What a message that is still worth sending is about."""

    state: PairState
    me: Member
    partner: Member
    agreement: Agreement | None = None
    meeting: Meeting | None = None
    pause: Pause | None = None
    summary: dict[str, Any] | None = None
    settings: ProgramSettings | None = None
    streak: int = 1  # a meeting nudge: which unanswered nudge in a row it is


Rule = Callable[[Session, Queued], StillDue | None]


def _pair(session: Session, item: Queued, *, active: bool = True) -> StillDue | None:
    """The pair the item is about, seen by its recipient (None if gone, or not active)."""
    state = pair_state(session, item.payload.get("pair"))
    if state is None or (active and state.info.status != PAIR_ACTIVE):
        return None
    me = state.info.member(item.recipient_id)
    if me is None:
        return None
    return StillDue(state, me, state.info.partner(me.person_id))


def _with(due: StillDue | None, **fields: Any) -> StillDue | None:
    if due is None:
        return None
    return StillDue(
        due.state,
        due.me,
        due.partner,
        fields.get("agreement", due.agreement),
        fields.get("meeting", due.meeting),
        fields.get("pause", due.pause),
        fields.get("summary", due.summary),
        fields.get("settings", due.settings),
        fields.get("streak", due.streak),
    )


def _agreement_at(due: StillDue | None, status: str, version: Any) -> StillDue | None:
    """Due only while the agreement is still in `status` at `version`."""
    agreement = due.state.agreement if due is not None else None
    if agreement is None or agreement.status != status or agreement.version != version:
        return None
    return _with(due, agreement=agreement)


def _invite(session: Session, item: Queued) -> StillDue | None:
    due = _pair(session, item)
    if due is None:
        return None
    agreement = due.state.agreement
    return None if agreement is not None and agreement.status == AGREEMENT_ACTIVE else due


def _review(session: Session, item: Queued) -> StillDue | None:
    return _agreement_at(_pair(session, item), AGREEMENT_PROPOSED, item.payload.get("version"))


def _changes(session: Session, item: Queued) -> StillDue | None:
    return _agreement_at(_pair(session, item), AGREEMENT_CHANGES, item.payload.get("version"))


def _active(session: Session, item: Queued) -> StillDue | None:
    due = _pair(session, item)
    agreement = due.state.agreement if due is not None else None
    if agreement is None or agreement.status != AGREEMENT_ACTIVE:
        return None
    return _with(due, agreement=agreement)


def _agreement_nudge(session: Session, item: Queued) -> StillDue | None:
    due = _pair(session, item)
    if due is None:
        return None
    relationship = due.state.relationship
    return None if relationship is None or relationship.active_since is not None else due


def _meeting_nudge(session: Session, item: Queued) -> StillDue | None:
    due = _pair(session, item)
    if due is None:
        return None
    relationship, agreement = due.state.relationship, due.state.agreement
    if (
        relationship is None
        or relationship.active_since is None
        or agreement is None
        or item.payload.get("epoch") != relationship.meeting_epoch
        or due.state.paused(item.now)
    ):
        return None
    streak = nudges.streak(
        session, due.state.info.pair_id, item.recipient_id, relationship.meeting_epoch, item.period
    )
    if streak > nudges.NUDGE_LIMIT:
        return None
    return _with(due, agreement=agreement, streak=streak)


def _meeting_logged(session: Session, item: Queued) -> StillDue | None:
    meeting = session.get(Meeting, item.payload.get("meeting"))
    due = _pair(session, item, active=False)
    return _with(due, meeting=meeting) if meeting is not None else None


def _checkin(session: Session, item: Queued) -> StillDue | None:
    due = _pair(session, item)
    seq = item.payload.get("seq")
    if (
        due is None
        or not isinstance(seq, int)
        or due.state.relationship is None
        or seq != due.state.relationship.checkin_seq
        or due.state.paused(item.now)
        or checkins.answered(session, due.state.info, due.me, seq) is not None
    ):
        return None
    return due


def _summary(session: Session, item: Queued) -> StillDue | None:
    due = _pair(session, item, active=False)
    seq = item.payload.get("seq")
    if due is None or not isinstance(seq, int):
        return None
    shared = checkins.summary(session, due.state.info, seq)
    return _with(due, summary=shared) if shared is not None else None


def _help(session: Session, item: Queued) -> StillDue | None:
    """Sent to coordinators, who are not members of the pair: only the pair must exist.
    `me` is the person who asked (requests queued before that was recorded: the mentee)."""
    state = pair_state(session, item.payload.get("pair"))
    if state is None:
        return None
    asker = state.info.member(item.payload.get("by", state.info.mentee.person_id))
    if asker is None:
        return None
    return StillDue(state, asker, state.info.partner(asker.person_id))


def _term_end(session: Session, item: Queued) -> StillDue | None:
    due = _pair(session, item)
    if due is None:
        return None
    relationship = due.state.relationship
    if (
        relationship is None
        or relationship.ends_at is None
        or relationship.ends_at.date().isoformat() != item.period
    ):
        return None
    return _with(due, settings=settings_for(session, due.state.info.program_id))


def _pause_started(session: Session, item: Queued) -> StillDue | None:
    record = session.get(Pause, item.payload.get("pause"))
    if record is None or record.ended_at is not None:
        return None
    return _with(_pair(session, item), pause=record)


def _any_active(session: Session, item: Queued) -> StillDue | None:
    return _pair(session, item)


def _any(session: Session, item: Queued) -> StillDue | None:
    return _pair(session, item, active=False)


RULES: dict[str, Rule] = {
    "agreement_invite": _invite,
    "agreement_review": _review,
    "agreement_changes": _changes,
    "agreement_active": _active,
    "agreement_nudge": _agreement_nudge,
    "meeting_nudge": _meeting_nudge,
    "meeting_logged": _meeting_logged,
    "checkin": _checkin,
    "not_working": _any_active,
    "checkin_summary": _summary,
    "help_request": _help,
    "closure": _any,
    "term_end": _term_end,
    "extended": _any_active,
    "pause_started": _pause_started,
    "pause_ended": _any_active,
}


def still_due(session: Session, item: Queued) -> StillDue | None:
    """The rule for the item's kind applied to the pair as it is now (None: drop it)."""
    rule = RULES.get(item.kind)
    return rule(session, item) if rule is not None else None
