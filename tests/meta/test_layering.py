"""The dependency rule: core/ never imports the Slack adapter, Slack libraries or the sandbox;
bot/ never imports the sandbox (the bot cannot tell the sandbox from Slack)."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def offenders(folder: str, forbidden: tuple[str, ...], allow: tuple[str, ...] = ()) -> list[str]:
    found = []
    for path in sorted((REPO / folder).rglob("*.py")):
        rel = path.relative_to(REPO).as_posix()
        if rel in allow:
            continue
        for name in imported_modules(path):
            if name.split(".")[0] in forbidden:
                found.append(f"{rel} imports {name}")
    return found


def test_core_imports_no_slack_and_no_bot() -> None:
    assert offenders("core", ("bot", "slack_bolt", "slack_sdk", "sandbox")) == []


def test_bot_never_imports_the_sandbox() -> None:
    # `mentorbot run` starts the sandbox when no Slack tokens are set: that entry point is
    # the only place allowed to know it exists.
    assert offenders("bot", ("sandbox",), allow=("bot/cli/run.py",)) == []


def test_the_checker_catches_a_forbidden_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("from slack_sdk import WebClient\nimport bot.app\n")
    assert imported_modules(sample) == {"slack_sdk", "bot.app"}
