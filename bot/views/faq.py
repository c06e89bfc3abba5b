"""FAQ messages and views: an answer (with "Was this helpful?" and related topics), "Did you
mean ...", "I don't know that one" with the offer to ask a coordinator, the "Browse topics"
section of App Home and its topic modal, and the message coordinators receive.

Button values carry entry ids and the id of the question kept server-side, never its text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from bot.platform import ids
from bot.platform.blocks import (
    Block,
    actions,
    button,
    context,
    divider,
    encode_value,
    message,
    note,
    plain_text,
    section,
    static_select,
)
from core.faq.mrkdwn import split_sections
from core.kernel.texts import escape_mrkdwn, join_and, mention, mrkdwn, plain

RELATED_MAX = 3
SELECT_OPTIONS_MAX = 100  # Slack's limit for one static_select
MODAL_BLOCKS_MAX = 100

Topic = tuple[str, str]  # (entry id, title)


@dataclass(frozen=True)
class Answer:
    """One FAQ entry as shown in Slack."""

    entry_id: str
    title: str
    text: str  # rendered mrkdwn
    related: Sequence[Topic] = field(default_factory=tuple)


def _value(entry_id: str | None, pending_id: int | None) -> str:
    data: dict[str, Any] = {}
    if entry_id is not None:
        data["e"] = entry_id
    if pending_id is not None:
        data["q"] = pending_id
    return encode_value(**data)


def topic_button(topic: Topic, pending_id: int | None) -> Block:
    entry_id, title = topic
    return button(title, ids.FAQ_TOPIC_PREFIX + entry_id, _value(entry_id, pending_id))


def answer_blocks(
    answer: Answer, pending_id: int | None, *, feedback: str | None = None
) -> list[Block]:
    """The answer; then "Was this helpful?" buttons, or (once voted) `feedback`, a thank-you
    ("thanks" | "not_helpful"); then up to three related topics."""
    blocks: list[Block] = [section(mrkdwn("faq.answer.title", title=answer.title))]
    blocks += [section(part) for part in split_sections(answer.text)]
    if feedback is None:
        blocks.append(context(mrkdwn("faq.answer.helpful")))
        blocks.append(
            actions(
                [
                    button(
                        plain("faq.buttons.yes"),
                        ids.FAQ_HELPFUL_YES,
                        _value(answer.entry_id, pending_id),
                    ),
                    button(
                        plain("faq.buttons.no"),
                        ids.FAQ_HELPFUL_NO,
                        _value(answer.entry_id, pending_id),
                    ),
                ],
                block_id="faq.feedback",
            )
        )
    else:
        blocks.append(context(mrkdwn(f"faq.answer.{feedback}")))
    related = list(answer.related)[:RELATED_MAX]
    if related:
        blocks.append(context(mrkdwn("faq.answer.related")))
        blocks.append(
            actions([topic_button(t, pending_id) for t in related], block_id="faq.related")
        )
    return blocks


def answer_text(answer: Answer) -> str:
    return f"{answer.title}\n\n{answer.text}"


def answer_message(
    answer: Answer, pending_id: int | None, *, feedback: str | None = None
) -> dict[str, Any]:
    return message(answer_text(answer), answer_blocks(answer, pending_id, feedback=feedback))


def suggest_message(
    suggestions: Sequence[Topic], pending_id: int | None, *, none_matched: bool = False
) -> dict[str, Any]:
    """Did you mean ...? A button per likely entry, and "None of these" (until pressed)."""
    intro = mrkdwn("faq.suggest.intro")
    buttons = [topic_button(t, pending_id) for t in suggestions]
    if not none_matched:
        buttons.append(
            button(plain("faq.buttons.none"), ids.FAQ_NONE_MATCHED, _value(None, pending_id))
        )
    blocks = [section(intro), actions(buttons, block_id="faq.suggest")]
    if none_matched:
        blocks.append(context(mrkdwn("faq.suggest.none_matched")))
    titles = "\n".join(f"• {title}" for _, title in suggestions)
    return message(f"{intro}\n{titles}", blocks)


def offer_blocks(question: str, pending_id: int) -> list[Block]:
    """The offer to pass the question to a coordinator, quoting exactly what would be sent."""
    return [
        section(mrkdwn("faq.offer.text", question=_quote(question))),
        actions(
            [
                button(
                    plain("faq.buttons.escalate"),
                    ids.FAQ_ESCALATE,
                    _value(None, pending_id),
                    style="primary",
                ),
                button(
                    plain("faq.buttons.decline"),
                    ids.FAQ_ESCALATE_DECLINE,
                    _value(None, pending_id),
                ),
            ],
            block_id="faq.offer",
        ),
    ]


def no_coordinator_blocks(contact_answer: str) -> list[Block]:
    """No coordinator is set up: say so, and show how to reach the people who run it."""
    return [section(mrkdwn("faq.offer.no_coordinator"))] + [
        section(part) for part in split_sections(contact_answer)
    ]


def unknown_message(
    question: str, pending_id: int, *, contact_answer: str | None
) -> dict[str, Any]:
    """I don't know that one: then the offer (or, with no coordinator, how to reach one)."""
    intro = mrkdwn("faq.unknown.intro")
    blocks = [section(intro)]
    if contact_answer is None:
        blocks += offer_blocks(question, pending_id)
    else:
        blocks += no_coordinator_blocks(contact_answer)
    return message(intro, blocks)


def offer_message(question: str, pending_id: int, *, contact_answer: str | None) -> dict[str, Any]:
    """The offer on its own (after "not helpful" or "none of these")."""
    if contact_answer is None:
        return message(
            mrkdwn("faq.offer.text", question=_quote(question)), offer_blocks(question, pending_id)
        )
    return message(mrkdwn("faq.offer.no_coordinator"), no_coordinator_blocks(contact_answer))


def browse_offer_blocks(contact_answer: str) -> list[Block]:
    """No question behind the button (a browsed topic): invite one, and show the contact."""
    return [section(mrkdwn("faq.offer.browse"))] + [
        section(part) for part in split_sections(contact_answer)
    ]


def browse_offer_message(contact_answer: str, *, thanks: bool) -> dict[str, Any]:
    blocks = browse_offer_blocks(contact_answer)
    if thanks:
        blocks.insert(0, section(mrkdwn("faq.answer.not_helpful")))
    return message(mrkdwn("faq.offer.browse"), blocks)


def sent_message(coordinator_ids: Sequence[str]) -> dict[str, Any]:
    who = Markup(join_and([mention(c) for c in coordinator_ids]))
    return note("faq.offer.sent", coordinators=who)


def coordinator_message(asker_id: str, question: str) -> dict[str, Any]:
    return note("faq.coordinator.escalation", asker=mention(asker_id), question=_quote(question))


def _quote(question: str) -> Markup:
    """The question for a `> ` quote: escaped, and every line quoted."""
    return Markup("\n> ".join(escape_mrkdwn(line) for line in question.splitlines() or [""]))


# --- App Home: browse topics ---------------------------------------------------------------
def browse_blocks(groups: Sequence[tuple[str, Sequence[Topic]]]) -> list[Block]:
    """The "Browse topics" section of App Home: one menu of topics in groups."""
    trimmed: list[tuple[str, list[tuple[str, str]]]] = []
    left = SELECT_OPTIONS_MAX
    for label, topics in groups:
        options = [(title, entry_id) for entry_id, title in topics][:left]
        if options:
            trimmed.append((label, options))
            left -= len(options)
    if not trimmed:
        return []
    return [
        divider(),
        section(
            mrkdwn("faq.browse.intro"),
            block_id="faq.browse",
            accessory=static_select(
                ids.FAQ_BROWSE, plain("faq.browse.placeholder"), groups=trimmed
            ),
        ),
    ]


def topic_modal(blocks: list[Block]) -> dict[str, Any]:
    """A topic picked from App Home, shown in a modal (no submit button)."""
    return {
        "type": "modal",
        "callback_id": ids.FAQ_BROWSE_MODAL,
        "title": plain_text(plain("faq.browse.modal_title"), 24),
        "close": plain_text(plain("faq.browse.close"), 24),
        "blocks": blocks[:MODAL_BLOCKS_MAX],
    }
