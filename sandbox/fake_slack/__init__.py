"""A stateful fake of Slack's Web API for tests and the browser sandbox.

Quick tour::

    from slack_sdk import WebClient
    from sandbox.fake_slack import FakeSlack

    with FakeSlack() as fake:                       # 127.0.0.1, free port, manifest.yml scopes
        fake.add_user("U1", "ada", tz="Europe/Berlin")
        client = WebClient(base_url=fake.api_url, token=fake.bot_token)
        dm = client.conversations_open(users="U1")["channel"]["id"]
        client.chat_postMessage(channel=dm, text="hi", blocks=[...])
        assert fake.last_dm("U1").text == "hi"

Every call is checked against ``../shared/slack-api-ref`` (the method exists, the token is
right, required arguments are present, the manifest grants one of the method's bot scopes)
and recorded in ``fake.calls``. Messages, views and files are kept so tests can inspect them
and :class:`sandbox.driver.SlackDriver` can click the buttons in them. Errors Slack documents
can be injected with ``fake.fail_next`` / ``fake.rate_limit_next``.
"""

from .api_ref import COMMON_ERRORS, ENV_VAR, ApiReference, default_api_ref_dir
from .blockkit import ElementRef, iter_elements, validate_blocks, validate_view
from .core import FakeSlack, SlackApiFailure
from .models import ApiCall, Channel, FakeFile, Message, SlackWarning, View

__all__ = [
    "COMMON_ERRORS",
    "ENV_VAR",
    "ApiCall",
    "ApiReference",
    "Channel",
    "ElementRef",
    "FakeFile",
    "FakeSlack",
    "Message",
    "SlackApiFailure",
    "SlackWarning",
    "View",
    "default_api_ref_dir",
    "iter_elements",
    "validate_blocks",
    "validate_view",
]
