"""Block Kit builders for a mentoring relationship: pure functions, data in, blocks out.

User-written text (goals, success, suggestions, notes) goes through `mrkdwn()` templates, so
it is escaped before it reaches Slack.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

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
    option,
    plain_text,
    radio_buttons,
    section,
    static_select,
    text_input,
)
from bot.scheduling.deliverer import Part
from bot.views.relationship_nudges import meeting_nudge as meeting_nudge
from core.kernel.texts import mrkdwn, plain
from core.relationships.agreements import GOAL_TITLE_MAX, SUCCESS_MAX, SUGGESTION_MAX, AgreementForm
from core.relationships.checkins import CHECKIN_NOTE_MAX, CheckinAnswers
from core.relationships.meetings import NOTE_MAX
from core.relationships.models import CADENCE_DAYS, HEALTH_VALUES, PROGRESS_VALUES

FORMATS = ("remote", "in_person", "either")


def day(value: date) -> str:
    """ "5 March" (and the year when it is not this one is not needed in a nudge)."""
    return f"{value.day} {value.strftime('%B')}"


def day_year(value: date) -> str:
    return f"{value.day} {value.strftime('%B')} {value.year}"


@dataclass
class AgreementView:
    goals: list[dict[str, str]]
    cadence: str
    meeting_format: str
    duration_months: int
    until: date | None = None


def agreement_blocks(agreement: AgreementView) -> list[Block]:
    lines = [
        mrkdwn(
            "relationship.agreement.summary_goal",
            title=g.get("title") or "",
            success=g.get("success") or "",
        )
        for g in agreement.goals
    ]
    meta = mrkdwn(
        "relationship.agreement.summary_meta",
        cadence=plain(f"relationship.cadence.{agreement.cadence}"),
        format=plain(f"relationship.format.{agreement.meeting_format}"),
        duration=plain("relationship.months", count=agreement.duration_months),
    )
    blocks = [section("\n".join(lines) or "-"), context(meta)]
    if agreement.until is not None:
        blocks.append(
            context(mrkdwn("relationship.agreement.summary_until", until=day_year(agreement.until)))
        )
    return blocks


def _value(**data: Any) -> str:
    return encode_value(**data)


# --- messages (each returns a Part: fallback text + blocks) ----------------------------------
def invite(pair_id: int, role: str, partner_id: str, partner_name: str) -> Part:
    text = mrkdwn(
        f"relationship.agreement.invite_{role}", partner=partner_id, partner_name=partner_name
    )
    blocks = [section(text)]
    if role == "mentee":  # the mentor has nothing to do until the draft comes
        blocks.append(
            _one_button(
                "relationship.agreement.button_setup",
                ids.REL_AGREEMENT_OPEN,
                _value(p=pair_id),
                f"rel.invite.{pair_id}",
            )
        )
    return Part(mrkdwn("relationship.agreement.invite_fallback", partner_name=partner_name), blocks)


def review(
    pair_id: int, version: int, partner_id: str, partner_name: str, agreement: AgreementView
) -> Part:
    return Part(
        mrkdwn("relationship.agreement.review_fallback", partner_name=partner_name),
        [
            section(mrkdwn("relationship.agreement.review", partner=partner_id)),
            *agreement_blocks(agreement),
            actions(_review_buttons(pair_id, version), block_id=f"rel.review.{pair_id}.{version}"),
        ],
    )


def _review_buttons(pair_id: int, version: int) -> list[Block]:
    """The mentor's answers to a draft: confirm it, or suggest changes (to that version)."""
    value = _value(p=pair_id, v=version)
    return [
        button(
            plain("relationship.agreement.button_confirm"),
            ids.REL_AGREEMENT_CONFIRM,
            value,
            style="primary",
        ),
        button(plain("relationship.agreement.button_suggest"), ids.REL_AGREEMENT_SUGGEST, value),
    ]


def changes(pair_id: int, partner_id: str, partner_name: str, suggestion: str) -> Part:
    return Part(
        mrkdwn("relationship.agreement.changes_fallback", partner_name=partner_name),
        [
            section(
                mrkdwn("relationship.agreement.changes", partner=partner_id, suggestion=suggestion)
            ),
            _one_button(
                "relationship.agreement.button_edit",
                ids.REL_AGREEMENT_OPEN,
                _value(p=pair_id),
                f"rel.changes.{pair_id}",
            ),
        ],
    )


def active(partner_id: str, partner_name: str, agreement: AgreementView) -> Part:
    return Part(
        mrkdwn("relationship.agreement.active_fallback", partner_name=partner_name),
        [
            section(
                mrkdwn(
                    "relationship.agreement.active",
                    partner=partner_id,
                    rhythm=plain(f"relationship.rhythm.{agreement.cadence}"),
                )
            ),
            *agreement_blocks(agreement),
        ],
    )


def agreement_nudge(pair_id: int, role: str, partner_id: str, partner_name: str) -> Part:
    blocks = [
        section(
            mrkdwn(
                "relationship.agreement.nudge",
                partner=partner_id,
                partner_name=partner_name,
                role=role,
            )
        )
    ]
    if role == "mentee":
        blocks.append(
            _one_button(
                "relationship.agreement.button_setup",
                ids.REL_AGREEMENT_OPEN,
                _value(p=pair_id),
                f"rel.anudge.{pair_id}",
            )
        )
    return Part(mrkdwn("relationship.agreement.nudge_fallback", partner_name=partner_name), blocks)


def meeting_logged(
    pair_id: int, meeting_id: int, by_me: bool, partner_id: str, partner_name: str, met_on: date
) -> Part:
    key = "logged_self" if by_me else "logged_other"
    return Part(
        mrkdwn("relationship.meeting.logged_fallback", partner_name=partner_name, date=day(met_on)),
        [
            section(mrkdwn(f"relationship.meeting.{key}", partner=partner_id, date=day(met_on))),
            context(mrkdwn("relationship.meeting.note_hint")),
            _one_button(
                "relationship.meeting.button_note",
                ids.REL_NOTE_OPEN,
                _value(p=pair_id, m=meeting_id),
                f"rel.met.{meeting_id}",
                style=None,
            ),
        ],
    )


def checkin_prompt(pair_id: int, seq: int, partner_id: str, partner_name: str) -> Part:
    return Part(
        mrkdwn("relationship.checkin.prompt_fallback", partner_name=partner_name),
        [
            section(mrkdwn("relationship.checkin.prompt", partner=partner_id)),
            _one_button(
                "relationship.checkin.button",
                ids.REL_CHECKIN_OPEN,
                _value(p=pair_id, s=seq),
                f"rel.checkin.{pair_id}.{seq}",
            ),
        ],
    )


def _one_button(
    label_key: str, action_id: str, value: str, block_id: str, *, style: str | None = "primary"
) -> Block:
    """An actions block with one button (its label is the template `label_key`)."""
    return actions([button(plain(label_key), action_id, value, style=style)], block_id=block_id)


def _confirm(prefix: str, **ctx: Any) -> dict[str, Any]:
    return {
        "title": plain_text(plain(f"{prefix}_title", **ctx), 100),
        "text": plain_text(plain(f"{prefix}_text", **ctx), 300),
        "confirm": plain_text(plain(f"{prefix}_yes", **ctx), 30),
        "deny": plain_text(plain(f"{prefix}_no", **ctx), 30),
    }


def not_working(pair_id: int, partner_name: str) -> Part:
    end = button(plain("relationship.checkin.button_end"), ids.REL_END, _value(p=pair_id))
    end["confirm"] = _confirm("relationship.checkin.end_confirm", partner_name=partner_name)
    return Part(
        mrkdwn("relationship.checkin.not_working_fallback"),
        [
            section(mrkdwn("relationship.checkin.not_working", partner_name=partner_name)),
            actions(
                [
                    button(
                        plain("relationship.checkin.button_help"), ids.REL_HELP, _value(p=pair_id)
                    ),
                    end,
                ],
                block_id=f"rel.notworking.{pair_id}",
            ),
        ],
    )


def checkin_summary(partner_id: str, partner_name: str, goals: Sequence[Mapping[str, Any]]) -> Part:
    def label(value: Any) -> str:
        return plain(f"relationship.checkin.progress.{value}") if value in PROGRESS_VALUES else "-"

    lines = [
        mrkdwn(
            "relationship.checkin.summary_goal",
            title=g["title"],
            mine=label(g["mine"]),
            theirs=label(g["theirs"]),
            partner_name=partner_name,
        )
        for g in goals
    ]
    return Part(
        mrkdwn("relationship.checkin.summary_fallback", partner_name=partner_name),
        [
            section(mrkdwn("relationship.checkin.summary", partner=partner_id)),
            section("\n".join(lines) or "-"),
        ],
    )


def help_request(asker_id: str, asker_name: str, role: str) -> Part:
    """To a coordinator: only the person who asked, never their partner or answers."""
    return Part(
        mrkdwn("relationship.help.coordinator_fallback", name=asker_name),
        [section(mrkdwn("relationship.help.coordinator", asker=asker_id, role=role))],
    )


def closure(pair_id: int, reason: str, partner_id: str, partner_name: str, rematch: bool) -> Part:
    key = reason if reason in ("completed", "no_fault", "left") else "no_fault"
    blocks = [
        section(mrkdwn(f"relationship.closure.{key}", partner=partner_id)),
        context(mrkdwn("relationship.closure.reflection")),
    ]
    if rematch:
        blocks += [
            section(mrkdwn("relationship.closure.rematch")),
            _one_button(
                "relationship.closure.button_rematch",
                ids.REL_REMATCH,
                _value(p=pair_id),
                f"rel.rematch.{pair_id}",
            ),
        ]
    return Part(mrkdwn("relationship.closure.fallback", partner_name=partner_name), blocks)


def term_end(
    pair_id: int, partner_id: str, partner_name: str, months: int, ends: date, extension: int
) -> Part:
    complete = button(
        plain("relationship.term.button_complete"),
        ids.REL_COMPLETE,
        _value(p=pair_id, e=ends.isoformat()),
    )
    complete["confirm"] = _confirm("relationship.term.complete_confirm", partner_name=partner_name)
    return Part(
        mrkdwn("relationship.term.prompt_fallback", partner_name=partner_name, ends=day(ends)),
        [
            section(
                mrkdwn(
                    "relationship.term.prompt",
                    months=months,
                    partner=partner_id,
                    ends=day_year(ends),
                    extension=extension,
                )
            ),
            actions(
                [
                    complete,
                    button(
                        plain("relationship.term.button_extend", extension=extension),
                        ids.REL_EXTEND,
                        _value(p=pair_id, e=ends.isoformat()),
                        style="primary",
                    ),
                ],
                block_id=f"rel.term.{pair_id}.{ends.isoformat()}",
            ),
        ],
    )


def extended(partner_id: str, partner_name: str, until: date) -> Part:
    return Part(
        mrkdwn(
            "relationship.term.extended_fallback", partner_name=partner_name, until=day_year(until)
        ),
        [section(mrkdwn("relationship.term.extended", partner=partner_id, until=day_year(until)))],
    )


def pause_started(person_id: str, person_name: str, until: date | None) -> Part:
    key = "partner_started" if until is not None else "partner_started_open"
    return Part(
        mrkdwn("relationship.pause.partner_started_fallback", person_name=person_name),
        [
            section(
                mrkdwn(
                    f"relationship.pause.{key}",
                    person=person_id,
                    until=day(until) if until else "",
                )
            )
        ],
    )


def pause_ended(self_: bool, person_id: str) -> Part:
    key = "ended_self" if self_ else "ended_other"
    return Part(
        mrkdwn("relationship.pause.ended_fallback"),
        [section(mrkdwn(f"relationship.pause.{key}", person=person_id))],
    )


# --- modals ---------------------------------------------------------------------------------
def _modal(
    callback_id: str, title: str, submit: str, blocks: list[Block], metadata: dict[str, Any]
) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain_text(title, 24),
        "submit": plain_text(submit, 24),
        "close": plain_text(plain("relationship.agreement.modal_close"), 24),
        "private_metadata": json.dumps(metadata, separators=(",", ":")),
        "blocks": blocks,
    }


def checkboxes(
    action_id: str, options: Sequence[tuple[str, str]], initial: Sequence[str] = ()
) -> Block:
    element: Block = {
        "type": "checkboxes",
        "action_id": action_id,
        "options": [option(t, v) for t, v in options],
    }
    chosen = [option(t, v) for t, v in options if v in set(initial)]
    if chosen:
        element["initial_options"] = chosen
    return element


def _goal_inputs(form: AgreementForm, max_goals: int) -> list[Block]:
    """A title and a success field per goal: the draft's goals, then empty ones to the limit."""
    blocks: list[Block] = []
    goals = list(form.goals) + [{"title": "", "success": ""}] * max(0, max_goals - len(form.goals))
    for n, goal in enumerate(goals[: max(max_goals, len(form.goals))], start=1):
        blocks += [
            input_block(
                plain("relationship.agreement.goal_label", n=n),
                text_input(
                    ids.REL_AGREEMENT_GOAL.format(n=n),
                    initial=goal.get("title") or None,
                    max_length=GOAL_TITLE_MAX,
                ),
                block_id=f"agreement_goal_{n}",
                optional=n > 1,
                hint=plain("relationship.agreement.goal_hint") if n > 1 else None,
            ),
            input_block(
                plain("relationship.agreement.success_label", n=n),
                text_input(
                    ids.REL_AGREEMENT_SUCCESS.format(n=n),
                    initial=goal.get("success") or None,
                    multiline=True,
                    max_length=SUCCESS_MAX,
                ),
                block_id=f"agreement_success_{n}",
                optional=True,
            ),
        ]
    return blocks


def agreement_modal(
    form: AgreementForm,
    *,
    partner_name: str,
    max_goals: int,
    durations: Sequence[int],
    suggestion: str | None,
    metadata: dict[str, Any],
) -> dict[str, Any]:
    blocks: list[Block] = [
        section(mrkdwn("relationship.agreement.modal_intro", partner_name=partner_name))
    ]
    if suggestion:
        blocks.append(
            section(
                mrkdwn(
                    "relationship.agreement.modal_suggestion",
                    partner_name=partner_name,
                    suggestion=suggestion,
                )
            )
        )
    blocks += _goal_inputs(form, max_goals)
    blocks += _meeting_inputs(form, durations)
    blocks += [
        divider(),
        section(mrkdwn("relationship.agreement.ground_rules")),
        _ground_rules_input(form),
    ]
    return _modal(
        ids.REL_AGREEMENT_MODAL,
        plain("relationship.agreement.modal_title"),
        plain("relationship.agreement.modal_submit"),
        blocks,
        metadata,
    )


def _meeting_inputs(form: AgreementForm, durations: Sequence[int]) -> list[Block]:
    """How the pair will meet: cadence, format and how many months."""
    return [
        input_block(
            plain("relationship.agreement.cadence_label"),
            radio_buttons(
                ids.REL_AGREEMENT_CADENCE,
                [(plain(f"relationship.cadence.{c}"), c) for c in CADENCE_DAYS],
                initial=form.cadence,
            ),
            block_id="agreement_cadence",
        ),
        input_block(
            plain("relationship.agreement.format_label"),
            radio_buttons(
                ids.REL_AGREEMENT_FORMAT,
                [(plain(f"relationship.format.{f}"), f) for f in FORMATS],
                initial=form.meeting_format,
            ),
            block_id="agreement_format",
        ),
        input_block(
            plain("relationship.agreement.duration_label"),
            static_select(
                ids.REL_AGREEMENT_DURATION,
                plain("relationship.agreement.duration_label"),
                options=[(plain("relationship.months", count=d), str(d)) for d in durations],
                initial=str(form.duration_months),
            ),
            block_id="agreement_duration",
        ),
    ]


def _ground_rules_input(form: AgreementForm) -> Block:
    return input_block(
        plain("relationship.agreement.ground_rules_label"),
        checkboxes(
            ids.REL_AGREEMENT_RULES,
            [(plain("relationship.agreement.ground_rules_ack"), "agreed")],
            initial=["agreed"] if form.ground_rules else [],
        ),
        block_id="agreement_ground_rules",
    )


def _state(values: Mapping[str, Any], block_id: str, action_id: str) -> dict[str, Any]:
    return dict((values.get(block_id) or {}).get(action_id) or {})


def _text(values: Mapping[str, Any], block_id: str, action_id: str) -> str:
    return str(_state(values, block_id, action_id).get("value") or "")


def _choice(values: Mapping[str, Any], block_id: str, action_id: str) -> str:
    chosen = _state(values, block_id, action_id).get("selected_option") or {}
    return str(chosen.get("value") or "")


def agreement_form(values: Mapping[str, Any], max_goals: int) -> AgreementForm:
    goals = []
    for n in range(1, max_goals + 1):
        title = _text(values, f"agreement_goal_{n}", ids.REL_AGREEMENT_GOAL.format(n=n))
        success = _text(values, f"agreement_success_{n}", ids.REL_AGREEMENT_SUCCESS.format(n=n))
        if title.strip() or success.strip():
            goals.append({"title": title, "success": success})
    duration = _choice(values, "agreement_duration", ids.REL_AGREEMENT_DURATION)
    rules = (
        _state(values, "agreement_ground_rules", ids.REL_AGREEMENT_RULES).get("selected_options")
        or []
    )
    return AgreementForm(
        goals=goals,
        cadence=_choice(values, "agreement_cadence", ids.REL_AGREEMENT_CADENCE),
        meeting_format=_choice(values, "agreement_format", ids.REL_AGREEMENT_FORMAT),
        duration_months=int(duration) if duration.isdigit() else 0,
        ground_rules=any(o.get("value") == "agreed" for o in rules),
    )


def agreement_errors(errors: Mapping[str, str], n_goals: int) -> dict[str, str]:
    """Map field problems to the modal's block ids with their messages."""
    out = {}
    for name, key in errors.items():
        block = f"agreement_{name}"
        if name.startswith(("goal_", "success_")):
            n = int(name.split("_")[1])
            if n > n_goals:
                block = f"agreement_{name.split('_')[0]}_1"
        out[block] = plain(f"relationship.errors.{key}")
    return out


def suggest_modal(partner_name: str, metadata: dict[str, Any]) -> dict[str, Any]:
    return _modal(
        ids.REL_SUGGEST_MODAL,
        plain("relationship.agreement.suggest_title"),
        plain("relationship.agreement.suggest_submit"),
        [
            input_block(
                plain("relationship.agreement.suggest_label"),
                text_input(ids.REL_SUGGEST_TEXT, multiline=True, max_length=SUGGESTION_MAX),
                block_id="suggest_text",
                hint=plain("relationship.agreement.suggest_hint", partner_name=partner_name),
            )
        ],
        metadata,
    )


def note_modal(met_on: date, note: str | None, metadata: dict[str, Any]) -> dict[str, Any]:
    return _modal(
        ids.REL_NOTE_MODAL,
        plain("relationship.meeting.note_title"),
        plain("relationship.meeting.note_submit"),
        [
            input_block(
                plain("relationship.meeting.note_label", date=day(met_on)),
                text_input(ids.REL_NOTE_TEXT, initial=note, multiline=True, max_length=NOTE_MAX),
                block_id="note_text",
                optional=True,
                hint=plain("relationship.meeting.note_hint_modal"),
            )
        ],
        metadata,
    )


def checkin_modal(
    goals: Sequence[str], partner_name: str, metadata: dict[str, Any]
) -> dict[str, Any]:
    progress = [(plain(f"relationship.checkin.progress.{v}"), v) for v in PROGRESS_VALUES]
    blocks: list[Block] = [context(mrkdwn("relationship.checkin.modal_intro"))]
    for n, goal in enumerate(goals, start=1):
        blocks.append(
            input_block(
                plain("relationship.checkin.goal_label", goal=goal),
                radio_buttons(ids.REL_CHECKIN_GOAL.format(n=n), progress),
                block_id=f"checkin_goal_{n}",
            )
        )
    blocks += [
        input_block(
            plain("relationship.checkin.note_label"),
            text_input(ids.REL_CHECKIN_NOTE, multiline=True, max_length=CHECKIN_NOTE_MAX),
            block_id="checkin_note",
            optional=True,
            hint=plain("relationship.checkin.note_hint"),
        ),
        input_block(
            plain("relationship.checkin.health_label", partner_name=partner_name),
            radio_buttons(
                ids.REL_CHECKIN_HEALTH,
                [(plain(f"relationship.checkin.health.{v}"), v) for v in HEALTH_VALUES],
            ),
            block_id="checkin_health",
        ),
        input_block(
            plain("relationship.checkin.share_label"),
            checkboxes(
                ids.REL_CHECKIN_SHARE,
                [(plain("relationship.checkin.share_option", partner_name=partner_name), "share")],
            ),
            block_id="checkin_share",
            optional=True,
        ),
    ]
    return _modal(
        ids.REL_CHECKIN_MODAL,
        plain("relationship.checkin.modal_title"),
        plain("relationship.checkin.modal_submit"),
        blocks,
        metadata,
    )


def checkin_answers(values: Mapping[str, Any], n_goals: int) -> CheckinAnswers:
    share = _state(values, "checkin_share", ids.REL_CHECKIN_SHARE).get("selected_options") or []
    return CheckinAnswers(
        progress=[
            _choice(values, f"checkin_goal_{n}", ids.REL_CHECKIN_GOAL.format(n=n))
            for n in range(1, n_goals + 1)
        ],
        health=_choice(values, "checkin_health", ids.REL_CHECKIN_HEALTH),
        note=_text(values, "checkin_note", ids.REL_CHECKIN_NOTE) or None,
        share=any(o.get("value") == "share" for o in share),
    )


# --- App Home -----------------------------------------------------------------------------
@dataclass
class PairHome:
    pair_id: int
    role: str
    partner_id: str
    partner_name: str
    since: date
    agreement_status: str | None  # None | proposed | changes_suggested | active
    agreement: AgreementView | None
    version: int | None
    last_met: date | None


@dataclass
class HomeSection:
    pairs: list[PairHome] = field(default_factory=list)
    paused_until: date | None = None
    paused_open: bool = False


def home_section(state: HomeSection) -> list[Block]:
    if not state.pairs:
        return []
    blocks: list[Block] = [divider(), header(plain("relationship.home.header"))]
    if state.paused_open or state.paused_until is not None:
        text = (
            mrkdwn("relationship.home.paused_open")
            if state.paused_open
            else mrkdwn("relationship.home.paused", until=day(state.paused_until))  # type: ignore[arg-type]
        )
        blocks.append(
            section(
                text,
                accessory=button(
                    plain("relationship.home.button_resume"), ids.REL_RESUME, "resume"
                ),
            )
        )
    for pair in state.pairs:
        blocks += _pair_home(pair)
    blocks.append(context(mrkdwn("relationship.home.tip")))
    return blocks


def _pair_home(pair: PairHome) -> list[Block]:
    """One pair in App Home: who, the agreement (or how far it is), and what to do next."""
    blocks: list[Block] = [
        section(
            mrkdwn(
                "relationship.home.pair",
                partner=pair.partner_id,
                role=plain(f"relationship.home.role.{pair.role}"),
                since=day_year(pair.since),
            )
        )
    ]
    buttons = []
    value = _value(p=pair.pair_id)
    if pair.agreement_status == "active" and pair.agreement is not None:
        blocks.append(section(mrkdwn("relationship.home.agreement_title")))
        blocks += agreement_blocks(pair.agreement)
        blocks.append(
            context(
                mrkdwn("relationship.home.last_met", date=day(pair.last_met))
                if pair.last_met
                else mrkdwn("relationship.home.never_met")
            )
        )
        buttons.append(button(plain("relationship.meeting.button_met"), ids.REL_MET, value))
    else:
        status = {None: "none", "proposed": "proposed", "changes_suggested": "changes"}.get(
            pair.agreement_status, "none"
        )
        blocks.append(
            context(
                mrkdwn(f"relationship.home.{status}_{pair.role}", partner_name=pair.partner_name)
            )
        )
        if pair.role == "mentee" and status in ("none", "changes"):
            buttons.append(
                button(
                    plain("relationship.agreement.button_setup"),
                    ids.REL_AGREEMENT_OPEN,
                    value,
                    style="primary",
                )
            )
        if pair.role == "mentor" and status == "proposed" and pair.version is not None:
            buttons += _review_buttons(pair.pair_id, pair.version)
    if buttons:
        blocks.append(actions(buttons, block_id=f"rel.home.{pair.pair_id}"))
    return blocks
