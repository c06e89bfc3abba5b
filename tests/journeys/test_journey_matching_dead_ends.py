"""No dead ends in choosing a mentor (issue #16, item 2 and 3): after a decline, an expiry,
"None of these suit me" or when no mentor fits, the mentee's last message offers the next
step as buttons; "None of these suit me" is one message; the waitlist tells a mentee once
when a mentor fits; *Ask a coordinator* reaches the coordinator with an action; answered and
superseded matching messages keep no live buttons. Signed requests against the fake Slack."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from core.kernel.clock import FakeClock
from core.matchmaking.models import MentorRequest, Pair, WaitlistEntry
from core.people.models import Participation
from sandbox.fake_slack import Message
from sandbox.harness import BotUnderTest
from tests.admin_support import make_coordinator
from tests.journeys.test_journey_matching import onboard_mentee, people, shortlist_message
from tests.matching_data import HEADER, PEOPLE, TEAM, pid, seed
from tests.reliability.test_hostile_values import HOSTILE, assert_nothing_raw

NEXT_STEPS = (
    "matching.unmatched.waitlist",
    "matching.unmatched.coordinator",
    "matching.unmatched.goals",
)


def blocks_text(message: Message | None) -> str:
    assert message is not None
    return json.dumps(message.blocks, ensure_ascii=False)


def action_ids(message: Message | None) -> set[str]:
    assert message is not None
    found: set[str] = set()
    for block in message.blocks or []:
        elements = block.get("elements") if block.get("type") == "actions" else None
        for element in elements or [block.get("accessory") or {}]:
            if element.get("action_id"):
                found.add(str(element["action_id"]))
    return found


def bot_dms(slack: BotUnderTest, user: str) -> list[Message]:
    return [m for m in slack.fake.dm_messages(user) if m.from_bot]


def live(slack: BotUnderTest, user: str) -> list[Message]:
    """The bot's messages in a DM that still carry buttons (as they look now)."""
    current = [slack.fake.message(m.channel, m.ts) for m in bot_dms(slack, user)]
    return [m for m in current if m is not None and action_ids(m)]


def assert_offers_next_steps(slack: BotUnderTest, user: str) -> Message:
    last = slack.fake.last_dm(user)
    assert last is not None
    assert set(NEXT_STEPS) <= action_ids(last), blocks_text(last)
    # Nothing older is still clickable: the one open message is the last one.
    assert [m.ts for m in live(slack, user)] == [last.ts]
    return last


def join_mentor(slack: BotUnderTest, user: str, name: str, expertise: str) -> None:
    """A mentor joins: imported, then their profile confirmed as onboarding announces it."""
    slack.add_person(user, name.split()[0].lower(), real_name=name, tz="Europe/London")
    seed(
        slack.app.db,
        slack.clock,
        HEADER + f"{user},{name},,Legal,Counsel,mentor,,{expertise},2,Europe/London,en,either\n",
    )
    slack.app.hooks.profile_confirmed(slack.app.client, TEAM, user)
    slack.app.wait_idle()


def test_no_mentor_fits_offers_three_next_steps(slack: BotUnderTest) -> None:
    people(slack)
    onboard_mentee(slack, "U_DEE", ["security"])  # nobody offers it
    last = assert_offers_next_steps(slack, "U_DEE")
    assert "No mentor in the program covers your goals" in blocks_text(last)
    # *Change my goals* opens the profile editor.
    views_before = len(slack.fake.open_views("U_DEE"))
    slack.d.click("U_DEE", "matching.unmatched.goals")
    assert len(slack.fake.open_views("U_DEE")) == views_before + 1


def test_a_decline_with_nobody_else_ends_in_next_steps(slack: BotUnderTest) -> None:
    people(slack)
    onboard_mentee(slack, "U_ANA", ["stakeholder-management"])  # only Cy covers it
    slack.d.click("U_ANA", "matching.shortlist.request.0")
    request = slack.fake.last_dm("U_CY")
    slack.d.click("U_CY", "matching.request.decline")
    slack.d.submit_view("U_CY", slack.fake.open_views("U_CY")[-1], {})
    last = assert_offers_next_steps(slack, "U_ANA")
    assert "isn't available right now" in blocks_text(last)
    # The mentor's answered request shows what happened, without buttons.
    answered = slack.fake.message(request.channel, request.ts)
    assert answered is not None and not action_ids(answered)
    assert "✓" in blocks_text(answered)
    assert live(slack, "U_CY") == []


def test_an_expiry_with_nobody_else_ends_in_next_steps(
    slack: BotUnderTest, clock: FakeClock
) -> None:
    people(slack)
    onboard_mentee(slack, "U_ANA", ["stakeholder-management"])
    slack.d.click("U_ANA", "matching.shortlist.request.0")
    clock.advance(days=2, minutes=1)
    slack.run_sweeps()  # the reminder
    clock.advance(days=3)
    slack.run_sweeps()  # expiry
    last = assert_offers_next_steps(slack, "U_ANA")
    assert "isn't available right now" in blocks_text(last)
    # Neither the request nor its reminder keeps live Accept / Decline buttons.
    assert live(slack, "U_CY") == []


def test_none_of_these_suit_me_is_one_message_with_next_steps(slack: BotUnderTest) -> None:
    people(slack)
    onboard_mentee(slack, "U_ANA", ["public-speaking"])
    listed = shortlist_message(slack, "U_ANA")
    before = len(bot_dms(slack, "U_ANA"))
    slack.d.click("U_ANA", "matching.shortlist.none_suit")
    slack.d.submit_view(
        "U_ANA",
        slack.fake.open_views("U_ANA")[-1],
        {"matching_none_choice": {"matching.none_suit.choice": "goals"}},
    )
    assert len(bot_dms(slack, "U_ANA")) == before + 1  # exactly one new message
    last = assert_offers_next_steps(slack, "U_ANA")
    assert "won't suggest those mentors" in blocks_text(last)
    closed = slack.fake.message(listed.channel, listed.ts)
    assert closed is not None and "✓" in blocks_text(closed) and not action_ids(closed)


def test_the_waitlist_tells_a_mentee_once_when_a_covering_mentor_joins(
    slack: BotUnderTest,
) -> None:
    people(slack)
    onboard_mentee(slack, "U_DEE", ["security"])
    slack.d.click("U_DEE", "matching.unmatched.waitlist")
    answered = slack.fake.last_dm("U_DEE")
    assert "✓" in blocks_text(answered)
    assert "matching.unmatched.waitlist" not in action_ids(answered)
    slack.d.click("U_DEE", "matching.unmatched.coordinator")  # still offered: no coordinator
    count = len(bot_dms(slack, "U_DEE"))

    join_mentor(slack, "U_EVE", "Eve Ng", "negotiation")  # does not cover security
    assert len(bot_dms(slack, "U_DEE")) == count

    join_mentor(slack, "U_FAY", "Fay Ito", "security")
    assert len(bot_dms(slack, "U_DEE")) == count + 1
    told = shortlist_message(slack, "U_DEE")
    assert "Good news" in blocks_text(told) and "Fay Ito" in blocks_text(told)
    assert told.ts == slack.fake.last_dm("U_DEE").ts

    join_mentor(slack, "U_GUS", "Gus Roy", "security")  # told once only
    slack.run_sweeps()
    assert len(bot_dms(slack, "U_DEE")) == count + 1
    with slack.app.db.transaction() as session:
        assert session.scalars(select(WaitlistEntry.status)).all() == ["notified"]


def test_the_waitlist_hears_when_a_pair_ends_and_frees_a_mentor(slack: BotUnderTest) -> None:
    people(slack)
    onboard_mentee(slack, "U_ANA", ["stakeholder-management"])
    slack.d.click("U_ANA", "matching.shortlist.request.0")  # Cy, capacity 1
    slack.d.click("U_CY", "matching.request.accept")
    slack.add_person("U_IDA", "ida", real_name="Ida Moss", tz="Europe/London")
    onboard_mentee(slack, "U_IDA", ["stakeholder-management"])
    slack.d.click("U_IDA", "matching.unmatched.waitlist")
    count = len(bot_dms(slack, "U_IDA"))
    slack.run_sweeps()
    assert len(bot_dms(slack, "U_IDA")) == count
    slack.clock.advance(minutes=1)
    with slack.app.db.transaction() as session:
        pair = session.scalars(select(Pair)).one()
        pair.status, pair.ended_at = "ended_early", slack.clock.now()
    slack.clock.advance(minutes=1)
    slack.run_sweeps()
    slack.run_sweeps()
    assert len(bot_dms(slack, "U_IDA")) == count + 1
    assert "Cy Tan" in blocks_text(shortlist_message(slack, "U_IDA"))


def test_ask_a_coordinator_reaches_them_with_an_action(
    slack: BotUnderTest, monkeypatch: Any
) -> None:
    people(slack)
    make_coordinator(slack, "U_GRACE", monkeypatch)
    slack.add_person("U_HAL", "hal", real_name=f"Hal {HOSTILE}", tz="Europe/London")
    onboard_mentee(slack, "U_HAL", ["security"])
    payloads: list[dict[str, Any]] = []
    send = slack.d.interaction
    slack.d.interaction = lambda payload: payloads.append(payload) or send(payload)  # type: ignore[method-assign]
    slack.d.click("U_HAL", "matching.unmatched.coordinator")
    send(payloads[0])  # the same click delivered again: still one request
    slack.app.wait_idle()
    mine = slack.fake.last_dm("U_HAL")
    assert "<@U_GRACE>" in blocks_text(mine) and "✓" in blocks_text(mine)
    assert "matching.unmatched.coordinator" not in action_ids(mine)
    asked = [m for m in bot_dms(slack, "U_GRACE") if "matching.help.done" in action_ids(m)]
    assert len(asked) == 1
    assert "<@U_HAL>" in blocks_text(asked[0]) and "Security practices" in blocks_text(asked[0])

    slack.d.click("U_GRACE", "matching.help.done")
    handled = slack.fake.message(asked[0].channel, asked[0].ts)
    assert handled is not None and not action_ids(handled)
    assert "✓" in blocks_text(handled)
    with slack.app.db.transaction() as session:
        entry = session.scalars(select(WaitlistEntry)).one()
        assert (entry.kind, entry.status, entry.closed_by) == ("coordinator", "done", "U_GRACE")
    # Hostile names and typed text are escaped in every message the bot sent.
    assert_nothing_raw(slack)


def test_hostile_free_text_in_none_suit_and_decline_is_escaped(slack: BotUnderTest) -> None:
    people(slack)
    onboard_mentee(slack, "U_ANA", ["public-speaking"])
    slack.d.click("U_ANA", "matching.shortlist.request.0")
    asked = "U_CY" if live(slack, "U_CY") else "U_BEN"
    slack.d.click(asked, "matching.request.decline")
    slack.d.submit_view(
        asked,
        slack.fake.open_views(asked)[-1],
        {"matching_decline_reason": {"matching.decline.reason": HOSTILE}},
    )
    slack.d.click("U_ANA", "matching.shortlist.none_suit")
    slack.d.submit_view(
        "U_ANA",
        slack.fake.open_views("U_ANA")[-1],
        {
            "matching_none_choice": {"matching.none_suit.choice": "other"},
            "matching_none_text": {"matching.none_suit.text": HOSTILE},
        },
    )
    assert_offers_next_steps(slack, "U_ANA")
    assert_nothing_raw(slack)


def test_a_seeded_pending_request_gets_its_message_with_buttons(
    slack: BotUnderTest, clock: FakeClock
) -> None:
    slack.add_person("U_ANA", "ana", real_name="Ana Lima", tz="Europe/Lisbon")
    slack.add_person("U_CY", "cy", real_name="Cy Tan", tz="Europe/Berlin")
    slack.add_person("U_BEN", "ben", real_name="Ben Okafor", tz="Europe/London")
    slack.add_person("U_BEA", "bea", real_name="Bea Boss", tz="Europe/London")
    seed(slack.app.db, clock, PEOPLE)
    ana, cy = pid(slack.app.db, "U_ANA"), pid(slack.app.db, "U_CY")
    with slack.app.db.transaction() as session:
        program_id = session.get_one(Participation, ana).program_id
        created = clock.now() - timedelta(days=1)
        session.add(
            MentorRequest(
                team_id=TEAM,
                program_id=program_id,
                mentee_id=ana,
                mentor_id=cy,
                status="pending",
                created_at=created,
                remind_at=created + timedelta(days=2),
                expires_at=created + timedelta(days=4),
            )
        )
    slack.run_sweeps()
    slack.run_sweeps()  # a second sweep sends nothing more
    sent = [m for m in bot_dms(slack, "U_CY") if "matching.request.accept" in action_ids(m)]
    assert len(sent) == 1 and "Ana Lima" in blocks_text(sent[0])
    slack.d.click("U_CY", "matching.request.accept")
    answered = slack.fake.message(sent[0].channel, sent[0].ts)
    assert answered is not None and not action_ids(answered)
    with slack.app.db.transaction() as session:
        assert session.scalars(select(Pair.status)).one() == "active"
    assert blocks_text(answered).count("✓") == 1
