"""Matching use cases through `core.matchmaking.service` (no Slack), on every configured backend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from core.kernel.clock import FakeClock
from core.kernel.db import Database
from core.kernel.worktime import WorkingHours
from core.matchmaking import service as svc
from core.matchmaking.models import (
    DoNotPair,
    MatchExclusion,
    MentorRequest,
    NoneSuitFeedback,
    Pair,
    Shortlist,
)
from core.people.models import Participation, Person
from core.programs.models import Program
from core.programs.service import program_settings
from tests.matching_data import HEADER, PEOPLE, TEAM, pid, seed


def shortlist(db: Database, clock: FakeClock, user: str) -> svc.ShortlistOutcome:
    with db.transaction() as session:
        outcome = svc.shortlist_for_user(session, TEAM, user, clock)
    assert outcome is not None
    return outcome


def names(outcome: svc.ShortlistOutcome) -> list[str]:
    return [c.mentor.user_id for c in outcome.candidates]


def request(db: Database, clock: FakeClock, user: str, outcome: svc.ShortlistOutcome, mentor: str):
    mentor_pid = next(
        c.mentor.participation_id for c in outcome.candidates if c.mentor.user_id == mentor
    )
    assert outcome.shortlist_id is not None
    with db.transaction() as session:
        return svc.request_mentor(
            session,
            team_id=TEAM,
            user_id=user,
            shortlist_id=outcome.shortlist_id,
            mentor_id=mentor_pid,
            clock=clock,
        )


def count(db: Database, model: type, *where: object) -> int:
    with db.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_shortlist_is_stored_best_first_and_leaves_out_the_reporting_line(
    db: Database, clock: FakeClock
) -> None:
    seed(db, clock, PEOPLE)
    outcome = shortlist(db, clock, "U_ANA")
    # Cy covers both goals, Ben only the top one; Bea is Ana's manager.
    assert names(outcome) == ["U_CY", "U_BEN"]
    assert outcome.candidates[0].score > outcome.candidates[1].score
    assert any("all your goals" in r for r in outcome.candidates[0].reasons)
    expected = [pid(db, "U_CY"), pid(db, "U_BEN")]
    with db.transaction() as session:
        stored = session.get(Shortlist, outcome.shortlist_id)
        assert stored is not None and stored.status == "open"
        assert [c["mentor_id"] for c in stored.candidates] == expected
        assert stored.candidates[0]["reasons"] == list(outcome.candidates[0].reasons)


def test_only_confirmed_active_unpaused_reachable_people_take_part(
    db: Database, clock: FakeClock
) -> None:
    seed(
        db,
        clock,
        PEOPLE
        + "U_DOT,Dot Ng,,Legal,Counsel,mentor,,public-speaking,1,Europe/Paris,en,either\n"
        + "U_EVE,Eve Ray,,Legal,Counsel,mentor,,,1,Europe/Paris,en,either\n",  # no expertise
    )
    assert set(names(shortlist(db, clock, "U_ANA"))) >= {"U_CY", "U_BEN", "U_DOT"}
    cy, dot = pid(db, "U_CY"), pid(db, "U_DOT")
    with db.transaction() as session:
        session.execute(
            update(Participation)
            .where(Participation.id == cy)
            .values(paused_until=clock.now() + timedelta(days=10))
        )
        session.execute(update(Participation).where(Participation.id == dot).values(status="left"))
        session.execute(
            update(Person).where(Person.slack_user_id == "U_BEN").values(unreachable=True)
        )
    outcome = shortlist(db, clock, "U_ANA")
    assert names(outcome) == []
    assert outcome.unmatched_code == "only_reporting_line"  # only Bea is left, her manager
    clock.advance(days=11)  # the pause is over
    assert names(shortlist(db, clock, "U_ANA")) == ["U_CY"]


def test_capacity_counts_active_pairs_and_pending_requests(db: Database, clock: FakeClock) -> None:
    seed(
        db,
        clock,
        PEOPLE
        + "U_DEE,Dee Fox,,Finance,Analyst,mentee,stakeholder-management,,,Europe/London,en,remote\n",
    )
    dee = shortlist(db, clock, "U_DEE")
    assert "U_CY" in names(dee)
    assert request(db, clock, "U_DEE", dee, "U_CY").status == "ok"
    # Cy (capacity 1) now has a pending request: not offered to Ana.
    assert "U_CY" not in names(shortlist(db, clock, "U_ANA"))
    with db.transaction() as session:
        request_id = session.scalars(select(MentorRequest.id)).one()
        svc.accept_request(
            session, team_id=TEAM, user_id="U_CY", request_id=request_id, clock=clock
        )
    assert "U_CY" not in names(shortlist(db, clock, "U_ANA"))  # an active pair counts too
    with db.transaction() as session:
        session.execute(update(Pair).values(status="completed"))
    assert "U_CY" in names(shortlist(db, clock, "U_ANA"))


def test_do_not_pair_previous_pairs_and_exclusions_are_never_offered(
    db: Database, clock: FakeClock
) -> None:
    seed(
        db,
        clock,
        PEOPLE + "U_DOT,Dot Ng,,Legal,Counsel,mentor,,public-speaking,1,Europe/Paris,en,either\n",
    )
    assert set(names(shortlist(db, clock, "U_ANA"))) == {"U_CY", "U_BEN", "U_DOT"}
    ana, ben, dot = pid(db, "U_ANA"), pid(db, "U_BEN"), pid(db, "U_DOT")
    with db.transaction() as session:
        people = {s: i for s, i in session.execute(select(Person.slack_user_id, Person.id))}
        session.add(  # a coordinator's do-not-pair, in either order
            DoNotPair(
                team_id=TEAM,
                person_a=people["U_CY"],
                person_b=people["U_ANA"],
                created_at=clock.now(),
            )
        )
    assert set(names(shortlist(db, clock, "U_ANA"))) == {"U_BEN", "U_DOT"}
    with db.transaction() as session:
        program = session.scalars(select(Program)).one()
        session.add(
            Pair(
                team_id=TEAM,
                program_id=program.id,
                mentee_id=ana,
                mentor_id=ben,
                status="completed",
                created_at=clock.now(),
            )
        )
    assert names(shortlist(db, clock, "U_ANA")) == ["U_DOT"]
    with db.transaction() as session:
        session.add(
            MatchExclusion(
                team_id=TEAM,
                mentee_id=ana,
                mentor_id=dot,
                reason="none_suit",
                created_at=clock.now(),
            )
        )
    outcome = shortlist(db, clock, "U_ANA")
    assert names(outcome) == [] and outcome.shortlist_id is None
    assert outcome.unmatched_code == "all_ruled_out"
    assert "ruled out" in (outcome.unmatched_reason or "")


def test_request_then_accept_creates_exactly_one_pair(db: Database, clock: FakeClock) -> None:
    seed(db, clock, PEOPLE)
    outcome = request(db, clock, "U_ANA", shortlist(db, clock, "U_ANA"), "U_CY")
    assert outcome.status == "ok" and outcome.request_id is not None
    assert [g.name for g in outcome.goals] == ["Public speaking", "Stakeholder management"]
    # Monday 09:00 UTC + 4 working days (Berlin) = Friday 09:00 UTC.
    assert outcome.expires_at == datetime(2026, 3, 6, 9, 0, tzinfo=UTC)
    with db.transaction() as session:
        first = svc.accept_request(
            session, team_id=TEAM, user_id="U_CY", request_id=outcome.request_id, clock=clock
        )
    assert first.status == "accepted" and first.pair_id is not None
    with db.transaction() as session:
        again = svc.accept_request(
            session, team_id=TEAM, user_id="U_CY", request_id=outcome.request_id, clock=clock
        )
        other = svc.accept_request(
            session, team_id=TEAM, user_id="U_BEN", request_id=outcome.request_id, clock=clock
        )
        declined = svc.decline_request(
            session,
            team_id=TEAM,
            user_id="U_CY",
            request_id=outcome.request_id,
            reason="x",
            clock=clock,
        )
    assert (again.status, again.current_status) == ("already_answered", "accepted")
    assert other.status == "not_yours"
    assert declined.status == "already_answered"
    assert count(db, Pair) == 1
    # a mentee with a mentor is no longer offered anyone
    assert shortlist(db, clock, "U_ANA").unmatched_code == "paired"


def test_one_pending_request_per_mentee_and_stale_buttons(db: Database, clock: FakeClock) -> None:
    seed(db, clock, PEOPLE)
    first = shortlist(db, clock, "U_ANA")
    assert request(db, clock, "U_ANA", first, "U_CY").status == "ok"
    # The same list again (a double click), and another mentor from it.
    again = request(db, clock, "U_ANA", first, "U_CY")
    assert again.status == "already_pending" and again.pending_with is not None
    assert again.pending_with.user_id == "U_CY"
    assert request(db, clock, "U_ANA", first, "U_BEN").status == "already_pending"
    assert count(db, MentorRequest) == 1
    # Someone else's button.
    cy = pid(db, "U_CY")
    with db.transaction() as session:
        foreign = svc.request_mentor(
            session,
            team_id=TEAM,
            user_id="U_BEN",
            shortlist_id=first.shortlist_id or 0,
            mentor_id=cy,
            clock=clock,
        )
    assert foreign.status == "not_yours"


def test_a_superseded_list_is_stale(db: Database, clock: FakeClock) -> None:
    seed(db, clock, PEOPLE)
    old = shortlist(db, clock, "U_ANA")
    new = shortlist(db, clock, "U_ANA")
    assert new.shortlist_id != old.shortlist_id
    assert request(db, clock, "U_ANA", old, "U_CY").status == "stale"
    assert count(db, MentorRequest) == 0
    assert count(db, Shortlist, Shortlist.status == "open") == 1


def test_last_slot_taken_gives_a_kind_taken_with_alternatives(
    db: Database, clock: FakeClock
) -> None:
    seed(
        db,
        clock,
        PEOPLE + "U_DEE,Dee Fox,,Finance,Analyst,mentee,stakeholder-management;public-speaking,,,"
        "Europe/London,en,remote\n",
    )
    ana, dee = shortlist(db, clock, "U_ANA"), shortlist(db, clock, "U_DEE")
    assert "U_CY" in names(ana) and "U_CY" in names(dee)
    assert request(db, clock, "U_ANA", ana, "U_CY").status == "ok"
    lost = request(db, clock, "U_DEE", dee, "U_CY")
    assert lost.status == "taken"
    assert lost.next is not None and lost.next.has_candidates
    assert "U_CY" not in names(lost.next)
    cy = pid(db, "U_CY")
    assert count(db, MentorRequest, MentorRequest.mentor_id == cy) == 1


def test_decline_is_private_excludes_the_mentor_and_offers_the_next(
    db: Database, clock: FakeClock
) -> None:
    seed(db, clock, PEOPLE)
    made = request(db, clock, "U_ANA", shortlist(db, clock, "U_ANA"), "U_CY")
    with db.transaction() as session:
        outcome = svc.decline_request(
            session,
            team_id=TEAM,
            user_id="U_CY",
            request_id=made.request_id or 0,
            reason="  Too busy this quarter  ",
            clock=clock,
        )
    assert outcome.status == "declined"
    assert outcome.next is not None and names(outcome.next) == ["U_BEN"]
    cy = pid(db, "U_CY")
    with db.transaction() as session:
        stored = session.get(MentorRequest, made.request_id)
        assert stored is not None
        assert (stored.status, stored.decline_reason) == ("declined", "Too busy this quarter")
        exclusion = session.scalars(select(MatchExclusion)).one()
        assert (exclusion.mentor_id, exclusion.reason) == (cy, "declined")


def test_none_suit_records_why_excludes_them_and_offers_others(
    db: Database, clock: FakeClock
) -> None:
    seed(
        db,
        clock,
        PEOPLE + "U_DOT,Dot Ng,,Legal,Counsel,mentor,,public-speaking,1,Europe/Paris,en,either\n",
    )
    first = shortlist(db, clock, "U_ANA")
    assert len(first.candidates) == 3  # Cy, then Ben and Dot in some order

    def none_suit() -> svc.NoneSuitOutcome:
        with db.transaction() as session:
            return svc.none_suit(
                session,
                team_id=TEAM,
                user_id="U_ANA",
                shortlist_id=first.shortlist_id or 0,
                reason_code="practical",
                reason="All in other time zones",
                clock=clock,
            )

    outcome = none_suit()
    assert outcome.status == "ok" and outcome.excluded == 3
    assert outcome.next is not None and outcome.next.candidates == ()
    assert outcome.next.unmatched_code == "all_ruled_out"
    assert none_suit().status == "stale"  # the list is closed
    with db.transaction() as session:
        feedback = session.scalars(select(NoneSuitFeedback)).one()
        assert (feedback.reason_code, feedback.reason) == ("practical", "All in other time zones")
    assert count(db, MatchExclusion) == 3


def test_reminder_and_expiry_happen_once_each_on_working_days(
    db: Database, clock: FakeClock
) -> None:
    seed(db, clock, PEOPLE)
    made = request(db, clock, "U_ANA", shortlist(db, clock, "U_ANA"), "U_CY")
    request_id = made.request_id or 0

    def reminders() -> list[int]:
        with db.transaction() as session:
            return svc.due_reminders(session, clock)

    def expiries() -> list[int]:
        with db.transaction() as session:
            return svc.due_expiries(session, clock)

    clock.advance(days=1, hours=23)  # Wednesday 08:00
    assert reminders() == [] and expiries() == []
    clock.advance(hours=1)  # Wednesday 09:00 UTC: two working days
    assert reminders() == [request_id]
    with db.transaction() as session:
        planned = svc.plan_reminders(session, clock)
        twice = svc.plan_reminders(session, clock)
        claimed = svc.reminder_to_send(session, request_id, clock.now())
    # one ledger row for the reminder, planned once; what it says is the mentor's request
    assert len(planned) == 1 and twice == []
    assert claimed is not None and claimed.mentor.user_id == "U_CY"
    assert reminders() == []
    clock.advance(days=1, hours=23, minutes=59)  # Friday 08:59
    assert expiries() == []
    clock.advance(minutes=1)
    assert expiries() == [request_id]
    with db.transaction() as session:
        expired = svc.expire_request(session, request_id, clock)
        again = svc.expire_request(session, request_id, clock)
    assert expired is not None and expired.status == "expired" and again is None
    assert expired.next is not None and names(expired.next) == ["U_BEN"]
    with db.transaction() as session:
        exclusion = session.scalars(select(MatchExclusion)).one()
        assert exclusion.reason == "expired"
        late = svc.accept_request(
            session, team_id=TEAM, user_id="U_CY", request_id=request_id, clock=clock
        )
    assert late.status == "already_answered" and count(db, Pair) == 0


def test_accept_after_the_deadline_but_before_the_sweep_changes_nothing(
    db: Database, clock: FakeClock
) -> None:
    seed(db, clock, PEOPLE)
    made = request(db, clock, "U_ANA", shortlist(db, clock, "U_ANA"), "U_CY")
    clock.advance(days=5)
    with db.transaction() as session:
        late = svc.accept_request(
            session, team_id=TEAM, user_id="U_CY", request_id=made.request_id or 0, clock=clock
        )
    assert late.status == "overdue"
    assert count(db, Pair) == 0
    assert count(db, MentorRequest, MentorRequest.status == "pending") == 1


UTC_ = "UTC"


@pytest.mark.parametrize(
    ("start", "days", "tz", "expected"),
    [
        ("2026-03-02T09:00", 2, UTC_, "2026-03-04T09:00"),  # Monday -> Wednesday
        ("2026-03-06T15:00", 1, UTC_, "2026-03-09T15:00"),  # Friday -> Monday
        ("2026-03-06T15:00", 4, UTC_, "2026-03-12T15:00"),  # Friday -> Thursday
        ("2026-03-07T10:00", 1, UTC_, "2026-03-09T10:00"),  # Saturday -> Monday
        # Friday 23:30 UTC is already Saturday in Tokyo: + 1 working day is Monday there.
        ("2026-03-06T23:30", 1, "Asia/Tokyo", "2026-03-08T23:30"),
    ],
)
def test_add_working_days(start: str, days: int, tz: str, expected: str) -> None:
    begin = datetime.fromisoformat(start).replace(tzinfo=UTC)
    moved = WorkingHours().add_working_days(begin, days, tz)
    assert moved == datetime.fromisoformat(expected).replace(tzinfo=UTC)


def test_reminders_wait_for_the_mentors_working_hours() -> None:
    created = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # Monday 10:00 in New York
    settings = program_settings(None).with_stored(
        {"request_reminder_days": 2, "request_expiry_days": 4}
    )
    remind, expires = svc.request_deadlines(created, settings, "America/New_York")
    assert expires == datetime(2026, 3, 6, 15, 0, tzinfo=UTC)
    assert remind == datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
    late = datetime(2026, 3, 6, 23, 0, tzinfo=UTC)  # Friday 18:00 in New York
    remind, _ = svc.request_deadlines(late, settings, "America/New_York")
    # Tuesday 18:00 local is after hours: Wednesday 09:00 local (13:00 UTC, after DST starts)
    assert remind == datetime(2026, 3, 11, 13, 0, tzinfo=UTC)


def test_a_coordinator_run_lists_every_waiting_mentee_and_replaces_old_lists(
    db: Database, clock: FakeClock
) -> None:
    seed(
        db,
        clock,
        PEOPLE
        + "U_DEE,Dee Fox,,Finance,Analyst,mentee,public-speaking,,,Europe/London,en,remote\n"
        + "U_FAY,Fay Po,,Finance,Analyst,mentee,security,,,Europe/London,en,remote\n"
        + "U_GUS,Gus Li,U_BEA,Finance,Analyst,mentee,stakeholder-management,,,Europe/London,en,remote\n",
    )
    old = shortlist(db, clock, "U_ANA")
    request(db, clock, "U_DEE", shortlist(db, clock, "U_DEE"), "U_BEN")
    with db.transaction() as session:
        program = session.scalars(select(Program)).one()
        outcomes = svc.run_matching(session, program, clock)
    by_user = {o.mentee.user_id: o for o in outcomes}
    # Dee has a pending request: not included. Fay's goal nobody covers. Gus reports to Bea
    # but Cy covers his goal.
    assert set(by_user) == {"U_ANA", "U_FAY", "U_GUS"}
    assert by_user["U_ANA"].has_candidates and by_user["U_ANA"].shortlist_id != old.shortlist_id
    assert by_user["U_FAY"].unmatched_code == "no_mentor_covers_goals"
    assert names(by_user["U_GUS"]) == ["U_CY"]
    assert by_user["U_FAY"].shortlist_id is None and by_user["U_FAY"].unmatched_reason
    with db.transaction() as session:
        stale = session.get(Shortlist, old.shortlist_id)
        assert stale is not None and stale.status == "closed"


def test_a_single_list_respects_the_exposure_cap(db: Database, clock: FakeClock) -> None:
    mentees = "".join(
        f"U_M{i},Mentee {i},,Finance,Analyst,mentee,security,,,Europe/London,en,remote\n"
        for i in range(3)
    )
    seed(
        db,
        clock,
        HEADER
        + "U_SEC,Sol Ek,,Security,Lead,mentor,,security,1,Europe/London,en,either\n"
        + mentees,
    )
    # Capacity 1 x exposure factor 2: Sol can be on two open lists at once.
    assert names(shortlist(db, clock, "U_M0")) == ["U_SEC"]
    assert names(shortlist(db, clock, "U_M1")) == ["U_SEC"]
    third = shortlist(db, clock, "U_M2")
    assert names(third) == [] and third.unmatched_code == "exposure_limit"
    assert "high demand" in (third.unmatched_reason or "")
    # A new list for M0 replaces its old one, so it does not count against itself.
    assert names(shortlist(db, clock, "U_M0")) == ["U_SEC"]


def test_an_unreachable_mentor_leaves_matching_and_their_requests_are_cancelled(
    db: Database, clock: FakeClock
) -> None:
    seed(db, clock, PEOPLE)
    made = request(db, clock, "U_ANA", shortlist(db, clock, "U_ANA"), "U_CY")
    with db.transaction() as session:
        pending = svc.mark_unreachable(session, TEAM, "U_CY")
    assert pending == [made.request_id]
    with db.transaction() as session:
        cancelled = svc.cancel_request(session, made.request_id or 0, clock)
        twice = svc.cancel_request(session, made.request_id or 0, clock)
    assert cancelled is not None and cancelled.status == "cancelled" and twice is None
    assert cancelled.next is not None and names(cancelled.next) == ["U_BEN"]


def test_home_shows_requests_and_pairs(db: Database, clock: FakeClock) -> None:
    seed(db, clock, PEOPLE)
    made = request(db, clock, "U_ANA", shortlist(db, clock, "U_ANA"), "U_CY")
    with db.transaction() as session:
        ana = svc.home_matching(session, TEAM, "U_ANA")
        cy = svc.home_matching(session, TEAM, "U_CY")
    assert ana.asked is not None and ana.asked.user_id == "U_CY"
    assert [m.user_id for m, _ in cy.requests_to_me] == ["U_ANA"]
    with db.transaction() as session:
        svc.accept_request(
            session, team_id=TEAM, user_id="U_CY", request_id=made.request_id or 0, clock=clock
        )
        ana = svc.home_matching(session, TEAM, "U_ANA")
        cy = svc.home_matching(session, TEAM, "U_CY")
    assert ana.mentor_of_mine is not None and ana.mentor_of_mine.user_id == "U_CY"
    assert ana.asked is None and cy.requests_to_me == []
    assert [m.user_id for m in cy.my_mentees] == ["U_ANA"]
