"""Several programs in one workspace, from the employee's side: an invitation's Join button
onboards into the program it was sent for, `/mentoring join` asks which program when there
is more than one, FAQ answers quote the asker's own program (or the one program a
non-participant coordinates), a Join button naming a program of another workspace is refused,
pausing covers every program, `profile` and `leave` ask which program (or take `--program`),
and the Home tab shows each program of someone in several."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from core.matchmaking.models import PAIR_ACTIVE, Pair
from core.onboarding.models import Conversation
from core.people.importer import import_people
from core.people.models import Participation, Person
from core.programs.models import Program
from core.programs.service import ensure_workspace
from sandbox.harness import BotUnderTest
from tests.admin_support import TEAM, join, last_reply, make_coordinator
from tests.matching_data import MENTORS_ONLY
from tests.relationship_support import ANA, BEN, add_to_fake, seed_pair

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


def by_program(slack: BotUnderTest, user: str, column: Any) -> dict[str, Any]:
    """{program name: `column` of `user`'s participation there}."""
    with slack.app.db.transaction() as session:
        rows = session.execute(
            select(Program.name, column)
            .join(Participation, Participation.program_id == Program.id)
            .join(Person, Person.id == Participation.person_id)
            .where(Person.slack_user_id == user)
        ).all()
    return {name: value for name, value in rows}


def programs_of(slack: BotUnderTest, user: str) -> dict[str, str]:
    """{program name: participation status} for everyone's view of `user`."""
    return by_program(slack, user, Participation.status)


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


def last_posted(slack: BotUnderTest, user: str) -> Any:
    """The newest message the bot posted in the DM itself (not a reply to a command)."""
    posted = [m for m in slack.fake.dm_messages(user) if m.from_bot and m.via != "response_url"]
    return posted[-1]


def test_join_asks_which_program_when_there_are_several(slack: BotUnderTest, guild: str) -> None:
    slack.add_person("U_ZOE", "zoe", real_name="Zoe Zhang", tz="Europe/London")
    d = slack.d
    d.slash("U_ZOE", "/mentoring", 'join --program "Book club"')
    assert "no program called “Book club”" in last_reply(slack, "U_ZOE")
    assert "Mentoring program or Engineering Guild" in last_reply(slack, "U_ZOE")
    assert programs_of(slack, "U_ZOE") == {}

    d.slash("U_ZOE", "/mentoring", "join")
    chooser = last_posted(slack, "U_ZOE")
    assert "Which program" in (chooser.text or "") and guild in str(chooser.blocks)
    # the reply to the command comes only once that DM is there
    assert "I've sent you a DM" in (slack.fake.last_dm("U_ZOE").text or "")
    assert programs_of(slack, "U_ZOE") == {}  # nothing started before a choice
    guild_id = program_id(slack, guild)
    d.click("U_ZOE", "home.join", value=json.dumps({"p": guild_id}, separators=(",", ":")))
    assert guild in str(slack.fake.last_dm("U_ZOE").blocks)
    onboard_as_mentor(slack, "U_ZOE")
    assert programs_of(slack, "U_ZOE") == {guild: "active"}

    # Joining again offers only the program she is not in yet.
    d.slash("U_ZOE", "/mentoring", "join")
    chooser = last_posted(slack, "U_ZOE")
    assert "Mentoring program" in str(chooser.blocks) and guild not in str(chooser.blocks)
    # Naming the Guild again just says she is already in it.
    d.slash("U_ZOE", "/mentoring", f'join --program "{guild.lower()}"')
    assert f"already taking part in *{guild}*" in last_posted(slack, "U_ZOE").text


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


def in_two_programs(slack: BotUnderTest, guild: str, user: str = "U_TWO") -> None:
    """`user` is a mentor in the default program and in the Guild."""
    join(slack, user, "Tao Two", role="mentor")
    slack.d.slash(user, "/mentoring", f'join --program "{guild}"')
    onboard_as_mentor(slack, user)
    assert programs_of(slack, user) == {"Mentoring program": "active", guild: "active"}


def notes_of(slack: BotUnderTest, user: str) -> dict[str, str | None]:
    return by_program(slack, user, Participation.notes)


def test_profile_asks_which_program_when_in_several(slack: BotUnderTest, guild: str) -> None:
    in_two_programs(slack, guild)
    d, fake = slack.d, slack.fake
    d.slash("U_TWO", "/mentoring", "profile")
    chooser = last_reply(slack, "U_TWO")
    assert "Which profile" in chooser and "Mentoring program" in chooser and guild in chooser
    assert fake.open_views("U_TWO") == []  # nothing opened before a choice

    guild_id = program_id(slack, guild)
    d.click("U_TWO", "profile.program.choose", value=compact({"p": guild_id}))
    (modal,) = fake.open_views("U_TWO")
    assert guild in json.dumps(modal.blocks)
    assert f"Editing your profile in *{guild}*" in last_reply(slack, "U_TWO")
    d.submit_view("U_TWO", modal, {"profile_notes": {"profile.notes": "guild evenings"}})
    assert notes_of(slack, "U_TWO") == {"Mentoring program": None, guild: "guild evenings"}

    # --program opens that program's profile straight away.
    d.slash("U_TWO", "/mentoring", 'profile --program "mentoring program"')
    (modal,) = fake.open_views("U_TWO")
    assert "Your profile in *Mentoring program*" in json.dumps(modal.blocks)
    d.submit_view("U_TWO", modal, {"profile_notes": {"profile.notes": "default mornings"}})
    assert notes_of(slack, "U_TWO") == {
        "Mentoring program": "default mornings",
        guild: "guild evenings",
    }

    # A program she is not in (or that does not exist) is answered with her programs.
    d.slash("U_TWO", "/mentoring", 'profile --program "Book club"')
    reply = last_reply(slack, "U_TWO")
    assert "not taking part in a program called “Book club”" in reply
    assert f"Mentoring program and {guild}" in reply
    assert fake.open_views("U_TWO") == []


def compact(value: dict[str, object]) -> str:
    return json.dumps(value, separators=(",", ":"))


def forged_click(slack: BotUnderTest, user: str, action_id: str, value: str) -> None:
    """`user` sends a click on a button they were never shown (replayed or made up)."""
    fake = slack.fake
    payload = {
        "type": "block_actions",
        "user": {"id": user, "team_id": TEAM, "name": user.lower()},
        "team": {"id": TEAM, "domain": "acme"},
        "api_app_id": fake.app_id,
        "trigger_id": fake.issue_trigger_id(user),
        "actions": [
            {"action_id": action_id, "block_id": "forged", "value": value, "type": "button"}
        ],
        "container": {"type": "message", "channel_id": fake.dm_channel(user)},
        "channel": {"id": fake.dm_channel(user)},
        "response_url": fake.new_response_url(fake.dm_channel(user), user),
    }
    assert slack.d.interaction(payload).status_code == 200
    slack.app.wait_idle()


def test_profile_chooser_button_for_a_program_the_clicker_is_not_in_is_refused(
    slack: BotUnderTest, guild: str
) -> None:
    join(slack, "U_ONE", "Ona One", role="mentor")
    # U_ONE replays someone's chooser button for the Guild, which she is not in.
    forged_click(slack, "U_ONE", "profile.program.choose", compact({"p": program_id(slack, guild)}))
    assert slack.fake.open_views("U_ONE") == []
    assert "not taking part in that program" in last_reply(slack, "U_ONE")
    assert programs_of(slack, "U_ONE") == {"Mentoring program": "active"}


def test_profile_with_one_program_opens_at_once(slack: BotUnderTest, guild: str) -> None:
    join(slack, "U_OLD", "Olga Old", role="mentor")
    slack.d.slash("U_OLD", "/mentoring", "profile")
    (modal,) = slack.fake.open_views("U_OLD")
    assert "Your profile in" not in json.dumps(modal.blocks)
    assert "Which profile" not in last_reply(slack, "U_OLD")


def pair_status(slack: BotUnderTest, pair_id: int) -> str:
    with slack.app.db.transaction() as session:
        pair = session.get(Pair, pair_id)
        assert pair is not None
        return pair.status


def test_leave_one_program_keeps_the_other_and_its_pair(slack: BotUnderTest, guild: str) -> None:
    add_to_fake(slack, ANA, BEN)
    pair_id = seed_pair(slack.app.db, slack.app.clock)  # Ben mentors Ana in the default program
    d = slack.d
    d.slash(BEN.user_id, "/mentoring", f'join --program "{guild}"')
    onboard_as_mentor(slack, BEN.user_id)
    assert programs_of(slack, BEN.user_id) == {"Mentoring program": "active", guild: "active"}

    d.slash(BEN.user_id, "/mentoring", 'leave --program "Book club"')
    reply = last_reply(slack, BEN.user_id)
    assert "not taking part in a program called “Book club”" in reply
    assert f"Mentoring program and {guild}" in reply

    d.slash(BEN.user_id, "/mentoring", f'leave --program "{guild}"')
    assert f"Leave {guild}?" in last_reply(slack, BEN.user_id)
    assert programs_of(slack, BEN.user_id)[guild] == "active"  # nothing before confirming
    d.click(BEN.user_id, "everyone.leave.confirm")
    assert programs_of(slack, BEN.user_id) == {"Mentoring program": "active", guild: "left"}
    done = last_reply(slack, BEN.user_id)
    assert f"left {guild}" in done and "still in Mentoring program" in done
    assert pair_status(slack, pair_id) == PAIR_ACTIVE
    assert not any("come to an end" in t for t in slack.dm_texts(ANA.user_id))

    # Now in one program: `leave` is the plain confirmation, and leaves it (the pair ends).
    d.slash(BEN.user_id, "/mentoring", "leave")
    assert "Leave the mentoring program?" in last_reply(slack, BEN.user_id)
    d.click(BEN.user_id, "everyone.leave.confirm")
    assert programs_of(slack, BEN.user_id) == {"Mentoring program": "left", guild: "left"}
    assert pair_status(slack, pair_id) != PAIR_ACTIVE
    assert any("come to an end" in t for t in slack.dm_texts(ANA.user_id))


def test_leave_in_several_programs_asks_which(slack: BotUnderTest, guild: str) -> None:
    in_two_programs(slack, guild)
    d = slack.d
    d.slash("U_TWO", "/mentoring", "leave")
    chooser = slack.fake.last_dm("U_TWO")
    shown = json.dumps(chooser.blocks)
    assert "Which program would you like to leave?" in shown
    assert "Mentoring program" in shown and guild in shown and "Leave all of them" in shown
    assert programs_of(slack, "U_TWO") == {"Mentoring program": "active", guild: "active"}
    d.click("U_TWO", "everyone.leave.program", block_id="everyone.leave.program.0")
    assert programs_of(slack, "U_TWO") == {"Mentoring program": "left", guild: "active"}
    assert f"still in {guild}" in last_reply(slack, "U_TWO")

    # The confirmation acts for the clicker only: another person replaying it leaves nothing.
    join(slack, "U_ONE", "Ona One", role="mentor")
    token = compact({"t": int(slack.app.clock.now().timestamp()), "p": program_id(slack, guild)})
    forged_click(slack, "U_ONE", "everyone.leave.program", token)
    assert programs_of(slack, "U_ONE") == {"Mentoring program": "active"}
    assert programs_of(slack, "U_TWO") == {"Mentoring program": "left", guild: "active"}


def ask(slack: BotUnderTest, user: str, question: str) -> str:
    """`/mentoring ask`: the way someone who takes part in no program asks."""
    slack.d.slash(user, "/mentoring", f"ask {question}")
    return last_reply(slack, user)


def test_a_coordinator_of_one_program_hears_about_that_program(
    slack: BotUnderTest, guild: str
) -> None:
    """Someone who takes part in no program but coordinates the Guild: FAQ answers quote the
    Guild's settings and coordinators, and a question passed on goes to the Guild's."""
    slack.add_person("U0GUILD2", "guildtwo", real_name="Gwen Guild")
    slack.d.slash("U0GUILD1", "/mentoring", f'coordinators add <@U0GUILD2> --program "{guild}"')
    contact = ask(slack, "U0GUILD2", CONTACT)
    assert guild in contact and "<@U0GUILD1>" in contact
    assert "9 months" in ask(slack, "U0GUILD2", TIME)
    ask(slack, "U0GUILD2", "what's the wifi password?")
    slack.d.click("U0GUILD2", "faq.escalate.confirm")
    assert any("wifi" in t for t in slack.dm_texts("U0GUILD1"))

    # Coordinating two programs (U_CO runs both): the default program's, as before.
    contact = ask(slack, "U_CO", CONTACT)
    assert "Mentoring program is run by" in contact
    assert "6 months" in ask(slack, "U_CO", TIME)


def test_home_shows_each_program_of_someone_in_several(slack: BotUnderTest, guild: str) -> None:
    join(slack, "U_ONE", "Ona One", role="mentor")
    slack.d.event({"type": "app_home_opened", "user": "U_ONE", "tab": "home"})
    home = slack.fake.home_view("U_ONE")
    assert home is not None and home.blocks[0]["text"]["text"] == "Mentoring program"
    assert "Your mentoring programs" not in json.dumps(home.blocks)  # one program: as before

    in_two_programs(slack, guild)
    slack.d.event({"type": "app_home_opened", "user": "U_TWO", "tab": "home"})
    home = slack.fake.home_view("U_TWO")
    assert home is not None
    shown = json.dumps(home.blocks)
    assert "Your mentoring programs" in shown
    assert "*Mentoring program*" in shown and f"*{guild}*" in shown
    assert shown.count("You're a mentor") == 2
    # Each program's Edit profile button opens that program's profile.
    guild_id = program_id(slack, guild)
    slack.d.click("U_TWO", "home.profile.edit", block_id=f"home.program.{guild_id}")
    (modal,) = slack.fake.open_views("U_TWO")
    assert f"Your profile in *{guild}*" in json.dumps(modal.blocks)


def onboard_as_mentee(slack: BotUnderTest, user: str) -> None:
    """Answer every onboarding question as a mentee (the first one is already in the DM)."""
    d = slack.d
    d.click(user, "onboarding.role.select.mentee")
    d.select(user, "onboarding.goals.select", ["public-speaking"])
    d.dm(user, "Give a talk at the all-hands")
    d.click(user, "onboarding.format.select.remote")
    d.select(user, "onboarding.languages.select", ["en"])
    d.click(user, "onboarding.notes.skip")
    d.click(user, "onboarding.review.confirm")


def matching_lines(home_blocks: list[dict[str, object]]) -> list[str]:
    return [
        str(b["text"]["text"])  # type: ignore[index]
        for b in home_blocks
        if b.get("type") == "section"
        and "Your suggested mentors" in str(b.get("text", {}).get("text"))  # type: ignore[attr-defined]
    ]


def test_home_shows_matching_under_each_program_of_someone_in_several(
    slack: BotUnderTest, guild: str
) -> None:
    slack.add_person("U_CY", "cy", real_name="Cy Tan", tz="Europe/Berlin")
    slack.add_person("U_BEN", "ben", real_name="Ben Okafor", tz="Europe/London")
    with slack.app.db.transaction() as session:  # mentors of both, as an operator imports
        for name in ("Mentoring program", guild):
            import_people(
                session,
                MENTORS_ONLY.encode(),
                team_id=TEAM,
                program_name=name,
                clock=slack.app.clock,
            )
    # Someone only in the default program, waiting for a shortlist: Home as before.
    join(slack, "U_ONE", "Ona One", goals=("public-speaking",))
    slack.d.slash("U_CO", "/mentoring", 'match run --program "Mentoring program"')
    slack.d.click("U_CO", "coordinator.match_run.send")
    slack.d.open_home("U_ONE")
    one = slack.fake.home_view("U_ONE")
    assert one is not None and one.blocks[0]["text"]["text"] == "Mentoring program"
    shown = json.dumps(one.blocks)
    assert '"*Mentoring*"' in shown and "Your mentoring programs" not in shown
    assert matching_lines(one.blocks) == [
        "Your suggested mentors are waiting in our DM: pick the one you'd like to ask."
    ]

    # A mentor in the default program and a mentee in the Guild, with a Guild shortlist.
    join(slack, "U_TWO", "Tao Two", role="mentor")
    slack.d.slash("U_TWO", "/mentoring", f'join --program "{guild}"')
    onboard_as_mentee(slack, "U_TWO")
    assert programs_of(slack, "U_TWO") == {"Mentoring program": "active", guild: "active"}
    slack.app.wait_idle()  # confirming in the Guild sent a Guild shortlist
    assert any(
        "matching.shortlist.none_suit" in json.dumps(m.blocks)
        for m in slack.fake.dm_messages("U_TWO")
    )
    slack.d.open_home("U_TWO")
    two = slack.fake.home_view("U_TWO")
    assert two is not None
    guild_id = program_id(slack, guild)
    ids = [b.get("block_id") for b in two.blocks]
    at = ids.index(f"home.program.{guild_id}")
    # The Guild's shortlist shows right under the Guild's section, and only once.
    assert matching_lines(two.blocks) == [
        "Your suggested mentors are waiting in our DM: pick the one you'd like to ask."
    ]
    assert "Your suggested mentors" in json.dumps(two.blocks[at + 1])
    assert '"*Mentoring*"' not in json.dumps(two.blocks)  # no separate default-program part
    # Only Tao's own state: nobody else's shortlist or requests.
    assert "Ona One" not in json.dumps(two.blocks)


def test_help_mentions_the_program_options(slack: BotUnderTest) -> None:
    join(slack, "U_OLD", "Olga Old")
    slack.d.slash("U_OLD", "/mentoring", "help")
    reply = last_reply(slack, "U_OLD")
    assert '`profile --program "Name"`' in reply and '`leave --program "Name"`' in reply


def test_a_mentee_who_joins_the_guild_gets_guild_mentors_on_confirming(
    slack: BotUnderTest, guild: str
) -> None:
    """Confirming a profile in a program that is not the default one sends a shortlist of
    that program's mentors, as it does in the default program."""
    d = slack.d
    for user, name in (("U_MEN", "Max Mentor"), ("U_MIA", "Mia Mentee")):
        slack.add_person(user, name.split()[0].lower(), real_name=name, tz="Europe/London")
        d.slash("U0GUILD1", "/mentoring", f'invite <@{user}> --program "{guild}"')
    slack.run_sweeps()
    for user in ("U_MEN", "U_MIA"):
        (invitation,) = [m for m in slack.fake.dm_messages(user) if "home.join" in str(m.blocks)]
        d.click(user, "home.join", in_message=invitation)
    onboard_as_mentor(slack, "U_MEN")  # offers system design, in the Guild

    d.click("U_MIA", "onboarding.role.select.mentee")
    d.select("U_MIA", "onboarding.goals.select", ["system-design"])
    d.dm("U_MIA", "Lead the design of our next service")
    d.click("U_MIA", "onboarding.format.select.remote")
    d.select("U_MIA", "onboarding.languages.select", ["en"])
    d.click("U_MIA", "onboarding.notes.skip")
    d.click("U_MIA", "onboarding.review.confirm")
    slack.app.wait_idle()

    assert programs_of(slack, "U_MIA") == {guild: "active"}
    shortlists = [
        m
        for m in slack.fake.dm_messages("U_MIA")
        if "matching.shortlist.none_suit" in json.dumps(m.blocks)
    ]
    assert len(shortlists) == 1 and "Max Mentor" in json.dumps(shortlists[0].blocks)
    # Her Home tab shows the suggestions waiting, though the Guild is not the default program.
    d.open_home("U_MIA")
    slack.app.wait_idle()
    home = slack.fake.home_view("U_MIA")
    assert home is not None and "Your suggested mentors are waiting" in json.dumps(home.blocks)
