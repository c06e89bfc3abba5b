"""Listeners for a mentoring relationship: agreement, meetings, check-ins, endings, and the
`/mentoring met|pause|resume` subcommands. They acknowledge at once and hand over to
`bot.flows.relationships`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.flows.relationship_settling import origin_of
from bot.flows.relationships import Click, reply_to
from bot.handlers.commands import CommandContext, commands
from bot.handlers.common import FollowUp, Submit, _ids, register_submission, trigger_id
from bot.platform import ids
from bot.platform.blocks import decode_value
from bot.scheduling.scheduler import sweeps
from bot.scheduling.sweeps import relationship_sweep

if TYPE_CHECKING:
    from bot.app import MentorApp
    from bot.flows.relationships import RelationshipFlow


def register(app: App, mentor: MentorApp) -> None:
    relationship = mentor.flows.relationship
    if relationship_sweep not in sweeps(mentor):
        sweeps(mentor).append(relationship_sweep)
    _register_buttons(app, relationship)
    _register_modals(app, relationship)
    _register_commands(mentor, relationship)


def _on_click(app: App, *action_ids: str) -> Callable[[Callable[[Click], None]], None]:
    """Register `run(click)` for these buttons: acknowledged at once, then run."""

    def register_run(run: Callable[[Click], None]) -> None:
        def listener(
            ack: Ack,
            body: dict[str, Any],
            action: dict[str, Any],
            client: WebClient,
            respond: Respond,
        ) -> None:
            ack()
            team_id, user_id = _ids(body)
            run(
                Click(
                    client,
                    team_id,
                    user_id,
                    decode_value(action.get("value")),
                    reply_to(client, body, respond, user_id),
                    trigger_id(body),
                    str(action.get("action_id") or ""),
                    origin_of(body),
                )
            )

        for action_id in action_ids:
            app.action(action_id)(listener)

    return register_run


def _stepping(step: Callable[..., None]) -> Callable[[Click], None]:
    return lambda c: step(c.client, c.team_id, c.user_id, c.token, c.reply)


def _register_buttons(app: App, relationship: RelationshipFlow) -> None:
    # Buttons that open a modal (or say why not), or that need the message they were in.
    openers = {
        ids.REL_AGREEMENT_OPEN: relationship.open_agreement,
        ids.REL_AGREEMENT_SUGGEST: relationship.open_suggest,
        ids.REL_NOTE_OPEN: relationship.open_note,
        ids.REL_CHECKIN_OPEN: relationship.open_checkin,
        ids.REL_AGREEMENT_CONFIRM: relationship.confirm_agreement,
        ids.REL_END: relationship.end,
        ids.REL_COMPLETE: relationship.complete,
        ids.REL_EXTEND: relationship.extend,
        ids.REL_REMATCH: relationship.rematch,
        ids.REL_MET: relationship.open_met,
        ids.REL_RHYTHM: relationship.open_rhythm,
        ids.REL_NUDGE_PAUSE: relationship.nudge_pause,
        ids.REL_NUDGE_HELP: relationship.nudge_help,
    }
    for action_id, opener in openers.items():
        _on_click(app, action_id)(opener)

    # Buttons that hand the pair's token straight to one flow step.
    simple_steps = {
        ids.REL_HELP: relationship.help,
    }
    for action_id, step in simple_steps.items():
        _on_click(app, action_id)(_stepping(step))

    @_on_click(app, ids.REL_SCHEDULED, ids.REL_SNOOZE)
    def put_off(c: Click) -> None:
        relationship.scheduled_or_snooze(c, snooze=c.action_id == ids.REL_SNOOZE)

    @_on_click(app, ids.REL_RESUME)
    def resume_button(c: Click) -> None:
        relationship.resume(c.client, c.team_id, c.user_id, c.reply)


def _register_modals(app: App, relationship: RelationshipFlow) -> None:
    def submit_note(
        team_id: str, user_id: str, view: dict[str, Any]
    ) -> tuple[dict[str, str] | None, FollowUp | None]:
        return relationship.submit_note(team_id, user_id, view), None

    submissions: dict[str, Submit] = {
        ids.REL_AGREEMENT_MODAL: relationship.submit_agreement,
        ids.REL_SUGGEST_MODAL: relationship.submit_suggestion,
        ids.REL_NOTE_MODAL: submit_note,
        ids.REL_CHECKIN_MODAL: relationship.submit_checkin,
        ids.REL_MET_MODAL: relationship.submit_met,
        ids.REL_RHYTHM_MODAL: relationship.submit_rhythm,
    }
    for callback_id, submit in submissions.items():
        register_submission(app, callback_id, submit)


def _register_commands(mentor: MentorApp, relationship: RelationshipFlow) -> None:
    """/mentoring met | pause | resume"""

    def met_command(ctx: CommandContext) -> None:
        relationship.met(ctx.client, ctx.team_id, ctx.user_id, ctx.reply, ctx.args)

    def pause_command(ctx: CommandContext) -> None:
        relationship.pause(ctx.client, ctx.team_id, ctx.user_id, ctx.args, ctx.reply)

    def resume_command(ctx: CommandContext) -> None:
        relationship.resume(ctx.client, ctx.team_id, ctx.user_id, ctx.reply)

    commands(mentor).update({"met": met_command, "pause": pause_command, "resume": resume_command})
