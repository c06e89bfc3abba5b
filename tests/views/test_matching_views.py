"""The matching view builders: pure functions checked by slack_sdk's Block Kit models."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.platform import ids
from bot.views import matching as views
from core.matchmaking.service import (
    GoalInfo,
    HomeMatching,
    PersonRef,
    ShortlistCandidate,
    ShortlistOutcome,
)
from core.programs.service import program_settings

WHEN = datetime(2026, 3, 6, 9, 0, tzinfo=UTC)
ANA = PersonRef(1, "U_ANA", "Ana <Lima> & co", "Engineer")
CY = PersonRef(2, "U_CY", "Cy Tan", "Ops lead")


def checked_message(payload: dict[str, Any]) -> list[dict[str, Any]]:
    assert payload["text"], "every message needs fallback text"
    blocks = payload["blocks"]
    assert len(blocks) <= 50
    for block in Block.parse_all(blocks):
        block.to_dict()  # validates lengths and required fields
    return blocks


def checked_modal(view: dict[str, Any]) -> dict[str, Any]:
    assert len(view["blocks"]) <= 100
    View(**view).to_dict()
    return view


def outcome(candidates: int, reason_length: int = 60) -> ShortlistOutcome:
    return ShortlistOutcome(
        team_id="T1",
        program_id=1,
        mentee=ANA,
        shortlist_id=7,
        candidates=tuple(
            ShortlistCandidate(
                PersonRef(10 + i, f"U_M{i}", f"Mentor <{i}>", "Title " * 20),
                0.9 - i / 100,
                tuple("r" * reason_length for _ in range(6)),
            )
            for i in range(candidates)
        ),
        settings=program_settings(None).with_stored({"coordinators": ["U0COORD1", "Sam <Admin>"]}),
    )


@pytest.mark.parametrize("size", [1, 3, 10])
def test_shortlist_fits_slack_limits_with_a_button_per_candidate(size: int) -> None:
    blocks = checked_message(views.shortlist_message(outcome(size, reason_length=300)))
    text = json.dumps(blocks)
    for i in range(size):
        assert f'"{ids.MATCH_REQUEST}.{i}"' in text
    assert ids.MATCH_NONE_SUIT in text
    assert "Mentor &lt;0&gt;" in text and "Mentor <0>" not in text
    assert "<@U0COORD1>" in text and "Sam &lt;Admin&gt;" in text


def test_request_buttons_carry_the_shortlist_and_the_mentor() -> None:
    blocks = checked_message(views.shortlist_message(outcome(2)))
    buttons = [b["accessory"] for b in blocks if b.get("accessory")]
    values = [
        json.loads(b["value"]) for b in buttons if b["action_id"].startswith(ids.MATCH_REQUEST)
    ]
    assert values == [{"m": 10, "s": 7}, {"m": 11, "s": 7}]


def test_no_candidates_says_why_and_offers_a_coordinator() -> None:
    empty = ShortlistOutcome(
        team_id="T1",
        program_id=1,
        mentee=ANA,
        shortlist_id=None,
        unmatched_code="no_capacity",
        unmatched_reason="The mentors who cover your goals are fully booked right now.",
        settings=program_settings(None).with_stored({"coordinators": []}),
    )
    text = json.dumps(checked_message(views.shortlist_message(empty)))
    assert "fully booked" in text and "Ask a coordinator" in text
    assert ids.MATCH_REQUEST not in text
    for next_step in (ids.MATCH_WAITLIST, ids.MATCH_ASK_COORDINATOR, ids.MATCH_CHANGE_GOALS):
        assert next_step in text


def test_request_message_shows_goals_escaped_and_answer_buttons() -> None:
    goals = [GoalInfo("Public speaking", "Talk <b>without</b> notes & @here"), GoalInfo("Writing")]
    blocks = checked_message(views.request_message(5, ANA.name, goals, WHEN))
    text = json.dumps(blocks)
    assert "Ana &lt;Lima&gt; &amp; co" in text
    assert "Talk &lt;b&gt;without&lt;/b&gt; notes &amp; @here" in text
    assert ids.MATCH_ACCEPT in text and ids.MATCH_DECLINE in text
    assert "<!date^1772787600^" in text  # the deadline in each reader's own time zone
    checked_message(views.reminder_message(5, ANA.name, goals, WHEN))


@pytest.mark.parametrize("state", ["accepted", "declined", "expired", "cancelled", "pending"])
def test_closed_requests_have_no_buttons(state: str) -> None:
    blocks = checked_message(views.request_closed(state, ANA.name))
    assert "button" not in json.dumps(blocks)


def test_modals_are_valid_and_carry_their_ids() -> None:
    decline = checked_modal(views.decline_modal(5, ANA.name))
    assert decline["callback_id"] == ids.MATCH_DECLINE_MODAL
    assert json.loads(decline["private_metadata"]) == {"r": 5}
    none = checked_modal(views.none_suit_modal(7))
    assert none["callback_id"] == ids.MATCH_NONE_SUIT_MODAL
    assert json.loads(none["private_metadata"]) == {"s": 7}


def test_modal_answers_are_read_from_the_view_state() -> None:
    state = {
        "state": {
            "values": {
                views.NONE_CHOICE_BLOCK: {
                    ids.MATCH_NONE_SUIT_CHOICE: {"selected_option": {"value": "known"}}
                },
                views.NONE_TEXT_BLOCK: {ids.MATCH_NONE_SUIT_TEXT: {"value": "She's my old lead"}},
                views.DECLINE_REASON_BLOCK: {ids.MATCH_DECLINE_REASON: {"value": None}},
            }
        }
    }
    assert views.none_suit_answer(state) == ("known", "She's my old lead")
    assert views.decline_reason(state) is None


def test_intro_mentions_both_and_names_the_next_step() -> None:
    text = json.dumps(checked_message(views.intro_message(ANA, CY, [GoalInfo("Public speaking")])))
    assert "<@U_ANA>" in text and "<@U_CY>" in text
    assert "learning agreement" in text and "Public speaking" in text


def test_home_blocks() -> None:
    assert views.home_blocks(HomeMatching()) == []
    state = HomeMatching(asked=CY, asked_until=WHEN, requests_to_me=[(ANA, WHEN)], my_mentees=[ANA])
    blocks = views.home_blocks(state)
    for block in Block.parse_all(blocks):
        block.to_dict()
    text = json.dumps(blocks)
    assert "Cy Tan" in text and "Ana &lt;Lima&gt;" in text


def test_coordinators_text() -> None:
    assert views.coordinators_text(program_settings(None)) == "your program coordinators"
    assert (
        views.coordinators_text(
            program_settings(None).with_stored(
                {"coordinators": ["U0AAA1", {"name": "Kim", "slack_id": "U0BBB2"}, "Lee & Co"]}
            )
        )
        == "<@U0AAA1>, <@U0BBB2> and Lee &amp; Co"
    )
