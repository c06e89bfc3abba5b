"""Drive the app under test the way Slack does: correctly signed HTTP requests.

:class:`SlackDriver` plays both Slack's servers (events, slash commands, interactivity
payloads, signed with the app's signing secret) and the Slack client a person uses (it only
clicks buttons and picks options that really exist in the messages and views the app sent to
the :class:`~sandbox.fake_slack.FakeSlack`). Each method returns the app's ``httpx.Response``.

    fake = FakeSlack().start()
    fake.add_user("U1", "ada")
    driver = SlackDriver(app_url + "/slack/events", SIGNING_SECRET, fake,
                         after_request=executor.wait_idle)
    driver.dm("U1", "hi")                        # message.im event
    driver.click("U1", "onboarding.start")       # a button in the bot's latest DM to U1
    driver.submit_view("U1", values={"goal": {"goal.text": "Public speaking"}})

If the app runs listeners after ``ack()`` on Bolt's thread pool, pass a
:class:`TrackingExecutor` as ``App(listener_executor=...)`` and its ``wait_idle`` as
``after_request`` so every driver call returns only when the listener work has finished.
"""

from .core import SlackDriver
from .executor import TrackingExecutor
from .transport import SLOW_ACK_SECONDS, sign_request

__all__ = ["SLOW_ACK_SECONDS", "SlackDriver", "TrackingExecutor", "sign_request"]
