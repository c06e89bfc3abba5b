"""Choosing a mentor, end to end: people talk to the real bot through signed Slack requests,
the fake Slack records what the bot sends back, the clock is moved for reminders and expiry."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from core.kernel.clock import FakeClock
from core.matchmaking.models import MatchExclusion, MentorRequest, NoneSuitFeedback, Pair
from core.people.models import Person
from core.relationships.models import RematchRequest
from sandbox.fake_slack import Message
from sandbox.harness import BotUnderTest
from tests.matching_data import MENTORS_ONLY, seed

SUCCESS = "Give a talk at the all-hands <without> notes & @here"


def people(slack: BotUnderTest) -> None:
    slack.add_person("U_ANA", "ana", real_name="Ana Lima", tz="Europe/Lisbon", title="Engineer")
    slack.add_person("U_CY", "cy", real_name="Cy Tan", tz="Europe/Berlin", title="Ops lead")
    slack.add_person("U_BEN", "ben", real_name="Ben Okafor", tz="Europe/London")
    slack.add_person("U_DEE", "dee", real_name="Dee Fox", tz="Europe/London")
    seed(slack.app.db, slack.clock, MENTORS_ONLY)


def onboard_mentee(slack: BotUnderTest, user: str, goals: list[str]) -> None:
    d = slack.d
    d.dm(user, "I'd like to join")
    d.click(user, "onboarding.role.select.mentee")
    d.select(user, "onboarding.goals.select", goals)
    for index in range(len(goals)):
        d.dm(user, SUCCESS if index == 0 else "Keep my steering group aligned")
    d.click(user, "onboarding.format.select.remote")
    d.select(user, "onboarding.languages.select", ["en"])
    d.click(user, "onboarding.notes.skip")
    d.click(user, "onboarding.review.confirm")


def blocks_text(message: Message | None) -> str:
    assert message is not None
    return json.dumps(message.blocks)


def shortlist_message(slack: BotUnderTest, user: str) -> Message:
    found = [
        m
        for m in slack.fake.dm_messages(user)
        if m.from_bot and "matching.shortlist.none_suit" in json.dumps(m.blocks)
    ]
    assert found, f"{user} has no shortlist with buttons"
    return found[-1]


def candidates_text(message: Message) -> str:
    """The candidates of a shortlist (not the line above them saying what happened)."""
    return json.dumps(
        [b for b in message.blocks or [] if str(b.get("block_id", "")).startswith("matching.cand")]
    )


def count(slack: BotUnderTest, model: type, *where: object) -> int:
    with slack.app.db.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_confirm_shortlist_request_accept_introduction(slack: BotUnderTest) -> None:
    people(slack)
    onboard_mentee(slack, "U_ANA", ["public-speaking", "stakeholder-management"])

    # The shortlist arrives right after confirming: names, titles, reasons, buttons.
    listed = shortlist_message(slack, "U_ANA")
    text = blocks_text(listed)
    assert text.index("Cy Tan") < text.index("Ben Okafor")  # covers both goals: first
    assert "Ops lead" in text and "Can help with all your goals" in text
    assert "Request this mentor" in text and "None of these suit me" in text
    assert listed.text  # fallback text for notifications

    slack.d.click("U_ANA", "matching.shortlist.request.0")
    # The mentor gets the request with the mentee's name and chosen goals (escaped).
    request = slack.fake.last_dm("U_CY")
    request_text = blocks_text(request)
    assert "Ana Lima" in request_text and "Public speaking" in request_text
    assert "&lt;without&gt; notes &amp; @here" in request_text and "<without>" not in request_text
    assert "matching.request.accept" in request_text
    # The mentee's list now says whom she asked, without buttons.
    updated = slack.fake.message(listed.channel, listed.ts)
    assert "You've asked *Cy Tan*" in blocks_text(updated)
    assert "matching.shortlist.request" not in blocks_text(updated)

    slack.d.click("U_CY", "matching.request.accept")
    with slack.app.db.transaction() as session:
        pair = session.scalars(select(Pair)).one()
        assert pair.status == "active" and pair.intro_channel
    opened = [c for c in slack.fake.calls_to("conversations.open") if "," in str(c.args["users"])]
    assert len(opened) == 1 and set(str(opened[0].args["users"]).split(",")) == {"U_ANA", "U_CY"}
    intro = slack.fake.messages(pair.intro_channel)
    intro_text = blocks_text(intro[0])  # the first message in the pair's group DM
    assert "<@U_ANA>" in intro_text and "<@U_CY>" in intro_text
    assert "learning agreement" in intro_text
    assert sum("Good news" in t for t in slack.dm_texts("U_ANA")) == 1
    assert "matching.request.accept" not in blocks_text(
        slack.fake.message(request.channel, request.ts)
    )
    # App Home shows the pair to both.
    slack.d.open_home("U_ANA")
    assert "Your mentor is *Cy Tan*" in json.dumps(slack.fake.home_view("U_ANA").blocks)
    slack.d.open_home("U_CY")
    assert "mentoring Ana Lima" in json.dumps(slack.fake.home_view("U_CY").blocks)


def test_decline_is_never_a_rejection_and_brings_the_next_candidates(slack: BotUnderTest) -> None:
    people(slack)
    onboard_mentee(slack, "U_ANA", ["public-speaking", "stakeholder-management"])
    slack.d.click("U_ANA", "matching.shortlist.request.0")  # Cy
    slack.d.click("U_CY", "matching.request.decline")
    modal = slack.fake.open_views("U_CY")[-1]
    assert "Ana Lima" in json.dumps(modal.blocks)
    slack.d.submit_view(
        "U_CY",
        modal,
        {"matching_decline_reason": {"matching.decline.reason": "Swamped until June"}},
    )
    texts = slack.dm_texts("U_ANA")
    assert any("Cy Tan* isn't available right now" in t for t in texts)
    assert not any("Swamped" in t or "decline" in t.lower() for t in texts)
    newest = shortlist_message(slack, "U_ANA")
    assert "Ben Okafor" in candidates_text(newest) and "Cy Tan" not in candidates_text(newest)
    assert "Swamped" not in json.dumps([m.blocks for m in slack.fake.dm_messages("U_ANA")])
    with slack.app.db.transaction() as session:
        declined = session.scalars(select(MentorRequest)).one()
        assert (declined.status, declined.decline_reason) == ("declined", "Swamped until June")
    assert "let *Ana Lima* know" in blocks_text(slack.fake.last_dm("U_CY"))
    # The Decline button is gone; an old Accept payload changes nothing.
    assert "matching.request.decline" not in blocks_text(slack.fake.last_dm("U_CY"))


def test_unanswered_request_gets_one_reminder_then_expires_and_moves_on(
    slack: BotUnderTest, clock: FakeClock
) -> None:
    people(slack)
    onboard_mentee(slack, "U_ANA", ["public-speaking", "stakeholder-management"])
    slack.d.click("U_ANA", "matching.shortlist.request.0")  # Cy, Monday 09:00 UTC
    request = slack.fake.last_dm("U_CY")
    mentor_posts = lambda: len(slack.fake.dm_messages("U_CY"))  # noqa: E731
    before = mentor_posts()

    clock.advance(days=1)
    slack.run_sweeps()
    assert mentor_posts() == before  # one working day: nothing yet
    clock.advance(days=1, minutes=1)  # Wednesday: two working days
    slack.run_sweeps()
    slack.run_sweeps()  # a second sweep (another replica) sends nothing more
    assert mentor_posts() == before + 1
    reminder = slack.fake.last_dm("U_CY")
    assert "gentle reminder" in blocks_text(reminder) and "Ana Lima" in (reminder.text or "")
    assert "matching.request.accept" in blocks_text(slack.fake.last_dm("U_CY"))

    clock.advance(days=2)  # Friday: four working days
    slack.run_sweeps()
    slack.run_sweeps()
    texts = slack.dm_texts("U_ANA")
    assert sum("isn't available right now" in t for t in texts) == 1
    assert "Ben Okafor" in blocks_text(shortlist_message(slack, "U_ANA"))
    assert "expired" in blocks_text(slack.fake.message(request.channel, request.ts))
    with slack.app.db.transaction() as session:
        assert session.scalars(select(MentorRequest.status)).one() == "expired"
        assert session.scalars(select(MatchExclusion.reason)).one() == "expired"
    # The reminder's buttons are closed with the request: no late Accept is possible.
    assert "matching.request.accept" not in blocks_text(
        slack.fake.message(reminder.channel, reminder.ts)
    )
    assert count(slack, Pair) == 0


def test_none_of_these_suit_me(slack: BotUnderTest) -> None:
    people(slack)
    onboard_mentee(slack, "U_ANA", ["public-speaking"])
    listed = shortlist_message(slack, "U_ANA")
    slack.d.click("U_ANA", "matching.shortlist.none_suit")
    modal = slack.fake.open_views("U_ANA")[-1]
    slack.d.submit_view(
        "U_ANA",
        modal,
        {
            "matching_none_choice": {"matching.none_suit.choice": "practical"},
            "matching_none_text": {"matching.none_suit.text": "I need someone in Lisbon"},
        },
    )
    texts = slack.dm_texts("U_ANA")
    assert any("won't suggest those mentors" in t for t in texts)
    # Both mentors are now ruled out: the reason, and a coordinator to talk to.
    last = blocks_text(slack.fake.last_dm("U_ANA"))
    assert "ruled out" in last and "coordinator" in last
    assert "matching.shortlist" not in blocks_text(slack.fake.message(listed.channel, listed.ts))
    with slack.app.db.transaction() as session:
        feedback = session.scalars(select(NoneSuitFeedback)).one()
        assert (feedback.reason_code, feedback.reason) == ("practical", "I need someone in Lisbon")
        assert session.scalar(select(func.count()).select_from(MatchExclusion)) == 2


def test_a_mentor_slack_cannot_reach_is_skipped_and_the_mentee_moves_on(
    slack: BotUnderTest,
) -> None:
    people(slack)
    onboard_mentee(slack, "U_ANA", ["public-speaking", "stakeholder-management"])
    slack.fake.fail_next(
        "conversations.open", "user_not_found", match=lambda args: args.get("users") == "U_CY"
    )
    slack.d.click("U_ANA", "matching.shortlist.request.0")  # Cy, whose account is gone
    with slack.app.db.transaction() as session:
        assert session.scalars(
            select(Person.unreachable).where(Person.slack_user_id == "U_CY")
        ).one()
        assert session.scalars(select(MentorRequest.status)).one() == "cancelled"
    assert any("isn't available right now" in t for t in slack.dm_texts("U_ANA"))
    newest = shortlist_message(slack, "U_ANA")
    assert "Ben Okafor" in candidates_text(newest) and "Cy Tan" not in candidates_text(newest)


def test_a_coordinator_run_dms_every_waiting_mentee(slack: BotUnderTest) -> None:
    people(slack)
    onboard_mentee(slack, "U_ANA", ["public-speaking"])
    onboard_mentee(slack, "U_DEE", ["security"])  # nobody offers it
    first = shortlist_message(slack, "U_ANA")
    outcomes = slack.app.flows.matching.run_for_program(slack.app.client, "T0001")
    slack.app.wait_idle()
    assert {o.mentee.user_id for o in outcomes} == {"U_ANA", "U_DEE"}
    assert shortlist_message(slack, "U_ANA").ts != first.ts
    assert "replaced" in blocks_text(slack.fake.message(first.channel, first.ts))
    assert "No mentor in the program covers your goals" in blocks_text(slack.fake.last_dm("U_DEE"))


def test_accepting_tells_the_relationship_feature_once(slack: BotUnderTest) -> None:
    created: list[int] = []
    slack.app.hooks.on_pair_created(lambda client, team, pair_id: created.append(pair_id))
    people(slack)
    onboard_mentee(slack, "U_ANA", ["stakeholder-management"])
    slack.d.click("U_ANA", "matching.shortlist.request.0")
    payloads: list[dict] = []
    send = slack.d.interaction
    slack.d.interaction = lambda payload: payloads.append(payload) or send(payload)  # type: ignore[method-assign]
    slack.d.click("U_CY", "matching.request.accept")
    send(payloads[0])  # the same click delivered again
    slack.app.wait_idle()
    with slack.app.db.transaction() as session:
        assert created == [session.scalars(select(Pair.id)).one()]


def test_a_rematch_request_brings_a_new_list_without_the_old_mentor(slack: BotUnderTest) -> None:
    people(slack)
    onboard_mentee(slack, "U_ANA", ["public-speaking", "stakeholder-management"])
    slack.d.click("U_ANA", "matching.shortlist.request.0")  # Cy
    slack.d.click("U_CY", "matching.request.accept")
    with slack.app.db.transaction() as session:
        pair = session.scalars(select(Pair)).one()
        pair.status, pair.ended_at = "ended_early", slack.clock.now()
        session.add(
            RematchRequest(
                team_id="T0001",
                program_id=pair.program_id,
                pair_id=pair.id,
                mentee_id=pair.mentee_id,
                status="open",
                created_at=slack.clock.now(),
            )
        )
        program_id = pair.program_id
    assert slack.app.hooks.rematch_requested(slack.app.client, "T0001", "U_ANA", program_id)
    slack.app.wait_idle()
    newest = shortlist_message(slack, "U_ANA")
    assert "Ben Okafor" in blocks_text(newest) and "Cy Tan" not in blocks_text(newest)
    with slack.app.db.transaction() as session:
        assert session.scalars(select(RematchRequest.status)).one() == "done"
