"""The sandbox demo's coordinator, from a fresh seed: the coordinators table is the one source
of who coordinates, so Grace may run every coordinator command, and messages that tell people
who to reach name her."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from core.coordination.models import OUTCOME_DENIED, AuditEvent
from core.coordination.service import remove_coordinator
from core.programs.models import Program
from core.programs.service import program_settings
from sandbox import seed as demo
from sandbox.harness import BotUnderTest
from sandbox.progress import program_stages
from tests.admin_support import last_reply

GRACE = demo.COORDINATOR

# Every coordinator command, with people from the demo organisation.
DEMO_COMMANDS = [
    ("coordinators list", "Coordinators"),
    ("program list", "Mentoring program"),
    ("program settings", None),  # opens the settings form
    ("invite <@U0OLIVIA>", None),
    ("announce", None),  # opens the announcement form
    ("stats", None),
    ("unmatched", None),
    ("at-risk", None),
    ("match run", None),
    ("match <@U0ZOE> <@U0INES> you both like data", "I've asked"),
    ("do-not-pair <@U0TOM> <@U0MAYA>", None),
    ("unpair <@U0LEO> <@U0CHLOE>", None),
    ("rematch <@U0LEO>", None),
    ("export", None),
    ("audit", None),
    ("coordinators add <@U0OLIVIA>", None),
    ("coordinators remove <@U0OLIVIA>", None),
    ("program create Reverse mentoring", None),
]


def seeded(slack: BotUnderTest) -> None:
    demo.add_to_slack(slack.fake)
    demo.seed(slack.app.db, slack.app.clock, slack.fake)


def test_the_demo_coordinator_may_run_every_coordinator_command(slack: BotUnderTest) -> None:
    seeded(slack)
    for command, expected in DEMO_COMMANDS:
        before = len(slack.fake.dm_messages(GRACE))
        slack.d.slash(GRACE, "/mentoring", command)
        reply = last_reply(slack, GRACE) if len(slack.fake.dm_messages(GRACE)) > before else ""
        assert "only program coordinators" not in reply, command
        assert "only the coordinators of" not in reply, command
        if expected:
            assert expected in reply, command
    with slack.app.db.transaction() as session:
        denied = session.scalars(
            select(AuditEvent).where(AuditEvent.outcome == OUTCOME_DENIED)
        ).all()
        assert denied == []
        actions = set(session.scalars(select(AuditEvent.action).where(AuditEvent.actor == GRACE)))
    assert {"stats", "unmatched", "at_risk", "match", "export", "audit"} <= actions
    # the settings and announcement forms opened for her
    assert len(slack.fake.open_views(GRACE)) >= 1


def test_who_people_can_reach_is_read_from_the_coordinators_table(slack: BotUnderTest) -> None:
    seeded(slack)
    with slack.app.db.transaction() as session:
        program = session.scalars(select(Program).where(Program.is_default.is_(True))).one()
        assert "coordinators" not in (program.settings or {})
        assert program_settings(program).coordinators == (GRACE,)
        assert program_stages(session, slack.fake.team_id)[GRACE]["coordinator"] is True
        # a contact written in the setting grants nothing and is not shown while the table
        # names a coordinator
        program.settings = {"coordinators": ["U0OLIVIA"]}
    with slack.app.db.transaction() as session:
        program = session.scalars(select(Program).where(Program.is_default.is_(True))).one()
        assert program_settings(program).coordinators == (GRACE,)
        assert "U0OLIVIA" not in program_stages(session, slack.fake.team_id)
    slack.d.slash("U0OLIVIA", "/mentoring", "stats")
    assert "only" in last_reply(slack, "U0OLIVIA")


def buttons(slack: BotUnderTest, user: str, action_id: str) -> list[str]:
    """The values of the live `action_id` buttons in the person's DM."""
    return [
        str(ref.element.get("value"))
        for m in slack.fake.dm_messages(user)
        for ref in m.elements()
        if ref.type == "button" and ref.action_id == action_id
    ]


def test_each_unmatched_mentee_has_suggest_mentors_and_it_sends_a_shortlist(
    slack: BotUnderTest,
) -> None:
    seeded(slack)
    slack.d.slash(GRACE, "/mentoring", "unmatched")
    rows = buttons(slack, GRACE, "coordinator.list.suggest")
    listed = [json.loads(v)["u"] for v in rows]
    assert "U0TOM" in listed and len(listed) == len(set(listed))
    tom = rows[listed.index("U0TOM")]
    before = len(slack.fake.dm_messages("U0TOM"))
    slack.d.click(GRACE, "coordinator.list.suggest", value=tom)
    told = slack.fake.dm_messages("U0TOM")[before:]
    # matching ran for Tom alone: no mentor covers his goal; asking a coordinator reaches
    # the one named in the coordinators table
    assert len(told) == 1 and "matching.unmatched.coordinator" in str(told[0].blocks)
    # the list comes back with Tom's ✓ and no live button for him
    assert tom not in buttons(slack, GRACE, "coordinator.list.suggest")
    assert "✓ I looked for mentors for <@U0TOM>" in last_reply(slack, GRACE)
    with slack.app.db.transaction() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "unmatched.suggest")
        ).all()
        assert [(e.actor, e.outcome, e.targets) for e in events] == [(GRACE, "ok", ["U0TOM"])]
    slack.d.click("U0TOM", "matching.unmatched.coordinator", in_message=told[0])
    asked = slack.fake.message(told[0].channel, told[0].ts)
    assert asked is not None and "<@U0GRACE>" in str(asked.blocks)
    assert "would like help finding a mentor" in last_reply(slack, GRACE)


def test_a_list_button_is_refused_to_someone_who_does_not_coordinate(slack: BotUnderTest) -> None:
    seeded(slack)
    slack.d.slash(GRACE, "/mentoring", "unmatched")
    tom = next(
        v
        for v in buttons(slack, GRACE, "coordinator.list.suggest")
        if json.loads(v)["u"] == "U0TOM"
    )
    with slack.app.db.transaction() as session:
        program = session.scalars(select(Program).where(Program.is_default.is_(True))).one()
        remove_coordinator(session, program, GRACE, keep_one=False)
    before = len(slack.fake.dm_messages("U0TOM"))
    slack.d.click(GRACE, "coordinator.list.suggest", value=tom)
    assert len(slack.fake.dm_messages("U0TOM")) == before
    assert "only" in last_reply(slack, GRACE)


def test_each_at_risk_row_has_send_a_check_in_with_status_only(slack: BotUnderTest) -> None:
    seeded(slack)
    slack.d.slash(GRACE, "/mentoring", "at-risk")
    rows = buttons(slack, GRACE, "coordinator.list.check_in")
    assert rows, last_reply(slack, GRACE)
    person = json.loads(rows[0])["u"]
    before = len(slack.fake.dm_messages(person))
    slack.d.click(GRACE, "coordinator.list.check_in", value=rows[0])
    told = slack.fake.dm_messages(person)[before:]
    assert len(told) == 1 and "<@U0GRACE>" in (told[0].text or "") + str(told[0].blocks)
    # no button to leave hanging: it says nothing else is needed
    assert not [r for r in told[0].elements() if r.type == "button"]
    assert rows[0] not in buttons(slack, GRACE, "coordinator.list.check_in")
    assert "✓ Check-in sent" in last_reply(slack, GRACE)


def live_buttons(slack: BotUnderTest, user: str, prefix: str) -> list[str]:
    return [
        str(ref.action_id)
        for m in slack.fake.dm_messages(user)
        for ref in m.elements()
        if ref.type == "button" and str(ref.action_id).startswith(prefix)
    ]


def test_answered_and_closed_match_proposals_keep_no_live_buttons(slack: BotUnderTest) -> None:
    seeded(slack)
    slack.d.slash(GRACE, "/mentoring", "match <@U0TOM> <@U0MARCUS> you both like data")
    assert live_buttons(slack, "U0TOM", "coordinator.match.")
    ask = next(
        m for m in slack.fake.dm_messages("U0MARCUS") if "coordinator.match.accept" in str(m.blocks)
    )
    slack.d.click("U0TOM", "coordinator.match.decline")
    assert live_buttons(slack, "U0TOM", "coordinator.match.") == []
    assert "✓ You said no thanks" in str(slack.fake.dm_messages("U0TOM")[-1].blocks)
    # Marcus's copy is closed at once, before he clicks: a ✓ line in place of the buttons,
    # and one message telling him it won't go ahead
    assert live_buttons(slack, "U0MARCUS", "coordinator.match.") == []
    closed = slack.fake.message(ask.channel, ask.ts)
    assert closed is not None and "✓ This suggestion is closed" in str(closed.blocks)
    assert "won't go ahead" in (slack.fake.dm_messages("U0MARCUS")[-1].text or "")
    # the old copy (as another device may still show it) has nothing left to click
    with pytest.raises(AssertionError, match="sees no button"):
        slack.d.click("U0MARCUS", "coordinator.match.accept", in_message=closed)


def test_a_yes_leaves_the_other_side_free_to_answer(slack: BotUnderTest) -> None:
    seeded(slack)
    slack.d.slash(GRACE, "/mentoring", "match <@U0TOM> <@U0MARCUS> you both like data")
    slack.d.click("U0TOM", "coordinator.match.accept")
    assert live_buttons(slack, "U0TOM", "coordinator.match.") == []
    assert live_buttons(slack, "U0MARCUS", "coordinator.match.")  # still his to answer
    slack.d.click("U0MARCUS", "coordinator.match.decline")
    assert live_buttons(slack, "U0MARCUS", "coordinator.match.") == []


def test_a_match_run_confirmation_keeps_no_live_buttons_once_answered(
    slack: BotUnderTest,
) -> None:
    seeded(slack)
    slack.d.slash(GRACE, "/mentoring", "match run")
    assert live_buttons(slack, GRACE, "coordinator.match_run.")
    slack.d.click(GRACE, "coordinator.match_run.cancel")
    assert live_buttons(slack, GRACE, "coordinator.match_run.") == []
    assert "✓ Cancelled: nothing was sent" in last_reply(slack, GRACE)
    slack.d.slash(GRACE, "/mentoring", "match run")
    slack.d.click(GRACE, "coordinator.match_run.send")
    assert live_buttons(slack, GRACE, "coordinator.match_run.") == []
    assert "✓ Sent" in last_reply(slack, GRACE)


def test_when_the_other_ask_cannot_be_found_a_click_still_finds_it_closed(
    slack: BotUnderTest,
) -> None:
    seeded(slack)
    slack.d.slash(GRACE, "/mentoring", "match <@U0TOM> <@U0MARCUS> you both like data")
    slack.fake.fail_next("conversations.history", "ratelimited")
    slack.d.click("U0TOM", "coordinator.match.decline")
    assert "✓ You said no thanks" in str(slack.fake.dm_messages("U0TOM")[-1].blocks)
    # Slack refused the look-up: Marcus's copy keeps its buttons, and his click closes it
    assert live_buttons(slack, "U0MARCUS", "coordinator.match.")
    slack.d.click("U0MARCUS", "coordinator.match.accept")
    assert live_buttons(slack, "U0MARCUS", "coordinator.match.") == []
