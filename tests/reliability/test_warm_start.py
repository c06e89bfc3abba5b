"""Warm start (issue #17): `/healthz` says ready only once start-up's warm-ups are done, so a
load balancer (or Slack, through it) sends the first event to a warm bot; the server already
listens meanwhile, and a failed warm-up step does not keep the bot from becoming ready."""

from __future__ import annotations

import threading

import httpx

from bot.cli.run import warm_up_steps
from bot.cli.startup import warm_up
from sandbox.harness import BotUnderTest


def _health(slack: BotUnderTest) -> httpx.Response:
    assert slack.server is not None
    return httpx.get(slack.server.url + "/healthz")


def test_healthz_says_starting_until_the_warm_up_is_done_then_ok(slack: BotUnderTest) -> None:
    gate = threading.Event()
    warming = warm_up(slack.app, [gate.wait])
    try:
        starting = _health(slack)
        assert starting.status_code == 503 and starting.json() == {"status": "starting"}
        # the server listens meanwhile: a request that arrives anyway is still answered
        slack.add_person("U_EARLY", "early")
        assert slack.d.slash("U_EARLY", text="help").status_code == 200
        assert _health(slack).status_code == 503
    finally:
        gate.set()
        warming.join(timeout=30)
    ready = _health(slack)
    assert ready.status_code == 200 and ready.json() == {"status": "ok"}


def test_a_failing_warm_up_step_does_not_keep_the_bot_from_ready(slack: BotUnderTest) -> None:
    ran: list[str] = []

    def broken() -> None:
        raise RuntimeError("the model is missing")

    warm_up(slack.app, [broken, lambda: ran.append("next")]).join(timeout=30)
    assert ran == ["next"]
    assert _health(slack).status_code == 200


def test_the_real_warm_up_steps_finish_and_the_first_home_open_is_published(
    slack: BotUnderTest,
) -> None:
    warm_up(slack.app, warm_up_steps(slack.app)).join(timeout=120)
    assert _health(slack).status_code == 200
    slack.add_person("U_FIRST", "first")
    assert slack.d.open_home("U_FIRST").status_code == 200
    assert slack.fake.home_view("U_FIRST") is not None
