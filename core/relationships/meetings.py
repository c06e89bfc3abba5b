"""Meetings: logging that a pair met (with an optional private note), and the answers to a
meeting nudge ("Scheduled", "Snooze a week")."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.kernel.db import insert_if_new
from core.relationships.models import Meeting, MeetingNote, Relationship
from core.relationships.service import (
    Member,
    PairInfo,
    RelationshipError,
    ensure_relationship,
    local_today,
    relationship_of,
    send_now,
)

NOTE_MAX = 2000

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def parse_date(text: str, today: date) -> date:
    """A meeting date as people type it: empty or "today", "yesterday", a weekday name (the
    latest one), "2026-03-05", "5 March", "March 5" (this year). Raises RelationshipError."""
    value = text.strip().lower().rstrip(".")
    if value in ("", "today"):
        return today
    if value == "yesterday":
        return today - timedelta(days=1)
    weekday = value.removeprefix("last ").strip()
    if weekday in _WEEKDAYS:
        return today - timedelta(days=(today.weekday() - _WEEKDAYS.index(weekday)) % 7)
    try:
        return date.fromisoformat(value)
    except ValueError:
        pass
    match = re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+),?(?:\s+(\d{4}))?", value) or None
    day_first = True
    if match is None:
        match = re.fullmatch(r"([a-z]+)\s+(\d{1,2})(?:st|nd|rd|th)?,?(?:\s+(\d{4}))?", value)
        day_first = False
    if match is not None:
        day_text, month_text = (match[1], match[2]) if day_first else (match[2], match[1])
        month = _MONTHS.get(month_text)
        if month is not None:
            try:
                return date(int(match[3] or today.year), month, int(day_text))
            except ValueError:
                pass
    raise RelationshipError("bad_date", text=text.strip())


def log_meeting(
    session: Session, info: PairInfo, member: Member, met_on: date, now: datetime
) -> tuple[int, bool, list[int]]:
    """Record that the pair met on `met_on`. Returns (meeting id, new, ledger ids to send):
    the same day logged again (by either person, or a double click) is the same meeting and
    is confirmed only once."""
    today = local_today(now, member.timezone)
    if met_on > today:
        raise RelationshipError("future_date")
    if met_on < local_today(info.created_at, member.timezone):
        raise RelationshipError("before_pair")
    new_id = insert_if_new(
        session,
        Meeting,
        ("pair_id", "met_on"),
        team_id=info.team_id,
        pair_id=info.pair_id,
        met_on=met_on,
        logged_by=member.person_id,
        created_at=now,
    )
    if new_id is None:
        existing = session.scalar(
            select(Meeting.id).where(Meeting.pair_id == info.pair_id, Meeting.met_on == met_on)
        )
        assert existing is not None
        return int(existing), False, []
    relationship, _ = ensure_relationship(session, info, now)
    last = max(filter(None, (relationship.last_met_on, met_on)))
    values: dict[str, object] = {
        "last_met_on": last,
        "meeting_epoch": Relationship.meeting_epoch + 1,
    }
    if relationship.cadence_days and relationship.active_since is not None:
        values["next_meeting_nudge_at"] = datetime.combine(
            last + timedelta(days=relationship.cadence_days), time(0), tzinfo=UTC
        )
    session.execute(update(Relationship).where(Relationship.id == relationship.id).values(**values))
    ids = send_now(
        session,
        info,
        "meeting_logged",
        now,
        subject=f"meeting:{new_id}",
        payload={"meeting": int(new_id), "by": member.person_id, "date": met_on.isoformat()},
    )
    return int(new_id), True, ids


def meeting_of_pair(session: Session, info: PairInfo, meeting_id: object) -> Meeting:
    meeting = session.get(Meeting, meeting_id) if isinstance(meeting_id, int) else None
    if meeting is None or meeting.pair_id != info.pair_id:
        raise RelationshipError("not_in_pair")
    return meeting


def save_note(
    session: Session, info: PairInfo, member: Member, meeting_id: object, text: str, now: datetime
) -> None:
    """Keep (or replace) the person's private note on a meeting. Empty text removes it."""
    meeting = meeting_of_pair(session, info, meeting_id)
    text = text.strip()
    if len(text) > NOTE_MAX:
        raise RelationshipError("too_long_note", limit=NOTE_MAX)
    existing = session.scalars(
        select(MeetingNote).where(
            MeetingNote.meeting_id == meeting.id, MeetingNote.person_id == member.person_id
        )
    ).first()
    if not text:
        if existing is not None:
            session.delete(existing)
        return
    if existing is None:
        session.add(
            MeetingNote(
                team_id=info.team_id,
                meeting_id=meeting.id,
                person_id=member.person_id,
                note=text,
                updated_at=now,
            )
        )
    else:
        existing.note, existing.updated_at = text, now


def note_of(session: Session, meeting_id: int, person_id: int) -> str | None:
    return session.scalar(
        select(MeetingNote.note).where(
            MeetingNote.meeting_id == meeting_id, MeetingNote.person_id == person_id
        )
    )


def put_off(session: Session, info: PairInfo, now: datetime, days: int) -> datetime:
    """Move the next meeting nudge to `days` from now ("Snooze a week", "Scheduled")."""
    relationship = relationship_of(session, info.pair_id)
    if relationship is None or relationship.active_since is None:
        raise RelationshipError("no_agreement_yet")
    when = now + timedelta(days=days)
    session.execute(
        update(Relationship)
        .where(Relationship.id == relationship.id)
        .values(next_meeting_nudge_at=when, meeting_epoch=Relationship.meeting_epoch + 1)
    )
    return when


def recent_meetings(session: Session, pair_id: int, limit: int = 3) -> list[Meeting]:
    return list(
        session.scalars(
            select(Meeting)
            .where(Meeting.pair_id == pair_id)
            .order_by(Meeting.met_on.desc())
            .limit(limit)
        ).all()
    )
