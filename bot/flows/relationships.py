"""A mentoring relationship in Slack: the learning agreement, meetings, pauses, check-ins and
endings. Each action runs one `core` service (one transaction that also queues the messages
it causes in the delivery ledger), then those messages are sent at once; scheduled messages
are rendered here when the sweep sends them."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.platform import slack_io
from bot.platform.blocks import message, text_message, view_metadata, view_values
from bot.scheduling.deliverer import Deliverer, Pacer, Part, Renderer, RenderTarget
from bot.views import relationships as views
from core.kernel.texts import mrkdwn, plain
from core.matchmaking.models import PAIR_ACTIVE
from core.people.directory import find_person
from core.people.models import Participation, Person
from core.programs.models import Program
from core.programs.service import default_program, taking_part
from core.relationships import agreements, checkins, meetings, pauses
from core.relationships.models import (
    AGREEMENT_ACTIVE,
    AGREEMENT_CHANGES,
    AGREEMENT_PROPOSED,
    INDEFINITE,
    Agreement,
    Meeting,
    Pause,
    Relationship,
)
from core.relationships.service import (
    Member,
    PairInfo,
    PairState,
    RelationshipError,
    agreement_of,
    local_today,
    member_of,
    only_pair,
    pair_info,
    pair_state,
    pairs_of,
    relationship_of,
    request_rematch,
    settings_for,
    start_relationship,
)

if TYPE_CHECKING:
    from bot.app import MentorApp
    from bot.flows.onboarding import OnboardingFlow

logger = logging.getLogger(__name__)

Reply = Callable[[str], None]


@dataclass(frozen=True)
class Click:
    """A button pressed in one of the relationship's messages (or App Home)."""

    client: WebClient
    team_id: str
    user_id: str
    token: dict[str, Any]  # the button's value
    reply: Reply
    trigger_id: str
    action_id: str


def error_text(exc: RelationshipError) -> str:
    return mrkdwn(f"relationship.errors.{exc.key}", **exc.context)


def _agreement_view(agreement: Agreement, until: date | None = None) -> views.AgreementView:
    return views.AgreementView(
        goals=[dict(g) for g in agreement.goals],
        cadence=agreement.cadence,
        meeting_format=agreement.meeting_format,
        duration_months=agreement.duration_months,
        until=until,
    )


def _agreement_at(state: PairState, status: str, version: Any) -> Agreement | None:
    """The pair's agreement if it is still in `status` at `version` (else a message about it
    is out of date)."""
    agreement = state.agreement
    if agreement is None or agreement.status != status or agreement.version != version:
        return None
    return agreement


def _ends_on(relationship: Relationship | None, timezone: str | None) -> date | None:
    """The local day the relationship's term ends, if it has one."""
    if relationship is None or relationship.ends_at is None:
        return None
    return local_today(relationship.ends_at, timezone)


class RelationshipFlow:
    def __init__(self, mentor: MentorApp, onboarding: OnboardingFlow) -> None:
        self.mentor = mentor
        self.onboarding = onboarding  # redraws App Home when the pair changes
        self.renderers: dict[str, Renderer] = {
            "agreement_invite": self._render_invite,
            "agreement_review": self._render_review,
            "agreement_changes": self._render_changes,
            "agreement_active": self._render_active,
            "agreement_nudge": self._render_agreement_nudge,
            "meeting_nudge": self._render_meeting_nudge,
            "meeting_logged": self._render_meeting_logged,
            "checkin": self._render_checkin,
            "not_working": self._render_not_working,
            "checkin_summary": self._render_summary,
            "help_request": self._render_help,
            "closure": self._render_closure,
            "term_end": self._render_term_end,
            "extended": self._render_extended,
            "pause_started": self._render_pause_started,
            "pause_ended": self._render_pause_ended,
        }
        self.deliverer = Deliverer(
            mentor.db, mentor.clock, mentor.client, self.renderers, pacer=Pacer()
        )

    @property
    def clock(self) -> Any:
        return self.mentor.clock

    # --- plumbing ----------------------------------------------------------------------------
    def send_now(self, ids: list[int]) -> None:
        if ids:
            self.deliverer.deliver_now(ids)

    def refresh_homes(self, client: WebClient, info: PairInfo | None) -> None:
        """Redraw both people's App Home (it shows the pair's state)."""
        if info is None:
            return
        for member in info.members:
            if member.unreachable:
                continue
            try:
                self.onboarding.publish_home(client, info.team_id, member.user_id)
            except SlackClientError as exc:
                logger.info(
                    "could not refresh App Home for %s: %s", member.user_id, type(exc).__name__
                )

    def _run(
        self,
        reply: Reply,
        fn: Callable[[Session], tuple[list[int], str | None, PairInfo | None]],
        client: WebClient | None = None,
    ) -> None:
        """Run a service in one transaction; send what it queued; reply; refresh homes."""
        try:
            with self.mentor.db.transaction() as session:
                ids, text, info = fn(session)
        except RelationshipError as exc:
            reply(error_text(exc))
            return
        self.send_now(ids)
        if text:
            reply(text)
        if client is not None:
            self.refresh_homes(client, info)

    def _as_member(
        self,
        team_id: str,
        user_id: str,
        token: dict[str, Any],
        reply: Reply,
        step: Callable[[Session, PairInfo, Member], tuple[list[int], str | None]],
        client: WebClient | None = None,
    ) -> None:
        """`_run` a step of the person who pressed a button of an active pair (`token` names
        the pair); with a client, both people's App Home is redrawn after."""

        def run(session: Session) -> tuple[list[int], str | None, PairInfo | None]:
            info, member = member_of(session, team_id, user_id, token.get("p"))
            ids, text = step(session, info, member)
            return ids, text, info

        self._run(reply, run, client)

    def _sent(
        self, ids: list[int], user_id: str, text: str, info: PairInfo
    ) -> Callable[[WebClient], None]:
        """A modal's follow-up: send what it queued, confirm to its author, redraw homes."""

        def follow_up(client: WebClient) -> None:
            self.send_now(ids)
            slack_io.post_dm(client, user_id, text_message(text))
            self.refresh_homes(client, info)

        return follow_up

    # --- new pairs ---------------------------------------------------------------------------
    def on_pair_created(self, client: WebClient, team_id: str, pair_id: int) -> None:
        with self.mentor.db.transaction() as session:
            ids = start_relationship(session, pair_id, self.clock.now())
            info = pair_info(session, pair_id)
        self.send_now(ids)
        self.refresh_homes(client, info)

    # --- agreement ---------------------------------------------------------------------------
    def open_agreement(self, c: Click) -> None:
        try:
            with self.mentor.db.transaction() as session:
                info, member = member_of(session, c.team_id, c.user_id, c.token.get("p"))
                agreement = agreement_of(session, info.pair_id)
                if agreement is not None and agreement.status == AGREEMENT_ACTIVE:
                    raise RelationshipError("already_active")
                if member.role == "mentor":
                    if agreement is None or agreement.status != AGREEMENT_PROPOSED:
                        raise RelationshipError(
                            "no_draft" if agreement is None else "only_mentee_drafts",
                            partner=info.mentee.name,
                        )
                    review = views.review(
                        info.pair_id,
                        agreement.version,
                        info.mentee.user_id,
                        info.mentee.name,
                        _agreement_view(agreement),
                    )
                    view = None
                else:
                    form, version = agreements.default_form(session, info)
                    settings = settings_for(session, info.program_id)
                    view = views.agreement_modal(
                        form,
                        partner_name=info.mentor.name,
                        max_goals=settings.max_goals,
                        durations=agreements.durations(settings),
                        suggestion=agreement.suggestion if agreement is not None else None,
                        metadata={"p": info.pair_id, "v": version},
                    )
                    review = None
        except RelationshipError as exc:
            c.reply(error_text(exc))
            return
        if view is not None:
            c.client.views_open(trigger_id=c.trigger_id, view=view)
        elif review is not None:
            slack_io.post_dm(c.client, c.user_id, message(review.text, review.blocks))

    def submit_agreement(
        self, team_id: str, user_id: str, view: dict[str, Any]
    ) -> tuple[dict[str, str] | None, Callable[[WebClient], None] | None]:
        metadata = view_metadata(view)
        values = view_values(view)
        try:
            with self.mentor.db.transaction() as session:
                info, member = member_of(session, team_id, user_id, metadata.get("p"))
                max_goals = settings_for(session, info.program_id).max_goals
                form = views.agreement_form(values, max_goals)
                ids = agreements.submit_draft(
                    session, info, member, form, metadata.get("v"), self.clock.now()
                )
        except agreements.AgreementInvalid as exc:
            return views.agreement_errors(exc.errors, max_goals), None
        except RelationshipError as exc:
            text = error_text(exc)
            return None, _tell(user_id, text)

        text = mrkdwn("relationship.agreement.sent", partner_name=info.mentor.name)
        return None, self._sent(ids, user_id, text, info)

    def confirm_agreement(
        self, client: WebClient, team_id: str, user_id: str, token: dict[str, Any], reply: Reply
    ) -> None:
        def step(session: Session, info: PairInfo, member: Member) -> tuple[list[int], None]:
            return agreements.confirm(session, info, member, token.get("v"), self.clock.now()), None

        self._as_member(team_id, user_id, token, reply, step, client)

    def open_suggest(self, c: Click) -> None:
        try:
            with self.mentor.db.transaction() as session:
                info, member = member_of(session, c.team_id, c.user_id, c.token.get("p"))
                agreement = agreement_of(session, info.pair_id)
                if member.role != "mentor":
                    raise RelationshipError("only_mentor_confirms", partner=info.mentor.name)
                if (
                    agreement is None
                    or agreement.status != AGREEMENT_PROPOSED
                    or agreement.version != c.token.get("v")
                ):
                    raise RelationshipError("stale")
        except RelationshipError as exc:
            c.reply(error_text(exc))
            return
        c.client.views_open(
            trigger_id=c.trigger_id,
            view=views.suggest_modal(info.mentee.name, {"p": info.pair_id, "v": c.token.get("v")}),
        )

    def submit_suggestion(
        self, team_id: str, user_id: str, view: dict[str, Any]
    ) -> tuple[dict[str, str] | None, Callable[[WebClient], None] | None]:
        metadata = view_metadata(view)
        values = view_values(view)
        text = views._text(values, "suggest_text", views.ids.REL_SUGGEST_TEXT)
        try:
            with self.mentor.db.transaction() as session:
                info, member = member_of(session, team_id, user_id, metadata.get("p"))
                ids = agreements.suggest_changes(
                    session, info, member, metadata.get("v"), text, self.clock.now()
                )
        except agreements.AgreementInvalid as exc:
            return {"suggest_text": plain(f"relationship.errors.{exc.errors['suggestion']}")}, None
        except RelationshipError as exc:
            problem = error_text(exc)
            return None, _tell(user_id, problem)

        done = mrkdwn("relationship.agreement.suggested", partner_name=info.mentee.name)
        return None, self._sent(ids, user_id, done, info)

    # --- meetings ----------------------------------------------------------------------------
    def met(
        self,
        client: WebClient,
        team_id: str,
        user_id: str,
        reply: Reply,
        *,
        token: dict[str, Any] | None = None,
        args: str = "",
    ) -> None:
        """ "We met" (a button: today) or `/mentoring met [@partner] [date]`."""

        def run(session: Session) -> tuple[list[int], str | None, PairInfo | None]:
            if token is not None:
                info, member = member_of(session, team_id, user_id, token.get("p"))
                when = local_today(self.clock.now(), member.timezone)
            else:
                partner, rest = _partner_arg(session, team_id, user_id, args)
                info, member = only_pair(session, team_id, user_id, partner)
                when = meetings.parse_date(rest, local_today(self.clock.now(), member.timezone))
            _meeting, new, ids = meetings.log_meeting(session, info, member, when, self.clock.now())
            text = (
                None if new else mrkdwn("relationship.meeting.already_logged", date=views.day(when))
            )
            return ids, text, info

        self._run(reply, run, client)

    def scheduled_or_snooze(
        self, team_id: str, user_id: str, token: dict[str, Any], reply: Reply, *, snooze: bool
    ) -> None:
        def step(session: Session, info: PairInfo, _member: Member) -> tuple[list[int], str]:
            relationship = relationship_of(session, info.pair_id)
            settings = settings_for(session, info.program_id)
            days = (
                settings.snooze_days
                if snooze
                else int((relationship.cadence_days if relationship else None) or 14)
            )
            meetings.put_off(session, info, self.clock.now(), days)
            return [], mrkdwn(f"relationship.meeting.{'snoozed' if snooze else 'scheduled'}")

        self._as_member(team_id, user_id, token, reply, step)

    def open_note(self, c: Click) -> None:
        try:
            with self.mentor.db.transaction() as session:
                info, member = member_of(
                    session, c.team_id, c.user_id, c.token.get("p"), active=False
                )
                meeting = meetings.meeting_of_pair(session, info, c.token.get("m"))
                note = meetings.note_of(session, meeting.id, member.person_id)
                view = views.note_modal(meeting.met_on, note, {"p": info.pair_id, "m": meeting.id})
        except RelationshipError as exc:
            c.reply(error_text(exc))
            return
        c.client.views_open(trigger_id=c.trigger_id, view=view)

    def submit_note(
        self, team_id: str, user_id: str, view: dict[str, Any]
    ) -> dict[str, str] | None:
        metadata = view_metadata(view)
        values = view_values(view)
        text = views._text(values, "note_text", views.ids.REL_NOTE_TEXT)
        try:
            with self.mentor.db.transaction() as session:
                info, member = member_of(session, team_id, user_id, metadata.get("p"), active=False)
                meetings.save_note(session, info, member, metadata.get("m"), text, self.clock.now())
        except RelationshipError as exc:
            return {"note_text": plain(f"relationship.errors.{exc.key}", **exc.context)}
        return None

    # --- pauses ------------------------------------------------------------------------------
    def pause(self, client: WebClient, team_id: str, user_id: str, args: str, reply: Reply) -> None:
        def run(session: Session) -> tuple[list[int], str | None, PairInfo | None]:
            length = pauses.parse_pause(args)
            person = find_person(session, team_id, user_id)
            ids: list[int] = []
            until_at = None
            for program in self._own_programs(session, team_id, person):
                record, sent = pauses.pause(
                    session, team_id, user_id, program, length, self.clock.now()
                )
                ids += sent
                until_at = record.until
            if until_at is None:
                return ids, mrkdwn("relationship.pause.started_open"), None
            until = local_today(until_at, person.timezone if person else None)
            return ids, mrkdwn("relationship.pause.started", until=views.day(until)), None

        self._run(reply, run)
        self._refresh_own_home(client, team_id, user_id)

    def resume(self, client: WebClient, team_id: str, user_id: str, reply: Reply) -> None:
        def run(session: Session) -> tuple[list[int], str | None, PairInfo | None]:
            person = find_person(session, team_id, user_id)
            resumed = False
            for program in self._own_programs(session, team_id, person):
                try:
                    pauses.resume(session, team_id, user_id, program, self.clock.now())
                    resumed = True
                except RelationshipError as exc:
                    if exc.key != "not_paused":
                        raise
            if not resumed:
                raise RelationshipError("not_paused")
            return [], mrkdwn("relationship.pause.resumed"), None

        self._run(reply, run)
        self._refresh_own_home(client, team_id, user_id)

    def _own_programs(self, session: Session, team_id: str, person: Person | None) -> list[Program]:
        """A break is from mentoring, not from one program: pausing and resuming apply to
        every program the person takes part in (the default one when none, which then says
        they are not part of it)."""
        return taking_part(session, person) or [default_program(session, team_id, self.clock)]

    def _refresh_own_home(self, client: WebClient, team_id: str, user_id: str) -> None:
        try:
            self.onboarding.publish_home(client, team_id, user_id)
        except SlackClientError as exc:
            logger.info("could not refresh App Home: %s", type(exc).__name__)

    # --- check-ins ---------------------------------------------------------------------------
    def open_checkin(self, c: Click) -> None:
        try:
            with self.mentor.db.transaction() as session:
                info, member = member_of(session, c.team_id, c.user_id, c.token.get("p"))
                seq = checkins.check_seq(session, info, c.token.get("s"))
                if checkins.answered(session, info, member, seq) is not None:
                    raise RelationshipError("stale")
                goals = checkins.checkin_goals(session, info)
                partner = info.partner(member.person_id)
        except RelationshipError as exc:
            c.reply(
                mrkdwn("relationship.checkin.already") if exc.key == "stale" else error_text(exc)
            )
            return
        c.client.views_open(
            trigger_id=c.trigger_id,
            view=views.checkin_modal(goals, partner.name, {"p": info.pair_id, "s": seq}),
        )

    def submit_checkin(
        self, team_id: str, user_id: str, view: dict[str, Any]
    ) -> tuple[dict[str, str] | None, Callable[[WebClient], None] | None]:
        metadata = view_metadata(view)
        values = view_values(view)
        try:
            with self.mentor.db.transaction() as session:
                info, member = member_of(session, team_id, user_id, metadata.get("p"))
                goals = checkins.checkin_goals(session, info)
                answers = views.checkin_answers(values, len(goals))
                checkin_id, ids = checkins.submit_checkin(
                    session,
                    info,
                    member,
                    metadata.get("s"),
                    progress=answers.progress,
                    health=answers.health,
                    note=answers.note,
                    share=answers.share,
                    now=self.clock.now(),
                )
        except RelationshipError as exc:
            if exc.key == "too_long_note":
                return {
                    "checkin_note": plain("relationship.errors.too_long_note", **exc.context)
                }, None
            problem = error_text(exc)
            return None, _tell(user_id, problem)

        key = "thanks" if checkin_id is not None else "already"
        tell = _tell(user_id, mrkdwn(f"relationship.checkin.{key}"))

        def follow_up(client: WebClient) -> None:
            tell(client)
            self.send_now(ids)

        return None, follow_up

    def help(
        self, client: WebClient, team_id: str, user_id: str, token: dict[str, Any], reply: Reply
    ) -> None:
        def step(session: Session, info: PairInfo, member: Member) -> tuple[list[int], str]:
            _id, new, ids = checkins.request_help(session, info, member, self.clock)
            return ids, mrkdwn(f"relationship.help.{'asked' if new else 'asked_again'}")

        self._as_member(team_id, user_id, token, reply, step)

    def end(
        self, client: WebClient, team_id: str, user_id: str, token: dict[str, Any], reply: Reply
    ) -> None:
        def step(session: Session, info: PairInfo, member: Member) -> tuple[list[int], None]:
            return checkins.end_no_fault(session, info, member, self.clock.now()), None

        self._as_member(team_id, user_id, token, reply, step, client)

    def complete(
        self, client: WebClient, team_id: str, user_id: str, token: dict[str, Any], reply: Reply
    ) -> None:
        def step(session: Session, info: PairInfo, member: Member) -> tuple[list[int], None]:
            return checkins.complete(session, info, member, self.clock.now()), None

        self._as_member(team_id, user_id, token, reply, step, client)

    def extend(
        self, client: WebClient, team_id: str, user_id: str, token: dict[str, Any], reply: Reply
    ) -> None:
        def step(session: Session, info: PairInfo, member: Member) -> tuple[list[int], None]:
            return checkins.extend(session, info, member, token.get("e"), self.clock.now()), None

        self._as_member(team_id, user_id, token, reply, step, client)

    def rematch(
        self, client: WebClient, team_id: str, user_id: str, token: dict[str, Any], reply: Reply
    ) -> None:
        try:
            with self.mentor.db.transaction() as session:
                info, member = member_of(session, team_id, user_id, token.get("p"), active=False)
                new = request_rematch(session, info, member, self.clock.now())
        except RelationshipError as exc:
            reply(error_text(exc))
            return
        reply(mrkdwn(f"relationship.closure.{'rematch_ack' if new else 'rematch_again'}"))
        if new:
            self.mentor.hooks.rematch_requested(client, team_id, user_id, info.program_id)

    # --- App Home ----------------------------------------------------------------------------
    def home_section(self, team_id: str, user_id: str) -> list[dict[str, Any]]:
        with self.mentor.db.transaction() as session:
            person = find_person(session, team_id, user_id)
            if person is None:
                return []
            state = views.HomeSection()
            now = self.clock.now()
            paused = session.scalar(
                select(Participation.paused_until).where(
                    Participation.person_id == person.id, Participation.paused_until > now
                )
            )
            if paused is not None:
                if paused >= INDEFINITE:
                    state.paused_open = True
                else:
                    state.paused_until = local_today(paused, person.timezone)
            for info in pairs_of(session, team_id, user_id):
                member = info.member(person.id)
                if member is None:
                    continue
                partner = info.partner(person.id)
                agreement = agreement_of(session, info.pair_id)
                relationship = relationship_of(session, info.pair_id)
                until = _ends_on(relationship, person.timezone)
                state.pairs.append(
                    views.PairHome(
                        pair_id=info.pair_id,
                        role=member.role,
                        partner_id=partner.user_id,
                        partner_name=partner.name,
                        since=local_today(info.created_at, person.timezone),
                        agreement_status=agreement.status if agreement else None,
                        agreement=_agreement_view(agreement, until) if agreement else None,
                        version=agreement.version if agreement else None,
                        last_met=relationship.last_met_on if relationship else None,
                    )
                )
        return views.home_section(state)

    # --- rendering (called by the deliverer inside its transaction) --------------------------
    # Each renderer returns the message part, or None when the item is no longer relevant
    # (then it is dropped and nothing is sent for it).
    def _context(
        self, session: Session, target: RenderTarget, *, active: bool = True
    ) -> tuple[PairState, Member, Member] | None:
        state = pair_state(session, target.payload.get("pair"))
        if state is None or (active and state.info.status != PAIR_ACTIVE):
            return None
        me = state.info.member(target.recipient_id)
        if me is None:
            return None
        return state, me, state.info.partner(me.person_id)

    def _render_invite(self, session: Session, target: RenderTarget) -> Part | None:
        ctx = self._context(session, target)
        if ctx is None:
            return None
        state, me, partner = ctx
        if state.agreement is not None and state.agreement.status == AGREEMENT_ACTIVE:
            return None
        return views.invite(state.info.pair_id, me.role, partner.user_id, partner.name)

    def _render_review(self, session: Session, target: RenderTarget) -> Part | None:
        ctx = self._context(session, target)
        if ctx is None:
            return None
        state, _me, partner = ctx
        agreement = _agreement_at(state, AGREEMENT_PROPOSED, target.payload.get("version"))
        if agreement is None:
            return None
        return views.review(
            state.info.pair_id,
            agreement.version,
            partner.user_id,
            partner.name,
            _agreement_view(agreement),
        )

    def _render_changes(self, session: Session, target: RenderTarget) -> Part | None:
        ctx = self._context(session, target)
        if ctx is None:
            return None
        state, _me, partner = ctx
        agreement = _agreement_at(state, AGREEMENT_CHANGES, target.payload.get("version"))
        if agreement is None:
            return None
        return views.changes(
            state.info.pair_id, partner.user_id, partner.name, agreement.suggestion or ""
        )

    def _render_active(self, session: Session, target: RenderTarget) -> Part | None:
        ctx = self._context(session, target)
        if ctx is None:
            return None
        state, me, partner = ctx
        agreement, relationship = state.agreement, state.relationship
        if agreement is None or agreement.status != AGREEMENT_ACTIVE:
            return None
        until = _ends_on(relationship, me.timezone)
        return views.active(partner.user_id, partner.name, _agreement_view(agreement, until))

    def _render_agreement_nudge(self, session: Session, target: RenderTarget) -> Part | None:
        ctx = self._context(session, target)
        if ctx is None:
            return None
        state, me, partner = ctx
        if state.relationship is None or state.relationship.active_since is not None:
            return None
        return views.agreement_nudge(state.info.pair_id, me.role, partner.user_id, partner.name)

    def _render_meeting_nudge(self, session: Session, target: RenderTarget) -> Part | None:
        ctx = self._context(session, target)
        if ctx is None:
            return None
        state, me, partner = ctx
        relationship, agreement = state.relationship, state.agreement
        if (
            relationship is None
            or relationship.active_since is None
            or agreement is None
            or target.payload.get("epoch") != relationship.meeting_epoch
            or state.paused(self.clock.now())
        ):
            return None
        since = relationship.last_met_on or local_today(relationship.active_since, me.timezone)
        return views.meeting_nudge(
            state.info.pair_id, agreement.cadence, partner.user_id, partner.name, since
        )

    def _render_meeting_logged(self, session: Session, target: RenderTarget) -> Part | None:
        ctx = self._context(session, target, active=False)
        meeting = session.get(Meeting, target.payload.get("meeting"))
        if ctx is None or meeting is None:
            return None
        state, me, partner = ctx
        return views.meeting_logged(
            state.info.pair_id,
            meeting.id,
            meeting.logged_by == me.person_id,
            partner.user_id,
            partner.name,
            meeting.met_on,
        )

    def _render_checkin(self, session: Session, target: RenderTarget) -> Part | None:
        ctx = self._context(session, target)
        if ctx is None:
            return None
        state, me, partner = ctx
        seq = target.payload.get("seq")
        if (
            not isinstance(seq, int)
            or state.relationship is None
            or seq != state.relationship.checkin_seq
            or state.paused(self.clock.now())
            or checkins.answered(session, state.info, me, seq) is not None
        ):
            return None
        return views.checkin_prompt(state.info.pair_id, seq, partner.user_id, partner.name)

    def _render_not_working(self, session: Session, target: RenderTarget) -> Part | None:
        ctx = self._context(session, target)
        if ctx is None:
            return None
        state, _me, partner = ctx
        return views.not_working(state.info.pair_id, partner.name)

    def _render_summary(self, session: Session, target: RenderTarget) -> Part | None:
        ctx = self._context(session, target, active=False)
        seq = target.payload.get("seq")
        if ctx is None or not isinstance(seq, int):
            return None
        state, me, partner = ctx
        shared = checkins.summary(session, state.info, seq)
        if shared is None:
            return None
        mine, theirs = ("mentee", "mentor") if me.role == "mentee" else ("mentor", "mentee")
        goals = [
            {"title": g["title"], "mine": g[mine], "theirs": g[theirs]} for g in shared["goals"]
        ]
        return views.checkin_summary(partner.user_id, partner.name, goals)

    def _render_help(self, session: Session, target: RenderTarget) -> Part | None:
        state = pair_state(session, target.payload.get("pair"))
        if state is None:
            return None
        return views.help_request(state.info.mentee.user_id, state.info.mentor.user_id)

    def _render_closure(self, session: Session, target: RenderTarget) -> Part | None:
        ctx = self._context(session, target, active=False)
        if ctx is None:
            return None
        state, _me, partner = ctx
        return views.closure(
            state.info.pair_id,
            str(target.payload.get("reason") or ""),
            partner.user_id,
            partner.name,
            bool(target.payload.get("rematch")),
        )

    def _render_term_end(self, session: Session, target: RenderTarget) -> Part | None:
        ctx = self._context(session, target)
        if ctx is None:
            return None
        state, _me, partner = ctx
        relationship, agreement = state.relationship, state.agreement
        if (
            relationship is None
            or relationship.ends_at is None
            or relationship.ends_at.date().isoformat() != target.period
        ):
            return None
        settings = settings_for(session, state.info.program_id)
        months = agreement.duration_months if agreement else settings.duration_months
        return views.term_end(
            state.info.pair_id,
            partner.user_id,
            partner.name,
            months,
            relationship.ends_at.date(),
            settings.extension_months,
        )

    def _render_extended(self, session: Session, target: RenderTarget) -> Part | None:
        ctx = self._context(session, target)
        if ctx is None:
            return None
        _state, _me, partner = ctx
        return views.extended(partner.user_id, partner.name, date.fromisoformat(target.period))

    def _render_pause_started(self, session: Session, target: RenderTarget) -> Part | None:
        record = session.get(Pause, target.payload.get("pause"))
        ctx = self._context(session, target)
        if record is None or record.ended_at is not None or ctx is None:
            return None
        _state, _me, partner = ctx
        until = local_today(record.until, target.timezone) if record.until else None
        return views.pause_started(partner.user_id, partner.name, until)

    def _render_pause_ended(self, session: Session, target: RenderTarget) -> Part | None:
        ctx = self._context(session, target)
        if ctx is None:
            return None
        _state, me, partner = ctx
        return views.pause_ended(target.payload.get("person") == me.person_id, partner.user_id)


def _tell(user_id: str, text: str) -> Callable[[WebClient], None]:
    """A follow-up that DMs `text` once the modal has been answered."""

    def follow_up(client: WebClient) -> None:
        slack_io.post_dm(client, user_id, text_message(text))

    return follow_up


def _partner_arg(session: Session, team_id: str, user_id: str, args: str) -> tuple[str | None, str]:
    """Split `/mentoring met` arguments into a partner (a mention, or @name) and the date."""
    partner: str | None = None
    rest = []
    for token in args.split():
        if token.startswith("<@") and token.endswith(">"):
            partner = token[2:-1].split("|", 1)[0]
        elif token.startswith("@") and len(token) > 1:
            wanted = token[1:].lower()
            for info in pairs_of(session, team_id, user_id):
                for m in info.members:
                    if m.user_id != user_id and (
                        m.user_id.lower() == wanted
                        or m.name.lower().split(" ")[0] == wanted
                        or m.name.lower() == wanted
                    ):
                        partner = m.user_id
            if partner is None:
                partner = token[1:]
        else:
            rest.append(token)
    return partner, " ".join(rest)


def reply_to(client: WebClient, body: dict[str, Any], respond: Any, user_id: str) -> Reply:
    """An ephemeral reply where the click happened (a DM); in App Home, a DM instead."""

    def reply(text: str) -> None:
        if body.get("response_url"):
            respond(response_type="ephemeral", replace_original=False, **text_message(text))
        else:
            slack_io.post_dm(client, user_id, text_message(text))

    return reply
