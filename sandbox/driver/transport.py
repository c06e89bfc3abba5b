"""Signed requests to the app, and the user and team objects every Slack payload carries."""

from __future__ import annotations

import ssl
import time
import uuid
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any, Self

import httpx
from slack_sdk.signature import SignatureVerifier

from sandbox.fake_slack import FakeSlack

SLOW_ACK_SECONDS = 3.0  # Slack gives up (and retries events) after 3 s


def sign_request(signing_secret: str, body: bytes | str, timestamp: int | str) -> str:
    """``X-Slack-Signature`` for ``body``: ``v0=`` HMAC-SHA256 of ``v0:{timestamp}:{body}``."""
    signature = SignatureVerifier(signing_secret).generate_signature(
        timestamp=str(timestamp), body=body
    )
    assert signature is not None
    return signature


@cache
def _tls() -> ssl.SSLContext:
    """One verifying TLS context for every driver in the process: building one reads the
    system's CA bundle (about 150 ms), and the tests build a driver per test."""
    return ssl.create_default_context()


class Transport:
    """The driver's configuration and its HTTP side; :class:`~sandbox.driver.SlackDriver`
    documents the arguments."""

    def __init__(
        self,
        events_url: str,
        signing_secret: str,
        fake: FakeSlack,
        *,
        after_request: Callable[[], object] | None = None,
        clock_ts: Callable[[], int] | None = None,
        commands_url: str | None = None,
        interactivity_url: str | None = None,
        api_app_id: str | None = None,
        check_manifest: bool = True,
        timeout: float = 30.0,
    ) -> None:
        self.events_url = events_url
        self.commands_url = commands_url or events_url
        self.interactivity_url = interactivity_url or events_url
        self.signing_secret = signing_secret
        self.fake = fake
        self.after_request = after_request
        self.clock_ts = clock_ts or (lambda: int(time.time()))
        self.api_app_id = api_app_id or fake.app_id
        self.check_manifest = check_manifest
        self.http = httpx.Client(timeout=timeout, verify=_tls())
        self.last_response: httpx.Response | None = None
        self.last_event_id: str | None = None
        self.last_submission_outcome: str | None = None

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ================================================================== transport
    def _post(
        self,
        url: str,
        body: bytes,
        content_type: str,
        *,
        extra_headers: Mapping[str, str] | None = None,
        sign: bool = True,
        timestamp: int | None = None,
    ) -> httpx.Response:
        ts = self.clock_ts() if timestamp is None else timestamp
        headers = {
            "Content-Type": content_type,
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
            "X-Slack-Request-Timestamp": str(ts),
        }
        if sign:
            headers["X-Slack-Signature"] = sign_request(self.signing_secret, body, ts)
        headers.update(extra_headers or {})
        started = time.monotonic()
        response = self.http.post(url, content=body, headers=headers)
        elapsed = time.monotonic() - started
        if elapsed > SLOW_ACK_SECONDS:
            self.fake.add_warning(
                "slow_ack",
                f"the app took {elapsed:.1f} s to answer; Slack gives up after 3 s",
                None,
            )
        self.last_response = response
        return response

    def _done(self, response: httpx.Response) -> httpx.Response:
        if self.after_request is not None and self.after_request() is False:
            # e.g. a wait_idle(timeout) that reports a timeout by returning False
            raise AssertionError("after_request reported that the app's work did not finish")
        return response

    def raw(
        self,
        body: bytes | str,
        headers: Mapping[str, str] | None = None,
        *,
        sign: bool = True,
        timestamp: int | None = None,
        content_type: str = "application/json",
        url: str | None = None,
    ) -> httpx.Response:
        """POST ``body`` as is (signed unless ``sign=False``; ``headers`` override anything,
        e.g. a wrong ``X-Slack-Signature``). For bad-signature, stale-timestamp and
        malformed-body tests."""
        data = body.encode() if isinstance(body, str) else body
        response = self._post(
            url or self.events_url,
            data,
            content_type,
            extra_headers=headers,
            sign=sign,
            timestamp=timestamp,
        )
        return self._done(response)

    # ================================================================== helpers
    def _user(self, user_id: str) -> dict[str, Any]:
        user = self.fake.user(user_id)
        if user is None:
            raise AssertionError(
                f"unknown user {user_id!r}: add them first with fake.add_user({user_id!r}, ...)"
            )
        return user

    def _user_obj(self, user_id: str) -> dict[str, Any]:
        user = self._user(user_id)
        return {
            "id": user_id,
            "username": user["name"],
            "name": user["name"],
            "team_id": user["team_id"],
        }

    def _team_obj(self) -> dict[str, Any]:
        return {"id": self.fake.team_id, "domain": self.fake.team_domain}

    def _channel_name(self, channel_id: str) -> str:
        channel = self.fake.channel(channel_id)
        if channel is None:
            return "unknown"
        if channel.kind == "im":
            return "directmessage"
        if channel.kind == "group":
            return "privategroup"
        return channel.name or channel_id


def rich_text_blocks(text: str) -> list[dict[str, Any]]:
    """The ``rich_text`` blocks the Slack client attaches to what a person types."""
    return [
        {
            "type": "rich_text",
            "block_id": uuid.uuid4().hex[:5],
            "elements": [
                {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}
            ],
        }
    ]
