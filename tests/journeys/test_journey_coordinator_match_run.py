"""`/mentoring match run`: a coordinator sends mentor suggestions to everyone waiting in a
program. Counts from a dry run first, then "Send shortlists" runs it once (a double click or a
second confirmation sends nothing twice); mentees already choosing from a list are left alone;
non-coordinators are refused and audited; a program too large for its memory limit is refused
with what to do instead, and nothing is sent."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from bot.scheduling.deliverer import Pacer
from core.coordination import service as coordination
from core.coordination.models import AuditEvent
from core.kernel.clock import FakeClock
from core.matchmaking.models import Shortlist
from core.people.models import Participation, Person
from core.programs.models import Program
from sandbox.fake_slack import Message
from sandbox.harness import BotUnderTest
from tests.admin_support import last_reply, make_coordinator
from tests.matching_data import HEADER, seed

SEND = "coordinator.match_run.send"
CANCEL = "coordinator.match_run.cancel"

# Cy and Ben (capacity 1 each, exposure factor 2) can each be on two open shortlists. Nobody
# offers security.
MENTORS = (
    "U_CY,Cy Tan,,Operations,Ops lead,mentor,,stakeholder-management;public-speaking,1,"
    "Europe/Berlin,en,either\n"
    "U_BEN,Ben Okafor,,Sales,Sales lead,mentor,,public-speaking,1,Europe/London,en,remote\n"
)
ANA = "U_ANA,Ana Lima,,Engineering,Engineer,mentee,public-speaking,,,Europe/Lisbon,en,remote\n"
DEE = "U_DEE,Dee Fox,,Finance,Analyst,mentee,security,,,Europe/London,en,remote\n"
EVA = "U_EVA,Eva Ng,,Finance,Analyst,mentee,public-speaking,,,Europe/London,en,remote\n"
FAY = "U_FAY,Fay Po,,Finance,Analyst,mentee,public-speaking,,,Europe/London,en,remote\n"
NAMES = {"U_ANA": "Ana Lima", "U_DEE": "Dee Fox", "U_EVA": "Eva Ng", "U_FAY": "Fay Po"}
PRIVATE = ("Ana", "Dee", "Eva", "Fay", "Cy Tan", "Ben Okafor", "Public speaking", "Security")


@pytest.fixture
def coordinator(slack: BotUnderTest, monkeypatch: pytest.MonkeyPatch) -> str:
    make_coordinator(slack, "U_CO", monkeypatch)
    return "U_CO"


def add(slack: BotUnderTest, rows: str) -> None:
    """People join through the import (confirmed profiles, no shortlist yet)."""
    for line in rows.splitlines():
        user, name = line.split(",")[:2]
        if slack.fake.user(user) is None:
            slack.add_person(user, name.split()[0].lower(), real_name=name)
    seed(slack.app.db, slack.clock, HEADER + rows)


def bot_dms(slack: BotUnderTest, user: str) -> list[Message]:
    return [m for m in slack.fake.dm_messages(user) if m.from_bot]


def has_shortlist(message: Message) -> bool:
    return "matching.shortlist.none_suit" in json.dumps(message.blocks)


def open_lists(slack: BotUnderTest) -> dict[str, list[list[int]]]:
    """Open shortlists per mentee (Slack id), each as its candidates' participation ids."""
    out: dict[str, list[list[int]]] = {}
    with slack.app.db.transaction() as session:
        rows = session.execute(
            select(Person.slack_user_id, Shortlist.candidates)
            .join(Participation, Participation.id == Shortlist.mentee_id)
            .join(Person, Person.id == Participation.person_id)
            .where(Shortlist.status == "open")
        ).all()
    for user, candidates in rows:
        out.setdefault(user, []).append([c["mentor_id"] for c in candidates])
    return out


def audit(slack: BotUnderTest, action: str, outcome: str | None = None) -> list[AuditEvent]:
    with slack.app.db.transaction() as session:
        query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        if outcome is not None:
            query = query.where(AuditEvent.outcome == outcome)
        return list(session.scalars(query))


def capture(slack: BotUnderTest) -> list[dict[str, Any]]:
    """Every interaction payload the driver sends from now on (to deliver one again)."""
    payloads: list[dict[str, Any]] = []
    send = slack.d.interaction
    slack.d.interaction = lambda payload: payloads.append(payload) or send(payload)  # type: ignore[method-assign]
    return payloads


def test_a_coordinator_run_confirms_counts_then_sends_each_waiting_mentee_once(
    slack: BotUnderTest, coordinator: str
) -> None:
    add(slack, MENTORS + ANA + DEE)
    slack.d.slash(coordinator, "/mentoring", "match run")
    confirm = last_reply(slack, coordinator)
    assert "1 mentee waiting will get a new shortlist" in confirm
    assert "1 mentee has no suitable mentor right now" in confirm
    assert "Send shortlists" in confirm and "Cancel" in confirm
    assert not any(name in confirm for name in PRIVATE)
    # Nothing is stored or sent before the coordinator decides.
    assert open_lists(slack) == {} and bot_dms(slack, "U_ANA") == bot_dms(slack, "U_DEE") == []
    assert [e.outcome for e in audit(slack, "match.preview")] == ["ok"]

    slack.d.click(coordinator, SEND)
    ana = bot_dms(slack, "U_ANA")
    assert len(ana) == 1 and has_shortlist(ana[0])
    assert "Cy Tan" in json.dumps(ana[0].blocks) and "Ben Okafor" in json.dumps(ana[0].blocks)
    dee = bot_dms(slack, "U_DEE")
    assert len(dee) == 1 and "No mentor in the program covers your goals" in json.dumps(
        dee[0].blocks
    )
    summary = last_reply(slack, coordinator)
    assert "1 mentee got a new shortlist" in summary
    assert "1 mentee heard there's no suitable mentor right now" in summary
    assert SEND not in summary and not any(name in summary for name in PRIVATE)
    assert [e.targets for e in audit(slack, "match.run", "ok")] == [[]]  # no free text

    # Two more mentees join. Ana is still choosing from her list: the next run leaves her (and
    # her list) alone, and counts her list against Cy's and Ben's exposure.
    add(slack, EVA + FAY)
    first_list = ana[0]
    slack.d.slash(coordinator, "/mentoring", "match run")
    confirm = last_reply(slack, coordinator)
    assert "1 mentee waiting will get a new shortlist" in confirm  # Eva
    assert "2 mentees have no suitable mentor right now" in confirm  # Dee, and Fay: no room
    assert "1 mentee already choosing from their suggestions" in confirm  # Ana
    slack.d.click(coordinator, SEND)
    assert bot_dms(slack, "U_ANA") == [first_list]
    unchanged = slack.fake.message(first_list.channel, first_list.ts)
    assert unchanged is not None and unchanged.blocks == first_list.blocks
    eva = bot_dms(slack, "U_EVA")
    assert len(eva) == 1 and has_shortlist(eva[0])
    fay = bot_dms(slack, "U_FAY")
    assert (
        len(fay) == 1 and not has_shortlist(fay[0]) and "high demand" in json.dumps(fay[0].blocks)
    )
    assert len(bot_dms(slack, "U_DEE")) == 2
    assert "1 mentee got a new shortlist" in last_reply(slack, coordinator)
    # One live list per mentee, and no mentor on more than capacity x 2 of them.
    lists = open_lists(slack)
    assert {user: len(found) for user, found in lists.items()} == {"U_ANA": 1, "U_EVA": 1}
    appearances: dict[int, int] = {}
    for found in lists.values():
        for mentor in found[0]:
            appearances[mentor] = appearances.get(mentor, 0) + 1
    assert appearances and max(appearances.values()) <= 2


def test_a_double_click_or_a_second_confirmation_sends_nothing_twice(
    slack: BotUnderTest, coordinator: str
) -> None:
    add(slack, MENTORS + ANA + DEE)
    slack.d.slash(coordinator, "/mentoring", "match run")
    older = bot_dms(slack, coordinator)[-1]
    slack.d.slash(coordinator, "/mentoring", "match run")  # a second confirmation, same counts
    payloads = capture(slack)
    slack.d.click(coordinator, SEND)  # the newer one
    sent = len(bot_dms(slack, coordinator))
    slack.d.interaction(payloads[0])  # the same click delivered again: applied once, quietly
    slack.app.wait_idle()
    assert len(bot_dms(slack, coordinator)) == sent
    slack.d.click(coordinator, SEND, in_message=older.ts)
    slack.app.wait_idle()
    assert len(bot_dms(slack, "U_ANA")) == 1 and len(bot_dms(slack, "U_DEE")) == 1
    assert len(open_lists(slack)["U_ANA"]) == 1
    assert len(audit(slack, "match.run", "ok")) == 1
    texts = [json.dumps(m.blocks) for m in bot_dms(slack, coordinator)]
    assert sum("already gone out" in t for t in texts) == 1  # the older confirmation's click
    assert sum("got a new shortlist" in t for t in texts) == 1


def test_cancel_sends_nothing(slack: BotUnderTest, coordinator: str) -> None:
    add(slack, MENTORS + ANA)
    slack.d.slash(coordinator, "/mentoring", "match run")
    slack.d.click(coordinator, CANCEL)
    assert "nothing was sent" in last_reply(slack, coordinator)
    assert bot_dms(slack, "U_ANA") == [] and open_lists(slack) == {}
    assert audit(slack, "match.run") == []


def test_nobody_waiting_and_the_pair_match_still_parse(
    slack: BotUnderTest, coordinator: str
) -> None:
    slack.d.slash(coordinator, "/mentoring", "help")
    assert "`match run`: send mentor suggestions to everyone waiting" in last_reply(
        slack, coordinator
    )
    slack.d.slash(coordinator, "/mentoring", "match run")
    assert "Nobody in *Mentoring program* is waiting" in last_reply(slack, coordinator)
    assert SEND not in last_reply(slack, coordinator)
    slack.d.slash(coordinator, "/mentoring", "match run <@U_ANA>")
    assert "Use `/mentoring match run` on its own" in last_reply(slack, coordinator)
    # `match @mentee @mentor <reason>` is unchanged, whatever the reason's first word.
    add(slack, MENTORS + ANA)
    slack.d.slash(coordinator, "/mentoring", "match <@U_ANA> <@U_BEN> run the demo together")
    assert "I've asked" in last_reply(slack, coordinator)
    assert "run the demo together" in json.dumps(bot_dms(slack, "U_ANA")[-1].blocks)


def test_only_coordinators_may_run_matching_checked_at_each_step(
    slack: BotUnderTest, coordinator: str
) -> None:
    add(slack, MENTORS + ANA + DEE)
    slack.d.slash("U_ANA", "/mentoring", "match run")
    assert "only program coordinators" in last_reply(slack, "U_ANA")
    assert [(e.actor, e.outcome) for e in audit(slack, "match.preview")] == [("U_ANA", "denied")]
    # A confirmation's button replayed by someone else, or clicked by a coordinator who has
    # been removed since, is refused at the click.
    slack.d.slash(coordinator, "/mentoring", "match run")
    payloads = capture(slack)
    slack.d.click(coordinator, CANCEL)
    forged = json.loads(json.dumps(payloads[0]))
    forged["user"]["id"] = "U_ANA"
    forged["actions"][0]["action_id"] = SEND
    slack.d.interaction(forged)
    slack.app.wait_idle()
    slack.add_person("U_CO2", "co2")
    slack.d.slash(coordinator, "/mentoring", "coordinators add <@U_CO2>")
    slack.d.slash(coordinator, "/mentoring", "match run")
    slack.d.slash("U_CO2", "/mentoring", f"coordinators remove <@{coordinator}>")
    slack.d.click(coordinator, SEND)
    assert "only" in last_reply(slack, coordinator)
    assert not any(has_shortlist(m) for m in bot_dms(slack, "U_ANA"))
    assert bot_dms(slack, "U_DEE") == [] and open_lists(slack) == {}
    denied = audit(slack, "match.run", "denied")
    assert [e.actor for e in denied] == ["U_ANA", coordinator]
    assert audit(slack, "match.run", "ok") == []


def test_a_program_too_large_for_its_memory_limit_is_refused_and_nothing_is_sent(
    slack: BotUnderTest, coordinator: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    add(slack, MENTORS + ANA)
    slack.d.slash(coordinator, "/mentoring", "match run")  # small: the confirmation shows
    confirmation = bot_dms(slack, coordinator)[-1]
    assert SEND in json.dumps(confirmation.blocks)
    # The program grows, and its memory limit is set low (the real limit starts at 64 MB: a
    # tiny one stands in for a program of many thousands).
    # (a technical limit: whoever runs mentorbot sets it, not the Slack form)
    monkeypatch.setitem(coordination.INT_RANGES, "matching_max_memory_mb", (1, 262_144))
    with slack.app.db.transaction() as session:
        program = session.scalars(select(Program).where(Program.is_default.is_(True))).one()
        program.settings = {**(program.settings or {}), "matching_max_memory_mb": 1}
    crowd = "".join(
        f"U_E{k:03d},Mentee {k},,Sales,Rep,mentee,public-speaking,,,Europe/London,en,remote\n"
        f"U_M{k:03d},Mentor {k},,Ops,Lead,mentor,,public-speaking,2,Europe/London,en,either\n"
        for k in range(100)
    )
    seed(slack.app.db, slack.clock, HEADER + crowd)
    posted = len(slack.fake.calls_to("chat.postMessage"))

    slack.d.click(coordinator, SEND, in_message=confirmation.ts)  # the one from before
    replaced = slack.fake.message(confirmation.channel, confirmation.ts)
    assert replaced is not None
    reply = json.dumps(replaced.blocks, ensure_ascii=False)
    assert "*Mentoring program* is too big to match in one go" in reply
    assert "101 waiting mentees × 102 mentors with room" in reply and "limit is 1 MB" in reply
    assert "Nothing was sent" in reply and "split it into smaller programs" in reply
    assert "whoever runs mentorbot" in reply and SEND not in reply
    slack.d.slash(coordinator, "/mentoring", "match run")
    assert "is too big to match in one go" in last_reply(slack, coordinator)
    assert SEND not in last_reply(slack, coordinator)
    assert open_lists(slack) == {} and bot_dms(slack, "U_ANA") == []
    assert len(slack.fake.calls_to("chat.postMessage")) == posted
    assert [e.outcome for e in audit(slack, "match.run")] == ["refused"]
    assert [e.outcome for e in audit(slack, "match.preview")] == ["ok", "refused"]


def test_slack_rate_limits_during_a_run_are_waited_out(
    slack: BotUnderTest, coordinator: str, clock: FakeClock
) -> None:
    """A run DMs many people at once; a 429 from Slack delays a shortlist, never loses it.
    The shortlists are delivery-ledger rows: the deliverer holds its pacer for Retry-After
    (here on the test's clock) and the sweep sends what the run's kick had to leave."""
    deliverer = slack.app.flows.relationship.deliverer
    deliverer.pacer = Pacer(
        monotonic=lambda: clock.now().timestamp(), sleep=lambda s: clock.advance(seconds=s)
    )
    add(slack, MENTORS + ANA)
    slack.d.slash(coordinator, "/mentoring", "match run")
    slack.fake.rate_limit_next("chat.postMessage", retry_after=1, times=2)
    slack.d.click(coordinator, SEND)
    slack.app.wait_idle()
    assert "1 mentee got a new shortlist" in last_reply(slack, coordinator)
    assert bot_dms(slack, "U_ANA") == []  # Slack said 429: the row waits for Retry-After
    for _ in range(3):
        clock.advance(seconds=2)
        slack.run_sweeps()
    ana = bot_dms(slack, "U_ANA")
    assert len(ana) == 1 and has_shortlist(ana[0])
