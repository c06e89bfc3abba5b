"""The `/mentoring` slash command: one command, many subcommands.

Subcommands are registered in a table (`mentor.commands`) that other features add
to. An unknown subcommand answers with "did you mean" when it looks like a typo, else with
help; never silence.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.platform import ids
from bot.platform.blocks import message, section
from core.kernel.texts import mrkdwn
from core.self_service.use_cases import coordinated_program_names

if TYPE_CHECKING:
    from bot.app import MentorApp


@dataclass
class CommandContext:
    mentor: MentorApp
    client: WebClient
    respond: Respond
    team_id: str
    user_id: str
    channel_id: str
    trigger_id: str
    name: str  # the subcommand
    args: str  # the rest of the text

    def reply(self, text: str) -> None:
        """An ephemeral reply only the person who typed the command sees."""
        self.respond(
            response_type="ephemeral", replace_original=False, **message(text, [section(text)])
        )


Subcommand = Callable[[CommandContext], None]


def commands(mentor: MentorApp) -> dict[str, Subcommand]:
    return mentor.commands


def _help(ctx: CommandContext) -> None:
    ctx.reply(
        mrkdwn("commands.help", unknown=ctx.name if ctx.name not in commands(ctx.mentor) else None)
    )


def _unknown(ctx: CommandContext) -> None:
    """A typo (`stat`, `unmached`) gets the one subcommand it most likely meant; anything
    else gets the help."""
    table = commands(ctx.mentor)
    names = set(table)
    if ctx.name and not coordinated_program_names(ctx.mentor.db, ctx.team_id, ctx.user_id):
        names -= ctx.mentor.coordinator_commands
    close = difflib.get_close_matches(ctx.name, sorted(names), n=1, cutoff=0.75) if ctx.name else []
    if close:
        ctx.reply(mrkdwn("commands.did_you_mean", typed=ctx.name[:40], suggestion=close[0]))
    else:
        table["help"](ctx)


def _join(ctx: CommandContext) -> None:
    flow = ctx.mentor.flows.onboarding
    program_id, problem = flow.program_for_command(ctx.team_id, ctx.args)
    if problem is not None:
        ctx.reply(problem)
        return
    # Said only once the DM is in Slack: a failure (the database, Slack) promises nothing.
    sent = flow.start(ctx.client, ctx.team_id, ctx.user_id, explicit=True, program_id=program_id)
    ctx.reply(mrkdwn("commands.join" if sent else "commands.join_nothing"))


def _profile(ctx: CommandContext) -> None:
    reply = ctx.mentor.flows.onboarding.profile_command(
        ctx.client, ctx.team_id, ctx.user_id, ctx.trigger_id, ctx.args
    )
    if reply is not None:
        ctx.respond(response_type="ephemeral", replace_original=False, **reply)


def register(app: App, mentor: MentorApp) -> None:
    table = commands(mentor)
    table.update({"help": _help, "join": _join, "profile": _profile})

    @app.command(ids.SLASH_COMMAND)
    def mentoring(ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient) -> None:
        ack()
        text = str(command.get("text") or "").strip()
        name, _, rest = text.partition(" ")
        ctx = CommandContext(
            mentor=mentor,
            client=client,
            respond=respond,
            team_id=str(command.get("team_id") or ""),
            user_id=str(command.get("user_id") or ""),
            channel_id=str(command.get("channel_id") or ""),
            trigger_id=str(command.get("trigger_id") or ""),
            name=name.lower(),
            args=rest.strip(),
        )
        (table.get(ctx.name) or _unknown)(ctx)
