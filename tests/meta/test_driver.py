"""The signed-request driver against a tiny Bolt app served over HTTP (plus ServerThread)."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from sandbox.asgi_thread import ServerStartError, ServerThread
from sandbox.driver import SlackDriver, TrackingExecutor
from sandbox.fake_slack import FakeSlack

SIGNING_SECRET = "test-signing-secret"

MANIFEST = """
display_information: {name: demo}
features:
  app_home: {home_tab_enabled: true, messages_tab_enabled: true}
  bot_user: {display_name: demo}
  slash_commands:
    - {command: /mentoring, description: demo}
oauth_config:
  scopes:
    bot: [chat:write, commands, im:history, im:write, users:read]
settings:
  event_subscriptions:
    bot_events: [app_home_opened, message.im, app_uninstalled]
  interactivity: {is_enabled: true}
"""


def option(value: str) -> dict:
    return {"text": {"type": "plain_text", "text": value.title()}, "value": value}


def input_block(block_id: str, element: dict, *, optional: bool = True) -> dict:
    return {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": {"type": "plain_text", "text": block_id},
        "element": element,
    }


MODAL = {
    "type": "modal",
    "callback_id": "demo.modal",
    "title": {"type": "plain_text", "text": "Your goals"},
    "submit": {"type": "plain_text", "text": "Save"},
    "blocks": [
        input_block("goal", {"type": "plain_text_input", "action_id": "goal.text"}, optional=False),
        input_block(
            "topics",
            {
                "type": "multi_static_select",
                "action_id": "topics.pick",
                "options": [option("a"), option("b"), option("c")],
            },
        ),
        input_block(
            "format",
            {
                "type": "static_select",
                "action_id": "format.pick",
                "options": [option("remote"), option("in_person")],
                "initial_option": option("remote"),
            },
        ),
        input_block(
            "when", {"type": "datepicker", "action_id": "when.date", "initial_date": "2026-01-15"}
        ),
        input_block("mentor", {"type": "users_select", "action_id": "mentor.pick"}),
        input_block(
            "freq",
            {
                "type": "radio_buttons",
                "action_id": "freq.pick",
                "options": [option("weekly"), option("monthly")],
            },
        ),
        input_block(
            "consent",
            {"type": "checkboxes", "action_id": "consent.check", "options": [option("yes")]},
        ),
        input_block(
            "notes", {"type": "plain_text_input", "action_id": "notes.text", "max_length": 20}
        ),
    ],
}

HOME = {
    "type": "home",
    "blocks": [
        {"type": "section", "text": {"type": "mrkdwn", "text": "Welcome home"}},
        {
            "type": "actions",
            "block_id": "home.actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Refresh"},
                    "action_id": "demo.refresh",
                },
                {
                    "type": "static_select",
                    "action_id": "home.filter",
                    "placeholder": {"type": "plain_text", "text": "Show"},
                    "options": [option("active"), option("past")],
                },
            ],
        },
    ],
}


def menu(text: str) -> list[dict]:
    def button(label: str, action_id: str, value: str) -> dict:
        return {
            "type": "button",
            "text": {"type": "plain_text", "text": label},
            "action_id": action_id,
            "value": value,
        }

    # one action_id per block (Slack rejects duplicates inside a block), repeated across blocks
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"You said: {text}"}},
        {
            "type": "section",
            "block_id": "pick-a",
            "text": {"type": "mrkdwn", "text": "Option A"},
            "accessory": button("A", "demo.pick", "a"),
        },
        {
            "type": "section",
            "block_id": "pick-b",
            "text": {"type": "mrkdwn", "text": "Option B"},
            "accessory": button("B", "demo.pick", "b"),
        },
        {"type": "actions", "elements": [button("Set goals", "demo.open", "open")]},
    ]


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.items: dict[str, list[Any]] = {}

    def add(self, kind: str, item: Any) -> None:
        with self.lock:
            self.items.setdefault(kind, []).append(item)

    def get(self, kind: str) -> list[Any]:
        with self.lock:
            return list(self.items.get(kind, []))


def build_app(fake: FakeSlack, rec: Recorder, executor: TrackingExecutor) -> App:
    app = App(
        signing_secret=SIGNING_SECRET,
        client=WebClient(token=fake.bot_token, base_url=fake.api_url),
        listener_executor=executor,
    )

    @app.message()
    def on_message(message, say, request):  # noqa: ANN001
        retry = request.headers.get("x-slack-retry-num", [None])[0]
        reason = request.headers.get("x-slack-retry-reason", [None])[0]
        rec.add("messages", {"message": message, "retry": retry, "reason": reason})
        say(text=f"You said: {message['text']}", blocks=menu(message["text"]))

    @app.action("demo.pick")
    def on_pick(ack, body, respond):  # noqa: ANN001
        ack()
        rec.add("actions", body)
        respond(text=f"Picked {body['actions'][0]['value']}", replace_original=True)

    @app.action("demo.open")
    def on_open(ack, body, client):  # noqa: ANN001
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=MODAL)

    @app.action("format.pick")
    def on_format(ack, body):  # noqa: ANN001
        ack()
        rec.add("format", body)

    @app.action("demo.refresh")
    def on_refresh(ack, body):  # noqa: ANN001
        ack()
        rec.add("refresh", body)

    @app.action("home.filter")
    def on_filter(ack, body):  # noqa: ANN001
        ack()
        rec.add("filter", body)

    @app.view("demo.modal")
    def on_submit(ack, view):  # noqa: ANN001
        values = view["state"]["values"]
        if values["goal"]["goal.text"]["value"] == "bad":
            ack(response_action="errors", errors={"goal": "Tell us a bit more"})
            return
        ack()
        rec.add("submissions", values)

    @app.command("/mentoring")
    def on_command(ack, command, client):  # noqa: ANN001
        ack("Working on it")
        rec.add("commands", command)
        client.views_open(trigger_id=command["trigger_id"], view=MODAL)

    @app.event("app_uninstalled")
    def on_uninstalled(event):  # noqa: ANN001
        rec.add("uninstalled", event)

    @app.event("app_home_opened")
    def on_home(event, client):  # noqa: ANN001
        client.views_publish(user_id=event["user"], view=HOME)

    return app


def starlette_for(app: App) -> Starlette:
    async def events(request: Request) -> Response:
        body = await request.body()
        bolt_response = await run_in_threadpool(app.dispatch, to_bolt_request(request, body))
        return to_starlette_response(bolt_response)

    return Starlette(routes=[Route("/slack/events", events, methods=["POST"])])


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory):
    manifest = tmp_path_factory.mktemp("manifest") / "manifest.yml"
    manifest.write_text(MANIFEST, encoding="utf-8")
    fake = FakeSlack(manifest_path=manifest).start()
    rec = Recorder()
    executor = TrackingExecutor()
    app = build_app(fake, rec, executor)
    server = ServerThread(starlette_for(app))
    driver = SlackDriver(
        server.url + "/slack/events", SIGNING_SECRET, fake, after_request=executor.wait_idle
    )
    yield fake, rec, driver
    driver.close()
    server.stop()
    fake.stop()
    executor.shutdown()


@pytest.fixture
def env(world):
    fake, rec, driver = world
    fake.reset()
    rec.items.clear()
    fake.add_user("U1", "ada", real_name="Ada Lovelace")
    fake.add_user("U2", "grace")
    return world


def test_dm_reaches_the_message_listener_and_reply_lands_in_the_fake(env) -> None:
    fake, rec, driver = env
    response = driver.dm("U1", "hello bot")
    assert response.status_code == 200
    (seen,) = rec.get("messages")
    assert seen["message"]["text"] == "hello bot"
    assert seen["message"]["channel"] == fake.dm_channel("U1")
    assert seen["message"]["channel_type"] == "im"
    conversation = fake.dm_messages("U1")
    assert [(m.user, m.text) for m in conversation] == [
        ("U1", "hello bot"),
        (fake.bot_user_id, "You said: hello bot"),
    ]
    assert fake.last_dm("U1").action_ids() == ["demo.pick", "demo.pick", "demo.open"]
    # Nothing Slack would warn about. ("slow_ack" is left out: the driver adds it when the
    # request took more than 3 s of wall-clock time, which a busy machine can cause.)
    assert [w for w in fake.warnings if w.code != "slow_ack"] == []


def test_click_sends_a_real_button_from_the_apps_message(env) -> None:
    fake, rec, driver = env
    driver.dm("U1", "menu please")
    posted = fake.last_dm("U1")
    response = driver.click("U1", "demo.pick", value="b")
    assert response.status_code == 200
    (body,) = rec.get("actions")
    assert body["type"] == "block_actions"
    assert body["user"]["id"] == "U1" and body["user"]["username"] == "ada"
    assert body["container"] == {
        "type": "message",
        "message_ts": posted.ts,
        "channel_id": fake.dm_channel("U1"),
        "is_ephemeral": False,
    }
    assert body["message"]["ts"] == posted.ts and body["message"]["blocks"] == posted.blocks
    action = body["actions"][0]
    assert (action["action_id"], action["block_id"], action["value"], action["type"]) == (
        "demo.pick",
        "pick-b",
        "b",
        "button",
    )
    assert action["action_ts"] and body["trigger_id"]
    # the listener answered through the response_url with replace_original
    assert fake.message(posted.channel, posted.ts).text == "Picked b"
    assert fake.calls_to("response_url")[0].ok


def test_click_refuses_buttons_that_do_not_exist(env) -> None:
    fake, rec, driver = env
    driver.dm("U1", "hi")
    with pytest.raises(AssertionError, match=r"no button with action_id 'demo\.nope'") as info:
        driver.click("U1", "demo.nope")
    assert "demo.pick" in str(info.value) and "demo.open" in str(info.value)
    with pytest.raises(AssertionError, match="pass value="):
        driver.click("U1", "demo.pick")  # two buttons share the action_id
    with pytest.raises(AssertionError, match="with value 'z'"):
        driver.click("U1", "demo.pick", value="z")
    assert rec.get("actions") == []


def test_view_submission_values_have_slacks_shapes(env) -> None:
    fake, rec, driver = env
    driver.dm("U1", "hi")
    driver.click("U1", "demo.open")
    (modal,) = fake.open_views("U1")
    assert modal.callback_id == "demo.modal"
    # an input block without dispatch_action: Slack sends nothing, the choice is remembered
    assert driver.select("U1", "format.pick", "in_person") is None
    assert rec.get("format") == []
    response = driver.submit_view(
        "U1",
        values={
            "goal": {"goal.text": "Speak up in meetings"},
            "topics": {"topics.pick": ["a", "c"]},
            "mentor": {"mentor.pick": "U2"},
            "consent": {"consent.check": ["yes"]},
        },
    )
    assert response.status_code == 200
    (values,) = rec.get("submissions")
    assert values == {
        "goal": {"goal.text": {"type": "plain_text_input", "value": "Speak up in meetings"}},
        "topics": {
            "topics.pick": {
                "type": "multi_static_select",
                "selected_options": [option("a"), option("c")],
            }
        },
        "format": {
            "format.pick": {"type": "static_select", "selected_option": option("in_person")}
        },
        "when": {"when.date": {"type": "datepicker", "selected_date": "2026-01-15"}},
        "mentor": {"mentor.pick": {"type": "users_select", "selected_user": "U2"}},
        "freq": {"freq.pick": {"type": "radio_buttons", "selected_option": None}},
        "consent": {"consent.check": {"type": "checkboxes", "selected_options": [option("yes")]}},
        "notes": {"notes.text": {"type": "plain_text_input", "value": None}},
    }
    assert fake.open_views("U1") == [] and driver.last_submission_outcome == "closed"


def test_submission_errors_keep_the_modal_open(env) -> None:
    fake, rec, driver = env
    driver.slash("U1", text="goals")
    (modal,) = fake.open_views("U1")
    driver.submit_view("U1", modal, {"goal": {"goal.text": "bad"}})
    assert driver.last_submission_outcome == "errors"
    (still_open,) = fake.open_views("U1")
    assert still_open.errors == {"goal": "Tell us a bit more"}
    assert rec.get("submissions") == []


def test_submit_view_refuses_what_slack_would_not_allow(env) -> None:
    fake, rec, driver = env
    driver.slash("U1")
    with pytest.raises(AssertionError, match="required input goal/goal.text"):
        driver.submit_view("U1")
    with pytest.raises(AssertionError, match="no input goal/wrong"):
        driver.submit_view("U1", values={"goal": {"wrong": "x"}})
    with pytest.raises(AssertionError, match="max_length is 20"):
        driver.submit_view(
            "U1", values={"goal": {"goal.text": "x"}, "notes": {"notes.text": "y" * 21}}
        )
    with pytest.raises(AssertionError, match="no option with value 'z'"):
        driver.submit_view(
            "U1", values={"goal": {"goal.text": "x"}, "topics": {"topics.pick": ["z"]}}
        )
    assert rec.get("submissions") == [] and len(fake.open_views("U1")) == 1


def test_slash_command_ack_is_shown_and_trigger_works(env) -> None:
    fake, rec, driver = env
    response = driver.slash("U1", "/mentoring", "help")
    assert response.status_code == 200
    (command,) = rec.get("commands")
    assert (command["command"], command["text"], command["user_name"]) == (
        "/mentoring",
        "help",
        "ada",
    )
    assert command["channel_id"] == fake.dm_channel("U1")
    assert command["response_url"].startswith(fake.base_url + "/response/")
    (ack_message,) = fake.dm_messages("U1")
    assert (ack_message.text, ack_message.ephemeral_user, ack_message.via) == (
        "Working on it",
        "U1",
        "ack",
    )
    assert [v.callback_id for v in fake.open_views("U1")] == ["demo.modal"]


def test_closing_a_modal(env) -> None:
    fake, rec, driver = env
    driver.slash("U1")
    (modal,) = fake.open_views("U1")
    assert driver.close_view("U1") is None  # notify_on_close is off: Slack sends nothing
    assert fake.open_views("U1") == [] and fake.view(modal.id).closed
    with pytest.raises(AssertionError, match="no modal open"):
        driver.submit_view("U1")


def test_app_uninstalled_revokes_the_token_first(env) -> None:
    fake, rec, driver = env
    assert driver.app_uninstalled().status_code == 200
    assert [e["type"] for e in rec.get("uninstalled")] == ["app_uninstalled"]
    client = WebClient(token=fake.bot_token, base_url=fake.api_url)
    with pytest.raises(SlackApiError) as excinfo:
        client.auth_test()
    assert excinfo.value.response["error"] == "token_revoked"


def test_home_tab_and_clicks_in_views(env) -> None:
    fake, rec, driver = env
    driver.open_home("U1")
    home = fake.home_view("U1")
    assert home is not None and home.action_ids() == ["demo.refresh", "home.filter"]
    driver.click("U1", "demo.refresh")
    (body,) = rec.get("refresh")
    assert body["container"] == {"type": "view", "view_id": home.id}
    assert body["view"]["type"] == "home" and "response_url" not in body
    # a select in an actions block is sent at once, with Slack's selected_option shape
    assert driver.select("U1", "home.filter", "past").status_code == 200
    (picked,) = rec.get("filter")
    action = picked["actions"][0]
    assert (action["type"], action["block_id"]) == ("static_select", "home.actions")
    assert action["selected_option"] == option("past")
    assert picked["view"]["state"]["values"]["home.actions"]["home.filter"] == {
        "type": "static_select",
        "selected_option": option("past"),
    }
    with pytest.raises(AssertionError, match="no option with value 'future'"):
        driver.select("U1", "home.filter", "future")


def test_bad_signatures_are_rejected(env) -> None:
    fake, rec, driver = env
    event = {
        "type": "event_callback",
        "team_id": fake.team_id,
        "api_app_id": fake.app_id,
        "event_id": "Ev1",
        "event_time": int(time.time()),
        "event": {
            "type": "message",
            "channel": fake.dm_channel("U1"),
            "user": "U1",
            "text": "signed?",
            "ts": fake.next_ts(),
            "channel_type": "im",
        },
    }
    body = json.dumps(event)
    assert driver.raw(body, headers={"X-Slack-Signature": "v0=" + "0" * 64}).status_code == 401
    assert driver.raw(body, sign=False).status_code == 401
    assert driver.raw(body, timestamp=int(time.time()) - 600).status_code == 401  # stale
    assert rec.get("messages") == []
    assert driver.raw(body).status_code == 200  # control: the same body, correctly signed
    assert len(rec.get("messages")) == 1


def test_same_event_id_is_delivered_every_time(env) -> None:
    fake, rec, driver = env
    event = {
        "type": "message",
        "channel": fake.dm_channel("U1"),
        "user": "U1",
        "text": "twice",
        "ts": fake.next_ts(),
        "channel_type": "im",
    }
    first = driver.event(event, event_id="EvSAME")
    retry = driver.event(event, event_id="EvSAME", retry_num=1)
    assert first.status_code == retry.status_code == 200
    seen = rec.get("messages")
    assert len(seen) == 2  # dropping duplicates is the app's job, not the driver's
    assert [s["retry"] for s in seen] == [None, "1"]
    assert seen[1]["reason"] == "http_timeout"
    assert driver.last_event_id == "EvSAME"


def test_driver_refuses_what_the_manifest_does_not_declare(env) -> None:
    fake, rec, driver = env
    channel = fake.add_channel("general", members=["U1"])
    with pytest.raises(AssertionError, match="does not subscribe to 'app_mention'"):
        driver.mention("U1", channel, "hello")
    with pytest.raises(AssertionError, match="no '/other' command"):
        driver.slash("U1", "/other")
    with pytest.raises(AssertionError, match="add_user"):
        driver.dm("U404", "who am I")


def test_tracking_executor_waits_for_chained_work() -> None:
    """wait_idle also waits for work that running work submitted, after the submitter ended.

    Events, not sleeps, make the work overlap: `second` cannot end before `first` has ended
    and been counted as done, nor before the test lets it."""
    executor = TrackingExecutor(max_workers=2)
    done: list[str] = []
    chain = threading.Event()  # first may submit second
    first_ended = threading.Event()  # set once the executor has counted first as done
    finish = threading.Event()  # second may end
    idle = threading.Event()

    def second() -> None:
        assert finish.wait(timeout=10)
        done.append("second")

    def first() -> None:
        assert chain.wait(timeout=10)
        executor.submit(second)
        done.append("first")

    def wait_for_idle() -> None:
        executor.wait_idle(timeout=10)
        idle.set()

    # Done-callbacks run in the order added: the executor's own bookkeeping comes first.
    executor.submit(first).add_done_callback(lambda _: first_ended.set())
    waiter = threading.Thread(target=wait_for_idle)
    waiter.start()  # (typically) already waiting while first runs, before second exists
    chain.set()
    assert first_ended.wait(timeout=10)
    # first is over and counted; the work it submitted is still running.
    assert done == ["first"] and executor.pending == 1
    with pytest.raises(TimeoutError, match="1 listener task"):
        executor.wait_idle(timeout=0)
    assert not idle.is_set()
    finish.set()
    waiter.join(timeout=10)
    assert idle.is_set() and done == ["first", "second"] and executor.pending == 0
    assert executor.errors == []
    executor.shutdown()


def test_server_thread_starts_and_stops_cleanly() -> None:
    app = Starlette(routes=[Route("/", lambda request: PlainTextResponse("pong"))])
    server = ServerThread(app)  # returns once the server accepts connections
    assert server.running
    assert server.url == f"http://127.0.0.1:{server.port}" and server.port > 0
    assert httpx.get(server.url + "/").text == "pong"
    with pytest.raises(ServerStartError, match="cannot bind"):
        ServerThread(app, port=server.port)
    server.stop()
    assert not server.running
    server.stop()  # idempotent
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.url + "/", timeout=1)


def test_tmp_manifest_is_really_used(world) -> None:
    fake, _, _ = world
    assert fake.granted_scopes == {"chat:write", "commands", "im:history", "im:write", "users:read"}
    assert isinstance(fake.manifest_path, Path)
