"""Events API deliveries: messages, mentions, Home tab opens, uninstalls and revoked tokens."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import httpx

from .transport import Transport, rich_text_blocks


class EventSender(Transport):
    """Send events in ``event_callback`` envelopes, as Slack's Events API does."""

    @staticmethod
    def _subscription_name(event: Mapping[str, Any]) -> str:
        kind = str(event.get("type"))
        if kind == "message":
            suffix = {"im": "im", "channel": "channels", "group": "groups", "mpim": "mpim"}.get(
                str(event.get("channel_type")), "channels"
            )
            return f"message.{suffix}"
        return kind

    def event(
        self,
        event: Mapping[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str | None = None,
        team_id: str | None = None,
        api_app_id: str | None = None,
    ) -> httpx.Response:
        """Send ``event`` in an ``event_callback`` envelope (as Slack's Events API does).

        ``retry_num`` adds ``X-Slack-Retry-Num`` / ``X-Slack-Retry-Reason`` (default
        ``http_timeout``) like Slack's redeliveries. The same ``event_id`` may be sent any
        number of times: dropping duplicates is the app's job.
        """
        body_event = dict(event)
        body_event.setdefault("event_ts", self.fake.next_ts())
        subscribed = self.fake.subscribed_events
        name = self._subscription_name(body_event)
        if self.check_manifest and subscribed is not None and name not in subscribed:
            raise AssertionError(
                f"the manifest does not subscribe to {name!r}, so Slack would never send this "
                f"event. Subscribed bot_events: {sorted(subscribed)}"
            )
        event_id = event_id or "Ev" + uuid.uuid4().hex[:10].upper()
        envelope = self._envelope(body_event, event_id, team_id, api_app_id)
        headers: dict[str, str] = {}
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = retry_reason or "http_timeout"
        self.last_event_id = event_id
        body = json.dumps(envelope).encode()
        return self._done(
            self._post(self.events_url, body, "application/json", extra_headers=headers)
        )

    def _envelope(
        self,
        event: dict[str, Any],
        event_id: str,
        team_id: str | None,
        api_app_id: str | None,
    ) -> dict[str, Any]:
        """The ``event_callback`` envelope around ``event``."""
        team = team_id or self.fake.team_id
        return {
            "token": "unused-verification-token",
            "team_id": team,
            "api_app_id": api_app_id or self.api_app_id,
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(self.fake.clock()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": team,
                    "user_id": self.fake.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": "4-" + uuid.uuid4().hex,
        }

    def url_verification(self, challenge: str = "challenge-token") -> httpx.Response:
        """The handshake Slack sends when the request URL is saved."""
        body = json.dumps(
            {"token": "unused", "challenge": challenge, "type": "url_verification"}
        ).encode()
        return self._done(self._post(self.events_url, body, "application/json"))

    def dm(
        self, user_id: str, text: str, *, thread_ts: str | None = None, **event_fields: Any
    ) -> httpx.Response:
        """``user_id`` writes ``text`` to the bot (a ``message.im`` event).

        The message is also stored in the fake, so ``fake.dm_messages`` shows both sides.
        """
        self._user(user_id)
        channel = self.fake.dm_channel(user_id)
        msg = self.fake.record_user_message(
            channel, user_id, text, thread_ts=thread_ts, blocks=rich_text_blocks(text)
        )
        event: dict[str, Any] = {
            "type": "message",
            "channel": channel,
            "user": user_id,
            "text": text,
            "ts": msg.ts,
            "event_ts": msg.ts,
            "channel_type": "im",
            "client_msg_id": str(uuid.uuid4()),
            "team": self.fake.team_id,
            "blocks": msg.blocks,
        }
        if thread_ts:
            event["thread_ts"] = thread_ts
        event.update(event_fields)
        return self.event(event)

    def open_home(self, user_id: str, tab: str = "home") -> httpx.Response:
        """``user_id`` opens the app's Home (or Messages, ``tab="messages"``) tab."""
        self._user(user_id)
        event: dict[str, Any] = {
            "type": "app_home_opened",
            "user": user_id,
            "channel": self.fake.dm_channel(user_id),
            "tab": tab,
            "event_ts": self.fake.next_ts(),
        }
        home = self.fake.home_view(user_id)
        if tab == "home" and home is not None:
            event["view"] = home.to_slack()
        return self.event(event)

    def mention(self, user_id: str, channel: str, text: str) -> httpx.Response:
        """``user_id`` mentions the bot in ``channel`` (an ``app_mention`` event)."""
        self._user(user_id)
        if self.fake.channel(channel) is None:
            raise AssertionError(f"unknown channel {channel!r}: create it with fake.add_channel")
        mention = f"<@{self.fake.bot_user_id}>"
        if mention not in text:
            text = f"{mention} {text}"
        msg = self.fake.record_user_message(channel, user_id, text, blocks=rich_text_blocks(text))
        return self.event(
            {
                "type": "app_mention",
                "user": user_id,
                "text": text,
                "ts": msg.ts,
                "channel": channel,
                "event_ts": msg.ts,
                "team": self.fake.team_id,
                "client_msg_id": str(uuid.uuid4()),
                "blocks": msg.blocks,
            }
        )

    def app_uninstalled(self, *, revoke: bool = True) -> httpx.Response:
        """The workspace uninstalled the app; by default its token stops working first."""
        if revoke:
            self.fake.revoke_tokens()
        return self.event({"type": "app_uninstalled", "event_ts": self.fake.next_ts()})

    def tokens_revoked(
        self,
        bot_ids: Iterable[str] | None = None,
        user_ids: Iterable[str] = (),
        *,
        revoke: bool = True,
    ) -> httpx.Response:
        """Tokens were revoked; ``bot_ids`` are bot *user* ids (default: the fake's bot)."""
        if revoke:
            self.fake.revoke_tokens()
        bots = list(bot_ids) if bot_ids is not None else [self.fake.bot_user_id]
        return self.event(
            {
                "type": "tokens_revoked",
                "tokens": {"oauth": list(user_ids), "bot": bots},
                "event_ts": self.fake.next_ts(),
            }
        )
