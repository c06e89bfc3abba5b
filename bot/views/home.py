"""The App Home tab: the person's status and their next step, rebuilt from the database."""

from __future__ import annotations

from dataclasses import dataclass, field
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
    section,
)
from core.kernel.texts import mrkdwn, plain


@dataclass
class ProgramHome:
    """One program's part of the Home tab of someone who takes part in several."""

    program_id: int
    program: str
    status: str  # onboarding | active
    is_mentee: bool = False
    is_mentor: bool = False
    goals: list[str] = field(default_factory=list)
    areas: list[str] = field(default_factory=list)
    capacity: int = 0
    sections: list[Block] = field(default_factory=list)  # this program's blocks from features


@dataclass
class HomeState:
    program: str
    status: str  # none | onboarding | active | left
    is_mentee: bool = False
    is_mentor: bool = False
    goals: list[str] = field(default_factory=list)
    areas: list[str] = field(default_factory=list)
    capacity: int = 0
    sections: list[Block] = field(default_factory=list)  # extra blocks from other features
    # Someone in several programs: each program's own status (then `program` is unused).
    programs: list[ProgramHome] = field(default_factory=list)


def _program_blocks(p: ProgramHome) -> list[Block]:
    """One program's status and its button, for someone in several programs."""
    lines = [mrkdwn("home.program", program=p.program)]
    if p.status == "active":
        if p.is_mentee:
            lines.append(mrkdwn("home.status.active_mentee", goals=p.goals))
        if p.is_mentor:
            lines.append(mrkdwn("home.status.active_mentor", count=p.capacity, areas=p.areas))
        action = button(
            plain("home.buttons.edit"), ids.HOME_EDIT_PROFILE, encode_value(p=p.program_id)
        )
    else:
        lines.append(mrkdwn("home.status.onboarding"))
        action = button(
            plain("home.buttons.continue"),
            ids.HOME_CONTINUE,
            encode_value(p=p.program_id),
            style="primary",
        )
    return [section("\n".join(lines), block_id=f"home.program.{p.program_id}", accessory=action)]


def home_view(state: HomeState) -> dict[str, Any]:
    if state.programs:
        return _several_programs_view(state)
    blocks: list[Block] = [
        header(plain("home.header", program=state.program)),
        section(mrkdwn("home.intro")),
        divider(),
    ]
    if state.status == "active":
        if state.is_mentee:
            blocks.append(section(mrkdwn("home.status.active_mentee", goals=state.goals)))
        if state.is_mentor:
            blocks.append(
                section(
                    mrkdwn("home.status.active_mentor", count=state.capacity, areas=state.areas)
                )
            )
        blocks.append(context(mrkdwn("home.next_step.active")))
        blocks.append(
            actions(
                [button(plain("home.buttons.edit"), ids.HOME_EDIT_PROFILE, "edit")],
                block_id="home.actions",
            )
        )
    elif state.status == "onboarding":
        blocks.append(section(mrkdwn("home.status.onboarding")))
        blocks.append(context(mrkdwn("home.next_step.onboarding")))
        blocks.append(
            actions(
                [
                    button(
                        plain("home.buttons.continue"),
                        ids.HOME_CONTINUE,
                        "continue",
                        style="primary",
                    )
                ],
                block_id="home.actions",
            )
        )
    else:
        status = "left" if state.status == "left" else "none"
        blocks.append(section(mrkdwn(f"home.status.{status}")))
        blocks.append(context(mrkdwn(f"home.next_step.{status}")))
        label = plain(f"home.buttons.{'rejoin' if status == 'left' else 'join'}")
        blocks.append(
            actions(
                [button(label, ids.HOME_JOIN, "join", style="primary")],
                block_id="home.actions",
            )
        )
    blocks += state.sections
    blocks += [divider(), context(mrkdwn("home.footer"))]
    return {"type": "home", "blocks": blocks[:100]}


def _several_programs_view(state: HomeState) -> dict[str, Any]:
    blocks: list[Block] = [
        header(plain("home.header_several")),
        section(mrkdwn("home.intro")),
        divider(),
    ]
    for p in state.programs:
        blocks += _program_blocks(p)
        blocks += p.sections
    blocks.append(context(mrkdwn("home.next_step.several")))
    blocks += state.sections
    blocks += [divider(), context(mrkdwn("home.footer"))]
    return {"type": "home", "blocks": blocks[:100]}
