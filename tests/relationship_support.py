"""Helpers for relationship tests: pairs made the way matching leaves them (an active `Pair`
between two confirmed participants), without depending on the matching flow."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from core.kernel.clock import Clock
from core.kernel.db import Database
from core.matchmaking.models import PAIR_ACTIVE, Pair
from core.messaging.ledger import Delivery
from core.onboarding.service import ensure_participation
from core.people.directory import SlackProfile, upsert_person
from core.people.models import STATUS_ACTIVE, Goal, Participation
from core.programs.models import Program
from core.programs.service import default_program
from core.relationships import agreements
from core.relationships.service import member_of, pair_info, start_relationship

TEAM = "T0001"


@dataclass(frozen=True)
class Someone:
    user_id: str
    name: str
    tz: str


ANA = Someone("U_ANA", "Ana Lima", "Europe/Lisbon")
BEN = Someone("U_BEN", "Ben Okafor", "America/New_York")


def add_to_fake(slack: Any, *people: Someone) -> None:
    for p in people:
        slack.add_person(p.user_id, p.name.split()[0].lower(), real_name=p.name, tz=p.tz)


def _participant(
    session: Any, program: Program, who: Someone, clock: Clock, *, mentee: bool
) -> Participation:
    person = upsert_person(
        session,
        TEAM,
        SlackProfile(user_id=who.user_id, display_name=who.name, timezone=who.tz),
        who.user_id,
        clock,
    )
    participation = ensure_participation(session, person, program, clock)
    participation.is_mentee, participation.is_mentor = mentee, not mentee
    participation.status = STATUS_ACTIVE
    participation.capacity = 0 if mentee else 2
    participation.meeting_format = "remote"
    participation.profile_confirmed_at = clock.now()
    participation.confidentiality_ack_at = clock.now()
    session.flush()
    return participation


def seed_pair(
    db: Database,
    clock: Clock,
    mentee: Someone = ANA,
    mentor: Someone = BEN,
    *,
    goals: tuple[tuple[str, str], ...] = (
        ("public-speaking", "Give a talk at the all-hands without notes"),
        ("stakeholder-management", "Keep my steering group aligned"),
    ),
    settings: dict[str, Any] | None = None,
    start: bool = False,
) -> int:
    """An active pair in the default program; `start` also runs the `pair_created` service
    (schedule + invitations queued)."""
    with db.transaction() as session:
        program = default_program(session, TEAM, clock)
        if settings:
            program.settings = {**(program.settings or {}), **settings}
        mentee_p = _participant(session, program, mentee, clock, mentee=True)
        mentor_p = _participant(session, program, mentor, clock, mentee=False)
        for position, (competency, success) in enumerate(goals):
            session.add(
                Goal(
                    team_id=TEAM,
                    participation_id=mentee_p.id,
                    competency_id=competency,
                    success=success,
                    priority=1,
                    position=position,
                )
            )
        pair = Pair(
            team_id=TEAM,
            program_id=program.id,
            mentee_id=mentee_p.id,
            mentor_id=mentor_p.id,
            status=PAIR_ACTIVE,
            created_at=clock.now(),
        )
        session.add(pair)
        session.flush()
        pair_id = pair.id
        if start:
            start_relationship(session, pair_id, clock.now())
    return pair_id


def agree(
    db: Database, clock: Clock, pair_id: int, *, cadence: str = "biweekly", months: int = 6
) -> None:
    """Draft and confirm the agreement through the core services (mentee, then mentor)."""
    with db.transaction() as session:
        info = pair_info(session, pair_id)
        assert info is not None
        _, mentee = member_of(session, info.team_id, info.mentee.user_id, pair_id)
        form, version = agreements.default_form(session, info)
        form.cadence, form.duration_months, form.ground_rules = cadence, months, True
        agreements.submit_draft(session, info, mentee, form, version, clock.now())
    with db.transaction() as session:
        info = pair_info(session, pair_id)
        assert info is not None
        _, mentor = member_of(session, info.team_id, info.mentor.user_id, pair_id)
        version = session.scalar(
            select(agreements.Agreement.version).where(agreements.Agreement.pair_id == pair_id)
        )
        agreements.confirm(session, info, mentor, version, clock.now())


def deliveries(db: Database, **where: Any) -> list[Delivery]:
    with db.transaction() as session:
        query = select(Delivery).order_by(Delivery.id)
        for key, value in where.items():
            query = query.where(getattr(Delivery, key) == value)
        return list(session.scalars(query).all())


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def pressed(slack: Any, user_id: str, action_id: str, value: str) -> dict[str, object]:
    """A button press as Slack sends it, also for a button no longer shown (a replay, or a
    double click whose second press left before the message was updated)."""
    fake = slack.fake
    return {
        "type": "block_actions",
        "user": {"id": user_id, "team_id": TEAM, "name": user_id.lower()},
        "team": {"id": TEAM, "domain": "acme"},
        "api_app_id": fake.app_id,
        "trigger_id": fake.issue_trigger_id(user_id),
        "actions": [{"action_id": action_id, "value": value, "type": "button"}],
        "container": {"type": "message", "channel_id": fake.dm_channel(user_id)},
        "channel": {"id": fake.dm_channel(user_id)},
        "response_url": fake.new_response_url(fake.dm_channel(user_id), user_id),
    }


def button_value(shown: Any, action_id: str) -> str:
    """The value of the button `action_id` in a message (read it before the press)."""
    return str(
        next(
            e["value"]
            for b in shown.blocks
            if b.get("type") == "actions"
            for e in b["elements"]
            if e.get("action_id") == action_id
        )
    )


def press_again(slack: Any, user_id: str, action_id: str, value: str) -> None:
    """Press a button that may no longer be shown, with the value it had."""
    assert slack.d.interaction(pressed(slack, user_id, action_id, value)).status_code == 200
    slack.app.wait_idle()
