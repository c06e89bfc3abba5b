"""The real bot wired to the fake Slack: used by the test suite and by the sandbox.

`BotUnderTest` starts the fake Slack Web API, the unmodified bot (HTTP mode, real ASGI server
on 127.0.0.1) pointed at it through `SLACK_API_URL`, and a driver that sends the bot signed
requests the way Slack does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.app import MentorApp, create_app
from bot.platform.server import create_asgi
from bot.scheduling.deliverer import Pacer
from core.kernel.clock import Clock, SystemClock
from core.kernel.settings import load_settings
from sandbox.asgi_thread import ServerThread
from sandbox.driver import SlackDriver
from sandbox.fake_slack import FakeSlack

DEFAULT_SIGNING_SECRET = "sandbox-signing-secret-0123456789"


class BotUnderTest:
    def __init__(
        self,
        *,
        database_url: str,
        clock: Clock | None = None,
        signing_secret: str = DEFAULT_SIGNING_SECRET,
        fake: FakeSlack | None = None,
        # Slack's trigger ids live 3 s (the fake's default, checked in tests/meta/test_fake_slack.py);
        # the bot under test gets 30 s so a loaded test machine cannot expire a modal's trigger.
        trigger_ttl: float = 30.0,
        settings_overrides: dict[str, Any] | None = None,
        # Tests send scheduled messages without Slack's real-time pacing (1 a second, 1 s per
        # channel), which only made them wait; tests of the pacing itself set their own pacer.
        fast_sending: bool = False,
    ) -> None:
        self.database_url = database_url
        self.clock = clock or SystemClock()
        self.signing_secret = signing_secret
        self._own_fake = fake is None
        self.fake = fake or FakeSlack(
            clock=lambda: self.clock.now().timestamp(), trigger_ttl=trigger_ttl
        )
        self.settings_overrides = settings_overrides or {}
        self.fast_sending = fast_sending
        self.mentor: MentorApp | None = None
        self.server: ServerThread | None = None
        self.driver: SlackDriver | None = None

    # --- lifecycle -----------------------------------------------------------------------
    def start(self) -> BotUnderTest:
        if self._own_fake and not self._fake_running():
            self.fake.start()
        self._start_bot()
        return self

    def _fake_running(self) -> bool:
        try:
            return bool(self.fake.api_url)
        except Exception:
            return False

    def _start_bot(self) -> None:
        settings = load_settings(
            _env_file=None,
            SLACK_BOT_TOKEN=self.fake.bot_token,
            SLACK_SIGNING_SECRET=self.signing_secret,
            SLACK_API_URL=self.fake.api_url,
            DATABASE_URL=self.database_url,
            **self.settings_overrides,
        )
        self.mentor = create_app(settings, clock=self.clock)
        if self.fast_sending:
            self.mentor.flows.relationship.deliverer.pacer = Pacer(
                rate=500, burst=100, channel_interval=0
            )
        self.server = ServerThread(create_asgi(self.mentor), name="mentorbot-http")
        self.driver = SlackDriver(
            self.server.url + "/slack/events",
            self.signing_secret,
            self.fake,
            after_request=self.mentor.wait_idle,
        )

    def _stop_bot(self) -> None:
        if self.driver is not None:
            self.driver.close()
        if self.server is not None:
            self.server.stop()
        if self.mentor is not None:
            self.mentor.close()
        self.driver = self.server = self.mentor = None

    def restart(self) -> None:
        """Stop the bot and start a fresh instance on the same database and Slack: what a
        process restart looks like to the people using it."""
        self._stop_bot()
        self._start_bot()

    def stop(self) -> None:
        self._stop_bot()
        if self._own_fake:
            self.fake.stop()

    # --- conveniences for journeys -------------------------------------------------------
    @property
    def events_url(self) -> str:
        assert self.server is not None
        return self.server.url + "/slack/events"

    @property
    def d(self) -> SlackDriver:
        assert self.driver is not None
        return self.driver

    @property
    def app(self) -> MentorApp:
        assert self.mentor is not None
        return self.mentor

    def add_person(self, user_id: str, name: str, **profile: Any) -> dict[str, Any]:
        return self.fake.add_user(user_id, name, **profile)

    def run_sweeps(self) -> None:
        """Run the scheduler's sweep once, as the once-a-minute job would."""
        from bot.scheduling.scheduler import run_sweeps

        run_sweeps(self.app)
        self.app.wait_idle()

    def dm_texts(self, user_id: str) -> list[str]:
        """The text of every message the bot has in its DM with a person, oldest first."""
        return [m.text or "" for m in self.fake.dm_messages(user_id) if m.user != user_id]


def make_harness(**kwargs: Any) -> Callable[[], BotUnderTest]:
    return lambda: BotUnderTest(**kwargs)
