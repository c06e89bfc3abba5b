"""The sandbox server: the page, its small JSON API (``/api/...``) and the fake Slack Web API
mounted under ``/fake-slack``, answering only requests addressed to a loopback name."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from sandbox.errors import SandboxError

if TYPE_CHECKING:
    from sandbox.app import Sandbox

FAKE_SLACK_PATH = "/fake-slack"
STATIC_DIR = Path(__file__).resolve().parent / "static"

Handler = Callable[[dict[str, Any]], Any]
SandboxHandler = Callable[["Sandbox", dict[str, Any]], Any]


def _local_hosts(port: int) -> set[str]:
    return {f"127.0.0.1:{port}", f"localhost:{port}"}


class LocalOnly:
    """Refuse requests that do not address the sandbox by a loopback name (DNS rebinding), and
    cross-site writes: the page's POSTs are JSON from its own origin."""

    def __init__(self, app: ASGIApp, sandbox: Sandbox) -> None:
        self.app = app
        self.sandbox = sandbox

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            problem = self._problem(scope)
            if problem is not None:
                response = JSONResponse({"error": problem}, status_code=403)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _problem(self, scope: Scope) -> str | None:
        server = self.sandbox.server
        port = server.port if server is not None else 0
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        host = headers.get("host", "")
        origin = headers.get("origin")
        allowed = _local_hosts(port)
        if host not in allowed:
            return "the sandbox only answers requests addressed to 127.0.0.1 or localhost"
        if origin is not None and origin.removeprefix("http://") not in allowed:
            return "cross-site requests are refused"
        return None


async def _read_body(request: Request) -> dict[str, Any] | Response:
    """A POST's JSON object or a GET's query parameters; an error response for anything else."""
    if request.method != "POST":
        return dict(request.query_params)
    if request.headers.get("content-type", "").split(";")[0] != "application/json":
        return JSONResponse({"error": "send JSON"}, status_code=415)
    try:
        body = await request.json()
    except ValueError:
        return JSONResponse({"error": "the body is not valid JSON"}, status_code=400)
    if not isinstance(body, dict):
        return JSONResponse({"error": "send a JSON object"}, status_code=400)
    return body


def _json_endpoint(fn: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        body = await _read_body(request)
        if isinstance(body, Response):
            return body
        try:
            result = await run_in_threadpool(fn, body)
        except SandboxError as exc:
            return JSONResponse({"error": str(exc)}, status_code=exc.status)
        return JSONResponse({"ok": True, **(result or {})})

    return endpoint


def _need(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise SandboxError(f"missing {key}")
    return value


def _people(sandbox: Sandbox, _body: dict[str, Any]) -> dict[str, Any]:
    return {"people": sandbox.people(), "clock": sandbox.clock_info()}


def _state(sandbox: Sandbox, body: dict[str, Any]) -> dict[str, Any]:
    return {"state": sandbox.state(_need(body, "user"))}


def _health(sandbox: Sandbox, _body: dict[str, Any]) -> dict[str, Any]:
    return {"sandbox": True, "bot": sandbox.bot is not None}


def _open_tab(sandbox: Sandbox, body: dict[str, Any]) -> None:
    sandbox.open_tab(_need(body, "user"), _need(body, "tab"))


def _dm(sandbox: Sandbox, body: dict[str, Any]) -> None:
    sandbox.dm(_need(body, "user"), _need(body, "text"))


def _slash(sandbox: Sandbox, body: dict[str, Any]) -> None:
    sandbox.slash(_need(body, "user"), _need(body, "text"), body.get("channel") or None)


def _channel(sandbox: Sandbox, body: dict[str, Any]) -> None:
    sandbox.channel_message(_need(body, "user"), _need(body, "channel"), _need(body, "text"))


def _click(sandbox: Sandbox, body: dict[str, Any]) -> None:
    sandbox.click(
        _need(body, "user"),
        body.get("source") or {},
        _need(body, "action_id"),
        block_id=body.get("block_id"),
        value=body.get("value"),
    )


def _select(sandbox: Sandbox, body: dict[str, Any]) -> None:
    sandbox.select(
        _need(body, "user"),
        body.get("source") or {},
        _need(body, "action_id"),
        body.get("values"),
        block_id=body.get("block_id"),
    )


def _submit(sandbox: Sandbox, body: dict[str, Any]) -> dict[str, Any]:
    outcome = sandbox.submit(_need(body, "user"), _need(body, "view_id"), body.get("values") or {})
    return {"outcome": outcome}


def _close(sandbox: Sandbox, body: dict[str, Any]) -> None:
    sandbox.close_modal(_need(body, "user"), _need(body, "view_id"))


def _clock(sandbox: Sandbox, body: dict[str, Any]) -> dict[str, Any]:
    sandbox.advance(_need(body, "step"), body.get("user") or None)
    return {"clock": sandbox.clock_info()}


def _reset(sandbox: Sandbox, _body: dict[str, Any]) -> dict[str, Any]:
    sandbox.reset()
    return {"clock": sandbox.clock_info()}


_GETS: dict[str, SandboxHandler] = {"people": _people, "state": _state, "health": _health}
_POSTS: dict[str, SandboxHandler] = {
    "open": _open_tab,
    "dm": _dm,
    "slash": _slash,
    "channel-message": _channel,
    "click": _click,
    "select": _select,
    "submit": _submit,
    "close": _close,
    "clock": _clock,
    "reset": _reset,
}


#: Shown in the page as they are; anything else is shown as plain text or downloaded, so a
#: file can never run script in the sandbox's origin.
_INLINE_IMAGES = {"image/png", "image/jpeg", "image/gif", "image/webp"}


def _file_endpoint(sandbox: Sandbox) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        query = dict(request.query_params)
        try:
            name, mimetype, content = await run_in_threadpool(
                sandbox.file, _need(query, "user"), _need(query, "id")
            )
        except SandboxError as exc:
            return JSONResponse({"error": str(exc)}, status_code=exc.status)
        download = query.get("download") == "1"
        if mimetype in _INLINE_IMAGES:
            media = mimetype
        else:
            try:
                content.decode("utf-8")
                media = "text/plain; charset=utf-8"
            except UnicodeDecodeError:
                media, download = "application/octet-stream", True
        safe_name = "".join(c if c.isalnum() or c in "._-" else "_" for c in name) or "file"
        disposition = "attachment" if download else "inline"
        return Response(
            content,
            media_type=media,
            headers={
                "Content-Disposition": f'{disposition}; filename="{safe_name}"',
                "X-Content-Type-Options": "nosniff",
                "Content-Security-Policy": "sandbox; default-src 'none'; img-src 'self'",
                "Cache-Control": "no-store",
            },
        )

    return endpoint


async def _index(_request: Request) -> Response:
    return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-store"})


def build_app(sandbox: Sandbox) -> ASGIApp:
    """The sandbox server: the page, its JSON API, and the fake Slack Web API."""
    fake = sandbox._fake()
    routes: list[Route | Mount] = [
        Route("/", _index, methods=["GET"]),
        Route("/api/file", _file_endpoint(sandbox), methods=["GET"]),
    ]
    for method, handlers in (("GET", _GETS), ("POST", _POSTS)):
        routes += [
            Route(f"/api/{name}", _json_endpoint(partial(fn, sandbox)), methods=[method])
            for name, fn in handlers.items()
        ]
    routes += [
        Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
        Mount(FAKE_SLACK_PATH, app=fake.asgi_app),
    ]
    return LocalOnly(Starlette(routes=routes), sandbox)
