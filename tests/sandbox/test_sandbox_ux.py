"""The sandbox page's own controls, as issue 16 asks: errors in plain words, the clock's long
steps, messages dated by the sandbox clock, @-mentions, files to view and download, and a demo
where a shortlist of three happens. Through the sandbox's HTTP API, as the page uses it."""

from __future__ import annotations

import time
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
from slack_sdk import WebClient

from sandbox import seed as demo
from sandbox.app import Sandbox
from tests.sandbox.test_sandbox_api import (
    MAYA,
    api,
    bot_messages,
    choose,
    click,
    post,
    sandbox,
    state,
)

__all__ = ["api", "sandbox"]  # the fixtures, shared with the API tests


def test_a_double_click_is_explained_in_plain_words(api: httpx.Client) -> None:
    post(api, "/api/open", user=MAYA, tab="messages")
    greeting = next(m for m in bot_messages(api, MAYA) if "home.join" in repr(m["blocks"]))
    source = {"kind": "message", "channel": greeting["channel"], "ts": greeting["ts"]}
    click(api, MAYA, "home.join")  # the first click of a double click
    again = api.post("/api/click", json={"user": MAYA, "source": source, "action_id": "home.join"})
    assert again.status_code == 409
    error = again.json()["error"]
    assert error == "That button is no longer there — the message was already answered."
    # a typo'd slash command gets words too, never the manifest's list
    response = api.post("/api/slash", json={"user": MAYA, "text": "/mentorin help"})
    assert "U0" not in response.json()["error"] and "manifest" not in response.json()["error"]


def test_next_monday_nine_and_a_month_ahead(sandbox: Sandbox, api: httpx.Client) -> None:
    clock = post(api, "/api/clock", step="monday", user=MAYA)["clock"]
    local = datetime.fromisoformat(clock["now"]).astimezone(ZoneInfo("Europe/London"))
    assert (local.isoweekday(), local.hour, local.minute) == (1, 9, 0)
    # again from Monday 09:00: the next one, a week on
    again = post(api, "/api/clock", step="monday", user=MAYA)["clock"]
    later = datetime.fromisoformat(again["now"]).astimezone(ZoneInfo("Europe/London"))
    assert round((later - local).total_seconds() / 86400) == 7 and later.hour == 9
    before = datetime.fromisoformat(again["now"])
    month = datetime.fromisoformat(post(api, "/api/clock", step="month")["clock"]["now"])
    assert month.day == before.day or month.day < before.day  # a shorter month: its last day
    assert month.month == before.month % 12 + 1 and month.hour == before.hour


def test_after_a_reset_new_messages_are_dated_by_the_sandbox_clock(api: httpx.Client) -> None:
    post(api, "/api/clock", step="month")
    post(api, "/api/open", user=MAYA, tab="messages")
    clock = post(api, "/api/reset")["clock"]
    post(api, "/api/open", user=MAYA, tab="messages")
    newest = bot_messages(api, MAYA)[-1]
    now = datetime.fromisoformat(clock["now"]).timestamp()
    assert abs(float(newest["ts"]) - now) < 120  # not a month ahead


def test_mentions_typed_in_a_channel_reach_slack_as_user_elements(api: httpx.Client) -> None:
    channel = state(api, MAYA)["channels"][0]["id"]
    post(api, "/api/channel-message", user=MAYA, channel=channel, text="Thanks <@U0GRACE>!")
    message = state(api, "U0TOM")["channels"][0]["messages"][-1]
    elements = message["blocks"][0]["elements"][0]["elements"]
    assert elements == [
        {"type": "text", "text": "Thanks "},
        {"type": "user", "user_id": "U0GRACE"},
        {"type": "text", "text": "!"},
    ]


def test_exports_are_viewable_and_downloadable_by_who_received_them(
    sandbox: Sandbox, api: httpx.Client
) -> None:
    grace = demo.COORDINATOR
    post(api, "/api/slash", user=grace, text="/mentoring export")
    files: list[dict[str, str]] = []
    for _ in range(50):
        files = [f for m in state(api, grace)["dm"]["messages"] for f in m["files"]]
        if files:
            break
        time.sleep(0.1)
    assert {f["mimetype"] for f in files} == {"text/csv"} and len(files) == 2
    shown = api.get("/api/file", params={"user": grace, "id": files[0]["id"]})
    assert shown.status_code == 200 and shown.headers["content-type"].startswith("text/plain")
    assert "," in shown.text and shown.headers["content-disposition"].startswith("inline")
    saved = api.get("/api/file", params={"user": grace, "id": files[0]["id"], "download": "1"})
    assert saved.headers["content-disposition"].startswith("attachment")
    assert saved.content == shown.content
    # someone it was not shared with cannot read it
    assert api.get("/api/file", params={"user": MAYA, "id": files[0]["id"]}).status_code == 404


def test_a_file_that_looks_like_a_page_is_never_run_as_one(
    sandbox: Sandbox, api: httpx.Client
) -> None:
    fake = sandbox._fake()
    client = WebClient(base_url=fake.api_url, token=fake.bot_token)
    channel = fake.dm_channel(MAYA)
    client.files_upload_v2(
        channel=channel, content="<script>alert(1)</script>", filename="x.html", title="x"
    )
    file = state(api, MAYA)["dm"]["messages"][-1]["files"][0]
    shown = api.get("/api/file", params={"user": MAYA, "id": file["id"]})
    assert shown.headers["content-type"].startswith("text/plain")
    assert shown.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in shown.headers["content-security-policy"]


def test_the_demo_mentee_can_get_a_shortlist_of_three(api: httpx.Client) -> None:
    post(api, "/api/open", user=MAYA, tab="messages")
    click(api, MAYA, "home.join")
    click(api, MAYA, "onboarding.role.select.mentee")
    choose(api, MAYA, "onboarding.goals.select", [demo.SHORTLIST_OF_THREE_GOAL])
    post(api, "/api/dm", user=MAYA, text="Run a launch with five teams calmly")
    click(api, MAYA, "onboarding.format.select.remote")
    choose(api, MAYA, "onboarding.languages.select", ["en"])
    click(api, MAYA, "onboarding.notes.skip")
    click(api, MAYA, "onboarding.review.confirm")
    shortlist = next(
        m for m in reversed(bot_messages(api, MAYA)) if "Request this mentor" in repr(m["blocks"])
    )
    assert repr(shortlist["blocks"]).count("Request this mentor") == 3


def test_the_fake_answers_conversations_history_newest_first(sandbox: Sandbox) -> None:
    fake = sandbox._fake()
    client = WebClient(base_url=fake.api_url, token=fake.bot_token)
    channel = fake.dm_channel(MAYA)
    for text in ("first", "second"):
        client.chat_postMessage(channel=channel, text=text)
    client.chat_postEphemeral(channel=channel, user=MAYA, text="only for her")
    history = client.conversations_history(channel=channel, limit=1)
    assert [m["text"] for m in history["messages"]] == ["second"] and history["has_more"]
    everything = client.conversations_history(channel=channel)["messages"]
    assert [m["text"] for m in everything][:2] == ["second", "first"]
    assert "only for her" not in str(everything)
