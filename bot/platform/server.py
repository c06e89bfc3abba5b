"""HTTP mode: an ASGI app (Starlette, served by uvicorn) with the Slack endpoint and a health check.

`POST /slack/events` takes events, slash commands and interactivity. A body over the limit
gets 413 before it is read (from Content-Length) or as soon as a streamed body passes it; a
request with a bad, old or unparseable signature gets 401; a correctly signed but malformed one
(not UTF-8, not JSON, too deep, wrong types: bot/platform/boundary.py) gets 400, never a 5xx.
Bolt then sees the body with its text cleaned (no NUL or other control characters).
`GET /healthz` answers 503 "starting" until start-up's warm-ups are done (the server already
listens), then 200 when the database is reachable and 503 when it is not.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import TYPE_CHECKING, Any

import anyio
import anyio.to_thread
from slack_bolt import BoltContext, BoltRequest
from slack_bolt.request.internals import build_context
from slack_sdk.signature import SignatureVerifier
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.platform.boundary import Malformed, parse_body

if TYPE_CHECKING:
    from bot.app import MentorApp

# Threads that take requests up to their acknowledgement (bot.app sizes the database pool
# for them).
ACK_THREADS = 16

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1_000_000  # Slack's payloads are far smaller
SIGNATURE_MAX_AGE = 5 * 60  # seconds, as Slack's SDKs check


class _TooLarge(Exception):
    pass


async def _read_body(request: Request) -> bytes:
    """The body, refused from its Content-Length before reading and cut off at the limit when
    it is streamed (chunked), so a huge body is never held in memory."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
        raise _TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _signed(verifier: SignatureVerifier, body: bytes, headers: dict[str, str]) -> bool:
    """Signed by Slack and fresh (Slack's v0 HMAC over the raw bytes). A missing or non-numeric
    timestamp, or a body that is not UTF-8, is simply not a valid request, never an exception."""
    timestamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    if not (timestamp.isascii() and timestamp.isdigit()) or not signature.isascii():
        return False
    if abs(verifier.clock.now() - int(timestamp)) > SIGNATURE_MAX_AGE:
        return False
    base = b"v0:" + timestamp.encode() + b":" + body
    secret = verifier.signing_secret.encode()
    expected = "v0=" + hmac.new(secret, base, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


def _bolt_request(
    body: bytes, parsed: dict[str, Any], query: str, headers: dict[str, str]
) -> BoltRequest:
    """Bolt's request, verified by Bolt on the raw body, but holding the checked and cleaned
    body (and the context Bolt derives from it) so listeners only ever see clean text."""
    request = BoltRequest(
        body=body.decode("utf-8"), query=query, headers={k: [v] for k, v in headers.items()}
    )
    request.body = parsed
    request.context = build_context(BoltContext({}), parsed)
    return request


def create_asgi(mentor: MentorApp) -> Starlette:
    assert mentor.settings.slack_signing_secret is not None
    # Freshness is checked against the wall clock (Slack signs with it), not the app's clock.
    verifier = SignatureVerifier(mentor.settings.slack_signing_secret.get_secret_value())
    # Requests are taken to their acknowledgement on threads of their own, as many as the
    # database pool is sized for (bot.app.POOL_SIZE); a thread is free again at the ack,
    # since the listener's work goes on on the listener executor.
    ack_threads = anyio.CapacityLimiter(ACK_THREADS)

    async def slack_events(request: Request) -> Response:
        try:
            body = await _read_body(request)
        except _TooLarge:
            return JSONResponse({"error": "request too large"}, status_code=413)
        headers = {k.lower(): v for k, v in request.headers.items()}
        if not _signed(verifier, body, headers):
            return JSONResponse({"error": "invalid signature"}, status_code=401)
        try:
            parsed = parse_body(body, headers.get("content-type", ""))
            bolt_request = _bolt_request(body, parsed, request.url.query, headers)
        except Malformed as problem:
            logger.info("rejecting a malformed Slack request: %s", problem)
            return JSONResponse({"error": str(problem)}, status_code=400)
        bolt_response = await anyio.to_thread.run_sync(
            mentor.bolt.dispatch, bolt_request, limiter=ack_threads
        )
        if bolt_response.status >= 500:
            logger.error("a Slack request could not be handled (status %s)", bolt_response.status)
        return Response(
            content=bolt_response.body,
            status_code=bolt_response.status,
            headers={k: v[0] for k, v in bolt_response.headers.items() if v},
        )

    async def healthz(_request: Request) -> Response:
        if not mentor.ready.is_set():  # start-up's warm-ups are not done yet
            return JSONResponse({"status": "starting"}, status_code=503)
        ok = await run_in_threadpool(mentor.db.ping)
        return JSONResponse(
            {"status": "ok" if ok else "database unreachable"}, status_code=200 if ok else 503
        )

    return Starlette(
        routes=[
            Route("/slack/events", slack_events, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )
