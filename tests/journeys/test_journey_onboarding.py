"""Onboarding journeys: a person talks to the bot through Slack (signed requests to the real
app), the fake Slack records what the bot sends back."""

from __future__ import annotations

from sqlalchemy import select

from core.onboarding.models import Conversation
from core.people.models import Participation, Person
from sandbox.harness import BotUnderTest


def ana(slack: BotUnderTest) -> str:
    slack.add_person("U_ANA", "ana", real_name="Ana Lima", tz="Europe/Lisbon", title="Engineer")
    return "U_ANA"


def finish_common_steps(slack: BotUnderTest, user: str) -> None:
    d = slack.d
    d.click(user, "onboarding.format.select.remote")
    d.select(user, "onboarding.languages.select", ["en", "pt"])
    d.dm(user, "I'm based in Lisbon and like mornings")


def participation(slack: BotUnderTest, user: str) -> Participation | None:
    with slack.app.db.transaction() as session:
        person = session.scalars(select(Person).where(Person.slack_user_id == user)).one()
        p = session.scalars(
            select(Participation).where(Participation.person_id == person.id)
        ).first()
        if p is not None:
            _ = p.goals, p.expertise
        return p


def test_ana_dms_the_bot_picks_two_goals_and_confirms(slack: BotUnderTest) -> None:
    user = ana(slack)
    d = slack.d
    d.dm(user, "Hi! I'd like to join")
    first = slack.fake.last_dm(user)
    assert "Ana" in (first.text or "") or "Ana" in str(first.blocks)
    d.click(user, "onboarding.role.select.mentee")
    d.select(user, "onboarding.goals.select", ["public-speaking", "stakeholder-management"])
    d.dm(user, "Give a talk at the all-hands without notes")
    d.dm(user, "Keep my steering group <b>aligned</b> & @here happy")
    finish_common_steps(slack, user)
    review = slack.fake.last_dm(user)
    assert "Public speaking" in str(review.blocks)
    # user text is escaped wherever it is shown
    assert "&lt;b&gt;aligned&lt;/b&gt; &amp; @here" in str(review.blocks)
    assert "<b>" not in str(review.blocks)
    d.click(user, "onboarding.review.confirm")

    p = participation(slack, user)
    assert p is not None and p.confirmed and p.status == "active"
    assert p.is_mentee and not p.is_mentor
    assert [g.competency_id for g in p.goals] == ["public-speaking", "stakeholder-management"]
    assert [g.priority for g in p.goals] == [1, 2]
    assert p.meeting_format == "remote" and p.languages == ["en", "pt"]
    assert "Lisbon" in (p.notes or "")
    assert any("profile is confirmed" in t for t in slack.dm_texts(user))
    # the played-back profile lost its buttons once confirmed
    assert not any(
        m for m in slack.fake.dm_messages(user) if "onboarding.review.confirm" in str(m.blocks)
    )
    # name, title and time zone come from Slack, not from questions
    with slack.app.db.transaction() as session:
        person = session.scalars(select(Person).where(Person.slack_user_id == user)).one()
        assert (person.display_name, person.title, person.timezone) == (
            "Ana Lima",
            "Engineer",
            "Europe/Lisbon",
        )
    # every message the bot sent has fallback text
    assert all(call.args.get("text") for call in slack.fake.calls_to("chat.postMessage"))


def test_a_mentor_offers_expertise_and_capacity_from_the_home_tab(slack: BotUnderTest) -> None:
    slack.add_person("U_BEN", "ben", real_name="Ben Okafor", tz="America/New_York")
    d = slack.d
    d.open_home("U_BEN")
    home = slack.fake.home_view("U_BEN")
    # the first visit explains the program and offers Join; nothing is sent unasked
    assert home is not None and "home.join" in str(home.blocks)
    assert slack.dm_texts("U_BEN") == []
    d.click("U_BEN", "home.join")
    assert "home.continue" in str(slack.fake.home_view("U_BEN").blocks)
    d.click("U_BEN", "onboarding.role.select.mentor")
    d.select("U_BEN", "onboarding.expertise.select", ["system-design", "career-planning"])
    d.click("U_BEN", "onboarding.capacity.select.2")
    finish_common_steps(slack, "U_BEN")
    d.click("U_BEN", "onboarding.review.confirm")
    p = participation(slack, "U_BEN")
    assert p is not None and p.confirmed and p.is_mentor and not p.is_mentee
    assert p.capacity == 2
    assert sorted(e.competency_id for e in p.expertise) == ["career-planning", "system-design"]
    assert p.goals == []
    home = slack.fake.home_view("U_BEN")
    assert "home.profile.edit" in str(home.blocks)


def test_both_roles_via_slash_command(slack: BotUnderTest) -> None:
    slack.add_person("U_CY", "cy", real_name="Cy Tan", tz="Asia/Singapore")
    d = slack.d
    d.slash("U_CY", "/mentoring", "join")
    d.click("U_CY", "onboarding.role.select.both")
    d.select("U_CY", "onboarding.goals.select", ["leading-a-team"])
    d.dm("U_CY", "Lead my first team of four")
    d.select("U_CY", "onboarding.expertise.select", ["data-analysis"])
    d.click("U_CY", "onboarding.capacity.select.1")
    finish_common_steps(slack, "U_CY")
    d.click("U_CY", "onboarding.review.confirm")
    p = participation(slack, "U_CY")
    assert p is not None and p.is_mentee and p.is_mentor and p.confirmed


def test_edit_in_the_modal_before_confirming(slack: BotUnderTest) -> None:
    user = ana(slack)
    d = slack.d
    d.dm(user, "hello, I want to join")
    d.click(user, "onboarding.role.select.mentee")
    d.select(user, "onboarding.goals.select", ["writing"])
    d.dm(user, "Write a design doc people actually read")
    finish_common_steps(slack, user)
    d.click(user, "onboarding.review.edit")
    modal = slack.fake.open_views(user)[-1]
    d.submit_view(
        user,
        modal,
        {
            "profile_goal_1": {"profile.goal.1": "negotiation"},
            "profile_success_1": {"profile.success.1": "Negotiate my next contract"},
            "profile_priority_0": {"profile.priority.0": "2"},
            "profile_priority_1": {"profile.priority.1": "1"},
        },
    )
    review = slack.fake.last_dm(user)
    d.click(user, "onboarding.review.confirm")
    p = participation(slack, user)
    assert p is not None and p.confirmed
    assert sorted(g.competency_id for g in p.goals) == ["negotiation", "writing"]
    assert p.goals[0].competency_id == "negotiation"  # top priority first
    assert review is not None


def test_edit_modal_rejects_too_long_text_with_the_limit(slack: BotUnderTest, monkeypatch) -> None:
    user = ana(slack)
    d = slack.d
    d.dm(user, "hello, I want to join")
    d.click(user, "onboarding.role.select.mentee")
    d.select(user, "onboarding.goals.select", ["writing"])
    d.dm(user, "Clear docs")
    finish_common_steps(slack, user)
    d.click(user, "onboarding.review.edit")
    modal = slack.fake.open_views(user)[-1]
    assert '"max_length": 500' in __import__("json").dumps(modal.blocks)  # Slack enforces it...
    # ...and so does the server, for a client that does not: forge one.
    monkeypatch.setattr(type(d), "_check_text_input", staticmethod(lambda *a: None))
    response = d.submit_view(user, modal, {"profile_notes": {"profile.notes": "x" * 501}})
    body = response.json()
    assert body["response_action"] == "errors"
    assert "500" in body["errors"]["profile_notes"]
    with slack.app.db.transaction() as session:
        conversation = session.scalars(select(Conversation)).one()
        assert conversation.draft["notes"] == "I'm based in Lisbon and like mornings"


def test_restart_mid_conversation_resumes_at_the_same_step(slack: BotUnderTest) -> None:
    user = ana(slack)
    d = slack.d
    d.dm(user, "Hi! I'd like to join")
    d.click(user, "onboarding.role.select.mentee")
    d.select(user, "onboarding.goals.select", ["hiring"])
    slack.restart()
    d = slack.d
    d.dm(user, "Hire two engineers well")  # answers the question asked before the restart
    with slack.app.db.transaction() as session:
        conversation = session.scalars(select(Conversation)).one()
        assert conversation.step == "format"
        assert conversation.draft["goals"][0]["success"] == "Hire two engineers well"


def test_typing_when_a_button_is_expected_gets_a_hint(slack: BotUnderTest) -> None:
    user = ana(slack)
    slack.d.dm(user, "Hi! I'd like to join")
    slack.d.dm(user, "purple elephants")  # answers nothing, asks nothing
    assert "buttons" in slack.dm_texts(user)[-1]
    with slack.app.db.transaction() as session:
        assert session.scalars(select(Conversation)).one().step == "role"


def test_events_from_another_workspace_or_a_bot_are_ignored(slack: BotUnderTest) -> None:
    user = ana(slack)
    channel = slack.fake.dm_channel(user)
    other = {
        "type": "message",
        "channel_type": "im",
        "user": user,
        "text": "hi",
        "channel": channel,
        "team": "T_OTHER",
    }
    assert slack.d.event(other, team_id="T_OTHER").status_code == 200
    bot_event = {
        "type": "message",
        "channel_type": "im",
        "user": user,
        "bot_id": "B_OTHER",
        "text": "beep",
        "channel": slack.fake.dm_channel(user),
    }
    slack.d.event(bot_event)
    assert slack.fake.calls_to("chat.postMessage") == []


def test_healthz_reports_the_database(slack: BotUnderTest) -> None:
    import httpx

    response = httpx.get(slack.server.url + "/healthz")
    assert response.status_code == 200 and response.json()["status"] == "ok"


def test_someone_with_an_imported_profile_is_not_onboarded_again(slack: BotUnderTest) -> None:
    """A coordinator's import gives people a confirmed profile without a conversation."""
    from core.onboarding import service as ob
    from core.people.directory import upsert_person
    from core.people.profiles import GoalInput, ProfileForm, save_profile
    from core.programs.service import default_program, program_settings

    user = ana(slack)
    clock = slack.app.clock
    with slack.app.db.transaction() as session:
        person = upsert_person(session, "T0001", None, user, clock)
        program = default_program(session, "T0001", clock)
        p = ob.ensure_participation(session, person, program, clock)
        form = ProfileForm(
            role="mentee", goals=[GoalInput("writing", None, 1)], confidentiality_ack=True
        )
        save_profile(session, p, form, program_settings(program), clock, confirm=True)
    slack.d.open_home(user)
    assert not any("How would you like to take part" in t for t in slack.dm_texts(user))
    assert "home.profile.edit" in str(slack.fake.home_view(user).blocks)
    slack.d.slash(user, "/mentoring", "join")
    assert any("already set up" in t for t in slack.dm_texts(user))


def test_a_question_typed_mid_onboarding_is_answered_then_the_step_waits(
    slack: BotUnderTest,
) -> None:
    user = ana(slack)
    slack.d.dm(user, "Hi! I'd like to join")
    slack.d.dm(user, "what is the difference between mentoring and coaching?")
    texts = slack.dm_texts(user)
    assert any("coach" in t.lower() for t in texts[-3:])
    assert "still waiting" in texts[-1]
    slack.d.click(user, "onboarding.role.select.mentee")  # the step is still answerable
    with slack.app.db.transaction() as session:
        assert session.scalars(select(Conversation)).one().step == "goals"
