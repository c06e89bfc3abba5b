"""Issue #12 case 2: the database is down (PostgreSQL behind a cut TCP proxy) or locked
(SQLite held by another connection's BEGIN EXCLUSIVE). Every signed request is still
acknowledged with 200, the person is told in a short line to try again, nothing is written,
and once the database is back the same action works."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Protocol

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from core.kernel.clock import FakeClock
from core.kernel.db import Database
from core.kernel.models import ProcessedEvent
from core.onboarding.models import Conversation
from sandbox.harness import BotUnderTest
from tests.admin_support import make_coordinator
from tests.conftest import SIGNING_SECRET
from tests.tcp_proxy import TcpProxy

TRY_AGAIN = "couldn't do that just now"
USER = "U_ANA"


class Outage(Protocol):
    url: str

    def start(self) -> None: ...
    def stop(self) -> None: ...


class SqliteLock:
    """Another process's exclusive write lock on the SQLite file."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = make_url(url).database
        self.holder: sqlite3.Connection | None = None

    def start(self) -> None:
        self.holder = sqlite3.connect(str(self.path), isolation_level=None)
        self.holder.execute("BEGIN EXCLUSIVE")

    def stop(self) -> None:
        if self.holder is not None:
            self.holder.execute("ROLLBACK")
            self.holder.close()
            self.holder = None


class PostgresCut:
    """PostgreSQL reached through a proxy that is cut: open connections dropped, new ones
    blackholed (the shared server itself is never touched)."""

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        self.proxy = TcpProxy(parsed.port or 5432, parsed.host or "127.0.0.1")
        self.url = parsed.set(host="127.0.0.1", port=self.proxy.port).render_as_string(
            hide_password=False
        )

    def start(self) -> None:
        self.proxy.cut()

    def stop(self) -> None:
        self.proxy.restore()


@pytest.fixture
def outage(database_url: str) -> Iterator[Outage]:
    if database_url.startswith("sqlite"):
        lock = SqliteLock(database_url)
        yield lock
        lock.stop()
        return
    cut = PostgresCut(database_url)
    yield cut
    cut.proxy.close()


@pytest.fixture
def bot(outage: Outage, clock: FakeClock) -> Iterator[BotUnderTest]:
    harness = BotUnderTest(database_url=outage.url, clock=clock, signing_secret=SIGNING_SECRET)
    harness.start()
    harness.add_person(USER, "ana", real_name="Ana Lima", tz="Europe/Lisbon", title="Engineer")
    try:
        yield harness
    finally:
        harness.stop()


def bot_texts(bot: BotUnderTest) -> list[str]:
    return [(m.text or "") for m in bot.fake.dm_messages(USER) if m.user != USER]


def count(database_url: str, what: object) -> int:
    db = Database(database_url)
    try:
        with db.transaction() as session:
            return int(session.scalar(select(func.count()).select_from(what)) or 0)  # type: ignore[arg-type]
    finally:
        db.dispose()


def test_slash_join_while_the_database_is_out_is_acked_and_promises_nothing(
    bot: BotUnderTest, outage: Outage, database_url: str
) -> None:
    outage.start()
    response = bot.d.slash(USER, text="join")
    outage.stop()

    assert response.status_code == 200
    said = bot_texts(bot)
    assert any(TRY_AGAIN in t for t in said), said
    assert not any("sent you a DM" in t for t in said)
    assert count(database_url, Conversation) == 0

    response = bot.d.slash(USER, text="join")
    assert response.status_code == 200
    assert any("sent you a DM" in t for t in bot_texts(bot))
    assert count(database_url, Conversation) == 1


def test_a_dm_while_the_database_is_out_is_acked_and_answered_in_the_dm(
    bot: BotUnderTest, outage: Outage, database_url: str
) -> None:
    outage.start()
    response = bot.d.dm(USER, "I'd like to join")
    outage.stop()

    assert response.status_code == 200
    assert any(TRY_AGAIN in t for t in bot_texts(bot))
    assert count(database_url, Conversation) == 0
    assert count(database_url, ProcessedEvent) == 0  # not marked handled: nothing half-written

    before = len(bot_texts(bot))
    assert bot.d.dm(USER, "I'd like to join").status_code == 200
    after = bot_texts(bot)[before:]
    assert after and not any(TRY_AGAIN in t for t in after)
    assert count(database_url, Conversation) == 1


def test_a_home_tab_opened_while_the_database_is_out_is_left_for_slack_to_redeliver(
    bot: BotUnderTest, outage: Outage, database_url: str
) -> None:
    outage.start()
    response = bot.d.open_home(USER)
    outage.stop()
    # answered at once, but not 2xx: Slack delivers it again later, and then it is handled
    assert response.status_code == 503
    assert not any(TRY_AGAIN in t for t in bot_texts(bot))
    assert bot.d.open_home(USER).status_code == 200
    assert count(database_url, ProcessedEvent) == 1


def test_a_button_clicked_while_the_database_is_out_is_acked_and_can_be_clicked_again(
    bot: BotUnderTest, outage: Outage, database_url: str
) -> None:
    bot.d.dm(USER, "I'd like to join")
    outage.start()
    response = bot.d.click(USER, "onboarding.role.select.mentee")
    outage.stop()

    assert response.status_code == 200
    assert any(TRY_AGAIN in t for t in bot_texts(bot))
    db = Database(database_url)
    with db.transaction() as session:
        (conversation,) = session.scalars(select(Conversation)).all()
        assert conversation.step == "role"  # the click changed nothing
    # the same button still works once the database is back
    assert bot.d.click(USER, "onboarding.role.select.mentee").status_code == 200
    with db.transaction() as session:
        assert session.scalars(select(Conversation)).one().step != "role"
    db.dispose()


def test_a_modal_submitted_while_the_database_is_out_keeps_the_modal_open_with_the_reason(
    bot: BotUnderTest, outage: Outage, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_coordinator(bot, "U_CO", monkeypatch)
    bot.d.slash("U_CO", text="announce")
    view = bot.fake.open_views("U_CO")[-1]
    outage.start()
    response = bot.d.submit_view(
        "U_CO", view.id, {"announce_text": {"coordinator.announce.text": "Hello all"}}
    )
    outage.stop()

    assert response.status_code == 200
    body = response.json()
    assert body["response_action"] == "errors"
    assert any(TRY_AGAIN in str(v) for v in body["errors"].values())
    assert bot.fake.open_views("U_CO")[-1].id == view.id  # still open: nothing typed is lost
