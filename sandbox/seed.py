"""The demo organisation the sandbox starts with (`mentorbot sandbox --seed demo`).

Thirty people at Acme Corp in a reporting tree (a CEO, four department heads, managers and
their teams) with Slack profiles (titles, time zones), and a mentoring program in full swing:
a coordinator, mentors, mentees waiting for a match, people half way through onboarding, a
pending mentor request, active and completed pairs, someone who left, and people who have not
joined yet (pick one of those to walk through onboarding yourself).

Everything goes through the same ways in the bot uses: people are created from the fake
Slack's `users.info` objects with `core.people.directory.upsert_person`; everyone in the program went
through the onboarding conversation (`core.onboarding.service`: start, one answer per question,
confirm, which saves the profile with `core.people.profiles.save_profile`), so the bot greets them
as people who already joined. Requests and pairs are rows of the matching tables
(`core.*.models`), as the matching feature would leave them.

`--seed empty` gives the same organisation (Slack users and the reporting tree, as a people
import would) with nobody in the program yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.coordination.service import add_coordinator
from core.kernel.clock import Clock
from core.matchmaking.models import (
    PAIR_ACTIVE,
    PAIR_COMPLETED,
    REQUEST_PENDING,
    MentorRequest,
    Pair,
)
from core.onboarding import service as ob
from core.onboarding.models import Conversation
from core.people.directory import SlackProfile, upsert_person
from core.people.models import STATUS_LEFT, Participation, Person
from core.programs.models import Program
from core.programs.service import default_program, ensure_workspace

if TYPE_CHECKING:
    from core.kernel.db import Database
    from sandbox.fake_slack import FakeSlack

SEEDS = ("demo", "empty")
CHANNEL_NAME = "mentoring-program"

# Stages a demo person can be in.
NOT_JOINED = "not_joined"
ONBOARDING = "onboarding"  # started onboarding, stopped at `onboarding_step`
CONFIRMED = "confirmed"  # a confirmed profile (mentee, mentor or both)
LEFT = "left"  # had a profile, then left the program


@dataclass(frozen=True)
class DemoPerson:
    user_id: str
    handle: str
    name: str
    title: str
    tz: str
    department: str
    manager: str | None
    stage: str = NOT_JOINED
    role: str | None = None  # mentee | mentor | both
    goals: tuple[tuple[str, str, int], ...] = ()  # (competency id, success, priority)
    expertise: tuple[str, ...] = ()
    capacity: int | None = None
    meeting_format: str = "either"
    languages: tuple[str, ...] = ("en",)
    answered: int = 0  # for ONBOARDING: how many questions they have answered so far


def _p(*args: Any, **kwargs: Any) -> DemoPerson:
    return DemoPerson(*args, **kwargs)


# fmt: off
PEOPLE: tuple[DemoPerson, ...] = (
    # --- the top ---------------------------------------------------------------------------
    _p("U0OLIVIA", "olivia", "Olivia Chen", "Chief Executive Officer", "America/New_York",
       "Leadership", None),
    # --- engineering ---------------------------------------------------------------------
    _p("U0RAFAEL", "rafael", "Rafael Ortiz", "VP Engineering", "Europe/Lisbon", "Engineering",
       "U0OLIVIA"),
    _p("U0INES", "ines", "Inés García", "Staff Engineer", "Europe/Madrid", "Engineering",
       "U0RAFAEL", CONFIRMED, "mentor",
       expertise=("system-design", "technical-strategy", "code-quality"), capacity=2,
       languages=("en", "es")),
    _p("U0AISHA", "aisha", "Aisha Bello", "Engineering Manager, Platform", "Europe/London",
       "Engineering", "U0RAFAEL"),
    _p("U0TOM", "tom", "Tom Becker", "Senior Engineer", "Europe/Berlin", "Engineering",
       "U0AISHA", CONFIRMED, "both",
       goals=(("leading-a-team", "Lead the platform team's next project end to end", 1),),
       expertise=("code-quality", "time-management"), capacity=1, languages=("en", "de")),
    _p("U0MAYA", "maya", "Maya Patel", "Software Engineer", "Europe/London", "Engineering",
       "U0AISHA"),
    _p("U0LUCAS", "lucas", "Lucas Silva", "Software Engineer", "America/Sao_Paulo",
       "Engineering", "U0AISHA", CONFIRMED, "mentee",
       goals=(("system-design", "Design a service other teams want to build on", 1),
              ("code-quality", "Give reviews people thank me for", 2)),
       meeting_format="remote", languages=("en", "pt")),
    _p("U0NINA", "nina", "Nina Kowalski", "Site Reliability Engineer", "Europe/Warsaw",
       "Engineering", "U0AISHA", ONBOARDING),
    _p("U0KENJI", "kenji", "Kenji Watanabe", "Engineering Manager, Apps", "Asia/Tokyo",
       "Engineering", "U0RAFAEL", CONFIRMED, "mentor",
       expertise=("leading-a-team", "giving-feedback", "hiring"), capacity=1,
       meeting_format="remote", languages=("en", "ja")),
    _p("U0SOFIA", "sofia", "Sofia Rossi", "Senior Engineer", "Europe/Rome", "Engineering",
       "U0KENJI"),
    _p("U0DANIEL", "daniel", "Daniel Kim", "Software Engineer", "America/Los_Angeles",
       "Engineering", "U0KENJI", CONFIRMED, "mentee",
       goals=(("technical-strategy", "Write the apps team's technical roadmap", 1),),
       meeting_format="remote"),
    _p("U0EMMA", "emma", "Emma Johansson", "Software Engineer", "Europe/Stockholm",
       "Engineering", "U0KENJI", CONFIRMED, "mentee",
       goals=(("career-planning", "Know where I want to be in three years", 1),
              ("building-a-network", "Know someone in every department", 3)),
       languages=("en", "sv")),
    _p("U0OMAR", "omar", "Omar Haddad", "QA Engineer", "Africa/Cairo", "Engineering",
       "U0KENJI"),
    # --- product & design ------------------------------------------------------------------
    _p("U0PRIYA", "priya", "Priya Nair", "VP Product", "Asia/Kolkata", "Product", "U0OLIVIA",
       CONFIRMED, "mentor",
       expertise=("product-thinking", "stakeholder-management", "career-planning"),
       capacity=2),
    _p("U0HANNAH", "hannah", "Hannah Schmidt", "Product Manager", "Europe/Berlin", "Product",
       "U0PRIYA", ONBOARDING, "mentee",
       goals=(("product-thinking", "Say no to good ideas without losing people", 1),),
       answered=1),
    _p("U0JONAS", "jonas", "Jonas Meyer", "Product Manager", "Europe/Berlin", "Product",
       "U0PRIYA"),
    _p("U0CHLOE", "chloe", "Chloé Martin", "Product Designer", "Europe/Paris", "Product",
       "U0PRIYA", CONFIRMED, "mentor", expertise=("writing", "personal-brand"), capacity=1,
       languages=("en", "fr")),
    _p("U0LEO", "leo", "Léo Dubois", "UX Researcher", "Europe/Paris", "Product", "U0PRIYA",
       CONFIRMED, "mentee",
       goals=(("writing", "Research reports that get read to the end", 1),),
       languages=("en", "fr")),
    _p("U0ARJUN", "arjun", "Arjun Mehta", "Data Scientist", "Asia/Kolkata", "Product",
       "U0PRIYA", CONFIRMED, "mentor", expertise=("data-analysis", "learning-new-domain"),
       capacity=1),
    # --- sales -----------------------------------------------------------------------------
    _p("U0MARCUS", "marcus", "Marcus Johnson", "VP Sales", "America/Chicago", "Sales",
       "U0OLIVIA", CONFIRMED, "mentor",
       expertise=("public-speaking", "negotiation", "influencing", "stakeholder-management"),
       capacity=2),
    _p("U0ISABELA", "isabela", "Isabela Costa", "Account Executive", "America/Sao_Paulo",
       "Sales", "U0MARCUS", CONFIRMED, "mentee",
       goals=(("stakeholder-management", "Run a renewal with five decision makers calmly", 1),),
       languages=("en", "pt", "es")),
    _p("U0ETHAN", "ethan", "Ethan Brooks", "Account Executive", "America/New_York", "Sales",
       "U0MARCUS", CONFIRMED, "mentee",
       goals=(("leading-a-team", "Be ready to lead the east coast team", 1),)),
    _p("U0FATIMA", "fatima", "Fatima Zahra", "Sales Engineer", "Africa/Casablanca", "Sales",
       "U0MARCUS", CONFIRMED, "mentee",
       goals=(("system-design", "Sketch a customer's architecture on a whiteboard", 1),),
       languages=("en", "fr")),
    _p("U0RYAN", "ryan", "Ryan O'Connor", "Customer Success Manager", "Europe/Dublin", "Sales",
       "U0MARCUS", LEFT, "mentee",
       goals=(("time-management", "Stop working weekends", 1),)),
    # --- people team -----------------------------------------------------------------------
    _p("U0GRACE", "grace", "Grace Okafor", "Head of People", "Europe/London", "People",
       "U0OLIVIA", CONFIRMED, "mentor",
       expertise=("difficult-conversations", "resilience", "work-life-balance",
                  "stakeholder-management"), capacity=1),
    _p("U0BEN", "ben", "Ben Carter", "People Partner", "Europe/London", "People", "U0GRACE"),
    _p("U0ZOE", "zoe", "Zoe Williams", "Recruiter", "Australia/Sydney", "People", "U0GRACE",
       CONFIRMED, "mentee",
       goals=(("confidence", "Speak up in leadership meetings", 1),
              ("work-life-balance", "Keep my evenings free", 2)),
       meeting_format="remote"),
    # --- finance ---------------------------------------------------------------------------
    _p("U0SAMUEL", "samuel", "Samuel Adeyemi", "Chief Financial Officer", "Africa/Lagos",
       "Finance", "U0OLIVIA"),
    _p("U0ELENA", "elena", "Elena Petrova", "Finance Analyst", "Europe/Sofia", "Finance",
       "U0SAMUEL"),
    _p("U0VICTOR", "victor", "Victor Nguyen", "Data Analyst", "Asia/Ho_Chi_Minh", "Finance",
       "U0SAMUEL", CONFIRMED, "mentee",
       goals=(("data-analysis", "Build models finance trusts without me in the room", 1),)),
)
# fmt: on

BY_ID = {p.user_id: p for p in PEOPLE}

#: Runs the program: seeded into the coordinators table, the one source of who coordinates.
COORDINATOR = "U0GRACE"
#: Has not joined yet: the person to walk through onboarding with.
NEWCOMER = "U0MAYA"
#: The only mentor offering Public speaking, outside Maya's reporting line, with room.
PUBLIC_SPEAKING_MENTOR = "U0MARCUS"
#: A goal three mentors with room offer (Priya, Marcus and Grace, none in Maya's reporting
#: line): choosing it shows a full shortlist of three.
SHORTLIST_OF_THREE_GOAL = "stakeholder-management"

# (mentee, mentor, status, started days ago, ended days ago)
PAIRS: tuple[tuple[str, str, str, int, int | None], ...] = (
    ("U0ETHAN", "U0KENJI", PAIR_ACTIVE, 12, None),
    ("U0LEO", "U0CHLOE", PAIR_ACTIVE, 40, None),
    ("U0FATIMA", "U0INES", PAIR_COMPLETED, 220, 40),
)
# (mentee, mentor, asked days ago): requests waiting for the mentor's answer
PENDING_REQUESTS: tuple[tuple[str, str, int], ...] = (("U0VICTOR", "U0ARJUN", 1),)
REQUEST_REMIND_AFTER = timedelta(days=2)
REQUEST_EXPIRE_AFTER = timedelta(days=4)


def depth(user_id: str) -> int:
    """How far below the top of the reporting tree a person is (the CEO is 0)."""
    level, seen = 0, {user_id}
    manager = BY_ID[user_id].manager if user_id in BY_ID else None
    while manager and manager not in seen:
        seen.add(manager)
        level += 1
        manager = BY_ID[manager].manager if manager in BY_ID else None
    return level


def tree_order() -> list[DemoPerson]:
    """Everyone, each manager followed by their reports (depth first), for the people list."""
    reports: dict[str | None, list[DemoPerson]] = {}
    for person in PEOPLE:
        reports.setdefault(person.manager, []).append(person)
    out: list[DemoPerson] = []

    def walk(manager: str | None) -> None:
        for person in reports.get(manager, []):
            out.append(person)
            walk(person.user_id)

    walk(None)
    return out


# ------------------------------------------------------------------------------ Slack side
def add_to_slack(fake: FakeSlack) -> str:
    """Add every demo person to the fake Slack workspace, and the program's channel.

    Done on every start: the fake keeps its users in memory (the sandbox saves only the
    conversations, see `sandbox.slack_store`). Returns the channel id.
    """
    for person in PEOPLE:
        fake.add_user(
            person.user_id,
            person.handle,
            real_name=person.name,
            tz=person.tz,
            title=person.title,
            email=f"{person.handle}@{fake.team_domain}.example",
            is_admin=person.user_id in (COORDINATOR, "U0OLIVIA"),
        )
    return fake.add_channel(CHANNEL_NAME, [p.user_id for p in PEOPLE])


# --------------------------------------------------------------------------- database side
def is_seeded(db: Database, team_id: str) -> bool:
    """True when the database already holds people of this workspace."""
    with db.transaction() as session:
        count = session.scalar(
            select(func.count()).select_from(Person).where(Person.team_id == team_id)
        )
    return bool(count)


def seed(db: Database, clock: Clock, fake: FakeSlack, kind: str = "demo") -> None:
    """Write the demo organisation (and with `demo`, the program) in one transaction."""
    if kind not in SEEDS:
        raise ValueError(f"unknown seed {kind!r}: choose one of {', '.join(SEEDS)}")
    team_id = fake.team_id
    now = clock.now()
    with db.transaction() as session:
        ensure_workspace(session, team_id, clock, name=fake.team_name)
        program = default_program(session, team_id, clock)
        add_coordinator(session, program, COORDINATOR, by="sandbox seed", clock=clock)
        people = _add_people(session, fake, clock)
        if kind == "empty":
            return
        participations = _join_program(session, people, program, clock)
        _add_pairs_and_requests(session, program, participations, now)


def _add_people(session: Session, fake: FakeSlack, clock: Clock) -> dict[str, Person]:
    """Everyone, from their fake Slack profile plus what a people import adds."""
    people: dict[str, Person] = {}
    for demo in PEOPLE:
        user = fake.user(demo.user_id)
        if user is None:
            raise RuntimeError(f"{demo.user_id} is not in the fake Slack: call add_to_slack")
        person = upsert_person(
            session, fake.team_id, SlackProfile.from_users_info(user), demo.user_id, clock
        )
        # What a people import adds (Slack itself does not know the reporting line).
        person.department = demo.department
        person.manager_slack_id = demo.manager
        people[demo.user_id] = person
    return people


def _join_program(
    session: Session, people: dict[str, Person], program: Program, clock: Clock
) -> dict[str, Participation]:
    """Walk everyone who joined through onboarding (part way for those still in it)."""
    participations: dict[str, Participation] = {}
    for demo in PEOPLE:
        if demo.stage == NOT_JOINED:
            continue
        person = people[demo.user_id]
        conversation, _ = ob.start(session, person, program, clock)
        limit = demo.answered if demo.stage == ONBOARDING else None
        _answer_onboarding(session, conversation, demo, clock, limit)
        if demo.stage == ONBOARDING:
            continue
        if not ob.confirm(session, conversation, version=conversation.version, clock=clock).ok:
            raise RuntimeError(f"the demo profile of {demo.user_id} was not confirmed")
        participation = ob.find_participation(session, person, program)
        assert participation is not None
        if demo.stage == LEFT:
            participation.status = STATUS_LEFT
        participations[demo.user_id] = participation
    return participations


def _add_pairs_and_requests(
    session: Session,
    program: Program,
    participations: dict[str, Participation],
    now: datetime,
) -> None:
    """The demo's active and completed pairs and its pending mentor request."""

    def between(mentee: str, mentor: str) -> dict[str, Any]:
        return {
            "team_id": program.team_id,
            "program_id": program.id,
            "mentee_id": participations[mentee].id,
            "mentor_id": participations[mentor].id,
        }

    for mentee, mentor, status, started, ended in PAIRS:
        session.add(
            Pair(
                **between(mentee, mentor),
                status=status,
                created_at=now - timedelta(days=started),
                ended_at=now - timedelta(days=ended) if ended is not None else None,
                end_reason="completed" if status == PAIR_COMPLETED else None,
            )
        )
    for mentee, mentor, asked in PENDING_REQUESTS:
        created = now - timedelta(days=asked)
        session.add(
            MentorRequest(
                **between(mentee, mentor),
                status=REQUEST_PENDING,
                created_at=created,
                remind_at=created + REQUEST_REMIND_AFTER,
                expires_at=created + REQUEST_EXPIRE_AFTER,
            )
        )


def _answer_onboarding(
    session: Session,
    conversation: Conversation,
    demo: DemoPerson,
    clock: Clock,
    limit: int | None,
) -> None:
    """Answer the onboarding questions as `demo` would, up to the playback (or `limit`)."""
    answered = 0
    while conversation.step not in (ob.REVIEW, ob.DONE) and (limit is None or answered < limit):
        step, index = ob.step_name(conversation.step), ob.step_index(conversation.step)
        value = _demo_answer(demo, step, index)
        result = ob.answer(
            session,
            conversation,
            step=conversation.step,
            version=conversation.version,
            value=value,
            clock=clock,
            typed=step == ob.GOAL_SUCCESS,  # the one question answered by typing
        )
        if not result.ok:
            raise RuntimeError(f"demo answer for {demo.user_id} at {step} refused: {result.error}")
        answered += 1


def _demo_answer(demo: DemoPerson, step: str, index: int) -> Any:
    """What `demo` answers to an onboarding question."""
    if step == ob.ROLE:
        return demo.role
    if step == ob.GOALS:
        return [goal[0] for goal in demo.goals]
    if step == ob.GOAL_SUCCESS:
        return demo.goals[index][1]
    if step == ob.GOAL_PRIORITY:
        return demo.goals[index][2]
    if step == ob.EXPERTISE:
        return list(demo.expertise)
    if step == ob.CAPACITY:
        return demo.capacity
    if step == ob.FORMAT:
        return demo.meeting_format
    if step == ob.LANGUAGES:
        return list(demo.languages)
    if step == ob.CONFIDENTIALITY:
        return True
    return None  # notes: skipped
