"""The app factory every entry point uses (Socket Mode, HTTP, tests)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler

import core.kernel.schema  # noqa: F401  (every table mapped before the first query)
from bot import handlers
from bot.platform import middleware
from bot.platform.executor import TrackedExecutor
from bot.platform.hooks import Hooks
from core.kernel.clock import Clock, SystemClock
from core.kernel.db import Database
from core.kernel.settings import Settings, SettingsError

logger = logging.getLogger(__name__)


@dataclass
class MentorApp:
    """Everything one running bot needs: settings, database, clock and the Bolt app."""

    settings: Settings
    db: Database
    clock: Clock
    bolt: App
    executor: TrackedExecutor
    client: WebClient
    hooks: Hooks = field(default_factory=Hooks)
    extras: dict[str, object] = field(default_factory=dict)

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until all listener work set off so far has finished."""
        return self.executor.wait_idle(timeout)

    def close(self) -> None:
        self.executor.shutdown(wait=True)
        self.db.dispose()


def create_client(settings: Settings) -> WebClient:
    assert settings.slack_bot_token is not None
    return WebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=2)],
    )


def create_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    db: Database | None = None,
    socket_mode: bool = False,
) -> MentorApp:
    settings.require_slack()
    clock = clock or SystemClock()
    db = db or Database(settings.database_url)
    client = create_client(settings)
    executor = TrackedExecutor(max_workers=8)
    signing_secret = (
        settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    )
    if signing_secret is None and not socket_mode:
        raise SettingsError("SLACK_SIGNING_SECRET is not set: HTTP mode needs it")
    bolt = App(
        client=client,
        signing_secret=signing_secret or "socket-mode-does-not-sign",
        request_verification_enabled=not socket_mode,
        token_verification_enabled=False,
        listener_executor=executor,
        process_before_response=False,
        raise_error_for_unhandled_request=False,
    )
    mentor = MentorApp(
        settings=settings, db=db, clock=clock, bolt=bolt, executor=executor, client=client
    )
    middleware.register(bolt, mentor)
    handlers.register(bolt, mentor)
    return mentor
