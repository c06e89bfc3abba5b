"""The onboarding conversation in Slack: posts each step's question in the DM, applies the
answers through `core.onboarding` (one transaction each) and keeps the DM tidy by turning an
answered question into its answer."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient

from bot import slack_io
from bot.views import home as home_views
from bot.views import onboarding as views
from bot.views import profile as profile_views
from bot.views.blocks import view_metadata, view_values
from core import onboarding as ob
from core.models import STATUS_ACTIVE, STATUS_LEFT, Conversation, Participation, Person, Program
from core.people import find_person, upsert_person
from core.profiles import ProfileForm, ProfileInvalid, competency_name, save_profile
from core.programs import default_program, program_settings

if TYPE_CHECKING:
    from bot.app import MentorApp

logger = logging.getLogger(__name__)


@dataclass
class Snapshot:
    """What a flow needs after its transaction has committed (no live ORM objects)."""

    person_id: int
    name: str
    program: str
    settings: dict[str, Any]
    conversation: Conversation | None
    participation_status: str | None
    confirmed: bool


class OnboardingFlow:
    def __init__(self, mentor: MentorApp) -> None:
        self.mentor = mentor

    # --- people ----------------------------------------------------------------------------
    def _person(self, session: Any, team_id: str, user_id: str, *, create: bool = True) -> Any:
        person = find_person(session, team_id, user_id)
        if person is None and create:
            person = upsert_person(session, team_id, None, user_id, self.mentor.clock)
        return person

    def sync_person(self, client: WebClient, team_id: str, user_id: str) -> None:
        """Refresh name, title and time zone from users.info (not asked in onboarding)."""
        profile = slack_io.fetch_profile(client, user_id)
        with self.mentor.db.transaction() as session:
            upsert_person(session, team_id, profile, user_id, self.mentor.clock)

    def is_participant(self, team_id: str, user_id: str) -> bool:
        with self.mentor.db.transaction() as session:
            program = default_program(session, team_id, self.mentor.clock)
            person = self._person(session, team_id, user_id, create=False)
            participation = ob.find_participation(session, person, program) if person else None
            return participation is not None and participation.status != STATUS_LEFT

    # --- starting --------------------------------------------------------------------------
    def start(self, client: WebClient, team_id: str, user_id: str, *, explicit: bool) -> None:
        """Start (or resume) onboarding. `explicit` when the person asked to join: then an
        existing conversation's current question is shown again, and a finished one says so."""
        self.sync_person(client, team_id, user_id)
        clock = self.mentor.clock
        with self.mentor.db.transaction() as session:
            program = default_program(session, team_id, clock)
            person = self._person(session, team_id, user_id)
            participation = ob.find_participation(session, person, program)
            restart = participation is not None and participation.status == STATUS_LEFT
            if participation is not None and participation.confirmed and not restart:
                # Already has a profile (confirmed here, or imported by a coordinator).
                snapshot = self._snapshot(session, person, program, None)
                started = False
            else:
                conversation, started = ob.start(session, person, program, clock, restart=restart)
                snapshot = self._snapshot(session, person, program, conversation)
        if snapshot.confirmed and not started:
            if explicit:
                slack_io.post_dm(client, user_id, views.already_done())
            return
        if not started and not explicit:
            return
        self.post_prompt(client, team_id, user_id, snapshot)

    def _snapshot(
        self, session: Any, person: Person, program: Any, conversation: Conversation | None
    ) -> Snapshot:
        participation = ob.find_participation(session, person, program)
        return Snapshot(
            person_id=person.id,
            name=person.display_name,
            program=program.name,
            settings=program_settings(program),
            conversation=conversation,
            participation_status=participation.status if participation else None,
            confirmed=bool(
                participation and participation.confirmed and participation.status == STATUS_ACTIVE
            ),
        )

    def post_prompt(
        self, client: WebClient, team_id: str, user_id: str, snapshot: Snapshot
    ) -> None:
        conversation = snapshot.conversation
        assert conversation is not None
        payload = views.prompt(
            conversation, name=snapshot.name, program=snapshot.program, settings=snapshot.settings
        )
        channel, ts = slack_io.post_dm(client, user_id, payload)
        with self.mentor.db.transaction() as session:
            current = session.get(Conversation, conversation.id)
            if current is not None and current.version == conversation.version:
                current.prompt_channel, current.prompt_ts = channel, ts

    # --- answers ---------------------------------------------------------------------------
    def on_answer(
        self,
        client: WebClient,
        team_id: str,
        user_id: str,
        *,
        token: dict[str, Any],
        value: Any,
        typed: bool = False,
    ) -> None:
        """Apply a click or menu choice (`token` is the decoded button value)."""
        clock = self.mentor.clock
        with self.mentor.db.transaction() as session:
            person = self._person(session, team_id, user_id)
            conversation = _own_conversation(session, person, token.get("c"))
            if conversation is None:
                return
            prompt_at = (conversation.prompt_channel, conversation.prompt_ts)
            result = ob.answer(
                session,
                conversation,
                step=str(token.get("s")),
                version=token.get("v"),
                value=value,
                clock=clock,
                typed=typed,
            )
            snapshot = self._snapshot(
                session, person, _program(session, conversation), conversation
            )
        self._after(client, team_id, user_id, result, snapshot, prompt_at)

    def on_text(self, client: WebClient, team_id: str, user_id: str, text: str) -> bool:
        """A DM typed by someone in onboarding. False when no onboarding is running."""
        clock = self.mentor.clock
        with self.mentor.db.transaction() as session:
            program = default_program(session, team_id, clock)
            person = self._person(session, team_id, user_id, create=False)
            conversation = ob.find_conversation(session, person, program) if person else None
            if person is None or conversation is None or conversation.completed_at is not None:
                return False
            prompt_at = (conversation.prompt_channel, conversation.prompt_ts)
            if ob.step_name(conversation.step) == ob.REVIEW:
                result = ob.StepResult("expects_button", conversation)
            else:
                result = ob.answer(
                    session,
                    conversation,
                    step=conversation.step,
                    version=None,
                    value=text,
                    clock=clock,
                    typed=True,
                )
            snapshot = self._snapshot(session, person, program, conversation)
        self._after(client, team_id, user_id, result, snapshot, prompt_at, typed=text)
        return True

    def _after(
        self,
        client: WebClient,
        team_id: str,
        user_id: str,
        result: ob.StepResult,
        snapshot: Snapshot,
        prompt_at: tuple[str | None, str | None],
        typed: str | None = None,
    ) -> None:
        if result.outcome == "stale":
            logger.info("stale onboarding answer ignored (conversation %s)", result.conversation.id)
            return
        if result.outcome in ("expects_button", "expects_text"):
            kind = "button" if result.outcome == "expects_button" else "text"
            if (
                kind == "button"
                and typed
                and self.mentor.hooks.aside(client, team_id, user_id, typed)
            ):
                kind = "after_aside"  # answered their question; now a gentle reminder
            slack_io.post_dm(client, user_id, views.hint(kind))
            return
        if result.outcome == "invalid":
            slack_io.post_dm(client, user_id, views.hint("invalid", result.error))
            return
        form = ob.draft_form(result.conversation)
        channel, ts = prompt_at
        if channel and ts and result.answered_step:
            if result.answered_step == ob.REVIEW:
                slack_io.update_message(client, channel, ts, views.reviewed(form))
            else:
                slack_io.update_message(
                    client, channel, ts, views.answered(result.answered_step, form)
                )
        if result.conversation.step == ob.DONE:
            slack_io.post_dm(client, user_id, views.done(form, name=snapshot.name))
            self.publish_home(client, team_id, user_id)
            self.mentor.hooks.profile_confirmed(client, team_id, user_id)
            return
        self.post_prompt(client, team_id, user_id, snapshot)

    def confirm(self, client: WebClient, team_id: str, user_id: str, token: dict[str, Any]) -> None:
        clock = self.mentor.clock
        try:
            with self.mentor.db.transaction() as session:
                person = self._person(session, team_id, user_id)
                conversation = _own_conversation(session, person, token.get("c"))
                if conversation is None:
                    return
                prompt_at = (conversation.prompt_channel, conversation.prompt_ts)
                result = ob.confirm(session, conversation, version=token.get("v"), clock=clock)
                snapshot = self._snapshot(
                    session, person, _program(session, conversation), conversation
                )
        except ob.StaleConfirm:
            logger.info("a concurrent confirm won; this one changed nothing")
            return
        self._after(client, team_id, user_id, result, snapshot, prompt_at)

    # --- editing ---------------------------------------------------------------------------
    def open_editor(
        self,
        client: WebClient,
        team_id: str,
        user_id: str,
        trigger_id: str,
        token: dict[str, Any] | None = None,
    ) -> None:
        """Open the profile modal: over the onboarding draft while reviewing, else over the
        confirmed profile. Someone not in the program is started on onboarding instead."""
        clock = self.mentor.clock
        with self.mentor.db.transaction() as session:
            program = default_program(session, team_id, clock)
            person = self._person(session, team_id, user_id)
            participation = ob.find_participation(session, person, program)
            conversation = ob.find_conversation(session, person, program)
            settings = program_settings(program)
            if conversation is not None and conversation.step == ob.REVIEW:
                form = ob.draft_form(conversation)
                metadata = {"mode": "draft", "c": conversation.id, "v": conversation.version}
            elif (
                participation is not None
                and participation.confirmed
                and participation.status != STATUS_LEFT
            ):
                form = ProfileForm.from_participation(participation)
                metadata = {"mode": "profile", "p": participation.id}
            else:
                form = None
                metadata = {}
        if form is None:
            self.start(client, team_id, user_id, explicit=True)
            return
        client.views_open(
            trigger_id=trigger_id,
            view=profile_views.profile_modal(form, settings, json.dumps(metadata)),
        )

    def submit_editor(
        self, team_id: str, user_id: str, view: dict[str, Any]
    ) -> tuple[dict[str, str] | None, Callable[[WebClient], None] | None]:
        """Validate and save the modal before it is answered (so it is kept short).

        Returns (block errors for the modal, None) or (None, the follow-up to run once the
        modal has been answered: redraw the playback, or confirm the saved profile)."""
        clock = self.mentor.clock
        metadata = view_metadata(view)
        values = view_values(view)
        with self.mentor.db.transaction() as session:
            program = default_program(session, team_id, clock)
            settings = program_settings(program)
            form, errors = profile_views.form_from_state(values, settings)
            if errors:
                return errors, None
            person = self._person(session, team_id, user_id)
            try:
                if metadata.get("mode") == "draft":
                    conversation = _own_conversation(session, person, metadata.get("c"))
                    if conversation is None or conversation.step != ob.REVIEW:
                        return None, None  # a stale modal: nothing to change
                    prompt_at = (conversation.prompt_channel, conversation.prompt_ts)
                    result = ob.replace_draft(session, conversation, form, clock)
                    snapshot = self._snapshot(session, person, program, conversation)

                    def redraw(client: WebClient) -> None:
                        self._redraw_review(client, user_id, snapshot, prompt_at, result)

                    return None, redraw
                if metadata.get("mode") == "profile":
                    participation = session.get(Participation, metadata.get("p"))
                    if participation is None or participation.person_id != person.id:
                        logger.warning("a profile modal for someone else's profile was refused")
                        return None, None
                    save_profile(session, participation, form, settings, clock, confirm=False)

                    def confirm_saved(client: WebClient) -> None:
                        slack_io.post_dm(client, user_id, views.profile_saved(form))
                        self.publish_home(client, team_id, user_id)
                        self.mentor.hooks.profile_confirmed(client, team_id, user_id)

                    return None, confirm_saved
                return None, None
            except ProfileInvalid as exc:
                return profile_views.block_errors(exc.errors), None

    def _redraw_review(
        self,
        client: WebClient,
        user_id: str,
        snapshot: Snapshot,
        prompt_at: tuple[str | None, str | None],
        result: ob.StepResult,
    ) -> None:
        channel, ts = prompt_at
        payload = views.review(result.conversation)
        if channel and ts and slack_io.update_message(client, channel, ts, payload):
            return
        assert snapshot.conversation is not None
        self.post_prompt(client, "", user_id, snapshot)

    # --- App Home --------------------------------------------------------------------------
    def home_state(self, team_id: str, user_id: str) -> home_views.HomeState:
        with self.mentor.db.transaction() as session:
            program = default_program(session, team_id, self.mentor.clock)
            person = self._person(session, team_id, user_id, create=False)
            participation = ob.find_participation(session, person, program) if person else None
            state = home_views.HomeState(program=program.name, status="none")
            if participation is not None:
                if participation.status == STATUS_LEFT:
                    state.status = "left"
                elif participation.confirmed:
                    state.status = "active"
                    state.is_mentee, state.is_mentor = (
                        participation.is_mentee,
                        participation.is_mentor,
                    )
                    state.goals = [competency_name(g.competency_id) for g in participation.goals]
                    state.areas = [
                        competency_name(e.competency_id) for e in participation.expertise
                    ]
                    state.capacity = participation.capacity
                else:
                    state.status = "onboarding"
            return state

    def publish_home(self, client: WebClient, team_id: str, user_id: str) -> None:
        state = self.home_state(team_id, user_id)
        state.sections = self.mentor.hooks.home_sections(team_id, user_id)
        client.views_publish(user_id=user_id, view=home_views.home_view(state))


def _program(session: Any, conversation: Conversation) -> Program:
    program = session.get(Program, conversation.program_id)
    assert program is not None
    return program


def _own_conversation(session: Any, person: Person, conversation_id: Any) -> Conversation | None:
    """The conversation a button points at, only if it belongs to the person who clicked."""
    if not isinstance(conversation_id, int):
        return None
    conversation = session.get(Conversation, conversation_id)
    if conversation is None or conversation.person_id != person.id:
        return None
    return conversation
