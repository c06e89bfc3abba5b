"""Checks that the content's YAML says what its author meant.

YAML 1.1 reads some bare words as other types: `no:` is the boolean False, `1.10` a number,
`2026-01-05` a date. In files where every key and text is a string (the language list and the
message templates) such a value would reach people as "False" or "1.1"; `string_problems`
finds them so `mentorbot content check` can say which line to quote.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import yaml

# `%}` then a line break, in a one-line (quoted) template: the environment's trim_blocks
# removes that line break ("VP Sales• Can help..."); `+%}` keeps it.
EATEN_BREAK = re.compile(r"[^+]%}\n")

# content files whose keys, and whose values at every depth, are all text
STRING_FILES = ("languages.yaml", "templates/*.yaml")


def _walk(node: yaml.Node, path: str) -> Iterator[tuple[str, yaml.Node, str]]:
    """(where, node, what) for every key and leaf value that is not a string."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            name = str(key.value)
            if not _is_string(key):
                yield f"{path}{name}", key, "key"
            yield from _walk(value, f"{path}{name}.")
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            yield from _walk(item, f"{path}{i}.")
    elif isinstance(node, yaml.ScalarNode) and not _is_string(node):
        yield path.rstrip("."), node, "value"


def _is_string(node: yaml.Node) -> bool:
    """Composing already resolved each scalar's type from its spelling."""
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:str"


def string_problems(content_dir: Path) -> list[str]:
    """`"<file>:<line>: <what> <name> is read as <type>; quote it"` for each key or value that
    YAML does not read as text, in the files where text is meant."""
    problems: list[str] = []
    for pattern in STRING_FILES:
        for path in sorted(content_dir.glob(pattern)):
            rel = path.relative_to(content_dir).as_posix()
            try:
                root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
            except yaml.YAMLError as exc:
                problems.append(f"{rel}: not valid YAML: {exc}")
                continue
            if root is None:
                continue
            for where, node, what in _walk(root, ""):
                kind = type(yaml.safe_load(node.value)).__name__
                problems.append(
                    f"{rel}:{node.start_mark.line + 1}: the {what} of {where!r} is read as "
                    f"{kind} ({node.value!r}); put it in quotes"
                )
    return problems


def _quoted_leaves(node: yaml.Node, path: str) -> Iterator[tuple[str, yaml.ScalarNode]]:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield from _quoted_leaves(value, f"{path}{key.value}.")
    elif isinstance(node, yaml.ScalarNode) and node.style in ("'", '"'):
        yield path.rstrip("."), node


def template_problems(content_dir: Path) -> list[str]:
    """One-line templates whose line break right after a `{% ... %}` tag would be removed."""
    problems: list[str] = []
    for path in sorted(content_dir.glob("templates/*.yaml")):
        rel = path.relative_to(content_dir).as_posix()
        try:
            root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
        except yaml.YAMLError:
            continue  # string_problems reports it
        for where, node in _quoted_leaves(root, "") if root is not None else []:
            if EATEN_BREAK.search(node.value):
                problems.append(
                    f"{rel}:{node.start_mark.line + 1}: in {where!r} the line break after a "
                    "'%}' is removed when the text is shown; write '+%}' to keep it"
                )
    return problems
