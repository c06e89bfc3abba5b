"""Choosing a mentor in Slack: the mentee's shortlist, the mentor's request, the answers,
reminders and expiry. Each step runs one `core.matchmaking.use_cases` use case (it opens its
own transaction and applies the rules), then sends what it returned; the state lives in the
database, so a restart, a retry or a double click changes nothing twice."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from bot.platform import slack_io
from bot.platform.hooks import Hooks
from bot.scheduling.deliverer import (
    Deliverer,
    Followup,
    Part,
    Renderer,
    RenderTarget,
    Settled,
)
from bot.views import matching as views
from core.kernel.clock import Clock
from core.kernel.db import Database
from core.matchmaking import service as svc
from core.matchmaking import use_cases as uc
from core.matchmaking.service import AnswerOutcome, MessageRef, ShortlistOutcome

if TYPE_CHECKING:
    from bot.app import MentorApp

logger = logging.getLogger(__name__)

# A run's shortlists are sent this many at a time, each batch claimed with its own lease (at
# the paced rate of one a second a batch takes about half a minute).
RUN_BATCH = 30


@dataclass(frozen=True)
class Press:
    """A button of a shortlist or of a mentor's request, pressed."""

    client: WebClient
    team_id: str
    user_id: str
    token: dict[str, Any]  # the button's value
    clicked: MessageRef | None  # the message the button is in
    trigger_id: str = ""  # only for the buttons that open a modal


@dataclass
class RunSent:
    """What became of a coordinator's run: counts only. A message a 429 held back is
    counted as sent: it is in the ledger and the sweep sends it after Retry-After."""

    shortlists: int = 0  # shortlists DMed (or about to be)
    no_mentor: int = 0  # "no suitable mentor right now" DMed (or about to be)
    unreachable: int = 0  # mentees Slack could not deliver to (their list is closed)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _error(exc: SlackApiError) -> str:
    return str(exc.response.get("error") or "unknown")


class MatchingFlow:
    def __init__(self, db: Database, clock: Clock, hooks: Hooks | None = None) -> None:
        self.db = db
        self.clock = clock
        self.hooks = hooks or Hooks()
        # The app's one deliverer (it sends what the delivery ledger holds); set by build_flows.
        self.deliverer: Callable[[], Deliverer] | None = None

    # --- sending, and people Slack cannot reach --------------------------------------------
    def _dm(
        self, client: WebClient, team_id: str, user_id: str, payload: dict[str, Any]
    ) -> MessageRef | None:
        """Post a DM; the message, or None if it failed (an unreachable person is marked)."""
        try:
            return MessageRef(*slack_io.post_dm(client, user_id, payload))
        except SlackApiError as exc:
            self._failed(client, team_id, user_id, exc)
            return None

    def _failed(self, client: WebClient, team_id: str, user_id: str, exc: SlackApiError) -> None:
        error = _error(exc)
        if error in slack_io.UNREACHABLE_ERRORS:
            self.unreachable(client, team_id, user_id)
        else:
            logger.warning("a matching message to %s failed: %s", user_id, error)

    def unreachable(self, client: WebClient, team_id: str, user_id: str) -> None:
        """Slack cannot deliver to this person: leave them out of matching, and give the
        mentees waiting on them their next candidates."""
        pending = uc.mark_unreachable(self.db, team_id, user_id)
        logger.info("%s cannot be messaged; left out of matching", user_id)
        for request_id in pending:
            outcome = uc.cancel_request(self.db, request_id, self.clock)
            if outcome is not None:
                self._close_mentor_messages(client, outcome)
                self._offer_next(client, outcome)

    def _update(
        self, client: WebClient, refs: Iterable[MessageRef | None], payload: dict[str, Any]
    ) -> None:
        seen: set[tuple[str, str]] = set()
        for ref in refs:
            if ref is None or (ref.channel, ref.ts) in seen:
                continue
            seen.add((ref.channel, ref.ts))
            slack_io.update_message(client, ref.channel, ref.ts, payload)

    # --- shortlists -----------------------------------------------------------------------
    def send_shortlist(
        self, client: WebClient, outcome: ShortlistOutcome, lead: str | None = None
    ) -> bool:
        """DM a mentee their new shortlist (or why there is none, with the next steps) and
        retire older lists; `lead` opens the message. True if the DM was posted."""
        self._update(client, outcome.superseded, views.shortlist_replaced())
        if not outcome.for_mentee:
            return False
        posted = self._dm(
            client,
            outcome.team_id,
            outcome.mentee.user_id,
            views.shortlist_message(outcome, lead),
        )
        uc.shortlist_delivered(self.db, outcome, posted)
        return posted is not None

    def send_run(
        self, client: WebClient, outcomes: Iterable[ShortlistOutcome], deliveries: list[int]
    ) -> RunSent:
        """A run's shortlists (and "no suitable mentor" messages) were queued in the delivery
        ledger with the run: older list messages are marked replaced, then the rows are sent
        now, paced, in batches (each its own lease); what cannot go now (a 429, a crash) is
        left to the sweep. Returns what became of them so far."""
        self._update(
            client, [ref for o in outcomes for ref in o.superseded], views.shortlist_replaced()
        )
        if self.deliverer is not None:
            deliverer = self.deliverer()
            for start in range(0, len(deliveries), RUN_BATCH):
                deliverer.deliver_now(deliveries[start : start + RUN_BATCH])
                if deliverer.pacer.held_for() > 0:
                    break  # rate limited: the sweep sends the rest after Retry-After
        shortlists, no_mentor, unreachable = uc.run_delivery_counts(self.db, deliveries)
        return RunSent(shortlists=shortlists, no_mentor=no_mentor, unreachable=unreachable)

    def _notice_and_next(
        self,
        client: WebClient,
        team_id: str,
        user_id: str,
        nxt: ShortlistOutcome | None,
        kind: str,
        mentor: str | None = None,
    ) -> None:
        """Tell the mentee what became of their choice in one message: with their next
        shortlist, or (no mentor fits) with the next steps as buttons."""
        if nxt is not None and nxt.for_mentee:
            lead = views.notice_text(kind, mentor, others=nxt.has_candidates)
            self.send_shortlist(client, nxt, lead)
            return
        if nxt is not None:
            self._update(client, nxt.superseded, views.shortlist_replaced())
        # They have a request open or a mentor meanwhile: nothing else to offer.
        self._dm(client, team_id, user_id, views.mentee_notice(kind, mentor))

    def on_profile_confirmed(
        self, client: WebClient, team_id: str, user_id: str, program_id: int | None = None
    ) -> None:
        """A mentee's confirmed (or edited) profile in a program (None: the default one): send
        them a fresh shortlist there, unless they already asked someone or have a mentor."""
        outcome = uc.fresh_shortlist(self.db, team_id, user_id, self.clock, program_id)
        if outcome is not None:
            self.send_shortlist(client, outcome)
        # A mentor who joined (or made room) may fit someone on the waitlist.
        program = uc.program_of_user(self.db, team_id, user_id, program_id)
        if program is not None:
            self._send_now(uc.check_waitlist(self.db, self.clock, program_id=program))

    def _send_now(self, deliveries: list[int]) -> None:
        if deliveries and self.deliverer is not None:
            self.deliverer().deliver_now(deliveries)

    def on_rematch_requested(
        self, client: WebClient, team_id: str, user_id: str, program_id: int
    ) -> None:
        """A mentee whose pair ended asks for a new mentor: a fresh shortlist (the previous
        mentor is never offered again)."""
        outcome = uc.fresh_shortlist(self.db, team_id, user_id, self.clock, program_id)
        if outcome is not None:
            self.send_shortlist(client, outcome)

    def run_for_program(
        self, client: WebClient, team_id: str, program_name: str | None = None
    ) -> list[ShortlistOutcome]:
        """A coordinator's run: every confirmed mentee without an open request or pair gets a
        new, exposure-balanced shortlist (or the reason they have none)."""
        outcomes, deliveries = uc.run_program(self.db, team_id, program_name, self.clock)
        self.send_run(client, outcomes, deliveries)
        return outcomes

    # --- requesting -----------------------------------------------------------------------
    def on_request(self, p: Press) -> None:
        shortlist_id, mentor_id = _int(p.token.get("s")), _int(p.token.get("m"))
        if shortlist_id is None or mentor_id is None:
            return
        outcome = uc.request_mentor(
            self.db,
            team_id=p.team_id,
            user_id=p.user_id,
            shortlist_id=shortlist_id,
            mentor_id=mentor_id,
            clock=self.clock,
        )
        shown = outcome.shortlist_message or p.clicked
        if outcome.status == "ok":
            assert outcome.mentor and outcome.mentee and outcome.request_id and outcome.expires_at
            self._update(
                p.client,
                [shown],
                views.shortlist_requested(outcome.mentor.name, outcome.expires_at),
            )
            posted = self._dm(
                p.client,
                p.team_id,
                outcome.mentor.user_id,
                views.request_message(
                    outcome.request_id, outcome.mentee.name, outcome.goals, outcome.expires_at
                ),
            )
            if posted is not None:
                uc.record_request_message(self.db, outcome.request_id, posted)
            return
        if outcome.status in ("taken", "unavailable"):
            assert outcome.mentor is not None
            self._update(p.client, [shown], views.shortlist_replaced())
            kind = "taken" if outcome.status == "taken" else "unavailable"
            self._notice_and_next(
                p.client, p.team_id, p.user_id, outcome.next, kind, outcome.mentor.name
            )
            return
        if outcome.status == "already_pending":
            asked = outcome.pending_with
            kind = "already_pending" if asked is not None else "already_pending_unknown"
            self._dm(
                p.client,
                p.team_id,
                p.user_id,
                views.mentee_notice(kind, asked.name if asked else None),
            )
            return
        if outcome.status == "already_paired":
            self._dm(p.client, p.team_id, p.user_id, views.mentee_notice("already_paired"))
            return
        if outcome.status == "stale":
            self._update(p.client, [p.clicked], views.out_of_date())
        # already_sent: a double click on the same button, it has been sent already;
        # not_yours: someone else's button (a forwarded message): ignore

    # --- the mentor answers ---------------------------------------------------------------
    def on_requests_withdrawn(
        self, client: WebClient, _team_id: str, request_ids: list[int]
    ) -> None:
        """`hooks.on_requests_withdrawn`: the mentee left, so each request message (and its
        reminder) to the mentor becomes its ✓ line."""
        for request_id in request_ids:
            outcome = uc.closed_request(self.db, request_id)
            if outcome is not None:
                self._close_mentor_messages(client, outcome)

    def _close_mentor_messages(
        self, client: WebClient, outcome: AnswerOutcome, clicked: MessageRef | None = None
    ) -> None:
        mentee = outcome.mentee.name if outcome.mentee else ""
        state = outcome.current_status or ""
        self._update(
            client, [*outcome.mentor_messages, clicked], views.request_closed(state, mentee)
        )

    def on_accept(self, p: Press) -> None:
        request_id = _int(p.token.get("r"))
        if request_id is None:
            return
        outcome = uc.accept_request(
            self.db, team_id=p.team_id, user_id=p.user_id, request_id=request_id, clock=self.clock
        )
        if outcome.status == "accepted":
            assert outcome.pair_id is not None
            self._close_mentor_messages(p.client, outcome, p.clicked)
            self._introduce(p.client, p.team_id, outcome)
            self.hooks.pair_created(p.client, p.team_id, outcome.pair_id)
        elif outcome.status == "already_answered":
            self._close_mentor_messages(p.client, outcome, p.clicked)
        elif outcome.status == "overdue":
            self.expire(p.client, request_id, p.clicked)

    def _introduce(self, client: WebClient, team_id: str, outcome: AnswerOutcome) -> None:
        mentee, mentor = outcome.mentee, outcome.mentor
        assert mentee is not None and mentor is not None and outcome.pair_id is not None
        self._dm(client, team_id, mentee.user_id, views.mentee_notice("accepted", mentor.name))
        payload = views.intro_message(mentee, mentor, outcome.goals)
        try:
            opened = client.conversations_open(users=[mentee.user_id, mentor.user_id])
            channel = str(opened["channel"]["id"])
            client.chat_postMessage(channel=channel, **payload)
        except SlackApiError as exc:
            # Fall back to introducing them in each one's DM with the bot.
            logger.warning("pair %s: group DM failed (%s)", outcome.pair_id, _error(exc))
            for person in (mentee, mentor):
                self._dm(client, team_id, person.user_id, payload)
            return
        uc.record_pair_intro(self.db, outcome.pair_id, channel)

    def open_decline(self, p: Press) -> None:
        request_id = _int(p.token.get("r"))
        if request_id is None:
            return
        outcome = uc.request_for_mentor(
            self.db, team_id=p.team_id, user_id=p.user_id, request_id=request_id
        )
        if outcome.status == "pending":
            assert outcome.mentee is not None
            p.client.views_open(
                trigger_id=p.trigger_id, view=views.decline_modal(request_id, outcome.mentee.name)
            )
        elif outcome.status == "already_answered":
            self._close_mentor_messages(p.client, outcome, p.clicked)

    def submit_decline(
        self, client: WebClient, team_id: str, user_id: str, request_id: int, reason: str | None
    ) -> None:
        outcome = uc.decline_request(
            self.db,
            team_id=team_id,
            user_id=user_id,
            request_id=request_id,
            reason=reason,
            clock=self.clock,
        )
        if outcome.status == "declined":
            self._close_mentor_messages(client, outcome)
            self._offer_next(client, outcome)
        elif outcome.status == "already_answered":
            self._close_mentor_messages(client, outcome)

    def _offer_next(self, client: WebClient, outcome: AnswerOutcome) -> None:
        """Tell the mentee their mentor isn't available right now (never a rejection) and
        give them the next candidates."""
        mentee, mentor, nxt = outcome.mentee, outcome.mentor, outcome.next
        if mentee is None:
            return
        mentor_name = mentor.name if mentor else ""
        self._notice_and_next(
            client, outcome.team_id, mentee.user_id, nxt, "unavailable", mentor_name
        )

    # --- "none of these suit me" ----------------------------------------------------------
    def open_none_suit(self, p: Press) -> None:
        shortlist_id = _int(p.token.get("s"))
        if shortlist_id is None:
            return
        if uc.shortlist_is_open(
            self.db, team_id=p.team_id, user_id=p.user_id, shortlist_id=shortlist_id
        ):
            p.client.views_open(trigger_id=p.trigger_id, view=views.none_suit_modal(shortlist_id))
        else:
            self._update(p.client, [p.clicked], views.out_of_date())

    def submit_none_suit(
        self,
        client: WebClient,
        team_id: str,
        user_id: str,
        shortlist_id: int,
        reason_code: str | None,
        reason: str | None,
    ) -> None:
        outcome = uc.none_suit(
            self.db,
            team_id=team_id,
            user_id=user_id,
            shortlist_id=shortlist_id,
            reason_code=reason_code,
            reason=reason,
            clock=self.clock,
        )
        if outcome.status != "ok":
            return
        # One new message: the thanks, with the next list or the next steps.
        self._update(client, [outcome.shortlist_message], views.shortlist_none_done())
        self._notice_and_next(client, team_id, user_id, outcome.next, "none_thanks")

    # --- no mentor fits: the waitlist, a coordinator, the goals ---------------------------
    def _join(self, p: Press, kind: svc.WaitKind) -> svc.WaitOutcome | None:
        mentee_id = _int(p.token.get("m"))
        if mentee_id is None:
            return None
        outcome = uc.join_waitlist(
            self.db,
            team_id=p.team_id,
            user_id=p.user_id,
            mentee_id=mentee_id,
            kind=kind,
            clock=self.clock,
        )
        if outcome.status == "not_yours":
            return None
        notes = {
            "not_waiting": "matching.unmatched.not_waiting",
            "no_coordinator": "matching.unmatched.no_coordinator",
        }
        payload = views.no_fit_answered(
            mentee_id,
            outcome.program_id,
            outcome.waiting,
            outcome.coordinators,
            note=notes.get(outcome.status),
        )
        self._update(p.client, [p.clicked], payload)
        return outcome

    def on_waitlist(self, p: Press) -> None:
        """*Tell me when a mentor fits*: on the waitlist, told once when one does."""
        self._join(p, "notify")

    def on_ask_coordinator(self, p: Press) -> None:
        """*Ask a coordinator*: a help request each coordinator gets with a button."""
        outcome = self._join(p, "coordinator")
        if outcome is not None:
            self._send_now(outcome.deliveries)

    def on_help_done(self, p: Press) -> None:
        """A coordinator marks a mentee's request for help handled."""
        entry_id = _int(p.token.get("w"))
        if entry_id is None:
            return
        status, help_now = uc.close_help(
            self.db, team_id=p.team_id, user_id=p.user_id, entry_id=entry_id, clock=self.clock
        )
        if help_now is not None and status in ("closed", "already"):
            self._update(p.client, [p.clicked], views.help_done(help_now))

    # --- reminders and expiry (the sweep) -------------------------------------------------
    def expire(self, client: WebClient, request_id: int, clicked: MessageRef | None = None) -> None:
        outcome = uc.expire_request(self.db, request_id, self.clock)
        if outcome is None:
            return
        self._close_mentor_messages(client, outcome, clicked)
        self._offer_next(client, outcome)

    def sweep(self, client: WebClient) -> None:
        """Expire unanswered requests, and plan the one reminder into the delivery ledger
        (each exactly once); the deliverer sends the reminders, with a lease."""
        for request_id in uc.due_expiries(self.db, self.clock):
            self.expire(client, request_id)
        self._send_now(uc.plan_reminders(self.db, self.clock))
        self._send_now(uc.plan_unsent_requests(self.db, self.clock))
        # A pair that ended frees a mentor: someone on the waitlist may fit now.
        self._send_now(uc.check_waitlist(self.db, self.clock, freed_only=True))

    # --- what the deliverer sends for matching (rendered in the ledger's transaction) ------
    def renderers(self) -> dict[str, Renderer]:
        return {
            svc.REMINDER_KIND: self._render_reminder,
            svc.SHORTLIST_KIND: self._render_shortlist,
            svc.SHORTLIST_NONE_KIND: self._render_no_mentor,
            svc.HELP_KIND: self._render_help,
            svc.REQUEST_KIND: self._render_request,
        }

    def followups(self, client: WebClient) -> dict[str, Followup]:
        """What a run's shortlist does once its row is settled (outside the ledger's
        transaction): remember the posted message, or close a list nobody could receive."""
        return {
            svc.SHORTLIST_KIND: partial(self._shortlist_settled, client),
            svc.SHORTLIST_NONE_KIND: partial(self._no_mentor_settled, client),
            svc.REQUEST_KIND: self._request_settled,
        }

    def _render_shortlist(self, session: Session, target: RenderTarget) -> Part | None:
        """A run's shortlist, rebuilt from the stored list; None (nothing sent) once it was
        superseded, answered or closed."""
        shortlist_id = _int(target.payload.get("shortlist"))
        outcome = None if shortlist_id is None else svc.shortlist_to_send(session, shortlist_id)
        if outcome is None or outcome.mentee.user_id != target.user_id:
            return None
        lead = views.fits_lead() if target.payload.get("lead") == "fits" else None
        payload = views.shortlist_message(outcome, lead)
        return Part(payload["text"], payload["blocks"])

    def _render_help(self, session: Session, target: RenderTarget) -> Part | None:
        """A coordinator's DM about a mentee no mentor fits; None once it was handled."""
        entry_id = _int(target.payload.get("entry"))
        help_now = None if entry_id is None else svc.help_to_send(session, entry_id)
        if help_now is None or not help_now.open:
            return None
        payload = views.help_message(help_now)
        return Part(payload["text"], payload["blocks"])

    def _render_request(self, session: Session, target: RenderTarget) -> Part | None:
        """A mentor's request that never got its message; None once it is not pending."""
        return self._render_pending(session, target, svc.request_to_send, views.request_message)

    def _render_pending(
        self,
        session: Session,
        target: RenderTarget,
        find: Callable[[Session, int, Any], Any],
        draw: Callable[..., dict[str, Any]],
    ) -> Part | None:
        """A message about a pending request (`find` says if it still is), drawn by `draw`."""
        request_id = _int(target.payload.get("request"))
        due = None if request_id is None else find(session, request_id, self.clock.now())
        if due is None:
            return None
        payload = draw(due.request_id, due.mentee.name, due.goals, due.expires_at)
        return Part(payload["text"], payload["blocks"])

    def _request_settled(self, target: RenderTarget, done: Settled) -> None:
        request_id = _int(target.payload.get("request"))
        if request_id is not None and done.channel and done.ts:
            uc.record_request_message(self.db, request_id, MessageRef(done.channel, done.ts))

    def _render_no_mentor(self, session: Session, target: RenderTarget) -> Part | None:
        """ "No suitable mentor right now" with the reason for its code; None once the mentee
        is no longer waiting (a list, a request or a mentor came meanwhile, or they left)."""
        mentee_id, code = _int(target.payload.get("mentee")), target.payload.get("code")
        outcome = (
            None
            if mentee_id is None or not isinstance(code, str)
            else svc.no_mentor_to_send(session, mentee_id, code)
        )
        if outcome is None or outcome.mentee.user_id != target.user_id:
            return None
        payload = views.shortlist_message(outcome)
        return Part(payload["text"], payload["blocks"])

    def _shortlist_settled(self, client: WebClient, target: RenderTarget, done: Settled) -> None:
        shortlist_id = _int(target.payload.get("shortlist"))
        if shortlist_id is not None:
            posted = MessageRef(done.channel, done.ts) if done.channel and done.ts else None
            delivered = done.outcome in ("sent", "unconfirmed")
            uc.shortlist_settled(self.db, shortlist_id, posted, delivered=delivered)
        self._no_mentor_settled(client, target, done)

    def _no_mentor_settled(self, client: WebClient, target: RenderTarget, done: Settled) -> None:
        """Someone Slack cannot reach (the ledger has marked them): the mentees waiting on
        them as a mentor get their next candidates, as for any matching message."""
        mentee_id = _int(target.payload.get("mentee"))
        if done.outcome == "unreachable" and mentee_id is not None:
            team_id = uc.team_of(self.db, mentee_id)
            if team_id:
                self.unreachable(client, team_id, target.user_id)

    def _render_reminder(self, session: Session, target: RenderTarget) -> Part | None:
        """The mentor's one reminder; None (nothing sent) once the request is answered,
        withdrawn or expired."""
        return self._render_pending(session, target, svc.reminder_to_send, views.reminder_message)

    # --- App Home -------------------------------------------------------------------------
    def home_section(self, team_id: str, user_id: str) -> list[dict[str, Any]]:
        """`hooks.on_home_section`: the default program's matching, for someone in one program
        (someone in several sees each program's under it: `program_home_section`)."""
        state = uc.home_section(self.db, team_id, user_id)
        return [] if state is None else views.home_blocks(state)

    def program_home_section(
        self, team_id: str, user_id: str, program_id: int
    ) -> list[dict[str, Any]]:
        """`hooks.on_program_home_section`: the person's own matching in one program."""
        state = uc.program_home_section(self.db, team_id, user_id, program_id)
        return views.home_blocks(state, titled=False)


def matching_sweep(mentor: MentorApp) -> None:
    """The scheduler's once-a-minute sweep for matching."""
    mentor.flows.matching.sweep(mentor.client)
