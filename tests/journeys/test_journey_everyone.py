"""Everyone's own /mentoring commands: help by role, status, leave, my-data and forget-me,
and what happens to a person's data after they leave."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.coordination.models import AuditEvent, Coordinator
from core.matchmaking.models import MentorRequest, Pair
from core.people.models import Person
from sandbox.harness import BotUnderTest
from tests.admin_support import (
    TEAM,
    ephemeral_texts,
    join,
    last_reply,
    make_coordinator,
    participation,
    rows_mentioning,
    rows_referencing,
)

GOAL_TEXT = "Chair the Porto design review without freezing"
NOTES = "Night owl; caring for my dad on Thursdays"
MENTOR_SECRET = "too busy with the Q3 launch to take anyone on"


def onboard_by_dm(slack: BotUnderTest, user: str, name: str) -> None:
    """The whole onboarding conversation, as a person types it."""
    slack.add_person(user, name.split()[0].lower(), real_name=name)
    d = slack.d
    d.dm(user, "I'd like to join")
    d.click(user, "onboarding.role.select.mentee")
    d.select(user, "onboarding.goals.select", ["public-speaking"])
    d.dm(user, GOAL_TEXT)
    d.click(user, "onboarding.format.select.remote")
    d.select(user, "onboarding.languages.select", ["en"])
    d.dm(user, NOTES)
    d.click(user, "onboarding.review.confirm")


def pair_up(slack: BotUnderTest, mentee: str, mentor: str) -> None:
    slack.d.slash("U_CO", "/mentoring", f"match <@{mentee}> <@{mentor}> shared interests")
    slack.d.click(mentee, "coordinator.match.accept")
    slack.d.click(mentor, "coordinator.match.accept")


def test_help_is_by_role_and_unknown_subcommands_get_help_or_did_you_mean(
    slack: BotUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_coordinator(slack, "U_CO", monkeypatch)
    slack.add_person("U_A", "ana")
    d = slack.d
    d.slash("U_A", "/mentoring", "help")
    text = last_reply(slack, "U_A")
    for command in ("join", "profile", "status", "leave", "my-data", "forget-me"):
        assert f"`/mentoring {command}`" in text
    assert "As a coordinator" not in text and "`stats`" not in text
    d.slash("U_CO", "/mentoring", "help")
    assert "As a coordinator of Mentoring program" in last_reply(slack, "U_CO")
    assert "`stats`" in last_reply(slack, "U_CO")
    d.slash("U_A", "/mentoring", "frobnicate")
    assert "I don't know `frobnicate` yet" in last_reply(slack, "U_A")
    # a typo gets the subcommand it most likely meant, not the whole help
    d.slash("U_CO", "/mentoring", "stat")
    reply = last_reply(slack, "U_CO")
    assert "Did you mean `/mentoring stats`?" in reply and "Here's what I can do" not in reply
    d.slash("U_A", "/mentoring", "Stauts")
    assert "Did you mean `/mentoring status`?" in last_reply(slack, "U_A")
    d.slash("U_A", "/mentoring", "<!channel>")
    assert "<!channel>" not in last_reply(slack, "U_A")


def test_status_shows_my_pairs_and_requests(
    slack: BotUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_coordinator(slack, "U_CO", monkeypatch)
    slack.add_person("U_NEW", "nia")
    slack.d.slash("U_NEW", "/mentoring", "status")
    assert "not part of the mentoring program yet" in last_reply(slack, "U_NEW")
    join(slack, "U_A", "Ana Lima")
    join(slack, "U_B", "Ben Okafor", role="mentor")
    join(slack, "U_C", "Cy Tan")
    slack.d.slash("U_A", "/mentoring", "status")
    assert "Nothing is waiting on you" in last_reply(slack, "U_A")
    pair_up(slack, "U_A", "U_B")
    slack.d.slash("U_CO", "/mentoring", "match <@U_C> <@U_B> also into talks")
    slack.d.slash("U_B", "/mentoring", "status")
    text = last_reply(slack, "U_B")
    assert "Your mentee: <@U_A>" in text
    assert "<@U_C> would like you as their mentor (suggested by a coordinator)" in text


def test_leave_ends_pairs_kindly_and_partners_are_told_without_a_reason(
    slack: BotUnderTest, monkeypatch: pytest.MonkeyPatch, clock
) -> None:
    make_coordinator(slack, "U_CO", monkeypatch)
    join(slack, "U_A", "Ana Lima")
    join(slack, "U_B", "Ben Okafor", role="mentor")
    join(slack, "U_C", "Cy Tan")
    pair_up(slack, "U_A", "U_B")
    slack.d.slash("U_CO", "/mentoring", "match <@U_C> <@U_B> also into talks")
    d = slack.d
    # cancelling changes nothing
    d.slash("U_B", "/mentoring", "leave")
    d.click("U_B", "everyone.leave.cancel")
    assert participation(slack, "U_B").status == "active"
    # an old confirmation has expired
    d.slash("U_B", "/mentoring", "leave")
    clock.advance(days=2)
    d.click("U_B", "everyone.leave.confirm")
    assert "expired" in last_reply(slack, "U_B")
    assert participation(slack, "U_B").status == "active"
    d.slash("U_B", "/mentoring", "leave")
    d.click("U_B", "everyone.leave.confirm")
    assert "You've left the program" in last_reply(slack, "U_B")
    assert participation(slack, "U_B").status == "left"
    with slack.app.db.transaction() as session:
        pair = session.scalars(select(Pair)).one()
        assert (pair.status, pair.end_reason) == ("ended_early", "left")
        request = session.scalars(
            select(MentorRequest).where(MentorRequest.status != "accepted")
        ).one()
        assert request.status == "cancelled"
    told = [t for t in slack.dm_texts("U_A") if "come to an end" in t]
    assert len(told) == 1 and "<@U_B>" in told[0] and "isn't about anything you did" in told[0]
    assert any("isn't able to take on a mentee right now" in t for t in slack.dm_texts("U_C"))
    # coordinators see the status, not a reason
    d.slash("U_CO", "/mentoring", "unmatched")
    assert "<@U_A>: waiting for mentor suggestions" in last_reply(slack, "U_CO")
    # leaving twice: nothing to leave
    d.slash("U_B", "/mentoring", "leave")
    d.click("U_B", "everyone.leave.confirm")
    assert "nothing to leave" in last_reply(slack, "U_B")


def test_my_data_sends_everything_about_me_and_nothing_private_to_others(
    slack: BotUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_coordinator(slack, "U_CO", monkeypatch)
    onboard_by_dm(slack, "U_ANA", "Ana Lima")
    join(slack, "U_B", "Ben Okafor", role="mentor")
    join(slack, "U_D", "Dee Mentor", role="mentor")
    pair_up(slack, "U_ANA", "U_B")
    with slack.app.db.transaction() as session:  # an earlier request Dee declined, privately
        ana = participation(slack, "U_ANA")
        dee = participation(slack, "U_D")
        now = slack.app.clock.now()
        session.add(
            MentorRequest(
                team_id=TEAM,
                program_id=ana.program_id,
                mentee_id=ana.id,
                mentor_id=dee.id,
                status="declined",
                decline_reason=MENTOR_SECRET,
                created_at=now - timedelta(days=3),
                expires_at=now,
                responded_at=now - timedelta(days=2),
            )
        )
    slack.d.slash("U_ANA", "/mentoring", "my-data")
    assert any("sent everything I hold about you" in t for t in ephemeral_texts(slack, "U_ANA"))
    summary = next(
        m for m in slack.fake.dm_messages("U_ANA") if m.text == "Everything I hold about you"
    )
    shown = str(summary.blocks)
    assert GOAL_TEXT in shown and NOTES in shown and "Ana Lima" in shown
    assert "<@U_B>" in shown and "<@U_D>" in shown
    files = [f for f in slack.fake.files if f.name == "my-mentoring-data.json"]
    assert len(files) == 1 and files[0].completed
    assert slack.fake.dm_channel("U_ANA") in {
        m.channel for m in slack.fake.dm_messages("U_ANA") if m.files
    }
    data = json.loads(files[0].content)
    assert {
        "people",
        "participations",
        "goals",
        "conversations",
        "pairs",
        "mentor_requests",
    } <= set(data)
    assert data["goals"][0]["success"] == GOAL_TEXT
    assert data["participations"][0]["notes"] == NOTES
    everything = files[0].content.decode()
    assert MENTOR_SECRET not in everything and MENTOR_SECRET not in shown
    assert "Ben Okafor" not in everything  # other people's rows are not included
    # Dee sees her own reason in her data
    slack.d.slash("U_D", "/mentoring", "my-data")
    dee_file = [f for f in slack.fake.files if f.name == "my-mentoring-data.json"][-1]
    assert MENTOR_SECRET in dee_file.content.decode()
    assert GOAL_TEXT not in dee_file.content.decode()


def test_forget_me_deletes_or_anonymises_every_row_about_me(
    slack: BotUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_coordinator(slack, "U_CO", monkeypatch)
    onboard_by_dm(slack, "U_ANA", "Ana Lima")
    join(slack, "U_B", "Ben Okafor", role="mentor")
    pair_up(slack, "U_ANA", "U_B")
    d = slack.d
    d.slash("U_CO", "/mentoring", "do-not-pair <@U_ANA> <@U_CO>")
    d.slash("U_CO", "/mentoring", "coordinators add <@U_ANA>")  # she helps run it, too
    d.slash("U_ANA", "/mentoring", "stats")
    d.slash("U_CO", "/mentoring", "announce")
    d.submit_view("U_CO", values={"announce_text": {"coordinator.announce.text": "Hello all"}})
    slack.run_sweeps()  # other features plan their messages for the new pair
    d.slash("U_ANA", "/mentoring", "met")  # and whatever else exists keeps its rows about her
    d.slash("U_ANA", "/mentoring", "my-data")
    with slack.app.db.transaction() as session:
        ana = session.scalars(select(Person).where(Person.slack_user_id == "U_ANA")).one()
        person_ids, part_ids = {ana.id}, {p.id for p in ana.participations}
    # the checks can see her
    assert rows_mentioning(slack, "U_ANA", GOAL_TEXT, NOTES)
    assert rows_referencing(slack, person_ids, part_ids)
    d.slash("U_ANA", "/mentoring", "forget-me")
    d.click("U_ANA", "everyone.forget.cancel")
    assert rows_mentioning(slack, "U_ANA")
    d.slash("U_ANA", "/mentoring", "forget-me")
    d.click("U_ANA", "everyone.forget.confirm")
    assert "everything I held about you has been deleted" in last_reply(slack, "U_ANA")
    # the database holds nothing about her: not her id, name, goal text or notes, and no row
    # of any table points at her
    assert rows_mentioning(slack, "U_ANA", "Ana Lima", GOAL_TEXT, NOTES) == []
    assert rows_referencing(slack, person_ids, part_ids) == []
    with slack.app.db.transaction() as session:
        assert session.scalars(select(Pair)).all() == []
        assert session.scalars(select(MentorRequest)).all() == []
        people = {p.slack_user_id for p in session.scalars(select(Person))}
        assert "U_ANA" not in people and "U_B" in people
        assert [c.slack_user_id for c in session.scalars(select(Coordinator))] == ["U_CO"]
        # her coordinator actions stay in the audit log, anonymised
        actors = {e.actor for e in session.scalars(select(AuditEvent))}
        assert "forgotten" in actors and "U_ANA" not in actors
    # her mentor was told kindly, without details
    told = [t for t in slack.dm_texts("U_B") if "come to an end" in t]
    assert len(told) == 1 and GOAL_TEXT not in told[0]
    # the Home tab shows her as someone new, and nothing was created again
    home = slack.fake.home_view("U_ANA")
    assert home is not None and "home.join" in str(home.blocks)
    assert rows_mentioning(slack, "U_ANA") == []


def test_data_of_people_who_left_is_deleted_after_the_retention_days(
    slack: BotUnderTest, clock
) -> None:
    join(slack, "U_A", "Ana Lima", success=GOAL_TEXT)
    join(slack, "U_B", "Ben Okafor", role="mentor")
    slack.d.slash("U_A", "/mentoring", "leave")
    slack.d.click("U_A", "everyone.leave.confirm")
    clock.advance(days=29)
    slack.run_sweeps()
    assert rows_mentioning(slack, GOAL_TEXT)
    clock.advance(days=1, minutes=1)
    slack.run_sweeps()
    assert rows_mentioning(slack, "U_A", GOAL_TEXT, "Ana Lima") == []
    assert participation(slack, "U_B") is not None
