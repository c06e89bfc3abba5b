"""Shortlists: a coordinator's run over the whole program (:func:`run_matching`, its dry run
:func:`plan_matching`, :func:`preview`), one mentee's list (:func:`shortlist_for_mentee`), and
storing, replacing and closing lists.

A coordinator's run solves the whole program at once (exposure-balanced, exact). A shortlist
for one mentee (after confirming a profile, a decline, an expiry, "none of these suit me")
solves for that mentee alone, with every mentor whose exposure (remaining capacity x F) is
already used up by other mentees' open shortlists left out, so the cap holds across the
program as lists come and go."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.kernel.clock import Clock
from core.matching import MatchResult, MenteeInput, Unmatched
from core.matchmaking.loading import _load_program, _Program, _run, reason_templates
from core.matchmaking.models import Shortlist
from core.matchmaking.outcomes import (
    SHORTLIST_CLOSED,
    SHORTLIST_OPEN,
    MessageRef,
    PersonRef,
    PreviewResult,
    ShortlistCandidate,
    ShortlistOutcome,
)
from core.people.models import Participation, Person
from core.programs.models import Program
from core.programs.service import program_in_workspace
from core.programs.settings import ProgramSettings
from core.relationships.models import RematchRequest


def find_program(session: Session, team_id: str, name: str | None = None) -> Program | None:
    """A workspace's program by name, or its default program (None if there is none)."""
    query = select(Program).where(Program.team_id == team_id)
    if name is None:
        query = query.order_by(Program.is_default.desc(), Program.id)
    else:
        query = query.where(Program.name == name)
    return session.scalars(query).first()


def preview(
    session: Session, program: Program, clock: Clock, *, max_memory_mb: int | None = None
) -> PreviewResult:
    """Match every waiting mentee of the program (as a coordinator's run would), storing and
    sending nothing. `max_memory_mb` overrides the program's memory limit for this preview;
    a program too large for it raises :class:`MatchingTooLarge`."""
    data = _load_program(session, program, clock)
    if max_memory_mb is not None:
        data.match_settings = replace(data.match_settings, max_memory_mb=max_memory_mb)
    result = _run(data, data.mentees.values(), data.mentors.values())
    return PreviewResult(
        team_id=program.team_id, program=program.name, result=result, people=dict(data.refs)
    )


def _open_shortlists(session: Session, mentee_id: int) -> list[Shortlist]:
    return list(
        session.scalars(
            select(Shortlist).where(
                Shortlist.mentee_id == mentee_id, Shortlist.status == SHORTLIST_OPEN
            )
        )
    )


def _close_open_shortlists(session: Session, mentee_id: int) -> tuple[MessageRef, ...]:
    refs: list[MessageRef] = []
    for shortlist in _open_shortlists(session, mentee_id):
        if shortlist.message_channel and shortlist.message_ts:
            refs.append(MessageRef(shortlist.message_channel, shortlist.message_ts))
    session.execute(
        update(Shortlist)
        .where(Shortlist.mentee_id == mentee_id, Shortlist.status == SHORTLIST_OPEN)
        .values(status=SHORTLIST_CLOSED)
        .execution_options(synchronize_session=False)
    )
    return tuple(refs)


def _store_shortlist(
    session: Session,
    data: _Program,
    mentee: PersonRef,
    result: MatchResult,
    clock: Clock,
    unmatched_by_id: Mapping[str, Unmatched] | None = None,
) -> ShortlistOutcome:
    """Replace the mentee's open lists with their result: a new stored list, or (no
    candidates) the reason, with nothing stored."""
    superseded = _close_open_shortlists(session, mentee.participation_id)
    program = data.program
    cands = result.shortlists.get(mentee.user_id) or []
    if not cands:
        if unmatched_by_id is None:
            unmatched_by_id = {u.mentee_id: u for u in result.unmatched}
        unmatched = unmatched_by_id.get(mentee.user_id)
        return ShortlistOutcome(
            team_id=program.team_id,
            program_id=program.id,
            mentee=mentee,
            shortlist_id=None,
            unmatched_code=unmatched.reason_code if unmatched else "no_mentor_covers_goals",
            unmatched_reason=unmatched.reason if unmatched else None,
            superseded=superseded,
            settings=data.settings,
        )
    candidates = tuple(
        ShortlistCandidate(
            mentor=data.refs[c.mentor_id],
            score=c.score,
            reasons=tuple(r.text for r in c.reasons),
        )
        for c in cands
    )
    return ShortlistOutcome(
        team_id=program.team_id,
        program_id=program.id,
        mentee=mentee,
        shortlist_id=_add_shortlist(session, program, mentee, candidates, clock),
        candidates=candidates,
        superseded=superseded,
        settings=data.settings,
    )


def _add_shortlist(
    session: Session,
    program: Program,
    mentee: PersonRef,
    candidates: tuple[ShortlistCandidate, ...],
    clock: Clock,
) -> int:
    """Store an open list for the mentee; returns its id."""
    shortlist = Shortlist(
        team_id=program.team_id,
        program_id=program.id,
        mentee_id=mentee.participation_id,
        candidates=[
            {
                "mentor_id": c.mentor.participation_id,
                "score": c.score,
                "reasons": list(c.reasons),
            }
            for c in candidates
        ],
        status=SHORTLIST_OPEN,
        created_at=clock.now(),
    )
    session.add(shortlist)
    # A mentee who asked for a new mentor after their pair ended has been given one to choose.
    session.execute(
        update(RematchRequest)
        .where(RematchRequest.mentee_id == mentee.participation_id, RematchRequest.status == "open")
        .values(status="done")
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return shortlist.id


def _exposure_used(session: Session, program_id: int, except_mentee: int) -> Counter[int]:
    """How many open shortlists (of other mentees) each mentor participation is on."""
    used: Counter[int] = Counter()
    for mentee_id, candidates in session.execute(
        select(Shortlist.mentee_id, Shortlist.candidates).where(
            Shortlist.program_id == program_id, Shortlist.status == SHORTLIST_OPEN
        )
    ):
        if mentee_id == except_mentee:
            continue
        for cand in candidates if isinstance(candidates, list) else []:
            if isinstance(cand, Mapping) and isinstance(cand.get("mentor_id"), int):
                used[cand["mentor_id"]] += 1
    return used


def _not_waiting(
    program: Program, mentee: PersonRef, code: str, settings: ProgramSettings
) -> ShortlistOutcome:
    return ShortlistOutcome(
        team_id=program.team_id,
        program_id=program.id,
        mentee=mentee,
        shortlist_id=None,
        unmatched_code=code,
        settings=settings,
    )


def shortlist_for_mentee(
    session: Session, program: Program, mentee_participation_id: int, clock: Clock
) -> ShortlistOutcome | None:
    """A new shortlist for one mentee (their older open one is closed).

    Returns None when the participation is not a confirmed, active, unpaused mentee of the
    program. A mentee with a pending request or an active pair gets an outcome without
    candidates and `unmatched_code` "pending_request" or "paired" (nothing is stored).
    """
    data = _load_program(session, program, clock, mentee_participation_id)
    ref = next(
        (r for r in data.refs.values() if r.participation_id == mentee_participation_id), None
    )
    if ref is None:
        return None
    if ref.user_id in data.ineligible_mentees:
        return _not_waiting(program, ref, data.ineligible_mentees[ref.user_id], data.settings)
    mentee = data.mentees.get(ref.user_id)
    if mentee is None:
        return None
    used = _exposure_used(session, program.id, mentee_participation_id)
    factor = data.match_settings.exposure_factor
    open_mentors = [
        m
        for m in data.mentors.values()
        if used.get(data.refs[m.id].participation_id, 0) < max(0, m.remaining_capacity) * factor
    ]
    result = _run(data, [mentee], open_mentors)
    if not result.shortlists.get(ref.user_id) and len(open_mentors) < len(data.mentors):
        # Would anyone fit if exposure were not capped? Then say so ("in high demand").
        uncapped = _run(data, [mentee], data.mentors.values())
        if uncapped.shortlists.get(ref.user_id):
            result = _with_exposure_reason(result, ref.user_id)
    return _store_shortlist(session, data, ref, result, clock)


def _with_exposure_reason(result: MatchResult, mentee_id: str) -> MatchResult:
    text = reason_templates().render("exposure_limit", {})
    unmatched = [
        replace(u, reason_code="exposure_limit", reason=text) if u.mentee_id == mentee_id else u
        for u in result.unmatched
    ]
    return MatchResult(shortlists=result.shortlists, unmatched=unmatched, stats=result.stats)


def shortlist_for_user(
    session: Session,
    team_id: str,
    user_id: str,
    clock: Clock,
    program_name: str | None = None,
    *,
    program_id: int | None = None,
) -> ShortlistOutcome | None:
    """`shortlist_for_mentee` for a Slack user in a workspace's program (by id, by name, or
    the default one). None if they are not a mentee there."""
    if program_id is not None:
        program = program_in_workspace(session, team_id, program_id)
    else:
        program = find_program(session, team_id, program_name)
    if program is None:
        return None
    participation = session.scalars(
        select(Participation)
        .join(Person, Person.id == Participation.person_id)
        .where(
            Participation.program_id == program.id,
            Person.team_id == team_id,
            Person.slack_user_id == user_id,
        )
    ).first()
    if participation is None or not participation.is_mentee:
        return None
    return shortlist_for_mentee(session, program, participation.id, clock)


def run_matching(
    session: Session, program: Program, clock: Clock, *, waiting_only: bool = False
) -> list[ShortlistOutcome]:
    """A coordinator's run: solve the whole program at once and store a new shortlist for
    every confirmed mentee without an open request or pair (older open lists are replaced).
    Mentees without candidates get an outcome with the reason and no stored list.

    With `waiting_only`, mentees who hold an open shortlist are left alone (they are still
    choosing: no outcome, their list stays as it is), and the mentors on those lists count
    them against their exposure: remaining capacity x F lists in all, as for one mentee's list
    (:func:`shortlist_for_mentee`). A mentor part of whose exposure is taken joins the
    program-wide solve with the whole lists left (rounded down to a multiple of F), so the cap
    always holds; the exposure the rounding held back is then offered, one mentee at a time
    as for a single list, to the mentees the solve left without candidates for lack of
    room."""
    return _coordinator_run(session, program, clock, waiting_only)[0]


# Unmatched reasons a mentee's own solve against the exposure still free may change.
_NO_ROOM = ("exposure_limit", "no_capacity")


def _coordinator_run(
    session: Session, program: Program, clock: Clock, waiting_only: bool
) -> tuple[list[ShortlistOutcome], int]:
    """`run_matching`, and how many waiting mentees it left alone (they hold an open list)."""
    data = _load_program(session, program, clock)
    mentees, mentors = dict(data.mentees), dict(data.mentors)
    free: Counter[str] = Counter()  # mentor slack id -> lists they may still join
    reduced = False
    if waiting_only:
        choosing, used = _open_lists(session, program.id)
        mentees = {
            k: v for k, v in mentees.items() if data.refs[k].participation_id not in choosing
        }
        factor = data.match_settings.exposure_factor
        for slack_id, mentor in data.mentors.items():
            remaining = max(0, mentor.remaining_capacity)
            free[slack_id] = max(
                0, remaining * factor - used.get(data.refs[slack_id].participation_id, 0)
            )
            left = free[slack_id] // factor
            if left < remaining:
                mentors[slack_id] = replace(mentor, open_load=mentor.open_load + remaining - left)
                reduced = True
    result = _run(data, mentees.values(), mentors.values())
    if reduced:
        result = _offer_held_back(data, result, mentees, free)
    unmatched = {u.mentee_id: u for u in result.unmatched}
    outcomes = [
        _store_shortlist(session, data, data.refs[mentee_id], result, clock, unmatched)
        for mentee_id in sorted(mentees)
    ]
    return outcomes, len(data.mentees) - len(mentees)


def _offer_held_back(
    data: _Program,
    result: MatchResult,
    mentees: Mapping[str, MenteeInput],
    free: Counter[str],
) -> MatchResult:
    """After a solve with rounded-down exposure: each mentee it left without candidates for
    lack of room (in id order) gets their own solve against the mentors with exposure still
    free, as a single mentee's list would. Stops as soon as no mentor has room."""
    for candidates in result.shortlists.values():
        for candidate in candidates:
            free[candidate.mentor_id] -= 1
    shortlists = dict(result.shortlists)
    unmatched = []
    for item in sorted(result.unmatched, key=lambda u: u.mentee_id):
        mentee = mentees.get(item.mentee_id)
        goals = set(mentee.goals) if mentee is not None else set()
        with_room = [data.mentors[m] for m, n in free.items() if n > 0]
        if (
            mentee is not None
            and item.reason_code in _NO_ROOM
            and any(goals & m.expertise for m in with_room)
        ):
            found = _run(data, [mentee], with_room).shortlists.get(item.mentee_id)
            if found:
                shortlists[item.mentee_id] = found
                for candidate in found:
                    free[candidate.mentor_id] -= 1
                continue
        if mentee is not None and item.reason_code == "no_capacity":
            # Full only because of the lists mentees are choosing from: say they are in high
            # demand, as a single mentee's list does.
            covering = [m for m in data.mentors.values() if goals & m.expertise]
            if any(m.remaining_capacity > 0 for m in covering) and _run(
                data, [mentee], covering
            ).shortlists.get(item.mentee_id):
                text = reason_templates().render("exposure_limit", {})
                item = replace(item, reason_code="exposure_limit", reason=text)
        unmatched.append(item)
    return MatchResult(shortlists=shortlists, unmatched=unmatched, stats=result.stats)


def _open_lists(session: Session, program_id: int) -> tuple[set[int], Counter[int]]:
    """Mentee participations holding an open shortlist in the program, and how many open
    shortlists each mentor participation is on."""
    choosing: set[Any] = set()  # participation ids
    used: Counter[int] = Counter()
    for mentee_id, candidates in session.execute(
        select(Shortlist.mentee_id, Shortlist.candidates).where(
            Shortlist.program_id == program_id, Shortlist.status == SHORTLIST_OPEN
        )
    ):
        choosing.add(mentee_id)
        for cand in candidates if isinstance(candidates, list) else []:
            if isinstance(cand, Mapping) and isinstance(cand.get("mentor_id"), int):
                used[cand["mentor_id"]] += 1
    return choosing, used


@dataclass(frozen=True)
class RunPlan:
    """What a coordinator's run (`run_matching(..., waiting_only=True)`) would do now: counts
    only, nothing stored or sent."""

    program: str
    shortlists: int  # waiting mentees who would get a shortlist
    no_mentor: int  # waiting mentees with no suitable mentor right now
    choosing: int  # mentees with an open shortlist, left as they are

    @property
    def waiting(self) -> int:
        return self.shortlists + self.no_mentor


def plan_matching(session: Session, program: Program, clock: Clock) -> RunPlan:
    """Dry-run a coordinator's run: the same solve, inside a savepoint that is rolled back, so
    the counts are exactly what the run would do against the data as it is now. Raises
    MatchingTooLarge / MatchingError as the run would."""
    name = program.name
    savepoint = session.begin_nested()
    try:
        outcomes, choosing = _coordinator_run(session, program, clock, waiting_only=True)
    finally:
        savepoint.rollback()
    with_list = sum(1 for o in outcomes if o.has_candidates)
    return RunPlan(
        program=name,
        shortlists=with_list,
        no_mentor=len(outcomes) - with_list,
        choosing=choosing,
    )


def record_shortlist_message(session: Session, shortlist_id: int, channel: str, ts: str) -> None:
    shortlist = session.get(Shortlist, shortlist_id)
    if shortlist is not None:
        shortlist.message_channel, shortlist.message_ts = channel, ts


def close_shortlist(session: Session, shortlist_id: int) -> None:
    """Close a list that could not be delivered (its mentee is unreachable)."""
    session.execute(
        update(Shortlist)
        .where(Shortlist.id == shortlist_id, Shortlist.status == SHORTLIST_OPEN)
        .values(status=SHORTLIST_CLOSED)
    )
