"""The edges that were covered before issue #12 and belong with its cases: a bad or old
signature, a signed but malformed body, Slack's retry of an event, a double click (the same
payload again, and a stale choice on the same message), and the last mentor slot taken by two
mentees at once (the multi-process version is in test_matching_race.py; a process killed
mid-sweep is in test_sweep_exactly_once.py)."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from core.matchmaking.models import MentorRequest, Pair
from core.onboarding.models import Conversation
from sandbox.harness import BotUnderTest
from tests.journeys.test_journey_matching import (
    blocks_text,
    count,
    onboard_mentee,
    people,
    shortlist_message,
)
from tests.journeys.test_journey_onboarding import ana


def test_same_event_delivered_twice_is_handled_once(slack: BotUnderTest) -> None:
    user = ana(slack)
    d = slack.d
    d.dm(user, "I'd like to join")
    d.click(user, "onboarding.role.select.mentee")
    d.select(user, "onboarding.goals.select", ["hiring"])
    event = {
        "type": "message",
        "channel_type": "im",
        "user": user,
        "text": "Hire well",
        "channel": slack.fake.dm_channel(user),
        "ts": "1772442000.000100",
    }
    d.event(event, event_id="Ev_DUP_1")
    before = len(slack.fake.calls_to("chat.postMessage"))
    d.event(event, event_id="Ev_DUP_1", retry_num=1, retry_reason="http_timeout")
    assert len(slack.fake.calls_to("chat.postMessage")) == before
    with slack.app.db.transaction() as session:
        conversation = session.scalars(select(Conversation)).one()
        assert conversation.step == "format"


def test_double_click_changes_nothing_twice(slack: BotUnderTest, monkeypatch) -> None:
    user = ana(slack)
    d = slack.d
    d.dm(user, "I'd like to join")
    sent: list[dict] = []
    send = d.interaction
    monkeypatch.setattr(d, "interaction", lambda payload: sent.append(payload) or send(payload))
    d.click(user, "onboarding.role.select.mentor")
    posts = len(slack.fake.calls_to("chat.postMessage"))
    # a double click: Slack delivers the same payload again
    assert send(sent[0]).status_code == 200
    # and a different choice on the same, now stale, message
    stale = json.loads(json.dumps(sent[0]))
    stale["actions"][0]["action_id"] = "onboarding.role.select.mentee"
    stale["actions"][0]["value"] = stale["actions"][0]["value"].replace('"mentor"', '"mentee"')
    assert send(stale).status_code == 200
    slack.app.wait_idle()
    assert len(slack.fake.calls_to("chat.postMessage")) == posts
    with slack.app.db.transaction() as session:
        conversation = session.scalars(select(Conversation)).one()
        assert conversation.draft["role"] == "mentor" and conversation.step == "expertise"


def test_bad_or_old_signature_gets_401_and_changes_nothing(slack: BotUnderTest) -> None:
    user = ana(slack)
    body = b'{"type":"event_callback","team_id":"T0001","event_id":"Ev1","event":{"type":"message","channel_type":"im","user":"U_ANA","text":"hi","channel":"D1"}}'
    bad = slack.d.raw(
        body,
        content_type="application/json",
        sign=False,
        headers={"X-Slack-Signature": "v0=deadbeef"},
    )
    assert bad.status_code == 401
    old = slack.d.raw(body, content_type="application/json", timestamp=1_000_000_000)
    assert old.status_code == 401
    assert slack.fake.calls_to("chat.postMessage") == []
    assert slack.fake.dm_messages(user) == []


def test_signed_but_malformed_requests_get_400(slack: BotUnderTest) -> None:
    for body, content_type in (
        (b"not json", "application/json"),
        (b'{"no_type": true}', "application/json"),
        (b"payload=%7Bbroken", "application/x-www-form-urlencoded"),
        (b"hello=world", "application/x-www-form-urlencoded"),
        (b'{"type":"event_callback"}', "application/json"),
    ):
        response = slack.d.raw(body, content_type=content_type)
        assert response.status_code == 400, body


def test_double_click_on_accept_makes_one_pair_and_one_introduction(slack: BotUnderTest) -> None:
    people(slack)
    onboard_mentee(slack, "U_ANA", ["stakeholder-management"])
    slack.d.click("U_ANA", "matching.shortlist.request.0")
    payloads: list[dict] = []
    send = slack.d.interaction
    slack.d.interaction = lambda payload: payloads.append(payload) or send(payload)  # type: ignore[method-assign]
    slack.d.click("U_CY", "matching.request.accept")
    posts = len(slack.fake.calls_to("chat.postMessage"))
    assert send(payloads[0]).status_code == 200  # Slack delivers the same click again
    slack.app.wait_idle()
    assert count(slack, Pair) == 1
    assert len(slack.fake.calls_to("chat.postMessage")) == posts
    assert (
        len([c for c in slack.fake.calls_to("conversations.open") if "," in str(c.args["users"])])
        == 1
    )


def test_last_slot_race_tells_the_second_mentee_kindly(slack: BotUnderTest) -> None:
    people(slack)
    onboard_mentee(slack, "U_ANA", ["stakeholder-management"])  # only Cy covers it
    onboard_mentee(slack, "U_DEE", ["stakeholder-management", "public-speaking"])
    assert "Cy Tan" in blocks_text(shortlist_message(slack, "U_ANA"))
    dee_list = shortlist_message(slack, "U_DEE")
    assert "Cy Tan" in blocks_text(dee_list)
    slack.d.click("U_ANA", "matching.shortlist.request.0")  # takes Cy's only slot
    slack.d.click("U_DEE", "matching.shortlist.request.0", in_message=dee_list)  # Cy too
    texts = slack.dm_texts("U_DEE")
    assert any("just taken on their last mentee" in t for t in texts)
    newest = shortlist_message(slack, "U_DEE")
    assert newest.ts != dee_list.ts
    candidates = json.dumps(
        [b for b in newest.blocks or [] if str(b.get("block_id", "")).startswith("matching.cand")]
    )
    assert "Ben Okafor" in candidates and "Cy Tan" not in candidates
    with slack.app.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(MentorRequest)) == 1
    # Cy got exactly one request.
    assert (
        sum(
            "would like you to be their mentor" in (m.text or "")
            for m in slack.fake.dm_messages("U_CY")
        )
        == 1
    )
