"""Input at the boundary (issue #12 cases 6, 7 and 9): what reaches `POST /slack/events` that
Slack would not send gets a 4xx and never a 5xx or a traceback; a huge body is refused before it
is read; NUL and other control characters never reach a handler or the database (the same on
SQLite and PostgreSQL); a team of another organisation is dropped whatever enterprise it claims.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from bot.cli import main as cli
from bot.platform.server import MAX_BODY_BYTES, create_asgi
from core.faq.models import FaqPendingQuestion
from core.kernel.db import Database
from core.people.models import Goal, Person
from sandbox.driver.transport import sign_request
from sandbox.harness import BotUnderTest
from tests.conftest import SIGNING_SECRET

MESSAGE_EVENT = {"type": "message", "channel_type": "im", "user": "U_ANA", "text": "hi"}


def ana(slack: BotUnderTest) -> str:
    slack.add_person("U_ANA", "ana", real_name="Ana Lima", tz="Europe/Lisbon")
    return "U_ANA"


def event_body(slack: BotUnderTest, **extra: Any) -> dict[str, Any]:
    event = dict(MESSAGE_EVENT, channel=slack.fake.dm_channel("U_ANA"))
    return {
        "type": "event_callback",
        "team_id": slack.fake.team_id,
        "api_app_id": slack.d.api_app_id,
        "event_id": "Ev" + str(time.monotonic_ns())[-10:],
        "event": event,
        **extra,
    }


def post_form(slack: BotUnderTest, payload: dict[str, Any]) -> int:
    body = urlencode({"payload": json.dumps(payload)})
    response = slack.d.raw(body, content_type="application/x-www-form-urlencoded")
    return response.status_code


def interactive(slack: BotUnderTest, kind: str, **fields: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": kind,
        "user": {"id": "U_ANA", "team_id": slack.fake.team_id},
        "team": {"id": slack.fake.team_id},
        "api_app_id": slack.d.api_app_id,
        "trigger_id": "1.2.3",
    }
    payload.update(fields)
    return payload


# --- case 6: junk bodies ------------------------------------------------------------------------
def test_case6_unsigned_body_that_is_not_utf8_gets_401(slack: BotUnderTest) -> None:
    response = slack.d.raw(
        b"\xff\xfe\x00junk\x80", sign=False, headers={"X-Slack-Signature": "v0=00"}
    )
    assert response.status_code == 401


def test_case6_signed_body_that_is_not_utf8_gets_400(slack: BotUnderTest) -> None:
    body = b'{"type":"event_callback","x":"\xff"}'
    timestamp = str(int(time.time()))
    base = b"v0:" + timestamp.encode() + b":" + body
    digest = hmac.new(SIGNING_SECRET.encode(), base, hashlib.sha256).hexdigest()
    response = slack.d.raw(
        body,
        sign=False,
        headers={"X-Slack-Signature": f"v0={digest}", "X-Slack-Request-Timestamp": timestamp},
    )
    assert response.status_code == 400


def test_case6_timestamp_abc_gets_401(slack: BotUnderTest) -> None:
    ana(slack)
    body = json.dumps(event_body(slack))
    for timestamp in ("abc", "", "1e9", "-5", "99999999999999999999999"):
        response = slack.d.raw(
            body,
            headers={
                "X-Slack-Request-Timestamp": timestamp,
                "X-Slack-Signature": sign_request(SIGNING_SECRET, body, timestamp),
            },
        )
        assert response.status_code == 401, timestamp


def test_case6_signed_json_nested_200k_deep_gets_400(slack: BotUnderTest) -> None:
    ana(slack)
    deep = "[" * 200_000 + "]" * 200_000
    as_json = '{"type":"event_callback","event":' + deep + "}"
    assert slack.d.raw(as_json).status_code == 400
    deep = "[" * 100_000 + "]" * 100_000  # 600 kB once form-encoded, under the size limit
    as_payload = urlencode({"payload": '{"type":"block_actions","x":' + deep + "}"})
    response = slack.d.raw(as_payload, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    # deeper than any Slack payload yet far too shallow to hurt the parser: refused too
    body = event_body(slack)
    body["event"]["blocks"] = json.loads("[" * 100 + "]" * 100)
    assert slack.d.raw(json.dumps(body)).status_code == 400


def test_case6_signed_actions_x_gets_400(slack: BotUnderTest) -> None:
    ana(slack)
    assert post_form(slack, interactive(slack, "block_actions", actions="x")) == 400


WRONG_TYPED = [
    ("block_actions", {"actions": ["x"]}),
    ("block_actions", {"actions": [{"action_id": 5}]}),
    ("block_actions", {"actions": [{"action_id": "a", "value": {"k": 1}}]}),
    ("block_actions", {"actions": [{"action_id": "a"}], "user": "U_ANA"}),
    ("block_actions", {"actions": [{"action_id": "a"}], "team": ["T"]}),
    ("block_actions", {"actions": [{"action_id": "a"}], "channel": "D1"}),
    ("block_actions", {"actions": [{"action_id": "a"}], "container": 7}),
    ("block_actions", {"actions": [{"action_id": "a"}], "message": "m"}),
    ("block_actions", {"actions": [{"action_id": "a"}], "user": {"id": 1}}),
    ("block_actions", {"actions": [{"action_id": "a"}], "view": {"state": {"values": []}}}),
    ("block_actions", {}),
    ("view_submission", {"view": "x"}),
    ("view_submission", {"view": {"callback_id": 3}}),
    ("view_submission", {"view": {"callback_id": "c", "state": {"values": {"b": "x"}}}}),
    ("view_submission", {"view": {"callback_id": "c", "private_metadata": {"p": 1}}}),
    ("view_submission", {}),
    ("view_closed", {"view": []}),
    ("shortcut", {"callback_id": ["x"]}),
    ("shortcut", {}),
    ("message_action", {"callback_id": "c", "message": "x"}),
    ("block_suggestion", {"action_id": 1}),
]


@pytest.mark.parametrize(("kind", "fields"), WRONG_TYPED)
def test_case6_signed_wrong_typed_payloads_get_400(
    slack: BotUnderTest, kind: str, fields: dict[str, Any]
) -> None:
    ana(slack)
    assert post_form(slack, interactive(slack, kind, **fields)) == 400


WRONG_TYPED_EVENTS = [
    {"event": "x"},
    {"event": {"type": 5}},
    {"event": {"type": "message", "user": {"id": "U_ANA"}}},
    {"event": {"type": "message", "text": ["hi"]}},
    {"event": {"type": "message", "channel": 1}},
    {"team_id": {"id": "T"}},
    {"event_id": 7},
    {"authorizations": "x"},
    {"authorizations": ["x"]},
    {"authed_users": [1]},
    {"enterprise_id": ["E"]},
    {"event": {"type": "app_home_opened", "user": "U_ANA", "view": {"state": 1}}},
]


@pytest.mark.parametrize("change", WRONG_TYPED_EVENTS)
def test_case6_signed_wrong_typed_event_callbacks_get_400(
    slack: BotUnderTest, change: dict[str, Any]
) -> None:
    ana(slack)
    body = event_body(slack)
    body.update(change)
    assert slack.d.raw(json.dumps(body)).status_code == 400
    assert slack.fake.calls_to("chat.postMessage") == []


def test_case6_signed_slash_command_with_odd_fields_is_not_a_5xx(slack: BotUnderTest) -> None:
    ana(slack)
    form = {"command": "/mentoring", "user_id": "U_ANA", "team_id": slack.fake.team_id}
    response = slack.d.raw(urlencode(form), content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    del form["user_id"]
    response = slack.d.raw(urlencode(form), content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400


class Recorder:
    """An ASGI `receive` that streams a body in 64 KiB chunks and counts what was taken."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.read = 0

    async def __call__(self) -> dict[str, Any]:
        chunk = min(65_536, self.total - self.read)
        self.read += chunk
        return {"type": "http.request", "body": b"x" * chunk, "more_body": self.read < self.total}


def call_asgi(slack: BotUnderTest, headers: list[tuple[bytes, bytes]], receive: Recorder) -> int:
    app = create_asgi(slack.app)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/slack/events",
        "raw_path": b"/slack/events",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"application/json"), *headers],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    statuses: list[int] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    asyncio.run(app(scope, receive, send))
    return statuses[0]


def test_case6_content_length_200mb_is_refused_without_reading(slack: BotUnderTest) -> None:
    size = 200 * 1024 * 1024
    body = Recorder(size)
    assert call_asgi(slack, [(b"content-length", str(size).encode())], body) == 413
    assert body.read == 0


def test_case6_streamed_200mb_body_is_cut_at_the_limit(slack: BotUnderTest) -> None:
    body = Recorder(200 * 1024 * 1024)
    assert call_asgi(slack, [(b"transfer-encoding", b"chunked")], body) == 413
    assert MAX_BODY_BYTES < body.read <= MAX_BODY_BYTES + 65_536


def test_case6_bad_content_length_is_refused(slack: BotUnderTest) -> None:
    body = Recorder(10)
    assert call_asgi(slack, [(b"content-length", b"ten")], body) == 413
    assert body.read == 0


# --- case 7: NUL and control characters -----------------------------------------------------------
def onboard_with_goal(slack: BotUnderTest, user: str, success: str) -> None:
    d = slack.d
    d.dm(user, "I'd like to join")
    d.click(user, "onboarding.role.select.mentee")
    d.select(user, "onboarding.goals.select", ["public-speaking"])
    d.dm(user, success)
    d.click(user, "onboarding.format.select.remote")
    d.select(user, "onboarding.languages.select", ["en"])
    d.click(user, "onboarding.notes.skip")
    d.click(user, "onboarding.review.confirm")


def test_case7_nul_in_a_goal_is_removed_and_confirm_works(slack: BotUnderTest) -> None:
    """On PostgreSQL a NUL in text made every Confirm fail; SQLite stored it. Both now store
    the goal without it."""
    user = ana(slack)
    onboard_with_goal(slack, user, "Give\x00 a talk\x1b \u202eto the team\u202c\r\nwith\tnotes")
    assert any("profile is confirmed" in t for t in slack.dm_texts(user))
    with slack.app.db.transaction() as session:
        (success,) = session.scalars(select(Goal.success)).all()
    assert success == "Give a talk to the team\nwith\tnotes"


def test_case7_nul_in_ask_is_answered(slack: BotUnderTest) -> None:
    slack.add_person("U_DEV", "dev", real_name="Dev Rao")
    response = slack.d.slash("U_DEV", "/mentoring", "ask how do\x00 I find\x07 a mentor?")
    assert response.status_code == 200
    replies = [m for m in slack.fake.dm_messages("U_DEV") if m.from_bot]
    assert replies
    with slack.app.db.transaction() as session:
        questions = session.scalars(select(FaqPendingQuestion.question)).all()
    assert all("\x00" not in (q or "") and "\x07" not in (q or "") for q in questions)


# --- case 9: only our workspace -------------------------------------------------------------------
def test_case9_foreign_team_with_an_enterprise_id_is_dropped(slack: BotUnderTest) -> None:
    user = ana(slack)
    for enterprise in ("E_OTHER", "E_ANY"):
        body = event_body(slack, team_id="T_OTHER", enterprise_id=enterprise)
        body["event"]["team"] = "T_OTHER"
        body["authorizations"] = [
            {"enterprise_id": enterprise, "team_id": "T_OTHER", "is_bot": True}
        ]
        assert slack.d.raw(json.dumps(body)).status_code == 200
    payload = interactive(slack, "block_actions", actions=[{"action_id": "x", "value": "1"}])
    payload["team"] = {"id": "T_OTHER", "enterprise_id": "E_OTHER"}
    payload["enterprise"] = {"id": "E_OTHER"}
    payload["user"]["team_id"] = "T_OTHER"
    assert post_form(slack, payload) == 200
    assert slack.fake.calls_to("chat.postMessage") == []
    assert slack.fake.dm_messages(user) == []
    # our own team is still answered
    assert slack.d.raw(json.dumps(event_body(slack))).status_code == 200
    assert slack.fake.calls_to("chat.postMessage")


def test_case7_nul_and_bidi_in_a_csv_import_are_removed_on_both_databases(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db: Database
) -> None:
    """`mentorbot people import`: a NUL made PostgreSQL refuse the whole file (and Python's
    CSV reader too); control and bidi characters are removed from every cell first."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "people.csv"
    path.write_bytes(
        "slack_user_id,name,title,roles,expertise,capacity\r\n"
        'U_JO,"Jo\x00 \u202eSilva\u202c\x1b",Le\x07ad,mentor,public-speaking,1\r\n'.encode()
    )
    assert cli(["people", "import", str(path), "--team", "T0001"]) == 0
    with db.transaction() as session:
        (person,) = session.scalars(select(Person)).all()
        assert (person.display_name, person.title) == ("Jo Silva", "Lead")
