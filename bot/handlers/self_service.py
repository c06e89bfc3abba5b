"""Everyone's `/mentoring` subcommands (help, status, leave, my-data, forget-me) and the
confirmation buttons of leave and forget-me."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_bolt import Ack, App, Respond

from bot.handlers.commands import CommandContext, commands
from bot.handlers.common import value_listener
from bot.platform import ids

if TYPE_CHECKING:
    from bot.app import MentorApp

# Commands that exist for everyone once their feature is registered (shown in help if so).
OPTIONAL_COMMANDS = ("met", "pause", "resume", "ask")


def register(app: App, mentor: MentorApp) -> None:
    table = commands(mentor)
    everyone = mentor.flows.everyone

    def _help(ctx: CommandContext) -> None:
        available = {name for name in OPTIONAL_COMMANDS if name in table}
        unknown = ctx.name if ctx.name and ctx.name not in table else None
        everyone.help(ctx, available, unknown=unknown)

    table.update(
        {
            "help": _help,
            "status": everyone.status,
            "leave": everyone.ask_leave,
            "my-data": everyone.my_data,
            "forget-me": everyone.ask_forget,
        }
    )

    app.action(ids.EVERYONE_LEAVE_CONFIRM)(value_listener(everyone.confirm_leave))
    app.action(ids.EVERYONE_LEAVE_PROGRAM)(value_listener(everyone.confirm_leave))
    app.action(ids.EVERYONE_FORGET_CONFIRM)(value_listener(everyone.confirm_forget))

    @app.action(ids.EVERYONE_LEAVE_CANCEL)
    @app.action(ids.EVERYONE_FORGET_CANCEL)
    def cancel(ack: Ack, respond: Respond) -> None:
        ack()
        everyone.cancelled(respond)
