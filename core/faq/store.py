"""The FAQ content store: one Markdown file per entry in `content/faq/`.

Each file starts with YAML front matter between `---` lines:

    ---
    id: how-to-join              # must equal the file name without ".md"
    title: How do I join?        # short; also used as a button label (max 75 characters)
    questions:                   # several ways people ask it (at least two)
      - How do I join the mentoring program?
      - How do I sign up?
    tags: [join, sign up]        # extra words people use for it
    audience: everyone           # everyone | mentee | mentor | coordinator
    related: [program-steps]     # ids of other entries
    ---
    The answer, in Markdown. Program facts come from settings: {{ program.name }}.

The answer is a Jinja2 template rendered with `program` (the program settings, see
`content/program_defaults.yaml`, plus a few derived values from `program_context`), then
converted to Slack mrkdwn.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import yaml

from core.faq.mrkdwn import markdown_to_mrkdwn
from core.faq.text import NO_SYNONYMS, STOPWORDS, Synonyms, content_words, stem, words

FAQ_DIR = "faq"
# The synonym table, inside the FAQ folder. Files there whose name starts with "_" are not
# entries: this one is read as the synonym table, any other is ignored (notes, drafts).
SYNONYMS_FILE = "_synonyms.yaml"
PROGRAM_DEFAULTS_FILE = "program_defaults.yaml"
AUDIENCES = ("everyone", "mentee", "mentor", "coordinator")
REQUIRED_KEYS = ("id", "title", "questions", "tags", "audience", "related")
TITLE_MAX = 75  # Slack's limit for a button label, where titles are shown as suggestions.
MIN_QUESTIONS = 2

_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_SLACK_USER_RE = re.compile(r"^[UW][A-Z0-9]{2,}$")
NO_COORDINATORS_TEXT = "your program coordinators"


class FaqContentError(ValueError):
    """The FAQ content has problems. `problems` holds `"<relative file>: <problem>"` lines."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("FAQ content has problems:\n" + "\n".join(self.problems))


class FaqRenderError(ValueError):
    """An answer template failed to render with the given program settings."""


def _capitalize_first(value: Any) -> str:
    text = str(value)
    return text[:1].upper() + text[1:]


def make_environment() -> jinja2.Environment:
    """The Jinja2 environment for answer templates (StrictUndefined: a typo is an error)."""
    env = jinja2.Environment(
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["capitalize_first"] = _capitalize_first
    return env


_ENV = make_environment()


def _coordinator_label(item: Any) -> str | None:
    if isinstance(item, Mapping):
        slack_id = str(item.get("slack_id") or "").strip()
        if _SLACK_USER_RE.match(slack_id):
            return f"<@{slack_id}>"
        name = str(item.get("name") or "").strip()
        return name or None
    text = str(item).strip() if item is not None else ""
    if not text:
        return None
    return f"<@{text}>" if _SLACK_USER_RE.match(text) else text


def _join_names(names: list[str]) -> str:
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _hour_text(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value}:00"
    return str(value)


def program_context(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Program settings plus the derived values that answer templates use.

    Derived (only when their source key is present):
    * `coordinators_text`: coordinators as Slack mentions or names ("<@U1> and Ana"), or
      "your program coordinators" when the list is empty;
    * `working_hours_text`: "9:00 to 17:00" from `working_hours: {start: 9, end: 17}`.
    """
    ctx = dict(settings)
    if "coordinators" in ctx:
        raw = ctx["coordinators"] or []
        items = raw if isinstance(raw, list | tuple) else [raw]
        names = [n for n in (_coordinator_label(i) for i in items) if n]
        ctx["coordinators_text"] = _join_names(names) if names else NO_COORDINATORS_TEXT
    hours = ctx.get("working_hours")
    if isinstance(hours, Mapping) and "start" in hours and "end" in hours:
        ctx["working_hours_text"] = f"{_hour_text(hours['start'])} to {_hour_text(hours['end'])}"
    return ctx


def load_program_defaults(content_dir: Path) -> dict[str, Any]:
    """Read `<content_dir>/program_defaults.yaml` (raises `FaqContentError` when broken)."""
    path = Path(content_dir) / PROGRAM_DEFAULTS_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FaqContentError([f"{PROGRAM_DEFAULTS_FILE}: file not found"]) from None
    except yaml.YAMLError as exc:
        raise FaqContentError([f"{PROGRAM_DEFAULTS_FILE}: not valid YAML: {exc}"]) from None
    if not isinstance(data, Mapping):
        raise FaqContentError([f"{PROGRAM_DEFAULTS_FILE}: expected a mapping of settings"])
    return dict(data)


@dataclass(frozen=True)
class FaqEntry:
    id: str
    title: str
    questions: tuple[str, ...]
    tags: tuple[str, ...]
    audience: str
    related: tuple[str, ...]
    body: str
    path: Path
    template: jinja2.Template = field(repr=False, compare=False)

    def render_markdown(self, program: Mapping[str, Any]) -> str:
        """The answer as Markdown, with program settings filled in."""
        try:
            return self.template.render(program=program_context(program)).strip()
        except jinja2.UndefinedError as exc:
            raise FaqRenderError(f"unknown template value: {exc.message}") from None
        except jinja2.TemplateError as exc:
            raise FaqRenderError(f"template error: {exc}") from None
        except Exception as exc:  # a filter or test on a wrongly typed setting
            raise FaqRenderError(f"template failed: {type(exc).__name__}: {exc}") from None

    def render(self, program: Mapping[str, Any]) -> str:
        """The answer as Slack mrkdwn, with program settings filled in."""
        return markdown_to_mrkdwn(self.render_markdown(program))


@dataclass(frozen=True)
class FaqStore:
    """The parsed FAQ entries, in file-name order, and the synonym table."""

    entries: tuple[FaqEntry, ...]
    content_dir: Path
    synonyms: Synonyms = field(default=NO_SYNONYMS, compare=False)

    @classmethod
    def load(cls, content_dir: Path) -> FaqStore:
        """Parse every `<content_dir>/faq/*.md` entry (not `_*`) and `faq/_synonyms.yaml`.

        Raises `FaqContentError` listing every problem.
        """
        content_dir = Path(content_dir)
        entries, problems = scan_entries(content_dir)
        synonyms, synonym_problems = scan_synonyms(content_dir, entries)
        problems += synonym_problems
        if problems:
            raise FaqContentError(problems)
        return cls(tuple(entries), content_dir, synonyms)

    def __iter__(self) -> Iterator[FaqEntry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, entry_id: str) -> FaqEntry:
        for entry in self.entries:
            if entry.id == entry_id:
                return entry
        raise KeyError(entry_id)

    @property
    def ids(self) -> list[str]:
        return [e.id for e in self.entries]


def split_front_matter(text: str) -> tuple[str, str]:
    """Split a file into (front matter YAML, body). Raises ValueError with a clear reason."""
    text = text.lstrip("\ufeff")
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise ValueError("must start with a '---' line opening the YAML front matter")
    for i in range(1, len(lines)):
        if lines[i].strip() == "---":
            return "".join(lines[1:i]), "".join(lines[i + 1 :])
    raise ValueError("front matter is not closed by a '---' line")


def normalize_question(text: str) -> str:
    """Lower-case, drop punctuation and extra spaces: how duplicate questions are compared."""
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def _str_list(meta: Mapping[str, Any], key: str, rel: str, problems: list[str]) -> tuple[str, ...]:
    value = meta.get(key)
    if not isinstance(value, list):
        problems.append(f"{rel}: '{key}' must be a list of strings, got {type(value).__name__}")
        return ()
    for i, v in enumerate(value, start=1):
        if not isinstance(v, str) or not v.strip():
            hint = (
                " (YAML reads yes/no/on/off/numbers as non-text: quote it)"
                if v is not None and not isinstance(v, str)
                else ""
            )
            problems.append(f"{rel}: '{key}' item {i} must be a non-empty string, got {v!r}{hint}")
            return ()
    return tuple(v.strip() for v in value)


def _read_entry_file(path: Path, rel: str) -> tuple[Mapping[Any, Any], str] | str:
    """The front matter and the body of an entry file, or the problem that stops reading."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return f"{rel}: cannot read file: {exc}"
    try:
        raw_meta, body = split_front_matter(text)
    except ValueError as exc:
        return f"{rel}: {exc}"
    try:
        meta = yaml.safe_load(raw_meta)
    except yaml.YAMLError as exc:
        detail = " ".join(str(exc).split())
        return f"{rel}: front matter is not valid YAML: {detail}"
    if not isinstance(meta, Mapping):
        return f"{rel}: front matter must be a YAML mapping of keys"
    return meta, body


def _parse_entry(path: Path, rel: str) -> tuple[FaqEntry | None, list[str]]:
    read = _read_entry_file(path, rel)
    if isinstance(read, str):
        return None, [read]
    meta, body = read
    problems: list[str] = []
    missing = [k for k in REQUIRED_KEYS if k not in meta]
    if missing:
        problems.append(f"{rel}: front matter is missing required key(s): {', '.join(missing)}")
    unknown = sorted(str(k) for k in meta if k not in REQUIRED_KEYS)
    if unknown:
        problems.append(
            f"{rel}: unknown front matter key(s): {', '.join(unknown)} "
            f"(allowed: {', '.join(REQUIRED_KEYS)})"
        )
    if missing:
        return None, problems

    # Problems that still leave a usable entry (so duplicates and links can be checked too).
    soft: list[str] = []
    entry_id = meta["id"]
    _check_id(entry_id, path, rel, problems, soft)
    title = meta["title"]
    _check_title(title, rel, problems)
    questions = _str_list(meta, "questions", rel, problems)
    if isinstance(meta.get("questions"), list) and len(meta["questions"]) < MIN_QUESTIONS:
        problems.append(f"{rel}: 'questions' needs at least {MIN_QUESTIONS} phrasings")
    tags = _str_list(meta, "tags", rel, problems)
    related = _str_list(meta, "related", rel, problems)
    audience = meta["audience"]
    if audience not in AUDIENCES:
        problems.append(
            f"{rel}: 'audience' must be one of {', '.join(AUDIENCES)}, got {audience!r}"
        )
    if not body.strip():
        problems.append(f"{rel}: the answer (the Markdown after the front matter) is empty")
    template = None
    try:
        template = _ENV.from_string(body)
    except jinja2.TemplateSyntaxError as exc:
        problems.append(f"{rel}: template syntax error on answer line {exc.lineno}: {exc.message}")
    if problems or template is None:
        return None, problems + soft
    entry = FaqEntry(
        id=entry_id,
        title=title.strip(),
        questions=questions,
        tags=tags,
        audience=audience,
        related=related,
        body=body,
        path=path,
        template=template,
    )
    return entry, soft


def _check_id(entry_id: Any, path: Path, rel: str, problems: list[str], soft: list[str]) -> None:
    if not isinstance(entry_id, str) or not _ID_RE.match(entry_id):
        problems.append(f"{rel}: 'id' must be lower-case words joined by hyphens, got {entry_id!r}")
    elif entry_id != path.stem:
        soft.append(f"{rel}: id '{entry_id}' does not match the file name '{path.stem}'")


def _check_title(title: Any, rel: str, problems: list[str]) -> None:
    if not isinstance(title, str) or not title.strip():
        problems.append(f"{rel}: 'title' must be a non-empty string")
    elif len(title.strip()) > TITLE_MAX:
        problems.append(f"{rel}: 'title' is {len(title.strip())} characters, max {TITLE_MAX}")


def entry_files(content_dir: Path) -> list[Path]:
    """The entry files: `<content_dir>/faq/*.md`, except names starting with "_" or ".".

    `FaqStore.load` and `content check` both use this, so they always agree on what an entry
    is; `_notes.md` or `_draft.md` are never entries.
    """
    faq_dir = Path(content_dir) / FAQ_DIR
    return sorted(p for p in faq_dir.glob("*.md") if not p.name.startswith(("_", ".")))


def scan_entries(content_dir: Path) -> tuple[list[FaqEntry], list[str]]:
    """Parse all entries and check what can be checked without rendering.

    Returns the entries that parsed and the list of `"<relative file>: <problem>"` lines
    (schema, id/file name, duplicate ids, duplicate questions, unknown `related` ids).
    """
    faq_dir = content_dir / FAQ_DIR
    if not faq_dir.is_dir():
        return [], [f"{FAQ_DIR}/: folder not found in {content_dir}"]
    files = entry_files(content_dir)
    if not files:
        return [], [f"{FAQ_DIR}/: no .md entries found"]
    entries: list[FaqEntry] = []
    problems: list[str] = []
    for path in files:
        rel = path.relative_to(content_dir).as_posix()
        entry, entry_problems = _parse_entry(path, rel)
        problems.extend(entry_problems)
        if entry is not None:
            entries.append(entry)

    def rel_of(entry: FaqEntry) -> str:
        return entry.path.relative_to(content_dir).as_posix()

    problems += _duplicate_ids(entries, rel_of)
    problems += _duplicate_questions(entries, rel_of)
    # Files that failed to parse still count as existing ids, so one broken file does not
    # also make every link to it look wrong.
    all_ids = {e.id for e in entries} | {p.stem for p in files}
    problems += _broken_links(entries, all_ids, rel_of)
    return entries, problems


def _duplicate_ids(entries: Sequence[FaqEntry], rel_of: Callable[[FaqEntry], str]) -> list[str]:
    problems: list[str] = []
    by_id: dict[str, FaqEntry] = {}
    for entry in entries:
        if entry.id in by_id:
            problems.append(
                f"{rel_of(entry)}: duplicate id '{entry.id}' (also in {rel_of(by_id[entry.id])})"
            )
        else:
            by_id[entry.id] = entry
    return problems


def _duplicate_questions(
    entries: Sequence[FaqEntry], rel_of: Callable[[FaqEntry], str]
) -> list[str]:
    """Questions asked twice, in one entry or in two (compared normalized)."""
    problems: list[str] = []
    seen_questions: dict[str, FaqEntry] = {}
    for entry in entries:
        for question in entry.questions:
            key = normalize_question(question)
            other = seen_questions.get(key)
            if other is None:
                seen_questions[key] = entry
            elif other is entry:
                problems.append(f"{rel_of(entry)}: question '{question}' is listed twice")
            else:
                problems.append(
                    f"{rel_of(entry)}: question '{question}' is also asked in {rel_of(other)}"
                )
    return problems


def _broken_links(
    entries: Sequence[FaqEntry], all_ids: set[str], rel_of: Callable[[FaqEntry], str]
) -> list[str]:
    """`related` ids that name the entry itself or no entry."""
    problems: list[str] = []
    for entry in entries:
        for rid in entry.related:
            if rid == entry.id:
                problems.append(f"{rel_of(entry)}: 'related' lists the entry itself ('{rid}')")
            elif rid not in all_ids:
                problems.append(f"{rel_of(entry)}: 'related' id '{rid}' does not exist")
    return problems


_NOT_TEXT_HINT = " (YAML reads yes/no/on/off/numbers as non-text: quote it)"


def _read_synonyms_file(path: Path, rel: str) -> Mapping[Any, Any] | list[str]:
    """The synonyms table as read, or the problems that leave it empty (none when the file
    is missing or empty)."""
    if not path.exists():
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        return [f"{rel}: cannot read file: {exc}"]
    except yaml.YAMLError as exc:
        detail = " ".join(str(exc).split())
        return [f"{rel}: not valid YAML: {detail}"]
    if data is None:
        return []
    if not isinstance(data, Mapping):
        return [f"{rel}: expected a mapping of head word -> list of words people use for it"]
    return data


def _content_stems(entries: Sequence[FaqEntry]) -> set[str]:
    """The stems of every content word the entries use."""
    content_stems: set[str] = set()
    for entry in entries:
        for text in (*entry.questions, entry.title, *entry.tags, entry.body):
            content_stems.update(stem(w) for w in content_words(text))
    return content_stems


def _head_problems(head: str, have_entries: bool, content_stems: set[str], rel: str) -> list[str]:
    head_content = [stem(w) for w in content_words(head)]
    if not head_content:
        return [f"{rel}: head '{head}' has only common words; name a topic word"]
    if have_entries and not all(s in content_stems for s in head_content):
        return [
            f"{rel}: head '{head}' is not used in any FAQ entry, so mapping words to it "
            "changes nothing; use a word the entries use"
        ]
    return []


def _good_alternatives(
    head: str,
    alternatives: list[Any],
    heads: Mapping[tuple[str, ...], str],
    owner: dict[tuple[str, ...], str],
    rel: str,
    problems: list[str],
) -> list[str]:
    """The usable alternatives of one head; `owner` records which head took each one."""
    good: list[str] = []
    for alt in alternatives:
        if not isinstance(alt, str) or not words(alt):
            problems.append(
                f"{rel}: '{head}': {alt!r} must be a word or phrase"
                + (_NOT_TEXT_HINT if alt is not None and not isinstance(alt, str) else "")
            )
            continue
        key = tuple(words(alt))
        if key == tuple(words(head)):
            problems.append(f"{rel}: '{head}' lists itself as an alternative")
        elif key in heads:
            problems.append(
                f"{rel}: '{alt}' (under '{head}') is also a head word; merge the two lists"
            )
        elif key in owner:
            problems.append(f"{rel}: '{alt}' is listed under both '{owner[key]}' and '{head}'")
        elif len(key) == 1 and key[0] in STOPWORDS:
            problems.append(
                f"{rel}: '{head}': '{alt}' is a common word the search ignores; "
                "use it inside a phrase instead"
            )
        else:
            owner[key] = head
            good.append(alt)
    return good


def scan_synonyms(
    content_dir: Path, entries: Sequence[FaqEntry] = ()
) -> tuple[Synonyms, list[str]]:
    """Read `faq/_synonyms.yaml` (optional) and check it.

    The file maps a head word, one the FAQ entries use, to the words and phrases people use
    for it:

        manager: [boss, line manager, supervisor]

    Returns the table (empty when the file is missing or broken) and `"<file>: <problem>"`
    lines: not a mapping of lists of text, a head or alternative with no words, a one-word
    alternative that is a stop word, an alternative listed under two heads or used as a
    head, and (given `entries`) a head that no entry uses, since it would change nothing.
    """
    path = Path(content_dir) / FAQ_DIR / SYNONYMS_FILE
    rel = f"{FAQ_DIR}/{SYNONYMS_FILE}"
    data = _read_synonyms_file(path, rel)
    if not isinstance(data, Mapping):
        return NO_SYNONYMS, data
    problems: list[str] = []
    groups: dict[str, list[str]] = {}
    owner: dict[tuple[str, ...], str] = {}
    heads = {tuple(words(str(h))): str(h) for h in data if isinstance(h, str)}
    content_stems = _content_stems(entries)
    for head, alternatives in data.items():
        if not isinstance(head, str) or not words(head):
            problems.append(f"{rel}: head {head!r} must be a word or phrase{_NOT_TEXT_HINT}")
            continue
        if not isinstance(alternatives, list) or not alternatives:
            problems.append(f"{rel}: '{head}' must have a non-empty list of words people use")
            continue
        problems += _head_problems(head, bool(entries), content_stems, rel)
        groups[head] = _good_alternatives(head, alternatives, heads, owner, rel, problems)
    if problems:
        return NO_SYNONYMS, problems
    return Synonyms(groups), []
