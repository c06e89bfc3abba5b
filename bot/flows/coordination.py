"""The coordinator console in Slack: `/mentoring` commands for coordinators, their buttons and
modals, paced announcements and invitations, and the weekly digest.

Every command, button and modal submission is authorised against the database at the moment
it arrives (`core.coordination.console.authorize`), never from the message that carried the
button: a person who is not (or no longer) a coordinator of the program gets a polite refusal
and the attempt is audited. The transactions and rules live in the use cases of
`core.coordination` (console, interventions, reporting, pacing, match_runs); this module parses,
calls them, renders and sends.
"""

from __future__ import annotations

import json
import logging
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.flows.coordination_messages import coordinator_renderers
from bot.flows.proposal_settling import close_other_ask
from bot.platform import slack_io
from bot.platform.blocks import text_message, view_metadata, view_values
from bot.platform.degraded import run_job
from bot.scheduling.deliverer import Deliverer, Renderer
from bot.views import coordination as views
from core.coordination import console, interventions, match_runs, pacing, reporting
from core.coordination import service as co
from core.coordination.console import Outcome, ProgramRef
from core.coordination.match_runs import MATCH_PREVIEW
from core.kernel.clock import Clock
from core.kernel.db import Database
from core.kernel.texts import mrkdwn, plain
from core.matchmaking import service as matching

if TYPE_CHECKING:
    from bot.app import MentorApp
    from bot.flows.matching import MatchingFlow
    from bot.handlers.commands import CommandContext

logger = logging.getLogger(__name__)

T = TypeVar("T")

PACE_PER_BATCH = 30  # messages sent at once after a new announcement; the sweep sends the rest
CHANNEL_MEMBERS_MAX = 2000

USER_MENTION = re.compile(r"<@([UW][A-Z0-9_]+)(?:\|[^>]*)?>")
CHANNEL_MENTION = re.compile(r"<#([CG][A-Z0-9_]+)(?:\|[^>]*)?>")
BARE_USER = re.compile(r"^[UW][A-Z0-9_]{2,}$")
PROGRAM_OPTION = re.compile(r"--program(?:=|\s+)(.+)$", re.S)


@dataclass
class Parsed:
    program: str | None
    users: list[str] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)
    words: list[str] = field(default_factory=list)  # what is left, split
    rest: str = ""  # what is left, as typed


def _unquote(value: str) -> str:
    value = value.strip().replace("“", '"').replace("”", '"').replace("‘", "'").replace("’", "'")
    try:
        parts = shlex.split(value)
    except ValueError:
        parts = [value.strip("\"'")]
    return parts[0] if len(parts) == 1 else value.strip("\"'")


def parse(text: str) -> Parsed:
    """Split a command's arguments: `--program NAME` (the rest of the line, or quoted), user
    and channel mentions, and the remaining words."""
    program = None
    match = PROGRAM_OPTION.search(text)
    if match:
        value = match.group(1).strip()
        quoted = re.match(r'^(["“‘\'])(.+?)(["”’\'])(.*)$', value, re.S)
        if quoted:
            program, tail = quoted.group(2), quoted.group(4)
        else:
            program, tail = value, ""
        text = text[: match.start()] + " " + tail
        program = _unquote(program) if program else None
    users = USER_MENTION.findall(text)
    channels = CHANNEL_MENTION.findall(text)
    rest = CHANNEL_MENTION.sub(" ", USER_MENTION.sub(" ", text))
    words = rest.split()
    for word in list(words):
        if BARE_USER.match(word):
            users.append(word)
            words.remove(word)
    return Parsed(
        program=program or None,
        users=users,
        channels=channels,
        words=words,
        rest=" ".join(words),
    )


def _json_object(value: str | None) -> dict[str, Any]:
    try:
        data = json.loads(value or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _aside(respond: Any, payload: dict[str, Any]) -> None:
    """Answer a click with a message only the clicker sees, leaving the original as it is."""
    respond(replace_original=False, response_type="ephemeral", **payload)


class CoordinatorFlow:
    def __init__(self, mentor: MentorApp, matching_flow: MatchingFlow) -> None:
        self.mentor = mentor
        self.matching_flow = matching_flow  # sends the shortlists of a coordinator's matching run
        # The app's one deliverer (it sends what the delivery ledger holds); set by build_flows.
        self.deliverer: Callable[[], Deliverer] | None = None

    @property
    def db(self) -> Database:
        return self.mentor.db

    @property
    def clock(self) -> Clock:
        return self.mentor.clock

    # --- authorization ---------------------------------------------------------------------
    def authorize(self, ctx: CommandContext, action: str, parsed: Parsed) -> ProgramRef | None:
        """The program a command acts on, if the person coordinates it; else a polite refusal
        (audited) and None."""
        access = console.authorize(
            self.db, self.clock, ctx.team_id, ctx.user_id, action, parsed.program
        )
        if access.problem is not None:
            self._error(ctx, access.problem)
        elif access.refused:
            self._reply(ctx, views.refusal(access.refused_program))
        return access.program

    def authorize_click(
        self, team_id: str, user_id: str, program_id: Any, action: str
    ) -> ProgramRef | None:
        """A button or modal names a program: the clicker must coordinate it now."""
        return console.authorize_click(self.db, self.clock, team_id, user_id, program_id, action)

    def _reply(self, ctx: CommandContext, payload: dict[str, Any]) -> None:
        ctx.respond(response_type="ephemeral", replace_original=False, **payload)

    def _note(self, ctx: CommandContext, key: str, **context: Any) -> None:
        self._reply(ctx, views.note(key, **context))

    def _fail(self, ctx: CommandContext, key: str, **context: Any) -> None:
        self._reply(ctx, views.error(key, **context))

    def _error(self, ctx: CommandContext, exc: co.CoordinationError) -> None:
        self._fail(ctx, exc.key, **exc.context)

    def _settle(self, ctx: CommandContext, outcome: Outcome[T]) -> T | None:
        """The value of a change; if the domain refused it, tell the coordinator why."""
        if outcome.problem is not None:
            self._error(ctx, outcome.problem)
        return outcome.value

    def _for_people(
        self, ctx: CommandContext, action: str, count: int, *, reason: bool = False
    ) -> tuple[ProgramRef, Parsed] | None:
        """A command that names `count` people (and, with `reason`, says why): the program it
        acts on if the person coordinates it; else the usage or a refusal, and None."""
        parsed = parse(ctx.args)
        if len(parsed.users) != count or (reason and not parsed.rest):
            self._fail(ctx, f"usage_{action}")
            return None
        program = self.authorize(ctx, action, parsed)
        return None if program is None else (program, parsed)

    def _between_two(
        self,
        ctx: CommandContext,
        action: str,
        change: Callable[[Database, Clock, ProgramRef, str, str, str], Outcome[T]],
    ) -> tuple[ProgramRef, str, str, T] | None:
        """A command about two people (`unpair`, `do-not-pair`): the change applied, with the
        program and both people, or None after telling the coordinator why not."""
        found = self._for_people(ctx, action, 2)
        if found is None:
            return None
        program, parsed = found
        a, b = parsed.users
        value = self._settle(ctx, change(self.db, self.clock, program, ctx.user_id, a, b))
        return None if value is None else (program, a, b, value)

    def _is_workspace_admin(self, client: WebClient, user_id: str) -> bool:
        try:
            user = client.users_info(user=user_id).get("user") or {}
        except SlackApiError as exc:
            logger.info("users.info failed for %s: %s", user_id, exc.response.get("error"))
            return False
        return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))

    def _dm(
        self, client: WebClient, user_id: str, payload: dict[str, Any]
    ) -> tuple[str, str] | None:
        try:
            return slack_io.post_dm(client, user_id, payload)
        except SlackApiError as exc:
            logger.info("could not DM %s: %s", user_id, exc.response.get("error"))
        except SlackClientError:
            logger.info("not messaging %s: sending is stopped", user_id)
        return None

    def _tell(self, client: WebClient, user_id: str, key: str, **context: Any) -> None:
        self._dm(client, user_id, views.note(key, **context))

    def _sync(self, client: WebClient, team_id: str, user_id: str) -> None:
        """Learn a coordinator's time zone (for the Monday digest)."""
        profile = slack_io.fetch_profile(client, user_id)
        console.learn_profile(self.db, self.clock, team_id, user_id, profile)

    # --- dispatch --------------------------------------------------------------------------
    def handlers(self) -> dict[str, Callable[[CommandContext], None]]:
        return {
            "coordinators": self.coordinators,
            "program": self.program,
            "invite": self.invite,
            "announce": self.announce,
            "stats": self.stats,
            "unmatched": self.unmatched,
            "at-risk": self.at_risk,
            "match": self.match,
            "unpair": self.unpair,
            "do-not-pair": self.do_not_pair,
            "rematch": self.rematch,
            "export": self.export,
            "audit": self.audit,
        }

    # --- coordinators add|remove|list ------------------------------------------------------
    def coordinators(self, ctx: CommandContext) -> None:
        parsed = parse(ctx.args)
        sub = parsed.words[0].lower() if parsed.words else "list"
        if sub not in ("add", "remove", "list"):
            self._fail(ctx, "usage_coordinators")
            return
        if sub == "list":
            program = self.authorize(ctx, "coordinators.list", parsed)
            if program is None:
                return
            people = console.list_coordinators(self.db, self.clock, program, ctx.user_id)
            self._note(ctx, "coordinator.coordinators.list", program=program.name, people=people)
            return
        if len(parsed.users) != 1:
            self._fail(ctx, "usage_coordinators")
            return
        target = parsed.users[0]
        if sub == "add":
            self._add_coordinator(ctx, parsed, target)
        else:
            self._remove_coordinator(ctx, parsed, target)

    def _add_coordinator(self, ctx: CommandContext, parsed: Parsed, target: str) -> None:
        found = console.add_target(self.db, self.clock, ctx.team_id, ctx.user_id, parsed.program)
        if found.problem is not None or found.program is None:
            self._error(ctx, found.problem or co.CoordinationError("unknown_program"))
            return
        program = found.program
        admin = found.bootstrap and self._is_workspace_admin(ctx.client, ctx.user_id)
        added = console.add_coordinator(
            self.db, self.clock, program, ctx.user_id, target, workspace_admin=admin
        )
        if added == "refused":
            self._reply(ctx, views.refusal(program.name))
            return
        if added == "already":
            self._note(ctx, "coordinator.coordinators.already", user=target, program=program.name)
            return
        self._sync(ctx.client, ctx.team_id, target)
        self._note(ctx, "coordinator.coordinators.added", user=target, program=program.name)
        self._tell(
            ctx.client,
            target,
            "coordinator.coordinators.welcome",
            by=ctx.user_id,
            program=program.name,
        )

    def _remove_coordinator(self, ctx: CommandContext, parsed: Parsed, target: str) -> None:
        program = self.authorize(ctx, "coordinators.remove", parsed)
        if program is None:
            return
        removed = self._settle(
            ctx,
            console.remove_coordinator(self.db, self.clock, program, ctx.user_id, target),
        )
        if removed is None:
            return
        if not removed:
            self._note(ctx, "coordinator.coordinators.not_one", user=target, program=program.name)
            return
        self._note(ctx, "coordinator.coordinators.removed", user=target, program=program.name)
        if target != ctx.user_id:
            self._tell(ctx.client, target, "coordinator.coordinators.goodbye", program=program.name)

    # --- program create|list|settings ------------------------------------------------------
    def program(self, ctx: CommandContext) -> None:
        parsed = parse(ctx.args)
        sub = parsed.words[0].lower() if parsed.words else ""
        if sub == "create":
            self._create_program(ctx, " ".join(parsed.words[1:]))
        elif sub == "list":
            self._list_programs(ctx)
        elif sub == "settings":
            program = self.authorize(ctx, "program.settings", parsed)
            if program is not None:
                self.open_settings(ctx.client, program, ctx.trigger_id)
        else:
            self._fail(ctx, "usage_program")

    def _create_program(self, ctx: CommandContext, name: str) -> None:
        access = console.create_access(self.db, ctx.team_id, ctx.user_id)
        admin = access.bootstrap and self._is_workspace_admin(ctx.client, ctx.user_id)
        if not access.coordinator and not admin:
            console.refuse(self.db, self.clock, ctx.team_id, ctx.user_id, "program.create")
            self._reply(ctx, views.refusal(None))
            return
        created = self._settle(
            ctx, console.create_program(self.db, self.clock, ctx.team_id, ctx.user_id, name)
        )
        if created is None:
            return
        self._sync(ctx.client, ctx.team_id, ctx.user_id)
        self._note(ctx, "coordinator.programs.created", program=created.name)

    def _list_programs(self, ctx: CommandContext) -> None:
        rows = console.list_programs(self.db, self.clock, ctx.team_id, ctx.user_id)
        if rows is None:
            self._reply(ctx, views.refusal(None))
            return
        self._reply(
            ctx,
            views.program_list([views.ProgramRow(**vars(r)) for r in rows]),
        )

    def open_settings(self, client: WebClient, program: ProgramRef, trigger_id: str) -> None:
        settings = console.settings_of(self.db, program)
        client.views_open(
            trigger_id=trigger_id, view=views.settings_modal(program.id, program.name, settings)
        )

    def submit_settings(
        self, team_id: str, user_id: str, view: dict[str, Any]
    ) -> tuple[str, dict[str, Any] | None, Callable[[WebClient], None] | None]:
        """Returns ("errors", errors, None), ("refused", refusal view, None) or
        ("ok", None, follow-up)."""
        program_id = view_metadata(view).get("p")
        program = self.authorize_click(team_id, user_id, program_id, "program.settings")
        if program is None:
            return "refused", views.refusal_view(None), None
        raw = views.settings_from_state(view_values(view))
        clean, problems = co.validate_settings(raw)
        if problems:
            return "errors", views.settings_errors(problems), None
        console.save_settings(self.db, self.clock, program, user_id, clean)

        def confirm(client: WebClient) -> None:
            self._tell(client, user_id, "coordinator.settings.saved", program=program.name)

        return "ok", None, confirm

    # --- invite and announce ---------------------------------------------------------------
    def invite(self, ctx: CommandContext) -> None:
        parsed = parse(ctx.args)
        if not parsed.users and not parsed.channels:
            self._fail(ctx, "usage_invite")
            return
        program = self.authorize(ctx, "invite", parsed)
        if program is None:
            return
        people = list(parsed.users)
        for channel in parsed.channels:
            try:
                people += self._channel_members(ctx.client, channel)
            except SlackApiError as exc:
                logger.info(
                    "could not read the members of %s: %s", channel, exc.response.get("error")
                )
                self._fail(ctx, "channel_unreadable", channel=channel)
                return
        targets = list(parsed.users) + [f"channel:{c}" for c in parsed.channels]
        invited = pacing.invite(self.db, self.clock, program, ctx.user_id, people, targets)
        self._note(
            ctx,
            "coordinator.invite.queued",
            count=invited.queued,
            skipped=invited.skipped,
            program=program.name,
        )
        self.kick(invited.ids)

    def _channel_members(self, client: WebClient, channel: str) -> list[str]:
        members: list[str] = []
        cursor = None
        while len(members) < CHANNEL_MEMBERS_MAX:
            response = client.conversations_members(channel=channel, cursor=cursor, limit=200)
            members += [str(m) for m in response.get("members") or []]
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
        return members[:CHANNEL_MEMBERS_MAX]

    def announce(self, ctx: CommandContext) -> None:
        program = self.authorize(ctx, "announce", parse(ctx.args))
        if program is None:
            return
        ctx.client.views_open(
            trigger_id=ctx.trigger_id, view=views.announce_modal(program.id, program.name)
        )

    def submit_announcement(
        self, team_id: str, user_id: str, view: dict[str, Any]
    ) -> tuple[str, dict[str, Any] | None, Callable[[WebClient], None] | None]:
        program = self.authorize_click(team_id, user_id, view_metadata(view).get("p"), "announce")
        if program is None:
            return "refused", views.refusal_view(None), None
        body = views.announce_text(view_values(view))
        done = pacing.announce(self.db, self.clock, program, user_id, body)
        if done.problem is not None:
            exc = done.problem
            return (
                "errors",
                {"announce_text": plain(f"coordinator.errors.{exc.key}", **exc.context)},
                None,
            )

        def follow_up(client: WebClient) -> None:
            self._tell(
                client,
                user_id,
                "coordinator.announce.queued",
                count=done.count,
                program=program.name,
            )
            self.kick(done.ids)

        return "ok", None, follow_up

    def kick(self, ids: list[int]) -> None:
        """Send the first batch of what was just queued (on the job queue): those whose
        working hours it is, paced; the sweep sends the rest as their turn comes."""
        if ids and self.deliverer is not None:
            deliverer = self.deliverer()
            run_job(self.mentor, lambda: deliverer.deliver_now(ids[:PACE_PER_BATCH]))

    # --- what the deliverer sends for coordinators (bot/flows/coordination_messages.py) -----
    def renderers(self) -> dict[str, Renderer]:
        return coordinator_renderers(self.clock)

    # --- reports ---------------------------------------------------------------------------
    def stats(self, ctx: CommandContext) -> None:
        program = self.authorize(ctx, "stats", parse(ctx.args))
        if program is not None:
            self._reply(ctx, self.stats_payload(program, ctx.user_id, "stats"))

    def stats_payload(self, program: ProgramRef, user_id: str, action: str) -> dict[str, Any]:
        return views.stats(reporting.stats(self.db, self.clock, program, user_id, action))

    def unmatched(self, ctx: CommandContext) -> None:
        program = self.authorize(ctx, "unmatched", parse(ctx.args))
        if program is not None:
            self._reply(ctx, self.list_payload(program, ctx.user_id, "unmatched"))

    def at_risk(self, ctx: CommandContext) -> None:
        program = self.authorize(ctx, "at_risk", parse(ctx.args))
        if program is not None:
            self._reply(ctx, self.list_payload(program, ctx.user_id, "at_risk"))

    def list_payload(self, program: ProgramRef, user_id: str, kind: str) -> dict[str, Any]:
        items = reporting.people_list(self.db, self.clock, program, user_id, kind)
        return views.people_list(kind, program.name, items, program.id)

    def act_on_list(
        self, client: WebClient, team_id: str, user_id: str, kind: str, value: str | None
    ) -> dict[str, Any]:
        """A row's button on the unmatched or at-risk list: re-authorised, done for the person
        on the row if they are still on it; returns the list again with that row's ✓ line."""
        data = _json_object(value)
        action = "unmatched.suggest" if kind == "unmatched" else "at_risk.check_in"
        program = self.authorize_click(team_id, user_id, data.get("p"), action)
        if program is None:
            return views.refusal(None)
        person = str(data.get("u") or "")
        hit, items = reporting.on_list(self.db, self.clock, program, user_id, kind, person, action)
        if hit is None:
            return views.note("coordinator.lists.gone", user=person)
        if kind == "unmatched":
            if not self.mentor.hooks.rematch_requested(client, team_id, person, program.id):
                self.mentor.hooks.profile_confirmed(client, team_id, person, program.id)
        else:
            for who in filter(None, (hit.user_id, hit.other_user_id)):
                self._tell(
                    client,
                    who,
                    "coordinator.lists.at_risk.check_in",
                    coordinator=user_id,
                    program=program.name,
                )
        done = {hit.user_id: f"coordinator.lists.{kind}.done"}
        return views.people_list(kind, program.name, items, program.id, done)

    def audit(self, ctx: CommandContext) -> None:
        program = self.authorize(ctx, "audit", parse(ctx.args))
        if program is None:
            return
        events = reporting.audit_trail(self.db, self.clock, program, ctx.user_id)
        self._reply(ctx, views.audit_list(program.name, events))

    def export(self, ctx: CommandContext) -> None:
        run_job(self.mentor, lambda: self._export(ctx), ctx.reply)

    def _export(self, ctx: CommandContext) -> None:
        program = self.authorize(ctx, "export", parse(ctx.args))
        if program is None:
            return
        files = reporting.export(self.db, self.clock, program, ctx.user_id)
        channel = slack_io.open_dm(ctx.client, ctx.user_id)
        stem = re.sub(r"[^a-z0-9]+", "-", program.name.lower()).strip("-") or "program"
        day = self.clock.now().date().isoformat()
        ctx.client.files_upload_v2(
            channel=channel,
            initial_comment=mrkdwn("coordinator.export.comment", program=program.name),
            file_uploads=[
                {
                    "content": files.participants,
                    "filename": f"{stem}-participants-{day}.csv",
                    "title": plain("coordinator.export.participants"),
                },
                {
                    "content": files.pairs,
                    "filename": f"{stem}-pairs-{day}.csv",
                    "title": plain("coordinator.export.pairs"),
                },
            ],
        )
        self._note(ctx, "coordinator.export.sent", program=program.name)

    # --- matching interventions ------------------------------------------------------------
    def match(self, ctx: CommandContext) -> None:
        # `match run` (a whole program) or `match @mentee @mentor <reason>` (one pair): decided
        # by the first word as typed, before any mention, so a reason can say anything.
        first = ctx.args.split(maxsplit=1)[:1]
        if first and first[0].lower() == "run":
            self.match_run(ctx)
            return
        found = self._for_people(ctx, "match", 2, reason=True)
        if found is None:
            return
        program, parsed = found
        mentee, mentor = parsed.users
        proposal = self._settle(
            ctx,
            interventions.propose_match(self.db, self.clock, program, ctx.user_id, mentee, mentor),
        )
        if proposal is None:
            return
        reason = parsed.rest[:500]
        for role, person, other in (("mentee", mentee, mentor), ("mentor", mentor, mentee)):
            self._dm(
                ctx.client,
                person,
                views.match_ask(
                    proposal.match_id,
                    role,
                    coordinator=ctx.user_id,
                    other=other,
                    program=program.name,
                    reason=reason,
                ),
            )
        self._note(ctx, "coordinator.match.proposed", mentee=mentee, mentor=mentor)

    # --- match run: a whole program's shortlists, confirmed first --------------------------
    def match_run(self, ctx: CommandContext) -> None:
        """Show what a run would do now (counts from a dry run) with "Send shortlists" and
        "Cancel"; nothing is stored or sent yet."""
        parsed = parse(ctx.args)
        if parsed.users or parsed.channels or [w.lower() for w in parsed.words] != ["run"]:
            self._fail(ctx, "usage_match_run")
            return
        program = self.authorize(ctx, MATCH_PREVIEW, parsed)
        if program is None:
            return
        preview = match_runs.preview(self.db, self.clock, program, ctx.user_id)
        if preview.refusal is not None:
            self._reply(ctx, self._run_refused(program, preview.refusal))
        elif preview.plan is not None and not preview.plan.waiting:
            self._note(
                ctx,
                "coordinator.match_run.nobody",
                program=program.name,
                choosing=preview.plan.choosing,
            )
        elif preview.plan is not None:
            self._reply(ctx, views.match_run_confirm(program.id, preview.plan, preview.token))

    def _run_refused(self, program: ProgramRef, exc: matching.MatchingError) -> dict[str, Any]:
        """Matching refused to run (too large for its memory limit, or a reporting loop): the
        reply says what to do instead."""
        if isinstance(exc, matching.MatchingTooLarge):
            return views.match_run_too_large(program.name, exc)
        return views.error("manager_cycle")

    def confirm_match_run(
        self, client: WebClient, team_id: str, user_id: str, value: str | None, respond: Any
    ) -> None:
        run = partial(self._confirm_match_run, client, team_id, user_id, value, respond)
        run_job(self.mentor, run, lambda text: _aside(respond, text_message(text)))

    def _confirm_match_run(
        self, client: WebClient, team_id: str, user_id: str, value: str | None, respond: Any
    ) -> None:
        """ "Send shortlists": re-authorise, run once (the token: a double click or a stale
        confirmation sends nothing; the run queues each mentee's DM in the delivery ledger),
        send them now, and replace the confirmation with the counts."""
        data = _json_object(value)
        program = self.authorize_click(team_id, user_id, data.get("p"), co.MATCH_RUN)
        if program is None:
            _aside(respond, views.refusal(None))
            return
        run = match_runs.confirm(self.db, self.clock, program, user_id, data.get("t"))
        if run.refusal is not None:
            respond(replace_original=True, **self._run_refused(program, run.refusal))
            return
        if run.outcomes is None:
            _aside(respond, views.note("coordinator.match_run.already"))
            return
        sent = self.matching_flow.send_run(client, run.outcomes, run.deliveries)
        logger.info(
            "matching run for program %s: %d shortlists, %d without a mentor, %d unreachable",
            program.id,
            sent.shortlists,
            sent.no_mentor,
            sent.unreachable,
        )
        respond(
            replace_original=True,
            **views.note(
                "coordinator.match_run.done",
                program=program.name,
                shortlists=sent.shortlists,
                no_mentor=sent.no_mentor,
                unreachable=sent.unreachable,
            ),
        )

    def cancel_match_run(self, respond: Any) -> None:
        respond(replace_original=True, **views.note("coordinator.match_run.cancelled"))

    def answer_match(
        self,
        client: WebClient,
        team_id: str,
        user_id: str,
        value: str | None,
        yes: bool,
        respond: Any,
    ) -> None:
        try:
            match_id = int(json.loads(value or "{}").get("m"))
        except (TypeError, ValueError, AttributeError):
            return
        answer = interventions.answer_match(self.db, self.clock, match_id, user_id, yes=yes)
        if answer.outcome == "stale":  # closed meanwhile: the old buttons go, with the ✓ line
            respond(replace_original=True, **views.note("coordinator.match.stale"))
            return
        respond(
            replace_original=True,
            **views.note(
                "coordinator.match.answered_yes" if yes else "coordinator.match.answered_no"
            ),
        )
        if answer.outcome == "declined":
            self._declined(client, user_id, answer, match_id)
        elif answer.outcome == "paired" and answer.pair_id is not None:
            self._paired(client, answer)
            # The relationship feature takes it from here (learning agreement invitations).
            self.mentor.hooks.pair_created(client, team_id, answer.pair_id)
        logger.info("coordinator match %s answered: %s", match_id, answer.outcome)

    def _declined(
        self, client: WebClient, user_id: str, answer: co.MatchAnswer, match_id: int
    ) -> None:
        other = answer.mentor if user_id == answer.mentee else answer.mentee
        close_other_ask(client, other, match_id)  # their ask's buttons go at once
        self._tell(client, other, "coordinator.match.not_going_ahead")
        self._tell(
            client,
            answer.coordinator,
            "coordinator.match.declined_for_coordinator",
            mentee=answer.mentee,
            mentor=answer.mentor,
        )

    def _paired(self, client: WebClient, answer: co.MatchAnswer) -> None:
        for person, other, key in (
            (answer.mentee, answer.mentor, "coordinator.match.paired_mentee"),
            (answer.mentor, answer.mentee, "coordinator.match.paired_mentor"),
        ):
            self._tell(client, person, key, other=other, program=answer.program)
        self._tell(
            client,
            answer.coordinator,
            "coordinator.match.paired_for_coordinator",
            mentee=answer.mentee,
            mentor=answer.mentor,
        )

    def unpair(self, ctx: CommandContext) -> None:
        between = self._between_two(ctx, "unpair", interventions.unpair)
        if between is None:
            return
        program, a, b, done = between
        for person, other in ((done.mentee, done.mentor), (done.mentor, done.mentee)):
            self._tell(
                ctx.client, person, "coordinator.unpair.notice", other=other, program=program.name
            )
        self._note(ctx, "coordinator.unpair.done", a=a, b=b)

    def do_not_pair(self, ctx: CommandContext) -> None:
        between = self._between_two(ctx, "do_not_pair", interventions.do_not_pair)
        if between is None:
            return
        _, a, b, result = between
        self._note(
            ctx,
            "coordinator.do_not_pair.done",
            a=a,
            b=b,
            created=result.created,
            paired=result.currently_paired,
        )

    def rematch(self, ctx: CommandContext) -> None:
        found = self._for_people(ctx, "rematch", 1)
        if found is None:
            return
        program, parsed = found
        mentee = parsed.users[0]
        result = self._settle(
            ctx,
            interventions.rematch(self.db, self.clock, program, ctx.user_id, mentee),
        )
        if result is None:
            return
        for partner in result.ending.partners:
            self._tell(ctx.client, partner, "coordinator.rematch.partner_notice", other=mentee)
        for mentor_id in result.ending.asked:
            self._tell(ctx.client, mentor_id, "everyone.request_withdrawn", other=mentee)
        self._tell(ctx.client, mentee, "coordinator.rematch.mentee_notice", program=program.name)
        # Matching offers new mentors: through its rematch hook if it has one, else as for a
        # freshly confirmed profile.
        if not self.mentor.hooks.rematch_requested(ctx.client, ctx.team_id, mentee, program.id):
            self.mentor.hooks.profile_confirmed(ctx.client, ctx.team_id, mentee, program.id)
        self._note(ctx, "coordinator.rematch.done", mentee=mentee)

    # --- sweeps: snapshots, the Monday digest ---------------------------------------------
    def sweep(self) -> None:
        """Snapshots, and this week's digests planned into the delivery ledger (the
        deliverer sends them; announcements and invitations are sent by its sweep)."""
        client = self.mentor.client
        for team_id in pacing.active_teams(self.db):
            reporting.take_snapshots(self.db, self.clock, team_id)
            self.plan_digests(client, team_id)

    def plan_digests(self, client: WebClient, team_id: str) -> int:
        never_synced = pacing.coordinators_never_synced(self.db, team_id)
        if never_synced is None:
            return 0
        for user_id in never_synced:  # learn their time zone, once
            self._sync(client, team_id, user_id)
        due = pacing.plan_digests(self.db, self.clock, team_id)
        if due and self.deliverer is not None:
            stats = self.deliverer().deliver_now(due)
            logger.info("weekly digest: %d of %d sent (team %s)", stats.sent, len(due), team_id)
        return len(due)
