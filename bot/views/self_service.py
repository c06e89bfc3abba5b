"""Block Kit builders for everyone's own commands: status, confirmations, my data."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from bot.platform import ids
from bot.platform.blocks import (
    Block,
    actions,
    button,
    context,
    header,
    message,
    note,
    question,
    section,
)
from core.kernel.texts import mrkdwn, plain
from core.privacy.service import MyData
from core.relationships.models import INDEFINITE
from core.self_service.service import Status

MAX_BLOCKS = 50


def _day(value: Any) -> str:
    return value.strftime("%d %b %Y") if value is not None else ""


def status(data: Status) -> dict[str, Any]:
    if not data.programs:
        return note("everyone.status.not_joined")
    blocks: list[Block] = [header(plain("everyone.status.title"))]
    for p in data.programs:
        blocks.append(
            section(
                mrkdwn(
                    "everyone.status.program",
                    program=p.program,
                    role=plain(f"everyone.roles.{p.roles}"),
                    status=plain(f"everyone.statuses.{p.status}"),
                    paused_until=_day(p.paused_until)
                    if p.paused_until and p.paused_until < INDEFINITE
                    else None,
                )
            )
        )
    if data.pairs:
        lines = [
            mrkdwn(
                f"everyone.status.pair_{pair.my_role}", partner=pair.partner, since=_day(pair.since)
            )
            for pair in data.pairs
        ]
        blocks.append(section("\n".join(lines)))
    if data.requests:
        lines = [
            mrkdwn(
                f"everyone.status.request_{req.direction}",
                other=req.other,
                until=_day(req.expires_at),
                via_coordinator=req.via_coordinator,
            )
            for req in data.requests
        ]
        blocks.append(section("\n".join(lines)))
    if data.next_steps:
        lines = [mrkdwn("everyone.status.next_header")] + [
            mrkdwn("everyone.status.next_item", when=_day(step.when), text=Markup(step.text))
            for step in data.next_steps
        ]
        blocks.append(section("\n".join(lines)))
    elif not data.pairs and not data.requests and data.joined:
        blocks.append(section(mrkdwn("everyone.status.nothing_pending")))
    blocks.append(context(mrkdwn("everyone.status.footer")))
    return message(plain("everyone.status.title"), blocks[:MAX_BLOCKS])


def confirm(kind: str, token: str) -> dict[str, Any]:
    """A leave / forget-me confirmation (`kind`: "leave" or "forget")."""
    confirm_id = ids.EVERYONE_LEAVE_CONFIRM if kind == "leave" else ids.EVERYONE_FORGET_CONFIRM
    cancel_id = ids.EVERYONE_LEAVE_CANCEL if kind == "leave" else ids.EVERYONE_FORGET_CANCEL
    return question(
        mrkdwn(f"everyone.{kind}.question"),
        (plain(f"everyone.{kind}.confirm"), confirm_id, "danger"),
        (plain("everyone.keep"), cancel_id),
        token,
        block_id=f"everyone.{kind}",
    )


def confirm_leave_program(program: str, token: str) -> dict[str, Any]:
    """Leave one program (`--program`): its confirmation."""
    return question(
        mrkdwn("everyone.leave.question_program", program=program),
        (plain("everyone.leave.confirm"), ids.EVERYONE_LEAVE_CONFIRM, "danger"),
        (plain("everyone.keep"), ids.EVERYONE_LEAVE_CANCEL),
        token,
        block_id="everyone.leave",
    )


def choose_leave(programs: list[tuple[str, str]], all_token: str) -> dict[str, Any]:
    """Leave which program, for someone in several: one confirming button per program
    (`programs`: name and its button value), one for all of them, and one to keep things."""
    text = mrkdwn("everyone.leave.question_which")
    blocks: list[Block] = [section(text)]
    for n, (name, token) in enumerate(programs):
        blocks.append(
            section(
                mrkdwn("everyone.leave.program", program=name),
                block_id=f"everyone.leave.program.{n}",
                accessory=button(
                    plain("everyone.leave.confirm_program"),
                    ids.EVERYONE_LEAVE_PROGRAM,
                    token,
                    style="danger",
                ),
            )
        )
    blocks.append(
        actions(
            [
                button(
                    plain("everyone.leave.confirm_all"),
                    ids.EVERYONE_LEAVE_CONFIRM,
                    all_token,
                    style="danger",
                ),
                button(plain("everyone.keep"), ids.EVERYONE_LEAVE_CANCEL, all_token),
            ],
            block_id="everyone.leave",
        )
    )
    fallback = plain("everyone.leave.fallback_which", programs=[name for name, _ in programs])
    return message(fallback, blocks)


def my_data_file_title() -> str:
    return plain("everyone.my_data.file_title")


def my_data(data: MyData) -> dict[str, Any]:
    blocks: list[Block] = [header(plain("everyone.my_data.title"))]
    if data.person:
        blocks.append(section(mrkdwn("everyone.my_data.person", **data.person)))
    for program in data.programs:
        blocks.append(
            section(
                mrkdwn(
                    "everyone.my_data.program",
                    role=plain(f"everyone.roles.{program['roles']}"),
                    status=plain(f"everyone.statuses.{program['status']}"),
                    **{k: v for k, v in program.items() if k not in ("roles", "status")},
                )
            )
        )
    if data.pairs:
        lines = [
            mrkdwn(
                "everyone.my_data.pair",
                role=plain(f"everyone.roles.{pair['role']}"),
                partner=pair["partner"],
                status=pair["status"],
                since=pair["since"],
                ended=pair["ended"],
            )
            for pair in data.pairs
        ]
        blocks.append(section(mrkdwn("everyone.my_data.pairs_header") + "\n" + "\n".join(lines)))
    if data.requests:
        lines = [mrkdwn("everyone.my_data.request", **req) for req in data.requests]
        blocks.append(section(mrkdwn("everyone.my_data.requests_header") + "\n" + "\n".join(lines)))
    blocks.append(
        section(
            mrkdwn(
                "everyone.my_data.other",
                coordinator_of=data.coordinator_of,
                audit_as_actor=data.audit_as_actor,
                audit_as_target=data.audit_as_target,
                messages=data.messages_queued,
            )
        )
    )
    blocks.append(context(mrkdwn("everyone.my_data.footer")))
    return message(plain("everyone.my_data.title"), blocks[:MAX_BLOCKS])
