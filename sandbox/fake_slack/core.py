"""A stateful, in-memory fake of the Slack Web API, served over real HTTP.

See the package docstring (``sandbox/fake_slack/__init__.py``) for a tour. The fake is built in
layers, each in its own module: :mod:`.state` (the workspace and queries), :mod:`.faults`
(error injection), :mod:`.messages`, :mod:`.views`, and here the HTTP entry points with their
token and scope checks; the Web API methods themselves live in :mod:`.methods`. Everything is
guarded by one re-entrant lock: uvicorn serves requests on its own thread while tests read the
state from theirs.
"""

from __future__ import annotations

import copy
import time
from typing import Any

from ..asgi_thread import ServerThread
from .common import SlackApiFailure, split_ids
from .methods import HANDLERS, generic
from .models import ApiCall
from .parsing import (
    bearer_token,
    decode_json_args,
    loggable,
    parse_args,
    parse_multipart,
    parse_response_body,
)
from .state import STATE_VERSION
from .views import MAX_MODAL_STACK, ViewStore

__all__ = ["MAX_MODAL_STACK", "STATE_VERSION", "FakeSlack", "SlackApiFailure"]

# conversations.* methods whose scope depends on the kind of conversation.
_CONVERSATION_SCOPE_SUFFIX = {
    "conversations.info": "read",
    "conversations.members": "read",
    "conversations.history": "history",
    "conversations.replies": "history",
    "conversations.open": "write",
}
_SCOPE_PREFIX = {"im": "im", "mpim": "mpim", "channel": "channels", "group": "groups"}
# Methods that never change what export_state() saves (every other successful call may).
_READ_ONLY_METHODS = frozenset(
    {
        "auth.test",
        "team.info",
        "users.info",
        "users.list",
        "users.lookupByEmail",
        "bots.info",
        "conversations.info",
        "conversations.members",
        "conversations.history",
        "chat.getPermalink",
        "files.info",
    }
)


class FakeSlack(ViewStore):
    """Stateful fake of Slack's Web API for a single workspace with one bot.

    Args:
        manifest_path: app manifest (YAML or JSON) whose ``oauth_config.scopes.bot`` are the
            granted scopes. Default: ``<repo>/manifest.yml`` if it exists. ``None``: grant
            every scope and skip the manifest checks.
        api_ref_dir: the slack-api-ref directory. Default: ``$MENTORBOT_SLACK_API_REF`` or
            ``<repo>/../shared/slack-api-ref``.
        bot_scopes: override the granted bot scopes (ignores the manifest's list).
        trigger_ttl: lifetime of issued trigger ids in real seconds (Slack: 3).
        monotonic: the timer for the lifetimes of trigger ids and ``response_url`` links, which
            Slack counts in real seconds. Default: ``time.monotonic``; tests may pass a fake.
        response_url_ttl / response_url_uses: Slack allows 5 posts within 30 minutes.
        clock: wall clock (epoch seconds) for message ``ts``, ``created`` and ``tz_offset``;
            pass the app's injected clock in the sandbox.
        on_change: called (with no arguments, under the fake's lock, so it must be quick) after
            anything that :meth:`export_state` saves may have changed. Default: nothing; the
            fake itself never writes anywhere.
        base_url: public base URL when :attr:`asgi_app` is mounted elsewhere instead of being
            served by :meth:`start` (e.g. ``"http://127.0.0.1:8000/slack-fake"``).

    Use ``with FakeSlack() as fake:`` or ``fake.start()`` / ``fake.stop()`` to serve it on
    127.0.0.1; point the bot at ``WebClient(base_url=fake.api_url, token=fake.bot_token)``.
    """

    # ================================================================== serving
    @property
    def asgi_app(self) -> Any:
        """A Starlette app serving ``/api/<method>``, ``/response/<id>``, ``/upload/<id>``."""
        if self._asgi_app is None:
            from .asgi import build_asgi_app

            self._asgi_app = build_asgi_app(self)
        return self._asgi_app

    def start(self) -> FakeSlack:
        """Serve the fake on ``host:port`` (default 127.0.0.1, free port) on a thread."""
        if self._server is None:
            self._server = ServerThread(
                self.asgi_app, self._host, self._port, lifespan="off", name="fake-slack"
            )
            self._base_url = self._server.url
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ================================================================== HTTP entry points
    def handle_api(
        self,
        method: str,
        *,
        http_method: str = "POST",
        query: dict[str, str] | None = None,
        body: bytes = b"",
        content_type: str = "",
        authorization: str | None = None,
        base_url: str | None = None,
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        """Handle one Web API request; returns (HTTP status, JSON body, extra headers)."""
        with self._lock:
            args: dict[str, Any] = {}
            headers: dict[str, str] = {}
            status, payload, error = 200, {}, None
            call_warnings: list[str] = []
            try:
                args, from_json = parse_args(query or {}, body, content_type)
                self._accept_request(method, args, from_json, authorization)
                self._raise_injected_fault(method, args, headers)
                result = self._run_method(method, args, base_url)
                call_warnings = result.pop("_warnings", [])
                payload = {"ok": True, **result}
                if method not in _READ_ONLY_METHODS:
                    self._changed()
            except SlackApiFailure as exc:
                status, error = exc.status, exc.error
                payload = {"ok": False, "error": exc.error, **exc.extra}
            except Exception as exc:  # a bug in the fake: answer like Slack's 500, loudly
                status, error = 500, "internal_error"
                payload = {"ok": False, "error": "internal_error"}
                self.add_warning("fake_slack_bug", f"{type(exc).__name__}: {exc}", method)
            self._calls.append(
                ApiCall(
                    method=method,
                    args=loggable(args),
                    ok=payload["ok"],
                    error=error,
                    status=status,
                    response=copy.deepcopy(payload),
                    timestamp=time.time(),
                    http_method=http_method,
                    warnings=call_warnings,
                )
            )
            return status, payload, headers

    def _accept_request(
        self, method: str, args: dict[str, Any], from_json: bool, authorization: str | None
    ) -> None:
        """What Slack checks before a method runs: the method, the token, the body's format,
        the required arguments and the scopes. Takes the token out of ``args`` and decodes
        the JSON-encoded ones in place."""
        token = bearer_token(authorization)
        token_only_in_json = token is None and from_json and "token" in args
        if token is None and not from_json:
            token = args.get("token")
        args.pop("token", None)
        if method not in self.api_ref:
            raise SlackApiFailure("unknown_method", req_method=method)
        self._check_auth(token, token_only_in_json)
        if from_json and args and not self.api_ref.json_supported(method):
            raise SlackApiFailure(
                "invalid_arguments",
                messages=[
                    f"[ERROR] {method} does not accept application/json bodies; "
                    "send the arguments form-encoded or in the query string"
                ],
            )
        decode_json_args(args)
        missing = [a for a in self.api_ref.required_args(method) if args.get(a) in (None, "")]
        if missing:
            raise SlackApiFailure(
                "invalid_arguments",
                messages=[f"[ERROR] missing required field: {a}" for a in missing],
            )
        self._check_scopes(method, args)

    def _raise_injected_fault(
        self, method: str, args: dict[str, Any], headers: dict[str, str]
    ) -> None:
        """Answer with the next queued fault for this call, if any (setting ``Retry-After``)."""
        fault = self._take_fault(method, args)
        if fault is None:
            return
        if fault.retry_after is not None:
            headers["Retry-After"] = str(fault.retry_after)
        raise SlackApiFailure(fault.error, status=fault.status, **fault.extra)

    def _run_method(
        self, method: str, args: dict[str, Any], base_url: str | None
    ) -> dict[str, Any]:
        handler = HANDLERS.get(method, generic)
        return handler(self, args, self._base_url or base_url or "")

    def handle_response_url(self, rid: str, body: bytes, content_type: str) -> tuple[int, dict]:
        """Handle a POST to a ``response_url`` the fake issued."""
        with self._lock:
            args: dict[str, Any] = {}
            status, error = 200, None
            payload: dict[str, Any] = {"ok": True}
            try:
                info = self._response_urls.get(rid)
                if info is None:
                    raise SlackApiFailure("invalid_url", status=404)
                if self.monotonic() > info.expires:
                    raise SlackApiFailure("expired_url", status=404)
                if info.uses_left <= 0:
                    raise SlackApiFailure("used_url", status=404)
                args = parse_response_body(body, content_type)
                info.uses_left -= 1
                self._post_from_response(
                    info.channel,
                    info.user_id,
                    args,
                    message_ts=info.message_ts,
                    via="response_url",
                    method="response_url",
                )
                self._changed()
            except SlackApiFailure as exc:
                status = 400 if exc.status == 200 else exc.status
                error = exc.error
                payload = {"ok": False, "error": exc.error, **exc.extra}
            self._calls.append(
                ApiCall(
                    "response_url",
                    loggable(args),
                    payload["ok"],
                    error,
                    status,
                    copy.deepcopy(payload),
                    time.time(),
                )
            )
            return status, payload

    def handle_upload(self, file_id: str, body: bytes, content_type: str) -> tuple[int, str]:
        """Accept the bytes POSTed to an ``upload_url`` from files.getUploadURLExternal."""
        with self._lock:
            file = self._files.get(file_id)
            if file is None:
                status, text = 404, "file_not_found"
            else:
                data = body
                if content_type.startswith("multipart/form-data"):
                    parts = parse_multipart(body, content_type)
                    data = next((v for v in parts.values() if isinstance(v, bytes)), b"")
                file.content = data
                if len(data) != file.length:
                    self.add_warning(
                        "upload_length_mismatch",
                        f"{file.name}: declared length {file.length}, uploaded {len(data)} bytes",
                        "upload_url",
                    )
                status, text = 200, f"OK - {len(data)}"
                self._changed()
            self._calls.append(
                ApiCall(
                    "upload_url",
                    {"file_id": file_id, "bytes": len(body)},
                    status == 200,
                    None if status == 200 else text,
                    status,
                    {"ok": status == 200},
                    time.time(),
                )
            )
            return status, text

    # ================================================================== checks
    def _check_auth(self, token: str | None, token_only_in_json: bool) -> None:
        if not token:
            if token_only_in_json:
                raise SlackApiFailure(
                    "not_authed",
                    messages=["[ERROR] send the token in the Authorization header with JSON"],
                )
            raise SlackApiFailure("not_authed")
        if token != self.bot_token:
            raise SlackApiFailure("invalid_auth")
        if self._token_state == "revoked":
            raise SlackApiFailure("token_revoked")

    def _check_scopes(self, method: str, args: dict[str, Any]) -> None:
        if not self.api_ref.bot_token_allowed(method):
            raise SlackApiFailure("not_allowed_token_type")
        if self.granted_scopes is None:
            return
        needed = self._needed_scopes(method, args)
        if needed and not (set(needed) & self.granted_scopes):
            raise SlackApiFailure(
                "missing_scope",
                needed=",".join(needed),
                provided=",".join(sorted(self.granted_scopes)),
            )

    def _needed_scopes(self, method: str, args: dict[str, Any]) -> list[str]:
        scopes = self.api_ref.scopes_for(method)
        suffix = _CONVERSATION_SCOPE_SUFFIX.get(method)
        if suffix is None:
            return scopes
        kind: str | None = None
        if method == "conversations.open" and not args.get("channel"):
            users = split_ids(args.get("users"))
            kind = "im" if len(users) == 1 else "mpim" if users else None
        else:
            channel = self._channels.get(str(args.get("channel") or ""))
            kind = channel.kind if channel else None
        if kind is None:
            return scopes
        specific = f"{_SCOPE_PREFIX[kind]}:{suffix}"
        return [specific] if specific in scopes else scopes
