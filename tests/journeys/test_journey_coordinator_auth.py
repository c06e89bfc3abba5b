"""Coordinator authorization journeys: who may run which program, checked server-side on
every command, button and modal submission, with refused attempts audited."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from core.coordination.models import AuditEvent, Coordinator
from core.matchmaking.models import DoNotPair, MentorRequest, Pair
from core.programs.models import Program
from sandbox.harness import BotUnderTest
from tests.admin_support import TEAM, ephemeral_texts, join, last_reply, make_coordinator

REFUSAL = "only"  # "Sorry, only the coordinators of ... can do that"

COORDINATOR_COMMANDS = [
    ("coordinators add <@U_X>", "coordinators.add"),
    ("coordinators remove <@U_CO>", "coordinators.remove"),
    ("coordinators list", "coordinators.list"),
    ("program create Sneaky program", "program.create"),
    ("program list", "program.list"),
    ("program settings", "program.settings"),
    ("invite <@U_NEW>", "invite"),
    ("announce", "announce"),
    ("stats", "stats"),
    ("unmatched", "unmatched"),
    ("at-risk", "at_risk"),
    ("match run", "match.preview"),
    ("match <@U_A> <@U_B> you both like talks", "match"),
    ("unpair <@U_A> <@U_B>", "unpair"),
    ("do-not-pair <@U_A> <@U_B>", "do_not_pair"),
    ("rematch <@U_A>", "rematch"),
    ("export", "export"),
    ("audit", "audit"),
]


def audit(slack: BotUnderTest, **where: object) -> list[AuditEvent]:
    with slack.app.db.transaction() as session:
        query = select(AuditEvent).order_by(AuditEvent.id)
        for key, value in where.items():
            query = query.where(getattr(AuditEvent, key) == value)
        return list(session.scalars(query))


def program_id(slack: BotUnderTest, name: str) -> int:
    with slack.app.db.transaction() as session:
        return session.scalars(select(Program.id).where(Program.name == name)).one()


def test_a_non_coordinator_is_refused_every_coordinator_command_and_each_try_is_audited(
    slack: BotUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_coordinator(slack, "U_CO", monkeypatch)
    join(slack, "U_A", "Ana Lima")
    join(slack, "U_B", "Ben Okafor", role="mentor")
    join(slack, "U_X", "Xavi Ruiz")
    slack.add_person("U_NEW", "newbie")
    calls_before = {m: len(slack.fake.calls_to(m)) for m in ("views.open", "conversations.members")}
    for text, action in COORDINATOR_COMMANDS:
        slack.d.slash("U_X", "/mentoring", text)
        reply = last_reply(slack, "U_X")
        assert REFUSAL in reply and "coordinator" in reply, (text, reply)
        denied = audit(slack, actor="U_X", action=action, outcome="denied")
        assert len(denied) == 1, (text, [(e.action, e.outcome) for e in audit(slack)])
        assert denied[0].program_id == program_id(slack, "Mentoring program")
    # nothing happened: no modal, no invitation, no pair, no do-not-pair, still one coordinator
    assert slack.fake.open_views("U_X") == []
    assert {m: len(slack.fake.calls_to(m)) for m in calls_before} == calls_before
    assert slack.fake.dm_messages("U_NEW") == []
    assert slack.fake.files == []
    with slack.app.db.transaction() as session:
        assert session.scalars(select(Pair)).all() == []
        assert session.scalars(select(MentorRequest)).all() == []
        assert session.scalars(select(DoNotPair)).all() == []
        assert [c.slack_user_id for c in session.scalars(select(Coordinator))] == ["U_CO"]
        assert session.scalars(select(Program.name)).all() == ["Mentoring program"]
    # the coordinator sees the refused attempts in the audit log
    slack.d.slash("U_CO", "/mentoring", "audit")
    log = last_reply(slack, "U_CO")
    assert "<@U_X>" in log and "refused (not a coordinator)" in log


def test_coordinators_of_one_program_cannot_act_on_another(
    slack: BotUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_coordinator(slack, "U_CO", monkeypatch)
    join(slack, "U_A", "Ana Lima")
    d = slack.d
    d.slash("U_CO", "/mentoring", "program create Reverse mentoring")
    assert "Reverse mentoring" in last_reply(slack, "U_CO")
    slack.add_person("U_RC", "rita")
    d.slash("U_CO", "/mentoring", 'coordinators add <@U_RC|rita> --program "Reverse mentoring"')
    assert "now a coordinator of *Reverse mentoring*" in last_reply(slack, "U_CO")
    # Rita runs her own program...
    d.slash("U_RC", "/mentoring", "stats")
    assert "Reverse mentoring: program stats" in last_reply(slack, "U_RC")
    # she sees that the other program exists and who runs it, not its figures
    d.slash("U_RC", "/mentoring", "program list")
    listing = slack.fake.last_dm("U_RC").blocks
    other = next(b for b in listing if "*Mentoring program*" in str(b))
    mine = next(b for b in listing if "*Reverse mentoring*" in str(b))
    assert "Participants" not in str(other) and "accessory" not in other
    assert "Participants" in str(mine) and "coordinator.program.settings" in str(mine)
    # ...but not the other one, named or not
    for text in (
        'stats --program "Mentoring program"',
        "unmatched --program Mentoring program",
        "coordinators add <@U_RC> --program “Mentoring program”",
        "export --program=Mentoring program",
    ):
        d.slash("U_RC", "/mentoring", text)
        assert "only the coordinators of *Mentoring program*" in last_reply(slack, "U_RC"), text
    denied = audit(slack, actor="U_RC", outcome="denied")
    assert len(denied) == 4
    assert {e.program_id for e in denied} == {program_id(slack, "Mentoring program")}
    assert slack.fake.files == []
    # the coordinator of both must say which one
    d.slash("U_CO", "/mentoring", "stats")
    assert "more than one program" in last_reply(slack, "U_CO")
    d.slash("U_CO", "/mentoring", "stats --program mentoring PROGRAM")
    assert "Mentoring program: program stats" in last_reply(slack, "U_CO")


def test_a_workspace_admin_can_set_the_first_coordinator_and_no_later_one(
    slack: BotUnderTest,
) -> None:
    slack.add_person("U_ADM", "adele", is_admin=True)
    slack.add_person("U_ADM2", "adam", is_admin=True)
    slack.add_person("U_NOBODY", "nora")
    d = slack.d
    # an ordinary member cannot bootstrap
    d.slash("U_NOBODY", "/mentoring", "coordinators add <@U_NOBODY>")
    assert REFUSAL in last_reply(slack, "U_NOBODY")
    # a workspace admin can, while the program has no coordinator
    d.slash("U_ADM", "/mentoring", "coordinators add <@U_ADM>")
    assert any("is now a coordinator" in t for t in ephemeral_texts(slack, "U_ADM"))
    # once it has one, another admin is an ordinary non-coordinator
    d.slash("U_ADM2", "/mentoring", "coordinators add <@U_ADM2>")
    assert REFUSAL in last_reply(slack, "U_ADM2")
    with slack.app.db.transaction() as session:
        assert [c.slack_user_id for c in session.scalars(select(Coordinator))] == ["U_ADM"]
    assert [e.outcome for e in audit(slack, action="coordinators.add")] == [
        "denied",
        "ok",
        "denied",
    ]
    # the new coordinator is welcomed in a DM and sees the coordinator commands in help
    assert any("made you a coordinator" in t for t in slack.dm_texts("U_ADM"))
    d.slash("U_ADM", "/mentoring", "help")
    assert "As a coordinator of Mentoring program" in last_reply(slack, "U_ADM")
    d.slash("U_NOBODY", "/mentoring", "help")
    assert "As a coordinator" not in last_reply(slack, "U_NOBODY")


def test_coordinators_manage_each_other_but_never_remove_the_last_one(
    slack: BotUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_coordinator(slack, "U_CO", monkeypatch)
    slack.add_person("U_C2", "cleo")
    d = slack.d
    d.slash("U_CO", "/mentoring", "coordinators add <@U_C2>")
    d.slash("U_CO", "/mentoring", "coordinators list")
    assert "<@U_CO>" in last_reply(slack, "U_CO") and "<@U_C2>" in last_reply(slack, "U_CO")
    d.slash("U_C2", "/mentoring", "coordinators remove <@U_CO>")
    assert "no longer a coordinator" in last_reply(slack, "U_C2")
    d.slash("U_C2", "/mentoring", "coordinators remove <@U_C2>")
    assert "needs at least one coordinator" in last_reply(slack, "U_C2")
    with slack.app.db.transaction() as session:
        assert [c.slack_user_id for c in session.scalars(select(Coordinator))] == ["U_C2"]


def test_a_stale_coordinator_button_and_modal_after_removal_are_refused(
    slack: BotUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_coordinator(slack, "U_CO", monkeypatch)
    slack.add_person("U_C2", "cleo")
    d = slack.d
    d.slash("U_CO", "/mentoring", "coordinators add <@U_C2>")
    # Cleo lists the programs (a Settings button) and opens the settings modal
    d.slash("U_C2", "/mentoring", "program list")
    listing = slack.fake.last_dm("U_C2")
    assert "coordinator.program.settings" in str(listing.blocks)
    d.slash("U_C2", "/mentoring", "program settings")
    modal = slack.fake.open_views("U_C2")[-1]
    assert modal.callback_id == "coordinator.settings.modal"
    # ...then she is removed
    d.slash("U_CO", "/mentoring", "coordinators remove <@U_C2>")
    views_before = len(slack.fake.calls_to("views.open"))
    d.click("U_C2", "coordinator.program.settings", in_message=listing)
    assert len(slack.fake.calls_to("views.open")) == views_before
    assert REFUSAL in last_reply(slack, "U_C2")
    # the modal she still has open is refused on submit and changes nothing
    response = d.submit_view(
        "U_C2",
        modal,
        {"settings_shortlist_size": {"coordinator.settings.shortlist_size": "7"}},
    )
    body = response.json()
    assert body["response_action"] == "update"
    assert "only" in json.dumps(body["view"])
    with slack.app.db.transaction() as session:
        program = session.scalars(select(Program)).one()
        assert "shortlist_size" not in (program.settings or {})
    denied = audit(slack, actor="U_C2", outcome="denied")
    assert [e.action for e in denied] == ["program.settings", "program.settings"]


def test_a_forged_button_for_another_workspace_program_is_refused(
    slack: BotUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The program id in a button is only a pointer: authority comes from the database."""
    make_coordinator(slack, "U_CO", monkeypatch)
    slack.add_person("U_X", "xavi")
    d = slack.d
    d.slash("U_CO", "/mentoring", "program list")
    button_value = json.dumps({"p": program_id(slack, "Mentoring program")})
    sent: list[dict] = []
    send = d.interaction
    monkeypatch.setattr(d, "interaction", lambda payload: sent.append(payload) or send(payload))
    d.click("U_CO", "coordinator.program.settings")
    forged = json.loads(json.dumps(sent[-1]))
    forged["user"]["id"] = "U_X"
    forged["actions"][0]["value"] = button_value
    views_before = len(slack.fake.calls_to("views.open"))
    assert send(forged).status_code == 200
    slack.app.wait_idle()
    assert len(slack.fake.calls_to("views.open")) == views_before
    assert audit(slack, actor="U_X", action="program.settings", outcome="denied")
    with slack.app.db.transaction() as session:
        assert session.get(Program, program_id(slack, "Mentoring program")).team_id == TEAM
