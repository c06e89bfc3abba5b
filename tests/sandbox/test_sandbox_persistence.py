"""The sandbox keeps its Slack conversations across restarts (in its own table of sandbox.db),
a reset empties them, and the fake Slack the tests use still keeps everything in memory."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from slack_sdk import WebClient

from core.kernel.schema import metadata as bot_tables
from sandbox.app import Sandbox
from sandbox.fake_slack import FakeSlack
from sandbox.harness import BotUnderTest
from sandbox.slack_store import TABLE
from tests.sandbox.test_sandbox_api import (
    MAYA,
    all_text,
    bot_messages,
    choose,
    click,
    people,
    post,
    state,
)

TOM = "U0TOM"


def saved_rows(db_path: Path) -> list[str]:
    """The sandbox's saved Slack records (none before its first save)."""
    with contextlib.closing(sqlite3.connect(db_path)) as conn:
        query = "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?"
        if conn.execute(query, (TABLE,)).fetchone() is None:
            return []
        return [row[0] for row in conn.execute(f"SELECT data FROM {TABLE}")]


# ------------------------------------------------------------------------ the sandbox
def test_a_restart_shows_the_same_conversations_and_a_reset_empties_them(tmp_path: Path) -> None:
    db_path = tmp_path / "sandbox.db"
    with Sandbox(db_path, port=0) as first, httpx.Client(base_url=first.url, timeout=30) as api:
        post(api, "/api/open", user=MAYA, tab="messages")  # the onboarding greeting
        greeting = bot_messages(api, MAYA)[-1]
        assert "Maya" in all_text(greeting)
        post(api, "/api/open", user=MAYA, tab="home")
        post(api, "/api/slash", user=MAYA, text="/mentoring help")  # an ephemeral answer
        channel = state(api, MAYA)["channels"][0]["id"]
        post(api, "/api/channel-message", user=MAYA, channel=channel, text="Hello everyone")
        click(api, MAYA, "home.join")
        click(api, MAYA, "onboarding.role.select.mentee")
        choose(api, MAYA, "onboarding.goals.select", ["public-speaking"])
        post(api, "/api/dm", user=MAYA, text="Give a talk at the all-hands without notes")
        click(api, MAYA, "onboarding.format.select.remote")
        choose(api, MAYA, "onboarding.languages.select", ["en"])
        click(api, MAYA, "onboarding.notes.skip")
        click(api, MAYA, "onboarding.review.edit")  # opens a modal
        post(api, "/api/slash", user=TOM, text="/mentoring help")
        before = state(api, MAYA)
        tom_unread = people(api)[TOM]["unread"]

    dm = before["dm"]["messages"]
    (answered,) = [m for m in dm if m["ts"] == greeting["ts"]]
    assert answered["edited"]  # the bot replaced its question with the answer
    assert any(m["ephemeral"] for m in dm) and any(not m["from_bot"] for m in dm)
    assert before["home"] is not None and len(before["modals"]) == 1
    assert [m["text"] for m in before["channels"][0]["messages"]] == ["Hello everyone"]
    assert tom_unread >= 1

    with Sandbox(db_path, port=0) as second, httpx.Client(base_url=second.url, timeout=30) as api:
        assert not second.seeded_on_start
        after = state(api, MAYA)
        for part in ("dm", "home", "modals", "channels"):
            assert after[part] == before[part], part
        everyone = people(api)
        assert everyone[MAYA]["unread"] == 0 and everyone[TOM]["unread"] == tom_unread
        # what was restored still works: close the modal, confirm on the old review message
        post(api, "/api/close", user=MAYA, view_id=before["modals"][0]["id"])
        click(api, MAYA, "onboarding.review.confirm")
        assert people(api)[MAYA]["stage"] == "mentee"
        newest = bot_messages(api, MAYA)[-1]
        assert float(newest["ts"]) > max(float(m["ts"]) for m in dm)

        post(api, "/api/reset")
        emptied = state(api, MAYA)
        assert emptied["dm"]["messages"] == [] and emptied["home"] is None
        assert emptied["modals"] == [] and emptied["channels"][0]["messages"] == []

    with Sandbox(db_path, port=0) as third, httpx.Client(base_url=third.url, timeout=30) as api:
        again = state(api, MAYA)
        assert again["dm"]["messages"] == [] and again["home"] is None
        assert again["channels"][0]["messages"] == []
        assert people(api)[TOM]["unread"] == 0


def test_conversations_are_saved_as_they_happen_and_hold_no_secrets(tmp_path: Path) -> None:
    db_path = tmp_path / "sandbox.db"
    with Sandbox(db_path, port=0) as sandbox, httpx.Client(base_url=sandbox.url) as api:
        post(api, "/api/open", user=MAYA, tab="messages")
        greeting = bot_messages(api, MAYA)[-1]
        deadline = time.monotonic() + 10
        while not any(greeting["ts"] in row for row in saved_rows(db_path)):  # no stop needed
            assert time.monotonic() < deadline, "the greeting was not saved"
            time.sleep(0.05)
        saved = "\n".join(saved_rows(db_path))
        assert sandbox.signing_secret not in saved
        assert sandbox._fake().bot_token not in saved and "xoxb-" not in saved
        assert "/response/" not in saved  # response_urls are not kept
    # the table is the sandbox's own, next to the bot's; nothing else is written
    assert TABLE not in bot_tables.tables
    assert {p.name for p in tmp_path.iterdir()} <= {
        "sandbox.db",
        "sandbox.db-wal",
        "sandbox.db-shm",
    }


# ------------------------------------------------------------------------ the fake Slack
@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(manifest_path=None) as served:
        served.add_user("U1", "ada", real_name="Ada Lovelace")
        served.add_user("U2", "grace")
        yield served


def section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def modal(title: str) -> dict:
    return {
        "type": "modal",
        "callback_id": "goals",
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": "Save"},
        "external_id": f"ext-{title}",
        "blocks": [
            {
                "type": "input",
                "block_id": "goal",
                "label": {"type": "plain_text", "text": "Your goal"},
                "element": {"type": "plain_text_input", "action_id": "text"},
            }
        ],
    }


def test_export_and_load_state_carry_the_whole_workspace(fake: FakeSlack) -> None:
    client = WebClient(base_url=fake.api_url, token=fake.bot_token)
    dm = fake.dm_channel("U1")
    kept = client.chat_postMessage(channel=dm, text="v1", blocks=[section("v1")])["ts"]
    client.chat_update(channel=dm, ts=kept, text="v2", blocks=[section("v2")])
    gone = client.chat_postMessage(channel=dm, text="bye")["ts"]
    client.chat_delete(channel=dm, ts=gone)
    fake.record_user_message(dm, "U1", "my words")
    room = fake.add_channel("room", ["U1", "U2"])
    client.chat_postEphemeral(channel=room, user="U1", text="only you")
    group = client.conversations_open(users="U1,U2")["channel"]["id"]
    client.chat_postMessage(channel=group, text="meet each other")
    client.files_upload_v2(channel=dm, content=b"a,b\n1,2\n", filename="export.csv")
    client.views_publish(user_id="U1", view={"type": "home", "blocks": [section("Home")]})
    root = client.views_open(trigger_id=fake.issue_trigger_id("U1"), view=modal("One"))["view"]
    client.views_push(trigger_id=fake.issue_trigger_id("U1"), view=modal("Two"))
    fake.set_view_state(root["id"], "goal", "text", {"type": "plain_text_input", "value": "x"})
    closed = client.views_open(trigger_id=fake.issue_trigger_id("U2"), view=modal("Three"))
    fake.close_view("U2")

    saved = json.loads(json.dumps(fake.export_state()))  # plain JSON data
    assert fake.bot_token not in json.dumps(saved)
    changes: list[int] = []
    with FakeSlack(manifest_path=None, on_change=lambda: changes.append(1)) as other:
        other.add_user("U1", "ada", real_name="Ada Lovelace")
        other.add_user("U2", "grace")
        changes.clear()
        other.load_state(saved)
        assert changes and other.revision > 0
        for channel in (dm, room, group):
            assert other.channel(channel) == fake.channel(channel)
            assert other.messages(channel, include_deleted=True) == fake.messages(
                channel, include_deleted=True
            )
        assert [m.text for m in other.dm_messages("U1")] == ["v2", "my words", ""]
        assert other.home_view("U1") == fake.home_view("U1")
        assert other.open_views("U1") == fake.open_views("U1") and len(other.open_views("U1")) == 2
        assert other.open_views("U2") == [] and other.view(closed["view"]["id"]) is None
        assert other.files == fake.files and other.files[0].content == b"a,b\n1,2\n"

        # the restored workspace keeps working, with new ts and ids
        again = WebClient(base_url=other.api_url, token=other.bot_token)
        again.chat_update(channel=dm, ts=kept, text="v3")
        assert other.message(dm, kept).text == "v3" and fake.message(dm, kept).text == "v2"
        newer = again.chat_postMessage(channel=dm, text="later")["ts"]
        assert float(newer) > max(float(m.ts) for m in fake.messages(dm, include_deleted=True))
        third = again.views_open(trigger_id=other.issue_trigger_id("U2"), view=modal("Four"))
        assert third["view"]["id"] not in {v.id for v in fake.open_views("U1")} | {
            closed["view"]["id"]
        }
        assert again.files_info(file=fake.files[0].id)["file"]["name"] == "export.csv"
        with pytest.raises(ValueError):
            other.load_state({**saved, "version": 999})


def test_the_test_harness_keeps_slack_in_memory(
    slack: BotUnderTest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    monkeypatch.chdir(workdir)

    def files() -> list[str]:  # besides the bot's database
        return sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("mentorbot.db"))

    files_before = files()
    slack.add_person("U_ANA", "ana", real_name="Ana Lima")
    slack.d.dm("U_ANA", "hi")
    assert slack.fake.last_dm("U_ANA") is not None
    assert slack.fake.on_change is None
    assert list(workdir.iterdir()) == []
    assert files() == files_before == ["cwd"]
    with slack.app.db.transaction() as session:
        assert not session.get_bind().dialect.has_table(session.connection(), TABLE)
