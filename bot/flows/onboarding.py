"""The onboarding conversation in Slack: posts each step's question in the DM, applies the
answers through `core.onboarding.service` (one transaction each) and keeps the DM tidy by turning an
answered question into its answer."""

from __future__ import annotations

import json
import logging
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient

from bot.platform import slack_io
from bot.platform.blocks import view_metadata, view_values
from bot.views import home as home_views
from bot.views import onboarding as views
from bot.views import people as profile_views
from core.kernel.texts import mrkdwn
from core.onboarding import service as ob
from core.onboarding.models import Conversation
from core.people.directory import find_person, upsert_person
from core.people.models import STATUS_ACTIVE, STATUS_LEFT, Participation, Person
from core.people.profiles import ProfileForm, ProfileInvalid, competency_name, save_profile
from core.programs.models import Program
from core.programs.service import (
    default_program,
    program_in_workspace,
    program_named,
    program_settings,
    taking_part,
    workspace_programs,
)
from core.programs.settings import ProgramSettings

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


@dataclass
class Snapshot:
    """What a flow needs after its transaction has committed (no live ORM objects)."""

    person_id: int
    name: str
    program: str
    settings: ProgramSettings
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
        """Does the person take part in any of the workspace's programs?"""
        with self.mentor.db.transaction() as session:
            person = self._person(session, team_id, user_id, create=False)
            return bool(taking_part(session, person))

    # --- which program ---------------------------------------------------------------------
    def _current_program(self, session: Any, team_id: str, person: Person | None) -> Program:
        """The program someone's Home tab and profile are about: the one whose onboarding is
        under way, else the one they take part in (the default first), else the default."""
        conversation = ob.unfinished_conversation(session, person) if person else None
        if conversation is not None:
            return _program(session, conversation)
        mine = taking_part(session, person)
        return mine[0] if mine else default_program(session, team_id, self.mentor.clock)

    def _program_to_join(
        self, session: Any, team_id: str, person: Person, *, explicit: bool
    ) -> Program | list[Program] | None:
        """Which program a Join with no program named is about: the onboarding under way;
        else the only program; else, when asked explicitly, the programs to choose from (those
        the person has not joined yet). None: nothing to do."""
        conversation = ob.unfinished_conversation(session, person)
        if conversation is not None:
            return _program(session, conversation)
        default = default_program(session, team_id, self.mentor.clock)
        programs = workspace_programs(session, team_id)
        if len(programs) <= 1:
            return default
        if not explicit:
            return None  # several programs: the Home tab's Join button asks which
        joined = {
            p.program_id for p in person.participations if p.status != STATUS_LEFT and p.confirmed
        }
        open_programs = [p for p in programs if p.id not in joined]
        if not open_programs:
            return taking_part(session, person)[0]  # in every program: "already set up"
        return open_programs

    def join(self, client: WebClient, team_id: str, user_id: str, token: dict[str, Any]) -> bool:
        """A Join button: the App Home's (no program: `start` decides), an invitation's or
        the program chooser's. The program it names is looked up in the clicker's workspace
        only; one that is not there is refused kindly and nothing is written. False then."""
        program_id, name = token.get("p"), token.get("n")
        if program_id is None and name is None:
            self.start(client, team_id, user_id, explicit=True)
            return True
        with self.mentor.db.transaction() as session:
            program = (
                program_in_workspace(session, team_id, program_id)
                if program_id is not None
                else program_named(session, team_id, name)
            )
            found = program.id if program is not None else None
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
        with self.mentor.db.transaction() as session:
            program = program_named(session, team_id, name)
            if program is not None:
                return program.id, None
            names = [p.name for p in workspace_programs(session, team_id)]
        return None, mrkdwn("onboarding.unknown_program", name=name, programs=names)

    # --- starting --------------------------------------------------------------------------
    def start(
        self,
        client: WebClient,
        team_id: str,
        user_id: str,
        *,
        explicit: bool,
        program_id: int | None = None,
    ) -> None:
        """Start (or resume) onboarding in `program_id` (already checked to be one of the
        workspace's), or when none is given in the program `_program_to_join` picks (or ask
        which). `explicit` when the person asked to join: then an existing conversation's
        current question is shown again, and a finished one says so."""
        self.sync_person(client, team_id, user_id)
        clock = self.mentor.clock
        with self.mentor.db.transaction() as session:
            person = self._person(session, team_id, user_id)
            chosen = (
                program_in_workspace(session, team_id, program_id)
                if program_id is not None
                else self._program_to_join(session, team_id, person, explicit=explicit)
            )
            if chosen is None:
                return
            if isinstance(chosen, list):
                choices = [(p.id, p.name) for p in chosen]
                snapshot = None
            else:
                program = chosen
                several = len(workspace_programs(session, team_id)) > 1
                participation = ob.find_participation(session, person, program)
                restart = participation is not None and participation.status == STATUS_LEFT
                if participation is not None and participation.confirmed and not restart:
                    # Already has a profile (confirmed here, or imported by a coordinator).
                    snapshot = self._snapshot(session, person, program, None)
                    started = False
                else:
                    conversation, started = ob.start(
                        session, person, program, clock, restart=restart
                    )
                    snapshot = self._snapshot(session, person, program, conversation)
        if snapshot is None:
            slack_io.post_dm(client, user_id, views.choose_program(choices))
            return
        if snapshot.confirmed and not started:
            if explicit:
                slack_io.post_dm(
                    client,
                    user_id,
                    views.already_in_program(snapshot.program) if several else views.already_done(),
                )
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
            person = self._person(session, team_id, user_id, create=False)
            conversation = ob.unfinished_conversation(session, person) if person else None
            if person is None or conversation is None:
                return False
            program = _program(session, conversation)
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
            self.mentor.hooks.profile_confirmed(
                client, team_id, user_id, result.conversation.program_id
            )
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
    def profile_command(
        self, client: WebClient, team_id: str, user_id: str, trigger_id: str, args: str
    ) -> dict[str, Any] | None:
        """`/mentoring profile [--program NAME]`. Someone in several programs is asked which
        profile to edit unless they name one; a name that is not one of their programs is
        answered with their programs. Returns the private reply to show, else None (the
        profile modal, or onboarding, was opened)."""
        name = program_option(args)
        with self.mentor.db.transaction() as session:
            person = self._person(session, team_id, user_id, create=False)
            mine = taking_part(session, person)
            program_id: int | None = None
            if name is not None:
                chosen = next((p for p in mine if p.name.lower() == name.lower()), None)
                if chosen is None:
                    return views.not_your_program(name, [p.name for p in mine])
                program_id = chosen.id
            elif len(mine) > 1:
                return views.choose_profile([(p.id, p.name) for p in mine])
        self.open_editor(client, team_id, user_id, trigger_id, program_id=program_id)
        return None

    def profile_chosen(
        self, client: WebClient, team_id: str, user_id: str, trigger_id: str, program_id: object
    ) -> tuple[dict[str, Any], bool]:
        """A button of the profile chooser: open that program's profile, if the person takes
        part in it (the id is checked against the clicker's own programs). What to show, and
        whether it replaces the chooser (a refusal is a new private note)."""
        with self.mentor.db.transaction() as session:
            person = self._person(session, team_id, user_id, create=False)
            mine = {p.id: p.name for p in taking_part(session, person)}
        if (
            not isinstance(program_id, int)
            or isinstance(program_id, bool)
            or program_id not in mine
        ):
            logger.warning("a profile button for a program the clicker is not in was refused")
            return views.profile_program_unavailable(), False
        self.open_editor(client, team_id, user_id, trigger_id, program_id=program_id)
        return views.profile_program_chosen(mine[program_id]), True

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
        with self.mentor.db.transaction() as session:
            person = self._person(session, team_id, user_id)
            program = (
                program_in_workspace(session, team_id, program_id)
                if program_id is not None
                else None
            ) or self._current_program(session, team_id, person)
            several = len(taking_part(session, person)) > 1
            title = program.name if several else None
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
            self.start(client, team_id, user_id, explicit=True, program_id=program_id)
            return
        client.views_open(
            trigger_id=trigger_id,
            view=profile_views.profile_modal(form, settings, json.dumps(metadata), program=title),
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
            program = _edited_program(session, team_id, metadata) or default_program(
                session, team_id, clock
            )
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

                    program_id = participation.program_id

                    def confirm_saved(client: WebClient) -> None:
                        slack_io.post_dm(client, user_id, views.profile_saved(form))
                        self.publish_home(client, team_id, user_id)
                        self.mentor.hooks.profile_confirmed(client, team_id, user_id, program_id)

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
            person = self._person(session, team_id, user_id, create=False)
            program = self._current_program(session, team_id, person)
            mine = taking_part(session, person)
            if person is not None and len(mine) > 1:
                return home_views.HomeState(
                    program=program.name,
                    status="several",
                    programs=[_program_home(session, person, p) for p in mine],
                )
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
        for program in state.programs:
            program.sections = self.mentor.hooks.program_home_sections(
                team_id, user_id, program.program_id
            )
        state.sections = self.mentor.hooks.home_sections(team_id, user_id)
        client.views_publish(user_id=user_id, view=home_views.home_view(state))


def _program_home(session: Any, person: Person, program: Program) -> home_views.ProgramHome:
    """One program's status on the Home tab of someone in several programs."""
    participation = ob.find_participation(session, person, program)
    home = home_views.ProgramHome(program_id=program.id, program=program.name, status="onboarding")
    if participation is not None and participation.confirmed:
        home.status = "active"
        home.is_mentee, home.is_mentor = participation.is_mentee, participation.is_mentor
        home.goals = [competency_name(g.competency_id) for g in participation.goals]
        home.areas = [competency_name(e.competency_id) for e in participation.expertise]
        home.capacity = participation.capacity
    return home


def _program(session: Any, conversation: Conversation) -> Program:
    program = session.get(Program, conversation.program_id)
    assert program is not None
    return program


def _edited_program(session: Any, team_id: str, metadata: dict[str, Any]) -> Program | None:
    """The program of the draft or profile a profile modal edits (its settings apply);
    whose it is is checked before anything is saved."""
    row: Conversation | Participation | None = None
    if metadata.get("mode") == "draft" and isinstance(metadata.get("c"), int):
        row = session.get(Conversation, metadata["c"])
    elif metadata.get("mode") == "profile" and isinstance(metadata.get("p"), int):
        row = session.get(Participation, metadata["p"])
    return program_in_workspace(session, team_id, row.program_id) if row is not None else None


def _own_conversation(session: Any, person: Person, conversation_id: Any) -> Conversation | None:
    """The conversation a button points at, only if it belongs to the person who clicked."""
    if not isinstance(conversation_id, int):
        return None
    conversation = session.get(Conversation, conversation_id)
    if conversation is None or conversation.person_id != person.id:
        return None
    return conversation
