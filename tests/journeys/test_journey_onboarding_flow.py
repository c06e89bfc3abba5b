"""Onboarding without dead ends (issue #16): it starts only when the person asks, it is short
with a steady step counter, typed text is a question or an unambiguous answer, and answered
questions keep no live buttons. Signed requests to the real app, the fake Slack answering."""

from __future__ import annotations

import re

from sqlalchemy import select

from core.onboarding.models import Conversation
from sandbox.fake_slack.models import Message
from sandbox.harness import BotUnderTest
from tests.admin_support import join, participation

MAYA = "U_MAYA"
STEP = re.compile(r"Step (\d+) of (\d+)")


def maya(slack: BotUnderTest) -> str:
    slack.add_person(MAYA, "maya", real_name="Maya Patel", tz="Europe/London")
    return MAYA


def bot_posts(slack: BotUnderTest, user: str) -> list[Message]:
    return [m for m in slack.fake.dm_messages(user) if m.user != user]


def shown(slack: BotUnderTest, user: str) -> list[str]:
    """Everything in the DM as it reads now (text and blocks), the person's messages too."""
    return [(m.text or "") + " " + str(m.blocks or "") for m in slack.fake.dm_messages(user)]


def live_onboarding_buttons(slack: BotUnderTest, user: str) -> list[str]:
    found: list[str] = []
    for m in bot_posts(slack, user):
        found += re.findall(r"'action_id': '(onboarding\.[a-z_.0-9]+|home\.join)'", str(m.blocks))
    return found


def steps_seen(slack: BotUnderTest) -> list[tuple[int, int]]:
    """Every "Step n of N" the bot drew, in the order it drew them (posts and updates)."""
    seen: list[tuple[int, int]] = []
    for call in slack.fake.calls:
        if call.method in ("chat.postMessage", "chat.update"):
            for n, total in STEP.findall(str(call.args.get("blocks"))):
                seen.append((int(n), int(total)))
    return seen


def test_opening_home_the_first_time_sends_no_dm_and_offers_join(slack: BotUnderTest) -> None:
    user = maya(slack)
    slack.d.open_home(user)
    home = str(slack.fake.home_view(user).blocks)
    assert "home.join" in home and "Nothing starts until you do" in home
    assert slack.fake.calls_to("chat.postMessage") == []
    assert participation(slack, user) is None
    slack.d.open_home(user)  # and again: still nothing
    assert slack.fake.calls_to("chat.postMessage") == []
    # the Messages tab greets her once, with Join and no question
    slack.d.open_home(user, tab="messages")
    slack.d.open_home(user, tab="messages")
    (greeting,) = bot_posts(slack, user)
    assert "home.join" in str(greeting.blocks) and "onboarding.role" not in str(greeting.blocks)
    assert participation(slack, user) is None
    # a plain hello is answered with the offer, not with a questionnaire
    slack.d.dm(user, "hello")
    assert "home.join" in str(bot_posts(slack, user)[-1].blocks)
    assert participation(slack, user) is None
    slack.d.click(user, "home.join")
    assert participation(slack, user).status == "onboarding"
    assert "Hi Maya, welcome to the mentoring program" in str(bot_posts(slack, user)[-1].blocks)
    assert live_onboarding_buttons(slack, user).count("home.join") == 0  # the offers are ✓'d


def test_after_leaving_opening_home_restarts_nothing_and_offers_rejoin(
    slack: BotUnderTest,
) -> None:
    join(slack, "U_ANA", "Ana Lima")
    d = slack.d
    d.slash("U_ANA", "/mentoring", "leave")
    d.click("U_ANA", "everyone.leave.confirm")
    assert participation(slack, "U_ANA").status == "left"
    posts = len(slack.fake.calls_to("chat.postMessage"))
    d.open_home("U_ANA")
    d.open_home("U_ANA", tab="messages")
    assert len(slack.fake.calls_to("chat.postMessage")) == posts  # no welcome, no question
    home = str(slack.fake.home_view("U_ANA").blocks)
    assert "You've left the program" in home and "Rejoin" in home and "home.join" in home
    assert participation(slack, "U_ANA").status == "left"
    d.dm("U_ANA", "hi there")  # a DM is answered with the way back, nothing restarts
    assert "come back" in slack.dm_texts("U_ANA")[-1]
    assert participation(slack, "U_ANA").status == "left"
    d.click("U_ANA", "home.join")  # rejoining is one click, and starts afresh
    assert participation(slack, "U_ANA").status == "onboarding"
    assert "How would you like to take part" in slack.dm_texts("U_ANA")[-1]


def onboard_three_goals(slack: BotUnderTest, user: str) -> int:
    """A mentee with three goals, as a person would: returns the actions taken."""
    d = slack.d
    d.open_home(user)
    d.click(user, "home.join")
    d.click(user, "onboarding.role.select.mentee")
    d.select(user, "onboarding.goals.select", ["public-speaking", "negotiation", "writing"])
    d.dm(user, "Give a talk at the all-hands without notes")
    d.dm(user, "Agree my next raise calmly")
    d.dm(user, "Design docs people finish")
    d.click(user, "onboarding.format.select.remote")
    d.select(user, "onboarding.languages.select", ["en"])
    d.dm(user, "Mornings suit me best")
    d.click(user, "onboarding.review.confirm")
    return 11


def test_a_mentee_with_three_goals_onboards_in_at_most_8_messages_with_a_steady_counter(
    slack: BotUnderTest,
) -> None:
    user = maya(slack)
    actions = onboard_three_goals(slack, user)
    p = participation(slack, user)
    assert p is not None and p.confirmed and p.status == "active"
    with slack.app.db.transaction() as session:
        goals = session.scalars(select(Conversation)).one().draft["goals"]
    assert [g["competency_id"] for g in goals] == ["public-speaking", "negotiation", "writing"]
    assert [g["priority"] for g in goals] == [1, 2, 2]  # the first chosen is the top one
    onboarding_posts = [m for m in bot_posts(slack, user) if "mentors" not in (m.text or "")]
    assert len(onboarding_posts) <= 8, [m.text for m in onboarding_posts]
    assert actions <= 11
    seen = steps_seen(slack)
    assert seen[0] == (1, 7)
    assert {total for _, total in seen} == {7}  # the same N from start to end
    numbers = [n for n, _ in seen]
    assert numbers == sorted(numbers) and numbers[-1] == 7
    assert any("goal 3 of 3" in str(m.blocks) for m in slack.fake.dm_messages(user)) or any(
        "goal 3 of 3" in str(c.args.get("blocks")) for c in slack.fake.calls
    )
    texts = " ".join(slack.dm_texts(user))
    assert "Thanks, Maya!" in texts and "Maya Patel" not in texts
    assert "Mentoring program" not in texts


def test_a_mentor_counts_the_same_steps(slack: BotUnderTest) -> None:
    slack.add_person("U_BEN", "ben", real_name="Ben Okafor")
    d = slack.d
    d.slash("U_BEN", "/mentoring", "join")
    d.click("U_BEN", "onboarding.role.select.mentor")
    d.select("U_BEN", "onboarding.expertise.select", ["system-design"])
    d.click("U_BEN", "onboarding.capacity.select.2")
    d.click("U_BEN", "onboarding.format.select.either")
    d.select("U_BEN", "onboarding.languages.select", ["en"])
    d.click("U_BEN", "onboarding.notes.skip")
    d.click("U_BEN", "onboarding.review.confirm")
    assert participation(slack, "U_BEN").confirmed
    assert len(bot_posts(slack, "U_BEN")) <= 3
    assert {total for _, total in steps_seen(slack)} == {7}


def test_a_typed_answer_is_echoed_once(slack: BotUnderTest) -> None:
    user = maya(slack)
    d = slack.d
    d.dm(user, "I'd like to join")
    d.click(user, "onboarding.role.select.mentee")
    d.select(user, "onboarding.goals.select", ["public-speaking"])
    d.dm(user, "Give a talk at the all-hands without notes")
    assert sum("all-hands" in t for t in shown(slack, user)) == 1  # only her own message
    # the clicked answers stay in the message that asked them, one ✓ line each
    assert any(
        "✓ You'd like to find a mentor." in t and "✓ Your goals" in t for t in shown(slack, user)
    )
    assert any("✓ Public speaking" in t for t in shown(slack, user))  # and a ✓ line


def test_a_question_typed_mid_way_is_answered_and_the_step_waits(slack: BotUnderTest) -> None:
    user = maya(slack)
    d = slack.d
    d.dm(user, "I'd like to join")
    d.click(user, "onboarding.role.select.mentee")
    d.select(user, "onboarding.goals.select", ["public-speaking"])
    before = len(bot_posts(slack, user))
    d.dm(user, "can my manager see what I write here?")
    replies = [m.text or "" for m in bot_posts(slack, user)[before:]]
    assert len(replies) >= 2 and "buttons" not in " ".join(replies)
    assert "still waiting" in replies[-1]
    with slack.app.db.transaction() as session:
        conversation = session.scalars(select(Conversation)).one()
        assert conversation.step == "goal_success:0"  # the question was not taken as the answer
        assert "goals" in conversation.draft and not conversation.draft["goals"][0]["success"]
    d.dm(user, "Give a talk at the all-hands without notes")  # the step resumes
    with slack.app.db.transaction() as session:
        assert session.scalars(select(Conversation)).one().step == "format"


def test_typed_answers_to_button_questions_are_understood(slack: BotUnderTest) -> None:
    user = maya(slack)
    d = slack.d
    d.dm(user, "I'd like to join")
    d.dm(user, "I want a mentor please")
    assert "✓ You'd like to find a mentor." in " ".join(shown(slack, user))
    d.dm(user, "public speaking and negotiation")
    with slack.app.db.transaction() as session:
        conversation = session.scalars(select(Conversation)).one()
        goals = [g["competency_id"] for g in conversation.draft["goals"]]
        assert conversation.draft["role"] == "mentee" and goals == [
            "public-speaking",
            "negotiation",
        ]
    assert "✓ Your goals: Public speaking and Negotiation" in " ".join(shown(slack, user))
    assert not any("buttons" in t for t in slack.dm_texts(user))
    # a reply that is no answer is not guessed
    d.dm(user, "Talk calmly")
    d.dm(user, "Get a fair deal")
    d.dm(user, "somewhere nice")
    assert "buttons" in slack.dm_texts(user)[-1]
    d.dm(user, "video works best")
    with slack.app.db.transaction() as session:
        assert session.scalars(select(Conversation)).one().draft["meeting_format"] == "remote"


def test_answered_onboarding_messages_keep_no_live_buttons(slack: BotUnderTest) -> None:
    user = maya(slack)
    d = slack.d
    d.open_home(user, tab="messages")  # the greeting, with Join
    d.slash(user, "/mentoring", "join")  # joining elsewhere retires the greeting's Join
    assert live_onboarding_buttons(slack, user).count("home.join") == 0
    d.open_home(user)
    d.click(user, "home.continue")  # asked again: the earlier copy loses its buttons
    d.slash(user, "/mentoring", "join")
    assert live_onboarding_buttons(slack, user).count("onboarding.role.select.mentee") == 1
    d.click(user, "onboarding.role.select.mentee")
    d.select(user, "onboarding.goals.select", ["writing"])
    d.dm(user, "Design docs people finish")
    d.click(user, "onboarding.format.select.remote")
    d.select(user, "onboarding.languages.select", ["en"])
    d.click(user, "onboarding.notes.skip")
    assert set(live_onboarding_buttons(slack, user)) == {
        "onboarding.review.confirm",
        "onboarding.review.edit",
    }
    d.click(user, "onboarding.review.confirm")
    assert live_onboarding_buttons(slack, user) == []
    assert any("✓ Profile confirmed." in t for t in shown(slack, user))
