"""A mentoring relationship in Slack: the learning agreement, meetings, pauses, check-ins and
endings. Each action parses the click or submission, runs one use case of
`core.relationships.use_cases` (one transaction that applies the rules and also queues the
messages it causes in the delivery ledger), renders its outcome and sends those messages at
once; scheduled messages are rendered here when the sweep sends them."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError
from sqlalchemy.orm import Session

from bot.flows.relationship_settling import Done, Origin, Settler
from bot.platform import slack_io
from bot.platform.blocks import message, text_message, view_metadata, view_values
from bot.scheduling.deliverer import Deliverer, Pacer, Part, Renderer, RenderTarget
from bot.views import relationship_nudges as nudge_views
from bot.views import relationships as views
from core.kernel.db import Database
from core.kernel.texts import mrkdwn, plain
from core.relationships import use_cases
from core.relationships.models import (
    Agreement,
)
from core.relationships.scheduled import RULES, Queued, StillDue, still_due
from core.relationships.service import (
    Member,
    PairInfo,
    Role,
    ends_on,
    local_today,
)
from core.relationships.use_cases import Changed, Invalid, Met, Refused, Rhythm

if TYPE_CHECKING:
    from bot.app import MentorApp
    from bot.flows.onboarding import OnboardingFlow

logger = logging.getLogger(__name__)
T = TypeVar("T")

Reply = Callable[[str], None]
AGREEMENT_STEPS = ("agreement_review", "agreement_invite", "agreement_nudge", "agreement_changes")
Answered = tuple[dict[str, str] | None, Callable[[WebClient], None] | None]


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
    origin: Origin | None = None  # the message the button was in


def error_text(refused: Refused) -> str:
    return mrkdwn(f"relationship.errors.{refused.key}", **refused.context)


def _agreement_view(agreement: Agreement, until: date | None = None) -> views.AgreementView:
    return views.AgreementView(
        goals=[dict(g) for g in agreement.goals],
        cadence=agreement.cadence,
        meeting_format=agreement.meeting_format,
        duration_months=agreement.duration_months,
        until=until,
    )


def _met_text(outcome: Met | Refused) -> str | None:
    if isinstance(outcome, Refused) or outcome.new:
        return None
    return mrkdwn("relationship.meeting.already_logged", date=views.day(outcome.met_on))


class RelationshipFlow:
    def __init__(self, mentor: MentorApp, onboarding: OnboardingFlow) -> None:
        self.mentor = mentor
        self.onboarding = onboarding  # redraws App Home when the pair changes
        drawers = self._drawers()
        if set(drawers) != set(RULES):  # a kind without a rule would never be sent
            raise RuntimeError(f"renderers and rules differ: {set(drawers) ^ set(RULES)}")
        self.renderers: dict[str, Renderer] = {
            kind: self._renderer(draw) for kind, draw in drawers.items()
        }
        self.deliverer = Deliverer(
            mentor.db, mentor.clock, mentor.client, self.renderers, pacer=Pacer()
        )
        # Answered messages lose their buttons; a digest is drawn again by its sender's
        # renderers (looked up at the time: tests and the sandbox may swap the deliverer).
        self.settle = Settler(mentor.db, lambda *args: self.deliverer.redraw(*args))

    @property
    def clock(self) -> Any:
        return self.mentor.clock

    @property
    def db(self) -> Database:
        return self.mentor.db

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

    def _finish(
        self,
        outcome: Changed | Refused,
        reply: Reply,
        client: WebClient | None = None,
        text: str | None = None,
    ) -> None:
        """After a use case: say why not; or send what it queued, reply `text`, and (with a
        client) redraw both people's App Home."""
        if isinstance(outcome, Refused):
            reply(error_text(outcome))
            return
        self.send_now(outcome.sent)
        if text:
            reply(text)
        if client is not None:
            self.refresh_homes(client, outcome.info)

    def _sent(
        self, outcome: Changed | Refused, user_id: str, key: str, partner: Role
    ) -> Callable[[WebClient], None]:
        """A modal's follow-up: send what it queued, confirm to its author (`key`, naming
        the `partner`), redraw homes; or tell them why it could not be done."""
        if isinstance(outcome, Refused):
            return _tell(user_id, error_text(outcome))
        info = outcome.info
        assert info is not None
        text = mrkdwn(key, partner_name=(info.mentor if partner == "mentor" else info.mentee).name)

        def follow_up(client: WebClient) -> None:
            self.send_now(outcome.sent)
            slack_io.post_dm(client, user_id, text_message(text))
            self.refresh_homes(client, info)

        return follow_up

    # --- new pairs ---------------------------------------------------------------------------
    def on_pair_created(self, client: WebClient, team_id: str, pair_id: int) -> None:
        started = use_cases.start(self.db, pair_id, self.clock.now())
        self.send_now(started.sent)
        self.refresh_homes(client, started.info)

    # --- agreement ---------------------------------------------------------------------------
    def open_agreement(self, c: Click) -> None:
        opened = use_cases.open_agreement(self.db, c.team_id, c.user_id, c.token.get("p"))
        if isinstance(opened, Refused):
            c.reply(error_text(opened))
        elif isinstance(opened, use_cases.Reviewing):
            info, agreement = opened.info, opened.agreement
            review = views.review(
                info.pair_id,
                agreement.version,
                info.mentee.user_id,
                info.mentee.name,
                _agreement_view(agreement),
            )
            slack_io.post_dm(c.client, c.user_id, message(review.text, review.blocks))
        else:
            view = views.agreement_modal(
                opened.form,
                partner_name=opened.info.mentor.name,
                max_goals=opened.max_goals,
                durations=opened.durations,
                suggestion=opened.suggestion,
                metadata={"p": opened.info.pair_id, "v": opened.version},
            )
            self.settle.remember(c.user_id, opened.info.pair_id, c.origin)
            c.client.views_open(trigger_id=c.trigger_id, view=view)

    def _submit_pair_form(
        self,
        team_id: str,
        user_id: str,
        view: dict[str, Any],
        key: str,
        use_case: Callable[..., T],
        read: Callable[[dict[str, Any], int], Any],
    ) -> T:
        """Submit a pair's form (agreement or check-in) opened at `key` (its version or
        check-in number); the use case reads the values, limited by what it finds, in its
        own transaction."""
        metadata = view_metadata(view)
        values = view_values(view)
        return use_case(
            self.db,
            team_id,
            user_id,
            metadata.get("p"),
            metadata.get(key),
            lambda limit: read(values, limit),
            self.clock.now(),
        )

    def submit_agreement(self, team_id: str, user_id: str, view: dict[str, Any]) -> Answered:
        outcome = self._submit_pair_form(
            team_id, user_id, view, "v", use_cases.submit_agreement, views.agreement_form
        )
        if isinstance(outcome, Invalid):
            return views.agreement_errors(outcome.errors, outcome.max_goals), None
        sent = self._sent(outcome, user_id, "relationship.agreement.sent", "mentor")
        return None, self._settling(
            sent, outcome, user_id, "relationship.agreement.done_drafted", AGREEMENT_STEPS
        )

    def _settling(
        self,
        follow_up: Callable[[WebClient], None],
        outcome: Changed | Refused,
        user_id: str,
        key: str,
        kinds: tuple[str, ...],
    ) -> Callable[[WebClient], None]:
        """`follow_up`, then the message the modal was opened from loses the button pressed."""
        if isinstance(outcome, Refused) or outcome.info is None:
            return follow_up
        info = outcome.info
        origin = self.settle.recall(user_id, info.pair_id)

        def settle(client: WebClient) -> None:
            follow_up(client)
            if origin is not None:
                me = _member(info, user_id)
                partner = info.partner(me.person_id) if me else info.mentor
                done = Done(key)
                if key.startswith("relationship.agreement."):  # its line names the partner
                    done = Done(key, {"partner_name": partner.name}, kept_as=f"{key}_kept")
                self.settle.origin(client, origin, info.pair_id, done, kinds)

        return settle

    def confirm_agreement(self, c: Click) -> None:
        now = self.clock.now()
        outcome = use_cases.confirm_agreement(
            self.db, c.team_id, c.user_id, c.token.get("p"), c.token.get("v"), now
        )
        self._finish(outcome, c.reply, c.client)
        if not isinstance(outcome, Refused) and outcome.info is not None:
            done = Done("relationship.agreement.done_confirmed")
            if c.origin is not None:
                self.settle.origin(c.client, c.origin, outcome.info.pair_id, done, AGREEMENT_STEPS)
            for kind in AGREEMENT_STEPS:  # every earlier step of the agreement is done
                self.settle.posted(c.client, outcome.info.pair_id, kind, done, c.origin)

    def open_suggest(self, c: Click) -> None:
        version = c.token.get("v")
        opened = use_cases.open_suggest(self.db, c.team_id, c.user_id, c.token.get("p"), version)
        if isinstance(opened, Refused):
            c.reply(error_text(opened))
            return
        self.settle.remember(c.user_id, opened.info.pair_id, c.origin)
        c.client.views_open(
            trigger_id=c.trigger_id,
            view=views.suggest_modal(
                opened.info.mentee.name, {"p": opened.info.pair_id, "v": version}
            ),
        )

    def submit_suggestion(self, team_id: str, user_id: str, view: dict[str, Any]) -> Answered:
        metadata = view_metadata(view)
        text = views._text(view_values(view), "suggest_text", views.ids.REL_SUGGEST_TEXT)
        outcome = use_cases.submit_suggestion(
            self.db, team_id, user_id, metadata.get("p"), metadata.get("v"), text, self.clock.now()
        )
        if isinstance(outcome, Invalid):
            key = outcome.errors["suggestion"]
            return {"suggest_text": plain(f"relationship.errors.{key}")}, None
        sent = self._sent(outcome, user_id, "relationship.agreement.suggested", "mentee")
        return None, self._settling(
            sent, outcome, user_id, "relationship.agreement.done_suggested", AGREEMENT_STEPS
        )

    # --- meetings ---------------------------------------------------------------------------
    def met(self, client: WebClient, team_id: str, user_id: str, reply: Reply, args: str) -> None:
        """`/mentoring met [@partner] [date]`."""
        outcome = use_cases.met_on(self.db, team_id, user_id, args, self.clock.now())
        self._finish(outcome, reply, client, _met_text(outcome))
        if isinstance(outcome, Met) and outcome.new and outcome.info is not None:
            done = Done("relationship.meeting.done_met", {"date": views.day(outcome.met_on)})
            self.settle.nudges(client, outcome.info.pair_id, done)

    def open_met(self, c: Click) -> None:
        """*We met*: ask which day (today unless changed) before logging."""
        opened = self._nudge_form_for(c)
        if opened is None or opened.info is None:
            return
        member = _member(opened.info, c.user_id)
        partner = opened.info.partner(member.person_id) if member else opened.info.mentor
        today = local_today(self.clock.now(), member.timezone if member else None)
        view = nudge_views.met_modal(today, partner.name, {"p": opened.info.pair_id})
        c.client.views_open(trigger_id=c.trigger_id, view=view)

    def _nudge_form_for(self, c: Click) -> Rhythm | None:
        """The pair behind a nudge's *We met* / *Change our rhythm*, remembered as where the
        form was opened from; None (the person told why) when the nudge was already answered."""
        opened = use_cases.rhythm_of(
            self.db, c.team_id, c.user_id, c.token.get("p"), c.token.get("e")
        )
        if isinstance(opened, Refused):
            c.reply(error_text(opened))
            return None
        assert opened.info is not None
        self.settle.remember(c.user_id, opened.info.pair_id, c.origin)
        return opened

    def submit_met(self, team_id: str, user_id: str, view: dict[str, Any]) -> Answered:
        picked = nudge_views.picked(view_values(view), "met_date", views.ids.REL_MET_DATE)
        pair_id = view_metadata(view).get("p")
        outcome = use_cases.met_picked(self.db, team_id, user_id, pair_id, picked, self.clock.now())
        if isinstance(outcome, Refused):
            return {
                "met_date": plain(f"relationship.errors.{outcome.key}", **outcome.context)
            }, None
        already = _met_text(outcome)

        def follow_up(client: WebClient) -> None:
            self.send_now(outcome.sent)
            if already:
                slack_io.post_dm(client, user_id, text_message(already))
                return
            done = Done("relationship.meeting.done_met", {"date": views.day(outcome.met_on)})
            if outcome.info is not None:
                origin = self.settle.recall(user_id, outcome.info.pair_id)
                self.settle.nudges(client, outcome.info.pair_id, done, origin)
            self.refresh_homes(client, outcome.info)

        return None, follow_up

    def scheduled_or_snooze(self, c: Click, *, snooze: bool) -> None:
        outcome = use_cases.put_off(
            self.db,
            c.team_id,
            c.user_id,
            c.token.get("p"),
            self.clock.now(),
            snooze=snooze,
            epoch=c.token.get("e"),
        )
        key = "snoozed" if snooze else "scheduled"
        self._finish(outcome, c.reply, text=mrkdwn(f"relationship.meeting.{key}"))
        if not isinstance(outcome, Refused) and outcome.info is not None:
            done = Done(f"relationship.meeting.done_{key}")
            self.settle.nudges(c.client, outcome.info.pair_id, done, c.origin)

    def open_rhythm(self, c: Click) -> None:
        opened = self._nudge_form_for(c)
        if opened is None or opened.info is None:
            return
        view = nudge_views.rhythm_modal(opened.cadence, {"p": opened.info.pair_id})
        c.client.views_open(trigger_id=c.trigger_id, view=view)

    def submit_rhythm(self, team_id: str, user_id: str, view: dict[str, Any]) -> Answered:
        cadence = nudge_views.picked(view_values(view), "rhythm", views.ids.REL_RHYTHM_CADENCE)
        pair_id = view_metadata(view).get("p")
        now = self.clock.now()
        outcome = use_cases.change_rhythm(self.db, team_id, user_id, pair_id, cadence, now)
        if isinstance(outcome, Refused):
            return {"rhythm": plain(f"relationship.errors.{outcome.key}", **outcome.context)}, None
        info = outcome.info
        assert info is not None and outcome.next_nudge is not None
        me = _member(info, user_id)
        partner = info.partner(me.person_id) if me else info.mentor
        name = plain(f"relationship.cadence.{cadence}")
        mine = mrkdwn(
            "relationship.meeting.rhythm_changed",
            cadence=name,
            date=views.day(local_today(outcome.next_nudge, me.timezone if me else None)),
        )
        theirs = mrkdwn("relationship.meeting.rhythm_partner", person=user_id, cadence=name)

        def follow_up(client: WebClient) -> None:
            slack_io.post_dm(client, user_id, text_message(mine))
            if not partner.unreachable:
                slack_io.post_dm(client, partner.user_id, text_message(theirs))
            done = Done("relationship.meeting.done_rhythm", {"cadence": name})
            origin = self.settle.recall(user_id, info.pair_id)
            self.settle.nudges(client, info.pair_id, done, origin)
            self.refresh_homes(client, info)

        return None, follow_up

    def nudge_pause(self, c: Click) -> None:
        """*Pause for 4 weeks* on a nudge."""
        outcome = use_cases.pause_from_nudge(
            self.db, c.team_id, c.user_id, c.token.get("p"), self.clock, c.token.get("e")
        )
        text = None
        if isinstance(outcome, use_cases.Paused) and outcome.until is not None:
            text = mrkdwn("relationship.pause.started", until=views.day(outcome.until))
        self._finish(outcome, c.reply, text=text)
        if not isinstance(outcome, Refused):
            pair_id = int(c.token.get("p") or 0)
            done = Done("relationship.meeting.done_paused")
            self.settle.nudges(c.client, pair_id, done, c.origin)
            self._refresh_own_home(c.client, c.team_id, c.user_id)

    def nudge_help(self, c: Click) -> None:
        """*Talk to a coordinator* on a nudge: only this person's message shows it."""
        outcome = use_cases.ask_help(
            self.db, c.team_id, c.user_id, c.token.get("p"), self.clock, source="nudge"
        )
        text = None
        if not isinstance(outcome, Refused):
            text = mrkdwn(f"relationship.help.{'asked' if outcome.new else 'asked_again'}")
        self._finish(outcome, c.reply, text=text)
        if not isinstance(outcome, Refused) and c.origin is not None:
            pair_id = int(c.token.get("p") or 0)
            done = Done("relationship.meeting.done_help")
            self.settle.origin(c.client, c.origin, pair_id, done, ("meeting_nudge",))

    def open_note(self, c: Click) -> None:
        opened = use_cases.open_note(
            self.db, c.team_id, c.user_id, c.token.get("p"), c.token.get("m")
        )
        if isinstance(opened, Refused):
            c.reply(error_text(opened))
            return
        metadata = {"p": opened.info.pair_id, "m": opened.meeting_id}
        view = views.note_modal(opened.met_on, opened.note, metadata)
        c.client.views_open(trigger_id=c.trigger_id, view=view)

    def submit_note(
        self, team_id: str, user_id: str, view: dict[str, Any]
    ) -> dict[str, str] | None:
        metadata = view_metadata(view)
        text = views._text(view_values(view), "note_text", views.ids.REL_NOTE_TEXT)
        outcome = use_cases.save_note(
            self.db, team_id, user_id, metadata.get("p"), metadata.get("m"), text, self.clock.now()
        )
        if isinstance(outcome, Refused):
            return {"note_text": plain(f"relationship.errors.{outcome.key}", **outcome.context)}
        return None

    # --- pauses ------------------------------------------------------------------------------
    def pause(self, client: WebClient, team_id: str, user_id: str, args: str, reply: Reply) -> None:
        outcome = use_cases.pause(self.db, team_id, user_id, args, self.clock)
        text = None
        if isinstance(outcome, use_cases.Paused):
            text = (
                mrkdwn("relationship.pause.started_open")
                if outcome.until is None
                else mrkdwn("relationship.pause.started", until=views.day(outcome.until))
            )
        self._finish(outcome, reply, text=text)
        self._refresh_own_home(client, team_id, user_id)

    def resume(self, client: WebClient, team_id: str, user_id: str, reply: Reply) -> None:
        outcome = use_cases.resume(self.db, team_id, user_id, self.clock)
        self._finish(outcome, reply, text=mrkdwn("relationship.pause.resumed"))
        self._refresh_own_home(client, team_id, user_id)

    def _refresh_own_home(self, client: WebClient, team_id: str, user_id: str) -> None:
        try:
            self.onboarding.publish_home(client, team_id, user_id)
        except SlackClientError as exc:
            logger.info("could not refresh App Home: %s", type(exc).__name__)

    # --- check-ins ---------------------------------------------------------------------------
    def open_checkin(self, c: Click) -> None:
        opened = use_cases.open_checkin(
            self.db, c.team_id, c.user_id, c.token.get("p"), c.token.get("s")
        )
        if isinstance(opened, Refused):
            stale = opened.key == "stale"
            c.reply(mrkdwn("relationship.checkin.already") if stale else error_text(opened))
            return
        metadata = {"p": opened.info.pair_id, "s": opened.seq}
        self.settle.remember(c.user_id, opened.info.pair_id, c.origin)
        c.client.views_open(
            trigger_id=c.trigger_id,
            view=views.checkin_modal(opened.goals, opened.partner.name, metadata),
        )

    def submit_checkin(self, team_id: str, user_id: str, view: dict[str, Any]) -> Answered:
        outcome = self._submit_pair_form(
            team_id, user_id, view, "s", use_cases.submit_checkin, views.checkin_answers
        )
        if isinstance(outcome, Refused):
            if outcome.key == "too_long_note":
                note = plain("relationship.errors.too_long_note", **outcome.context)
                return {"checkin_note": note}, None
            return None, _tell(user_id, error_text(outcome))

        key = "thanks" if outcome.new else "already"
        tell = _tell(user_id, mrkdwn(f"relationship.checkin.{key}"))

        def follow_up(client: WebClient) -> None:
            tell(client)
            self.send_now(outcome.sent)

        return None, self._settling(
            follow_up, outcome, user_id, "relationship.done.checkin", ("checkin",)
        )

    def help(
        self, client: WebClient, team_id: str, user_id: str, token: dict[str, Any], reply: Reply
    ) -> None:
        outcome = use_cases.ask_help(self.db, team_id, user_id, token.get("p"), self.clock)
        text = None
        if not isinstance(outcome, Refused):
            text = mrkdwn(f"relationship.help.{'asked' if outcome.new else 'asked_again'}")
        self._finish(outcome, reply, text=text)

    def _closed(self, c: Click, outcome: Changed | Refused, key: str, *kinds: str) -> None:
        """After a button that closes a step: its message (and the pair's lone copies of
        `kinds`) show the ✓ line `relationship.done.<key>` instead of buttons."""
        if isinstance(outcome, Refused) or outcome.info is None:
            return
        done = Done(f"relationship.done.{key}")
        if c.origin is not None:
            where = kinds or ("not_working",)  # ending a pair: from "not working"
            if key in ("ended", "completed"):  # the pair's open nudge closes with it
                where = (*where, "meeting_nudge")
            self.settle.origin(c.client, c.origin, outcome.info.pair_id, done, where)
        for kind in kinds:
            self.settle.posted(c.client, outcome.info.pair_id, kind, done, c.origin)

    def end(self, c: Click) -> None:
        now = self.clock.now()
        outcome = use_cases.end_no_fault(self.db, c.team_id, c.user_id, c.token.get("p"), now)
        self._finish(outcome, c.reply, c.client)
        self._closed(c, outcome, "ended")

    def complete(self, c: Click) -> None:
        now = self.clock.now()
        outcome = use_cases.complete(self.db, c.team_id, c.user_id, c.token.get("p"), now)
        self._finish(outcome, c.reply, c.client)
        self._closed(c, outcome, "completed", "term_end")

    def extend(self, c: Click) -> None:
        now = self.clock.now()
        pair, ends = c.token.get("p"), c.token.get("e")
        outcome = use_cases.extend(self.db, c.team_id, c.user_id, pair, ends, now)
        self._finish(outcome, c.reply, c.client)
        self._closed(c, outcome, "extended", "term_end")

    def rematch(self, c: Click) -> None:
        outcome = use_cases.rematch(
            self.db, c.team_id, c.user_id, c.token.get("p"), self.clock.now()
        )
        if isinstance(outcome, Refused):
            c.reply(error_text(outcome))
            return
        key = "rematch_ack" if outcome.new else "rematch_again"
        c.reply(mrkdwn(f"relationship.closure.{key}"))
        if c.origin is not None:
            done = Done("relationship.done.rematch")
            self.settle.origin(c.client, c.origin, outcome.info.pair_id, done, ("closure",))
        if outcome.new:
            program = outcome.info.program_id
            self.mentor.hooks.rematch_requested(c.client, c.team_id, c.user_id, program)

    # --- App Home ----------------------------------------------------------------------------
    def home_section(self, team_id: str, user_id: str) -> list[dict[str, Any]]:
        home = use_cases.home(self.db, team_id, user_id, self.clock.now())
        if home is None:
            return []
        state = views.HomeSection(paused_until=home.paused_until, paused_open=home.paused_open)
        for pair in home.pairs:
            agreement = pair.agreement
            state.pairs.append(
                views.PairHome(
                    pair_id=pair.info.pair_id,
                    role=pair.member.role,
                    partner_id=pair.partner.user_id,
                    partner_name=pair.partner.name,
                    since=pair.since,
                    agreement_status=agreement.status if agreement else None,
                    agreement=_agreement_view(agreement, pair.until) if agreement else None,
                    version=agreement.version if agreement else None,
                    last_met=pair.last_met,
                )
            )
        return views.home_section(state)

    # --- rendering (called by the deliverer inside its transaction) --------------------------
    # Whether an item is still worth sending is decided in core (`core.relationships.scheduled`);
    # these only turn what it returns into a message.
    def _renderer(self, draw: Callable[[StillDue, RenderTarget], Part]) -> Renderer:
        def render(session: Session, target: RenderTarget) -> Part | None:
            item = Queued(
                target.kind, target.recipient_id, target.payload, target.period, self.clock.now()
            )
            due = still_due(session, item)
            return draw(due, target) if due is not None else None

        return render

    def _drawers(self) -> dict[str, Callable[[StillDue, RenderTarget], Part]]:
        return {
            "agreement_invite": lambda d, _t: views.invite(
                d.state.info.pair_id, d.me.role, d.partner.user_id, d.partner.name
            ),
            "agreement_review": _draw_review,
            "agreement_changes": lambda d, _t: views.changes(
                d.state.info.pair_id,
                d.partner.user_id,
                d.partner.name,
                _agreement(d).suggestion or "",
            ),
            "agreement_active": lambda d, _t: views.active(
                d.partner.user_id,
                d.partner.name,
                _agreement_view(_agreement(d), ends_on(d.state.relationship, d.me.timezone)),
            ),
            "agreement_nudge": lambda d, _t: views.agreement_nudge(
                d.state.info.pair_id, d.me.role, d.partner.user_id, d.partner.name
            ),
            "meeting_nudge": _draw_meeting_nudge,
            "meeting_logged": _draw_meeting_logged,
            "checkin": lambda d, t: views.checkin_prompt(
                d.state.info.pair_id, int(t.payload["seq"]), d.partner.user_id, d.partner.name
            ),
            "not_working": lambda d, _t: views.not_working(d.state.info.pair_id, d.partner.name),
            "checkin_summary": _draw_summary,
            "help_request": lambda d, _t: views.help_request(d.me.user_id, d.me.name, d.me.role),
            "closure": lambda d, t: views.closure(
                d.state.info.pair_id,
                str(t.payload.get("reason") or ""),
                d.partner.user_id,
                d.partner.name,
                bool(t.payload.get("rematch")),
            ),
            "term_end": _draw_term_end,
            "extended": lambda d, t: views.extended(
                d.partner.user_id, d.partner.name, date.fromisoformat(t.period)
            ),
            "pause_started": _draw_pause_started,
            "pause_ended": lambda d, t: views.pause_ended(
                t.payload.get("person") == d.me.person_id, d.partner.user_id
            ),
        }


def _draw_term_end(due: StillDue, _target: RenderTarget) -> Part:
    relationship, agreement = due.state.relationship, due.state.agreement
    assert relationship is not None and relationship.ends_at is not None
    settings = due.settings
    assert settings is not None
    months = agreement.duration_months if agreement else settings.duration_months
    return views.term_end(
        due.state.info.pair_id,
        due.partner.user_id,
        due.partner.name,
        months,
        relationship.ends_at.date(),
        settings.extension_months,
    )


def _agreement(due: StillDue) -> Agreement:
    assert due.agreement is not None  # the rule for the kind returned it
    return due.agreement


def _draw_review(due: StillDue, _target: RenderTarget) -> Part:
    agreement = _agreement(due)
    return views.review(
        due.state.info.pair_id,
        agreement.version,
        due.partner.user_id,
        due.partner.name,
        _agreement_view(agreement),
    )


def _draw_meeting_nudge(due: StillDue, _target: RenderTarget) -> Part:
    relationship = due.state.relationship
    assert relationship is not None and relationship.active_since is not None
    since = relationship.last_met_on or local_today(relationship.active_since, due.me.timezone)
    return nudge_views.meeting_nudge(
        due.state.info.pair_id,
        _agreement(due).cadence,
        due.partner.user_id,
        due.partner.name,
        since,
        due.streak,
        epoch=relationship.meeting_epoch,
    )


def _draw_meeting_logged(due: StillDue, _target: RenderTarget) -> Part:
    meeting = due.meeting
    assert meeting is not None
    return views.meeting_logged(
        due.state.info.pair_id,
        meeting.id,
        meeting.logged_by == due.me.person_id,
        due.partner.user_id,
        due.partner.name,
        meeting.met_on,
    )


def _draw_summary(due: StillDue, _target: RenderTarget) -> Part:
    shared = due.summary or {"goals": []}
    mine, theirs = ("mentee", "mentor") if due.me.role == "mentee" else ("mentor", "mentee")
    goals = [{"title": g["title"], "mine": g[mine], "theirs": g[theirs]} for g in shared["goals"]]
    return views.checkin_summary(due.partner.user_id, due.partner.name, goals)


def _draw_pause_started(due: StillDue, target: RenderTarget) -> Part:
    record = due.pause
    assert record is not None
    until = local_today(record.until, target.timezone) if record.until else None
    return views.pause_started(due.partner.user_id, due.partner.name, until)


def _member(info: PairInfo, user_id: str) -> Member | None:
    return next((m for m in info.members if m.user_id == user_id), None)


def _tell(user_id: str, text: str) -> Callable[[WebClient], None]:
    """A follow-up that DMs `text` once the modal has been answered."""

    def follow_up(client: WebClient) -> None:
        slack_io.post_dm(client, user_id, text_message(text))

    return follow_up


def reply_to(client: WebClient, body: dict[str, Any], respond: Any, user_id: str) -> Reply:
    """An ephemeral reply where the click happened (a DM); in App Home, a DM instead."""

    def reply(text: str) -> None:
        if body.get("response_url"):
            respond(response_type="ephemeral", replace_original=False, **text_message(text))
        else:
            slack_io.post_dm(client, user_id, text_message(text))

    return reply
