"""What App Home shows about someone's matching in one program (:func:`home_matching`), people
Slack cannot reach (:func:`mark_unreachable`), and small listings for the Slack layer and the
command line (workspaces, program names, people sorted by name)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.matchmaking.lookups import _pending_request, _ref
from core.matchmaking.models import PAIR_ACTIVE, REQUEST_PENDING, MentorRequest, Pair
from core.matchmaking.outcomes import PersonRef
from core.matchmaking.shortlists import _open_shortlists, find_program
from core.people.models import STATUS_LEFT, Participation, Person
from core.programs.models import Program, Workspace
from core.programs.service import program_in_workspace


def mark_unreachable(session: Session, team_id: str, user_id: str) -> list[int]:
    """Slack says this person cannot be messaged: leave them out of matching from now on.
    Returns the ids of pending requests where they are the mentor (to be cancelled)."""
    person = session.scalars(
        select(Person).where(Person.team_id == team_id, Person.slack_user_id == user_id)
    ).first()
    if person is None:
        return []
    person.unreachable = True
    return list(
        session.scalars(
            select(MentorRequest.id)
            .join(Participation, Participation.id == MentorRequest.mentor_id)
            .where(
                Participation.person_id == person.id,
                MentorRequest.status == REQUEST_PENDING,
            )
        )
    )


def in_several_programs(session: Session, team_id: str, user_id: str) -> bool:
    """Whether someone takes part (has not left) in more than one program: then App Home
    shows matching under each program's own section instead of one for the default."""
    count = session.scalar(
        select(func.count(Participation.id))
        .join(Person, Person.id == Participation.person_id)
        .where(
            Person.team_id == team_id,
            Person.slack_user_id == user_id,
            Participation.status != STATUS_LEFT,
        )
    )
    return int(count or 0) > 1


@dataclass
class HomeMatching:
    """What App Home shows about matching for one person in one program."""

    mentor_of_mine: PersonRef | None = None  # my active mentor (as a mentee)
    asked: PersonRef | None = None  # whom I asked (pending)
    asked_until: datetime | None = None
    has_open_shortlist: bool = False
    requests_to_me: list[tuple[PersonRef, datetime]] = field(default_factory=list)
    my_mentees: list[PersonRef] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (
            self.mentor_of_mine
            or self.asked
            or self.has_open_shortlist
            or self.requests_to_me
            or self.my_mentees
        )


def home_matching(
    session: Session, team_id: str, user_id: str, program_id: int | None = None
) -> HomeMatching:
    """The person's own matching state in one program: the program with `program_id` (only a
    program of this workspace), else the one program they take part in, else the workspace's
    default program."""
    state = HomeMatching()
    program = _home_program(session, team_id, user_id, program_id)
    if program is None:
        return state
    participation = session.scalars(
        select(Participation)
        .join(Person, Person.id == Participation.person_id)
        .where(
            Participation.program_id == program.id,
            Person.team_id == team_id,
            Person.slack_user_id == user_id,
            Participation.status != STATUS_LEFT,
        )
    ).first()
    if participation is None:
        return state
    if participation.is_mentee:
        _as_mentee(session, state, participation.id)
    if participation.is_mentor:
        _as_mentor(session, state, participation.id)
    return state


def _home_program(
    session: Session, team_id: str, user_id: str, program_id: int | None
) -> Program | None:
    """The program with `program_id` (of this workspace only), else the one program the
    person takes part in, else the workspace's default program."""
    if program_id is None:
        theirs = session.scalars(
            select(Participation.program_id)
            .join(Person, Person.id == Participation.person_id)
            .where(
                Person.team_id == team_id,
                Person.slack_user_id == user_id,
                Participation.status != STATUS_LEFT,
            )
        ).all()
        if len(theirs) == 1:
            program_id = theirs[0]
    if program_id is None:
        return find_program(session, team_id)
    return program_in_workspace(session, team_id, program_id)


def _as_mentee(session: Session, state: HomeMatching, pid: int) -> None:
    """A mentee's mentor, whom they asked, and whether they have a list to choose from."""
    pair = session.scalars(
        select(Pair).where(Pair.mentee_id == pid, Pair.status == PAIR_ACTIVE)
    ).first()
    if pair is not None:
        state.mentor_of_mine = _ref(session, pair.mentor_id)
    pending = _pending_request(session, pid)
    if pending is not None:
        state.asked, state.asked_until = _ref(session, pending.mentor_id), pending.expires_at
    state.has_open_shortlist = bool(_open_shortlists(session, pid))


def _as_mentor(session: Session, state: HomeMatching, pid: int) -> None:
    """A mentor's pending requests (oldest first) and their mentees."""
    for request in session.scalars(
        select(MentorRequest)
        .where(MentorRequest.mentor_id == pid, MentorRequest.status == REQUEST_PENDING)
        .order_by(MentorRequest.created_at)
    ):
        ref = _ref(session, request.mentee_id)
        if ref is not None:
            state.requests_to_me.append((ref, request.expires_at))
    for pair in session.scalars(
        select(Pair)
        .where(Pair.mentor_id == pid, Pair.status == PAIR_ACTIVE)
        .order_by(Pair.created_at)
    ):
        ref = _ref(session, pair.mentee_id)
        if ref is not None:
            state.my_mentees.append(ref)


def team_of(session: Session, participation_id: int) -> str:
    return str(
        session.scalar(select(Participation.team_id).where(Participation.id == participation_id))
        or ""
    )


def workspaces(session: Session) -> list[str]:
    return list(session.scalars(select(Workspace.team_id).order_by(Workspace.team_id)))


def program_names(session: Session, team_id: str) -> list[str]:
    return list(
        session.scalars(select(Program.name).where(Program.team_id == team_id).order_by(Program.id))
    )


def sorted_people(refs: Sequence[PersonRef]) -> list[PersonRef]:
    return sorted(refs, key=lambda r: (r.name.casefold(), r.user_id))
