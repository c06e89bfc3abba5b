"""HTTP mode: an ASGI app (Starlette, served by uvicorn) with the Slack endpoint and a health check.

`POST /slack/events` takes events, slash commands and interactivity. A request with a bad or
old signature gets 401; a correctly signed but malformed one gets 400, never a 5xx.
`GET /healthz` answers 200 when the database is reachable, 503 when it is not.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from slack_bolt import BoltRequest
from slack_sdk.signature import SignatureVerifier
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

if TYPE_CHECKING:
    from bot.app import MentorApp

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1_000_000  # Slack's payloads are far smaller


def _malformed(body: bytes, content_type: str) -> str | None:
    """Why a signed request is not something Slack would send, or None if it looks right."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "body is not UTF-8"
    if "application/json" in content_type:
        try:
            data = json.loads(text)
        except ValueError:
            return "body is not valid JSON"
        if not isinstance(data, dict) or not isinstance(data.get("type"), str):
            return "JSON body has no type"
        if data["type"] == "event_callback" and not isinstance(data.get("event"), dict):
            return "event_callback without an event"
        return None
    form = parse_qs(text, keep_blank_values=True)
    if "payload" in form:
        try:
            payload = json.loads(form["payload"][0])
        except ValueError:
            return "payload is not valid JSON"
        if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
            return "payload has no type"
        return None
    if "command" in form:
        if not form.get("user_id") or not form.get("team_id"):
            return "slash command without user_id or team_id"
        return None
    if "ssl_check" in form:
        return None
    return "unrecognised request body"


def create_asgi(mentor: MentorApp) -> Starlette:
    assert mentor.settings.slack_signing_secret is not None
    # Freshness is checked against the wall clock (Slack signs with it), not the app's clock.
    verifier = SignatureVerifier(mentor.settings.slack_signing_secret.get_secret_value())

    async def slack_events(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return JSONResponse({"error": "request too large"}, status_code=413)
        headers = {k.lower(): v for k, v in request.headers.items()}
        if not verifier.is_valid_request(body, headers):
            return JSONResponse({"error": "invalid signature"}, status_code=401)
        problem = _malformed(body, headers.get("content-type", ""))
        if problem is not None:
            logger.info("rejecting a malformed Slack request: %s", problem)
            return JSONResponse({"error": problem}, status_code=400)
        bolt_request = BoltRequest(
            body=body.decode("utf-8"),
            query=request.url.query,
            headers={k: [v] for k, v in headers.items()},
        )
        bolt_response = await run_in_threadpool(mentor.bolt.dispatch, bolt_request)
        if bolt_response.status >= 500:
            logger.error("a Slack request could not be handled (status %s)", bolt_response.status)
        return Response(
            content=bolt_response.body,
            status_code=bolt_response.status,
            headers={k: v[0] for k, v in bolt_response.headers.items() if v},
        )

    async def healthz(_request: Request) -> Response:
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
