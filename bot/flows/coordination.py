"""The coordinator console in Slack: `/mentoring` commands for coordinators, their buttons and
modals, paced announcements and invitations, and the weekly digest.

Every command, button and modal submission is authorised against the database at the moment
it arrives (`_authorize`), never from the message that carried the button: a person who is
not (or no longer) a coordinator of the program gets a polite refusal and the attempt is
audited. Successful actions are audited in the same transaction as the change they make.
"""

from __future__ import annotations

import json
import logging
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.platform import slack_io
from bot.platform.blocks import view_metadata, view_values
from bot.views import coordination as views
from core.coordination import reports
from core.coordination import service as co
from core.coordination.models import OUTCOME_DENIED, OUTCOME_OK, OUTCOME_REFUSED, Coordinator
from core.kernel.texts import mrkdwn, plain
from core.matchmaking import service as matching
from core.messaging import outbox
from core.people.directory import find_person, upsert_person
from core.privacy.service import mask, program_k
from core.programs.lifecycle import workspace_active
from core.programs.models import Program, Workspace
from core.programs.service import default_program, program_settings

if TYPE_CHECKING:
    from bot.app import MentorApp
    from bot.flows.matching import MatchingFlow
    from bot.handlers.commands import CommandContext

logger = logging.getLogger(__name__)

T = TypeVar("T")

PACE_PER_BATCH = 30  # messages per sweep (once a minute) and per kick after a new announcement
CHANNEL_MEMBERS_MAX = 2000

USER_MENTION = re.compile(r"<@([UW][A-Z0-9_]+)(?:\|[^>]*)?>")
CHANNEL_MENTION = re.compile(r"<#([CG][A-Z0-9_]+)(?:\|[^>]*)?>")
BARE_USER = re.compile(r"^[UW][A-Z0-9_]{2,}$")
PROGRAM_OPTION = re.compile(r"--program(?:=|\s+)(.+)$", re.S)
MATCH_PREVIEW = "match.preview"  # `/mentoring match run`: the counts, before confirming


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


@dataclass(frozen=True)
class ProgramRef:
    id: int
    name: str
    team_id: str


def _ref(program: Program) -> ProgramRef:
    return ProgramRef(program.id, program.name, program.team_id)


def _row(session: Session, program: ProgramRef) -> Program:
    row = session.get(Program, program.id)
    assert row is not None
    return row


def _json_object(value: str | None) -> dict[str, Any]:
    try:
        data = json.loads(value or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


class CoordinatorFlow:
    def __init__(self, mentor: MentorApp, matching_flow: MatchingFlow) -> None:
        self.mentor = mentor
        self.matching_flow = matching_flow  # sends the shortlists of a coordinator's matching run

    # --- authorization ---------------------------------------------------------------------
    def _deny(
        self,
        session: Session,
        team_id: str,
        user_id: str,
        action: str,
        program: Program | None,
    ) -> None:
        if program is None:
            program = default_program(session, team_id, self.mentor.clock)
        co.record(
            session,
            team_id=team_id,
            program_id=program.id,
            actor=user_id,
            action=action,
            outcome=OUTCOME_DENIED,
            clock=self.mentor.clock,
        )
        logger.info(
            "refused %s for %s: not a coordinator of program %s", action, user_id, program.id
        )

    def authorize(self, ctx: CommandContext, action: str, parsed: Parsed) -> ProgramRef | None:
        """The program a command acts on, if the person coordinates it; else a polite refusal
        (audited) and None."""
        refused_program: str | None = None
        with self.mentor.db.transaction() as session:
            try:
                program = co.resolve_program(
                    session, ctx.team_id, ctx.user_id, parsed.program, self.mentor.clock
                )
                return _ref(program)
            except co.NotCoordinator as exc:
                named = (
                    co.find_program(session, ctx.team_id, parsed.program)
                    if parsed.program
                    else None
                )
                self._deny(session, ctx.team_id, ctx.user_id, action, named)
                refused_program = exc.context.get("program")
            except co.CoordinationError as exc:
                ctx.respond(
                    response_type="ephemeral",
                    replace_original=False,
                    **views.error(exc.key, **exc.context),
                )
                return None
        ctx.respond(
            response_type="ephemeral", replace_original=False, **views.refusal(refused_program)
        )
        return None

    def authorize_click(
        self, team_id: str, user_id: str, program_id: Any, action: str
    ) -> ProgramRef | None:
        """A button or modal names a program: the clicker must coordinate it now."""
        with self.mentor.db.transaction() as session:
            program = session.get(Program, program_id) if isinstance(program_id, int) else None
            if (
                program is not None
                and program.team_id == team_id
                and co.is_coordinator(session, program.id, user_id)
            ):
                return _ref(program)
            self._deny(
                session,
                team_id,
                user_id,
                action,
                program if program is not None and program.team_id == team_id else None,
            )
        return None

    def _audit(
        self,
        session: Session,
        program: ProgramRef,
        user_id: str,
        action: str,
        targets: list[str] | None = None,
        outcome: str = OUTCOME_OK,
    ) -> None:
        co.record(
            session,
            team_id=program.team_id,
            program_id=program.id,
            actor=user_id,
            action=action,
            outcome=outcome,
            targets=targets or [],
            clock=self.mentor.clock,
        )

    def _reply(self, ctx: CommandContext, payload: dict[str, Any]) -> None:
        ctx.respond(response_type="ephemeral", replace_original=False, **payload)

    def _for_people(
        self, ctx: CommandContext, action: str, count: int, *, reason: bool = False
    ) -> tuple[ProgramRef, Parsed] | None:
        """A command that names `count` people (and, with `reason`, says why): the program it
        acts on if the person coordinates it; else the usage or a refusal, and None."""
        parsed = parse(ctx.args)
        if len(parsed.users) != count or (reason and not parsed.rest):
            self._reply(ctx, views.error(f"usage_{action}"))
            return None
        program = self.authorize(ctx, action, parsed)
        return None if program is None else (program, parsed)

    def _change(
        self, ctx: CommandContext, program: ProgramRef, change: Callable[[Session, Program], T]
    ) -> T | None:
        """Run `change` on the program in one transaction; if the domain refuses it, tell the
        coordinator why (then None)."""
        try:
            with self.mentor.db.transaction() as session:
                return change(session, _row(session, program))
        except co.CoordinationError as exc:
            self._reply(ctx, views.error(exc.key, **exc.context))
            return None

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

    def _sync(self, client: WebClient, team_id: str, user_id: str) -> None:
        """Learn a coordinator's time zone (for the Monday digest)."""
        profile = slack_io.fetch_profile(client, user_id)
        with self.mentor.db.transaction() as session:
            if profile is not None or find_person(session, team_id, user_id) is None:
                upsert_person(session, team_id, profile, user_id, self.mentor.clock)

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
            self._reply(ctx, views.error("usage_coordinators"))
            return
        if sub == "list":
            program = self.authorize(ctx, "coordinators.list", parsed)
            if program is None:
                return
            with self.mentor.db.transaction() as session:
                people = co.coordinator_ids(session, program.id)
                self._audit(session, program, ctx.user_id, "coordinators.list")
            self._reply(
                ctx,
                views.note("coordinator.coordinators.list", program=program.name, people=people),
            )
            return
        if len(parsed.users) != 1:
            self._reply(ctx, views.error("usage_coordinators"))
            return
        target = parsed.users[0]
        if sub == "add":
            self._add_coordinator(ctx, parsed, target)
        else:
            self._remove_coordinator(ctx, parsed, target)

    def _target_program(self, session: Session, ctx: CommandContext, parsed: Parsed) -> Program:
        if parsed.program:
            program = co.find_program(session, ctx.team_id, parsed.program)
            if program is None:
                raise co.CoordinationError("unknown_program", name=parsed.program)
            return program
        mine = co.coordinated_programs(session, ctx.team_id, ctx.user_id)
        if len(mine) > 1:
            raise co.CoordinationError("which_program", names=[p.name for p in mine])
        return mine[0] if mine else default_program(session, ctx.team_id, self.mentor.clock)

    def _add_coordinator(self, ctx: CommandContext, parsed: Parsed, target: str) -> None:
        try:
            with self.mentor.db.transaction() as session:
                program = _ref(self._target_program(session, ctx, parsed))
                already = co.is_coordinator(session, program.id, ctx.user_id)
                bootstrap = not already and not co.coordinator_ids(session, program.id)
        except co.CoordinationError as exc:
            self._reply(ctx, views.error(exc.key, **exc.context))
            return
        admin = bootstrap and self._is_workspace_admin(ctx.client, ctx.user_id)
        with self.mentor.db.transaction() as session:
            row = _row(session, program)
            if not co.may_add_coordinator(session, row, ctx.user_id, workspace_admin=admin):
                self._deny(session, ctx.team_id, ctx.user_id, "coordinators.add", row)
                allowed = False
            else:
                added = co.add_coordinator(
                    session, row, target, by=ctx.user_id, clock=self.mentor.clock
                )
                self._audit(session, program, ctx.user_id, "coordinators.add", [target])
                allowed = True
        if not allowed:
            self._reply(ctx, views.refusal(program.name))
            return
        if not added:
            self._reply(
                ctx,
                views.note("coordinator.coordinators.already", user=target, program=program.name),
            )
            return
        self._sync(ctx.client, ctx.team_id, target)
        self._reply(
            ctx, views.note("coordinator.coordinators.added", user=target, program=program.name)
        )
        self._dm(
            ctx.client,
            target,
            views.note("coordinator.coordinators.welcome", by=ctx.user_id, program=program.name),
        )

    def _remove_coordinator(self, ctx: CommandContext, parsed: Parsed, target: str) -> None:
        program = self.authorize(ctx, "coordinators.remove", parsed)
        if program is None:
            return

        def change(session: Session, row: Program) -> bool:
            removed = co.remove_coordinator(session, row, target)
            self._audit(session, program, ctx.user_id, "coordinators.remove", [target])
            return removed

        removed = self._change(ctx, program, change)
        if removed is None:
            return
        if not removed:
            self._reply(
                ctx,
                views.note("coordinator.coordinators.not_one", user=target, program=program.name),
            )
            return
        self._reply(
            ctx, views.note("coordinator.coordinators.removed", user=target, program=program.name)
        )
        if target != ctx.user_id:
            self._dm(
                ctx.client,
                target,
                views.note("coordinator.coordinators.goodbye", program=program.name),
            )

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
            self._reply(ctx, views.error("usage_program"))

    def _create_program(self, ctx: CommandContext, name: str) -> None:
        with self.mentor.db.transaction() as session:
            coordinator = bool(co.coordinated_programs(session, ctx.team_id, ctx.user_id))
            bootstrap = not coordinator and not co.workspace_has_coordinators(session, ctx.team_id)
        admin = bootstrap and self._is_workspace_admin(ctx.client, ctx.user_id)
        if not coordinator and not admin:
            with self.mentor.db.transaction() as session:
                self._deny(session, ctx.team_id, ctx.user_id, "program.create", None)
            self._reply(ctx, views.refusal(None))
            return
        try:
            with self.mentor.db.transaction() as session:
                program = co.create_program(
                    session, ctx.team_id, name, by=ctx.user_id, clock=self.mentor.clock
                )
                self._audit(
                    session, _ref(program), ctx.user_id, "program.create", [f"program:{program.id}"]
                )
                created = _ref(program)
        except co.CoordinationError as exc:
            self._reply(ctx, views.error(exc.key, **exc.context))
            return
        self._sync(ctx.client, ctx.team_id, ctx.user_id)
        self._reply(ctx, views.note("coordinator.programs.created", program=created.name))

    def _list_programs(self, ctx: CommandContext) -> None:
        with self.mentor.db.transaction() as session:
            mine = {p.id for p in co.coordinated_programs(session, ctx.team_id, ctx.user_id)}
            if not mine:
                self._deny(session, ctx.team_id, ctx.user_id, "program.list", None)
                rows = None
            else:
                rows = []
                for program in co.list_programs(session, ctx.team_id):
                    # Another program's figures are its coordinators' business: only its name
                    # and who runs it are listed.
                    participants = None
                    if program.id in mine:
                        k = program_k(program_settings(program))
                        count = reports.counts(session, program, self.mentor.clock).participants
                        participants = mask(count, k)
                    rows.append(
                        views.ProgramRow(
                            id=program.id,
                            name=program.name,
                            is_default=program.is_default,
                            coordinators=co.coordinator_ids(session, program.id),
                            participants=participants,
                            mine=program.id in mine,
                        )
                    )
                first = session.get(Program, next(iter(sorted(mine))))
                assert first is not None
                self._audit(session, _ref(first), ctx.user_id, "program.list")
        if rows is None:
            self._reply(ctx, views.refusal(None))
            return
        self._reply(ctx, views.program_list(rows))

    def open_settings(self, client: WebClient, program: ProgramRef, trigger_id: str) -> None:
        with self.mentor.db.transaction() as session:
            row = session.get(Program, program.id)
            settings = program_settings(row)
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
        with self.mentor.db.transaction() as session:
            row = _row(session, program)
            co.save_settings(session, row, clean)
            self._audit(session, program, user_id, "program.settings", [f"program:{program.id}"])

        def confirm(client: WebClient) -> None:
            self._dm(
                client, user_id, views.note("coordinator.settings.saved", program=program.name)
            )

        return "ok", None, confirm

    # --- invite and announce ---------------------------------------------------------------
    def invite(self, ctx: CommandContext) -> None:
        parsed = parse(ctx.args)
        if not parsed.users and not parsed.channels:
            self._reply(ctx, views.error("usage_invite"))
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
                self._reply(ctx, views.error("channel_unreadable", channel=channel))
                return
        with self.mentor.db.transaction() as session:
            row = _row(session, program)
            invitation, queued, skipped = outbox.create_invitation(
                session, row, people, by=ctx.user_id, clock=self.mentor.clock
            )
            targets = list(parsed.users) + [f"channel:{c}" for c in parsed.channels]
            self._audit(
                session, program, ctx.user_id, "invite", targets + [f"invitation:{invitation.id}"]
            )
        self._reply(
            ctx,
            views.note(
                "coordinator.invite.queued", count=queued, skipped=skipped, program=program.name
            ),
        )
        self.send_outbox(ctx.client, ctx.team_id)

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
        try:
            with self.mentor.db.transaction() as session:
                row = _row(session, program)
                announcement, count = outbox.create_announcement(
                    session, row, body, by=user_id, clock=self.mentor.clock
                )
                self._audit(
                    session, program, user_id, "announce", [f"announcement:{announcement.id}"]
                )
        except outbox.OutboxError as exc:
            return (
                "errors",
                {"announce_text": plain(f"coordinator.errors.{exc.key}", **exc.context)},
                None,
            )

        def follow_up(client: WebClient) -> None:
            self._dm(
                client,
                user_id,
                views.note("coordinator.announce.queued", count=count, program=program.name),
            )
            self.send_outbox(client, team_id)

        return "ok", None, follow_up

    def send_outbox(self, client: WebClient, team_id: str, limit: int = PACE_PER_BATCH) -> int:
        """Send the next batch of announcements and invitations (paced, once each)."""
        with self.mentor.db.transaction() as session:
            if not workspace_active(session, team_id):
                return 0
            claimed = outbox.claim_due(session, team_id, self.mentor.clock, limit=limit)
        sent = 0
        for item in claimed:
            outcome = self._deliver(client, team_id, item)
            with self.mentor.db.transaction() as session:
                if outcome == "sent":
                    outbox.mark_sent(session, item.delivery_id, self.mentor.clock)
                    sent += 1
                elif outcome == "later":
                    outbox.release(session, item.delivery_id)
                else:
                    outbox.mark_failed(
                        session, item.delivery_id, self.mentor.clock, retry=outcome == "retry"
                    )
        if claimed:
            logger.info("outbox: %d of %d messages sent (team %s)", sent, len(claimed), team_id)
        return sent

    def _deliver(self, client: WebClient, team_id: str, item: outbox.Claimed) -> str:
        try:
            if item.kind == "invite":
                user = client.users_info(user=item.user_id).get("user") or {}
                if user.get("is_bot") or user.get("deleted") or item.user_id == "USLACKBOT":
                    return "failed"
                with self.mentor.db.transaction() as session:
                    program = session.get(Program, item.program_id)
                    settings = program_settings(program)
                if not outbox.within_working_hours(
                    user.get("tz"), settings, self.mentor.clock.now()
                ):
                    return "later"
                payload = views.invitation(
                    item.program, item.created_by, program_id=item.program_id
                )
            else:
                payload = views.announcement(item.program, item.body or "", item.created_by)
            slack_io.post_dm(client, item.user_id, payload)
            return "sent"
        except SlackApiError as exc:
            error = str(exc.response.get("error") or "")
            logger.info("outbox delivery %s failed: %s", item.delivery_id, error)
            return (
                "retry" if error in ("ratelimited", "internal_error", "fatal_error") else "failed"
            )
        except SlackClientError:
            return "retry"

    # --- reports ---------------------------------------------------------------------------
    def stats(self, ctx: CommandContext) -> None:
        program = self.authorize(ctx, "stats", parse(ctx.args))
        if program is not None:
            self._reply(ctx, self.stats_payload(program, ctx.user_id, "stats"))

    def stats_payload(self, program: ProgramRef, user_id: str, action: str) -> dict[str, Any]:
        with self.mentor.db.transaction() as session:
            row = _row(session, program)
            data = reports.compute_stats(session, row, self.mentor.clock)
            self._audit(session, program, user_id, action)
        return views.stats(data)

    def unmatched(self, ctx: CommandContext) -> None:
        program = self.authorize(ctx, "unmatched", parse(ctx.args))
        if program is not None:
            self._reply(ctx, self.list_payload(program, ctx.user_id, "unmatched"))

    def at_risk(self, ctx: CommandContext) -> None:
        program = self.authorize(ctx, "at_risk", parse(ctx.args))
        if program is not None:
            self._reply(ctx, self.list_payload(program, ctx.user_id, "at_risk"))

    def list_payload(self, program: ProgramRef, user_id: str, kind: str) -> dict[str, Any]:
        with self.mentor.db.transaction() as session:
            row = _row(session, program)
            if kind == "unmatched":
                items = reports.unmatched(session, row, self.mentor.clock)
            else:
                items = reports.at_risk(session, row, self.mentor.clock)
            self._audit(session, program, user_id, kind)
        return views.people_list(kind, program.name, items)

    def audit(self, ctx: CommandContext) -> None:
        program = self.authorize(ctx, "audit", parse(ctx.args))
        if program is None:
            return
        with self.mentor.db.transaction() as session:
            events = co.recent_audit(session, [program.id])
            self._audit(session, program, ctx.user_id, "audit")
        self._reply(ctx, views.audit_list(program.name, events))

    def export(self, ctx: CommandContext) -> None:
        program = self.authorize(ctx, "export", parse(ctx.args))
        if program is None:
            return
        with self.mentor.db.transaction() as session:
            row = _row(session, program)
            people = reports.export_participants(session, row, self.mentor.clock)
            pairs = reports.export_pairs(session, row)
            self._audit(session, program, ctx.user_id, "export")
        channel = slack_io.open_dm(ctx.client, ctx.user_id)
        stem = re.sub(r"[^a-z0-9]+", "-", program.name.lower()).strip("-") or "program"
        day = self.mentor.clock.now().date().isoformat()
        ctx.client.files_upload_v2(
            channel=channel,
            initial_comment=mrkdwn("coordinator.export.comment", program=program.name),
            file_uploads=[
                {
                    "content": people,
                    "filename": f"{stem}-participants-{day}.csv",
                    "title": plain("coordinator.export.participants"),
                },
                {
                    "content": pairs,
                    "filename": f"{stem}-pairs-{day}.csv",
                    "title": plain("coordinator.export.pairs"),
                },
            ],
        )
        self._reply(ctx, views.note("coordinator.export.sent", program=program.name))

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
        try:
            with self.mentor.db.transaction() as session:
                row = _row(session, program)
                proposal = co.propose_match(
                    session, row, mentee, mentor, by=ctx.user_id, clock=self.mentor.clock
                )
                self._audit(session, program, ctx.user_id, "match", [mentee, mentor])
        except co.CoordinationError as exc:
            with self.mentor.db.transaction() as session:
                self._audit(
                    session,
                    program,
                    ctx.user_id,
                    "match",
                    [mentee, mentor],
                    outcome=OUTCOME_REFUSED,
                )
            self._reply(ctx, views.error(exc.key, **exc.context))
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
        self._reply(ctx, views.note("coordinator.match.proposed", mentee=mentee, mentor=mentor))

    # --- match run: a whole program's shortlists, confirmed first --------------------------
    def match_run(self, ctx: CommandContext) -> None:
        """Show what a run would do now (counts from a dry run) with "Send shortlists" and
        "Cancel"; nothing is stored or sent yet."""
        parsed = parse(ctx.args)
        if parsed.users or parsed.channels or [w.lower() for w in parsed.words] != ["run"]:
            self._reply(ctx, views.error("usage_match_run"))
            return
        program = self.authorize(ctx, MATCH_PREVIEW, parsed)
        if program is None:
            return
        try:
            with self.mentor.db.transaction() as session:
                plan = matching.plan_matching(session, _row(session, program), self.mentor.clock)
                token = co.match_run_token(session, program.id)
                self._audit(session, program, ctx.user_id, MATCH_PREVIEW)
        except matching.MatchingError as exc:
            self._reply(ctx, self._run_refused(program, ctx.user_id, MATCH_PREVIEW, exc))
            return
        if not plan.waiting:
            self._reply(
                ctx,
                views.note(
                    "coordinator.match_run.nobody", program=program.name, choosing=plan.choosing
                ),
            )
            return
        self._reply(ctx, views.match_run_confirm(program.id, plan, token))

    def _run_refused(
        self, program: ProgramRef, user_id: str, action: str, exc: matching.MatchingError
    ) -> dict[str, Any]:
        """Matching refused to run (too large for its memory limit, or a reporting loop):
        audited as not done; the reply says what to do instead."""
        with self.mentor.db.transaction() as session:
            self._audit(session, program, user_id, action, outcome=OUTCOME_REFUSED)
        logger.info("matching run for program %s refused: %s", program.id, type(exc).__name__)
        if isinstance(exc, matching.MatchingTooLarge):
            return views.match_run_too_large(program.name, exc)
        return views.error("manager_cycle")

    def confirm_match_run(
        self, client: WebClient, team_id: str, user_id: str, value: str | None, respond: Any
    ) -> None:
        """ "Send shortlists": re-authorise, run once (the token: a double click or a stale
        confirmation sends nothing), DM each mentee, and replace the confirmation with the
        counts."""
        data = _json_object(value)
        program = self.authorize_click(team_id, user_id, data.get("p"), co.MATCH_RUN)
        if program is None:
            respond(replace_original=False, response_type="ephemeral", **views.refusal(None))
            return
        try:
            with self.mentor.db.transaction() as session:
                outcomes = None
                if co.claim_match_run(session, program.id, data.get("t")):
                    outcomes = matching.run_matching(
                        session, _row(session, program), self.mentor.clock, waiting_only=True
                    )
                    self._audit(session, program, user_id, co.MATCH_RUN)
        except matching.MatchingError as exc:
            respond(replace_original=True, **self._run_refused(program, user_id, co.MATCH_RUN, exc))
            return
        if outcomes is None:
            respond(
                replace_original=False,
                response_type="ephemeral",
                **views.note("coordinator.match_run.already"),
            )
            return
        sent = self.matching_flow.send_shortlists(client, outcomes)
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
        with self.mentor.db.transaction() as session:
            answer = co.answer_match(session, match_id, user_id, yes=yes, clock=self.mentor.clock)
        if answer.outcome == "stale":
            respond(
                replace_original=False,
                response_type="ephemeral",
                **views.note("coordinator.match.stale"),
            )
            return
        respond(
            replace_original=True,
            **views.note(
                "coordinator.match.answered_yes" if yes else "coordinator.match.answered_no"
            ),
        )
        if answer.outcome == "declined":
            other = answer.mentor if user_id == answer.mentee else answer.mentee
            self._dm(client, other, views.note("coordinator.match.not_going_ahead"))
            self._dm(
                client,
                answer.coordinator,
                views.note(
                    "coordinator.match.declined_for_coordinator",
                    mentee=answer.mentee,
                    mentor=answer.mentor,
                ),
            )
        elif answer.outcome == "paired" and answer.pair_id is not None:
            self._dm(
                client,
                answer.mentee,
                views.note(
                    "coordinator.match.paired_mentee", other=answer.mentor, program=answer.program
                ),
            )
            self._dm(
                client,
                answer.mentor,
                views.note(
                    "coordinator.match.paired_mentor", other=answer.mentee, program=answer.program
                ),
            )
            self._dm(
                client,
                answer.coordinator,
                views.note(
                    "coordinator.match.paired_for_coordinator",
                    mentee=answer.mentee,
                    mentor=answer.mentor,
                ),
            )
            # The relationship feature takes it from here (learning agreement invitations).
            self.mentor.hooks.pair_created(client, team_id, answer.pair_id)
        logger.info("coordinator match %s answered: %s", match_id, answer.outcome)

    def unpair(self, ctx: CommandContext) -> None:
        found = self._for_people(ctx, "unpair", 2)
        if found is None:
            return
        program, parsed = found
        a, b = parsed.users

        def change(session: Session, row: Program) -> co.Unpaired:
            done = co.unpair(session, row, a, b, self.mentor.clock)
            self._audit(session, program, ctx.user_id, "unpair", [a, b, f"pair:{done.pair_id}"])
            return done

        done = self._change(ctx, program, change)
        if done is None:
            return
        self._dm(
            ctx.client,
            done.mentee,
            views.note("coordinator.unpair.notice", other=done.mentor, program=program.name),
        )
        self._dm(
            ctx.client,
            done.mentor,
            views.note("coordinator.unpair.notice", other=done.mentee, program=program.name),
        )
        self._reply(ctx, views.note("coordinator.unpair.done", a=a, b=b))

    def do_not_pair(self, ctx: CommandContext) -> None:
        found = self._for_people(ctx, "do_not_pair", 2)
        if found is None:
            return
        program, parsed = found
        a, b = parsed.users

        def change(session: Session, row: Program) -> co.DoNotPairResult:
            result = co.do_not_pair(session, row, a, b, self.mentor.clock)
            self._audit(session, program, ctx.user_id, "do_not_pair", [a, b])
            return result

        result = self._change(ctx, program, change)
        if result is None:
            return
        self._reply(
            ctx,
            views.note(
                "coordinator.do_not_pair.done",
                a=a,
                b=b,
                created=result.created,
                paired=result.currently_paired,
            ),
        )

    def rematch(self, ctx: CommandContext) -> None:
        found = self._for_people(ctx, "rematch", 1)
        if found is None:
            return
        program, parsed = found
        mentee = parsed.users[0]

        def change(session: Session, row: Program) -> co.Rematch:
            result = co.rematch(session, row, mentee, self.mentor.clock)
            self._audit(session, program, ctx.user_id, "rematch", [mentee, *result.ending.partners])
            return result

        result = self._change(ctx, program, change)
        if result is None:
            return
        for partner in result.ending.partners:
            self._dm(
                ctx.client, partner, views.note("coordinator.rematch.partner_notice", other=mentee)
            )
        for mentor_id in result.ending.asked:
            self._dm(ctx.client, mentor_id, views.note("everyone.request_withdrawn", other=mentee))
        self._dm(
            ctx.client,
            mentee,
            views.note("coordinator.rematch.mentee_notice", program=program.name),
        )
        # Matching offers new mentors: through its rematch hook if it has one, else as for a
        # freshly confirmed profile.
        if not self.mentor.hooks.rematch_requested(ctx.client, ctx.team_id, mentee, program.id):
            self.mentor.hooks.profile_confirmed(ctx.client, ctx.team_id, mentee, program.id)
        self._reply(ctx, views.note("coordinator.rematch.done", mentee=mentee))

    # --- sweeps: snapshots, the outbox, the Monday digest ----------------------------------
    def sweep(self) -> None:
        client = self.mentor.client
        with self.mentor.db.transaction() as session:
            teams = list(
                session.scalars(select(Workspace.team_id).where(Workspace.uninstalled_at.is_(None)))
            )
        for team_id in teams:
            with self.mentor.db.transaction() as session:
                for program in co.list_programs(session, team_id):
                    reports.take_snapshot(session, program, self.mentor.clock)
            self.send_outbox(client, team_id)
            self.send_digests(client, team_id)

    def send_digests(self, client: WebClient, team_id: str) -> int:
        now = self.mentor.clock.now()
        due: list[tuple[ProgramRef, str, str]] = []
        with self.mentor.db.transaction() as session:
            if not workspace_active(session, team_id):
                return 0
            never_synced = []
            for user_id in set(
                session.scalars(
                    select(Coordinator.slack_user_id).where(Coordinator.team_id == team_id)
                )
            ):
                person = find_person(session, team_id, user_id)
                if person is None or person.profile_synced_at is None:
                    never_synced.append(user_id)
        for user_id in never_synced:  # learn their time zone, once
            self._sync(client, team_id, user_id)
        with self.mentor.db.transaction() as session:
            rows = session.execute(
                select(Coordinator.slack_user_id, Program)
                .join(Program, Program.id == Coordinator.program_id)
                .where(Coordinator.team_id == team_id)
            ).all()
            for user_id, program in rows:
                person = find_person(session, team_id, user_id)
                week = outbox.digest_due(
                    person.timezone if person is not None else None, program_settings(program), now
                )
                if week and outbox.claim_digest(session, program, user_id, week, self.mentor.clock):
                    due.append((_ref(program), user_id, week))
        sent = 0
        for ref, user_id, week in due:
            ok = self._send_digest(client, ref, user_id)
            with self.mentor.db.transaction() as session:
                outbox.mark_digest(session, ref.id, user_id, week, self.mentor.clock, sent=ok)
            sent += int(ok)
        if due:
            logger.info("weekly digest: %d of %d sent (team %s)", sent, len(due), team_id)
        return sent

    def _send_digest(self, client: WebClient, program: ProgramRef, user_id: str) -> bool:
        with self.mentor.db.transaction() as session:
            row = _row(session, program)
            data = reports.digest(session, row, self.mentor.clock)
        png = reports.pairs_chart(
            data.history,
            data.k,
            labels=views.chart_labels(),
            title=plain("coordinator.digest.chart_title", program=program.name),
            hidden_label=plain("coordinator.fewer_than", k=data.k),
        )
        try:
            channel, _ = slack_io.post_dm(client, user_id, views.digest(data, program.id))
            client.files_upload_v2(
                channel=channel,
                content=png,
                filename="pairs-by-stage.png",
                title=plain("coordinator.digest.chart_title", program=program.name),
                alt_txt=plain("coordinator.digest.chart_alt", program=program.name),
            )
            return True
        except SlackApiError as exc:
            logger.info("weekly digest for %s failed: %s", user_id, exc.response.get("error"))
        except SlackClientError:
            logger.info("weekly digest for %s not sent: sending is stopped", user_id)
        return False
