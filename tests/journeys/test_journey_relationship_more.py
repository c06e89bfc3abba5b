"""More of a relationship through Slack: `/mentoring met` with dates, a pair made without the
pair-created hook, the agreement nudge after 7 days (once), the App Home's pause and resume,
and a partner leaving the program."""

from __future__ import annotations

from sqlalchemy import select, update

from bot.scheduling.deliverer import Pacer
from core.matchmaking.models import Pair
from core.people.models import Participation, Person
from core.relationships.models import Meeting
from core.relationships.service import agreement_pending_pairs
from sandbox.fake_slack import Message
from sandbox.harness import BotUnderTest
from tests.relationship_support import ANA, BEN, TEAM, add_to_fake, agree, at, seed_pair


def scheduled(slack: BotUnderTest, user: str) -> list[Message]:
    return [m for m in slack.fake.dm_messages(user) if m.from_bot and m.via == "api"]


def replies(slack: BotUnderTest, user: str) -> str:
    return slack.fake.dm_messages(user)[-1].text or ""


def setup(slack: BotUnderTest) -> None:
    slack.app.flows.relationship.deliverer.pacer = Pacer(rate=500, burst=100, channel_interval=0)
    add_to_fake(slack, ANA, BEN)


def test_logging_meetings_with_the_command(slack: BotUnderTest) -> None:
    setup(slack)
    slack.clock.set(at("2026-03-02T09:00:00+00:00"))
    slack.d.slash(ANA.user_id, "/mentoring", "met")
    assert "don't have an active mentoring pair" in replies(slack, ANA.user_id)
    pair_id = seed_pair(slack.app.db, slack.clock)
    agree(slack.app.db, slack.clock, pair_id)
    slack.clock.set(at("2026-03-12T15:00:00+00:00"))  # a Thursday
    slack.d.slash(ANA.user_id, "/mentoring", "met monday")
    slack.d.slash(BEN.user_id, "/mentoring", "met 2026-03-09")  # the same meeting
    slack.d.slash(ANA.user_id, "/mentoring", "met tomorrow")
    assert "couldn't read “tomorrow”" in replies(slack, ANA.user_id)
    slack.d.slash(ANA.user_id, "/mentoring", "met 20 March")
    assert "in the future" in replies(slack, ANA.user_id)
    slack.d.slash(ANA.user_id, "/mentoring", "met 1 March")
    assert "before you were matched" in replies(slack, ANA.user_id)
    slack.d.slash(BEN.user_id, "/mentoring", "met @ana yesterday")
    with slack.app.db.transaction() as session:
        days = [str(m.met_on) for m in session.scalars(select(Meeting).order_by(Meeting.met_on))]
    assert days == ["2026-03-09", "2026-03-11"]
    assert "already logged" in " ".join(
        m.text or "" for m in slack.fake.dm_messages(BEN.user_id) if m.via != "api"
    )
    for user in (ANA.user_id, BEN.user_id):
        logged = [m.text for m in scheduled(slack, user) if "logged" in (m.text or "")]
        assert len(logged) == 2


def test_a_pair_made_without_the_hook_is_invited_in_working_hours(slack: BotUnderTest) -> None:
    setup(slack)
    slack.clock.set(at("2026-03-14T10:00:00+00:00"))  # a Saturday
    seed_pair(slack.app.db, slack.clock)  # no pair_created call
    slack.run_sweeps()
    assert scheduled(slack, ANA.user_id) == []
    slack.clock.set(at("2026-03-16T09:00:00+00:00"))
    slack.run_sweeps()
    slack.run_sweeps()
    invite = scheduled(slack, ANA.user_id)
    assert len(invite) == 1 and "learning agreement" in invite[0].text
    assert scheduled(slack, BEN.user_id) == []  # 05:00 in New York
    slack.clock.set(at("2026-03-16T13:00:00+00:00"))
    slack.run_sweeps()
    assert len(scheduled(slack, BEN.user_id)) == 1


def test_a_pair_without_an_agreement_is_nudged_once_after_a_week(slack: BotUnderTest) -> None:
    setup(slack)
    slack.clock.set(at("2026-03-02T09:00:00+00:00"))
    pair_id = seed_pair(slack.app.db, slack.clock)
    slack.app.hooks.pair_created(slack.app.client, TEAM, pair_id)
    slack.app.wait_idle()
    slack.clock.set(at("2026-03-09T08:59:00+00:00"))
    slack.run_sweeps()
    assert all("isn't confirmed yet" not in str(m.blocks) for m in scheduled(slack, ANA.user_id))
    for when in (
        "2026-03-09T09:00:00+00:00",
        "2026-03-09T13:00:00+00:00",
        "2026-03-16T14:00:00+00:00",
    ):
        slack.clock.set(at(when))
        slack.run_sweeps()
    for user in (ANA.user_id, BEN.user_id):
        nudges = [m for m in scheduled(slack, user) if "isn't confirmed yet" in str(m.blocks)]
        assert len(nudges) == 1
    # ...and coordinators can see it as pending (ids only).
    with slack.app.db.transaction() as session:
        program_id = session.get(Pair, pair_id).program_id  # type: ignore[union-attr]
        assert agreement_pending_pairs(session, program_id, slack.clock.now()) == [pair_id]
    agree(slack.app.db, slack.clock, pair_id)
    with slack.app.db.transaction() as session:
        assert agreement_pending_pairs(session, program_id, slack.clock.now()) == []


def test_pause_and_resume_from_the_home_tab(slack: BotUnderTest) -> None:
    setup(slack)
    slack.clock.set(at("2026-03-02T09:00:00+00:00"))
    pair_id = seed_pair(slack.app.db, slack.clock)
    agree(slack.app.db, slack.clock, pair_id)
    slack.d.slash(ANA.user_id, "/mentoring", "pause 3w")
    assert "couldn't read “3w”" in replies(slack, ANA.user_id)
    slack.d.slash(ANA.user_id, "/mentoring", "pause 2w")
    assert "paused until 16 March" in replies(slack, ANA.user_id)
    with slack.app.db.transaction() as session:
        paused = session.scalars(
            select(Participation.paused_until)
            .join(Person)
            .where(Person.slack_user_id == ANA.user_id)
        ).one()
    assert paused == at("2026-03-16T09:00:00+00:00")
    slack.d.open_home(ANA.user_id)
    home = slack.fake.home_view(ANA.user_id)
    assert "break from reminders until 16 March" in str(home.blocks)
    slack.d.click(ANA.user_id, "relationship.pause.resume")
    assert "Welcome back" in replies(slack, ANA.user_id)
    assert "break from reminders" not in str(slack.fake.home_view(ANA.user_id).blocks)
    slack.d.slash(ANA.user_id, "/mentoring", "resume")
    assert "aren't paused" in replies(slack, ANA.user_id)
    # Ben hears once that Ana is back, in his next scheduled message.
    slack.clock.set(at("2026-03-02T14:00:00+00:00"))
    slack.run_sweeps()
    back = [m for m in scheduled(slack, BEN.user_id) if "is back from a break" in str(m.blocks)]
    assert len(back) == 1


def test_a_partner_leaving_closes_the_pair_kindly(slack: BotUnderTest) -> None:
    setup(slack)
    slack.clock.set(at("2026-03-02T09:00:00+00:00"))
    pair_id = seed_pair(slack.app.db, slack.clock)
    agree(slack.app.db, slack.clock, pair_id)
    slack.run_sweeps()
    with slack.app.db.transaction() as session:
        session.execute(
            update(Participation)
            .where(Participation.id == session.get(Pair, pair_id).mentor_id)  # type: ignore[union-attr]
            .values(status="left")
        )
    slack.clock.set(at("2026-03-03T10:00:00+00:00"))
    slack.run_sweeps()
    with slack.app.db.transaction() as session:
        pair = session.get(Pair, pair_id)
        assert pair is not None and (pair.status, pair.end_reason) == ("ended_early", "left")
    closing = scheduled(slack, ANA.user_id)[-1]
    assert "has left the mentoring program" in str(closing.blocks)
    assert "relationship.rematch.request" in str(closing.blocks)
    assert all("has left" not in str(m.blocks) for m in scheduled(slack, BEN.user_id))
