"""Block Kit for the meeting nudges and their answers: pure functions, data in, blocks out.

A nudge's wording and buttons follow its place in the unanswered streak (decided in
`core.relationships.nudges`): the first asks, the second offers a new rhythm, the last offers
a new rhythm, a break or a coordinator and says plainly that the bot stops asking after it.
An answered nudge becomes one ✓ line.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from bot.platform import ids
from bot.platform.blocks import (
    Block,
    actions,
    button,
    context,
    encode_value,
    input_block,
    plain_text,
    section,
    static_select,
)
from bot.scheduling.deliverer import Part
from core.kernel.texts import mrkdwn, plain
from core.relationships.models import CADENCE_DAYS
from core.relationships.nudges import NUDGE_LIMIT


def day(value: date) -> str:
    return f"{value.day} {value.strftime('%B')}"


def _buttons(pair_id: int, streak: int, epoch: int | None) -> list[Block]:
    # The epoch: a button of a nudge already answered changes nothing (core checks it).
    value = encode_value(p=pair_id) if epoch is None else encode_value(p=pair_id, e=epoch)

    def labelled(key: str, action_id: str, **extra: Any) -> Block:
        return button(plain(f"relationship.meeting.button_{key}"), action_id, value, **extra)

    met = labelled("met", ids.REL_MET, style="primary")
    if streak <= 1:
        return [
            met,
            labelled("scheduled", ids.REL_SCHEDULED),
            labelled("snooze", ids.REL_SNOOZE),
        ]
    if streak < NUDGE_LIMIT:
        return [met, labelled("scheduled", ids.REL_SCHEDULED), labelled("rhythm", ids.REL_RHYTHM)]
    return [
        met,
        labelled("rhythm", ids.REL_RHYTHM),
        labelled("pause", ids.REL_NUDGE_PAUSE),
        labelled("help", ids.REL_NUDGE_HELP),
    ]


def meeting_nudge(
    pair_id: int,
    cadence: str,
    partner_id: str,
    partner_name: str,
    since: date,
    streak: int = 1,
    epoch: int | None = None,
) -> Part:
    """The `streak`-th nudge in a row nobody answered (1: the first), planned under the
    pair's meeting `epoch` (carried by its buttons)."""
    step = max(1, min(streak, NUDGE_LIMIT))
    key = "nudge" if step == 1 else f"nudge_{step}"
    fields = {
        "interval": plain(f"relationship.interval.{cadence}"),
        "since": day(since),
    }
    return Part(
        mrkdwn(f"relationship.meeting.{key}_fallback", partner_name=partner_name, **fields),
        [
            section(mrkdwn(f"relationship.meeting.{key}", partner=partner_id, **fields)),
            actions(_buttons(pair_id, step, epoch), block_id=f"rel.nudge.{pair_id}"),
        ],
    )


def done(text: str) -> Part:
    """What an answered nudge becomes: one ✓ line, no buttons."""
    return Part(text, [context(text)])


def replace_actions(blocks: list[Block], block_id: str, text: str) -> list[Block]:
    """A message's blocks with the buttons of `block_id` replaced by the ✓ line `text` (other
    items of a digest keep theirs)."""
    out: list[Block] = []
    for block in blocks:
        if block.get("type") == "actions" and block.get("block_id") == block_id:
            out.append(context(text))
        else:
            out.append(block)
    return out


def _modal(callback_id: str, key: str, blocks: list[Block], meta: dict[str, Any]) -> Block:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain_text(plain(f"relationship.meeting.{key}_title"), 24),
        "submit": plain_text(plain(f"relationship.meeting.{key}_submit"), 24),
        "close": plain_text(plain("relationship.agreement.modal_close"), 24),
        "private_metadata": json.dumps(meta, separators=(",", ":")),
        "blocks": blocks,
    }


def met_modal(today: date, partner_name: str, metadata: dict[str, Any]) -> Block:
    """*We met*: which day (today unless changed)."""
    picker = {
        "type": "datepicker",
        "action_id": ids.REL_MET_DATE,
        "initial_date": today.isoformat(),
    }
    return _modal(
        ids.REL_MET_MODAL,
        "met",
        [
            input_block(
                plain("relationship.meeting.met_label", partner_name=partner_name),
                picker,
                block_id="met_date",
            )
        ],
        metadata,
    )


def rhythm_modal(current: str, metadata: dict[str, Any]) -> Block:
    """*Change our rhythm*: how often the pair meets (the agreement's cadence)."""
    choices = [(plain(f"relationship.cadence.{c}"), c) for c in CADENCE_DAYS]
    return _modal(
        ids.REL_RHYTHM_MODAL,
        "rhythm",
        [
            input_block(
                plain("relationship.meeting.rhythm_label"),
                static_select(
                    ids.REL_RHYTHM_CADENCE,
                    plain("relationship.meeting.rhythm_label"),
                    options=choices,
                    initial=current,
                ),
                block_id="rhythm",
                hint=plain("relationship.meeting.rhythm_hint"),
            )
        ],
        metadata,
    )


def picked(values: dict[str, Any], block_id: str, action_id: str) -> str:
    """The value of a date picker or select in a submitted modal ("" when none)."""
    element = values.get(block_id, {}).get(action_id, {})
    found = element.get("selected_date") or (element.get("selected_option") or {}).get("value")
    return str(found or "")
