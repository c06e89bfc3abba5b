"""The app factory every entry point uses (Socket Mode, HTTP, tests, sandbox), and the one place
where the features' flows are built and wired to each other."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk import WebClient

import core.kernel.schema  # noqa: F401  (every table mapped before the first query)
from bot import handlers
from bot.flows.coordination import CoordinatorFlow
from bot.flows.faq import FaqFlow
from bot.flows.matching import MatchingFlow
from bot.flows.onboarding import OnboardingFlow
from bot.flows.relationships import RelationshipFlow
from bot.flows.self_service import EveryoneFlow
from bot.handlers.lifecycle import SendGuard
from bot.platform import degraded, middleware
from bot.platform.ack_runner import PromptAckRunner
from bot.platform.executor import JobQueue, TrackedExecutor
from bot.platform.hooks import Hooks
from bot.platform.server import ACK_THREADS
from bot.platform.slack_retry import SafeRetryHandler
from bot.scheduling.scheduler import housekeeping
from core.kernel.clock import Clock, SystemClock
from core.kernel.db import ACK_PATH_WAIT_MS, REQUEST_WAIT_MS, Database, patience
from core.kernel.settings import Settings, SettingsError

if TYPE_CHECKING:
    from bot.handlers.commands import Subcommand
    from bot.scheduling.scheduler import Sweep

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Flows:
    """Each feature's flow, built once per app by `create_app`. A flow that needs another gets
    it in its constructor; a feature that must let others react without knowing them (which
    would make a cycle: onboarding -> matching -> relationships -> onboarding) goes through
    `MentorApp.hooks`."""

    onboarding: OnboardingFlow
    faq: FaqFlow
    matching: MatchingFlow
    relationship: RelationshipFlow
    everyone: EveryoneFlow
    coordinator: CoordinatorFlow


def _ready_event() -> threading.Event:
    event = threading.Event()
    event.set()
    return event


@dataclass
class MentorApp:
    """Everything one running bot needs: settings, database, clock, the Bolt app and the
    features' flows."""

    settings: Settings
    db: Database
    clock: Clock
    bolt: App
    executor: TrackedExecutor
    client: WebClient
    # long work a request sets off (match runs, exports, invitations, announcements)
    jobs: JobQueue = field(default_factory=JobQueue)
    hooks: Hooks = field(default_factory=Hooks)
    # `/mentoring <name>`: each feature's handlers add their subcommands
    commands: dict[str, Subcommand] = field(default_factory=dict)
    # the subcommands only coordinators may use (a typo is not corrected to one of these
    # for someone who coordinates nothing)
    coordinator_commands: set[str] = field(default_factory=set)
    # what the scheduler runs every minute; each feature's handlers add theirs
    sweeps: list[Sweep] = field(default_factory=lambda: [housekeeping])
    # when the relationship sweep last pruned the delivery ledger (`time.monotonic()`)
    deliveries_pruned_at: float | None = None
    # set once start-up's warm-ups are done (`bot.cli.startup.warm_up`); `/healthz` answers
    # 503 "starting" until then. Ready at once when nothing is warmed (tests, the sandbox).
    ready: threading.Event = field(default_factory=_ready_event)
    flows: Flows = field(init=False)
    send_guard: SendGuard = field(init=False)

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until all listener work and jobs set off so far have finished (a listener may
        queue a job, a job may queue another: wait until both pools are idle together)."""
        deadline = time.monotonic() + timeout
        while True:
            for pool in (self.executor, self.jobs):
                if not pool.wait_idle(max(0.0, deadline - time.monotonic())):
                    return False
            if self.executor.pending == 0 and self.jobs.pending == 0:
                return True

    def close(self) -> None:
        self.executor.shutdown(wait=True)
        self.jobs.shutdown(wait=True)
        self.db.dispose()


# Threads that take a request up to its acknowledgement (`ACK_THREADS`), listener threads
# (`MentorApp.executor`), job workers (`MentorApp.jobs`), and a few for the scheduler and
# health checks: each may hold a database connection at once.
LISTENER_THREADS = 8
POOL_SIZE = ACK_THREADS + LISTENER_THREADS + 4 + 2


def open_database(url: str) -> Database:
    """The bot's database, with a connection pool as large as the threads that may use it
    together: a burst of requests then never waits for a connection nor opens and closes
    extra ones (SQLAlchemy's default keeps 5 and closes any beyond them when returned)."""
    if ":memory:" in url:
        return Database(url)
    return Database(url, pool_size=POOL_SIZE, max_overflow=4)


def create_client(settings: Settings) -> WebClient:
    """The Web API client. Its one retry handler waits out 429s (Slack did not act) and
    repeats a call after a connection error only when repeating it cannot make Slack act
    twice, so a slow Slack never turns one chat.postMessage into two (bot/platform/slack_retry)."""
    assert settings.slack_bot_token is not None
    return WebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        retry_handlers=[SafeRetryHandler()],
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
    db = db or open_database(settings.database_url)
    client = create_client(settings)
    # Listeners (and so acknowledgements) on 8 threads whose database waits are bounded;
    # long work goes to `MentorApp.jobs` so it can never hold up an acknowledgement.
    executor = TrackedExecutor(max_workers=LISTENER_THREADS, wait_ms=REQUEST_WAIT_MS)
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
    # Answer Slack the moment a listener acknowledges (Bolt's own runner checks every 10 ms);
    # installed before `degraded.register` sets the global error handler on it.
    bolt._listener_runner = PromptAckRunner.replacing(bolt._listener_runner)
    mentor = MentorApp(
        settings=settings, db=db, clock=clock, bolt=bolt, executor=executor, client=client
    )
    bolt.dispatch = _on_ack_path(bolt.dispatch)  # type: ignore[method-assign]
    mentor.send_guard = SendGuard(mentor)
    mentor.flows = build_flows(mentor)
    degraded.register(bolt, mentor)
    middleware.register(bolt, mentor)
    handlers.register(bolt, mentor)
    return mentor


def _on_ack_path(dispatch: Callable[[BoltRequest], BoltResponse]) -> Callable[..., BoltResponse]:
    """Bolt's middleware runs before the acknowledgement: its database waits must leave time
    to answer Slack within 3 s (HTTP and Socket Mode both come through `dispatch`)."""

    def bounded(req: BoltRequest) -> BoltResponse:
        with patience(ACK_PATH_WAIT_MS):
            return dispatch(req)

    return bounded


def build_flows(mentor: MentorApp) -> Flows:
    """Build every flow once, hand each the flows it calls, and subscribe the flows that react
    to other features' events to `mentor.hooks`."""
    hooks = mentor.hooks
    onboarding = OnboardingFlow(mentor)
    faq = FaqFlow(mentor)
    matching = MatchingFlow(mentor.db, mentor.clock, hooks)
    relationship = RelationshipFlow(mentor, onboarding)
    # One sender: the relationship flow's deliverer sends every kind in the delivery ledger;
    # other features add their kinds' renderers to its registry.
    relationship.renderers.update(matching.renderers())
    relationship.deliverer.followups.update(matching.followups(mentor.client))
    matching.deliverer = lambda: relationship.deliverer
    coordinator = CoordinatorFlow(mentor, matching_flow=matching)
    relationship.renderers.update(coordinator.renderers())
    coordinator.deliverer = lambda: relationship.deliverer
    flows = Flows(
        onboarding=onboarding,
        faq=faq,
        matching=matching,
        relationship=relationship,
        everyone=EveryoneFlow(mentor, onboarding),
        coordinator=coordinator,
    )
    # The order of `on_home_section` is the order of the sections on the Home tab.
    hooks.on_dm(faq.on_dm)
    hooks.on_aside(faq.answer_if_confident)
    hooks.on_home_section(faq.home_section)
    hooks.on_profile_confirmed(matching.on_profile_confirmed)
    hooks.on_rematch_requested(matching.on_rematch_requested)
    hooks.on_requests_withdrawn(matching.on_requests_withdrawn)
    hooks.on_home_section(matching.home_section)
    hooks.on_program_home_section(matching.program_home_section)
    hooks.on_home_section(relationship.home_section)
    hooks.on_pair_created(relationship.on_pair_created)
    return flows
