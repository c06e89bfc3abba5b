"""The workspace lifecycle: `app_uninstalled` and `tokens_revoked` (either order, each
delivered twice) stop all sending at once; the workspace's data is purged by the sweep after
the retention period (30 days by default, 0 allowed); a reinstall within the retention period
restores the workspace as it was; a reinstall after the purge starts clean."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackClientError
from sqlalchemy import select

from core.kernel.clock import FakeClock
from core.kernel.schema import metadata
from core.messaging.models import ANNOUNCEMENT, Delivery
from core.people.models import Person
from core.programs.models import Workspace
from sandbox.harness import BotUnderTest
from tests.admin_support import TEAM, join, make_coordinator, participation

GOAL_TEXT = "Lead the Kraków office migration calmly"


HOUSEKEEPING = ("processed_events", "processed_interactions")


def team_rows(slack: BotUnderTest) -> dict[str, int]:
    """How many rows each table holds for the workspace (processed event ids and interaction
    keys aside: opaque, no personal data, dropped by housekeeping after three days)."""
    counts: dict[str, int] = {}
    with slack.app.db.engine.connect() as conn:
        for table in metadata.sorted_tables:
            if "team_id" in table.c and table.name not in HOUSEKEEPING:
                n = len(conn.execute(select(table).where(table.c.team_id == TEAM)).all())
                if n:
                    counts[table.name] = n
    return counts


def announcement_rows(slack: BotUnderTest) -> int:
    """The workspace's announcement messages in the delivery ledger (sent or waiting)."""
    with slack.app.db.transaction() as session:
        return len(
            session.scalars(
                select(Delivery.id).where(Delivery.team_id == TEAM, Delivery.kind == ANNOUNCEMENT)
            ).all()
        )


def set_up_a_program(slack: BotUnderTest, monkeypatch: pytest.MonkeyPatch) -> None:
    make_coordinator(slack, "U_CO", monkeypatch)
    join(slack, "U_A", "Ana Lima", success=GOAL_TEXT)
    join(slack, "U_B", "Ben Okafor", role="mentor")
    slack.d.slash("U_CO", "/mentoring", "match <@U_A> <@U_B> shared interests")
    slack.d.click("U_A", "coordinator.match.accept")
    slack.d.click("U_B", "coordinator.match.accept")


def uninstall(slack: BotUnderTest, order: str) -> None:
    """Both events, in the given order, each delivered twice (a retry and a duplicate)."""
    d = slack.d
    events = [d.app_uninstalled, d.tokens_revoked]
    if order == "revoked_first":
        events.reverse()
    for send in events:
        send()
        event_id = d.last_event_id
        assert d.last_response is not None and d.last_response.status_code == 200
        # Slack retries the same event id, and may deliver the same event again
        d.event(
            {"type": "app_uninstalled"}
            if send == d.app_uninstalled
            else {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["UBOT"]}},
            event_id=event_id,
            retry_num=1,
        )
        send()


@pytest.mark.parametrize("order", ["uninstalled_first", "revoked_first"])
def test_uninstall_stops_sending_at_once_and_purges_after_the_retention_period(
    slack: BotUnderTest, monkeypatch: pytest.MonkeyPatch, clock: FakeClock, order: str
) -> None:
    set_up_a_program(slack, monkeypatch)
    # an announcement still waiting for someone's working hours
    join(slack, "U_TOKYO", "Taro Tokyo", tz="Asia/Tokyo")
    slack.d.slash("U_CO", "/mentoring", "announce")
    slack.d.submit_view("U_CO", values={"announce_text": {"coordinator.announce.text": "Hi"}})
    before = team_rows(slack)
    assert before["pairs"] == 1 and before["goals"] == 2 and announcement_rows(slack) == 3
    uninstall(slack, order)
    calls = len(slack.fake.calls)
    clock.advance(hours=15)  # the Tokyo morning; and the Monday digest would be due somewhere
    slack.run_sweeps()
    assert len(slack.fake.calls) == calls  # nothing was even attempted
    with pytest.raises(SlackClientError):
        slack.app.client.chat_postMessage(channel="U_A", text="hello?")
    assert len(slack.fake.calls) == calls
    with slack.app.db.transaction() as session:
        workspace = session.get(Workspace, TEAM)
        assert workspace is not None and workspace.uninstalled_at is not None
        uninstalled_at = workspace.uninstalled_at
    # kept during the retention period (30 days by default)...
    clock.advance(days=29)
    slack.run_sweeps()
    kept = team_rows(slack)
    lost = {t: (n, kept.get(t, 0)) for t, n in before.items() if kept.get(t, 0) < n}
    assert lost == {}  # nothing deleted yet
    with slack.app.db.transaction() as session:
        assert session.get(Workspace, TEAM).uninstalled_at == uninstalled_at  # not restarted
    # ...then purged by the sweep
    clock.advance(days=1)
    slack.run_sweeps()
    assert team_rows(slack) == {}
    assert len(slack.fake.calls) == calls


def test_retention_zero_purges_at_the_next_sweep_and_a_reinstall_after_it_starts_clean(
    slack_no_retention: BotUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    slack = slack_no_retention
    set_up_a_program(slack, monkeypatch)
    uninstall(slack, "uninstalled_first")
    assert team_rows(slack)["people"] == 2  # not before the sweep
    slack.run_sweeps()
    assert team_rows(slack) == {}
    # a late duplicate of the events changes nothing that matters
    slack.d.tokens_revoked()
    slack.run_sweeps()
    assert team_rows(slack) == {}
    # the workspace installs the app again: everything starts from scratch
    slack.fake.restore_tokens()
    slack.d.dm("U_A", "I'd like to join")
    assert participation(slack, "U_A").status == "onboarding"
    assert "How would you like to take part" in slack.dm_texts("U_A")[-1]
    with slack.app.db.transaction() as session:
        assert [p.slack_user_id for p in session.scalars(select(Person))] == ["U_A"]
        assert session.get(Workspace, TEAM).uninstalled_at is None
    slack.d.slash("U_CO", "/mentoring", "stats")
    assert "only" in (slack.fake.last_dm("U_CO").text or "")  # no coordinator survived


def test_a_reinstall_within_the_retention_period_restores_the_workspace_as_it_was(
    slack: BotUnderTest, monkeypatch: pytest.MonkeyPatch, clock: FakeClock
) -> None:
    set_up_a_program(slack, monkeypatch)
    before = team_rows(slack)
    uninstall(slack, "revoked_first")
    clock.advance(days=3)
    slack.fake.restore_tokens()  # installed again: the bot token works
    slack.d.slash("U_A", "/mentoring", "status")
    assert "Your mentor: <@U_B>" in str(slack.fake.last_dm("U_A").blocks)  # as it was
    assert team_rows(slack) == before  # nothing deleted
    with slack.app.db.transaction() as session:
        assert session.get(Workspace, TEAM).uninstalled_at is None
    # sending works again, and the coordinator is still one
    sent = len(slack.fake.calls)
    slack.d.slash("U_CO", "/mentoring", "stats")
    assert len(slack.fake.calls) > sent
    assert "Sorry, only" not in str(slack.fake.last_dm("U_CO"))
    slack.app.client.chat_postMessage(channel="U_A", text="hello again")
    # and the purge sweep leaves a restored workspace alone, past the old retention period
    clock.advance(days=40)
    slack.run_sweeps()
    assert team_rows(slack).keys() >= before.keys()


def test_only_user_tokens_revoked_keeps_the_bot_running(
    slack: BotUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_up_a_program(slack, monkeypatch)
    slack.d.tokens_revoked(bot_ids=[], user_ids=["U_A"], revoke=False)
    slack.d.slash("U_A", "/mentoring", "status")
    assert "Your mentor: <@U_B>" in str(slack.fake.last_dm("U_A").blocks)
    with slack.app.db.transaction() as session:
        assert session.get(Workspace, TEAM).uninstalled_at is None
