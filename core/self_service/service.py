"""What each person can see and do about their own participation: `/mentoring status`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.coordination.models import CoordinatorMatch
from core.kernel.clock import Clock
from core.matchmaking.models import PAIR_ACTIVE, REQUEST_PENDING, MentorRequest, Pair
from core.people.directory import find_person
from core.people.models import STATUS_LEFT, Participation, Person


@dataclass
class ProgramStatus:
    program: str
    roles: str
    status: str  # onboarding | active | paused | left
    paused_until: datetime | None = None


@dataclass
class PairStatus:
    partner: str  # Slack id
    my_role: str  # mentee | mentor
    since: datetime


@dataclass
class RequestStatus:
    other: str  # Slack id
    direction: str  # sent | received
    expires_at: datetime
    via_coordinator: bool


@dataclass
class NextStep:
    when: datetime
    text: str  # already rendered by the feature that owns it (mrkdwn)


@dataclass
class Status:
    joined: bool
    programs: list[ProgramStatus] = field(default_factory=list)
    pairs: list[PairStatus] = field(default_factory=list)
    requests: list[RequestStatus] = field(default_factory=list)
    next_steps: list[NextStep] = field(default_factory=list)


# Features that schedule nudges (meetings, check-ins) add what is coming next for a person:
# fn(session, participation_ids, clock) -> list[NextStep]
NextStepSource = Callable[[Session, list[int], Clock], list[NextStep]]
_NEXT_STEP_SOURCES: list[NextStepSource] = []


def register_next_steps(fn: NextStepSource) -> None:
    _NEXT_STEP_SOURCES.append(fn)


def _slack_id(session: Session, participation_id: int) -> str:
    participation = session.get(Participation, participation_id)
    return participation.person.slack_user_id if participation is not None else ""


def my_status(session: Session, team_id: str, user_id: str, clock: Clock) -> Status:
    person: Person | None = find_person(session, team_id, user_id)
    if person is None or not person.participations:
        return Status(joined=False)
    now = clock.now()
    status = Status(joined=any(p.status != STATUS_LEFT for p in person.participations))
    ids = [p.id for p in person.participations]
    for p in person.participations:
        state = p.status
        if state == "active" and p.paused_until is not None and p.paused_until > now:
            state = "paused"
        status.programs.append(
            ProgramStatus(
                program=p.program.name,
                roles=p.roles,
                status=state,
                paused_until=p.paused_until if state == "paused" else None,
            )
        )
    for pair in session.scalars(
        select(Pair)
        .where(Pair.status == PAIR_ACTIVE, or_(Pair.mentee_id.in_(ids), Pair.mentor_id.in_(ids)))
        .order_by(Pair.created_at)
    ):
        mine_as_mentee = pair.mentee_id in ids
        status.pairs.append(
            PairStatus(
                partner=_slack_id(session, pair.mentor_id if mine_as_mentee else pair.mentee_id),
                my_role="mentee" if mine_as_mentee else "mentor",
                since=pair.created_at,
            )
        )
    for req in session.scalars(
        select(MentorRequest)
        .where(
            MentorRequest.status == REQUEST_PENDING,
            or_(MentorRequest.mentee_id.in_(ids), MentorRequest.mentor_id.in_(ids)),
        )
        .order_by(MentorRequest.expires_at)
    ):
        sent = req.mentee_id in ids
        status.requests.append(
            RequestStatus(
                other=_slack_id(session, req.mentor_id if sent else req.mentee_id),
                direction="sent" if sent else "received",
                expires_at=req.expires_at,
                via_coordinator=bool(
                    session.scalar(
                        select(CoordinatorMatch.id).where(CoordinatorMatch.request_id == req.id)
                    )
                ),
            )
        )
    steps: list[NextStep] = []
    for fn in _NEXT_STEP_SOURCES:
        steps += fn(session, ids, clock)
    status.next_steps = sorted(steps, key=lambda s: s.when)[:5]
    return status
