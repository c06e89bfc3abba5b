"""Report figures read from the relationship tables (agreements, meetings, check-ins, help
requests), registered with `core.coordination.reports`. Everything here is counted per program and
handed on as numbers or pair ids: no agreement text, note or answer leaves this module, and
the k rule is applied by `core.coordination.reports` before anyone sees a figure.

Check-in answers are private to each person, so they are only ever counted: no single
pair's answers reach coordinators. A pair appears in the at-risk list only when someone in
it asked to talk to a coordinator, or (ids only) when it left the bot's reminders to meet
unanswered until the bot stopped sending them.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, time
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.coordination.reports import register_source
from core.matchmaking.models import PAIR_ACTIVE, Pair
from core.people.models import Goal, Participation

try:  # the relationship feature's tables
    from core.relationships.models import (
        AGREEMENT_ACTIVE,
        Agreement,
        CheckIn,
        HelpRequest,
        Meeting,
        Relationship,
    )
    from core.relationships.nudges import silent_pair_ids
except ImportError:  # pragma: no cover - that feature is not installed
    AVAILABLE = False
else:
    AVAILABLE = True

PROGRESSING = ("some_progress", "good_progress", "achieved")
STRUGGLING = ("could_be_better", "not_working")


def agreed_pair_ids(session: Session, program_id: int) -> set[int]:
    return set(
        session.scalars(
            select(Agreement.pair_id)
            .join(Pair, Pair.id == Agreement.pair_id)
            .where(Pair.program_id == program_id, Agreement.status == AGREEMENT_ACTIVE)
        )
    )


def _meetings_per_pair(session: Session, program_id: int, figure: Any) -> list[Any]:
    """(pair id, `figure` over that pair's meetings) for the pairs of the program."""
    return list(
        session.execute(
            select(Meeting.pair_id, figure)
            .join(Pair, Pair.id == Meeting.pair_id)
            .where(Pair.program_id == program_id)
            .group_by(Meeting.pair_id)
        ).all()
    )


def meetings_by_pair(session: Session, program_id: int) -> dict[int, int]:
    rows = _meetings_per_pair(session, program_id, func.count(Meeting.id))
    return {int(pair_id): int(count) for pair_id, count in rows}


def last_meeting_by_pair(session: Session, program_id: int) -> dict[int, datetime]:
    rows = _meetings_per_pair(session, program_id, func.max(Meeting.met_on))
    return {
        int(pair_id): datetime.combine(met_on, time(0), tzinfo=UTC)
        for pair_id, met_on in rows
        if met_on is not None
    }


def checkin_counts(session: Session, program_id: int) -> tuple[int, int]:
    """(check-ins asked, check-ins answered): each check-in goes to both people of a pair."""
    asked = session.scalar(
        select(func.coalesce(func.sum(Relationship.checkin_seq), 0)).where(
            Relationship.program_id == program_id
        )
    )
    answered = session.scalar(
        select(func.count(CheckIn.id))
        .join(Pair, Pair.id == CheckIn.pair_id)
        .where(Pair.program_id == program_id)
    )
    return 2 * int(asked or 0), int(answered or 0)


def _latest_mentee_checkins(session: Session, program_id: int) -> dict[int, Any]:
    """pair id -> the mentee's latest check-in in that pair."""
    rows = session.execute(
        select(Pair.id, CheckIn)
        .join(CheckIn, CheckIn.pair_id == Pair.id)
        .join(Participation, Participation.id == Pair.mentee_id)
        .where(Pair.program_id == program_id, CheckIn.person_id == Participation.person_id)
        .order_by(CheckIn.seq)
    ).all()
    latest: dict[int, Any] = {}
    for pair_id, checkin in rows:
        latest[int(pair_id)] = checkin
    return latest


def goal_progress(session: Session, program_id: int) -> dict[str, tuple[int, int]]:
    """competency id -> (mentees who reported on their goals, of whom reporting progress),
    from each mentee's latest check-in in each pair."""
    latest = _latest_mentee_checkins(session, program_id)
    if not latest:
        return {}
    mentee_of = dict(
        session.execute(select(Pair.id, Pair.mentee_id).where(Pair.id.in_(latest))).all()
    )
    competencies: dict[int, set[str]] = defaultdict(set)
    for participation_id, competency_id in session.execute(
        select(Goal.participation_id, Goal.competency_id).where(
            Goal.participation_id.in_(set(mentee_of.values()))
        )
    ):
        competencies[participation_id].add(competency_id)
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for pair_id, checkin in latest.items():
        progressing = any(value in PROGRESSING for value in checkin.progress or [])
        for competency_id in competencies.get(mentee_of.get(pair_id, -1), set()):
            out[competency_id][0] += 1
            out[competency_id][1] += int(progressing)
    return {c: (v[0], v[1]) for c, v in out.items()}


def could_be_better_count(session: Session, program_id: int) -> int:
    """Active pairs whose latest check-in (by either person) says it could be better: a
    count only."""
    rows = session.execute(
        select(CheckIn.pair_id, CheckIn.person_id, CheckIn.seq, CheckIn.health)
        .join(Pair, Pair.id == CheckIn.pair_id)
        .where(Pair.program_id == program_id, Pair.status == PAIR_ACTIVE)
        .order_by(CheckIn.seq)
    ).all()
    latest: dict[tuple[int, int], str] = {}
    for pair_id, person_id, _seq, health in rows:
        latest[(pair_id, person_id)] = health
    return len({pair_id for (pair_id, _), health in latest.items() if health in STRUGGLING})


def help_requested_pair_ids(session: Session, program_id: int) -> set[int]:
    """Pairs where someone asked to talk to a coordinator (their own choice to involve one)."""
    return set(
        session.scalars(
            select(HelpRequest.pair_id)
            .join(Pair, Pair.id == HelpRequest.pair_id)
            .where(
                Pair.program_id == program_id,
                Pair.status == PAIR_ACTIVE,
                HelpRequest.status == "open",
            )
        )
    )


def cadence_days_by_pair(session: Session, program_id: int) -> dict[int, int]:
    rows = session.execute(
        select(Relationship.pair_id, Relationship.cadence_days).where(
            Relationship.program_id == program_id, Relationship.cadence_days.is_not(None)
        )
    ).all()
    return {int(pair_id): int(days) for pair_id, days in rows if days is not None}


if AVAILABLE:
    register_source("cadence_days_by_pair", cadence_days_by_pair)
    register_source("agreed_pair_ids", agreed_pair_ids)
    register_source("meetings_by_pair", meetings_by_pair)
    register_source("last_meeting_by_pair", last_meeting_by_pair)
    register_source("checkin_counts", checkin_counts)
    register_source("goal_progress", goal_progress)
    register_source("could_be_better_count", could_be_better_count)
    register_source("help_requested_pair_ids", help_requested_pair_ids)
    register_source("unanswered_nudge_pair_ids", silent_pair_ids)
