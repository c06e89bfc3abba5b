"""The Starlette application that exposes a :class:`FakeSlack` over HTTP.

Routes (relative to wherever the app is mounted):

- ``GET|POST /api/<method>``  Web API methods (form, JSON or multipart bodies)
- ``POST /response/<id>``     response_urls issued by ``fake.new_response_url``
- ``POST /upload/<file id>``  upload_urls issued by ``files.getUploadURLExternal``
- ``GET /``                   a tiny health answer
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

if TYPE_CHECKING:
    from .core import FakeSlack


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def build_asgi_app(fake: FakeSlack) -> Starlette:
    async def api(request: Request) -> Response:
        body = await request.body()
        status, payload, headers = fake.handle_api(
            request.path_params["method"],
            http_method=request.method,
            query=dict(request.query_params),
            body=body,
            content_type=request.headers.get("content-type", ""),
            authorization=request.headers.get("authorization"),
            base_url=_base_url(request),
        )
        return JSONResponse(payload, status_code=status, headers=headers)

    async def response_url(request: Request) -> Response:
        body = await request.body()
        status, payload = fake.handle_response_url(
            request.path_params["rid"], body, request.headers.get("content-type", "")
        )
        return JSONResponse(payload, status_code=status)

    async def upload(request: Request) -> Response:
        body = await request.body()
        status, text = fake.handle_upload(
            request.path_params["file_id"], body, request.headers.get("content-type", "")
        )
        return PlainTextResponse(text, status_code=status)

    async def index(request: Request) -> Response:
        return JSONResponse({"ok": True, "fake_slack": True, "team_id": fake.team_id})

    return Starlette(
        routes=[
            Route("/api/{method}", api, methods=["GET", "POST"]),
            Route("/response/{rid}", response_url, methods=["POST"]),
            Route("/upload/{file_id}", upload, methods=["POST", "PUT"]),
            Route("/", index, methods=["GET"]),
        ]
    )
