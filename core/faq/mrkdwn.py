"""Markdown to Slack mrkdwn.

Markdown is parsed by markdown-it-py (a CommonMark parser; raw HTML off) and the syntax tree
is written out as mrkdwn:

* headings become a bold line, `**bold**` -> `*bold*`, `*it*` / `_it_` -> `_it_`,
  `~~gone~~` -> `~gone~`, inline code and fenced code keep their backticks;
* `[text](url)` -> `<url|text>` and images -> `<src|alt>`;
* bullet lists -> "• item", ordered lists keep their numbers, nested lists are indented;
* `&`, `<` and `>` in text are escaped as `&amp;`, `&lt;`, `&gt;` (Slack's only control
  characters), except for Slack user mentions like `<@U012ABCDEF>`, which pass through so
  program settings can name coordinators. The `<`, `|` and `>` of the links we build are
  left alone; `&` inside a link's URL is written as `&amp;`, as Slack expects.

markdown-to-mrkdwn (PyPI) was tried first; it is a line-by-line regex converter that does not
escape `&<>`, rewrites `*` inside inline code, breaks URLs that contain parentheses and
returns the raw Markdown when it fails, so a real parser is used instead.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

# Slack's limit for the text of one section block.
SECTION_TEXT_LIMIT = 3000

_MD = MarkdownIt("commonmark", {"html": False}).enable("strikethrough")
_MENTION_RE = re.compile(r"(<@[UW][A-Z0-9]{2,}>)")
_INDENT = "    "


def escape_mrkdwn(text: str) -> str:
    """Escape Slack's control characters (`&`, `<`, `>`) in plain text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _escape_text(text: str) -> str:
    parts = _MENTION_RE.split(text)
    # Odd positions are the mentions captured by the split.
    return "".join(p if i % 2 else escape_mrkdwn(p) for i, p in enumerate(parts))


def markdown_to_mrkdwn(markdown: str) -> str:
    """Convert a Markdown document to Slack mrkdwn text."""
    tree = SyntaxTreeNode(_MD.parse(markdown))
    return _Renderer().blocks(tree.children, "").strip("\n")


class _Renderer:
    def blocks(self, nodes: list[SyntaxTreeNode], indent: str) -> str:
        return "\n\n".join(b for b in (self.block(n, indent) for n in nodes) if b)

    def block(self, node: SyntaxTreeNode, indent: str) -> str:
        kind = node.type
        if kind == "paragraph":
            return indent + self.inline_of(node).replace("\n", "\n" + indent)
        if kind == "heading":
            text = self.inline_of(node, bold=True)
            return f"{indent}*{text}*" if text else ""
        if kind in ("bullet_list", "ordered_list"):
            return self.list_(node, indent)
        if kind == "blockquote":
            inner = self.blocks(node.children, "")
            return "\n".join(
                f"{indent}> {line}" if line else f"{indent}>" for line in inner.split("\n")
            )
        if kind in ("fence", "code_block"):
            code = escape_mrkdwn(node.content.rstrip("\n"))
            return f"{indent}```\n{code}\n```"
        if kind == "hr":
            return indent + "———"
        # Anything else (e.g. an html_block, which is disabled) is kept as escaped text.
        return indent + _escape_text(node.content.strip())

    def list_(self, node: SyntaxTreeNode, indent: str) -> str:
        ordered = node.type == "ordered_list"
        number = int(node.attrs.get("start", 1) or 1) if ordered else 0
        lines: list[str] = []
        for item in node.children:
            marker = f"{number}. " if ordered else "• "
            number += 1
            parts: list[str] = []
            for i, child in enumerate(item.children):
                if child.type in ("bullet_list", "ordered_list"):
                    parts.append(self.list_(child, indent + _INDENT))
                    continue
                text = self.block(child, "")
                pad = indent + " " * len(marker)
                text = text.replace("\n", "\n" + pad)
                parts.append(indent + marker + text if i == 0 else pad + text)
            if not parts:
                parts.append(indent + marker.rstrip())
            lines.append("\n".join(parts))
        return "\n".join(lines)

    def inline_of(self, node: SyntaxTreeNode, bold: bool = False) -> str:
        inline = next((c for c in node.children if c.type == "inline"), None)
        if inline is None:
            return ""
        return self.inline(inline.children, bold=bold, italic=False, strike=False).strip()

    def inline(self, nodes: list[SyntaxTreeNode], *, bold: bool, italic: bool, strike: bool) -> str:
        out: list[str] = []
        for n in nodes:
            kind = n.type
            if kind == "text":
                out.append(_escape_text(n.content))
            elif kind == "softbreak":
                out.append(" ")
            elif kind == "hardbreak":
                out.append("\n")
            elif kind == "code_inline":
                out.append(f"`{escape_mrkdwn(n.content)}`")
            elif kind == "strong":
                inner = self.inline(n.children, bold=True, italic=italic, strike=strike)
                out.append(inner if bold else f"*{inner}*")
            elif kind == "em":
                inner = self.inline(n.children, bold=bold, italic=True, strike=strike)
                out.append(inner if italic else f"_{inner}_")
            elif kind == "s":
                inner = self.inline(n.children, bold=bold, italic=italic, strike=True)
                out.append(inner if strike else f"~{inner}~")
            elif kind == "link":
                text = self.inline(n.children, bold=bold, italic=italic, strike=strike)
                out.append(_link(str(n.attrs.get("href", "")), text))
            elif kind == "image":
                alt = _escape_text(n.content or "")
                out.append(_link(str(n.attrs.get("src", "")), alt))
            else:
                out.append(_escape_text(n.content))
        return "".join(out)


def _link(url: str, text: str) -> str:
    url = url.replace("&", "&amp;").replace("|", "%7C").replace("<", "%3C").replace(">", "%3E")
    if not url:
        return text
    if not text or text == url:
        return f"<{url}>"
    return f"<{url}|{text}>"


def split_sections(text: str, limit: int = SECTION_TEXT_LIMIT) -> list[str]:
    """Split mrkdwn into chunks of at most `limit` characters for separate section blocks.

    Splits between paragraphs where possible, then between lines, and only as a last resort
    inside a line. FAQ answers are checked to fit in one section with room to spare
    (`core.faq.check`), so this is a safety net for unusually long program settings.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    chunks: list[str] = []
    current = ""
    for para in text.split("\n\n"):
        pieces = [para] if len(para) <= limit else _split_long(para, limit)
        for piece in pieces:
            candidate = f"{current}\n\n{piece}" if current else piece
            if len(candidate) <= limit:
                current = candidate
            else:
                if current:
                    chunks.append(current)
                current = piece
    if current:
        chunks.append(current)
    return chunks


def _split_long(para: str, limit: int) -> list[str]:
    out: list[str] = []
    current = ""
    for line in para.split("\n"):
        while len(line) > limit:
            cut = line.rfind(" ", 0, limit)
            cut = cut if cut > 0 else limit
            if current:
                out.append(current)
                current = ""
            out.append(line[:cut])
            line = line[cut:].lstrip(" ")
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) <= limit:
            current = candidate
        else:
            out.append(current)
            current = line
    if current:
        out.append(current)
    return out
