"""User-facing copy, rendered from the Jinja2 templates in `content/templates/`.

Each `content/templates/<area>.yaml` maps keys to Jinja2 templates; a key is addressed as
`<area>.<key>` (nested mappings add more dots). Two renderers exist:

- `mrkdwn(key, **ctx)` for Slack mrkdwn text (sections, context, a message's fallback `text`).
- `plain(key, **ctx)` for plain_text fields (buttons, headers, modal titles, options) and for
  fallback text written without markup.

Both autoescape: every `{{ value }}` is escaped for Slack (`&`, `<`, `>`, after removing control
and bidi characters, see `clean_text`) unless it is `Markup` (the `mention` and `link` filters
return Markup) or already rendered (`SlackText`), so a name, goal or CSV value can never ping
people or inject links in any text field, mrkdwn or plain_text alike: Slack decodes these three
entities wherever it shows text. What they return is `SlackText`, so passing one rendering into
another does not escape it twice. `unescaped(key, **ctx)` is for text that never reaches a Slack
text field (drawn into an image); it still removes control characters.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, StrictUndefined, Template
from markupsafe import Markup

from core.kernel.paths import content_dir

# C0 controls but tab and newline, DEL, C1 controls; and the bidi embedding, override and
# isolate controls (U+202A-U+202E, U+2066-U+2069) that can make a name or goal read backwards
# or hide text. Right-to-left scripts still display correctly without them (the Unicode bidi
# algorithm orders them); only these invisible controls are removed.
_UNSAFE_CHARS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean_text(text: str) -> str:
    """Text as mentorbot keeps and shows it: line breaks as `\\n`, and no control characters
    (NUL, escape, ...) other than newline and tab, and no bidi override/isolate controls. Every
    string from a person, Slack or a CSV goes through this once, at the boundary; PostgreSQL
    refuses NUL in text, SQLite keeps it, so cleaning it first makes both behave the same."""
    if not text:
        return text
    return _UNSAFE_CHARS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def escape_mrkdwn(text: str) -> str:
    """Escape the three characters Slack treats as control characters in any text field
    (mrkdwn and plain_text alike), after removing the characters `clean_text` removes."""
    return clean_text(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class SlackText(str):
    """Text rendered for Slack by `mrkdwn` or `plain`: its values are already escaped."""

    __slots__ = ()


def _finalize_slack(value: Any) -> Any:
    if isinstance(value, (Markup, SlackText)) or value is None:
        return "" if value is None else value
    return escape_mrkdwn(str(value))


def _finalize_unescaped(value: Any) -> Any:
    return "" if value is None else clean_text(str(value))


def as_slack_text(text: str) -> str:
    """`text` ready for any Slack text field: escaped unless it is already (Markup, SlackText)."""
    if isinstance(text, (Markup, SlackText)):
        return clean_text(text)
    return escape_mrkdwn(text)


def mention(user_id: str) -> Markup:
    return Markup(f"<@{escape_mrkdwn(user_id)}>")


def link(url: str, label: str) -> Markup:
    return Markup(f"<{url}|{escape_mrkdwn(label)}>")


def join_and(items: Iterable[Any], word: str = "and") -> str:
    values = [str(i) for i in items]
    if len(values) <= 1:
        return "".join(values)
    return ", ".join(values[:-1]) + f" {word} " + values[-1]


def _slack_join(items: Iterable[Any], separator: str = "") -> SlackText:
    """Jinja's `join` for Slack text: each item escaped unless it already is Slack text."""
    return SlackText(str(separator).join(as_slack_text(_as_str(i)) for i in items))


def _slack_join_and(items: Iterable[Any], word: str = "and") -> SlackText:
    return SlackText(join_and([as_slack_text(_as_str(i)) for i in items], word))


def _as_str(item: Any) -> str:
    return item if isinstance(item, str) else str(item)


def plural(count: int, singular: str, many: str | None = None) -> str:
    return f"{count} {singular if count == 1 else (many or singular + 's')}"


class TemplateNotFound(KeyError):
    pass


class Texts:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._sources: dict[str, str] = {}
        for path in sorted(directory.glob("*.yaml")):
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            self._flatten(path.stem, data)
        self._envs = {
            "mrkdwn": self._env(_finalize_slack, slack=True),
            "plain": self._env(_finalize_slack, slack=True),
            "unescaped": self._env(_finalize_unescaped, slack=False),
        }
        self._compiled: dict[tuple[str, str], Template] = {}
        self._lock = threading.Lock()

    def _flatten(self, prefix: str, data: Mapping[str, Any]) -> None:
        for key, value in data.items():
            name = f"{prefix}.{key}"
            if isinstance(value, Mapping):
                self._flatten(name, value)
            else:
                self._sources[name] = str(value)

    @staticmethod
    def _env(finalize: Any, *, slack: bool) -> Environment:
        env = Environment(
            undefined=StrictUndefined,
            finalize=finalize,
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )
        env.filters.update(mention=mention, link=link, join_and=join_and, plural=plural)
        if slack:  # joined lists are escaped item by item, so Slack text in them stays as is
            env.filters.update(join=_slack_join, join_and=_slack_join_and)
        return env

    def keys(self) -> list[str]:
        return sorted(self._sources)

    def has(self, key: str) -> bool:
        return key in self._sources

    def compile_all(self, kind: str = "mrkdwn") -> int:
        """Compile every template for `kind` now (start-up's warm-up), rather than each on
        its first use. Returns how many were compiled."""
        compiled = 0
        for key, source in self._sources.items():
            with self._lock:
                if (kind, key) not in self._compiled:
                    self._compiled[(kind, key)] = self._envs[kind].from_string(source)
                    compiled += 1
        return compiled

    def render(self, kind: str, key: str, **context: Any) -> str:
        with self._lock:
            template = self._compiled.get((kind, key))
            if template is None:
                try:
                    source = self._sources[key]
                except KeyError:
                    raise TemplateNotFound(key) from None
                template = self._envs[kind].from_string(source)
                self._compiled[(kind, key)] = template
        rendered = template.render(**context).strip()
        return rendered if kind == "unescaped" else SlackText(rendered)


@lru_cache(maxsize=4)
def texts(directory: Path | None = None) -> Texts:
    return Texts(directory or content_dir() / "templates")


def mrkdwn(key: str, **context: Any) -> str:
    return texts().render("mrkdwn", key, **context)


def plain(key: str, **context: Any) -> str:
    return texts().render("plain", key, **context)


def unescaped(key: str, **context: Any) -> str:
    return texts().render("unescaped", key, **context)
