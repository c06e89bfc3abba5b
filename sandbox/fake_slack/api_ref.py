"""Loader for the Slack Web API / Events API reference data (``../shared/slack-api-ref``).

The reference is the contract nobody on this project wrote: which methods exist, which bot
scopes each needs, which arguments are required, which errors Slack documents. The fake Slack
server and the manifest test both read it through :class:`ApiReference`.

Method files are parsed lazily (there are ~320 of them), so constructing the loader is cheap.
"""

from __future__ import annotations

import gzip
import json
import os
import threading
from functools import cached_property
from pathlib import Path
from typing import Any

__all__ = ["ApiReference", "ENV_VAR", "COMMON_ERRORS", "default_api_ref_dir", "repo_root"]

ENV_VAR = "MENTORBOT_SLACK_API_REF"

#: Errors Slack documents as possible for *every* Web API method (in addition to each
#: method's own list). Injecting these is always allowed.
COMMON_ERRORS: frozenset[str] = frozenset(
    {
        "ratelimited",
        "fatal_error",
        "internal_error",
        "service_unavailable",
        "request_timeout",
        "not_authed",
        "invalid_auth",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "no_permission",
        "missing_scope",
        "not_allowed_token_type",
        "invalid_arguments",
    }
)

# Files in methods/ that are not methods.
_NOT_METHODS = {"methods"}


# A compact digest of the reference (only the fields the fake reads), shipped with the sandbox
# together with the reference's MIT licence, so `make run` works on a clone without ../shared.
BUNDLE = Path(__file__).with_name("slack_api_ref.json.gz")
_BUNDLED_METHOD_FIELDS = ("scope", "http_method", "rate_limits", "json_input_supported")


def digest(root: Path) -> dict[str, Any]:
    """The bundle's content, made from a reference directory."""
    methods: dict[str, Any] = {}
    for path in sorted((root / "methods").glob("*.json")):
        if path.stem in _NOT_METHODS:
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        entry = {k: data[k] for k in _BUNDLED_METHOD_FIELDS if k in data}
        args = data.get("args") or {}
        entry["args"] = {
            "required": list(args.get("required") or []),
            "properties": {name: {} for name in (args.get("properties") or {})},
        }
        errors = data.get("errors") or {}
        entry["errors"] = list(errors)
        methods[path.stem] = entry
    events = [
        {"name": e["name"], "scopes": list(e.get("scopes") or [])}
        for e in json.loads((root / "events.json").read_text(encoding="utf-8"))
    ]
    return {"methods": methods, "events": events}


def make_bundle(root: Path, target: Path = BUNDLE) -> None:
    payload = json.dumps(digest(root), sort_keys=True, separators=(",", ":")).encode()
    target.write_bytes(gzip.compress(payload, mtime=0))


def load_bundle(path: Path = BUNDLE) -> dict[str, Any]:
    return dict(json.loads(gzip.decompress(path.read_bytes())))


def repo_root() -> Path:
    """The repository root: the parent of the ``sandbox/`` package."""
    return Path(__file__).resolve().parents[2]


def default_api_ref_dir() -> Path:
    """``$MENTORBOT_SLACK_API_REF`` if set, else ``<repo>/../shared/slack-api-ref``."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    return repo_root().parent / "shared" / "slack-api-ref"


class ApiReference:
    """Read-only view of the reference directory.

    >>> ref = ApiReference()                      # default location
    >>> "chat.postMessage" in ref
    True
    >>> ref.scopes_for("chat.postMessage")
    ['chat:write']
    """

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root) if root is not None else default_api_ref_dir()
        self._methods_dir = self.root / "methods"
        self._cache: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._bundle: dict[str, Any] | None = None
        if not self._methods_dir.is_dir():
            if root is None and BUNDLE.exists():
                # A clone without ../shared (an evaluator's machine): use the digest shipped
                # with the sandbox, made from the same reference by `make_bundle`.
                self._bundle = load_bundle()
                self._cache.update(self._bundle["methods"])
                self.root = BUNDLE
                return
            raise FileNotFoundError(
                f"Slack API reference not found at {self.root} (expected a 'methods/' folder). "
                f"Pass api_ref_dir=... or set {ENV_VAR} to the slack-api-ref directory."
            )

    # ------------------------------------------------------------------ methods
    @cached_property
    def methods(self) -> list[str]:
        """Sorted names of every Web API method in the reference."""
        if self._bundle is not None:
            return sorted(self._bundle["methods"])
        return sorted(
            p.stem for p in self._methods_dir.glob("*.json") if p.stem not in _NOT_METHODS
        )

    @cached_property
    def _method_set(self) -> frozenset[str]:
        return frozenset(self.methods)

    def __contains__(self, method: object) -> bool:
        return isinstance(method, str) and method in self._method_set

    def has_method(self, method: str) -> bool:
        return method in self

    def method(self, method: str) -> dict[str, Any]:
        """The raw JSON description of ``method``; KeyError if it does not exist."""
        if method not in self:
            raise KeyError(f"unknown Slack Web API method: {method!r}")
        with self._lock:
            data = self._cache.get(method)
            if data is None:
                path = self._methods_dir / f"{method}.json"
                data = json.loads(path.read_text(encoding="utf-8"))
                self._cache[method] = data
        return data

    def _scope_dict(self, method: str) -> dict[str, list[str]]:
        scope = self.method(method).get("scope")
        return scope if isinstance(scope, dict) else {}

    def scopes_for(self, method: str) -> list[str]:
        """Bot scopes of ``method``; any one of them is enough. Empty = no scope needed."""
        return list(self._scope_dict(method).get("bot") or [])

    def user_scopes_for(self, method: str) -> list[str]:
        return list(self._scope_dict(method).get("user") or [])

    def bot_token_allowed(self, method: str) -> bool:
        """False for methods documented with user scopes only (Slack: not_allowed_token_type)."""
        scope = self._scope_dict(method)
        return bool(scope.get("bot")) or not scope.get("user")

    def required_args(self, method: str) -> list[str]:
        """Required arguments, ``token`` excluded (it travels in the Authorization header)."""
        args = self.method(method).get("args") or {}
        return [a for a in args.get("required") or [] if a != "token"]

    def arg_names(self, method: str) -> list[str]:
        args = self.method(method).get("args") or {}
        return list((args.get("properties") or {}).keys())

    def errors_for(self, method: str) -> list[str]:
        """Error codes Slack documents for ``method`` (its own list, not COMMON_ERRORS)."""
        errors = self.method(method).get("errors") or {}
        return list(errors.keys()) if isinstance(errors, dict) else list(errors)

    def injectable_errors(self, method: str) -> frozenset[str]:
        return frozenset(self.errors_for(method)) | COMMON_ERRORS

    def http_method(self, method: str) -> str:
        return str(self.method(method).get("http_method") or "POST")

    def json_supported(self, method: str) -> bool:
        return bool(self.method(method).get("json_input_supported"))

    def rate_limit_tier(self, method: str) -> str | None:
        tier = self.method(method).get("rate_limits")
        return str(tier) if tier else None

    # ------------------------------------------------------------------ events
    @cached_property
    def events(self) -> list[dict[str, Any]]:
        """Every event in ``events.json``: dicts with ``name``, ``scopes``, ``APIs``, ..."""
        if self._bundle is not None:
            return list(self._bundle["events"])
        data = json.loads((self.root / "events.json").read_text(encoding="utf-8"))
        return list(data)

    @cached_property
    def _events_by_name(self) -> dict[str, dict[str, Any]]:
        return {e["name"]: e for e in self.events}

    @property
    def event_names(self) -> list[str]:
        return sorted(self._events_by_name)

    def has_event(self, name: str) -> bool:
        return name in self._events_by_name

    def event_scopes(self, name: str) -> list[str]:
        """Scopes an event subscription needs (any one of them), e.g. message.im -> im:history."""
        try:
            return list(self._events_by_name[name].get("scopes") or [])
        except KeyError:
            raise KeyError(f"unknown Slack event: {name!r}") from None

    def __repr__(self) -> str:
        return f"<ApiReference {self.root}>"
