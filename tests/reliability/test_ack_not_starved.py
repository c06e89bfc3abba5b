"""Issue #12 case 10: long work (match runs, exports, invitations, announcements) runs on the
job queue, not on the threads that acknowledge Slack. With the job queue full of blocked jobs
a slash command is still acknowledged and answered; one job more is refused at once."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from bot.platform.executor import JobQueueFull
from sandbox.driver import SlackDriver
from sandbox.harness import BotUnderTest
from tests.conftest import SIGNING_SECRET

USER = "U_ANA"


@pytest.fixture
def blocked(slack: BotUnderTest) -> Iterator[threading.Event]:
    """Eight long jobs that hold the job queue until the test releases them."""
    release = threading.Event()
    started = threading.Semaphore(0)

    def long_job() -> None:
        started.release()
        release.wait()

    for _ in range(8):
        slack.app.jobs.submit(long_job)
    for _ in range(slack.app.jobs.workers):  # every worker is inside a job
        assert started.acquire(timeout=30)
    yield release
    release.set()
    assert slack.app.wait_idle()


def test_a_slash_command_is_acked_while_eight_long_jobs_hold_the_job_queue(
    slack: BotUnderTest, blocked: threading.Event
) -> None:
    slack.add_person(USER, "ana", real_name="Ana Lima")
    # a driver that does not wait for the app to be idle: the jobs are still blocked
    with SlackDriver(slack.events_url, SIGNING_SECRET, slack.fake) as driver:
        response = driver.slash(USER, text="help")
        assert response.status_code == 200
        assert slack.app.executor.wait_idle()  # the listener finished; the jobs did not
    assert not blocked.is_set() and slack.app.jobs.pending == 8
    assert any("/mentoring" in (m.text or "") for m in slack.fake.dm_messages(USER))


def test_a_full_job_queue_refuses_more_work_at_once(
    slack: BotUnderTest, blocked: threading.Event
) -> None:
    jobs = slack.app.jobs
    for _ in range(jobs.capacity - jobs.pending):
        jobs.submit(blocked.wait)
    with pytest.raises(JobQueueFull):
        jobs.submit(blocked.wait)
    assert jobs.pending == jobs.capacity
