"""The relationship view builders: pure functions checked by slack_sdk's Block Kit models,
with the longest text people can type, escaped wherever it appears."""

from __future__ import annotations

from datetime import date
from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.platform.blocks import message
from bot.scheduling.deliverer import Part
from bot.views import relationship_nudges as nudge_views
from bot.views import relationships as views
from core.relationships.agreements import GOAL_TITLE_MAX, SUCCESS_MAX, SUGGESTION_MAX, AgreementForm

NASTY = "<@U_ALL> & <!here> *bold*"
LONG_GOALS = [
    {"title": (NASTY + "x" * GOAL_TITLE_MAX)[:GOAL_TITLE_MAX], "success": "y" * SUCCESS_MAX}
    for _ in range(3)
]
AGREEMENT = views.AgreementView(LONG_GOALS, "biweekly", "in_person", 12, date(2027, 3, 2))


def mrkdwn_texts(node: Any) -> list[str]:
    """Every text Slack parses as mrkdwn (plain_text is shown as typed, never parsed)."""
    if isinstance(node, dict):
        found = [node["text"]] if node.get("type") == "mrkdwn" else []
        return found + [t for v in node.values() for t in mrkdwn_texts(v)]
    if isinstance(node, list):
        return [t for v in node for t in mrkdwn_texts(v)]
    return []


def checked(part: Part) -> list[dict[str, Any]]:
    payload = message(part.text, part.blocks)
    assert payload["text"], "every message needs fallback text"
    assert len(payload["blocks"]) <= 50
    for block in Block.parse_all(payload["blocks"]):
        block.to_dict()  # validates lengths and required fields
    for text in [payload["text"], *mrkdwn_texts(payload["blocks"])]:
        assert "<@U_ALL>" not in text and "<!here>" not in text  # nobody can be pinged
    return payload["blocks"]


def checked_modal(view: dict[str, Any]) -> dict[str, Any]:
    assert len(view["blocks"]) <= 100
    View(**view).to_dict()
    for text in mrkdwn_texts(view["blocks"]):
        assert "<@U_ALL>" not in text and "<!here>" not in text
    return view


def test_every_message_builder_makes_valid_blocks() -> None:
    parts = [
        views.invite(1, "mentee", "U_B", NASTY),
        views.invite(1, "mentor", "U_A", NASTY),
        views.review(1, 3, "U_A", NASTY, AGREEMENT),
        views.changes(1, "U_B", NASTY, (NASTY * 100)[:SUGGESTION_MAX]),
        views.active("U_B", NASTY, AGREEMENT),
        views.agreement_nudge(1, "mentee", "U_B", NASTY),
        views.agreement_nudge(1, "mentor", "U_A", NASTY),
        views.meeting_nudge(1, "weekly", "U_B", NASTY, date(2026, 3, 3)),
        views.meeting_nudge(1, "weekly", "U_B", NASTY, date(2026, 3, 3), 2),
        views.meeting_nudge(1, "monthly", "U_B", NASTY, date(2026, 3, 3), 3),
        nudge_views.done("✓ Meeting on 3 March logged."),
        views.meeting_logged(1, 9, True, "U_B", NASTY, date(2026, 3, 3)),
        views.checkin_prompt(1, 2, "U_B", NASTY),
        views.not_working(1, NASTY),
        views.checkin_summary(
            "U_B",
            NASTY,
            [{"title": g["title"], "mine": "achieved", "theirs": None} for g in LONG_GOALS],
        ),
        views.help_request("U_A", NASTY, "mentee"),
        views.closure(1, "no_fault", "U_B", NASTY, True),
        views.closure(1, "completed", "U_B", NASTY, False),
        views.term_end(1, "U_B", NASTY, 6, date(2026, 9, 2), 3),
        views.extended("U_B", NASTY, date(2026, 12, 2)),
        views.pause_started("U_A", NASTY, date(2026, 3, 20)),
        views.pause_started("U_A", NASTY, None),
        views.pause_ended(True, "U_A"),
    ]
    for part in parts:
        checked(part)
    review = str(checked(views.review(1, 3, "U_A", "Ana", AGREEMENT)))
    assert "&lt;@U_ALL&gt; &amp; &lt;!here&gt;" in review
    assert "Every two weeks" in review and "In person" in review and "12 months" in review


def test_modals_are_valid_and_read_back() -> None:
    form = AgreementForm(
        goals=LONG_GOALS[:2], cadence="monthly", meeting_format="remote", duration_months=9
    )
    modal = checked_modal(
        views.agreement_modal(
            form,
            partner_name=NASTY,
            max_goals=3,
            durations=[3, 6, 9, 12],
            suggestion=(NASTY * 100)[:SUGGESTION_MAX],
            metadata={"p": 1, "v": 2},
        )
    )
    assert modal["private_metadata"] == '{"p":1,"v":2}'
    checked_modal(views.suggest_modal(NASTY, {"p": 1, "v": 2}))
    checked_modal(views.note_modal(date(2026, 3, 3), "x" * 2000, {"p": 1, "m": 3}))
    met = checked_modal(nudge_views.met_modal(date(2026, 3, 3), NASTY, {"p": 1}))
    assert met["blocks"][0]["element"]["initial_date"] == "2026-03-03"
    rhythm = checked_modal(nudge_views.rhythm_modal("biweekly", {"p": 1}))
    assert rhythm["blocks"][0]["element"]["initial_option"]["value"] == "biweekly"
    checked_modal(views.checkin_modal([g["title"] for g in LONG_GOALS], NASTY, {"p": 1, "s": 1}))

    state = {
        "agreement_goal_1": {
            "relationship.agreement.goal.1": {"type": "plain_text_input", "value": "Speak"}
        },
        "agreement_success_1": {
            "relationship.agreement.success.1": {"type": "plain_text_input", "value": "A talk"}
        },
        "agreement_goal_2": {
            "relationship.agreement.goal.2": {"type": "plain_text_input", "value": None}
        },
        "agreement_cadence": {
            "relationship.agreement.cadence": {
                "type": "radio_buttons",
                "selected_option": {"value": "weekly"},
            }
        },
        "agreement_format": {
            "relationship.agreement.format": {
                "type": "radio_buttons",
                "selected_option": {"value": "either"},
            }
        },
        "agreement_duration": {
            "relationship.agreement.duration": {
                "type": "static_select",
                "selected_option": {"value": "3"},
            }
        },
        "agreement_ground_rules": {
            "relationship.agreement.ground_rules": {
                "type": "checkboxes",
                "selected_options": [{"value": "agreed"}],
            }
        },
    }
    read = views.agreement_form(state, 3)
    assert read == AgreementForm(
        goals=[{"title": "Speak", "success": "A talk"}],
        cadence="weekly",
        meeting_format="either",
        duration_months=3,
        ground_rules=True,
    )
    errors = views.agreement_errors({"goal_1": "goal_required", "ground_rules": "ground_rules"}, 3)
    assert set(errors) == {"agreement_goal_1", "agreement_ground_rules"}


def test_home_section_for_each_stage() -> None:
    pairs = [
        views.PairHome(1, "mentee", "U_B", NASTY, date(2026, 3, 2), None, None, None, None),
        views.PairHome(2, "mentor", "U_C", NASTY, date(2026, 3, 2), "proposed", AGREEMENT, 2, None),
        views.PairHome(
            3, "mentee", "U_D", NASTY, date(2026, 3, 2), "active", AGREEMENT, 4, date(2026, 3, 9)
        ),
    ]
    blocks = views.home_section(views.HomeSection(pairs=pairs, paused_until=date(2026, 3, 20)))
    for block in Block.parse_all(blocks):
        block.to_dict()
    text = str(blocks)
    assert "relationship.agreement.open" in text  # the mentee can draft
    assert "relationship.agreement.confirm" in text  # the mentor can confirm
    assert "relationship.meeting.met" in text and "Last meeting: 9 March" in text
    assert "relationship.pause.resume" in text
    assert views.home_section(views.HomeSection()) == []
