"""The bot cannot tell the sandbox from Slack: bot/ and core/ have no sandbox-only branches.

`tests/meta/test_layering.py` proves bot/ never imports the sandbox (except the `mentorbot run`
entry point, which starts it when no Slack tokens are set). This file goes further: no code
in bot/ or core/ (identifiers, attributes, imports, string literals; comments and docstrings
are prose, not branches) mentions the sandbox, its fake Slack, its harness or driver, or any
value that only the fake uses (its tokens, ids, mount path, loopback addresses), so nothing
can switch behaviour on them. The sandbox itself passes the bot ordinary settings only.
"""

from __future__ import annotations

import ast
from pathlib import Path

from core.kernel.settings import Settings

REPO = Path(__file__).resolve().parents[2]

# What a sandbox-only branch would have to name or compare against.
MARKERS = (
    "sandbox",
    "fake_slack",
    "fakeslack",
    "fake-slack",
    "harness",
    "bot_under_test",
    "botundertest",
    "slackdriver",
    "127.0.0.1",
    "localhost",
    "xoxb-test",  # the fake's bot token
    "a0mentorbot",  # the fake's app id
    "t0001",  # the fake's team id
)
# Allowed: the entry point that starts the sandbox when there is no Slack, the CLI registry
# naming its command group, and Jinja's own "sandbox" (a safe template environment).
ALLOWED = {
    ("bot/cli/run.py", None),
    ("bot/cli/__init__.py", "sandbox.cli"),
    ("core/match_engine/reasons.py", "jinja2.sandbox"),
    ("core/match_engine/reasons.py", "SandboxedEnvironment"),
}


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def names_in_code(source: str) -> list[tuple[int, str]]:
    """(line, text) of every identifier, attribute, imported name and string literal."""
    tree = ast.parse(source)
    skip = _docstrings(tree)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            found.append((node.lineno, node.id))
        elif isinstance(node, ast.Attribute):
            found.append((node.lineno, node.attr))
        elif isinstance(node, ast.alias):
            found.append((node.lineno, node.name))
            if node.asname:
                found.append((node.lineno, node.asname))
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.keyword) and node.arg:
            found.append((node.lineno, node.arg))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found.append((node.lineno, node.name))
        elif isinstance(node, ast.arg):
            found.append((node.lineno, node.arg))
        elif (
            isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip
        ):
            found.append((node.lineno, node.value))
    return found


def offenders(rel: str, source: str) -> list[str]:
    if (rel, None) in ALLOWED:
        return []
    out = []
    for line, text in names_in_code(source):
        lowered = text.lower()
        if any(marker in lowered for marker in MARKERS) and (rel, text) not in ALLOWED:
            out.append(f"{rel}:{line}: {text!r}")
    return out


def test_bot_and_core_code_never_mention_the_sandbox_or_its_fake_slack() -> None:
    found = []
    for folder in ("bot", "core"):
        for path in sorted((REPO / folder).rglob("*.py")):
            rel = path.relative_to(REPO).as_posix()
            if "/migrations/versions/" in rel:
                continue
            found += offenders(rel, path.read_text(encoding="utf-8"))
    assert found == []


def test_settings_have_no_sandbox_switch() -> None:
    names = [f"{name} {field.alias}".lower() for name, field in Settings.model_fields.items()]
    assert names and not [n for n in names if any(m in n for m in ("sandbox", "fake"))]


def test_the_check_catches_a_sandbox_only_branch() -> None:
    planted = '''
"""A docstring may say: the sandbox uses this too."""
import os

def send(client, settings):
    # comments are prose too: the sandbox
    if os.environ.get("MENTORBOT_SANDBOX"):
        return None
    if settings.slack_api_url.startswith("http://127.0.0.1"):
        return None
    if client.token == "xoxb-test-0000-mentorbot":
        return None
    return client.chat_postMessage(channel="C1", text="hi")
'''
    found = offenders("bot/flows/example.py", planted)
    assert len(found) == 3
    assert all(":7:" in f or ":9:" in f or ":11:" in f for f in found)
    assert offenders("bot/cli/run.py", planted) == []  # the one allowed entry point
