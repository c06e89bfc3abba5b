"""Everyone's own `/mentoring` commands: help (by role), status, leave, my-data, forget-me.

Leaving and forgetting ask for a confirmation first; the confirmation button acts only on the
data of the person who clicks it (the ids passed are the click's, not the message's) and
expires after a day: those rules live in `core.privacy.use_cases`. Partners are told kindly,
without a reason.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.flows.onboarding import program_option
from bot.platform import slack_io
from bot.views import self_service as views
from core.kernel.texts import mrkdwn
from core.privacy import use_cases as privacy
from core.privacy.service import Ending
from core.self_service import use_cases as self_service

if TYPE_CHECKING:
    from bot.app import MentorApp
    from bot.flows.onboarding import OnboardingFlow
    from bot.handlers.commands import CommandContext

logger = logging.getLogger(__name__)


class EveryoneFlow:
    def __init__(self, mentor: MentorApp, onboarding: OnboardingFlow) -> None:
        self.mentor = mentor
        self.onboarding = onboarding  # redraws App Home after leaving a program

    # --- help and status -------------------------------------------------------------------
    def help(self, ctx: CommandContext, available: set[str], *, unknown: str | None = None) -> None:
        programs = self_service.coordinated_program_names(self.mentor.db, ctx.team_id, ctx.user_id)
        text = mrkdwn(
            "commands.help",
            unknown=unknown,
            coordinator=bool(programs),
            programs=programs,
            available=sorted(available),
        )
        ctx.reply(text)

    def status(self, ctx: CommandContext) -> None:
        status = self_service.status(self.mentor.db, ctx.team_id, ctx.user_id, self.mentor.clock)
        ctx.respond(response_type="ephemeral", replace_original=False, **views.status(status))

    # --- leave -----------------------------------------------------------------------------
    def ask_leave(self, ctx: CommandContext) -> None:
        """`/mentoring leave [--program NAME]`: confirm first. Someone in one program leaves
        it; someone in several confirms with the button of the program to leave, or of all
        of them (`--program` asks about that one only)."""
        name = program_option(ctx.args)
        question = privacy.ask_leave(
            self.mentor.db, ctx.team_id, ctx.user_id, name, self.mentor.clock
        )
        if question.status == "not_yours":
            ctx.reply(mrkdwn("everyone.leave.not_yours", name=name, programs=question.programs))
            return
        if question.status == "program" and question.program is not None:
            payload = views.confirm_leave_program(question.program, question.token)
        elif question.status == "choose":
            payload = views.choose_leave(question.choices, question.token)
        else:
            payload = views.confirm("leave", question.token)
        ctx.respond(response_type="ephemeral", replace_original=False, **payload)

    def ask_forget(self, ctx: CommandContext) -> None:
        ctx.respond(
            response_type="ephemeral",
            replace_original=False,
            **views.confirm("forget", privacy.confirmation(self.mentor.clock)),
        )

    def _expired(self, respond: Any) -> None:
        """A confirmation button is only good for a while; an old one is answered so."""
        respond(replace_original=True, **views.note("everyone.expired"))

    def _ended(
        self,
        client: WebClient,
        team_id: str,
        user_id: str,
        respond: Any,
        done: dict[str, Any],
        ending: Ending,
    ) -> None:
        """Done: say so in place of the question, tell the others, redraw App Home."""
        respond(replace_original=True, **done)
        self.tell_others(client, team_id, user_id, ending)
        self._refresh_home(client, team_id, user_id)

    def confirm_leave(
        self, client: WebClient, team_id: str, user_id: str, value: str | None, respond: Any
    ) -> None:
        outcome = privacy.confirm_leave(self.mentor.db, team_id, user_id, value, self.mentor.clock)
        if outcome.status == "expired":
            self._expired(respond)
            return
        ending = outcome.ending
        if ending is None:
            respond(replace_original=True, **views.note("everyone.leave.not_in_program"))
            return
        logger.info("a participant left (team %s, %d pairs ended)", team_id, len(ending.partners))
        if outcome.status == "left":
            done = views.note("everyone.leave.done")
        else:
            done = views.note(
                "everyone.leave.done_program", program=ending.programs, others=outcome.still_in
            )
        self._ended(client, team_id, user_id, respond, done, ending)

    def confirm_forget(
        self, client: WebClient, team_id: str, user_id: str, value: str | None, respond: Any
    ) -> None:
        outcome = privacy.confirm_forget(self.mentor.db, team_id, user_id, value, self.mentor.clock)
        if outcome.ending is None:
            self._expired(respond)
            return
        logger.info("a person's data was deleted on request (team %s)", team_id)
        done = views.note("everyone.forget.done")
        self._ended(client, team_id, user_id, respond, done, outcome.ending)

    def cancelled(self, respond: Any) -> None:
        respond(replace_original=True, **views.note("everyone.cancelled"))

    def tell_others(self, client: WebClient, team_id: str, user_id: str, ending: Ending) -> None:
        """Tell partners their relationship ended, and requesters their request is closed:
        kindly, and without a reason."""
        for partner in ending.partners:
            self._dm(client, partner, views.note("everyone.partner_ended", other=user_id))
        for mentor_id in ending.asked:
            self._dm(client, mentor_id, views.note("everyone.request_withdrawn", other=user_id))
        if ending.withdrawn_requests:
            self.mentor.hooks.requests_withdrawn(client, team_id, ending.withdrawn_requests)
        for mentee in ending.requesters:
            self._dm(client, mentee, views.note("everyone.request_closed", other=user_id))
        # Matching may offer new mentors to mentees whose mentor or request went away.
        for mentee in ending.requesters:
            program_id = ending.requester_programs.get(mentee)
            self.mentor.hooks.profile_confirmed(client, team_id, mentee, program_id)

    def _dm(self, client: WebClient, user_id: str, payload: dict[str, Any]) -> None:
        try:
            slack_io.post_dm(client, user_id, payload)
        except SlackApiError as exc:
            logger.info("could not DM %s: %s", user_id, exc.response.get("error"))
        except SlackClientError:
            logger.info("not messaging %s: sending is stopped", user_id)

    def _refresh_home(self, client: WebClient, team_id: str, user_id: str) -> None:
        try:
            self.onboarding.publish_home(client, team_id, user_id)
        except SlackClientError:
            logger.info("could not refresh the Home tab of %s", user_id)

    # --- my data ---------------------------------------------------------------------------
    def my_data(self, ctx: CommandContext) -> None:
        data = privacy.my_data_of(self.mentor.db, ctx.team_id, ctx.user_id)
        if not data.found:
            ctx.reply(mrkdwn("everyone.my_data.nothing"))
            return
        ctx.reply(mrkdwn("everyone.my_data.sent"))
        channel, _ = slack_io.post_dm(ctx.client, ctx.user_id, views.my_data(data))
        content = json.dumps(data.rows, indent=2, sort_keys=True, ensure_ascii=False)
        ctx.client.files_upload_v2(
            channel=channel,
            content=content,
            filename="my-mentoring-data.json",
            title=views.my_data_file_title(),
        )
        logger.info("sent a person their data (team %s, %d tables)", ctx.team_id, len(data.rows))
