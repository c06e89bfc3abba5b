"""Answered or superseded relationship messages lose their buttons and show one ✓ line.

The message a button was pressed in (`Origin`, from the click) is redrawn with that button's
block (and the pair's nudge buttons in it) replaced by the line; other items of a digest keep
theirs. Copies the person did not press (the partner's nudge, earlier nudges, the mentor's
review) are found in the delivery ledger by kind: a message that holds nothing else is
replaced whole. A digest (several items in one message) that showed one of them is drawn
again as it was laid out, by the sender's renderers: the answered item becomes the line, the
items still open keep their buttons, an item answered before shows its own ✓ line (what
answered it, `Done`, is kept on its ledger row) and an item no longer open for another reason
becomes a short generic ✓ line. A modal opened from a message settles it when the modal is
answered: the message is remembered in this process (another replica answering it settles
the ledger copies only).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from slack_sdk import WebClient

from bot.platform import slack_io
from bot.platform.blocks import message
from bot.scheduling.deliverer import Part, RenderTarget
from bot.views import relationship_nudges as nudge_views
from core.kernel.db import Database
from core.kernel.texts import mrkdwn
from core.messaging.claim import Message
from core.relationships import nudges, use_cases

logger = logging.getLogger(__name__)


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


# A sent digest drawn again: (its items, the settled items' parts, a closed item's part)
# -> the message's payload (`Deliverer.redraw`).
Redraw = Callable[[Message, Callable[[RenderTarget], Part | None], Part], dict[str, Any] | None]


@dataclass(frozen=True)
class Done:
    """What answered an item: its ✓ line's template and arguments (kept on the ledger's rows,
    so a digest drawn again after a later answer shows this line, not a generic one)."""

    key: str
    args: Mapping[str, str] = field(default_factory=dict)
    # The line kept instead, when `args` name a person (the ledger keeps ids, dates and codes,
    # never names or text people wrote): a template of its own, without arguments.
    kept_as: str | None = None

    @property
    def line(self) -> str:
        return mrkdwn(self.key, **self.args)

    def stored(self) -> dict[str, Any]:
        if self.kept_as is not None:
            return {"key": self.kept_as, "args": {}}
        return {"key": self.key, "args": dict(self.args)}


def kept(payload: Mapping[str, Any]) -> Part | None:
    """The ✓ line an item's row keeps (None: it keeps none, or one that cannot be drawn)."""
    stored = payload.get(nudges.OUTCOME)
    if not isinstance(stored, dict):
        return None
    key, args = stored.get("key"), stored.get("args") or {}
    if (
        not isinstance(key, str)
        or not key.startswith("relationship.")
        or not isinstance(args, dict)
    ):
        return None
    try:
        return nudge_views.done(Done(key, {str(k): str(v) for k, v in args.items()}).line)
    except Exception:  # a template renamed since: the generic closed line
        logger.warning("kept outcome %s could not be drawn", key)
        return None


class Settler:
    def __init__(self, db: Database, redraw: Redraw | None = None) -> None:
        self.db = db
        self.redraw = redraw  # without it, a digest's copy keeps its buttons
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
        self, client: WebClient, pair_id: int, done: Done, origin: Origin | None = None
    ) -> None:
        """An answered nudge loses its buttons on every copy: the message it was answered in
        and each earlier nudge sent alone or in a digest, both people's."""
        if origin is not None:
            self.origin(client, origin, pair_id, done, (nudges.KIND,))
        self.posted(client, pair_id, nudges.KIND, done, origin)

    def posted(
        self, client: WebClient, pair_id: int, kind: str, done: Done, skip: Origin | None = None
    ) -> None:
        """Every sent message of `kind` for the pair becomes `done`: whole when it holds
        nothing else; in a digest, only the pair's items of `kind`, the other items drawn as
        they are now (answered before: their own ✓ line; still open: with their buttons)."""
        line = nudge_views.done(done.line)
        subject = f"pair:{pair_id}"

        def settled(target: RenderTarget) -> Part | None:
            if target.kind == kind and target.subject == subject:
                return line
            return kept(target.payload)

        for posted in use_cases.posted_nudges(self.db, pair_id, kind, done.stored()):
            if skip is not None and posted.ts == skip.ts:
                continue
            payload: dict[str, Any] | None = message(line.text, line.blocks)
            if posted.digest is not None and self.redraw is not None:
                try:
                    payload = self.redraw(posted.digest, settled, self.closed())
                except Exception:  # the answer stands; this copy keeps its buttons
                    logger.exception("digest %s could not be drawn again", posted.digest.id)
                    continue
            if payload is not None:
                slack_io.update_message(client, posted.channel, posted.ts, payload)

    @staticmethod
    def closed() -> Part:
        """An item of a digest that is no longer open and keeps no ✓ line of its own (e.g.
        out of date)."""
        return nudge_views.done(mrkdwn("relationship.digest.closed"))

    def origin(
        self,
        client: WebClient,
        origin: Origin,
        pair_id: int,
        done: Done,
        kinds: tuple[str, ...] = (),
    ) -> None:
        """The buttons just pressed become a ✓ line (and the pair's nudge buttons in that
        message, when the answer closes the nudge: `kinds` holds it); the rest of the message
        stays. The pair's items of `kinds` in it keep the line, for when the message is drawn
        again (another item of its digest answered)."""
        blocks = origin.blocks
        nudge = f"rel.nudge.{pair_id}" if nudges.KIND in kinds else ""
        for block_id in {origin.block_id, nudge} - {""}:
            blocks = nudge_views.replace_actions(blocks, block_id, done.line)
        if blocks != origin.blocks:
            slack_io.update_message(client, origin.channel, origin.ts, message(origin.text, blocks))
        try:
            use_cases.answered_in(
                self.db, pair_id, (origin.channel, origin.ts), kinds, done.stored()
            )
        except Exception:  # the answer and the message stand; a later redraw shows "closed"
            logger.exception("the answer in message %s could not be kept", origin.ts)
