"""The coordinator and self-service view builders: pure functions checked by slack_sdk's Block
Kit models, within Slack's limits, with people's text escaped."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.views import coordination as views
from bot.views import self_service as everyone
from core.coordination.models import AuditEvent
from core.coordination.reports import Digest, DigestFigure, Figure, GroupProgress, Listed, Stats
from core.privacy.service import MyData, Shown, mask
from core.programs.service import program_settings
from core.self_service.service import NextStep, PairStatus, ProgramStatus, RequestStatus, Status

WHEN = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def checked_message(payload: dict[str, Any]) -> str:
    assert payload["text"], "every message needs fallback text"
    blocks = payload["blocks"]
    assert len(blocks) <= 50
    for block in Block.parse_all(blocks):
        block.to_dict()
    return json.dumps(blocks, ensure_ascii=False)


def checked_modal(view: dict[str, Any]) -> str:
    assert len(view["blocks"]) <= 100
    View(**view).to_dict()
    return json.dumps(view, ensure_ascii=False)


def test_stats_show_masked_counts_and_figures_against_targets() -> None:
    stats = Stats(
        program="Ana's <program> & co",
        k=5,
        objectives=["Grow <b>leaders</b>"],
        participants=mask(12, 5),
        by_role={"mentee": mask(6, 5), "mentor": Shown(None, 5, "complement"), "both": mask(1, 5)},
        by_status={s: mask(n, 5) for s, n in (("onboarding", 0), ("active", 12))},
        pairs=mask(6, 5),
        by_stage={"requested": mask(0, 5), "active": mask(6, 5)},
        active_pairs=Figure(6, 10),
        meetings_per_active_pair=Figure(2.5, 2),
        days_to_match=Figure(None, 14, lower_is_better=True),
        checkin_response_rate=Figure(None, 70, tracked=False),
        could_be_better=mask(2, 5),
        goals=[GroupProgress("Communication", mask(6, 5), Figure(50, 60))],
    )
    text = checked_message(views.stats(stats))
    assert "&lt;b&gt;leaders&lt;/b&gt;" in text and "<b>" not in text
    assert "mentors: not shown (privacy)" in text and "both: fewer than 5" in text
    assert "Active pairs: *6* (target 10, not there yet)" in text
    assert "Meetings logged per active pair: *2.5* (target 2, on track)" in text
    assert "Check-in response rate: not tracked yet" in text
    assert "could be better: *fewer than 5*" in text


def test_lists_of_people_are_grouped_and_capped() -> None:
    items = [Listed(f"U{n:03d}", f"Name <{n}>", "waiting") for n in range(120)]
    text = checked_message(views.people_list("unmatched", "Program", items))
    assert "…and 80 more." in text and "<@U000>" in text
    assert "Name <" not in text  # names are shown as mentions only
    assert "Every mentee" in checked_message(views.people_list("unmatched", "Program", []))


def test_program_list_settings_and_announcement_modals() -> None:
    rows = [
        views.ProgramRow(n, f"Program {n}", n == 0, ["U1", "U2"], mask(n, 5), n % 2 == 0)
        for n in range(45)
    ]
    text = checked_message(views.program_list(rows))
    assert text.count("coordinator.program.settings") == 20  # 40 rows shown, half of them mine
    settings = program_settings(None).with_stored({"targets": {"active_pairs": 10}})
    modal = checked_modal(views.settings_modal(3, "Program <3>", settings))
    assert '"private_metadata": "{\\"p\\":3}"' in modal
    assert "Program &lt;3&gt;" in modal
    raw = views.settings_from_state(
        {
            "settings_shortlist_size": {
                "coordinator.settings.shortlist_size": {"selected_option": {"value": "4"}}
            },
            "settings_objectives": {"coordinator.settings.objectives": {"value": "A\nB"}},
        }
    )
    assert raw == {"shortlist_size": "4", "objectives": "A\nB"}
    checked_modal(views.announce_modal(3, "Program"))
    checked_modal(views.refusal_view("Program"))


def test_announcement_invitation_audit_digest_and_match_messages() -> None:
    text = checked_message(views.announcement("P", "Hi <!channel> & <https://x|y>", "U1"))
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text
    checked_message(views.invitation("P", "U1"))
    events = [
        AuditEvent(actor="U1", action="stats", outcome="ok", targets=[], created_at=WHEN),
        AuditEvent(
            actor="forgotten",
            action="match",
            outcome="refused",
            targets=["U2", "pair:3"],
            created_at=WHEN,
        ),
    ]
    text = checked_message(views.audit_list("P", events))
    assert "forgotten, `match` (<@U2>, pair:3): not done" in text
    digest = Digest(
        program="P",
        k=5,
        figures=[
            DigestFigure("participants", mask(12, 5), 2),
            DigestFigure("active", mask(3, 5), None),
        ],
        unmatched=2,
        at_risk=0,
        history=[(date(2026, 3, 2), {"active": 3})],
    )
    text = checked_message(views.digest(digest, 4))
    assert "Participants: *12* (+2 since last week)" in text
    assert (
        "Active pairs: *fewer than 5*" in text
        and "since last week" not in text.split("Active pairs")[1].split("\\n")[0]
    )
    text = checked_message(
        views.match_ask(9, "mentee", coordinator="U1", other="U2", program="P", reason="<@U3> both")
    )
    assert "&lt;@U3&gt;" in text


def test_self_service_views() -> None:
    status = Status(
        joined=True,
        programs=[ProgramStatus("P", "both", "paused", WHEN)],
        pairs=[PairStatus("U2", "mentee", WHEN)],
        requests=[RequestStatus("U3", "received", WHEN, True)],
        next_steps=[NextStep(WHEN, "a check-in with *bold*")],
    )
    text = checked_message(everyone.status(status))
    assert "on a break until 02 Mar 2026" in text and "a check-in with *bold*" in text
    assert "not part" in checked_message(everyone.status(Status(joined=False)))
    checked_message(everyone.confirm("leave", '{"t":1}'))
    checked_message(everyone.confirm("forget", '{"t":1}'))
    data = MyData(
        found=True,
        person={
            "name": "Ana <x>",
            "title": None,
            "department": None,
            "timezone": "UTC",
            "locale": None,
            "email": None,
            "since": "2026-03-02",
        },
        programs=[
            {
                "program": "P",
                "roles": "mentee",
                "status": "active",
                "capacity": None,
                "format": "remote",
                "languages": ["en"],
                "notes": "n" * 500,
                "goals": [{"area": "Writing", "success": "s" * 500, "priority": 1}] * 3,
                "expertise": [],
                "joined": "2026-03-02",
                "paused_until": None,
            }
        ],
        pairs=[
            {"role": "mentee", "partner": None, "status": "active", "since": "x", "ended": None}
        ],
        requests=[{"direction": "sent", "other": "U2", "status": "declined", "date": "x"}],
        coordinator_of=["P"],
    )
    text = checked_message(everyone.my_data(data))
    assert "Ana &lt;x&gt;" in text and "You coordinate: P." in text
