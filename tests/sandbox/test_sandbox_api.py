"""The sandbox server without a browser: its JSON API drives the real bot the way the page does
(pick a person, open the app, DM, click, choose, fill a modal, run /mentoring, move the clock,
reset), and the demo seed it starts from."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bot.scheduling.scheduler import sweeps
from core.kernel.models import ProcessedEvent
from core.matchmaking.models import (
    PAIR_ACTIVE,
    PAIR_COMPLETED,
    REQUEST_PENDING,
    MentorRequest,
    Pair,
)
from core.people.models import Participation, Person
from sandbox import seed as demo
from sandbox.app import Sandbox

MAYA = demo.NEWCOMER


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    with Sandbox(tmp_path / "sandbox.db", port=0) as running:
        yield running


@pytest.fixture
def api(sandbox: Sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.url, timeout=30) as client:
        yield client


def people(api: httpx.Client) -> dict[str, dict[str, Any]]:
    response = api.get("/api/people")
    assert response.status_code == 200, response.text
    return {p["id"]: p for p in response.json()["people"]}


def state(api: httpx.Client, user: str) -> dict[str, Any]:
    response = api.get("/api/state", params={"user": user})
    assert response.status_code == 200, response.text
    return response.json()["state"]


def post(api: httpx.Client, path: str, **body: Any) -> dict[str, Any]:
    response = api.post(path, json=body)
    assert response.status_code == 200, response.text
    return response.json()


def bot_messages(api: httpx.Client, user: str) -> list[dict[str, Any]]:
    return [m for m in state(api, user)["dm"]["messages"] if m["from_bot"]]


def source(message: dict[str, Any]) -> dict[str, str]:
    return {"kind": "message", "channel": message["channel"], "ts": message["ts"]}


def all_text(message: dict[str, Any]) -> str:
    return message["text"] + repr(message["blocks"])


def holding(api: httpx.Client, user: str, action_id: str) -> dict[str, str]:
    """Where the newest bot message in the person's DM with `action_id` in it is."""
    for message in reversed(bot_messages(api, user)):
        if action_id in repr(message["blocks"]):
            return source(message)
    raise AssertionError(f"no message of the bot to {user} holds {action_id}")


def click(api: httpx.Client, user: str, action_id: str) -> None:
    post(api, "/api/click", user=user, source=holding(api, user, action_id), action_id=action_id)


def choose(api: httpx.Client, user: str, action_id: str, values: Any) -> None:
    where = holding(api, user, action_id)
    post(api, "/api/select", user=user, source=where, action_id=action_id, values=values)


def onboard_maya_as_a_mentee(api: httpx.Client) -> None:
    if not any("onboarding.role.select" in repr(m["blocks"]) for m in bot_messages(api, MAYA)):
        post(api, "/api/open", user=MAYA, tab="messages")
        click(api, MAYA, "home.join")  # the greeting's Join: nothing starts before it
    click(api, MAYA, "onboarding.role.select.mentee")
    choose(api, MAYA, "onboarding.goals.select", ["public-speaking"])
    post(api, "/api/dm", user=MAYA, text="Give a talk at the all-hands without notes")
    click(api, MAYA, "onboarding.format.select.remote")
    choose(api, MAYA, "onboarding.languages.select", ["en"])
    click(api, MAYA, "onboarding.notes.skip")
    click(api, MAYA, "onboarding.review.confirm")


def participation_of(sandbox: Sandbox, user: str) -> Participation | None:
    assert sandbox.bot is not None
    with sandbox.bot.app.db.transaction() as session:
        return session.scalars(
            select(Participation)
            .join(Person, Participation.person_id == Person.id)
            .where(Person.slack_user_id == user)
        ).first()


# ------------------------------------------------------------------------------ the seed
def test_the_demo_seed_is_an_organisation_with_a_program_in_every_stage(api: httpx.Client) -> None:
    everyone = people(api)
    assert len(everyone) == 30
    assert everyone[demo.COORDINATOR]["coordinator"] is True
    assert everyone[MAYA]["stage"] == "not joined"
    assert everyone["U0NINA"]["stage"] == everyone["U0HANNAH"]["stage"] == "setting up"
    assert everyone["U0RYAN"]["stage"] == "left"
    assert everyone["U0KENJI"]["paired"] and everyone["U0ETHAN"]["paired"]
    assert everyone["U0VICTOR"]["request_pending"] and everyone["U0ARJUN"]["request_pending"]
    stages = {p["stage"] for p in everyone.values()}
    assert {"mentor", "mentee", "both", "setting up", "left", "not joined"} <= stages
    # a reporting tree: one root, and everyone else's manager is in the organisation
    roots = [p for p in everyone.values() if p["manager"] is None]
    assert [p["name"] for p in roots] == ["Olivia Chen"]
    assert all(p["manager"] in everyone for p in everyone.values() if p["manager"])
    assert max(p["depth"] for p in everyone.values()) == 3
    # time zones and titles come from Slack profiles
    assert (
        everyone[MAYA]["tz"] == "Europe/London" and everyone[MAYA]["title"] == "Software Engineer"
    )


def test_seeded_people_are_where_the_seed_left_them_for_the_bot(api: httpx.Client) -> None:
    # members who onboarded are not asked again when they open the app...
    post(api, "/api/open", user="U0TOM", tab="messages")
    assert bot_messages(api, "U0TOM") == []
    post(api, "/api/open", user="U0TOM", tab="home")
    assert "home.profile.edit" in repr(state(api, "U0TOM")["home"]["blocks"])
    # ...and someone half way through picks up at their question from the Home tab
    post(api, "/api/open", user="U0HANNAH", tab="home")
    assert "home.continue" in repr(state(api, "U0HANNAH")["home"]["blocks"])
    click_home(api, "U0HANNAH", "home.continue")
    assert "onboarding.goals.select" in repr(bot_messages(api, "U0HANNAH")[-1]["blocks"])


def click_home(api: httpx.Client, user: str, action_id: str) -> None:
    home = state(api, user)["home"]
    where = {"kind": "view", "id": home["id"]}
    post(api, "/api/click", user=user, source=where, action_id=action_id)


def test_the_seed_writes_people_profiles_pairs_and_requests(db, clock) -> None:  # noqa: ANN001
    from sandbox.fake_slack import FakeSlack

    fake = FakeSlack()
    demo.add_to_slack(fake)
    assert not demo.is_seeded(db, fake.team_id)
    demo.seed(db, clock, fake)
    assert demo.is_seeded(db, fake.team_id)
    with db.transaction() as session:
        persons = {p.slack_user_id: p for p in session.scalars(select(Person))}
        assert len(persons) == 30
        maya = persons[MAYA]
        assert (maya.display_name, maya.timezone, maya.manager_slack_id) == (
            "Maya Patel",
            "Europe/London",
            "U0AISHA",
        )
        confirmed = session.scalars(
            select(Participation).where(Participation.profile_confirmed_at.is_not(None))
        ).all()
        assert len(confirmed) >= 15
        pairs = session.scalars(select(Pair)).all()
        assert sorted(p.status for p in pairs) == sorted([PAIR_ACTIVE, PAIR_ACTIVE, PAIR_COMPLETED])
        request = session.scalars(select(MentorRequest)).one()
        assert request.status == REQUEST_PENDING
        assert request.expires_at - request.created_at == timedelta(days=4)
        # the mentor a newcomer who wants Public speaking will be offered: the only one
        speakers = [
            p
            for p in confirmed
            if p.is_mentor and "public-speaking" in {e.competency_id for e in p.expertise}
        ]
        assert [persons_by_id(persons)[p.person_id] for p in speakers] == [
            demo.PUBLIC_SPEAKING_MENTOR
        ]
    # seeding again is refused by the caller's check, and an unknown seed is an error
    with pytest.raises(ValueError, match="unknown seed"):
        demo.seed(db, clock, fake, "everything")


def persons_by_id(persons: dict[str, Person]) -> dict[int, str]:
    return {p.id: uid for uid, p in persons.items()}


# ------------------------------------------------------------------------- using the bot
def test_pick_a_person_open_the_app_and_onboard_with_clicks(
    sandbox: Sandbox, api: httpx.Client
) -> None:
    before = state(api, MAYA)
    assert before["dm"]["messages"] == [] and before["home"] is None
    assert [c["name"] for c in before["channels"]] == ["#mentoring-program"]

    post(api, "/api/open", user=MAYA, tab="messages")  # Slack's app_home_opened
    greeting = bot_messages(api, MAYA)[-1]
    assert "Maya" in all_text(greeting) and "home.join" in all_text(greeting)
    assert "onboarding.role.select.mentee" not in all_text(greeting)  # nothing starts unasked
    click(api, MAYA, "home.join")
    welcome = bot_messages(api, MAYA)[-1]
    assert "onboarding.role.select.mentee" in all_text(welcome)

    # typing something that is no answer where a button is expected gets a hint
    post(api, "/api/dm", user=MAYA, text="purple elephants")
    assert "buttons" in bot_messages(api, MAYA)[-1]["text"]

    onboard_maya_as_a_mentee(api)
    participation = participation_of(sandbox, MAYA)
    assert participation is not None and participation.confirmed
    assert participation.is_mentee and participation.meeting_format == "remote"
    assert people(api)[MAYA]["stage"] == "mentee"
    assert "confirmed" in " ".join(m["text"] for m in bot_messages(api, MAYA))

    post(api, "/api/open", user=MAYA, tab="home")
    home = state(api, MAYA)["home"]
    assert home is not None and "home.profile.edit" in repr(home["blocks"])


def test_slash_commands_and_their_ephemeral_answers(api: httpx.Client) -> None:
    post(api, "/api/slash", user=MAYA, text="/mentoring help")
    reply = state(api, MAYA)["dm"]["messages"][-1]
    assert reply["ephemeral"] and "/mentoring join" in reply["text"]
    # in a channel, the answer is shown in that channel, to that person only
    channel = state(api, MAYA)["channels"][0]["id"]
    post(api, "/api/slash", user=MAYA, text="/mentoring help", channel=channel)
    seen = state(api, MAYA)["channels"][0]["messages"]
    assert seen and seen[-1]["ephemeral"]
    assert state(api, "U0TOM")["channels"][0]["messages"] == []
    # a command the app does not declare: Slack would not send it
    response = api.post("/api/slash", json={"user": MAYA, "text": "/giphy cats"})
    assert response.status_code == 400 and "no /giphy command" in response.json()["error"]


def test_channel_messages_are_shown_to_members_and_not_sent_to_the_bot(
    sandbox: Sandbox, api: httpx.Client
) -> None:
    channel = state(api, MAYA)["channels"][0]["id"]
    assert sandbox.bot is not None
    before = sandbox.bot.app.executor.pending, len(sandbox._fake().calls)
    post(api, "/api/channel-message", user=MAYA, channel=channel, text="Hello *everyone*")
    assert [m["text"] for m in state(api, "U0TOM")["channels"][0]["messages"]] == [
        "Hello *everyone*"
    ]
    # the manifest subscribes to no channel messages, so the bot heard nothing
    assert (sandbox.bot.app.executor.pending, len(sandbox._fake().calls)) == before


def test_fill_and_submit_a_modal(sandbox: Sandbox, api: httpx.Client) -> None:
    lucas = "U0LUCAS"  # a confirmed mentee from the seed
    post(api, "/api/slash", user=lucas, text="/mentoring profile")
    modals = state(api, lucas)["modals"]
    assert len(modals) == 1
    view = modals[0]
    assert view["submit"] and "profile_notes" in repr(view["blocks"])

    # too long for the field: what Slack's client would not let through is refused clearly
    response = api.post(
        "/api/submit",
        json={
            "user": lucas,
            "view_id": view["id"],
            "values": {"profile_notes": {"profile.notes": "x" * 600}},
        },
    )
    assert response.status_code == 400
    assert response.json()["error"] == "That is longer than this field allows: please shorten it."

    done = post(
        api,
        "/api/submit",
        user=lucas,
        view_id=view["id"],
        values={
            "profile_notes": {"profile.notes": "Happy to meet on Fridays"},
            "profile_format": {"profile.format": "in_person"},
        },
    )
    assert done["outcome"] == "closed"
    assert state(api, lucas)["modals"] == []
    participation = participation_of(sandbox, lucas)
    assert participation is not None
    assert participation.notes == "Happy to meet on Fridays"
    assert participation.meeting_format == "in_person"
    # a stale window can no longer be submitted
    response = api.post("/api/submit", json={"user": lucas, "view_id": view["id"], "values": {}})
    assert response.status_code == 409


def test_clicks_must_match_what_the_person_can_see(api: httpx.Client) -> None:
    post(api, "/api/open", user=MAYA, tab="messages")
    prompt = bot_messages(api, MAYA)[-1]
    response = api.post(
        "/api/click",
        json={"user": MAYA, "source": source(prompt), "action_id": "onboarding.review.confirm"},
    )
    # in words a person understands: no action ids, no user ids
    assert response.status_code == 409
    assert response.json()["error"] == (
        "That button is no longer there — the message was already answered."
    )
    # someone else's message is not theirs to click
    response = api.post(
        "/api/click",
        json={
            "user": "U0TOM",
            "source": source(prompt),
            "action_id": "home.join",
        },
    )
    assert response.status_code == 404
    assert api.get("/api/state", params={"user": "U0NOBODY"}).status_code == 404


def test_moving_the_clock_runs_the_sweeps_with_the_new_time(
    sandbox: Sandbox, api: httpx.Client
) -> None:
    assert sandbox.scheduler is not None and sandbox.scheduler.get_job("sweep") is not None
    seen: list[Any] = []
    assert sandbox.bot is not None
    mentor = sandbox.bot.app
    sweeps(mentor).append(lambda m: seen.append(m.clock.now()))  # a feature's sweep
    post(api, "/api/open", user=MAYA, tab="messages")  # an event: its id is kept 3 days

    def processed_events() -> int:
        with mentor.db.transaction() as session:
            return int(session.scalar(select(func.count()).select_from(ProcessedEvent)) or 0)

    assert processed_events() == 1
    start = sandbox.clock.now()
    clock = post(api, "/api/clock", step="day")["clock"]
    assert clock["offset_seconds"] == 86400 and processed_events() == 1
    post(api, "/api/clock", step="hour")
    post(api, "/api/clock", step="week")
    assert processed_events() == 0  # the real housekeeping sweep, run with the moved clock
    # a sweep per step, and per day crossed on the way (a week: seven)
    assert len(seen) == 1 + 1 + 7 and seen[-1] - start >= timedelta(days=8, hours=1)
    assert people(api)[MAYA]["stage"] == "not joined"  # opening the app starts nothing
    response = api.post("/api/clock", json={"step": "year"})
    assert response.status_code == 400 and "hour, day, week, month" in response.json()["error"]

    # the offset lives in the sandbox's database file, so a restart keeps it (and the data)
    expected = int(timedelta(days=8, hours=1).total_seconds())
    with sqlite3.connect(sandbox.db_path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == expected
    sandbox.stop()
    with Sandbox(sandbox.db_path, port=0) as again:
        assert not again.seeded_on_start
        assert int(again.clock.offset.total_seconds()) == expected
        with httpx.Client(base_url=again.url) as client:
            assert people(client)[MAYA]["stage"] == "not joined"


def test_reset_starts_again_from_the_seed(sandbox: Sandbox, api: httpx.Client) -> None:
    onboard_maya_as_a_mentee(api)
    post(api, "/api/clock", step="week")
    assert people(api)[MAYA]["stage"] == "mentee"
    clock = post(api, "/api/reset")["clock"]
    assert clock["offset_seconds"] == 0
    after = people(api)
    assert len(after) == 30 and after[MAYA]["stage"] == "not joined"
    assert after["U0KENJI"]["paired"]
    assert state(api, MAYA)["dm"]["messages"] == []
    assert participation_of(sandbox, MAYA) is None
    # and the bot works on the fresh data
    post(api, "/api/open", user=MAYA, tab="messages")
    assert "home.join" in all_text(bot_messages(api, MAYA)[-1])


def test_unread_counts_show_who_the_bot_wrote_to(api: httpx.Client) -> None:
    post(api, "/api/open", user=MAYA, tab="messages")
    post(api, "/api/slash", user="U0TOM", text="/mentoring help")  # looks at Tom's screen
    assert people(api)[MAYA]["unread"] >= 1
    state(api, MAYA)  # Maya looks at her DM
    assert people(api)[MAYA]["unread"] == 0


def test_only_local_same_origin_json_requests_are_answered(sandbox: Sandbox) -> None:
    with httpx.Client(base_url=sandbox.url) as client:
        assert client.get("/api/people", headers={"Host": "attacker.example"}).status_code == 403
        cross_site = client.post(
            "/api/reset", json={}, headers={"Origin": "http://attacker.example"}
        )
        assert cross_site.status_code == 403
        assert client.post("/api/reset", data={"x": "1"}).status_code == 415
        page = client.get("/")
        assert page.status_code == 200 and "mentorbot sandbox" in page.text
        assert client.get("/static/app.js").status_code == 200
        # the fake Slack Web API is mounted on the same server, and checks tokens
        assert client.post("/fake-slack/api/auth.test").json()["error"] == "not_authed"
