"""Markdown -> Slack mrkdwn conversion, section splitting and template rendering."""

from __future__ import annotations

import pytest

from core.faq.mrkdwn import SECTION_TEXT_LIMIT, escape_mrkdwn, markdown_to_mrkdwn, split_sections
from core.faq.store import FaqRenderError, FaqStore, load_program_defaults, program_context
from core.kernel.paths import content_dir


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("# Title\n\nText", "*Title*\n\nText"),
        ("## Sub **bold** head", "*Sub bold head*"),
        ("**bold** and __also bold__", "*bold* and *also bold*"),
        ("*it* and _it too_", "_it_ and _it too_"),
        ("~~gone~~", "~gone~"),
        (
            "See [the guide](https://example.com/guide) now",
            "See <https://example.com/guide|the guide> now",
        ),
        ("<https://example.com>", "<https://example.com>"),
        ("[a **b**](https://x.org)", "<https://x.org|a *b*>"),
        ("- one\n- two", "• one\n• two"),
        ("* star item", "• star item"),
        ("1. first\n2. second", "1. first\n2. second"),
        ("3. three\n4. four", "3. three\n4. four"),
        ("- outer\n  - inner", "• outer\n    • inner"),
        ("> quoted", "> quoted"),
        ("R&D <team> and 3 > 2", "R&amp;D &lt;team&gt; and 3 &gt; 2"),
        ("a line\nwrapped", "a line wrapped"),
        ("Use `a*b*c` and `x<y`", "Use `a*b*c` and `x&lt;y`"),
        ("```\ncode <x> & *y*\n```", "```\ncode &lt;x&gt; &amp; *y*\n```"),
        ("snake_case_name stays", "snake_case_name stays"),
        ("Ask <@U012ABCDEF> or <!channel>", "Ask <@U012ABCDEF> or &lt;!channel&gt;"),
        ("<b>html</b>", "&lt;b&gt;html&lt;/b&gt;"),
    ],
)
def test_markdown_to_mrkdwn(markdown: str, expected: str) -> None:
    assert markdown_to_mrkdwn(markdown) == expected


def test_link_urls_keep_parentheses_and_escape_ampersands() -> None:
    out = markdown_to_mrkdwn("[wiki](https://x.org/a_(b)?q=1&r=2)")
    assert out == "<https://x.org/a_(b)?q=1&amp;r=2|wiki>"


def test_unsafe_link_schemes_are_not_linked() -> None:
    out = markdown_to_mrkdwn("[click](javascript:alert(1))")
    assert "<javascript" not in out


def test_escape_mrkdwn() -> None:
    assert escape_mrkdwn("a & <b> c") == "a &amp; &lt;b&gt; c"


def test_split_sections_keeps_paragraphs_together() -> None:
    paras = [f"Paragraph {i} " + "word " * 100 for i in range(20)]
    text = "\n\n".join(paras)
    chunks = split_sections(text, limit=1200)
    assert all(len(c) <= 1200 for c in chunks)
    assert "\n\n".join(chunks) == text  # nothing lost, split only between paragraphs
    assert split_sections("short") == ["short"]


def test_split_sections_breaks_an_overlong_line() -> None:
    text = "word " * 2000
    chunks = split_sections(text.strip(), limit=SECTION_TEXT_LIMIT)
    assert len(chunks) >= 4
    assert all(0 < len(c) <= SECTION_TEXT_LIMIT for c in chunks)
    assert " ".join(chunks).split() == text.split()
    with pytest.raises(ValueError):
        split_sections("x", limit=0)


# --- rendering with program settings ------------------------------------------------------------

STORE = FaqStore.load(content_dir())
DEFAULTS = load_program_defaults(content_dir())


def test_program_context_derives_coordinators_and_hours() -> None:
    ctx = program_context(DEFAULTS)
    assert ctx["coordinators_text"] == "your program coordinators"
    assert ctx["working_hours_text"] == "9:00 to 17:00"
    ctx = program_context(
        dict(DEFAULTS, coordinators=["U012ABC", {"name": "Ana"}, {"slack_id": "W99X"}, "Bo"])
    )
    assert ctx["coordinators_text"] == "<@U012ABC>, Ana, <@W99X> and Bo"
    assert program_context({"coordinators": ["Ana", "Bo"]})["coordinators_text"] == "Ana and Bo"


def test_render_uses_program_settings() -> None:
    settings = dict(
        DEFAULTS,
        name="Grow Together",
        shortlist_size=4,
        coordinators=["U012ABC"],
        materials_url="https://wiki.example.com/mentoring?a=1&b=2",
    )
    steps = STORE.get("program-steps").render(settings)
    assert "up to 4 suggested mentors" in steps
    contact = STORE.get("contact-a-coordinator").render(settings)
    assert contact.startswith("Grow Together is run by <@U012ABC>.")
    resources = STORE.get("mentoring-resources").render(settings)
    assert "<https://wiki.example.com/mentoring?a=1&amp;b=2|Grow Together materials>" in resources


def test_render_falls_back_gracefully_without_url_or_coordinators() -> None:
    resources = STORE.get("mentoring-resources").render(DEFAULTS)
    assert resources.startswith("Your program coordinators can share")
    assert "<http" not in resources
    contact = STORE.get("contact-a-coordinator").render(DEFAULTS)
    assert contact.startswith("Your program coordinators run Mentoring program.")


def test_render_escapes_setting_values() -> None:
    text = STORE.get("what-is-mentoring").render(dict(DEFAULTS, name="R&D <mentoring>"))
    assert "In R&amp;D &lt;mentoring&gt; the mentee" in text


def test_render_with_missing_setting_is_a_clear_error() -> None:
    settings = dict(DEFAULTS)
    del settings["duration_months"]
    with pytest.raises(FaqRenderError, match="duration_months"):
        STORE.get("learning-agreement").render(settings)


def test_objectives_list_renders_as_bullets() -> None:
    text = STORE.get("program-objectives").render(dict(DEFAULTS, objectives=["learn", "connect"]))
    assert "exists to:\n\n• learn\n• connect\n\n" in text
