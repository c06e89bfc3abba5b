"""The fake Slack Web API, exercised through a real slack_sdk WebClient over HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient
from starlette.applications import Starlette
from starlette.routing import Mount

from sandbox.asgi_thread import ServerThread
from sandbox.fake_slack import ApiReference, FakeSlack

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)


def section(text: str, **extra) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def button(text: str, action_id: str, value: str = "v") -> dict:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": action_id,
        "value": value,
    }


def modal(title: str = "Goals", *, external_id: str | None = None, blocks=None) -> dict:
    view = {
        "type": "modal",
        "callback_id": "goals",
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": "Save"},
        "blocks": blocks
        if blocks is not None
        else [
            {
                "type": "input",
                "block_id": "goal",
                "label": {"type": "plain_text", "text": "Your goal"},
                "element": {"type": "plain_text_input", "action_id": "text"},
            }
        ],
    }
    if external_id:
        view["external_id"] = external_id
    return view


@pytest.fixture(scope="module")
def served_fake():
    fake = FakeSlack(manifest_path=None)
    with fake:
        yield fake


@pytest.fixture
def fake(served_fake: FakeSlack) -> FakeSlack:
    served_fake.reset()
    served_fake.add_user("U1", "ada", real_name="Ada Lovelace", tz="Europe/Berlin")
    served_fake.add_user("U2", "grace", tz="America/New_York", email="grace@example.com")
    served_fake.add_user("U3", "alan")
    return served_fake


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(base_url=fake.api_url, token=fake.bot_token)


def api_error(excinfo: pytest.ExceptionInfo[SlackApiError]) -> dict:
    return excinfo.value.response.data  # type: ignore[return-value]


# ---------------------------------------------------------------------------- contract checks
def test_unknown_method_is_rejected(client: WebClient, fake: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client.api_call("chat.postMesage", json={"channel": "C1", "text": "typo"})
    assert api_error(excinfo)["error"] == "unknown_method"
    assert fake.calls_to("chat.postMesage")[0].ok is False


def test_bad_and_missing_tokens(fake: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        WebClient(base_url=fake.api_url, token="xoxb-wrong").auth_test()
    assert api_error(excinfo)["error"] == "invalid_auth"
    with pytest.raises(SlackApiError) as excinfo:
        WebClient(base_url=fake.api_url).auth_test()
    assert api_error(excinfo)["error"] == "not_authed"


def test_auth_test_identifies_the_bot(client: WebClient, fake: FakeSlack) -> None:
    data = client.auth_test().data
    assert data["team_id"] == fake.team_id
    assert data["user_id"] == fake.bot_user_id
    assert data["bot_id"] == fake.bot_id


def test_missing_required_argument_names_it(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client.api_call("chat.postMessage", json={"text": "no channel"})
    data = api_error(excinfo)
    assert data["error"] == "invalid_arguments"
    assert data["response_metadata"]["messages"] == ["[ERROR] missing required field: channel"]


def test_missing_scope_follows_the_manifest(tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.yml"
    manifest.write_text(
        "display_information: {name: test}\n"
        "oauth_config:\n  scopes:\n    bot: [users:read, im:write]\n",
        encoding="utf-8",
    )
    with FakeSlack(manifest_path=manifest) as fake:
        fake.add_user("U1", "ada")
        fake.add_user("U2", "grace")
        client = WebClient(base_url=fake.api_url, token=fake.bot_token)
        fake.add_user("U3", "alan", email="alan@example.com")
        assert client.users_info(user="U1")["user"]["name"] == "ada"
        # without users:read.email Slack leaves the email out
        assert "email" not in client.users_info(user="U3")["user"]["profile"]
        dm = client.conversations_open(users="U1")["channel"]["id"]
        with pytest.raises(SlackApiError) as excinfo:
            client.chat_postMessage(channel=dm, text="hi")
        data = api_error(excinfo)
        assert data["error"] == "missing_scope"
        assert data["needed"] == "chat:write"
        assert data["provided"] == "im:write,users:read"
        # a group DM needs mpim:write, not im:write
        with pytest.raises(SlackApiError) as excinfo:
            client.conversations_open(users="U1,U2")
        assert api_error(excinfo)["needed"] == "mpim:write"


def test_user_token_only_method_is_refused_for_a_bot(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client.search_messages(query="mentor")
    assert api_error(excinfo)["error"] == "not_allowed_token_type"


def test_form_and_json_bodies_and_token_placement(fake: FakeSlack) -> None:
    dm = fake.dm_channel("U1")
    blocks = [section("hello")]
    # form-encoded, token as a parameter, blocks as a JSON string
    form = httpx.post(
        fake.api_url + "chat.postMessage",
        data={"token": fake.bot_token, "channel": dm, "text": "form", "blocks": json.dumps(blocks)},
    )
    assert form.json()["ok"] is True
    # JSON body with the token in the Authorization header
    as_json = httpx.post(
        fake.api_url + "chat.postMessage",
        json={"channel": dm, "text": "json", "blocks": blocks},
        headers={"Authorization": f"Bearer {fake.bot_token}"},
    )
    assert as_json.json()["ok"] is True
    # Slack does not read a token from a JSON body
    body_token = httpx.post(
        fake.api_url + "chat.postMessage", json={"token": fake.bot_token, "channel": dm}
    )
    assert body_token.json()["error"] == "not_authed"
    texts = [m.text for m in fake.dm_messages("U1")]
    assert texts == ["form", "json"]
    recorded = fake.calls_to("chat.postMessage", ok=True)
    assert recorded[0].args["blocks"] == blocks  # decoded from the form's JSON string
    assert all("token" not in c.args for c in fake.calls)


# ---------------------------------------------------------------------------- block kit
@pytest.mark.parametrize(
    ("blocks", "pointer"),
    [
        ([{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}], "/blocks/0/text"),
        ([section("x" * 3001)], "/blocks/0/text/text"),
        (
            [{"type": "actions", "elements": [button("x" * 76, "a")]}],
            "/blocks/0/elements/0/text/text",
        ),
        (
            [
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "button",
                            "text": {"type": "mrkdwn", "text": "*b*"},
                            "action_id": "b",
                        }
                    ],
                }
            ],
            "/blocks/0/elements/0/text/type",
        ),
        ([{"type": "sektion", "text": {"type": "mrkdwn", "text": "typo"}}], "/blocks/0/type"),
        ([section("")], "/blocks/0/text/text"),
        ([section("a", block_id="same"), section("b", block_id="same")], "/blocks/1/block_id"),
    ],
)
def test_invalid_blocks_are_rejected(client: WebClient, fake: FakeSlack, blocks, pointer) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel=fake.dm_channel("U1"), text="fallback", blocks=blocks)
    data = api_error(excinfo)
    assert data["error"] == "invalid_blocks"
    messages = data["response_metadata"]["messages"]
    assert any(f"[json-pointer:{pointer}" in m for m in messages), messages
    assert fake.dm_messages("U1") == []


def test_block_count_limit_is_50_per_message(client: WebClient, fake: FakeSlack) -> None:
    dm = fake.dm_channel("U1")
    client.chat_postMessage(channel=dm, text="ok", blocks=[section(f"{i}") for i in range(50)])
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel=dm, text="no", blocks=[section(f"{i}") for i in range(51)])
    assert api_error(excinfo)["error"] == "invalid_blocks"
    assert "no more than 50 items" in api_error(excinfo)["response_metadata"]["messages"][0]


def test_message_without_fallback_text_is_flagged(client: WebClient, fake: FakeSlack) -> None:
    with pytest.warns(UserWarning):  # slack_sdk warns too
        client.chat_postMessage(channel=fake.dm_channel("U1"), blocks=[section("hi")])
    assert fake.last_dm("U1").warnings == ["missing_text_in_blocks_message"]
    assert [w.code for w in fake.warnings] == ["missing_text_in_blocks_message"]
    with pytest.raises(SlackApiError) as excinfo, pytest.warns(UserWarning):
        client.chat_postMessage(channel=fake.dm_channel("U1"), text="")
    assert api_error(excinfo)["error"] == "no_text"


def test_overlong_text_is_truncated_like_slack(client: WebClient, fake: FakeSlack) -> None:
    client.chat_postMessage(channel="U1", text="x" * 40_001)
    assert len(fake.last_dm("U1").text) == 40_000
    assert [w.code for w in fake.warnings] == ["text_truncated"]
    ts = fake.last_dm("U1").ts
    with pytest.raises(SlackApiError) as excinfo:  # chat.update refuses instead
        client.chat_update(channel=fake.dm_channel("U1"), ts=ts, text="y" * 40_001)
    assert api_error(excinfo)["error"] == "msg_too_long"


def test_methods_without_special_behaviour(client: WebClient, fake: FakeSlack) -> None:
    ts = client.chat_postMessage(channel="U1", text="x")["ts"]
    answer = client.reactions_add(channel=fake.dm_channel("U1"), timestamp=ts, name="tada")
    assert answer.data == {"ok": True}
    assert fake.calls_to("reactions.add")[0].args["name"] == "tada"
    with pytest.raises(SlackApiError) as excinfo:  # blocks are checked everywhere
        client.chat_scheduleMessage(
            channel="U1", post_at=2_000_000_000, text="later", blocks=[section("")]
        )
    assert api_error(excinfo)["error"] == "invalid_blocks"


# ---------------------------------------------------------------------------- conversations
def test_conversations_open_ids_are_stable(client: WebClient, fake: FakeSlack) -> None:
    first = client.conversations_open(users="U1")
    again = client.conversations_open(users=["U1"], return_im=True)
    assert first["channel"]["id"] == again["channel"]["id"] == fake.dm_channel("U1")
    assert first["channel"]["id"].startswith("D")
    assert again["already_open"] is True
    assert again["channel"]["is_im"] is True and again["channel"]["user"] == "U1"
    assert client.conversations_open(users="U2")["channel"]["id"] != first["channel"]["id"]
    group = client.conversations_open(users="U1,U2")["channel"]["id"]
    assert group.startswith("G")
    assert client.conversations_open(users="U2,U1")["channel"]["id"] == group
    members = client.conversations_members(channel=group)["members"]
    assert sorted(members) == ["U1", "U2", fake.bot_user_id]
    with pytest.raises(SlackApiError) as excinfo:
        client.conversations_open(users="U404")
    assert api_error(excinfo)["error"] == "user_not_found"
    info = client.conversations_info(channel=first["channel"]["id"])["channel"]
    assert info["is_im"] is True and info["user"] == "U1"


def test_posting_to_a_user_id_lands_in_their_dm(client: WebClient, fake: FakeSlack) -> None:
    answer = client.chat_postMessage(channel="U2", text="hello grace")
    assert answer["channel"] == fake.dm_channel("U2")
    assert fake.last_dm("U2").text == "hello grace"
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="C404", text="x")
    assert api_error(excinfo)["error"] == "channel_not_found"


def test_channel_membership_rules(client: WebClient, fake: FakeSlack) -> None:
    joined = fake.add_channel("mentoring-coordinators", members=["U1"])
    outside = fake.add_channel("leads", members=["U1"], is_private=True, bot_is_member=False)
    client.chat_postMessage(channel=joined, text="report ready")
    assert [m.text for m in fake.messages(joined)] == ["report ready"]
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel=outside, text="x")
    assert api_error(excinfo)["error"] == "channel_not_found"
    client.chat_postEphemeral(channel=joined, user="U1", text="only you")
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postEphemeral(channel=joined, user="U2", text="not a member")
    assert api_error(excinfo)["error"] == "user_not_in_channel"
    (ephemeral,) = [m for m in fake.messages(joined) if m.is_ephemeral]
    assert ephemeral.ephemeral_user == "U1"


def test_chat_update_and_delete(client: WebClient, fake: FakeSlack) -> None:
    dm = fake.dm_channel("U1")
    ts = client.chat_postMessage(
        channel=dm,
        text="v1",
        blocks=[section("v1"), {"type": "actions", "elements": [button("Go", "go")]}],
    )["ts"]
    client.chat_update(channel=dm, ts=ts, text="v2")
    (msg,) = fake.dm_messages("U1")
    assert (msg.ts, msg.text, msg.edited_ts is not None) == (ts, "v2", True)
    assert msg.action_ids() == ["go"]  # blocks kept when only text changes
    client.chat_update(channel=dm, ts=ts, text="v3", blocks=[section("v3")])
    assert fake.message(dm, ts).action_ids() == []
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_update(channel=dm, ts="1.000001", text="x")
    assert api_error(excinfo)["error"] == "message_not_found"
    theirs = fake.record_user_message(dm, "U1", "my words")
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_update(channel=dm, ts=theirs.ts, text="edited by bot")
    assert api_error(excinfo)["error"] == "cant_update_message"
    client.chat_delete(channel=dm, ts=ts)
    assert [m.text for m in fake.dm_messages("U1")] == ["my words"]
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_delete(channel=dm, ts=ts)
    assert api_error(excinfo)["error"] == "message_not_found"


def test_message_ts_are_unique_and_increasing(client: WebClient, fake: FakeSlack) -> None:
    dm = fake.dm_channel("U1")
    stamps = [client.chat_postMessage(channel=dm, text=str(i))["ts"] for i in range(20)]
    assert stamps == sorted(stamps, key=float) and len(set(stamps)) == 20
    assert all(len(ts.split(".")[1]) == 6 for ts in stamps)
    link = client.chat_getPermalink(channel=dm, message_ts=stamps[0])["permalink"]
    assert link.endswith(stamps[0].replace(".", ""))


# ---------------------------------------------------------------------------- views
def test_views_open_trigger_rules(
    client: WebClient, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    timer = [1000.0]  # trigger lifetimes run on this timer, not on real time
    monkeypatch.setattr(fake, "monotonic", lambda: timer[0])
    trigger = fake.issue_trigger_id("U1")
    with pytest.raises(SlackApiError) as excinfo:  # invalid view: title longer than 24
        client.views_open(trigger_id=trigger, view=modal("A title that is far too long"))
    assert api_error(excinfo)["error"] == "invalid_arguments"
    assert "/view/title/text" in api_error(excinfo)["response_metadata"]["messages"][0]
    view = client.views_open(trigger_id=trigger, view=modal())["view"]  # trigger not burnt
    assert [v.id for v in fake.open_views("U1")] == [view["id"]]
    with pytest.raises(SlackApiError) as excinfo:
        client.views_open(trigger_id=trigger, view=modal())
    assert api_error(excinfo)["error"] == "exchanged_trigger_id"
    with pytest.raises(SlackApiError) as excinfo:
        client.views_open(trigger_id="12345.67890.made-up", view=modal())
    assert api_error(excinfo)["error"] == "invalid_trigger_id"
    stale = fake.issue_trigger_id("U1", ttl=0.01)
    timer[0] += 0.02
    with pytest.raises(SlackApiError) as excinfo:
        client.views_open(trigger_id=stale, view=modal())
    assert api_error(excinfo)["error"] == "expired_trigger_id"


def test_trigger_lifetime_defaults_to_three_seconds(fake: FakeSlack) -> None:
    assert fake.trigger_ttl == 3.0
    relaxed = FakeSlack(manifest_path=None, trigger_ttl=600)
    assert relaxed.trigger_ttl == 600


def test_views_update_push_and_hash(client: WebClient, fake: FakeSlack) -> None:
    opened = client.views_open(
        trigger_id=fake.issue_trigger_id("U1"), view=modal(external_id="goals-U1")
    )["view"]
    updated = client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal("Step 2"))[
        "view"
    ]
    assert updated["id"] == opened["id"] and updated["hash"] != opened["hash"]
    with pytest.raises(SlackApiError) as excinfo:  # stale hash
        client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal("Step 3"))
    assert api_error(excinfo)["error"] == "hash_conflict"
    client.views_update(external_id="goals-U1", view=modal("By external id"))
    assert fake.view(opened["id"]).title["text"] == "By external id"
    with pytest.raises(SlackApiError) as excinfo:
        client.views_update(view_id="V404", view=modal())
    assert api_error(excinfo)["error"] == "not_found"
    for _ in range(2):
        client.views_push(trigger_id=fake.issue_trigger_id("U1"), view=modal("Pushed"))
    stack = fake.open_views("U1")
    assert len(stack) == 3 and stack[2].previous_view_id == stack[1].id
    assert stack[2].root_view_id == opened["id"]
    with pytest.raises(SlackApiError) as excinfo:
        client.views_push(trigger_id=fake.issue_trigger_id("U1"), view=modal("Fourth"))
    assert api_error(excinfo)["error"] == "push_limit_reached"


def test_modal_block_limit_is_100(client: WebClient, fake: FakeSlack) -> None:
    too_many = modal(blocks=[section(str(i)) for i in range(101)])
    with pytest.raises(SlackApiError) as excinfo:
        client.views_open(trigger_id=fake.issue_trigger_id("U1"), view=too_many)
    assert api_error(excinfo)["error"] == "invalid_arguments"
    ok = modal(blocks=[section(str(i)) for i in range(100)])
    client.views_open(trigger_id=fake.issue_trigger_id("U1"), view=ok)


def test_views_publish_keeps_one_home_per_user(client: WebClient, fake: FakeSlack) -> None:
    home = {"type": "home", "blocks": [section("Welcome")]}
    first = client.views_publish(user_id="U1", view=home)["view"]
    second = client.views_publish(
        user_id="U1", view={"type": "home", "blocks": [section("Welcome back")]}
    )["view"]
    assert first["id"] == second["id"]
    assert fake.home_view("U1").blocks[0]["text"]["text"] == "Welcome back"
    assert fake.home_view("U2") is None
    with pytest.raises(SlackApiError) as excinfo:
        client.views_publish(user_id="U1", view=home, hash=first["hash"])
    assert api_error(excinfo)["error"] == "hash_conflict"
    with pytest.raises(SlackApiError) as excinfo:
        client.views_publish(user_id="U1", view=modal())
    assert api_error(excinfo)["error"] == "invalid_arguments"


# ---------------------------------------------------------------------------- users
def test_users_info_and_list(client: WebClient, fake: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client.users_info(user="U404")
    assert api_error(excinfo)["error"] == "user_not_found"
    ada = client.users_info(user="U1", include_locale=True)["user"]
    assert ada["real_name"] == "Ada Lovelace" and ada["tz"] == "Europe/Berlin"
    assert ada["tz_offset"] in (3600, 7200) and ada["locale"] == "en-US"
    grace = client.users_info(user="U2")["user"]
    assert grace["tz_offset"] in (-18000, -14400)
    assert grace["profile"]["email"] == "grace@example.com"  # every scope granted here
    ids, pages = [], 0
    for page in client.users_list(limit=2):  # slack_sdk follows next_cursor
        pages += 1
        ids += [m["id"] for m in page["members"]]
    assert pages == 2  # bot + 3 people, 2 per page
    assert sorted(ids) == sorted(["U1", "U2", "U3", fake.bot_user_id])


# ---------------------------------------------------------------------------- injection
def test_fail_next_injects_documented_errors(client: WebClient, fake: FakeSlack) -> None:
    fake.fail_next("users.info", "user_not_found", match=lambda args: args.get("user") == "U2")
    assert client.users_info(user="U1")["ok"] is True  # not matched
    with pytest.raises(SlackApiError) as excinfo:
        client.users_info(user="U2")
    assert api_error(excinfo)["error"] == "user_not_found"
    assert client.users_info(user="U2")["ok"] is True  # used up
    fake.fail_next("chat.postMessage", "fatal_error", times=2)
    for _ in range(2):
        with pytest.raises(SlackApiError):
            client.chat_postMessage(channel="U1", text="x")
    assert fake.pending_faults == []
    with pytest.raises(ValueError, match="not a documented error of chat.postMessage"):
        fake.fail_next("chat.postMessage", "user_not_found")
    with pytest.raises(ValueError, match="unknown Slack method"):
        fake.fail_next("chat.postMesage", "fatal_error")


def test_rate_limit_answers_429_with_retry_after(client: WebClient, fake: FakeSlack) -> None:
    fake.rate_limit_next("chat.postMessage", retry_after=7)
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="U1", text="x")
    response = excinfo.value.response
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert response.data == {"ok": False, "error": "ratelimited"}
    assert client.chat_postMessage(channel="U1", text="x")["ok"] is True
    assert [c.status for c in fake.calls_to("chat.postMessage")] == [429, 200]


def test_revoked_tokens(client: WebClient, fake: FakeSlack) -> None:
    fake.revoke_tokens()
    with pytest.raises(SlackApiError) as excinfo:
        client.auth_test()
    assert api_error(excinfo)["error"] == "token_revoked"


# ---------------------------------------------------------------------------- files & urls
def test_files_upload_v2_round_trip(client: WebClient, fake: FakeSlack) -> None:
    dm = fake.dm_channel("U1")
    answer = client.files_upload_v2(
        channel=dm, content=PNG, filename="progress.png", title="Your progress"
    )
    (stored,) = fake.files
    assert answer["file"]["id"] == stored.id
    assert (stored.name, stored.title, stored.content) == ("progress.png", "Your progress", PNG)
    assert stored.completed and stored.channels == [dm] and stored.mimetype == "image/png"
    (msg,) = fake.dm_messages("U1")
    assert msg.via == "file" and msg.files[0]["name"] == "progress.png"
    assert client.files_info(file=stored.id)["file"]["title"] == "Your progress"
    with pytest.raises(SlackApiError) as excinfo:
        client.files_completeUploadExternal(files=[{"id": "F404", "title": "x"}])
    assert api_error(excinfo)["error"] == "file_not_found"


def test_response_url_messages(fake: FakeSlack) -> None:
    dm = fake.dm_channel("U1")
    url = fake.new_response_url(dm, "U1")
    hook = WebhookClient(url)
    assert hook.send(text="only you see this").status_code == 200
    assert hook.send(text="everyone", response_type="in_channel").status_code == 200
    bad = hook.send(
        text="x", blocks=[{"type": "header", "text": {"type": "plain_text", "text": ""}}]
    )
    assert bad.status_code == 400 and "invalid_blocks" in bad.body
    first, second = fake.dm_messages("U1")
    assert (first.text, first.ephemeral_user, first.via) == (
        "only you see this",
        "U1",
        "response_url",
    )
    assert (second.text, second.is_ephemeral) == ("everyone", False)
    # replace_original / delete_original act on the message the url belongs to
    clicked = WebhookClient(fake.new_response_url(dm, "U1", message_ts=second.ts))
    clicked.send(text="replaced", replace_original=True)
    assert fake.message(dm, second.ts).text == "replaced"
    clicked.send(delete_original=True)
    assert [m.text for m in fake.dm_messages("U1")] == ["only you see this"]
    assert [c.ok for c in fake.calls_to("response_url")] == [True, True, False, True, True]


def test_response_url_use_limit(fake: FakeSlack) -> None:
    hook = WebhookClient(fake.new_response_url(fake.dm_channel("U1"), "U1"))
    assert [hook.send(text=str(i)).status_code for i in range(6)] == [200] * 5 + [404]


# ---------------------------------------------------------------------------- embedding
def test_asgi_app_can_be_mounted_elsewhere() -> None:
    fake = FakeSlack(manifest_path=None)
    outer = Starlette(routes=[Mount("/slack-fake", app=fake.asgi_app)])
    with ServerThread(outer) as server:
        fake.set_base_url(server.url + "/slack-fake")
        fake.add_user("U1", "ada")
        client = WebClient(base_url=fake.api_url, token=fake.bot_token)
        answer = client.files_upload_v2(
            channel=fake.dm_channel("U1"), content=b"hello", filename="a.txt"
        )
        assert fake.file(answer["file"]["id"]).content == b"hello"
        assert fake.calls_to("upload_url")[0].ok


def test_api_reference_loader() -> None:
    ref = ApiReference()
    assert "chat.postMessage" in ref.methods and "methods" not in ref.methods
    assert ref.scopes_for("chat.postMessage") == ["chat:write"]
    assert ref.required_args("chat.update") == ["ts", "channel"]
    assert "message_not_found" in ref.errors_for("chat.update")
    assert ref.event_scopes("message.im") == ["im:history"]
    with pytest.raises(FileNotFoundError, match="MENTORBOT_SLACK_API_REF"):
        ApiReference("/nonexistent/slack-api-ref")
