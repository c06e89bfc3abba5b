"""The baseline server of `python -m benchmarks burst`: a bare Bolt `AsyncApp` on uvicorn with
mentorbot's endpoints (`POST /slack/events`, `GET /healthz`) and a `/mentoring` that
acknowledges, then replies with the help text through the `response_url`.

Configured from the same environment as `mentorbot run` (SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET,
SLACK_API_URL, MENTORBOT_HOST, MENTORBOT_PORT). `--pbr`: Bolt's `process_before_response=True`
(the reply is sent before the acknowledgement). Needs aiohttp (Bolt's async Web API client).
"""

from __future__ import annotations

import os
import sys
from typing import Any

import uvicorn
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from core.kernel.texts import mrkdwn


def build(process_before_response: bool) -> Starlette:
    token = os.environ["SLACK_BOT_TOKEN"]
    app = AsyncApp(
        client=AsyncWebClient(token=token, base_url=os.environ["SLACK_API_URL"]),
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        process_before_response=process_before_response,
    )
    help_text = mrkdwn("commands.help", unknown=None)

    @app.command("/mentoring")
    async def mentoring(ack: Any, respond: Any) -> None:
        await ack()
        await respond(response_type="ephemeral", replace_original=False, text=help_text)

    handler = AsyncSlackRequestHandler(app)

    async def events(request: Request) -> Response:
        return await handler.handle(request)

    async def healthz(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            Route("/slack/events", events, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )


def main(argv: list[str]) -> int:
    uvicorn.run(
        build("--pbr" in argv),
        host=os.environ.get("MENTORBOT_HOST", "127.0.0.1"),
        port=int(os.environ.get("MENTORBOT_PORT", "3000")),
        log_level=os.environ.get("LOG_LEVEL", "INFO").lower(),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
