"""The onboarding conversation in Slack: posts each step's question in the DM, applies the
answers through `core.onboarding.use_cases` (each its own transaction) and keeps the DM tidy by
turning an answered question into its answer."""

from __future__ import annotations

import json
import logging
import re
import shlex
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient

from bot.platform import slack_io
from bot.platform.blocks import view_metadata, view_values
from bot.views import home as home_views
from bot.views import onboarding as views
from bot.views import people as profile_views
from core.kernel.texts import mrkdwn
from core.onboarding import service as ob
from core.onboarding import use_cases as uc
from core.onboarding.understand import looks_like_question, wants_to_join
from core.onboarding.use_cases import Snapshot

__all__ = ["OnboardingFlow", "Snapshot", "program_option"]

if TYPE_CHECKING:
    from bot.app import MentorApp

logger = logging.getLogger(__name__)

PROGRAM_OPTION = re.compile(r"--program(?:=|\s+)(.+)$", re.S)


def program_option(args: str) -> str | None:
    """The program named with `--program NAME` (quoted or not), else None."""
    match = PROGRAM_OPTION.search(args or "")
    if match is None:
        return None
    value = match.group(1).strip()
    value = value.replace("“", '"').replace("”", '"').replace("‘", "'").replace("’", "'")
    try:
        parts = shlex.split(value)
    except ValueError:
        parts = [value.strip("\"'")]
    name = " ".join(parts).strip()
    return name or None


class OnboardingFlow:
    def __init__(self, mentor: MentorApp) -> None:
        self.mentor = mentor

    # --- people ----------------------------------------------------------------------------
    def sync_person(self, client: WebClient, team_id: str, user_id: str) -> None:
        """Refresh name, title and time zone from users.info (not asked in onboarding)."""
        profile = slack_io.fetch_profile(client, user_id)
        uc.refresh_person(self.mentor.db, team_id, user_id, profile, self.mentor.clock)

    def is_participant(self, team_id: str, user_id: str) -> bool:
        """Does the person take part in any of the workspace's programs?"""
        return uc.is_participant(self.mentor.db, team_id, user_id)

    # --- which program ---------------------------------------------------------------------
    def join(self, client: WebClient, team_id: str, user_id: str, token: dict[str, Any]) -> bool:
        """A Join button: the App Home's (no program: `start` decides), an invitation's or
        the program chooser's. The program it names is looked up in the clicker's workspace
        only; one that is not there is refused kindly and nothing is written. False then."""
        program_id, name = token.get("p"), token.get("n")
        if program_id is None and name is None:
            self.start(client, team_id, user_id, explicit=True)
            return True
        found = uc.joinable_program(self.mentor.db, team_id, program_id, name)
        if found is None:
            logger.warning("a Join button for a program outside this workspace was refused")
            slack_io.post_dm(client, user_id, views.program_unavailable())
            return False
        self.start(client, team_id, user_id, explicit=True, program_id=found)
        return True

    def program_for_command(self, team_id: str, args: str) -> tuple[int | None, str | None]:
        """`/mentoring join [--program NAME]`: (the program's id, None), (None, None) when no
        program is named, or (None, the reply listing the workspace's programs) when the one
        named is not there."""
        name = program_option(args)
        if name is None:
            return None, None
        lookup = uc.program_by_name(self.mentor.db, team_id, name)
        if lookup.program_id is not None:
            return lookup.program_id, None
        return None, mrkdwn("onboarding.unknown_program", name=name, programs=lookup.programs)

    # --- starting --------------------------------------------------------------------------
    def start(
        self,
        client: WebClient,
        team_id: str,
        user_id: str,
        *,
        explicit: bool,
        program_id: int | None = None,
    ) -> bool:
        """Start (or resume) onboarding in `program_id` (already checked to be one of the
        workspace's), or when none is given in the program the use case picks (or ask
        which). `explicit` when the person asked to join: then an existing conversation's
        current question is shown again, and a finished one says so. True when a DM was sent.
        """
        self.sync_person(client, team_id, user_id)
        outcome = uc.start_onboarding(
            self.mentor.db,
            team_id,
            user_id,
            self.mentor.clock,
            explicit=explicit,
            program_id=program_id,
        )
        if outcome.action == "choose":
            slack_io.post_dm(client, user_id, views.choose_program(outcome.choices))
        elif outcome.action == "already" and outcome.snapshot is not None:
            program = outcome.snapshot.program
            payload = views.already_in_program(program) if outcome.several else views.already_done()
            slack_io.post_dm(client, user_id, payload)
        elif outcome.action == "prompt" and outcome.snapshot is not None:
            self.post_prompt(
                client, team_id, user_id, outcome.snapshot, supersede=outcome.supersede
            )
            channel, ts = uc.take_offer(self.mentor.db, team_id, user_id)
            if channel and ts:  # joined: the Join offer in the DM is done with
                slack_io.update_message(client, channel, ts, views.join_taken())
        else:
            return False
        return True

    def clicked_join(self, client: WebClient, body: dict[str, Any]) -> None:
        """A Join clicked in a DM message (an offer, an invitation, the program chooser):
        the message keeps its text and shows a ✓ line instead of its buttons."""
        container = body.get("container") or {}
        channel, ts = container.get("channel_id"), container.get("message_ts")
        if container.get("type") != "message" or not channel or not ts:
            return
        original = (body.get("message") or {}).get("blocks") or []
        kept = [b for b in original if b.get("type") != "actions" and "accessory" not in b]
        slack_io.update_message(client, channel, ts, views.join_clicked(kept))

    def greet_once(self, client: WebClient, team_id: str, user_id: str) -> None:
        """The first time someone ever opens the bot's Messages tab: what the program is,
        with a Join button. Nothing starts, and nobody is greeted twice."""
        self.sync_person(client, team_id, user_id)
        offer = uc.greet_once(self.mentor.db, team_id, user_id, self.mentor.clock)
        if offer is not None:
            self._post_offer(client, team_id, user_id, offer)

    def _post_offer(
        self, client: WebClient, team_id: str, user_id: str, offer: uc.JoinOffer
    ) -> None:
        """Post a Join offer; an earlier one loses its button (only one is live)."""
        payload = views.join_offer(name=offer.name, program=offer.program, left=offer.left)
        at = slack_io.post_dm(client, user_id, payload)
        channel, ts = uc.record_offer(self.mentor.db, team_id, user_id, at, self.mentor.clock)
        if channel and ts and ts != at[1]:
            slack_io.update_message(client, channel, ts, views.superseded())

    def offer_join(self, client: WebClient, team_id: str, user_id: str, text: str) -> None:
        """A DM from someone who does not take part (new, or left): a question is answered;
        saying they want to join starts onboarding; anything else gets what the program is
        and a Join button. Nothing starts unasked."""
        hooks = self.mentor.hooks
        if wants_to_join(text):
            self.start(client, team_id, user_id, explicit=True)
            return
        if looks_like_question(text) and (
            hooks.aside(client, team_id, user_id, text) or hooks.dm(client, team_id, user_id, text)
        ):
            return
        self.sync_person(client, team_id, user_id)
        self._post_offer(
            client,
            team_id,
            user_id,
            uc.join_offer(self.mentor.db, team_id, user_id, self.mentor.clock),
        )

    def post_prompt(
        self,
        client: WebClient,
        team_id: str,
        user_id: str,
        snapshot: Snapshot,
        *,
        supersede: uc.PromptAt = (None, None),
    ) -> None:
        """Post the current question (`supersede`: an earlier copy of it, which loses its
        buttons so only one copy can be answered)."""
        conversation = snapshot.conversation
        assert conversation is not None
        payload = views.prompt(
            conversation, name=snapshot.name, program=snapshot.program, settings=snapshot.settings
        )
        channel, ts = slack_io.post_dm(client, user_id, payload)
        uc.record_prompt(self.mentor.db, conversation.id, conversation.version, channel, ts)
        old_channel, old_ts = supersede
        if old_channel and old_ts and old_ts != ts:
            slack_io.update_message(client, old_channel, old_ts, views.superseded())

    def _ask_in_place(self, client: WebClient, answered: uc.Answered, after: str) -> bool:
        """Ask the next question in the message that asked the one just clicked (it is still
        the last thing in the DM), with the answer as its ✓ line. False: post it instead."""
        snapshot, (channel, ts) = answered.snapshot, answered.prompt_at
        conversation = snapshot.conversation
        if conversation is None or not channel or not ts:
            return False
        lines = (*answered.prompt_lines, after)
        payload = views.prompt(
            conversation,
            name=snapshot.name,
            program=snapshot.program,
            settings=snapshot.settings,
            after=lines,
        )
        if not slack_io.update_message(client, channel, ts, payload):
            return False
        uc.record_prompt(self.mentor.db, conversation.id, conversation.version, channel, ts, lines)
        return True

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
        answered = uc.answer_button(
            self.mentor.db,
            team_id,
            user_id,
            self.mentor.clock,
            token=token,
            value=value,
            typed=typed,
        )
        if answered is not None:
            self._after(client, team_id, user_id, answered)

    def on_text(self, client: WebClient, team_id: str, user_id: str, text: str) -> bool:
        """A DM typed by someone in onboarding. False when no onboarding is running."""
        answered = uc.answer_typed(self.mentor.db, team_id, user_id, text, self.mentor.clock)
        if answered is None:
            return False
        self._after(client, team_id, user_id, answered, typed=text)
        return True

    def _not_applied(
        self, client: WebClient, team_id: str, user_id: str, result: ob.StepResult, typed: str
    ) -> None:
        """Typed text that answered nothing: a question is answered (the FAQ's answer, its
        "did you mean", or the offer to ask a coordinator) and the step waits; anything else
        gets a hint."""
        hooks = self.mentor.hooks
        uc.bury_prompt(self.mentor.db, result.conversation.id)  # a reply goes below it
        if result.outcome == "question" and (
            hooks.aside(client, team_id, user_id, typed)
            or hooks.dm(client, team_id, user_id, typed)
        ):
            slack_io.post_dm(client, user_id, views.hint("after_aside"))
            return
        if result.outcome == "expects_button" and hooks.aside(client, team_id, user_id, typed):
            slack_io.post_dm(client, user_id, views.hint("after_aside"))
            return
        kind = "text" if result.outcome == "expects_text" else "button"
        slack_io.post_dm(client, user_id, views.hint(kind))

    def _after(
        self,
        client: WebClient,
        team_id: str,
        user_id: str,
        answered: uc.Answered,
        typed: str | None = None,
    ) -> None:
        result, snapshot = answered.result, answered.snapshot
        if result.outcome == "stale":
            logger.info("stale onboarding answer ignored (conversation %s)", result.conversation.id)
            return
        if result.outcome in ("expects_button", "expects_text", "question"):
            self._not_applied(client, team_id, user_id, result, typed or "")
            return
        if result.outcome == "invalid":
            uc.bury_prompt(self.mentor.db, result.conversation.id)
            slack_io.post_dm(client, user_id, views.hint("invalid", result.error))
            return
        form = ob.draft_form(result.conversation)
        channel, ts = answered.prompt_at
        if result.conversation.step == ob.DONE:
            if channel and ts:
                slack_io.update_message(
                    client, channel, ts, views.confirmed(form, name=snapshot.name)
                )
            else:
                slack_io.post_dm(client, user_id, views.done(form, name=snapshot.name))
            self.publish_home(client, team_id, user_id)
            self.mentor.hooks.profile_confirmed(
                client, team_id, user_id, result.conversation.program_id
            )
            return
        step = result.answered_step
        in_place = answered.prompt_is_last and typed is None and step not in (None, ob.REVIEW)
        if (
            in_place
            and step
            and self._ask_in_place(client, answered, views.answer_line(step, form))
        ):
            return
        if channel and ts and step:
            payload = (
                views.answered(step, form, answered.prompt_lines)
                if step != ob.REVIEW
                else views.reviewed(form)
            )
            slack_io.update_message(client, channel, ts, payload)
        self.post_prompt(client, team_id, user_id, snapshot)

    def confirm(self, client: WebClient, team_id: str, user_id: str, token: dict[str, Any]) -> None:
        answered = uc.confirm_profile(
            self.mentor.db, team_id, user_id, self.mentor.clock, token=token
        )
        if answered is not None:
            self._after(client, team_id, user_id, answered)

    # --- editing ---------------------------------------------------------------------------
    def profile_command(
        self, client: WebClient, team_id: str, user_id: str, trigger_id: str, args: str
    ) -> dict[str, Any] | None:
        """`/mentoring profile [--program NAME]`. Someone in several programs is asked which
        profile to edit unless they name one; a name that is not one of their programs is
        answered with their programs. Returns the private reply to show, else None (the
        profile modal, or onboarding, was opened)."""
        name = program_option(args)
        choice = uc.profile_to_edit(self.mentor.db, team_id, user_id, name)
        if choice.status == "not_yours" and name is not None:
            return views.not_your_program(name, [n for _, n in choice.programs])
        if choice.status == "choose":
            return views.choose_profile(choice.programs)
        self.open_editor(client, team_id, user_id, trigger_id, program_id=choice.program_id)
        return None

    def profile_chosen(
        self, client: WebClient, team_id: str, user_id: str, trigger_id: str, program_id: object
    ) -> tuple[dict[str, Any], bool]:
        """A button of the profile chooser: open that program's profile, if the person takes
        part in it (the id is checked against the clicker's own programs). What to show, and
        whether it replaces the chooser (a refusal is a new private note)."""
        name = uc.chosen_profile(self.mentor.db, team_id, user_id, program_id)
        if name is None or not isinstance(program_id, int):
            logger.warning("a profile button for a program the clicker is not in was refused")
            return views.profile_program_unavailable(), False
        self.open_editor(client, team_id, user_id, trigger_id, program_id=program_id)
        return views.profile_program_chosen(name), True

    def open_editor(
        self,
        client: WebClient,
        team_id: str,
        user_id: str,
        trigger_id: str,
        token: dict[str, Any] | None = None,
        *,
        program_id: int | None = None,
    ) -> None:
        """Open the profile modal of `program_id` (checked to be the workspace's), else of
        the current program: over the onboarding draft while reviewing, else over the
        confirmed profile. Someone not in the program is started on onboarding instead."""
        editor = uc.profile_editor(
            self.mentor.db, team_id, user_id, self.mentor.clock, program_id=program_id
        )
        if editor is None:
            self.start(client, team_id, user_id, explicit=True, program_id=program_id)
            return
        client.views_open(
            trigger_id=trigger_id,
            view=profile_views.profile_modal(
                editor.form, editor.settings, json.dumps(editor.metadata), program=editor.title
            ),
        )

    def submit_editor(
        self, team_id: str, user_id: str, view: dict[str, Any]
    ) -> tuple[dict[str, str] | None, Callable[[WebClient], None] | None]:
        """Validate and save the modal before it is answered (so it is kept short).

        Returns (block errors for the modal, None) or (None, the follow-up to run once the
        modal has been answered: redraw the playback, or confirm the saved profile)."""
        values = view_values(view)
        edit = uc.save_profile_edit(
            self.mentor.db,
            team_id,
            user_id,
            self.mentor.clock,
            metadata=view_metadata(view),
            read_form=lambda settings: profile_views.form_from_state(values, settings),
        )
        if edit.status == "unreadable":
            return edit.errors, None
        if edit.status == "invalid":
            return profile_views.block_errors(edit.errors or {}), None
        if edit.status == "refused":
            logger.warning("a profile modal for someone else's profile was refused")
        if edit.status == "draft" and edit.answered is not None:
            answered = edit.answered
            return None, lambda client: self._redraw_review(client, user_id, answered)
        if edit.status == "saved" and edit.form is not None:
            form, program_id = edit.form, edit.program_id

            def confirm_saved(client: WebClient) -> None:
                slack_io.post_dm(client, user_id, views.profile_saved(form))
                self.publish_home(client, team_id, user_id)
                self.mentor.hooks.profile_confirmed(client, team_id, user_id, program_id)

            return None, confirm_saved
        return None, None

    def _redraw_review(self, client: WebClient, user_id: str, answered: uc.Answered) -> None:
        channel, ts = answered.prompt_at
        payload = views.review(answered.result.conversation)
        if channel and ts and slack_io.update_message(client, channel, ts, payload):
            return
        assert answered.snapshot.conversation is not None
        self.post_prompt(client, "", user_id, answered.snapshot)

    # --- App Home --------------------------------------------------------------------------
    def home_state(self, team_id: str, user_id: str) -> home_views.HomeState:
        home = uc.home(self.mentor.db, team_id, user_id, self.mentor.clock)
        current = home.current
        return home_views.HomeState(
            program=current.program,
            status=current.status,
            programs=[
                home_views.ProgramHome(
                    program_id=p.program_id, program=p.program, status=p.status, **_profile(p)
                )
                for p in home.programs
            ],
            **_profile(current),
        )

    def publish_home(self, client: WebClient, team_id: str, user_id: str) -> None:
        state = self.home_state(team_id, user_id)
        for program in state.programs:
            program.sections = self.mentor.hooks.program_home_sections(
                team_id, user_id, program.program_id
            )
        state.sections = self.mentor.hooks.home_sections(team_id, user_id)
        client.views_publish(user_id=user_id, view=home_views.home_view(state))


def _profile(standing: uc.Standing) -> dict[str, Any]:
    """The profile fields of a program's standing, as the Home tab's state takes them."""
    return {
        "is_mentee": standing.is_mentee,
        "is_mentor": standing.is_mentor,
        "goals": list(standing.goals),
        "areas": list(standing.areas),
        "capacity": standing.capacity,
    }
