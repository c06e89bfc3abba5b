"""Slash commands, sent as Slack sends them, with the acknowledgement shown as Slack shows it."""

from __future__ import annotations

from urllib.parse import urlencode

import httpx

from .transport import Transport


class SlashCommands(Transport):
    """Run slash commands the manifest declares."""

    def slash(
        self,
        user_id: str,
        command: str = "/mentoring",
        text: str = "",
        *,
        channel_id: str | None = None,
    ) -> httpx.Response:
        """``user_id`` runs ``command text`` (in their DM with the bot unless ``channel_id``).

        A non-empty acknowledgement body is shown the way Slack shows it: stored in the fake
        as an ephemeral message (or in-channel for ``response_type: in_channel``).
        """
        user = self._user(user_id)
        commands = self.fake.slash_commands
        if self.check_manifest and commands is not None and command not in commands:
            raise AssertionError(
                f"the manifest declares no {command!r} command; declared: {sorted(commands)}"
            )
        channel = channel_id or self.fake.dm_channel(user_id)
        form = {
            "token": "unused-verification-token",
            "team_id": self.fake.team_id,
            "team_domain": self.fake.team_domain,
            "channel_id": channel,
            "channel_name": self._channel_name(channel),
            "user_id": user_id,
            "user_name": user["name"],
            "command": command,
            "text": text,
            "api_app_id": self.api_app_id,
            "is_enterprise_install": "false",
            "response_url": self.fake.new_response_url(channel, user_id),
            "trigger_id": self.fake.issue_trigger_id(user_id),
        }
        body = urlencode(form).encode()
        response = self._post(self.commands_url, body, "application/x-www-form-urlencoded")
        if response.status_code == 200 and response.content.strip():
            try:
                payload = response.json()
            except ValueError:
                payload = {"text": response.text}
            if not isinstance(payload, dict):
                payload = {"text": response.text}
            self.fake.record_command_response(channel, user_id, payload)
        return self._done(response)
