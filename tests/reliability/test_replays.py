"""Issue #12 case 3: the same interaction delivered again applies once.

A button, a modal submission or a slash command that Slack delivers twice (a double submit,
a network replay inside the 5-minute signing window) changes things once; the repeat gets at
most a quiet "already done". Every test posts signed requests to the real bot: the first
through the driver, the repeats as the very same bytes (same timestamp, same signature)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode

import httpx
import pytest
from sqlalchemy import func, select

from bot.scheduling.deliverer import Pacer
from core.coordination.models import AuditEvent
from core.kernel.clock import FakeClock
from core.kernel.models import ProcessedInteraction
from core.matchmaking.models import Pair
from core.messaging.outbox_models import Announcement
from core.relationships import agreements, use_cases
from core.relationships.models import Agreement
from sandbox.driver import sign_request
from sandbox.harness import BotUnderTest
from tests.admin_support import ephemeral_texts, join, make_coordinator
from tests.journeys.test_journey_matching import onboard_mentee, people
from tests.relationship_support import ANA, BEN, TEAM, add_to_fake, seed_pair

ALREADY_DONE = "already done"
GOALS = {
    "agreement_cadence": {"relationship.agreement.cadence": "weekly"},
    "agreement_duration": {"relationship.agreement.duration": "3"},
    "agreement_ground_rules": {"relationship.agreement.ground_rules": ["agreed"]},
}


@dataclass(frozen=True)
class Sent:
    """One signed request exactly as it went to the bot."""

    body: bytes
    content_type: str
    timestamp: int

    def payload(self) -> dict[str, Any]:
        return dict(json.loads(parse_qs(self.body.decode())["payload"][0]))

    def with_payload(self, payload: dict[str, Any]) -> Sent:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return Sent(body, self.content_type, self.timestamp)


def recorder(slack: BotUnderTest) -> list[Sent]:
    """Every request the driver sends from now on, as sent."""
    sent: list[Sent] = []

    def record(request: httpx.Request) -> None:
        sent.append(
            Sent(
                request.read(),
                request.headers["content-type"],
                int(request.headers["x-slack-request-timestamp"]),
            )
        )

    slack.d.http.event_hooks["request"].append(record)
    return sent


@contextmanager
def held_back(slack: BotUnderTest) -> Iterator[list[Sent]]:
    """Requests the driver builds in the block are recorded but not delivered: Slack answers
    the person as if the bot had acknowledged them, and the test delivers them later."""
    sent: list[Sent] = []

    def hold(request: httpx.Request) -> httpx.Response:
        sent.append(
            Sent(
                request.read(),
                request.headers["content-type"],
                int(request.headers["x-slack-request-timestamp"]),
            )
        )
        return httpx.Response(200)

    real = slack.d.http
    slack.d.http = httpx.Client(transport=httpx.MockTransport(hold))
    try:
        yield sent
    finally:
        slack.d.http.close()
        slack.d.http = real


def replay(slack: BotUnderTest, sent: Sent) -> httpx.Response:
    """Slack delivers the same request again: same bytes, same timestamp, same signature."""
    return slack.d.raw(sent.body, content_type=sent.content_type, timestamp=sent.timestamp)


def race(slack: BotUnderTest, sent: Sent, deliveries: int) -> list[tuple[int, str]]:
    """The same request delivered `deliveries` times at once, from as many threads."""
    headers = {
        "Content-Type": sent.content_type,
        "X-Slack-Request-Timestamp": str(sent.timestamp),
        "X-Slack-Signature": sign_request(slack.signing_secret, sent.body, sent.timestamp),
    }
    start = threading.Barrier(deliveries)
    answers: list[tuple[int, str]] = []

    def deliver() -> None:
        with httpx.Client(timeout=30) as http:
            start.wait()
            response = http.post(slack.events_url, content=sent.body, headers=headers)
            answers.append((response.status_code, response.text))

    threads = [threading.Thread(target=deliver) for _ in range(deliveries)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert slack.app.wait_idle()
    return answers


def count(slack: BotUnderTest, model: type, *where: object) -> int:
    with slack.app.db.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def agreement_versions(slack: BotUnderTest) -> list[int]:
    with slack.app.db.transaction() as session:
        return [a.version for a in session.scalars(select(Agreement))]


def reviews(slack: BotUnderTest) -> int:
    """Drafts the mentor was asked to review."""
    return sum("drafted your learning agreement" in t for t in slack.dm_texts(BEN.user_id))


@pytest.fixture
def pair(slack: BotUnderTest) -> int:
    slack.app.flows.relationship.deliverer.pacer = Pacer(rate=500, burst=100, channel_interval=0)
    add_to_fake(slack, ANA, BEN)
    pair_id = seed_pair(slack.app.db, slack.clock)
    slack.app.hooks.pair_created(slack.app.client, TEAM, pair_id)
    slack.app.wait_idle()
    return pair_id


def submit_agreement(slack: BotUnderTest, values: dict[str, Any] = GOALS) -> Sent:
    """Ana drafts the agreement; the submission as it was sent."""
    slack.d.click(ANA.user_id, "relationship.agreement.open")
    sent = recorder(slack)
    slack.d.submit_view(ANA.user_id, None, values)
    return sent[-1]


# --- view submissions ----------------------------------------------------------------------
def test_an_agreement_submission_delivered_twice_makes_one_version(
    slack: BotUnderTest, pair: int
) -> None:
    submission = submit_agreement(slack)
    assert agreement_versions(slack) == [1] and reviews(slack) == 1
    calls = len(slack.fake.calls)

    response = replay(slack, submission)

    assert response.status_code == 200 and response.text == ""  # the modal just closes
    assert agreement_versions(slack) == [1] and reviews(slack) == 1
    assert len(slack.fake.calls) == calls  # nothing sent to anyone


def test_a_double_submit_of_the_same_modal_state_applies_once(
    slack: BotUnderTest, pair: int
) -> None:
    submission = submit_agreement(slack)
    # Pressed twice: a second request with its own trigger_id, the same view and values.
    payload = submission.payload()
    payload["trigger_id"] = slack.fake.issue_trigger_id(ANA.user_id)

    assert replay(slack, submission.with_payload(payload)).status_code == 200

    assert agreement_versions(slack) == [1] and reviews(slack) == 1


def test_a_submission_refused_by_validation_applies_once_corrected(
    slack: BotUnderTest, pair: int
) -> None:
    slack.d.click(ANA.user_id, "relationship.agreement.open")
    modal = slack.fake.open_views(ANA.user_id)[-1]
    sent = recorder(slack)
    slack.d.submit_view(ANA.user_id, modal, {}, check_required=False)  # no ground rules
    assert slack.d.last_submission_outcome == "errors"
    refused = sent[-1]
    # A replay of the refused submission is refused again (nothing was applied, nothing
    # recorded), not taken for "already done".
    assert replay(slack, refused).json()["response_action"] == "errors"
    assert agreement_versions(slack) == []

    slack.d.submit_view(ANA.user_id, modal, GOALS)

    assert slack.d.last_submission_outcome == "closed"
    assert agreement_versions(slack) == [1] and reviews(slack) == 1
    assert replay(slack, sent[-1]).text == "" and agreement_versions(slack) == [1]


def test_a_crash_after_the_key_is_written_loses_nothing_and_the_retry_applies(
    slack: BotUnderTest, pair: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_submit_draft = agreements.submit_draft

    def crash_after_writing(session: Any, *args: Any, **kwargs: Any) -> list[int]:
        real_submit_draft(session, *args, **kwargs)
        session.flush()  # the draft and the interaction's key are written...
        raise RuntimeError("the process dies before the commit")  # ...and never committed

    monkeypatch.setattr(agreements, "submit_draft", crash_after_writing)
    submission = submit_agreement(slack)
    assert slack.d.last_response is not None and slack.d.last_response.status_code == 500
    assert agreement_versions(slack) == [] and reviews(slack) == 0
    monkeypatch.setattr(agreements, "submit_draft", real_submit_draft)

    assert replay(slack, submission).status_code == 200  # Slack's retry of the same request

    assert agreement_versions(slack) == [1] and reviews(slack) == 1
    replay(slack, submission)
    assert agreement_versions(slack) == [1] and reviews(slack) == 1


def test_the_same_submission_racing_from_several_threads_applies_once(
    slack: BotUnderTest, pair: int
) -> None:
    slack.d.click(ANA.user_id, "relationship.agreement.open")
    with held_back(slack) as sent:
        slack.d.submit_view(ANA.user_id, None, GOALS)

    answers = race(slack, sent[-1], deliveries=4)

    assert answers == [(200, "")] * 4  # one applied and closed the modal; the rest just close
    assert agreement_versions(slack) == [1] and reviews(slack) == 1


def test_two_deliveries_both_past_the_first_look_are_settled_by_the_database(
    slack: BotUnderTest, pair: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both deliveries start before either has applied anything (nothing is recorded yet,
    so both get past the cheap check up front): the unique key decides, not timing."""
    real = use_cases.submit_agreement
    both_started = threading.Barrier(2, timeout=10)

    def submit_together(*args: Any, **kwargs: Any) -> Any:
        both_started.wait()
        return real(*args, **kwargs)

    monkeypatch.setattr(use_cases, "submit_agreement", submit_together)
    slack.d.click(ANA.user_id, "relationship.agreement.open")
    with held_back(slack) as sent:
        slack.d.submit_view(ANA.user_id, None, GOALS)

    responses = race(slack, sent[-1], deliveries=2)

    assert [status for status, _ in responses] == [200, 200]
    assert sorted(body for _, body in responses) == ["", ""]  # the loser just closes too
    assert agreement_versions(slack) == [1] and reviews(slack) == 1


# --- slash commands ------------------------------------------------------------------------
@pytest.fixture
def coordinator(slack: BotUnderTest, monkeypatch: pytest.MonkeyPatch) -> str:
    make_coordinator(slack, "U_CO", monkeypatch)
    return "U_CO"


def announcements_received(slack: BotUnderTest, user: str) -> int:
    return sum("A message from the" in t for t in slack.dm_texts(user))


def test_an_announcement_delivered_twice_goes_out_once_to_each(
    slack: BotUnderTest, coordinator: str
) -> None:
    participants = [f"U_P{n}" for n in range(3)]
    for user in participants:
        join(slack, user, f"Person {user}")
    sent = recorder(slack)
    slack.d.slash(coordinator, "/mentoring", "announce")
    command = sent[-1]
    replay(slack, command)  # the command again: no second modal
    assert len(slack.fake.open_views(coordinator)) == 1
    slack.d.submit_view(
        coordinator, values={"announce_text": {"coordinator.announce.text": "Kick-off Friday"}}
    )
    submission = sent[-1]

    replay(slack, submission)
    replay(slack, submission)
    slack.run_sweeps()
    slack.run_sweeps()

    assert count(slack, Announcement) == 1
    for user in participants:
        assert announcements_received(slack, user) == 1, user
    assert sum("on its way to 3 people" in t for t in slack.dm_texts(coordinator)) == 1


def test_an_invite_command_delivered_three_times_invites_each_person_once(
    slack: BotUnderTest, coordinator: str
) -> None:
    for user in ("U_N1", "U_N2"):
        slack.add_person(user, user.lower())
    sent = recorder(slack)
    slack.d.slash(coordinator, "/mentoring", "invite <@U_N1|n1> <@U_N2|n2>")
    command = sent[-1]

    repeats = [replay(slack, command), replay(slack, command)]
    slack.run_sweeps()

    for user in ("U_N1", "U_N2"):
        assert sum("thought you might enjoy" in t for t in slack.dm_texts(user)) == 1, user
    replies = ephemeral_texts(slack, coordinator)
    assert sum("inviting 2 people" in t.lower() for t in replies) == 1
    for repeat in repeats:  # told quietly, only to the coordinator
        assert repeat.json()["response_type"] == "ephemeral"
        assert ALREADY_DONE in repeat.json()["text"]
    assert count(slack, AuditEvent, AuditEvent.action == "invite") == 1


@pytest.mark.parametrize("command", ["help", "status"])
def test_a_read_only_command_repeated_is_answered_every_time(
    slack: BotUnderTest, command: str
) -> None:
    add_to_fake(slack, ANA)
    sent = recorder(slack)
    slack.d.slash(ANA.user_id, "/mentoring", command)
    first = ephemeral_texts(slack, ANA.user_id)
    assert len(first) == 1 and ALREADY_DONE not in first[0]

    replay(slack, sent[-1])

    answers = ephemeral_texts(slack, ANA.user_id)
    assert answers == first * 2
    assert count(slack, ProcessedInteraction) == 0  # reading records nothing


# --- buttons -------------------------------------------------------------------------------
def test_accepting_a_request_delivered_twice_applies_once_and_quietly(
    slack: BotUnderTest,
) -> None:
    people(slack)
    onboard_mentee(slack, "U_ANA", ["stakeholder-management"])
    slack.d.click("U_ANA", "matching.shortlist.request.0")
    sent = recorder(slack)
    slack.d.click("U_CY", "matching.request.accept")
    accept = sent[-1]
    assert count(slack, Pair) == 1
    calls = len(slack.fake.calls)

    response = replay(slack, accept)

    assert response.status_code == 200 and response.text == ""
    assert count(slack, Pair) == 1
    assert len(slack.fake.calls) == calls  # no message, no update, no response_url post


def test_accepting_a_request_racing_from_several_threads_applies_once(
    slack: BotUnderTest,
) -> None:
    people(slack)
    onboard_mentee(slack, "U_ANA", ["stakeholder-management"])
    slack.d.click("U_ANA", "matching.shortlist.request.0")
    with held_back(slack) as sent:
        slack.d.click("U_CY", "matching.request.accept")
    accept = sent[-1]
    assert count(slack, Pair) == 0

    statuses = [status for status, _ in race(slack, accept, deliveries=4)]

    assert statuses == [200, 200, 200, 200]
    assert count(slack, Pair) == 1
    introductions = [
        c for c in slack.fake.calls_to("conversations.open") if "," in str(c.args["users"])
    ]
    assert len(introductions) == 1
    assert sum("Good news" in t for t in slack.dm_texts("U_ANA")) == 1


# --- housekeeping --------------------------------------------------------------------------
def test_interaction_keys_are_kept_for_days_then_dropped_by_housekeeping(
    slack: BotUnderTest, pair: int, clock: FakeClock
) -> None:
    submission = submit_agreement(slack)
    clock.advance(days=2)
    slack.run_sweeps()
    assert count(slack, ProcessedInteraction) == 1  # Slack signs for 5 minutes; days is plenty
    replay(slack, submission)
    assert agreement_versions(slack) == [1]

    clock.advance(days=1, minutes=1)
    slack.run_sweeps()

    assert count(slack, ProcessedInteraction) == 0
