"""Privacy by construction: the k rule for aggregates, "my data" and "forget me".

- Aggregates shown to coordinators go through `mask` / `mask_partition`: a group smaller than
  the program's minimum k is shown as "fewer than k", and when that would let a reader work a
  hidden cell out from a shown total, the next smallest cell is hidden too.
- `my_data` gathers every row about a person (for the DM and the JSON file they receive);
  fields private to someone else (a mentor's reason for declining, a partner's answers) are
  left out.
- `forget_me` deletes or anonymises every row about a person; pairs end first so partners
  can be told kindly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Table, delete, or_, select, update
from sqlalchemy.orm import Session

import core.kernel.schema  # noqa: F401  (every table known)
from core.coordination.models import AuditEvent, Coordinator
from core.kernel.clock import Clock
from core.kernel.models import Base
from core.kernel.texts import plain
from core.matchmaking.models import (
    PAIR_ACTIVE,
    PAIR_ENDED_EARLY,
    REQUEST_CANCELLED,
    REQUEST_PENDING,
    MentorRequest,
    Pair,
    Shortlist,
)
from core.messaging.models import ANNOUNCEMENT, INVITATION, Delivery
from core.people.models import STATUS_LEFT, Participation, Person
from core.programs.models import Program
from core.programs.service import program_settings
from core.programs.settings import MIN_K as MIN_K
from core.programs.settings import ProgramSettings

FORGOTTEN = "forgotten"  # replaces a forgotten person's id in the audit log


def program_k(settings: ProgramSettings) -> int:
    """The program's minimum group size (never below MIN_K: checked in ProgramSettings)."""
    return settings.privacy_min_group


# --- the k rule ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    """A count as a coordinator may see it: the number, or "fewer than k"."""

    value: int | None
    k: int
    # Why it is hidden: "small" (fewer than k) or "complement" (it would reveal a small one)
    reason: str = "small"

    @property
    def hidden(self) -> bool:
        return self.value is None

    def __str__(self) -> str:
        if self.value is None:
            key = (
                "coordinator.not_shown" if self.reason == "complement" else "coordinator.fewer_than"
            )
            return plain(key, k=self.k)
        return str(self.value)


def mask(count: int, k: int) -> Shown:
    """A group smaller than k (zero included) is not shown."""
    return Shown(count if count >= k else None, k)


def mask_partition(counts: Mapping[str, int], k: int, *, total_shown: bool) -> dict[str, Shown]:
    """Mask the cells of a partition (cells that add up to a total).

    When the total is shown and exactly one cell is hidden, that cell could be worked out by
    subtraction: the smallest shown cell is hidden too (complementary suppression)."""
    shown = {name: mask(count, k) for name, count in counts.items()}
    hidden = [name for name, s in shown.items() if s.hidden]
    visible = sorted((c, name) for name, c in counts.items() if not shown[name].hidden)
    if total_shown and len(hidden) == 1 and visible:
        _, smallest = visible[0]
        shown[smallest] = Shown(None, k, reason="complement")
    return shown


def mask_rate(numerator: float, denominator: int, k: int) -> float | None:
    """A rate over a group: None (not shown) when the group is smaller than k."""
    if denominator < k or denominator <= 0:
        return None
    return numerator / denominator


# --- ownership declarations -----------------------------------------------------------------

# Columns private to one person of a row: (table, column) -> the column naming the owner (a
# participation or person id). Everyone else's copy of the row leaves the column out.
PRIVATE_COLUMNS: dict[tuple[str, str], str] = {
    ("mentor_requests", "decline_reason"): "mentor_id",
}
# Tables whose rows (linked to a pair) are shared by both people of the pair, such as the
# learning agreement. Rows of other pair-linked tables (check-in answers) stay private.
PAIR_SHARED_TABLES: set[str] = set()


def declare_private_column(table: str, column: str, owner_column: str) -> None:
    """Features with per-person fields in shared rows declare them here."""
    PRIVATE_COLUMNS[(table, column)] = owner_column


def declare_pair_shared(table: str) -> None:
    PAIR_SHARED_TABLES.add(table)


# --- my data --------------------------------------------------------------------------------


@dataclass
class MyData:
    found: bool
    person: dict[str, Any] = field(default_factory=dict)
    programs: list[dict[str, Any]] = field(default_factory=list)
    pairs: list[dict[str, Any]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    coordinator_of: list[str] = field(default_factory=list)
    audit_as_actor: int = 0
    audit_as_target: int = 0
    messages_queued: int = 0
    # Every row about the person, table by table (for the JSON file).
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def _jsonable(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def _fk_targets(table: Table) -> dict[str, str]:
    """column name -> referenced table name, for single-column foreign keys."""
    out: dict[str, str] = {}
    for fk in table.foreign_keys:
        out[fk.parent.name] = fk.column.table.name
    return out


def _rows_about(
    session: Session,
    team_id: str,
    user_id: str,
    person_ids: set[int],
    participation_ids: set[int],
    pair_ids: set[int],
) -> dict[str, list[dict[str, Any]]]:
    """Every row in every table that refers to the person, with other people's ids and
    fields private to someone else left out."""
    mine = {"people": person_ids, "participations": participation_ids}
    out: dict[str, list[dict[str, Any]]] = {}
    for table in Base.metadata.sorted_tables:
        if "team_id" not in table.c:
            continue
        fks = _fk_targets(table)
        conditions = _about_conditions(table, fks, mine, pair_ids, user_id)
        if not conditions:
            continue
        rows = session.execute(
            select(table).where(table.c.team_id == team_id, or_(*conditions))
        ).mappings()
        found = [_as_shown(table, fks, mine, row) for row in rows]
        if found:
            out[table.name] = found
    return out


def _about_conditions(
    table: Table,
    fks: Mapping[str, str],
    mine: Mapping[str, set[int]],
    pair_ids: set[int],
    user_id: str,
) -> list[Any]:
    """The ways a row of `table` can refer to the person (any one of them selects it)."""
    person_ids, participation_ids = mine["people"], mine["participations"]
    conditions: list[Any] = []
    if table.name == "people":
        conditions.append(table.c.id.in_(person_ids or {-1}))
    if table.name == "participations":
        conditions.append(table.c.id.in_(participation_ids or {-1}))
    if table.name == "pairs":
        conditions.append(table.c.id.in_(pair_ids or {-1}))
    for column, target in fks.items():
        if target in mine and mine[target]:
            conditions.append(table.c[column].in_(mine[target]))
        if target == "pairs" and table.name in PAIR_SHARED_TABLES and pair_ids:
            conditions.append(table.c[column].in_(pair_ids))
    if "slack_user_id" in table.c:
        conditions.append(table.c.slack_user_id == user_id)
    if table.name == "audit_events":
        conditions.append(table.c.actor == user_id)
    return conditions


def _as_shown(
    table: Table, fks: Mapping[str, str], mine: Mapping[str, set[int]], row: Mapping[Any, Any]
) -> dict[str, Any]:
    """A row as the person sees it: fields private to someone else left out, other people's
    ids replaced."""
    own_ids = mine["participations"] | mine["people"]
    item: dict[str, Any] = {}
    for name, value in row.items():
        owner = PRIVATE_COLUMNS.get((table.name, name))
        if owner is not None and row.get(owner) not in own_ids:
            continue
        target = fks.get(name) or ""
        if target in mine and value is not None and value not in mine[target]:
            value = "someone else"
        item[name] = _jsonable(value)
    return item


_PairOrRequest = TypeVar("_PairOrRequest", Pair, MentorRequest)


def _involving(
    session: Session, model: type[_PairOrRequest], participation_ids: set[int]
) -> list[_PairOrRequest]:
    """Every pair (or request) with one of these participations on either side."""
    if not participation_ids:
        return []
    return list(
        session.scalars(
            select(model).where(
                or_(
                    model.mentee_id.in_(participation_ids),
                    model.mentor_id.in_(participation_ids),
                )
            )
        )
    )


def my_data(session: Session, team_id: str, user_id: str) -> MyData:
    """Everything stored about one person, for `/mentoring my-data`."""
    person = session.scalars(
        select(Person).where(Person.team_id == team_id, Person.slack_user_id == user_id)
    ).first()
    coordinator_of = list(
        session.scalars(
            select(Program.name)
            .join(Coordinator, Coordinator.program_id == Program.id)
            .where(Coordinator.team_id == team_id, Coordinator.slack_user_id == user_id)
        )
    )
    data = MyData(found=person is not None or bool(coordinator_of), coordinator_of=coordinator_of)
    person_ids = {person.id} if person is not None else set()
    participations: list[Participation] = []
    if person is not None:
        data.person = _person_summary(person)
        participations = list(
            session.scalars(select(Participation).where(Participation.person_id == person.id))
        )
    part_ids = {p.id for p in participations}
    data.programs = [_program_summary(p) for p in participations]
    pairs = _involving(session, Pair, part_ids)
    data.pairs = [_pair_summary(session, pair, part_ids) for pair in pairs]
    data.requests = [
        _request_summary(session, req, part_ids)
        for req in _involving(session, MentorRequest, part_ids)
    ]
    data.audit_as_actor = len(
        list(
            session.scalars(
                select(AuditEvent.id).where(
                    AuditEvent.team_id == team_id, AuditEvent.actor == user_id
                )
            )
        )
    )
    all_targets: list[list[Any]] = list(
        session.scalars(select(AuditEvent.targets).where(AuditEvent.team_id == team_id))
    )
    data.audit_as_target = sum(1 for targets in all_targets if user_id in (targets or []))
    data.messages_queued = len(
        list(
            session.scalars(
                select(Delivery.id).where(
                    Delivery.team_id == team_id,
                    Delivery.recipient_id.in_(person_ids),
                    Delivery.kind.in_((ANNOUNCEMENT, INVITATION)),
                )
            )
        )
    )
    data.rows = _rows_about(session, team_id, user_id, person_ids, part_ids, {p.id for p in pairs})
    return data


def _person_summary(person: Person) -> dict[str, Any]:
    return {
        "name": person.display_name,
        "title": person.title,
        "department": person.department,
        "timezone": person.timezone,
        "locale": person.locale,
        "email": person.email,
        "since": person.created_at.date().isoformat(),
    }


def _program_summary(p: Participation) -> dict[str, Any]:
    from core.people.profiles import competency_name

    return {
        "program": p.program.name,
        "roles": p.roles,
        "status": p.status,
        "capacity": p.capacity if p.is_mentor else None,
        "format": p.meeting_format,
        "languages": list(p.languages or []),
        "notes": p.notes,
        "goals": [
            {
                "area": competency_name(g.competency_id),
                "success": g.success,
                "priority": g.priority,
            }
            for g in p.goals
        ],
        "expertise": [competency_name(e.competency_id) for e in p.expertise],
        "joined": p.created_at.date().isoformat(),
        "paused_until": p.paused_until.date().isoformat() if p.paused_until else None,
    }


def _pair_summary(session: Session, pair: Pair, part_ids: set[int]) -> dict[str, Any]:
    i_am_mentee = pair.mentee_id in part_ids
    partner = session.get(Participation, pair.mentor_id if i_am_mentee else pair.mentee_id)
    return {
        "role": "mentee" if i_am_mentee else "mentor",
        "partner": partner.person.slack_user_id if partner else None,
        "status": pair.status,
        "since": pair.created_at.date().isoformat(),
        "ended": pair.ended_at.date().isoformat() if pair.ended_at else None,
    }


def _request_summary(session: Session, req: MentorRequest, part_ids: set[int]) -> dict[str, Any]:
    i_asked = req.mentee_id in part_ids
    other = session.get(Participation, req.mentor_id if i_asked else req.mentee_id)
    return {
        "direction": "sent" if i_asked else "received",
        "other": other.person.slack_user_id if other else None,
        "status": req.status,
        "date": req.created_at.date().isoformat(),
    }


# --- ending relationships (leave, forget me) ------------------------------------------------


@dataclass
class Ending:
    """Who must be told (kindly, without a reason) after someone leaves or is forgotten."""

    partners: list[str] = field(default_factory=list)  # Slack ids of ended pairs' partners
    requesters: list[str] = field(default_factory=list)  # mentees whose request was cancelled
    # The program each of those requests was in, by mentee (to offer new mentors there).
    requester_programs: dict[str, int] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)  # mentors who had this person's request
    # Those requests' ids: their messages to the mentor are closed in place.
    withdrawn_requests: list[int] = field(default_factory=list)
    programs: list[str] = field(default_factory=list)


def _slack_id(session: Session, participation_id: int) -> str | None:
    return session.scalar(
        select(Person.slack_user_id)
        .join(Participation, Participation.person_id == Person.id)
        .where(Participation.id == participation_id)
    )


def end_pair(session: Session, pair_id: int, now: datetime, reason: str) -> bool:
    """active -> ended early, only if still active. True if this call ended it."""
    result = session.execute(
        update(Pair)
        .where(Pair.id == pair_id, Pair.status == PAIR_ACTIVE)
        .values(status=PAIR_ENDED_EARLY, ended_at=now, end_reason=reason)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def close_request(
    session: Session, request_id: int, status: str, now: datetime, **values: Any
) -> bool:
    """pending -> `status` (setting any other columns in `values` with it, e.g. the
    decline_reason), only if still pending. True if this call changed it."""
    result = session.execute(
        update(MentorRequest)
        .where(MentorRequest.id == request_id, MentorRequest.status == REQUEST_PENDING)
        .values(status=status, responded_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def close_shortlists(session: Session, mentee_ids: Iterable[int]) -> None:
    """Close the open shortlists of these mentees."""
    session.execute(
        update(Shortlist)
        .where(Shortlist.mentee_id.in_(list(mentee_ids)), Shortlist.status == "open")
        .values(status="closed")
        .execution_options(synchronize_session=False)
    )


def end_relationships(
    session: Session, participation_ids: Iterable[int], clock: Clock, *, reason: str
) -> Ending:
    """End the open pairs and cancel the pending requests of these participations."""
    ids = set(participation_ids)
    ending = Ending()
    if not ids:
        return ending
    now = clock.now()
    _end_pairs(session, ids, now, reason, ending)
    _cancel_requests(session, ids, now, ending)
    close_shortlists(session, ids)
    session.expire_all()
    return ending


def _end_pairs(session: Session, ids: set[int], now: datetime, reason: str, ending: Ending) -> None:
    """End the open pairs of these participations; the partners left behind are told."""
    for pair in session.scalars(
        select(Pair).where(
            Pair.status == PAIR_ACTIVE, or_(Pair.mentee_id.in_(ids), Pair.mentor_id.in_(ids))
        )
    ):
        if not end_pair(session, pair.id, now, reason):
            continue
        other = pair.mentor_id if pair.mentee_id in ids else pair.mentee_id
        if other not in ids:
            slack_id = _slack_id(session, other)
            if slack_id:
                ending.partners.append(slack_id)


def _cancel_requests(session: Session, ids: set[int], now: datetime, ending: Ending) -> None:
    """Cancel the pending requests of these participations; the other side is told."""
    for req in session.scalars(
        select(MentorRequest).where(
            MentorRequest.status == REQUEST_PENDING,
            or_(MentorRequest.mentee_id.in_(ids), MentorRequest.mentor_id.in_(ids)),
        )
    ):
        if not close_request(session, req.id, REQUEST_CANCELLED, now):
            continue
        if req.mentee_id in ids and req.mentor_id not in ids:
            slack_id = _slack_id(session, req.mentor_id)
            if slack_id:
                ending.asked.append(slack_id)
            ending.withdrawn_requests.append(req.id)
        elif req.mentor_id in ids and req.mentee_id not in ids:
            slack_id = _slack_id(session, req.mentee_id)
            if slack_id:
                ending.requesters.append(slack_id)
                mentee = session.get(Participation, req.mentee_id)
                if mentee is not None:
                    ending.requester_programs[slack_id] = mentee.program_id


def leave(
    session: Session, team_id: str, user_id: str, clock: Clock, *, program_id: int | None = None
) -> Ending | None:
    """Leave every program (or only `program_id`): open pairs end with no fault, requests
    are withdrawn, and the person is no longer messaged there. Their data is deleted after
    the program's retention days (see `purge_departed`). None if they were not taking part
    (in that program)."""
    person = session.scalars(
        select(Person).where(Person.team_id == team_id, Person.slack_user_id == user_id)
    ).first()
    if person is None:
        return None
    active = [
        p
        for p in person.participations
        if p.status != STATUS_LEFT and (program_id is None or p.program_id == program_id)
    ]
    if not active:
        return None
    ending = end_relationships(session, [p.id for p in active], clock, reason="left")
    now = clock.now()
    for participation in active:
        session.execute(
            update(Participation)
            .where(Participation.id == participation.id)
            .values(status=STATUS_LEFT, paused_until=None, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        ending.programs.append(participation.program.name)
    session.expire_all()
    return ending


def _scrub_shortlists(session: Session, team_id: str, participation_ids: set[int]) -> None:
    """Remove a forgotten mentor from other mentees' shortlists (ids and reasons)."""
    if not participation_ids:
        return
    for shortlist in session.scalars(select(Shortlist).where(Shortlist.team_id == team_id)):
        kept = [
            c
            for c in shortlist.candidates or []
            if not (isinstance(c, Mapping) and c.get("mentor_id") in participation_ids)
        ]
        if len(kept) != len(shortlist.candidates or []):
            shortlist.candidates = kept


def forget_me(session: Session, team_id: str, user_id: str, clock: Clock) -> Ending:
    """Delete or anonymise every row about a person: pairs end (partners told kindly), then
    their profile, goals, notes, pairs, requests, conversations, coordinator roles and ledger
    rows are deleted, and their id in the audit log is replaced with "forgotten"."""
    person = session.scalars(
        select(Person).where(Person.team_id == team_id, Person.slack_user_id == user_id)
    ).first()
    ending = Ending()
    part_ids: set[int] = set()
    if person is not None:
        part_ids = {p.id for p in person.participations}
        ending = end_relationships(session, part_ids, clock, reason="left")
        _scrub_shortlists(session, team_id, part_ids)
    # Rows keyed by the Slack id.
    # (Their delivery ledger rows go with their `people` row: the foreign key cascades.)
    session.execute(
        delete(Coordinator).where(
            Coordinator.team_id == team_id, Coordinator.slack_user_id == user_id
        )
    )
    session.execute(
        update(AuditEvent)
        .where(AuditEvent.team_id == team_id, AuditEvent.actor == user_id)
        .values(actor=FORGOTTEN)
        .execution_options(synchronize_session=False)
    )
    for event in session.scalars(select(AuditEvent).where(AuditEvent.team_id == team_id)):
        if user_id in (event.targets or []):
            event.targets = [FORGOTTEN if t == user_id else t for t in event.targets]
    # Any other feature's table keyed by the Slack id.
    for table in Base.metadata.sorted_tables:
        if "slack_user_id" in table.c and "team_id" in table.c and table.name != "people":
            session.execute(
                delete(table).where(table.c.team_id == team_id, table.c.slack_user_id == user_id)
            )
    if person is not None:
        # Foreign keys cascade: participations, goals, expertise, conversations, pairs,
        # requests, shortlists, exclusions, do-not-pair rows and feedback go with the person.
        for table in reversed(Base.metadata.sorted_tables):
            for column, target in _fk_targets(table).items():
                if target == "participations" and part_ids:
                    session.execute(delete(table).where(table.c[column].in_(part_ids)))
                elif target == "people":
                    session.execute(delete(table).where(table.c[column] == person.id))
        session.execute(delete(Participation).where(Participation.person_id == person.id))
        session.execute(delete(Person).where(Person.id == person.id))
    session.flush()
    session.expire_all()
    return ending


# --- retention after leaving ----------------------------------------------------------------

DepartureHook = Callable[[Session, str, str], None]


def purge_departed(session: Session, team_id: str, clock: Clock) -> list[str]:
    """Delete the data of people who left a program more than the program's retention days
    ago (content/program_defaults.yaml `retention_days`). Someone still taking part in
    another program keeps that program's data. Returns the Slack ids fully forgotten."""
    forgotten: list[str] = []
    now = clock.now()
    for program in session.scalars(select(Program).where(Program.team_id == team_id)):
        days = program_settings(program).retention_days
        cutoff = now - timedelta(days=days)
        departed = list(
            session.scalars(
                select(Participation).where(
                    Participation.program_id == program.id,
                    Participation.status == STATUS_LEFT,
                    Participation.updated_at <= cutoff,
                )
            )
        )
        for participation in departed:
            person = participation.person
            others = [
                p
                for p in person.participations
                if p.id != participation.id and p.status != STATUS_LEFT
            ]
            is_coordinator = session.scalar(
                select(Coordinator.id).where(
                    Coordinator.team_id == team_id,
                    Coordinator.slack_user_id == person.slack_user_id,
                )
            )
            if others or is_coordinator:
                _scrub_shortlists(session, team_id, {participation.id})
                session.execute(delete(Participation).where(Participation.id == participation.id))
            else:
                forget_me(session, team_id, person.slack_user_id, clock)
                forgotten.append(person.slack_user_id)
    session.flush()
    return forgotten
