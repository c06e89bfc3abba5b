"""Check-ins on the learning agreement: each person answers privately; "not working" leads to
a coordinator or a no-fault ending; and the end of the planned duration: complete or extend."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.kernel.clock import Clock
from core.kernel.db import insert_if_new
from core.people.directory import upsert_person
from core.relationships.models import (
    HEALTH_VALUES,
    PROGRESS_VALUES,
    CheckIn,
    HelpRequest,
    Relationship,
)
from core.relationships.service import (
    END_COMPLETED,
    END_NO_FAULT,
    Member,
    PairInfo,
    RelationshipError,
    add_months,
    agreement_of,
    close_pair,
    relationship_of,
    send_now,
    settings_for,
)

CHECKIN_NOTE_MAX = 1000


@dataclass
class CheckinAnswers:
    """One person's answers to a check-in, as submitted."""

    progress: list[str]
    health: str
    note: str | None
    share: bool


def checkin_goals(session: Session, info: PairInfo) -> list[str]:
    """The agreement's goal titles, in order (what the check-in asks about)."""
    agreement = agreement_of(session, info.pair_id)
    return [str(g.get("title") or "") for g in (agreement.goals if agreement else [])]


def answered(session: Session, info: PairInfo, member: Member, seq: int) -> CheckIn | None:
    return session.scalars(
        select(CheckIn).where(
            CheckIn.pair_id == info.pair_id,
            CheckIn.person_id == member.person_id,
            CheckIn.seq == seq,
        )
    ).first()


def check_seq(session: Session, info: PairInfo, seq: Any) -> int:
    relationship = relationship_of(session, info.pair_id)
    if not isinstance(seq, int) or relationship is None or not 1 <= seq <= relationship.checkin_seq:
        raise RelationshipError("stale")
    return seq


def submit_checkin(
    session: Session,
    info: PairInfo,
    member: Member,
    seq: Any,
    *,
    progress: list[str],
    health: str,
    note: str | None,
    share: bool,
    now: datetime,
) -> tuple[int | None, list[int]]:
    """Save one person's check-in answers. Returns (check-in id or None if this check-in was
    already answered, ledger ids to send now)."""
    seq = check_seq(session, info, seq)
    goals = checkin_goals(session, info)
    if len(progress) != len(goals) or any(p not in PROGRESS_VALUES for p in progress):
        raise RelationshipError("checkin_incomplete")
    if health not in HEALTH_VALUES:
        raise RelationshipError("checkin_incomplete")
    note = (note or "").strip() or None
    if note is not None and len(note) > CHECKIN_NOTE_MAX:
        raise RelationshipError("too_long_note", limit=CHECKIN_NOTE_MAX)
    checkin_id = insert_if_new(
        session,
        CheckIn,
        ("pair_id", "person_id", "seq"),
        team_id=info.team_id,
        pair_id=info.pair_id,
        person_id=member.person_id,
        seq=seq,
        progress=list(progress),
        health=health,
        note=note,
        share_summary=share,
        answered_at=now,
    )
    if checkin_id is None:
        return None, []
    ids: list[int] = []
    if health == "not_working":
        ids += send_now(
            session,
            info,
            "not_working",
            now,
            to=[member],
            subject=f"checkin:{checkin_id}",
        )
    partner = info.partner(member.person_id)
    other = answered(session, info, partner, seq)
    if share and other is not None and other.share_summary:
        ids += send_now(
            session, info, "checkin_summary", now, period=str(seq), payload={"seq": seq}
        )
    return int(checkin_id), ids


def summary(session: Session, info: PairInfo, seq: int) -> dict[str, Any] | None:
    """The shared summary of a check-in: per goal, both people's progress (no notes, no
    relationship answer). None unless both answered and both agreed to share."""
    answers = {
        c.person_id: c
        for c in session.scalars(
            select(CheckIn).where(CheckIn.pair_id == info.pair_id, CheckIn.seq == seq)
        ).all()
    }
    mentee, mentor = answers.get(info.mentee.person_id), answers.get(info.mentor.person_id)
    if mentee is None or mentor is None or not (mentee.share_summary and mentor.share_summary):
        return None
    goals = checkin_goals(session, info)
    return {
        "goals": [
            {
                "title": title,
                "mentee": mentee.progress[i] if i < len(mentee.progress) else None,
                "mentor": mentor.progress[i] if i < len(mentor.progress) else None,
            }
            for i, title in enumerate(goals)
        ]
    }


def request_help(
    session: Session, info: PairInfo, member: Member, clock: Clock, source: str = "checkin"
) -> tuple[int, bool, list[int]]:
    """Ask to talk to a coordinator. Coordinators named by Slack id in the program settings
    are told who asked (only that person, nothing they answered). Returns (request id, new,
    ledger ids)."""
    now = clock.now()
    existing = session.scalars(
        select(HelpRequest).where(
            HelpRequest.pair_id == info.pair_id,
            HelpRequest.person_id == member.person_id,
            HelpRequest.status == "open",
        )
    ).first()
    if existing is not None:
        return existing.id, False, []
    request = HelpRequest(
        team_id=info.team_id,
        pair_id=info.pair_id,
        person_id=member.person_id,
        source=source,
        status="open",
        created_at=now,
    )
    session.add(request)
    session.flush()
    ids: list[int] = []
    for user_id in coordinator_ids(session, info.program_id):
        coordinator = upsert_person(session, info.team_id, None, user_id, clock)
        if coordinator.unreachable:
            continue
        helper = Member(
            person_id=coordinator.id,
            user_id=user_id,
            name=coordinator.display_name,
            participation_id=0,
            role="mentor",
            timezone=coordinator.timezone,
            unreachable=False,
        )
        ids += send_now(
            session,
            info,
            "help_request",
            now,
            to=[helper],
            subject=f"help:{request.id}",
            payload={"by": member.person_id},
        )
    return request.id, True, ids


def coordinator_ids(session: Session, program_id: int) -> list[str]:
    """Slack user ids of the program's coordinators, from the coordinators table (the one
    source of who coordinates; the `coordinators` setting is only a contact name)."""
    try:
        from core.coordination.service import coordinator_ids as registered
    except ModuleNotFoundError:  # the coordinator console is not installed
        return []
    return registered(session, program_id)


def end_no_fault(session: Session, info: PairInfo, member: Member, now: datetime) -> list[int]:
    """End the relationship kindly, no questions: both are told; the mentee is offered a new
    mentor."""
    ids = close_pair(session, info, END_NO_FAULT, now)
    if ids is None:
        raise RelationshipError("pair_closed", partner=info.partner(member.person_id).name)
    return ids


def complete(session: Session, info: PairInfo, member: Member, now: datetime) -> list[int]:
    ids = close_pair(session, info, END_COMPLETED, now)
    if ids is None:
        raise RelationshipError("pair_closed", partner=info.partner(member.person_id).name)
    return ids


def extend(
    session: Session, info: PairInfo, member: Member, period: Any, now: datetime
) -> list[int]:
    """Extend the planned duration (program setting, default 3 months), once per end date:
    a second click, or the partner clicking too, changes nothing."""
    relationship = relationship_of(session, info.pair_id)
    if relationship is None or relationship.ends_at is None:
        raise RelationshipError("stale")
    if period != relationship.ends_at.date().isoformat():
        raise RelationshipError("already_extended")
    months = settings_for(session, info.program_id).extension_months
    new_end = add_months(relationship.ends_at, months)
    result = session.execute(
        update(Relationship)
        .where(Relationship.id == relationship.id, Relationship.ends_at == relationship.ends_at)
        .values(ends_at=new_end, term_asked_at=None)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise RelationshipError("already_extended")
    return send_now(
        session,
        info,
        "extended",
        now,
        period=new_end.date().isoformat(),
        payload={"until": new_end.date().isoformat(), "by": member.person_id},
    )
