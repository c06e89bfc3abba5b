"""Block Kit builders for the coordinator console: pure functions, data in, payload out.

Nothing here is given goal text, agreements, check-in answers or notes: the builders take
counts (already masked with the k rule), names and statuses.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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
    note,
    plain_text,
    question,
    section,
    static_select,
    text_input,
)
from core.coordination.models import AuditEvent
from core.coordination.reports import STAGES, Digest, Figure, Listed, Stats
from core.coordination.service import CADENCE_DAYS, DURATIONS, INT_RANGES, TARGET_KEYS
from core.kernel.texts import mrkdwn, plain
from core.matchmaking.service import MatchingTooLarge, RunPlan
from core.messaging.outbox import ANNOUNCEMENT_MAX_CHARS
from core.privacy.service import Shown
from core.programs.settings import ProgramSettings

MAX_BLOCKS = 50
LIST_LIMIT = 40  # people per list message (lines are grouped into a few sections)


def refusal(program: str | None) -> dict[str, Any]:
    return note("coordinator.refusal", program=program)


def error(key: str, **ctx: Any) -> dict[str, Any]:
    return note(f"coordinator.errors.{key}", **ctx)


def _value(**data: Any) -> str:
    return json.dumps(data, separators=(",", ":"), sort_keys=True)


# --- stats ----------------------------------------------------------------------------------


def _figure(name: str, figure: Figure, unit: str = "") -> str:
    if not figure.tracked:
        return mrkdwn("coordinator.stats.not_tracked", name=plain(f"coordinator.figures.{name}"))
    return mrkdwn(
        "coordinator.stats.figure",
        name=plain(f"coordinator.figures.{name}"),
        value=None if figure.value is None else f"{figure.value:g}{unit}",
        target=None if figure.target is None else f"{figure.target:g}{unit}",
        on_track=figure.on_track,
    )


def _cells(cells: Mapping[str, Shown], prefix: str) -> str:
    return ", ".join(f"{plain(f'{prefix}.{name}')}: {cell}" for name, cell in cells.items())


def stats(data: Stats) -> dict[str, Any]:
    blocks: list[Block] = [header(plain("coordinator.stats.title", program=data.program))]
    if data.objectives:
        lines = [mrkdwn("coordinator.stats.objectives")] + [
            mrkdwn("coordinator.stats.objective", text=o) for o in data.objectives
        ]
        blocks.append(section("\n".join(lines)))
    blocks.append(
        section(
            mrkdwn(
                "coordinator.stats.participants",
                total=str(data.participants),
                by_role=_cells(data.by_role, "coordinator.roles"),
                by_status=_cells(data.by_status, "coordinator.statuses"),
            )
        )
    )
    blocks.append(
        section(
            mrkdwn(
                "coordinator.stats.pairs",
                total=str(data.pairs),
                by_stage=_cells(data.by_stage, "coordinator.stages"),
            )
        )
    )
    lines = [
        mrkdwn("coordinator.stats.line", figure=Markup(_figure(name, figure, unit)))
        for name, figure, unit in (
            ("active_pairs", data.active_pairs, ""),
            ("meetings_per_active_pair", data.meetings_per_active_pair, ""),
            ("days_to_match", data.days_to_match, ""),
            ("checkin_response_rate", data.checkin_response_rate, "%"),
        )
    ]
    if data.could_be_better is not None:
        lines.append(
            mrkdwn(
                "coordinator.stats.line",
                figure=Markup(
                    mrkdwn("coordinator.stats.could_be_better", count=str(data.could_be_better))
                ),
            )
        )
    blocks.append(section("\n".join(lines)))
    if data.goals:
        goal_lines = [
            mrkdwn(
                "coordinator.stats.goal_group",
                group=g.group,
                mentees=str(g.mentees),
                progress=Markup(_figure("goals_progressing", g.progressing, "%")),
            )
            for g in data.goals
        ]
        blocks.append(
            section(mrkdwn("coordinator.stats.goals_header") + "\n" + "\n".join(goal_lines))
        )
    blocks.append(context(mrkdwn("coordinator.stats.privacy", k=data.k)))
    return message(plain("coordinator.stats.title", program=data.program), blocks[:MAX_BLOCKS])


# --- lists of people (names and status only) ------------------------------------------------


LIST_ACTIONS = {"unmatched": ids.COORD_LIST_SUGGEST, "at_risk": ids.COORD_LIST_CHECK_IN}


def people_list(
    kind: str,
    program: str,
    items: Sequence[Listed],
    program_id: int | None = None,
    done: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """`kind`: "unmatched" or "at_risk". With `program_id`, each row carries the action a
    coordinator can take on it (unmatched: *Suggest mentors*; at risk: *Send a check-in*);
    `done` maps a row's person to the ✓ line of what was done for them (no button then)."""
    title = plain(f"coordinator.lists.{kind}.title", program=program)
    if not items:
        return note(f"coordinator.lists.{kind}.empty", program=program)
    blocks: list[Block] = [header(title)]
    for item in items[:LIST_LIMIT]:
        blocks.append(_list_row(kind, item, program_id, done or {}))
    if len(items) > LIST_LIMIT:
        blocks.append(context(mrkdwn("coordinator.lists.more", count=len(items) - LIST_LIMIT)))
    blocks.append(context(mrkdwn(f"coordinator.lists.{kind}.footer")))
    return message(title, blocks)


def _list_row(kind: str, item: Listed, program_id: int | None, done: Mapping[str, str]) -> Block:
    text = mrkdwn(
        "coordinator.lists.line",
        user=item.user_id,
        other=item.other_user_id,
        status=plain(f"coordinator.list_status.{item.status}"),
    )
    if item.user_id in done:
        return section(f"{text}\n{mrkdwn(done[item.user_id], user=item.user_id)}")
    if program_id is None:
        return section(text)
    accessory = button(
        plain(f"coordinator.lists.{kind}.action"),
        LIST_ACTIONS[kind],
        _value(p=program_id, u=item.user_id),
    )
    return section(text, accessory=accessory)


# --- programs -------------------------------------------------------------------------------


@dataclass
class ProgramRow:
    id: int
    name: str
    is_default: bool
    coordinators: list[str]
    participants: Shown | None  # None: not one of this coordinator's programs
    mine: bool


def program_list(rows: Sequence[ProgramRow]) -> dict[str, Any]:
    title = plain("coordinator.programs.title")
    blocks: list[Block] = [header(title)]
    for row in rows[:40]:
        text = mrkdwn(
            "coordinator.programs.row",
            name=row.name,
            is_default=row.is_default,
            coordinators=row.coordinators,
            participants=None if row.participants is None else str(row.participants),
        )
        accessory = (
            button(
                plain("coordinator.programs.settings_button"),
                ids.COORD_PROGRAM_SETTINGS,
                _value(p=row.id),
            )
            if row.mine
            else None
        )
        blocks.append(section(text, block_id=f"program.{row.id}", accessory=accessory))
    blocks.append(context(mrkdwn("coordinator.programs.footer")))
    return message(title, blocks)


def _field(key: str) -> str:
    return ids.COORD_SETTINGS_FIELD.format(key=key)


def _block(key: str) -> str:
    return f"settings_{key}"


def _number_select(key: str, low: int, high: int, current: Any) -> Block:
    options = [(str(n), str(n)) for n in range(low, high + 1)]
    return static_select(
        _field(key),
        plain("coordinator.settings.choose"),
        options=options,
        initial=str(current) if current is not None else None,
    )


def _number_input(key: str, current: Any, *, optional: bool = False) -> Block:
    element = text_input(_field(key), initial=None if current is None else str(current))
    element["max_length"] = 6
    return element


NUMBER_SETTINGS = (
    "shortlist_size",
    "request_reminder_days",
    "request_expiry_days",
    "agreement_nudge_days",
    "checkin_first_days",
    "checkin_every_days",
    "privacy_min_group",
)
# Technical limits are not for the Slack form: `matching_max_memory_mb` is set in
# content/program_defaults.yaml by whoever runs mentorbot (`mentorbot match preview
# --max-memory-mb` tries another limit), and a submitted value for it is ignored.
FORM_KEYS = frozenset(
    (
        *NUMBER_SETTINGS,
        "objectives",
        "duration_months",
        "meeting_cadence",
        "working_hours_start",
        "working_hours_end",
        *(f"target_{key}" for key in TARGET_KEYS),
    )
)


def settings_modal(program_id: int, name: str, settings: ProgramSettings) -> dict[str, Any]:
    blocks: list[Block] = [
        section(mrkdwn("coordinator.settings.intro", program=name)),
        _objectives_input(settings),
    ]
    blocks += [_number_setting_input(key, getattr(settings, key)) for key in NUMBER_SETTINGS]
    blocks.append(
        _choice_input(
            "duration_months",
            [(plain("coordinator.settings.months", n=n), str(n)) for n in DURATIONS],
            str(settings.duration_months),
        )
    )
    blocks.append(
        _choice_input("meeting_cadence", [(c, c) for c in CADENCE_DAYS], settings.meeting_cadence)
    )
    for edge in ("start", "end"):
        blocks.append(
            _choice_input(
                f"working_hours_{edge}",
                [(f"{h:02d}:00", str(h)) for h in range(0, 25)],
                str(getattr(settings.working_hours, edge)),
            )
        )
    blocks.append(divider())
    blocks.append(section(mrkdwn("coordinator.settings.targets_intro")))
    blocks += [_target_input(key, settings.targets.get(key)) for key in TARGET_KEYS]
    return modal(
        ids.COORD_SETTINGS_MODAL, "coordinator.settings", _value(p=program_id), blocks[:100]
    )


def _objectives_input(settings: ProgramSettings) -> Block:
    return input_block(
        plain("coordinator.settings.objectives"),
        text_input(
            _field("objectives"),
            initial="\n".join(settings.objectives),
            multiline=True,
            max_length=1500,
        ),
        block_id=_block("objectives"),
        optional=True,
        hint=plain("coordinator.settings.objectives_hint"),
    )


def _number_setting_input(key: str, current: Any) -> Block:
    """A whole-number setting: a select when its range is short, else a text input."""
    low, high = INT_RANGES[key]
    element = (
        _number_select(key, low, high, current) if high - low < 100 else _number_input(key, current)
    )
    return input_block(
        plain(f"coordinator.settings.{key}"),
        element,
        block_id=_block(key),
        hint=plain(f"coordinator.settings.hints.{key}", low=low, high=high),
    )


def _choice_input(key: str, options: list[tuple[str, str]], initial: str) -> Block:
    """A setting picked from a fixed list of options."""
    return input_block(
        plain(f"coordinator.settings.{key}"),
        static_select(
            _field(key),
            plain("coordinator.settings.choose"),
            options=options,
            initial=initial,
        ),
        block_id=_block(key),
    )


def _target_input(key: str, current: Any) -> Block:
    return input_block(
        plain(f"coordinator.settings.targets.{key}"),
        _number_input(f"target_{key}", current),
        block_id=_block(f"target_{key}"),
        optional=True,
    )


def settings_from_state(values: Mapping[str, Any]) -> dict[str, Any]:
    """The raw values of the settings modal, by setting key."""
    raw: dict[str, Any] = {}
    for block_id, elements in values.items():
        if not block_id.startswith("settings_"):
            continue
        key = block_id[len("settings_") :]
        if key not in FORM_KEYS:
            continue
        state = (elements or {}).get(_field(key)) or {}
        if "selected_option" in state:
            raw[key] = (state.get("selected_option") or {}).get("value")
        else:
            raw[key] = state.get("value")
    return raw


def settings_errors(problems: Mapping[str, str]) -> dict[str, str]:
    """Problems by setting key -> errors by modal block id."""
    out: dict[str, str] = {}
    for key, problem in problems.items():
        low, high = INT_RANGES.get(key, (0, 0))
        block = _block("working_hours_end") if key == "working_hours" else _block(key)
        out[block] = plain(f"coordinator.settings_errors.{problem}", low=low, high=high)
    return out


# --- announcements --------------------------------------------------------------------------


def announce_modal(program_id: int, name: str) -> dict[str, Any]:
    return modal(
        ids.COORD_ANNOUNCE_MODAL,
        "coordinator.announce",
        _value(p=program_id),
        [
            section(mrkdwn("coordinator.announce.intro", program=name)),
            input_block(
                plain("coordinator.announce.label"),
                text_input(
                    ids.COORD_ANNOUNCE_TEXT,
                    multiline=True,
                    max_length=ANNOUNCEMENT_MAX_CHARS,
                ),
                block_id="announce_text",
            ),
        ],
    )


def announce_text(values: Mapping[str, Any]) -> str:
    return str(
        ((values.get("announce_text") or {}).get(ids.COORD_ANNOUNCE_TEXT) or {}).get("value") or ""
    )


def refusal_view(program: str | None) -> dict[str, Any]:
    return {
        "type": "modal",
        "title": plain_text(plain("coordinator.refusal_title"), 24),
        "close": plain_text(plain("coordinator.settings.close"), 24),
        "blocks": [section(mrkdwn("coordinator.refusal", program=program))],
    }


def announcement(program: str, body: str, by: str) -> dict[str, Any]:
    text = mrkdwn("coordinator.announce.message", program=program, body=body, by=by)
    return message(text, [section(text), context(mrkdwn("coordinator.announce.footer"))])


def invitation(program: str, by: str, program_id: int | None = None) -> dict[str, Any]:
    """An invitation to join `program`. Its Join button names the program (its id when
    given, else its name, unique in the workspace); the click is checked against the
    clicker's workspace before anything happens."""
    text = mrkdwn("coordinator.invite.message", program=program, by=by)
    value = encode_value(p=program_id) if program_id is not None else encode_value(n=program)
    return message(
        text,
        [
            section(text),
            actions(
                [button(plain("coordinator.invite.join"), ids.HOME_JOIN, value, style="primary")],
                block_id="coordinator.invite",
            ),
            context(mrkdwn("coordinator.invite.footer")),
        ],
    )


# --- audit ----------------------------------------------------------------------------------


def audit_list(program: str, events: Sequence[AuditEvent]) -> dict[str, Any]:
    title = plain("coordinator.audit.title", program=program)
    if not events:
        return note("coordinator.audit.empty", program=program)
    lines = [
        mrkdwn(
            "coordinator.audit.line",
            when=event.created_at.strftime("%d %b %H:%M UTC"),
            actor=event.actor,
            action=event.action,
            outcome=plain(f"coordinator.audit.outcomes.{event.outcome}"),
            targets=[t for t in event.targets or [] if t],
        )
        for event in events
    ]
    blocks: list[Block] = [header(title)]
    for start in range(0, len(lines), 10):
        blocks.append(section("\n".join(lines[start : start + 10])))
    return message(title, blocks)


# --- the weekly digest ----------------------------------------------------------------------


def digest(data: Digest, program_id: int) -> dict[str, Any]:
    title = plain("coordinator.digest.title", program=data.program)
    lines = [
        mrkdwn(
            "coordinator.digest.figure",
            name=plain(f"coordinator.digest.figures.{f.name}"),
            value=str(f.now),
            change=f.change,
        )
        for f in data.figures
    ]
    attention = mrkdwn(
        "coordinator.digest.attention", unmatched=data.unmatched, at_risk=data.at_risk
    )
    value = _value(p=program_id)
    blocks: list[Block] = [
        header(title),
        section("\n".join(lines)),
        section(attention),
        actions(
            [
                button(plain("coordinator.digest.stats"), ids.COORD_DIGEST_STATS, value),
                button(plain("coordinator.digest.unmatched"), ids.COORD_DIGEST_UNMATCHED, value),
                button(plain("coordinator.digest.at_risk"), ids.COORD_DIGEST_AT_RISK, value),
            ],
            block_id="coordinator.digest",
        ),
        context(mrkdwn("coordinator.digest.privacy", k=data.k)),
    ]
    return message(title, blocks)


def chart_labels() -> dict[str, str]:
    return {stage: plain(f"coordinator.stages.{stage}") for stage in STAGES}


# --- a coordinator's match ------------------------------------------------------------------


def match_ask(
    match_id: int, role: str, *, coordinator: str, other: str, program: str, reason: str
) -> dict[str, Any]:
    text = mrkdwn(
        f"coordinator.match.ask_{role}",
        coordinator=coordinator,
        other=other,
        program=program,
        reason=reason,
    )
    return question(
        text,
        (plain("coordinator.match.accept"), ids.COORD_MATCH_ACCEPT, "primary"),
        (plain("coordinator.match.decline"), ids.COORD_MATCH_DECLINE),
        _value(m=match_id),
        block_id=f"coordinator.match.{match_id}",
        footer=mrkdwn("coordinator.match.footer"),
    )


# --- a coordinator's matching run -----------------------------------------------------------


def match_run_confirm(program_id: int, plan: RunPlan, token: int) -> dict[str, Any]:
    """Counts from a dry run, and "Send shortlists" / "Cancel". The buttons carry the program
    and the run token (see `core.coordination.service.claim_match_run`); nothing private."""
    text = mrkdwn(
        "coordinator.match_run.confirm",
        program=plan.program,
        shortlists=plan.shortlists,
        no_mentor=plan.no_mentor,
        choosing=plan.choosing,
    )
    return question(
        text,
        (plain("coordinator.match_run.send"), ids.COORD_MATCH_RUN_SEND, "primary"),
        (plain("coordinator.match_run.cancel"), ids.COORD_MATCH_RUN_CANCEL),
        _value(p=program_id, t=token),
        block_id="coordinator.match_run",
        footer=mrkdwn("coordinator.match_run.footer"),
    )


def match_run_too_large(program: str, error: MatchingTooLarge) -> dict[str, Any]:
    estimate = error.estimate
    return note(
        "coordinator.match_run.too_large",
        program=program,
        mentees=f"{estimate.mentees:,}",
        mentors=f"{estimate.mentors_with_room:,}",
        memory_mb=f"{estimate.memory_mb:,}",
        limit_mb=f"{error.limit_mb:,}",
    )
