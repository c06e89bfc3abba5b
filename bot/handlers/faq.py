"""FAQ listeners: mentions in channels, `/mentoring ask` and the answers' buttons. DMs (through
`hooks.on_dm`) and the "Browse topics" menu in App Home (through `hooks.on_home_section`) are
wired in `bot.app.build_flows`."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.flows.faq import FaqFlow, Reply
from bot.handlers.commands import CommandContext, commands
from bot.handlers.common import _ids, trigger_id
from bot.platform import ids
from bot.platform.blocks import decode_value
from bot.scheduling.scheduler import sweeps
from core.kernel.texts import mrkdwn

if TYPE_CHECKING:
    from bot.app import MentorApp


def register(app: App, mentor: MentorApp) -> None:
    flow = mentor.flows.faq
    sweeps(mentor).append(faq_housekeeping)
    commands(mentor)["ask"] = _ask_command(flow)
    app.event("app_mention")(_mentioned(flow))

    def show_topic(reply: Reply, team_id: str, user_id: str, token: dict[str, Any]) -> None:
        flow.show_topic(reply, team_id, user_id, str(token.get("e") or ""), token.get("q"))

    _on_click(app, ids.FAQ_HELPFUL_YES, functools.partial(flow.feedback, helpful=True))
    _on_click(app, ids.FAQ_HELPFUL_NO, functools.partial(flow.feedback, helpful=False))
    _on_click(app, re.compile(rf"^{re.escape(ids.FAQ_TOPIC_PREFIX)}[a-z0-9-]+$"), show_topic)
    _on_click(app, ids.FAQ_NONE_MATCHED, flow.none_matched)
    _on_click(app, ids.FAQ_ESCALATE, flow.escalate)
    _on_click(app, ids.FAQ_ESCALATE_DECLINE, flow.decline)
    app.action(ids.FAQ_BROWSE)(_browse(flow))


def faq_housekeeping(m: MentorApp) -> None:
    m.flows.faq.purge()


def _ask_command(flow: FaqFlow) -> Callable[[CommandContext], None]:
    def ask(ctx: CommandContext) -> None:
        if not ctx.args:
            ctx.reply(mrkdwn("faq.ask.usage"))
            return
        reply = Reply(ctx.client, ctx.user_id, "ephemeral", respond=ctx.respond)
        flow.ask(reply, ctx.team_id, ctx.user_id, ctx.args)

    return ask


def _mentioned(flow: FaqFlow) -> Callable[..., None]:
    def mentioned(event: dict[str, Any], context: Any, client: WebClient) -> None:
        user_id = str(event.get("user") or "")
        channel = str(event.get("channel") or "")
        if not user_id or not channel:
            return
        thread_ts = str(event.get("thread_ts") or event.get("ts") or "") or None
        reply = Reply(client, user_id, "channel", channel=channel, thread_ts=thread_ts)
        flow.ask(reply, str(context.team_id or ""), user_id, str(event.get("text") or ""))

    return mentioned


def _on_click(
    app: App,
    action_id: str | re.Pattern[str],
    step: Callable[[Reply, str, str, dict[str, Any]], None],
) -> None:
    """A button of an FAQ message: `step(reply, team_id, user_id, token)`."""

    @app.action(action_id)
    def clicked(
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        client: WebClient,
        respond: Respond,
    ) -> None:
        ack()
        team_id, user_id = _ids(body)
        reply = Reply.from_action(client, body, respond)
        step(reply, team_id, user_id, decode_value(action.get("value")))


def _browse(flow: FaqFlow) -> Callable[..., None]:
    def browse(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        team_id, user_id = _ids(body)
        entry_id = str((action.get("selected_option") or {}).get("value") or "")
        flow.open_topic(client, team_id, user_id, trigger_id(body), entry_id)

    return browse
