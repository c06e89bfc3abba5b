"""The sandbox demo's coordinator, from a fresh seed: the coordinators table is the one source
of who coordinates, so Grace may run every coordinator command, and messages that tell people
who to reach name her."""

from __future__ import annotations

from sqlalchemy import select

from core.coordination.models import OUTCOME_DENIED, AuditEvent
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
    ("match <@U0SAMUEL> <@U0MARCUS> you both like data", None),
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
