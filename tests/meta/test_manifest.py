"""manifest.yml agrees with the code: every event and command the app listens to is
subscribed, every Web API method the code calls has a bot scope granted (per Slack's reference
in ../shared/slack-api-ref), and no scope is requested that nothing uses."""

from __future__ import annotations

import ast
from pathlib import Path

import yaml

from sandbox.fake_slack import ApiReference

REPO = Path(__file__).resolve().parents[2]
MANIFEST = yaml.safe_load((REPO / "manifest.yml").read_text(encoding="utf-8"))
REF = ApiReference()
# slack_sdk helpers that wrap several Web API methods
SDK_WRAPPERS = {"files_upload_v2": ("files.getUploadURLExternal", "files.completeUploadExternal")}


def bot_sources() -> list[Path]:
    return sorted((REPO / "bot").rglob("*.py"))


def string_constants() -> dict[str, str]:
    """Module-level string constants of bot/platform/ids.py (ids.SLASH_COMMAND and friends)."""
    tree = ast.parse((REPO / "bot" / "platform" / "ids.py").read_text(encoding="utf-8"))
    consts = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            for target in node.targets:
                if isinstance(target, ast.Name) and isinstance(node.value.value, str):
                    consts[target.id] = node.value.value
    return consts


def listened(kind: str) -> set[str]:
    """Arguments of @app.event(...) / @app.command(...) decorators in bot/."""
    consts = string_constants()
    found: set[str] = set()
    for path in bot_sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == kind
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "app"
                and node.args
            ):
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    found.add(arg.value)
                elif isinstance(arg, ast.Attribute) and arg.attr in consts:
                    found.add(consts[arg.attr])
    return found


def called_methods() -> set[str]:
    """Web API methods the bot calls: `<anything>.<method_with_underscores>(...)` in bot/."""
    by_python_name = {m.replace(".", "_"): m for m in REF.methods}
    methods: set[str] = set()
    for path in bot_sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                name = node.func.attr
                if name in SDK_WRAPPERS:
                    methods.update(SDK_WRAPPERS[name])
                elif name in by_python_name and "_" in name:
                    methods.add(by_python_name[name])
    return methods


def granted_scopes() -> set[str]:
    return set(MANIFEST["oauth_config"]["scopes"]["bot"])


def subscribed_events() -> set[str]:
    return set(MANIFEST["settings"]["event_subscriptions"]["bot_events"])


def normal(scope: str) -> str:
    return scope.replace(".", ":")  # the reference spells app_mentions:read with a dot


def test_every_listened_event_is_subscribed_and_every_subscription_is_listened() -> None:
    events = listened("event")
    subscribed = subscribed_events()
    base_names = {name.split(".")[0] for name in subscribed}
    assert events - base_names == set(), "listened to but not subscribed"
    assert base_names - events == set(), "subscribed (Slack would deliver it) but no listener"
    for name in subscribed:
        assert name in REF.event_names, f"{name} is not a Slack event"


def test_every_slash_command_is_declared() -> None:
    declared = {c["command"] for c in MANIFEST["features"]["slash_commands"]}
    assert listened("command") == declared
    assert "commands" in granted_scopes()


def test_every_called_method_exists_and_has_a_granted_bot_scope() -> None:
    methods = called_methods()
    assert {"chat.postMessage", "users.info", "views.publish"} <= methods  # the scan works
    granted = granted_scopes()
    for method in sorted(methods):
        assert method in REF.methods, f"{method} is not a Slack Web API method"
        needed = {normal(s) for s in REF.scopes_for(method)}
        if needed:
            assert needed & granted, f"{method} needs one of {sorted(needed)}"


def test_no_scope_is_requested_that_nothing_uses() -> None:
    used: set[str] = {"commands"} if listened("command") else set()
    for method in called_methods():
        used |= {normal(s) for s in REF.scopes_for(method)}
    for event in subscribed_events():
        used |= {normal(s) for s in REF.event_scopes(event)}
    unused = granted_scopes() - used
    assert unused == set(), f"requested but unused: {sorted(unused)}"


def test_interactivity_and_home_are_enabled() -> None:
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] is True
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"] is True
    assert MANIFEST["features"]["app_home"]["messages_tab_enabled"] is True
    assert MANIFEST["features"]["bot_user"]["display_name"]
