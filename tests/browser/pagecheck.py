"""What every journey in the sandbox page must show (issue 16's bar), asserted on the page
itself: no developer text, no repeated message, no live buttons on answered or superseded
messages, and a last message that offers the next action or says nothing more is needed."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

#: Text a person should never see: tracebacks, Block Kit ids, template syntax, Python's None,
#: Slack user ids, HTTP codes.
DEVELOPER_TEXT = re.compile(
    r"Traceback|Exception|action_id|block_id|callback_id|\{\{|\}\}|\{%|%\}"
    r"|\bNone\b(?! of)|\bnull\b|\bundefined\b|\b[UW]0[A-Z0-9]{3,}\b|\bHTTP \d{3}\b"
)
#: A message that closes a step without a button says so in words.
NOTHING_MORE = re.compile(
    r"nothing more|nothing (else )?to do|nothing happens without|no need|"
    r"I'll (let you know|tell you|send|remind|be in touch|suggest)|they'll be in touch|"
    r"you.ll hear|you decide|next step:|`?/mentoring",
    re.IGNORECASE,
)

_READ = r"""
(pane) => [...pane.querySelectorAll('.msg.from-bot')].map((m) => ({
  ts: m.dataset.ts,
  body: [...m.querySelectorAll('.bk-blocks > :not(.bk-actions), .msg-main > .msg-text')]
    .map((c) => c.innerText).join('\n').trim(),
  buttons: [...m.querySelectorAll('button:not([disabled])')].map((b) => b.innerText.trim()),
}))
"""


def bot_messages(ui: Any) -> list[dict[str, Any]]:
    """The bot's messages in the open conversation, oldest first: text and live buttons."""
    found: list[dict[str, Any]] = ui.pane.evaluate(_READ)
    return found


def assert_no_developer_text(ui: Any, where: str) -> None:
    text = ui.page.locator("body").inner_text()
    found = DEVELOPER_TEXT.search(text)
    assert found is None, (
        f"{where}: developer text {found.group(0)!r} on the page: "
        f"...{text[max(0, found.start() - 80) : found.end() + 80]}..."
    )


def assert_no_repeats(messages: list[dict[str, Any]], where: str) -> None:
    counts = Counter(m["body"] for m in messages)
    repeated = [text for text, n in counts.items() if n > 1]
    assert not repeated, f"{where}: the same message more than once: {repeated[:2]}"


def assert_no_stale_buttons(messages: list[dict[str, Any]], where: str) -> None:
    """An answered message (its last line a ✓) has no buttons, unless it is the newest and
    keeps the choices still open beside the one taken; and no two messages offer the same
    buttons (the older one was superseded)."""
    for m in messages[:-1]:
        last_line = m["body"].strip().splitlines()[-1] if m["body"].strip() else ""
        assert not (last_line.startswith("✓") and m["buttons"]), (
            f"{where}: an answered message still has buttons {m['buttons']}: {m['body'][:120]}"
        )
    offers = Counter(tuple(m["buttons"]) for m in messages if m["buttons"])
    twice = [labels for labels, n in offers.items() if n > 1]
    assert not twice, f"{where}: two messages offer the same live buttons {twice}"


def assert_next_step(messages: list[dict[str, Any]], where: str) -> None:
    assert messages, f"{where}: no message from the bot"
    last = messages[-1]
    assert last["buttons"] or NOTHING_MORE.search(last["body"]), (
        f"{where}: the last message offers no next action and does not say nothing more is "
        f"needed: {last['body'][:200]}"
    )


def check_page(ui: Any, where: str, *, next_step: bool = True) -> list[dict[str, Any]]:
    """All of the above for the conversation open on the page; returns its bot messages."""
    messages = bot_messages(ui)
    assert_no_developer_text(ui, where)
    assert_no_repeats(messages, where)
    assert_no_stale_buttons(messages, where)
    if next_step:
        assert_next_step(messages, where)
    return messages
