"""Several programs in one workspace, from the employee's side: an invitation's Join button
onboards into the program it was sent for, `/mentoring join` asks which program when there
is more than one, FAQ answers quote the asker's own program, a Join button naming a program
of another workspace is refused, and pausing or leaving covers every program."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from core.models import Conversation, Participation, Person, Program
from core.programs import ensure_workspace
from sandbox.harness import BotUnderTest
from tests.admin_support import TEAM, join, last_reply, make_coordinator

GUILD = "Engineering Guild"
CONTACT = "How do I contact a program coordinator?"
TIME = "How much time does mentoring take?"


@pytest.fixture
def guild(slack: BotUnderTest, monkeypatch: pytest.MonkeyPatch) -> str:
    """A workspace with the default program (coordinator U_CO) and the Engineering Guild
    (created by U_CO, also run by U0GUILD1), whose relationships last 9 months."""
    make_coordinator(slack, "U_CO", monkeypatch)
    slack.add_person("U0GUILD1", "guildlead", real_name="Gil Guild")
    d = slack.d
    d.slash("U_CO", "/mentoring", f"program create {GUILD}")
    d.slash("U_CO", "/mentoring", f'coordinators add <@U0GUILD1> --program "{GUILD}"')
    with slack.app.db.transaction() as session:
        program = session.scalars(select(Program).where(Program.name == GUILD)).one()
        program.settings = {"duration_months": 9}
    return GUILD


def programs_of(slack: BotUnderTest, user: str) -> dict[str, str]:
    """{program name: participation status} for everyone's view of `user`."""
    with slack.app.db.transaction() as session:
        rows = session.execute(
            select(Program.name, Participation.status)
            .join(Participation, Participation.program_id == Program.id)
            .join(Person, Person.id == Participation.person_id)
            .where(Person.slack_user_id == user)
        ).all()
    return {name: status for name, status in rows}


def program_id(slack: BotUnderTest, name: str) -> int:
    with slack.app.db.transaction() as session:
        return session.scalars(select(Program.id).where(Program.name == name)).one()


def onboard_as_mentor(slack: BotUnderTest, user: str) -> None:
    """Answer every onboarding question (the first one is already in the DM)."""
    d = slack.d
    d.click(user, "onboarding.role.select.mentor")
    d.select(user, "onboarding.expertise.select", ["system-design"])
    d.click(user, "onboarding.capacity.select.1")
    d.click(user, "onboarding.format.select.remote")
    d.select(user, "onboarding.languages.select", ["en"])
    d.dm(user, "mornings are best")
    d.click(user, "onboarding.confidentiality.ack")
    d.click(user, "onboarding.review.confirm")


def faq_answer(slack: BotUnderTest, user: str, question: str) -> str:
    slack.d.dm(user, question)
    return json.dumps(slack.fake.last_dm(user).blocks)


def test_invited_to_the_guild_joins_the_guild_and_its_faq_answers(
    slack: BotUnderTest, guild: str
) -> None:
    slack.add_person("U_NEW", "nia", real_name="Nia New", tz="Europe/London")
    d = slack.d
    d.slash("U0GUILD1", "/mentoring", f'invite <@U_NEW> --program "{guild}"')
    slack.run_sweeps()
    (invitation,) = [m for m in slack.fake.dm_messages("U_NEW") if "home.join" in str(m.blocks)]
    assert guild in (invitation.text or "")
    d.click("U_NEW", "home.join", in_message=invitation)
    welcome = slack.fake.last_dm("U_NEW")
    assert guild in str(welcome.blocks) and "onboarding.role.select" in str(welcome.blocks)
    onboard_as_mentor(slack, "U_NEW")
    assert programs_of(slack, "U_NEW") == {guild: "active"}
    assert any("profile is confirmed" in t for t in slack.dm_texts("U_NEW"))
    home = slack.fake.home_view("U_NEW")
    assert home is not None and guild in str(home.blocks)

    # The FAQ answers with the Guild's settings and coordinators, not the default program's.
    contact = faq_answer(slack, "U_NEW", CONTACT)
    assert guild in contact and "<@U0GUILD1>" in contact
    assert "9 months" in faq_answer(slack, "U_NEW", TIME)
    # ...while someone in the default program still hears about the default program.
    join(slack, "U_OLD", "Olga Old")
    contact = faq_answer(slack, "U_OLD", CONTACT)
    assert "Mentoring program" in contact and "<@U0GUILD1>" not in contact
    assert "6 months" in faq_answer(slack, "U_OLD", TIME)

    # A question passed on goes to the Guild's coordinators.
    slack.d.dm("U_NEW", "what's the wifi password?")
    slack.d.click("U_NEW", "faq.escalate.confirm")
    assert any("wifi" in t for t in slack.dm_texts("U0GUILD1"))


def test_join_asks_which_program_when_there_are_several(slack: BotUnderTest, guild: str) -> None:
    slack.add_person("U_ZOE", "zoe", real_name="Zoe Zhang", tz="Europe/London")
    d = slack.d
    d.slash("U_ZOE", "/mentoring", 'join --program "Book club"')
    assert "no program called “Book club”" in last_reply(slack, "U_ZOE")
    assert "Mentoring program or Engineering Guild" in last_reply(slack, "U_ZOE")
    assert programs_of(slack, "U_ZOE") == {}

    d.slash("U_ZOE", "/mentoring", "join")
    chooser = slack.fake.last_dm("U_ZOE")
    assert "Which program" in (chooser.text or "") and guild in str(chooser.blocks)
    assert programs_of(slack, "U_ZOE") == {}  # nothing started before a choice
    guild_id = program_id(slack, guild)
    d.click("U_ZOE", "home.join", value=json.dumps({"p": guild_id}, separators=(",", ":")))
    assert guild in str(slack.fake.last_dm("U_ZOE").blocks)
    onboard_as_mentor(slack, "U_ZOE")
    assert programs_of(slack, "U_ZOE") == {guild: "active"}

    # Joining again offers only the program she is not in yet.
    d.slash("U_ZOE", "/mentoring", "join")
    chooser = slack.fake.last_dm("U_ZOE")
    assert "Mentoring program" in str(chooser.blocks) and guild not in str(chooser.blocks)
    # Naming the Guild again just says she is already in it.
    d.slash("U_ZOE", "/mentoring", f'join --program "{guild.lower()}"')
    assert f"already taking part in *{guild}*" in slack.fake.last_dm("U_ZOE").text


def test_a_join_button_naming_another_workspaces_program_is_refused(
    slack: BotUnderTest, guild: str
) -> None:
    with slack.app.db.transaction() as session:
        ensure_workspace(session, "T_OTHER", slack.app.clock)
        other = Program(
            team_id="T_OTHER",
            name="Secret Skunkworks",
            is_default=False,
            settings={},
            created_at=slack.app.clock.now(),
        )
        session.add(other)
        session.flush()
        other_id = other.id
    slack.add_person("U_MAL", "mal", real_name="Mal Lory")
    fake, d = slack.fake, slack.d

    def counts() -> tuple[int, int, int]:
        with slack.app.db.transaction() as session:
            return tuple(  # type: ignore[return-value]
                session.scalar(select(func.count()).select_from(t))
                for t in (Person, Participation, Conversation)
            )

    before = counts()
    for value in ({"p": other_id}, {"n": "Secret Skunkworks"}, {"p": "1 OR 1=1"}):
        forged = {
            "type": "block_actions",
            "user": {"id": "U_MAL", "team_id": TEAM, "name": "mal"},
            "team": {"id": TEAM, "domain": "acme"},
            "api_app_id": fake.app_id,
            "trigger_id": fake.issue_trigger_id("U_MAL"),
            "actions": [
                {
                    "action_id": "home.join",
                    "block_id": "coordinator.invite",
                    "value": json.dumps(value),
                    "type": "button",
                }
            ],
            "container": {"type": "message", "channel_id": fake.dm_channel("U_MAL")},
            "channel": {"id": fake.dm_channel("U_MAL")},
            "response_url": fake.new_response_url(fake.dm_channel("U_MAL"), "U_MAL"),
        }
        assert d.interaction(forged).status_code == 200
        slack.app.wait_idle()
        assert "couldn't find that program" in (fake.last_dm("U_MAL").text or "")
    assert counts() == before
    assert programs_of(slack, "U_MAL") == {}


def test_someone_in_two_programs_pauses_sees_and_leaves_both(
    slack: BotUnderTest, guild: str
) -> None:
    join(slack, "U_TWO", "Tao Two", role="mentor")
    d = slack.d
    d.slash("U_TWO", "/mentoring", f'join --program "{guild}"')
    onboard_as_mentor(slack, "U_TWO")
    assert programs_of(slack, "U_TWO") == {"Mentoring program": "active", guild: "active"}
    # Typed DMs reach the FAQ once onboarding is done; in two programs, the FAQ speaks for
    # the default one.
    assert "Mentoring program is run by" in faq_answer(slack, "U_TWO", CONTACT)

    d.slash("U_TWO", "/mentoring", "pause 2w")
    with slack.app.db.transaction() as session:
        paused = session.scalars(
            select(Participation.paused_until)
            .join(Person, Person.id == Participation.person_id)
            .where(Person.slack_user_id == "U_TWO")
        ).all()
    assert len(paused) == 2 and all(p is not None for p in paused)
    d.slash("U_TWO", "/mentoring", "status")
    status = last_reply(slack, "U_TWO")
    assert "Mentoring program" in status and guild in status
    d.slash("U_TWO", "/mentoring", "resume")
    with slack.app.db.transaction() as session:
        paused = session.scalars(
            select(Participation.paused_until)
            .join(Person, Person.id == Participation.person_id)
            .where(Person.slack_user_id == "U_TWO")
        ).all()
    assert paused == [None, None]

    d.slash("U_TWO", "/mentoring", "leave")
    d.click("U_TWO", "everyone.leave.confirm")
    assert programs_of(slack, "U_TWO") == {"Mentoring program": "left", guild: "left"}
