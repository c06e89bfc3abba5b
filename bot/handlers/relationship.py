"""Listeners for a mentoring relationship: agreement, meetings, check-ins, endings, and the
`/mentoring met|pause|resume` subcommands. They acknowledge at once and hand over to
`bot.flows.relationship`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot import ids
from bot.flows.relationship import RelationshipFlow, reply_to
from bot.handlers.commands import CommandContext, commands
from bot.handlers.onboarding import _ids
from bot.scheduler import sweeps
from bot.sweeps import relationship_sweep
from bot.views.blocks import decode_value

if TYPE_CHECKING:
    from bot.app import MentorApp


def flow(mentor: MentorApp) -> RelationshipFlow:
    return mentor.extras["relationship"]  # type: ignore[return-value]


def register(app: App, mentor: MentorApp) -> None:
    relationship = RelationshipFlow(mentor)
    mentor.extras["relationship"] = relationship
    mentor.hooks.on_home_section(relationship.home_section)
    mentor.hooks.on_pair_created(relationship.on_pair_created)
    if relationship_sweep not in sweeps(mentor):
        sweeps(mentor).append(relationship_sweep)

    def context(body: dict[str, Any], client: WebClient, respond: Respond) -> tuple[str, str, Any]:
        team_id, user_id = _ids(body)
        return team_id, user_id, reply_to(client, body, respond, user_id)

    def token(action: dict[str, Any]) -> dict[str, Any]:
        return decode_value(action.get("value"))

    def register_step(action_id: str, step: Callable[..., None]) -> None:
        @app.action(action_id)
        def run_step(
            ack: Ack,
            body: dict[str, Any],
            action: dict[str, Any],
            client: WebClient,
            respond: Respond,
        ) -> None:
            ack()
            team_id, user_id, reply = context(body, client, respond)
            step(client, team_id, user_id, token(action), reply)

    # --- buttons -------------------------------------------------------------------------
    @app.action(ids.REL_AGREEMENT_OPEN)
    def open_agreement(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        team_id, user_id, reply = context(body, client, respond)
        relationship.open_agreement(
            client, team_id, user_id, token(action), str(body.get("trigger_id") or ""), reply
        )

    @app.action(ids.REL_AGREEMENT_SUGGEST)
    def suggest(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        team_id, user_id, reply = context(body, client, respond)
        relationship.open_suggest(
            client, team_id, user_id, token(action), str(body.get("trigger_id") or ""), reply
        )

    @app.action(ids.REL_MET)
    def met(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        team_id, user_id, reply = context(body, client, respond)
        relationship.met(client, team_id, user_id, reply, token=token(action))

    @app.action(ids.REL_SCHEDULED)
    @app.action(ids.REL_SNOOZE)
    def put_off(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        team_id, user_id, reply = context(body, client, respond)
        relationship.scheduled_or_snooze(
            team_id, user_id, token(action), reply, snooze=action["action_id"] == ids.REL_SNOOZE
        )

    @app.action(ids.REL_NOTE_OPEN)
    def open_note(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        team_id, user_id, reply = context(body, client, respond)
        relationship.open_note(
            client, team_id, user_id, token(action), str(body.get("trigger_id") or ""), reply
        )

    @app.action(ids.REL_CHECKIN_OPEN)
    def open_checkin(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        team_id, user_id, reply = context(body, client, respond)
        relationship.open_checkin(
            client, team_id, user_id, token(action), str(body.get("trigger_id") or ""), reply
        )

    # Buttons that hand the pair's token straight to one flow step.
    simple_steps = {
        ids.REL_AGREEMENT_CONFIRM: relationship.confirm_agreement,
        ids.REL_HELP: relationship.help,
        ids.REL_END: relationship.end,
        ids.REL_COMPLETE: relationship.complete,
        ids.REL_EXTEND: relationship.extend,
        ids.REL_REMATCH: relationship.rematch,
    }
    for action_id, step in simple_steps.items():
        register_step(action_id, step)

    @app.action(ids.REL_RESUME)
    def resume_button(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        team_id, user_id, reply = context(body, client, respond)
        relationship.resume(client, team_id, user_id, reply)

    # --- modals --------------------------------------------------------------------------
    @app.view_submission(ids.REL_AGREEMENT_MODAL)
    def save_agreement(
        ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        team_id, user_id = _ids(body)
        errors, follow_up = relationship.submit_agreement(team_id, user_id, view)
        if errors:
            ack(response_action="errors", errors=errors)
            return
        ack()
        if follow_up is not None:
            follow_up(client)

    @app.view_submission(ids.REL_SUGGEST_MODAL)
    def save_suggestion(
        ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        team_id, user_id = _ids(body)
        errors, follow_up = relationship.submit_suggestion(team_id, user_id, view)
        if errors:
            ack(response_action="errors", errors=errors)
            return
        ack()
        if follow_up is not None:
            follow_up(client)

    @app.view_submission(ids.REL_NOTE_MODAL)
    def save_note(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        team_id, user_id = _ids(body)
        errors = relationship.submit_note(team_id, user_id, view)
        if errors:
            ack(response_action="errors", errors=errors)
            return
        ack()

    @app.view_submission(ids.REL_CHECKIN_MODAL)
    def save_checkin(
        ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        team_id, user_id = _ids(body)
        errors, follow_up = relationship.submit_checkin(team_id, user_id, view)
        if errors:
            ack(response_action="errors", errors=errors)
            return
        ack()
        if follow_up is not None:
            follow_up(client)

    # --- /mentoring met | pause | resume -----------------------------------------------------
    def met_command(ctx: CommandContext) -> None:
        relationship.met(ctx.client, ctx.team_id, ctx.user_id, ctx.reply, args=ctx.args)

    def pause_command(ctx: CommandContext) -> None:
        relationship.pause(ctx.client, ctx.team_id, ctx.user_id, ctx.args, ctx.reply)

    def resume_command(ctx: CommandContext) -> None:
        relationship.resume(ctx.client, ctx.team_id, ctx.user_id, ctx.reply)

    commands(mentor).update({"met": met_command, "pause": pause_command, "resume": resume_command})
