"""Messages and modals of matching: the shortlist a mentee chooses from, the request a mentor
answers, the introduction of a new pair, and what App Home shows. Pure functions: plain data
in, Block Kit out."""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from markupsafe import Markup

from bot.platform import ids
from bot.platform.blocks import (
    Block,
    actions,
    button,
    context,
    divider,
    encode_value,
    header,
    input_block,
    message,
    modal,
    radio_buttons,
    section,
    text_input,
    text_message,
    view_values,
)
from core.kernel.texts import escape_mrkdwn, join_and, mention, mrkdwn, plain
from core.matchmaking.service import (
    DECLINE_REASON_MAX_CHARS,
    NONE_SUIT_REASONS,
    NONE_SUIT_TEXT_MAX_CHARS,
    GoalInfo,
    HelpToSend,
    HomeMatching,
    PersonRef,
    ShortlistOutcome,
)
from core.programs.settings import ProgramSettings

DECLINE_REASON_BLOCK = "matching_decline_reason"
NONE_CHOICE_BLOCK = "matching_none_choice"
NONE_TEXT_BLOCK = "matching_none_text"
MODAL_TITLE_LIMIT = 24

_SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")


def slack_date(when: datetime) -> Markup:
    """A date Slack shows in each reader's own time zone (UTC text as the fallback)."""
    utc = when.astimezone(UTC)
    fallback = f"{utc:%A} {utc.day} {utc:%B %Y, %H:%M} UTC"
    return Markup(f"<!date^{int(utc.timestamp())}^{{date_long_pretty}} at {{time}}|{fallback}>")


def coordinators_text(settings: ProgramSettings) -> Markup:
    """The program's coordinators as mentions (`program_settings` reads them from the
    coordinators table), or the setting's plain contact while there are none, or "your
    program coordinators"."""
    names: list[str] = []
    for item in settings.coordinators:
        slack_id, name = "", ""
        if isinstance(item, Mapping):
            slack_id = str(item.get("slack_id") or "").strip()
            name = str(item.get("name") or "").strip()
        elif item is not None:
            text = str(item).strip()
            slack_id, name = (text, "") if _SLACK_USER.match(text) else ("", text)
        if slack_id and _SLACK_USER.match(slack_id):
            names.append(f"<@{slack_id}>")
        elif name:
            names.append(escape_mrkdwn(name))
    if not names:
        return Markup(plain("matching.coordinators_none"))
    return Markup(join_and(names))


# --- the mentee's shortlist -------------------------------------------------------------------


def shortlist_message(outcome: ShortlistOutcome, lead: str | None = None) -> dict[str, Any]:
    """The shortlist DM: each candidate with reasons and a request button, then "none of
    these suit me". Without candidates: why not, and the next steps as buttons. `lead` (Slack
    text) opens the message: what happened just before (a decline, "none of these suit")."""
    coordinators = coordinators_text(outcome.settings)
    if not outcome.has_candidates:
        return no_fit_message(outcome, lead)
    assert outcome.shortlist_id is not None
    count = len(outcome.candidates)
    blocks: list[Block] = [header(plain("matching.shortlist.header"))]
    if lead:
        blocks.append(section(lead))
    blocks.append(
        section(mrkdwn("matching.shortlist.intro", name=outcome.mentee.name, count=count))
    )
    for index, candidate in enumerate(outcome.candidates):
        blocks.append(divider())
        blocks.append(
            section(
                mrkdwn(
                    "matching.shortlist.candidate",
                    name=candidate.mentor.name,
                    title=candidate.mentor.title,
                    reasons=list(candidate.reasons),
                ),
                block_id=f"matching.candidate.{index}",
                accessory=button(
                    plain("matching.shortlist.request"),
                    f"{ids.MATCH_REQUEST}.{index}",
                    encode_value(s=outcome.shortlist_id, m=candidate.mentor.participation_id),
                    style="primary",
                ),
            )
        )
    blocks.append(divider())
    blocks.append(
        section(
            mrkdwn("matching.shortlist.none_prompt", coordinators=coordinators),
            block_id="matching.none",
            accessory=button(
                plain("matching.shortlist.none_button"),
                ids.MATCH_NONE_SUIT,
                encode_value(s=outcome.shortlist_id),
            ),
        )
    )
    fallback = plain("matching.shortlist.fallback", count=count)
    return message(f"{lead} {fallback}" if lead else fallback, blocks)


def _no_fit_buttons(mentee_id: int, program_id: int, done: Collection[str]) -> Block | None:
    value = encode_value(m=mentee_id, p=program_id)
    choices = [
        ("notify", plain("matching.unmatched.waitlist"), ids.MATCH_WAITLIST),
        ("coordinator", plain("matching.unmatched.ask"), ids.MATCH_ASK_COORDINATOR),
        ("goals", plain("matching.unmatched.goals"), ids.MATCH_CHANGE_GOALS),
    ]
    elements = [
        button(label, action_id, value, style="primary" if kind == "notify" else None)
        for kind, label, action_id in choices
        if kind not in done
    ]
    return actions(elements, block_id="matching.unmatched.next") if elements else None


def no_fit_message(outcome: ShortlistOutcome, lead: str | None = None) -> dict[str, Any]:
    """No mentor fits right now: why, and what the mentee can do next (be told when one
    fits, ask a coordinator, change their goals)."""
    blocks: list[Block] = [section(lead)] if lead else []
    blocks.append(section(mrkdwn("matching.unmatched.text", reason=outcome.unmatched_reason or "")))
    blocks.append(section(mrkdwn("matching.unmatched.next")))
    buttons = _no_fit_buttons(outcome.mentee.participation_id, outcome.program_id, ())
    assert buttons is not None
    blocks.append(buttons)
    fallback = plain("matching.unmatched.fallback")
    return message(f"{lead} {fallback}" if lead else fallback, blocks)


def no_fit_answered(
    mentee_id: int,
    program_id: int,
    waiting: Collection[str],
    coordinators: Sequence[str],
    *,
    note: str | None = None,
) -> dict[str, Any]:
    """The "no mentor fits" message once the mentee chose: a ✓ line for each step taken (or
    `note`, a template key, when nothing could be done), and the buttons still open."""
    lines = []
    if "notify" in waiting:
        lines.append(mrkdwn("matching.unmatched.waiting"))
    if "coordinator" in waiting:
        names = (
            Markup(join_and([mention(c) for c in coordinators]))
            if coordinators
            else Markup(plain("matching.coordinators_none"))
        )
        lines.append(mrkdwn("matching.unmatched.asked", coordinators=names))
    if note:
        lines.append(mrkdwn(note))
    blocks: list[Block] = [section(line) for line in lines]
    if note != "matching.unmatched.not_waiting":
        buttons = _no_fit_buttons(mentee_id, program_id, waiting)
        if buttons is not None:
            blocks.append(buttons)
    return message(lines[0] if lines else plain("matching.unmatched.fallback"), blocks)


def help_message(help: HelpToSend) -> dict[str, Any]:
    """A coordinator's DM: a mentee no mentor fits asked for help; a button marks it done."""
    blocks: list[Block] = [
        section(mrkdwn("matching.help.text", mentee_id=help.mentee.user_id, program=help.program))
    ]
    if help.goals:
        blocks.append(section(mrkdwn("matching.help.goals", goals=[g.name for g in help.goals])))
    blocks.append(context(mrkdwn("matching.help.how")))
    blocks.append(
        actions(
            [
                button(
                    plain("matching.help.done_button"),
                    ids.MATCH_HELP_DONE,
                    encode_value(w=help.entry_id),
                )
            ],
            block_id=f"matching.help.{help.entry_id}",
        )
    )
    return message(plain("matching.help.fallback", mentee=help.mentee.name), blocks)


def help_done(help: HelpToSend) -> dict[str, Any]:
    return text_message(
        mrkdwn("matching.help.done", mentee=help.mentee.name, by_id=help.closed_by or "")
    )


def shortlist_requested(mentor: str, deadline: datetime) -> dict[str, Any]:
    return text_message(
        mrkdwn("matching.shortlist.requested", mentor=mentor, deadline=slack_date(deadline))
    )


def shortlist_replaced() -> dict[str, Any]:
    return text_message(mrkdwn("matching.shortlist.replaced"))


def fits_lead() -> str:
    return mrkdwn("matching.shortlist.fits")


def shortlist_none_done() -> dict[str, Any]:
    return text_message(mrkdwn("matching.shortlist.none_done"))


def out_of_date() -> dict[str, Any]:
    return text_message(mrkdwn("matching.shortlist.out_of_date"))


def notice_text(kind: str, mentor: str | None = None, *, others: bool = False) -> str:
    """What became of the mentee's choice (accepted, unavailable, taken, ...), as Slack
    text: the lead of the message that offers the next step."""
    text = mrkdwn(f"matching.mentee.{kind}", mentor=mentor or "")
    if others:
        text += " " + mrkdwn("matching.mentee.others")
    return text


def mentee_notice(kind: str, mentor: str | None = None, *, others: bool = False) -> dict[str, Any]:
    """A short DM to the mentee: accepted, already_pending, ..."""
    return text_message(notice_text(kind, mentor, others=others))


# --- the mentor's request ---------------------------------------------------------------------


def _goal_lines(goals: Sequence[GoalInfo]) -> str:
    return "\n".join(mrkdwn("matching.request.goal", goal=g.name, success=g.success) for g in goals)


def _answer_buttons(request_id: int) -> Block:
    value = encode_value(r=request_id)
    return actions(
        [
            button(plain("matching.request.accept"), ids.MATCH_ACCEPT, value, style="primary"),
            button(plain("matching.request.decline"), ids.MATCH_DECLINE, value),
        ],
        block_id=f"matching.request.{request_id}",
    )


def request_message(
    request_id: int, mentee: str, goals: Sequence[GoalInfo], deadline: datetime
) -> dict[str, Any]:
    blocks: list[Block] = [section(mrkdwn("matching.request.text", mentee=mentee))]
    if goals:
        blocks.append(section(mrkdwn("matching.request.goals_title") + "\n" + _goal_lines(goals)))
    blocks.append(context(mrkdwn("matching.request.next", deadline=slack_date(deadline))))
    blocks.append(_answer_buttons(request_id))
    return message(plain("matching.request.fallback", mentee=mentee), blocks)


def reminder_message(
    request_id: int, mentee: str, goals: Sequence[GoalInfo], deadline: datetime
) -> dict[str, Any]:
    blocks: list[Block] = [
        section(mrkdwn("matching.request.reminder", mentee=mentee, deadline=slack_date(deadline)))
    ]
    if goals:
        blocks.append(section(mrkdwn("matching.request.goals_title") + "\n" + _goal_lines(goals)))
    blocks.append(_answer_buttons(request_id))
    return message(plain("matching.request.reminder_fallback", mentee=mentee), blocks)


def request_closed(state: str, mentee: str) -> dict[str, Any]:
    """The mentor's request message once answered: accepted, declined, expired, cancelled."""
    key = state if state in ("accepted", "declined", "expired", "cancelled") else "gone"
    return text_message(mrkdwn(f"matching.request.{key}", mentee=mentee))


def decline_modal(request_id: int, mentee: str) -> dict[str, Any]:
    return modal(
        ids.MATCH_DECLINE_MODAL,
        "matching.decline_modal",
        json.dumps({"r": request_id}),
        [
            section(mrkdwn("matching.decline_modal.intro", mentee=mentee)),
            input_block(
                plain("matching.decline_modal.reason_label"),
                text_input(
                    ids.MATCH_DECLINE_REASON, multiline=True, max_length=DECLINE_REASON_MAX_CHARS
                ),
                block_id=DECLINE_REASON_BLOCK,
                optional=True,
                hint=plain("matching.decline_modal.reason_hint", mentee=mentee),
            ),
        ],
    )


def decline_reason(view: Mapping[str, Any]) -> str | None:
    values = view_values(view)
    value = (values.get(DECLINE_REASON_BLOCK) or {}).get(ids.MATCH_DECLINE_REASON) or {}
    text = value.get("value")
    return str(text) if text else None


def none_suit_modal(shortlist_id: int) -> dict[str, Any]:
    choices = [(plain(f"matching.none_modal.choices.{c}"), c) for c in NONE_SUIT_REASONS]
    return modal(
        ids.MATCH_NONE_SUIT_MODAL,
        "matching.none_modal",
        json.dumps({"s": shortlist_id}),
        [
            section(mrkdwn("matching.none_modal.intro")),
            input_block(
                plain("matching.none_modal.choice_label"),
                radio_buttons(ids.MATCH_NONE_SUIT_CHOICE, choices),
                block_id=NONE_CHOICE_BLOCK,
            ),
            input_block(
                plain("matching.none_modal.text_label"),
                text_input(
                    ids.MATCH_NONE_SUIT_TEXT, multiline=True, max_length=NONE_SUIT_TEXT_MAX_CHARS
                ),
                block_id=NONE_TEXT_BLOCK,
                optional=True,
            ),
        ],
    )


def none_suit_answer(view: Mapping[str, Any]) -> tuple[str | None, str | None]:
    values = view_values(view)
    choice = (values.get(NONE_CHOICE_BLOCK) or {}).get(ids.MATCH_NONE_SUIT_CHOICE) or {}
    selected = (choice.get("selected_option") or {}).get("value")
    text = ((values.get(NONE_TEXT_BLOCK) or {}).get(ids.MATCH_NONE_SUIT_TEXT) or {}).get("value")
    return (str(selected) if selected else None, str(text) if text else None)


# --- the pair's introduction ------------------------------------------------------------------


def intro_message(
    mentee: PersonRef, mentor: PersonRef, goals: Sequence[GoalInfo]
) -> dict[str, Any]:
    blocks: list[Block] = [
        section(
            mrkdwn(
                "matching.intro.text",
                mentee_id=mentee.user_id,
                mentor_id=mentor.user_id,
                mentee=mentee.name,
                goals=[g.name for g in goals],
            )
        ),
        section(mrkdwn("matching.intro.next")),
        context(mrkdwn("matching.intro.privacy")),
    ]
    return message(plain("matching.intro.fallback", mentee=mentee.name, mentor=mentor.name), blocks)


# --- App Home ---------------------------------------------------------------------------------


def home_blocks(state: HomeMatching, *, titled: bool = True) -> list[Block]:
    """Matching on App Home: its own titled part, or (`titled=False`) plain lines to show
    under a program's section."""
    if state.empty:
        return []
    lines: list[str] = []
    if state.mentor_of_mine is not None:
        lines.append(mrkdwn("matching.home.my_mentor", mentor=state.mentor_of_mine.name))
    if state.asked is not None and state.asked_until is not None:
        lines.append(
            mrkdwn(
                "matching.home.asked",
                mentor=state.asked.name,
                deadline=slack_date(state.asked_until),
            )
        )
    elif state.has_open_shortlist and state.mentor_of_mine is None:
        lines.append(mrkdwn("matching.home.shortlist"))
    for mentee, deadline in state.requests_to_me:
        lines.append(
            mrkdwn("matching.home.request_to_me", mentee=mentee.name, deadline=slack_date(deadline))
        )
    if state.my_mentees:
        lines.append(mrkdwn("matching.home.my_mentees", names=[m.name for m in state.my_mentees]))
    if not titled:
        return [section(line) for line in lines[:20]]
    blocks: list[Block] = [divider(), section(mrkdwn("matching.home.title"))]
    blocks += [section(line) for line in lines[:20]]
    return blocks
