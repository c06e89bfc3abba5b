"""Everyone's own `/mentoring` commands: help (by role), status, leave, my-data, forget-me.

Leaving and forgetting ask for a confirmation first; the confirmation button acts only on the
data of the person who clicks it (checked from the click, not from the message) and expires
after a day. Partners are told kindly, without a reason.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.flows.onboarding import program_option
from bot.platform import slack_io
from bot.platform.blocks import decode_value
from bot.views import self_service as views
from core.coordination.service import coordinated_programs
from core.kernel.texts import mrkdwn
from core.people.directory import find_person
from core.privacy.service import Ending, forget_me, leave, my_data
from core.programs.service import program_in_workspace, taking_part
from core.self_service.service import my_status

if TYPE_CHECKING:
    from bot.app import MentorApp
    from bot.flows.onboarding import OnboardingFlow
    from bot.handlers.commands import CommandContext

logger = logging.getLogger(__name__)

CONFIRM_VALID_SECONDS = 24 * 3600


class EveryoneFlow:
    def __init__(self, mentor: MentorApp, onboarding: OnboardingFlow) -> None:
        self.mentor = mentor
        self.onboarding = onboarding  # redraws App Home after leaving a program

    # --- help and status -------------------------------------------------------------------
    def help(self, ctx: CommandContext, available: set[str], *, unknown: str | None = None) -> None:
        with self.mentor.db.transaction() as session:
            programs = [p.name for p in coordinated_programs(session, ctx.team_id, ctx.user_id)]
        text = mrkdwn(
            "commands.help",
            unknown=unknown,
            coordinator=bool(programs),
            programs=programs,
            available=sorted(available),
        )
        ctx.reply(text)

    def status(self, ctx: CommandContext) -> None:
        with self.mentor.db.transaction() as session:
            status = my_status(session, ctx.team_id, ctx.user_id, self.mentor.clock)
        ctx.respond(response_type="ephemeral", replace_original=False, **views.status(status))

    # --- leave -----------------------------------------------------------------------------
    def ask_leave(self, ctx: CommandContext) -> None:
        """`/mentoring leave [--program NAME]`: confirm first. Someone in one program leaves
        it; someone in several confirms with the button of the program to leave, or of all
        of them (`--program` asks about that one only)."""
        name = program_option(ctx.args)
        with self.mentor.db.transaction() as session:
            mine = [
                (p.id, p.name)
                for p in taking_part(session, find_person(session, ctx.team_id, ctx.user_id))
            ]
        if name is not None:
            chosen = next((p for p in mine if p[1].lower() == name.lower()), None)
            if chosen is None:
                ctx.reply(
                    mrkdwn("everyone.leave.not_yours", name=name, programs=[n for _, n in mine])
                )
                return
            payload = views.confirm_leave_program(chosen[1], self._token(chosen[0]))
        elif len(mine) > 1:
            payload = views.choose_leave([(n, self._token(pid)) for pid, n in mine], self._token())
        else:
            payload = views.confirm("leave", self._token())
        ctx.respond(response_type="ephemeral", replace_original=False, **payload)

    def ask_forget(self, ctx: CommandContext) -> None:
        ctx.respond(
            response_type="ephemeral",
            replace_original=False,
            **views.confirm("forget", self._token()),
        )

    def _token(self, program_id: int | None = None) -> str:
        """A confirmation button's value: when it was issued, and the program it leaves
        (none: every program)."""
        token: dict[str, int] = {"t": int(self.mentor.clock.now().timestamp())}
        if program_id is not None:
            token["p"] = program_id
        return json.dumps(token)

    def _fresh(self, value: str | None) -> bool:
        try:
            issued = int(json.loads(value or "{}").get("t"))
        except (TypeError, ValueError, AttributeError):
            return False
        age = self.mentor.clock.now().timestamp() - issued
        return 0 <= age <= CONFIRM_VALID_SECONDS

    def _still_fresh(self, value: str | None, respond: Any) -> bool:
        """A confirmation button is only good for a while; an old one is answered so."""
        if self._fresh(value):
            return True
        respond(replace_original=True, **views.note("everyone.expired"))
        return False

    def _ended(
        self,
        client: WebClient,
        team_id: str,
        user_id: str,
        respond: Any,
        done_key: str,
        ending: Ending,
    ) -> None:
        """Done: say so in place of the question, tell the others, redraw App Home."""
        respond(replace_original=True, **views.note(done_key))
        self.tell_others(client, team_id, user_id, ending)
        self._refresh_home(client, team_id, user_id)

    def confirm_leave(
        self, client: WebClient, team_id: str, user_id: str, value: str | None, respond: Any
    ) -> None:
        if not self._still_fresh(value, respond):
            return
        program_id = decode_value(value).get("p")
        with self.mentor.db.transaction() as session:
            if program_id is not None:
                # Only a program of the clicker's workspace; `leave` checks it is theirs.
                program = program_in_workspace(session, team_id, program_id)
                ending = (
                    leave(session, team_id, user_id, self.mentor.clock, program_id=program.id)
                    if program is not None
                    else None
                )
            else:
                ending = leave(session, team_id, user_id, self.mentor.clock)
            still_in = [
                p.name for p in taking_part(session, find_person(session, team_id, user_id))
            ]
        if ending is None:
            respond(replace_original=True, **views.note("everyone.leave.not_in_program"))
            return
        logger.info("a participant left (team %s, %d pairs ended)", team_id, len(ending.partners))
        if program_id is None or not still_in:
            self._ended(client, team_id, user_id, respond, "everyone.leave.done", ending)
            return
        respond(
            replace_original=True,
            **views.note("everyone.leave.done_program", program=ending.programs, others=still_in),
        )
        self.tell_others(client, team_id, user_id, ending)
        self._refresh_home(client, team_id, user_id)

    def confirm_forget(
        self, client: WebClient, team_id: str, user_id: str, value: str | None, respond: Any
    ) -> None:
        if not self._still_fresh(value, respond):
            return
        with self.mentor.db.transaction() as session:
            ending = forget_me(session, team_id, user_id, self.mentor.clock)
        logger.info("a person's data was deleted on request (team %s)", team_id)
        self._ended(client, team_id, user_id, respond, "everyone.forget.done", ending)

    def cancelled(self, respond: Any) -> None:
        respond(replace_original=True, **views.note("everyone.cancelled"))

    def tell_others(self, client: WebClient, team_id: str, user_id: str, ending: Ending) -> None:
        """Tell partners their relationship ended, and requesters their request is closed:
        kindly, and without a reason."""
        for partner in ending.partners:
            self._dm(client, partner, views.note("everyone.partner_ended", other=user_id))
        for mentor_id in ending.asked:
            self._dm(client, mentor_id, views.note("everyone.request_withdrawn", other=user_id))
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
        with self.mentor.db.transaction() as session:
            data = my_data(session, ctx.team_id, ctx.user_id)
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
