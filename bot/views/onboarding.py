"""The onboarding conversation's messages: one prompt per step, the answered version of each
prompt, the playback of the whole profile, and the closing message."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.platform import ids
from bot.platform.blocks import (
    Block,
    actions,
    button,
    context,
    encode_value,
    header,
    message,
    multi_select,
    note,
    section,
    text_message,
)
from core.kernel.texts import mrkdwn, plain
from core.onboarding import service as ob
from core.onboarding.models import Conversation
from core.people.profiles import (
    NOTES_MAX_CHARS,
    SUCCESS_MAX_CHARS,
    ProfileForm,
    competency_name,
    languages,
    ordered_goals,
    taxonomy,
)
from core.programs.settings import ProgramSettings


def competency_groups() -> list[tuple[str, list[tuple[str, str]]]]:
    tax = taxonomy()
    return [(g.name, [(c.name, c.id) for c in g.competencies]) for g in tax.groups]


def language_options() -> list[tuple[str, str]]:
    return [(name, code) for code, name in languages().items()]


def priority_label(priority: int | None) -> str:
    return plain(f"onboarding.priority.{priority or 2}")


def format_label(meeting_format: str | None) -> str:
    return plain(f"onboarding.format.{meeting_format or 'either'}")


def role_label(role: str | None) -> str:
    return plain(f"onboarding.role.{role or 'mentee'}")


def _value(conversation: Conversation, value: Any = None) -> str:
    return encode_value(c=conversation.id, v=conversation.version, s=conversation.step, x=value)


@dataclass(frozen=True)
class _Asking:
    """What a step's prompt is drawn from."""

    conversation: Conversation
    form: ProfileForm
    index: int  # which goal, for the per-goal steps
    settings: ProgramSettings
    name: str
    program: str


def first_name(name: str) -> str:
    """How a person is addressed: by the first word of their name."""
    return (name or "").split()[0] if (name or "").strip() else name


def prompt(
    conversation: Conversation,
    *,
    name: str,
    program: str,
    settings: ProgramSettings,
    after: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The message that asks the current step's question (`after`: the ✓ lines of the
    answers given in this same message, when it replaces the questions answered there)."""
    form = ob.draft_form(conversation)
    step = ob.step_name(conversation.step)
    if step == ob.REVIEW:
        return review(conversation, after=after)
    ask = _PROMPTS.get(step)
    if ask is None:
        return confirmed(form, name=name)
    index = ob.step_index(conversation.step)
    where = ob.progress(conversation)
    text, blocks = ask(_Asking(conversation, form, index, settings, first_name(name), program))
    blocks.append(
        context(
            plain(
                "onboarding.progress",
                number=where.number,
                total=where.total,
                part=where.part,
                parts=where.parts,
            )
        )
    )
    return message(text, [*_ticks(after), *blocks])


def _ticks(lines: tuple[str, ...]) -> list[Block]:
    """The answers already given in a message, one ✓ line each."""
    return [context(f"✓ {line}") for line in lines]


# Each step's question: (the message's text, its blocks).
def _asked(
    text: str, elements: list[Block], block_id: str | None = None
) -> tuple[str, list[Block]]:
    """A question and the controls that answer it."""
    return text, [section(text), actions(elements, block_id=block_id)]


def _choices(a: _Asking, action_id: str, choices: list[tuple[str, Any]]) -> list[Block]:
    """One button per (label, value); each button's action id ends in its value."""
    return [
        button(label, f"{action_id}.{value}", _value(a.conversation, value))
        for label, value in choices
    ]


def _picked(a: _Asking, step: str, text: str, select: Block) -> tuple[str, list[Block]]:
    """A multi-select step: its block id carries the conversation (a selection sends no value)."""
    return _asked(text, [select], f"onboarding.{step}.{_value(a.conversation)}"[:255])


def _ask_role(a: _Asking) -> tuple[str, list[Block]]:
    roles = [(plain(f"onboarding.role.{r}"), r) for r in ("mentee", "mentor", "both")]
    text, blocks = _asked(
        mrkdwn("onboarding.role.question"),
        _choices(a, ids.ONBOARDING_ROLE, roles),
        "onboarding.role",
    )
    welcome = section(mrkdwn("onboarding.welcome", name=a.name, program=a.program))
    return text, [welcome, *blocks]


def _ask_goals(a: _Asking) -> tuple[str, list[Block]]:
    limit = a.settings.max_goals
    return _picked(
        a,
        "goals",
        mrkdwn("onboarding.goals.question", limit=limit),
        multi_select(
            ids.ONBOARDING_GOALS,
            plain("onboarding.goals.placeholder", limit=limit),
            groups=competency_groups(),
            initial=[g.competency_id for g in a.form.goals],
            max_selected=limit,
        ),
    )


def _ask_goal_success(a: _Asking) -> tuple[str, list[Block]]:
    goal = competency_name(a.form.goals[a.index].competency_id)
    text = mrkdwn("onboarding.goal_success.question", goal=goal, limit=SUCCESS_MAX_CHARS)
    return text, [section(text)]


def _ask_goal_priority(a: _Asking) -> tuple[str, list[Block]]:
    goal = competency_name(a.form.goals[a.index].competency_id)
    priorities = [(priority_label(p), p) for p in (1, 2, 3)]
    return _asked(
        mrkdwn("onboarding.goal_priority.question", goal=goal),
        _choices(a, ids.ONBOARDING_PRIORITY, priorities),
    )


def _ask_expertise(a: _Asking) -> tuple[str, list[Block]]:
    return _picked(
        a,
        "expertise",
        mrkdwn("onboarding.expertise.question"),
        multi_select(
            ids.ONBOARDING_EXPERTISE,
            plain("onboarding.expertise.placeholder"),
            groups=competency_groups(),
            initial=a.form.expertise,
            max_selected=10,
        ),
    )


def _ask_capacity(a: _Asking) -> tuple[str, list[Block]]:
    counts = [(str(n), n) for n in range(1, a.settings.max_mentor_capacity + 1)]
    return _asked(
        mrkdwn("onboarding.capacity.question"), _choices(a, ids.ONBOARDING_CAPACITY, counts)
    )


def _ask_format(a: _Asking) -> tuple[str, list[Block]]:
    formats = [(format_label(f), f) for f in ("remote", "in_person", "either")]
    return _asked(mrkdwn("onboarding.format.question"), _choices(a, ids.ONBOARDING_FORMAT, formats))


def _ask_languages(a: _Asking) -> tuple[str, list[Block]]:
    return _picked(
        a,
        "languages",
        mrkdwn("onboarding.languages.question"),
        multi_select(
            ids.ONBOARDING_LANGUAGES,
            plain("onboarding.languages.placeholder"),
            options=language_options(),
            initial=a.form.languages,
        ),
    )


def _ask_notes(a: _Asking) -> tuple[str, list[Block]]:
    skip = button(plain("onboarding.notes.skip"), ids.ONBOARDING_NOTES_SKIP, _value(a.conversation))
    return _asked(mrkdwn("onboarding.notes.question", limit=NOTES_MAX_CHARS), [skip])


def _ask_confidentiality(a: _Asking) -> tuple[str, list[Block]]:
    ack = button(
        plain("onboarding.confidentiality.ack"),
        ids.ONBOARDING_CONFIDENTIALITY,
        _value(a.conversation, True),
        style="primary",
    )
    text = mrkdwn("onboarding.confidentiality.question", is_mentee=a.form.is_mentee)
    return _asked(text, [ack])


_PROMPTS: dict[str, Callable[[_Asking], tuple[str, list[Block]]]] = {
    ob.ROLE: _ask_role,
    ob.GOALS: _ask_goals,
    ob.GOAL_SUCCESS: _ask_goal_success,
    ob.GOAL_PRIORITY: _ask_goal_priority,
    ob.EXPERTISE: _ask_expertise,
    ob.CAPACITY: _ask_capacity,
    ob.FORMAT: _ask_format,
    ob.LANGUAGES: _ask_languages,
    ob.NOTES: _ask_notes,
    ob.CONFIDENTIALITY: _ask_confidentiality,
}


def answered(step: str, form: ProfileForm, before: tuple[str, ...] = ()) -> dict[str, Any]:
    """What an answered prompt turns into: a one-line ✓ of the answer (after those of the
    answers given earlier in the same message), no buttons left."""
    text = answer_line(step, form)
    return message(text, _ticks((*before, text)))


def answer_line(step: str, form: ProfileForm) -> str:
    """The answer given to `step`, in one line. Typed text is not repeated: the person's own
    message shows it, and the profile playback shows it again at the end."""
    name = ob.step_name(step)
    index = ob.step_index(step)
    if name == ob.ROLE:
        text = mrkdwn(f"onboarding.role.answer_{form.role}")
    elif name == ob.GOALS:
        text = mrkdwn(
            "onboarding.goals.answer", names=[competency_name(g.competency_id) for g in form.goals]
        )
    elif name == ob.GOAL_SUCCESS:
        goal = form.goals[index]
        text = mrkdwn("onboarding.goal_success.answer", goal=competency_name(goal.competency_id))
    elif name == ob.GOAL_PRIORITY:
        goal = form.goals[index]
        text = mrkdwn(
            "onboarding.goal_priority.answer",
            goal=competency_name(goal.competency_id),
            priority=priority_label(goal.priority),
        )
    elif name == ob.EXPERTISE:
        text = mrkdwn(
            "onboarding.expertise.answer", names=[competency_name(c) for c in form.expertise]
        )
    elif name == ob.CAPACITY:
        text = mrkdwn("onboarding.capacity.answer", count=form.capacity or 1)
    elif name == ob.FORMAT:
        text = mrkdwn("onboarding.format.answer", label=format_label(form.meeting_format))
    elif name == ob.LANGUAGES:
        text = mrkdwn(
            "onboarding.languages.answer", names=[languages().get(c, c) for c in form.languages]
        )
    elif name == ob.NOTES:
        text = mrkdwn(f"onboarding.notes.{'answer' if form.notes else 'answer_none'}")
    elif name == ob.CONFIDENTIALITY:
        text = mrkdwn("onboarding.confidentiality.answer")
    else:
        text = mrkdwn("onboarding.review.fallback")
    return text


def profile_lines(form: ProfileForm) -> list[str]:
    lines = [mrkdwn("onboarding.review.role", role=plain(f"onboarding.role.answer_{form.role}"))]
    if form.is_mentee and form.goals:
        goal_lines = [mrkdwn("onboarding.review.goals_title")]
        for number, goal in enumerate(ordered_goals(form.goals), start=1):
            goal_lines.append(
                mrkdwn(
                    "onboarding.review.goal_line",
                    number=number,
                    goal=competency_name(goal.competency_id),
                    priority=priority_label(goal.priority),
                    success=goal.success,
                )
            )
        lines.append("\n".join(goal_lines))
    if form.is_mentor:
        lines.append(
            mrkdwn(
                "onboarding.review.expertise", names=[competency_name(c) for c in form.expertise]
            )
        )
        lines.append(mrkdwn("onboarding.review.capacity", count=form.capacity or 1))
    lines.append(mrkdwn("onboarding.review.format", label=format_label(form.meeting_format)))
    if form.languages:
        lines.append(
            mrkdwn(
                "onboarding.review.languages", names=[languages().get(c, c) for c in form.languages]
            )
        )
    else:
        lines.append(mrkdwn("onboarding.review.languages_none"))
    if form.notes:
        lines.append(mrkdwn("onboarding.review.notes", notes=form.notes))
    return lines


def review(conversation: Conversation, *, after: tuple[str, ...] = ()) -> dict[str, Any]:
    """The playback of the whole profile, with how confidentiality works: confirming it
    acknowledges that too."""
    form = ob.draft_form(conversation)
    blocks: list[Block] = _ticks(after)
    blocks += [
        header(plain("onboarding.review.heading")),
        section(mrkdwn("onboarding.review.intro")),
    ]
    blocks += [section(line) for line in profile_lines(form)]
    blocks.append(section(mrkdwn("onboarding.confidentiality.question", is_mentee=form.is_mentee)))
    blocks.append(
        actions(
            [
                button(
                    plain("onboarding.review.confirm"),
                    ids.ONBOARDING_CONFIRM,
                    _value(conversation),
                    style="primary",
                ),
                button(plain("onboarding.review.edit"), ids.ONBOARDING_EDIT, _value(conversation)),
            ],
            block_id="onboarding.review",
        )
    )
    where = ob.progress(conversation)
    blocks.append(
        context(plain("onboarding.progress", number=where.number, total=where.total, part=0))
    )
    return message(plain("onboarding.review.fallback"), blocks)


def confirmed(form: ProfileForm, *, name: str) -> dict[str, Any]:
    """The playback once confirmed: the profile stays visible, the buttons go, and what
    happens next is said in the same message."""
    text = mrkdwn(f"onboarding.done.{form.role or 'mentee'}", name=first_name(name))
    blocks: list[Block] = [context(f"✓ {plain('onboarding.review.confirmed')}")]
    blocks += [header(plain("onboarding.review.heading"))]
    blocks += [section(line) for line in profile_lines(form)]
    blocks += [section(text), context(mrkdwn("onboarding.done.footer"))]
    return message(text, blocks)


def done(form: ProfileForm, *, name: str) -> dict[str, Any]:
    text = mrkdwn(f"onboarding.done.{form.role or 'mentee'}", name=first_name(name))
    return message(text, [section(text), context(mrkdwn("onboarding.done.footer"))])


def superseded() -> dict[str, Any]:
    """A question asked again further down: this copy loses its buttons."""
    text = plain("onboarding.superseded")
    return message(text, [context(f"✓ {text}")])


def join_offer(*, name: str, program: str, left: bool = False) -> dict[str, Any]:
    """To someone not (or no longer) taking part who wrote to the bot: what the program is,
    and a Join button. Nothing starts until they click it (or say they want to join)."""
    key = "onboarding.join_offer.left" if left else "onboarding.join_offer.new"
    text = mrkdwn(key, name=first_name(name), program=program)
    join = button(
        plain("onboarding.join_offer.join"), ids.HOME_JOIN, encode_value(), style="primary"
    )
    return message(text, [section(text), actions([join], block_id="onboarding.join_offer")])


def join_clicked(kept: list[Block]) -> dict[str, Any]:
    """A message whose Join was clicked: its text stays, its buttons become a ✓ line."""
    text = plain("onboarding.join_offer.joined")
    return message(text, [*kept, context(f"✓ {text}")])


def join_taken() -> dict[str, Any]:
    """A Join offer once the person joined (from it or anywhere else)."""
    text = plain("onboarding.join_offer.joined")
    return message(text, [context(f"✓ {text}")])


def reviewed(form: ProfileForm) -> dict[str, Any]:
    """The playback once confirmed: the profile stays visible, the buttons go."""
    blocks: list[Block] = [header(plain("onboarding.review.heading"))]
    blocks += [section(line) for line in profile_lines(form)]
    return message(plain("onboarding.review.fallback"), blocks)


def hint(kind: str, error: str | None = None) -> dict[str, Any]:
    text = (
        mrkdwn("onboarding.hint.invalid", error=error)
        if kind == "invalid"
        else mrkdwn(f"onboarding.hint.{kind}")
    )
    return text_message(text)


def already_done() -> dict[str, Any]:
    return note("onboarding.already_done")


def profile_saved(form: ProfileForm) -> dict[str, Any]:
    text = mrkdwn("profile.saved")
    blocks: list[Block] = [section(text)] + [section(line) for line in profile_lines(form)]
    return message(text, blocks)


def already_in_program(program: str) -> dict[str, Any]:
    return note("onboarding.already_in_program", program=program)


def _program_chooser(
    key: str, button_key: str, action_id: str, block_prefix: str, programs: list[tuple[int, str]]
) -> dict[str, Any]:
    """A question with one button per program; each button's value is the program id, which
    the click handler checks before anything happens."""
    blocks: list[Block] = [section(mrkdwn(f"{key}.question"))]
    for program_id, name in programs:
        blocks.append(
            section(
                mrkdwn(f"{key}.program", program=name),
                block_id=f"{block_prefix}.{program_id}",
                accessory=button(
                    plain(f"{key}.{button_key}"), action_id, encode_value(p=program_id)
                ),
            )
        )
    return message(plain(f"{key}.fallback", programs=[n for _, n in programs]), blocks)


def choose_program(programs: list[tuple[int, str]]) -> dict[str, Any]:
    """Which program to join, when the workspace has several: one Join button each (checked
    against the workspace when clicked)."""
    return _program_chooser(
        "onboarding.choose_program", "join", ids.HOME_JOIN, "onboarding.program", programs
    )


def program_chosen(program: str) -> dict[str, Any]:
    """The chooser once a program was picked: what was chosen, without the buttons."""
    return note("onboarding.choose_program.chosen", program=program)


def choose_profile(programs: list[tuple[int, str]]) -> dict[str, Any]:
    """Which program's profile to edit, for someone in several: one button each (checked
    against the clicker's own programs when clicked)."""
    return _program_chooser(
        "onboarding.choose_profile", "edit", ids.PROFILE_CHOOSE, "onboarding.profile", programs
    )


def profile_program_chosen(program: str) -> dict[str, Any]:
    return note("onboarding.choose_profile.chosen", program=program)


def profile_program_unavailable() -> dict[str, Any]:
    return note("onboarding.choose_profile.unavailable")


def not_your_program(name: str, programs: list[str]) -> dict[str, Any]:
    """`--program NAME` naming a program the person does not take part in."""
    return note("onboarding.choose_profile.not_yours", name=name, programs=programs)


def program_unavailable() -> dict[str, Any]:
    return note("onboarding.program_unavailable")
