"""FAQ journeys: people ask the bot in a DM, by mentioning it in a channel, with
`/mentoring ask` and from App Home; it answers from the content store, says when it does not
know, and passes a question to a coordinator only when the person agrees."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.cli import main
from core.coordination.service import add_coordinator
from core.faq.models import FaqGap, FaqPendingQuestion
from core.faq.retrieval import FaqIndex
from core.faq.store import FaqStore
from core.kernel.clock import FakeClock
from core.kernel.paths import content_dir
from core.programs.service import default_program, program_settings
from sandbox.fake_slack import Message
from sandbox.harness import BotUnderTest

COORDINATOR = "U0CORA1"  # Slack-shaped: only those can be messaged
# An entry's own wording, so it stays a confident answer however retrieval is tuned.
ANSWERED = "How often should mentors and mentees meet?"
ANSWERED_ENTRY = "meeting-frequency"
OFF_TOPIC = "what's the wifi password?"
# Vague questions; at least one lands in "Did you mean ..." (checked against the index).
VAGUE = (
    "is it private",
    "is it a big time investment",
    "what kind of things can I bring to my mentor",
    "can we do the meetings over video",
    "help",
)


@pytest.fixture(scope="module")
def index() -> FaqIndex:
    return FaqIndex.build(FaqStore.load(content_dir()), program_settings(None).as_dict())


# --- helpers ----------------------------------------------------------------------------------
def join_as_mentor(slack: BotUnderTest, user: str, name: str) -> str:
    """Onboard `user` through Slack, so their DMs reach the FAQ (not onboarding)."""
    slack.add_person(user, name.lower(), real_name=name, tz="Europe/Lisbon")
    d = slack.d
    d.dm(user, "I'd like to join")
    d.click(user, "onboarding.role.select.mentor")
    d.select(user, "onboarding.expertise.select", ["system-design"])
    d.click(user, "onboarding.capacity.select.1")
    d.click(user, "onboarding.format.select.remote")
    d.select(user, "onboarding.languages.select", ["en"])
    d.dm(user, "mornings are best")
    d.click(user, "onboarding.review.confirm")
    return user


def set_coordinators(slack: BotUnderTest, coordinators: list[str]) -> None:
    for user in coordinators:
        if slack.fake.user(user) is None:
            slack.add_person(user, user.lower(), real_name="Cora Coordinator")
    with slack.app.db.transaction() as session:
        program = default_program(session, slack.fake.team_id, slack.app.clock)
        for user in coordinators:  # the coordinators table: the one source of who coordinates
            add_coordinator(session, program, user, by="cli", clock=slack.app.clock)


def gaps(slack: BotUnderTest) -> list[FaqGap]:
    with slack.app.db.transaction() as session:
        return list(session.scalars(select(FaqGap).order_by(FaqGap.id)))


def pending(slack: BotUnderTest) -> list[FaqPendingQuestion]:
    with slack.app.db.transaction() as session:
        return list(session.scalars(select(FaqPendingQuestion).order_by(FaqPendingQuestion.id)))


def buttons(msg: Message | Any) -> dict[str, str]:
    """action_id -> value of every button in a message or view."""
    return {
        ref.action_id: str(ref.element.get("value"))
        for ref in msg.elements()
        if ref.type == "button" and ref.action_id
    }


def bot_texts(slack: BotUnderTest, user: str) -> str:
    return "\n".join(str(m.blocks) + (m.text or "") for m in slack.fake.dm_messages(user))


# --- DM ---------------------------------------------------------------------------------------
def test_dm_answer_not_helpful_then_escalation_only_after_consent(
    slack: BotUnderTest, index: FaqIndex, caplog: pytest.LogCaptureFixture
) -> None:
    # as in production (bot.platform.logs): libraries at INFO, our own code at every level
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="bot")
    caplog.set_level(logging.DEBUG, logger="core")
    assert index.ask(ANSWERED).band == "answer"
    user = join_as_mentor(slack, "U_ANA", "Ana Lima")
    set_coordinators(slack, [COORDINATOR])
    d = slack.d

    d.dm(user, ANSWERED)
    answer = slack.fake.last_dm(user)
    assert answer is not None
    title = index.store.get(ANSWERED_ENTRY).title
    assert title in str(answer.blocks)
    found = buttons(answer)
    assert {"faq.feedback.yes", "faq.feedback.no"} <= set(found)
    related = [a for a in found if a.startswith("faq.topic.")]
    assert 1 <= len(related) <= 3
    assert {a.removeprefix("faq.topic.") for a in related} <= set(
        index.store.get(ANSWERED_ENTRY).related
    )
    # buttons carry ids, never the question
    for value in found.values():
        data = json.loads(value)
        assert set(data) <= {"e", "q"} and data["e"] in index.entry_ids
        assert isinstance(data["q"], int) and "mentees meet" not in value

    d.click(user, "faq.feedback.no")
    # the answer keeps its text but loses its feedback buttons; the offer quotes the question
    updated = slack.fake.message(answer.channel, answer.ts)
    assert updated is not None and "faq.feedback.no" not in buttons(updated)
    assert title in str(updated.blocks)
    offer = slack.fake.last_dm(user)
    assert offer is not None and offer.ts != answer.ts
    assert {"faq.escalate.confirm", "faq.escalate.decline"} <= set(buttons(offer))
    assert ANSWERED in str(offer.blocks)
    # nothing has reached the coordinator yet
    assert slack.dm_texts(COORDINATOR) == []
    # the vote is logged with the question text and no user id
    (gap,) = gaps(slack)
    assert (gap.reason, gap.entry_id, gap.band, gap.question) == (
        "not_helpful",
        ANSWERED_ENTRY,
        "answer",
        ANSWERED,
    )
    assert "U_ANA" not in json.dumps(
        {c.name: str(getattr(gap, c.name)) for c in FaqGap.__table__.columns}
    )

    d.click(user, "faq.escalate.confirm")
    (to_coordinator,) = slack.dm_texts(COORDINATOR)
    assert ANSWERED in to_coordinator and "<@U_ANA>" in to_coordinator
    told = slack.fake.message(offer.channel, offer.ts)
    assert told is not None and f"<@{COORDINATOR}>" in (told.text or "")
    assert "faq.escalate.confirm" not in buttons(told)
    # the bot no longer keeps the question once it has been passed on
    assert [p.question for p in pending(slack)] == [None]
    # question text never reaches the log
    assert "mentees meet" not in caplog.text


def test_a_repeated_consent_sends_the_question_once(
    slack: BotUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = join_as_mentor(slack, "U_ANA", "Ana Lima")
    set_coordinators(slack, [COORDINATOR])
    d = slack.d
    d.dm(user, OFF_TOPIC)
    sent: list[dict[str, Any]] = []
    send = d.interaction
    monkeypatch.setattr(d, "interaction", lambda payload: sent.append(payload) or send(payload))
    d.click(user, "faq.escalate.confirm")
    # Slack delivers the same click again (a double click)
    assert send(sent[0]).status_code == 200
    slack.app.wait_idle()
    assert len(slack.dm_texts(COORDINATOR)) == 1
    # the person still reads who will answer
    assert f"<@{COORDINATOR}>" in slack.dm_texts(user)[-1]


def test_small_talk_is_not_a_question(slack: BotUnderTest) -> None:
    user = join_as_mentor(slack, "U_ANA", "Ana Lima")
    set_coordinators(slack, [COORDINATOR])
    slack.d.dm(user, "Thanks!")
    assert "You're welcome" in slack.dm_texts(user)[-1]
    slack.d.dm(user, "hi there")
    assert "Ask me anything" in slack.dm_texts(user)[-1]
    assert gaps(slack) == [] and pending(slack) == []


def test_off_topic_dm_gets_i_dont_know_and_saying_no_sends_nothing(slack: BotUnderTest) -> None:
    user = join_as_mentor(slack, "U_ANA", "Ana Lima")
    set_coordinators(slack, [COORDINATOR])
    d = slack.d
    d.dm(user, OFF_TOPIC)
    reply = slack.fake.last_dm(user)
    assert reply is not None
    assert "don't know" in (reply.text or "")
    assert {"faq.escalate.confirm", "faq.escalate.decline"} <= set(buttons(reply))
    assert "wifi password" in str(reply.blocks)  # the offer shows exactly what would be sent
    (gap,) = gaps(slack)
    assert (gap.reason, gap.band, gap.entry_id, gap.question) == (
        "unanswered",
        "unknown",
        None,
        OFF_TOPIC,
    )
    d.click(user, "faq.escalate.decline")
    assert "won't pass it on" in slack.dm_texts(user)[-1]
    assert slack.dm_texts(COORDINATOR) == []
    assert [p.question for p in pending(slack)] == [None]  # forgotten


def test_no_coordinator_configured_is_said_honestly(slack: BotUnderTest, index: FaqIndex) -> None:
    user = join_as_mentor(slack, "U_ANA", "Ana Lima")
    slack.d.dm(user, OFF_TOPIC)
    reply = slack.fake.last_dm(user)
    assert reply is not None
    assert "faq.escalate.confirm" not in buttons(reply)
    assert "nobody has been set up as a coordinator" in str(reply.blocks)
    # and points to the contact-a-coordinator entry
    contact = index.answer_for("contact-a-coordinator")
    assert contact.split("\n")[0][:60] in str(reply.blocks)


def test_user_text_is_escaped_in_the_offer(slack: BotUnderTest) -> None:
    user = join_as_mentor(slack, "U_ANA", "Ana Lima")
    set_coordinators(slack, [COORDINATOR])
    # Slack delivers typed text with &, < and > encoded, and @here as <!here>
    slack.d.dm(user, "wifi password for &lt;b&gt;guests&lt;/b&gt; &amp; <!here>")
    reply = slack.fake.last_dm(user)
    assert reply is not None
    shown = str(reply.blocks)
    assert "&lt;b&gt;guests&lt;/b&gt; &amp;" in shown
    assert "<b>" not in shown and "<!here>" not in shown


def test_did_you_mean_then_a_choice_or_none_of_these(slack: BotUnderTest, index: FaqIndex) -> None:
    vague = next(
        (q for q in VAGUE if len(index.ask(q).suggestions) >= 2 and index.ask(q).band == "suggest"),
        None,
    )
    assert vague is not None, "none of VAGUE lands in 'Did you mean'; pick vaguer questions"
    expected = index.ask(vague).suggestions
    user = join_as_mentor(slack, "U_ANA", "Ana Lima")
    set_coordinators(slack, [COORDINATOR])
    d = slack.d
    d.dm(user, vague)
    reply = slack.fake.last_dm(user)
    assert reply is not None and "Did you mean" in (reply.text or "")
    found = buttons(reply)
    assert [a for a in found if a.startswith("faq.topic.")] == [f"faq.topic.{e}" for e in expected]
    assert "faq.suggest.none" in found

    d.click(user, f"faq.topic.{expected[1]}", in_message=reply)
    chosen = slack.fake.last_dm(user)
    assert chosen is not None and index.store.get(expected[1]).title in str(chosen.blocks)
    assert "faq.feedback.yes" in buttons(chosen)

    d.click(user, "faq.suggest.none", in_message=reply)
    redrawn = slack.fake.message(reply.channel, reply.ts)
    assert redrawn is not None and "faq.suggest.none" not in buttons(redrawn)
    assert "faq.escalate.confirm" in buttons(slack.fake.last_dm(user))
    (gap,) = gaps(slack)
    assert (gap.reason, gap.band, gap.entry_id, gap.question) == (
        "no_match",
        "suggest",
        expected[0],
        vague,
    )


def test_a_confident_answer_can_be_given_during_another_conversation(slack: BotUnderTest) -> None:
    """The integration point for typing a question while onboarding waits for a button."""
    slack.add_person("U_ANA", "ana", real_name="Ana Lima")
    slack.d.dm("U_ANA", "I'd like to join")  # onboarding starts and waits for a role button
    before = len(slack.dm_texts("U_ANA"))
    flow = slack.app.flows.faq
    team = slack.fake.team_id
    assert not flow.answer_if_confident(slack.app.client, team, "U_ANA", OFF_TOPIC)
    assert not flow.answer_if_confident(slack.app.client, team, "U_ANA", "thanks")
    assert len(slack.dm_texts("U_ANA")) == before
    assert flow.answer_if_confident(slack.app.client, team, "U_ANA", ANSWERED)
    answer = slack.fake.last_dm("U_ANA")
    assert answer is not None and "faq.feedback.no" in buttons(answer)
    # the onboarding question is still there to answer
    slack.d.click("U_ANA", "onboarding.role.select.mentee")
    assert any("onboarding.goals.select" in str(m.blocks) for m in slack.fake.dm_messages("U_ANA"))


# --- a mention in a channel --------------------------------------------------------------------
def test_mention_in_a_channel_is_answered_in_a_thread(slack: BotUnderTest, index: FaqIndex) -> None:
    slack.add_person("U_BEN", "ben", real_name="Ben Okafor")
    slack.add_person("U_CY", "cy", real_name="Cy Park")
    channel = slack.fake.add_channel("mentoring", members=["U_BEN", "U_CY"])
    slack.d.mention("U_BEN", channel, ANSWERED)
    asked = next(m for m in slack.fake.messages(channel) if m.user == "U_BEN")
    replies = [m for m in slack.fake.messages(channel) if m.from_bot]
    assert len(replies) == 1
    (reply,) = replies
    assert reply.thread_ts == asked.ts and not reply.is_ephemeral
    assert index.store.get(ANSWERED_ENTRY).title in str(reply.blocks)
    # nobody was sent to onboarding for asking in a channel
    assert slack.dm_texts("U_BEN") == []

    # a related topic opens in the same thread
    topic = next(a for a in buttons(reply) if a.startswith("faq.topic."))
    slack.d.click("U_CY", topic, in_message=reply)
    latest = [m for m in slack.fake.messages(channel) if m.from_bot][-1]
    assert latest.thread_ts == asked.ts
    assert index.store.get(topic.removeprefix("faq.topic.")).title in str(latest.blocks)


def test_only_the_asker_can_pass_a_channel_question_on(slack: BotUnderTest) -> None:
    slack.add_person("U_BEN", "ben", real_name="Ben Okafor")
    slack.add_person("U_CY", "cy", real_name="Cy Park")
    set_coordinators(slack, [COORDINATOR])
    channel = slack.fake.add_channel("mentoring", members=["U_BEN", "U_CY"])
    slack.d.mention("U_BEN", channel, OFF_TOPIC)
    reply = next(m for m in slack.fake.messages(channel) if m.from_bot)
    assert reply.thread_ts is not None and "faq.escalate.confirm" in buttons(reply)

    slack.d.click("U_CY", "faq.escalate.confirm", in_message=reply)
    assert slack.dm_texts(COORDINATOR) == []
    whisper = [m for m in slack.fake.messages(channel) if m.ephemeral_user == "U_CY"]
    assert whisper and "Only the person who asked" in (whisper[-1].text or "")

    slack.d.click("U_BEN", "faq.escalate.confirm", in_message=reply)
    (sent,) = slack.dm_texts(COORDINATOR)
    assert "wifi password" in sent and "<@U_BEN>" in sent


# --- /mentoring ask -------------------------------------------------------------------------
def test_slash_ask_answers_privately(slack: BotUnderTest, index: FaqIndex) -> None:
    slack.add_person("U_DEV", "dev", real_name="Dev Rao")
    slack.d.slash("U_DEV", "/mentoring", f"ask {ANSWERED}")
    (reply,) = [m for m in slack.fake.dm_messages("U_DEV") if m.from_bot]
    assert reply.is_ephemeral
    assert index.store.get(ANSWERED_ENTRY).title in str(reply.blocks)
    assert "faq.feedback.no" in buttons(reply)
    # asking is not joining: no onboarding was started
    assert "onboarding" not in str(slack.fake.dm_messages("U_DEV"))

    slack.d.click("U_DEV", "faq.feedback.yes", in_message=reply)
    thanked = slack.fake.message(reply.channel, reply.ts)
    assert thanked is not None and "Thanks for letting me know" in str(thanked.blocks)
    assert "faq.feedback.yes" not in buttons(thanked)
    assert gaps(slack) == []  # "helpful" is not a gap


def test_slash_ask_without_a_question_explains_how(slack: BotUnderTest) -> None:
    slack.add_person("U_DEV", "dev", real_name="Dev Rao")
    slack.d.slash("U_DEV", "/mentoring", "ask")
    (reply,) = [m for m in slack.fake.dm_messages("U_DEV") if m.from_bot]
    assert "/mentoring ask how often" in (reply.text or "")
    slack.d.slash("U_DEV", "/mentoring", "ask " + "why " * 300)
    assert "under 1000 characters" in (slack.fake.dm_messages("U_DEV")[-1].text or "")
    assert pending(slack) == []


# --- App Home ---------------------------------------------------------------------------------
def test_browse_topics_in_app_home(slack: BotUnderTest, index: FaqIndex) -> None:
    slack.add_person("U_EVA", "eva", real_name="Eva Berg")
    d = slack.d
    d.open_home("U_EVA")
    home = slack.fake.home_view("U_EVA")
    assert home is not None and len(home.blocks) < 100
    (menu,) = [r.element for r in home.elements() if r.action_id == "faq.browse.select"]
    groups = menu["option_groups"]
    assert len(groups) >= 5
    offered = [o["value"] for g in groups for o in g["options"]]
    assert sorted(offered) == sorted(index.entry_ids)  # every topic once, grouped

    d.select("U_EVA", "faq.browse.select", "learning-agreement")
    (modal,) = slack.fake.open_views("U_EVA")
    assert index.store.get("learning-agreement").title in str(modal.blocks)
    related = [a for a in buttons(modal) if a.startswith("faq.topic.")]
    assert related
    d.click("U_EVA", related[0], in_view=modal)
    (modal,) = slack.fake.open_views("U_EVA")
    shown = related[0].removeprefix("faq.topic.")
    assert index.store.get(shown).title in str(modal.blocks)

    d.click("U_EVA", "faq.feedback.no", in_view=modal)
    (modal,) = slack.fake.open_views("U_EVA")
    assert "faq.feedback.no" not in buttons(modal)
    assert "in your own words" in str(modal.blocks)
    (gap,) = gaps(slack)
    assert (gap.reason, gap.entry_id, gap.question) == ("not_helpful", shown, None)


# --- gaps CLI and housekeeping ------------------------------------------------------------------
def test_gaps_cli_lists_questions_without_people(
    slack: BotUnderTest, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    user = join_as_mentor(slack, "U_ANA", "Ana Lima")
    slack.d.dm(user, OFF_TOPIC)
    slack.d.dm(user, ANSWERED)
    slack.d.click(user, "faq.feedback.no")
    monkeypatch.setenv("DATABASE_URL", slack.database_url)
    capsys.readouterr()
    assert main(["faq", "gaps", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["reason"], r["question"], r["entry_id"]) for r in rows] == [
        ("not_helpful", ANSWERED, ANSWERED_ENTRY),
        ("unanswered", OFF_TOPIC, None),
    ]
    assert "U_ANA" not in json.dumps(rows)
    assert main(["faq", "gaps", "--limit", "1"]) == 0
    out = capsys.readouterr().out
    assert ANSWERED in out and OFF_TOPIC not in out and out.strip().endswith("1 gap(s)")
    assert main(["faq", "gaps", "--limit", "0"]) == 2


def test_old_questions_expire_and_their_offer_says_so(
    slack: BotUnderTest, clock: FakeClock
) -> None:
    user = join_as_mentor(slack, "U_ANA", "Ana Lima")
    set_coordinators(slack, [COORDINATOR])
    slack.d.dm(user, OFF_TOPIC)
    clock.advance(timedelta(days=8))
    slack.d.click(user, "faq.escalate.confirm")
    assert "too old" in slack.dm_texts(user)[-1]
    assert slack.dm_texts(COORDINATOR) == []
    slack.run_sweeps()
    assert pending(slack) == []
    assert [g.question for g in gaps(slack)] == [OFF_TOPIC]  # gaps stay for coordinators


def test_a_coordinator_passing_a_question_on_does_not_get_it_back(slack: BotUnderTest) -> None:
    other = "U0CORB2"
    user = join_as_mentor(slack, COORDINATOR, "Cora Coordinator")
    set_coordinators(slack, [COORDINATOR, other])
    slack.d.dm(user, OFF_TOPIC)
    before = len(slack.fake.dm_messages(user))
    slack.d.click(user, "faq.escalate.confirm")
    (to_other,) = slack.dm_texts(other)
    assert "wifi password" in to_other and f"<@{COORDINATOR}>" in to_other
    told = slack.dm_texts(user)[-1]
    assert f"<@{other}>" in told and f"<@{COORDINATOR}>" not in told
    # the asker's own DMs hold no copy of the question addressed to a coordinator
    assert len(slack.fake.dm_messages(user)) == before
    assert not any("would like a coordinator's help" in t for t in slack.dm_texts(user))


def test_the_only_coordinator_is_told_nothing_was_sent_and_the_gap_stays(
    slack: BotUnderTest,
) -> None:
    user = join_as_mentor(slack, COORDINATOR, "Cora Coordinator")
    set_coordinators(slack, [COORDINATOR])
    slack.d.dm(user, OFF_TOPIC)
    before = len(slack.fake.dm_messages(user))
    slack.d.click(user, "faq.escalate.confirm")
    told = slack.fake.last_dm(user)
    assert told is not None and len(slack.fake.dm_messages(user)) == before  # replaced
    text = json.dumps(told.blocks) + (told.text or "")
    assert "only coordinator of *Mentoring program*" in text and "nothing was sent" in text
    assert "faq.escalate.confirm" not in buttons(told)
    assert not any("would like a coordinator's help" in t for t in slack.dm_texts(user))
    assert [p.question for p in pending(slack)] == [None]  # the bot forgets its copy
    (gap,) = gaps(slack)  # still logged for coordinators, without anyone's id
    assert (gap.reason, gap.question) == ("unanswered", OFF_TOPIC)
    assert COORDINATOR not in json.dumps(
        {c.name: str(getattr(gap, c.name)) for c in FaqGap.__table__.columns}
    )
