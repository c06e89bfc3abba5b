"""Answered or superseded relationship messages lose their buttons and show one ✓ line.

The message a button was pressed in (`Origin`, from the click) is redrawn with that button's
block (and the pair's nudge buttons in it) replaced by the line; other items of a digest keep
theirs. Copies the person did not press (the partner's nudge, earlier nudges, the mentor's
review) are found in the delivery ledger by kind and replaced whole, when they hold nothing
else. A modal opened from a message settles it when the modal is answered: the message is
remembered in this process (another replica answering it settles the ledger copies only).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient

from bot.platform import slack_io
from bot.platform.blocks import message
from bot.views import relationship_nudges as nudge_views
from core.kernel.db import Database
from core.relationships import use_cases


@dataclass(frozen=True)
class Origin:
    """A message a button was pressed in: where it is and what it showed."""

    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    block_id: str  # the actions block of the button pressed


def origin_of(body: dict[str, Any]) -> Origin | None:
    container, shown = body.get("container") or {}, body.get("message") or {}
    channel, ts = container.get("channel_id"), container.get("message_ts")
    pressed = (body.get("actions") or [{}])[0]
    if not channel or not ts or not isinstance(shown.get("blocks"), list):
        return None
    return Origin(
        str(channel),
        str(ts),
        str(shown.get("text") or ""),
        list(shown["blocks"]),
        str(pressed.get("block_id") or ""),
    )


class Settler:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._origins: dict[tuple[str, int], Origin] = {}  # modals opened from a message

    def remember(self, user_id: str, pair_id: int, origin: Origin | None) -> None:
        """Keep the message a modal was opened from, to settle it when the modal is answered."""
        if origin is not None:
            if len(self._origins) > 1000:
                self._origins.clear()
            self._origins[(user_id, pair_id)] = origin

    def recall(self, user_id: str, pair_id: int) -> Origin | None:
        return self._origins.pop((user_id, pair_id), None)

    def nudges(
        self, client: WebClient, pair_id: int, done: str, origin: Origin | None = None
    ) -> None:
        """An answered nudge loses its buttons on every copy: the message it was answered in
        and each earlier nudge sent alone, both people's."""
        if origin is not None:
            self.origin(client, origin, pair_id, done)
        self.posted(client, pair_id, "meeting_nudge", done, origin)

    def posted(
        self, client: WebClient, pair_id: int, kind: str, done: str, skip: Origin | None = None
    ) -> None:
        """Every sent message of `kind` for the pair that holds nothing else becomes `done`."""
        line = nudge_views.done(done)
        for posted in use_cases.posted_nudges(self.db, pair_id, kind):
            if skip is None or posted.ts != skip.ts:
                slack_io.update_message(
                    client, posted.channel, posted.ts, message(line.text, line.blocks)
                )

    @staticmethod
    def origin(client: WebClient, origin: Origin, pair_id: int, done: str) -> None:
        """The buttons just pressed (and the pair's nudge buttons in that message) become a
        ✓ line; the rest of the message stays."""
        blocks = origin.blocks
        for block_id in {origin.block_id, f"rel.nudge.{pair_id}"} - {""}:
            blocks = nudge_views.replace_actions(blocks, block_id, done)
        if blocks != origin.blocks:
            slack_io.update_message(client, origin.channel, origin.ts, message(origin.text, blocks))
