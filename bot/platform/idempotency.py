"""Each Slack interaction applies once: a replay or a double submit changes nothing.

Slack events are deduplicated by their event_id (`middleware.once_per_event`). Interactions
carry no such id, so this module derives a key per delivery, the same for a replay:

- a slash command, a button (block_actions), a shortcut: the `trigger_id`, unique per user
  action and carried unchanged by a replay;
- a modal submission: the view's id and hash and the submitted values. A double submit of the
  same modal state is one key, whatever its trigger_ids; a submission refused with field
  errors applied nothing and recorded nothing, and the corrected one differs anyway;
- a modal closed (view_closed): the view's id and hash.

The key goes to `core.kernel.interactions` for the request (a context variable, copied to the
listener thread by `TrackedExecutor`). The first transaction of the request that writes records
it in `processed_interactions`, in the same transaction, or raises `AlreadyApplied` when it is
already there: the database decides, not timing. A request whose key is already recorded is
answered here before any listener runs: a slash command with a quiet ephemeral "already done",
anything else with an empty 200 (a modal closes, as after the first submission). A concurrent
delivery that loses the race raises `AlreadyApplied` inside its listener; the global error
handler (`bot.platform.degraded`) answers it with `answer_repeat`, the same quiet answer.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import TYPE_CHECKING, Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.request.internals import extract_team_id

from core.kernel import interactions
from core.kernel.events import interaction_applied
from core.kernel.texts import mrkdwn

if TYPE_CHECKING:
    from bot.app import MentorApp

logger = logging.getLogger(__name__)

BY_TRIGGER = frozenset({"block_actions", "shortcut", "message_action"})


def _digest(*parts: Any) -> str:
    raw = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


def _view_key(kind: str, team_id: str, view: dict[str, Any], with_state: bool) -> str | None:
    view_id = view.get("id")
    if not view_id:
        return None
    state = (view.get("state") or {}).get("values") if with_state else None
    return f"{kind}:{_digest(team_id, view_id, view.get('hash'), state)}"


def interaction_key(body: dict[str, Any]) -> str | None:
    """The key of a state-changing interaction, the same for every delivery of it; None for
    anything else (events, option loads, url checks)."""
    team_id = str(extract_team_id(body) or "")
    kind = body.get("type")
    if body.get("command"):
        trigger = body.get("trigger_id")
        return f"command:{_digest(team_id, trigger)}" if trigger else None
    if kind in BY_TRIGGER:
        actions = body.get("actions") or [{}]
        trigger = body.get("trigger_id") or (actions[0] or {}).get("action_ts")
        return f"action:{_digest(team_id, trigger)}" if trigger else None
    if kind == "view_submission":
        return _view_key("view", team_id, body.get("view") or {}, with_state=True)
    if kind == "view_closed":
        return _view_key("closed", team_id, body.get("view") or {}, with_state=False)
    return None


def quiet_answer(body: dict[str, Any]) -> BoltResponse:
    """What a repeat gets: for a slash command an ephemeral "already done" (Slack shows the
    acknowledgement's body to the person who typed it); for anything else an empty 200."""
    if body.get("command"):
        text = mrkdwn("commands.already_done")
        return BoltResponse(
            status=200,
            body=json.dumps({"response_type": "ephemeral", "text": text}),
            headers={"content-type": "application/json"},
        )
    return BoltResponse(status=200, body="")


def answer_repeat(body: dict[str, Any], response: BoltResponse | None) -> BoltResponse | None:
    """What an error handler answers for `AlreadyApplied` (a concurrent delivery applied this
    interaction first): the quiet answer, or None when Slack has been answered already."""
    logger.info("a concurrent delivery already applied this interaction; nothing changed")
    return quiet_answer(body) if response is not None else None


def register(app: App, mentor: MentorApp) -> None:
    @app.middleware
    def once_per_interaction(
        req: BoltRequest, resp: BoltResponse, next: Any
    ) -> BoltResponse | None:  # noqa: A002
        """A button, modal submission or slash command already applied is not applied again."""
        body = req.body if isinstance(req.body, dict) else {}
        key = interaction_key(body)
        if key is None:
            interactions.end()
        elif interaction_applied(mentor.db, key):
            logger.info("interaction %s already applied; answering quietly", key[:16])
            return quiet_answer(body)
        else:
            team_id = str(extract_team_id(body) or "")
            interactions.begin(key, team_id, mentor.clock.now())
        next()
        return None
