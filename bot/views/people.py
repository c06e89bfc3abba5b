"""The profile modal: every field of a mentoring profile, prefilled, in one form."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.platform import ids
from bot.platform.blocks import (
    Block,
    context,
    divider,
    input_block,
    modal,
    multi_select,
    radio_buttons,
    section,
    static_select,
    text_input,
)
from bot.views.onboarding import competency_groups, format_label, language_options, priority_label
from core.kernel.texts import mrkdwn, plain
from core.people.profiles import NOTES_MAX_CHARS, SUCCESS_MAX_CHARS, GoalInput, ProfileForm
from core.programs.settings import ProgramSettings

ROLE_BLOCK = "profile_role"
EXPERTISE_BLOCK = "profile_expertise"
CAPACITY_BLOCK = "profile_capacity"
FORMAT_BLOCK = "profile_format"
LANGUAGES_BLOCK = "profile_languages"
NOTES_BLOCK = "profile_notes"


def goal_block(n: int) -> str:
    return f"profile_goal_{n}"


def success_block(n: int) -> str:
    return f"profile_success_{n}"


def priority_block(n: int) -> str:
    return f"profile_priority_{n}"


def profile_modal(
    form: ProfileForm,
    settings: ProgramSettings,
    private_metadata: str,
    *,
    program: str | None = None,
) -> dict[str, Any]:
    """The profile form. `program` names the program whose profile it is, for someone who
    takes part in several."""
    blocks: list[Block] = [
        _role_input(form),
        divider(),
        section(mrkdwn("profile.modal.mentee_section")),
        context(mrkdwn("profile.modal.optional_hint")),
    ]
    for n in range(settings.max_goals):
        goal = form.goals[n] if n < len(form.goals) else GoalInput("")
        blocks += _goal_inputs(n, goal)
    blocks += [divider(), section(mrkdwn("profile.modal.mentor_section"))]
    blocks += _mentor_inputs(form, settings.max_mentor_capacity)
    blocks += [divider(), *_preference_inputs(form)]
    if program is not None:
        blocks.insert(0, context(mrkdwn("profile.modal.program", program=program)))
    return modal(ids.PROFILE_MODAL, "profile.modal", private_metadata, blocks)


def _role_input(form: ProfileForm) -> Block:
    return input_block(
        plain("profile.modal.role"),
        radio_buttons(
            ids.PROFILE_ROLE,
            [(plain(f"onboarding.role.{r}"), r) for r in ("mentee", "mentor", "both")],
            initial=form.role,
        ),
        block_id=ROLE_BLOCK,
    )


def _goal_inputs(n: int, goal: GoalInput) -> list[Block]:
    """The three optional inputs of goal `n`: competency, what success means, priority."""
    return [
        input_block(
            plain("profile.modal.goal", number=n + 1),
            static_select(
                ids.PROFILE_GOAL.format(n=n),
                plain("profile.modal.goal_placeholder"),
                groups=competency_groups(),
                initial=goal.competency_id or None,
            ),
            block_id=goal_block(n),
            optional=True,
        ),
        input_block(
            plain("profile.modal.success", number=n + 1),
            text_input(
                ids.PROFILE_SUCCESS.format(n=n),
                initial=goal.success,
                multiline=True,
                max_length=SUCCESS_MAX_CHARS,
            ),
            block_id=success_block(n),
            optional=True,
        ),
        input_block(
            plain("profile.modal.priority", number=n + 1),
            static_select(
                ids.PROFILE_PRIORITY.format(n=n),
                plain("profile.modal.priority", number=n + 1),
                options=[(priority_label(p), str(p)) for p in (1, 2, 3)],
                initial=str(goal.priority) if goal.priority else None,
            ),
            block_id=priority_block(n),
            optional=True,
        ),
    ]


def _mentor_inputs(form: ProfileForm, max_capacity: int) -> list[Block]:
    """The mentor section's inputs: expertise and capacity."""
    return [
        input_block(
            plain("profile.modal.expertise"),
            multi_select(
                ids.PROFILE_EXPERTISE,
                plain("onboarding.expertise.placeholder"),
                groups=competency_groups(),
                initial=form.expertise,
                max_selected=10,
            ),
            block_id=EXPERTISE_BLOCK,
            optional=True,
        ),
        input_block(
            plain("profile.modal.capacity"),
            static_select(
                ids.PROFILE_CAPACITY,
                plain("profile.modal.capacity"),
                options=[(str(n), str(n)) for n in range(1, max_capacity + 1)],
                initial=str(form.capacity) if form.capacity else None,
            ),
            block_id=CAPACITY_BLOCK,
            optional=True,
        ),
    ]


def _preference_inputs(form: ProfileForm) -> list[Block]:
    """The inputs for everyone: meeting format, languages, notes."""
    return [
        input_block(
            plain("profile.modal.format"),
            radio_buttons(
                ids.PROFILE_FORMAT,
                [(format_label(f), f) for f in ("remote", "in_person", "either")],
                initial=form.meeting_format or "either",
            ),
            block_id=FORMAT_BLOCK,
        ),
        input_block(
            plain("profile.modal.languages"),
            multi_select(
                ids.PROFILE_LANGUAGES,
                plain("onboarding.languages.placeholder"),
                options=language_options(),
                initial=form.languages,
            ),
            block_id=LANGUAGES_BLOCK,
            optional=True,
        ),
        input_block(
            plain("profile.modal.notes"),
            text_input(
                ids.PROFILE_NOTES, initial=form.notes, multiline=True, max_length=NOTES_MAX_CHARS
            ),
            block_id=NOTES_BLOCK,
            optional=True,
        ),
    ]


def _selected(values: Mapping[str, Any], block_id: str, action_id: str) -> Any:
    return (values.get(block_id) or {}).get(action_id) or {}


def form_from_state(
    values: Mapping[str, Any], settings: ProgramSettings
) -> tuple[ProfileForm, dict[str, str]]:
    """Read the submitted modal back into a form. Returns the form and block-level errors for
    fields that only make sense together (a success text or priority without a goal)."""
    errors: dict[str, str] = {}
    role = (_selected(values, ROLE_BLOCK, ids.PROFILE_ROLE).get("selected_option") or {}).get(
        "value"
    )
    goals: list[GoalInput] = []
    for n in range(settings.max_goals):
        goal_id = (
            _selected(values, goal_block(n), ids.PROFILE_GOAL.format(n=n)).get("selected_option")
            or {}
        ).get("value")
        success = _selected(values, success_block(n), ids.PROFILE_SUCCESS.format(n=n)).get("value")
        priority = (
            _selected(values, priority_block(n), ids.PROFILE_PRIORITY.format(n=n)).get(
                "selected_option"
            )
            or {}
        ).get("value")
        if goal_id:
            goals.append(
                GoalInput(
                    goal_id, (success or "").strip() or None, int(priority) if priority else 2
                )
            )
    expertise = [
        o["value"]
        for o in _selected(values, EXPERTISE_BLOCK, ids.PROFILE_EXPERTISE).get("selected_options")
        or []
    ]
    capacity_value = (
        _selected(values, CAPACITY_BLOCK, ids.PROFILE_CAPACITY).get("selected_option") or {}
    ).get("value")
    meeting_format = (
        _selected(values, FORMAT_BLOCK, ids.PROFILE_FORMAT).get("selected_option") or {}
    ).get("value")
    langs = [
        o["value"]
        for o in _selected(values, LANGUAGES_BLOCK, ids.PROFILE_LANGUAGES).get("selected_options")
        or []
    ]
    notes = _selected(values, NOTES_BLOCK, ids.PROFILE_NOTES).get("value")
    form = ProfileForm(
        role=role,
        goals=goals,
        expertise=expertise,
        capacity=int(capacity_value)
        if capacity_value
        else (1 if role in ("mentor", "both") else None),
        meeting_format=meeting_format or "either",
        languages=langs,
        notes=(notes or "").strip() or None,
        confidentiality_ack=True,
    )
    return form, errors


# Which modal block shows an error for each profile field.
FIELD_BLOCKS = {
    "role": ROLE_BLOCK,
    "goals": goal_block(0),
    "expertise": EXPERTISE_BLOCK,
    "capacity": CAPACITY_BLOCK,
    "meeting_format": FORMAT_BLOCK,
    "languages": LANGUAGES_BLOCK,
    "notes": NOTES_BLOCK,
}


def block_errors(errors: Mapping[str, str]) -> dict[str, str]:
    """Map profile field errors to the modal's block ids (for response_action: errors)."""
    result: dict[str, str] = {}
    for field, text in errors.items():
        if field.startswith("goal_"):
            block = goal_block(int(field.split("_")[1]))
        elif field.startswith("success_"):
            block = success_block(int(field.split("_")[1]))
        elif field.startswith("priority_"):
            block = priority_block(int(field.split("_")[1]))
        else:
            block = FIELD_BLOCKS.get(field, ROLE_BLOCK)
        result.setdefault(block, text)
    return result


def saved_message_text() -> str:
    return mrkdwn("profile.saved")


__all__ = ["profile_modal", "form_from_state", "block_errors", "priority_label", "format_label"]
