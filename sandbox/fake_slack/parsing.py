"""Reading Web API requests the way Slack does: tokens, query strings, form, JSON and multipart
bodies, JSON-encoded arguments, response_url bodies, and what of them the call log keeps."""

from __future__ import annotations

import copy
import json
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl

from .common import SlackApiFailure

# Arguments Slack takes as JSON-encoded strings in form bodies.
_JSON_ARGS = {
    "blocks": "invalid_blocks_format",
    "attachments": "invalid_attachments",
    "view": "invalid_arguments",
    "files": "invalid_arguments",
    "metadata": "invalid_metadata_format",
}


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or None


def parse_args(
    query: dict[str, str], body: bytes, content_type: str
) -> tuple[dict[str, Any], bool]:
    """Merge query string and body arguments; returns (args, body_was_json)."""
    args: dict[str, Any] = dict(query)
    ctype = content_type.split(";")[0].strip().lower()
    if not body:
        return args, False
    if ctype == "application/json":
        try:
            data = json.loads(body)
        except ValueError:
            raise SlackApiFailure("invalid_json") from None
        if not isinstance(data, dict):
            raise SlackApiFailure("invalid_json")
        args.update(data)
        return args, True
    if ctype == "multipart/form-data":
        args.update(parse_multipart(body, content_type))
        return args, False
    try:
        args.update(dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True)))
    except UnicodeDecodeError:
        raise SlackApiFailure("invalid_form_data") from None
    return args, False


def parse_multipart(body: bytes, content_type: str) -> dict[str, Any]:
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    out: dict[str, Any] = {}
    if not message.is_multipart():
        raise SlackApiFailure("invalid_form_data")
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        data = part.get_payload(decode=True) or b""
        if not isinstance(data, bytes):
            data = str(data).encode()
        if part.get_filename():
            out[str(name)] = data
        else:
            out[str(name)] = data.decode("utf-8", errors="replace")
    return out


def decode_json_args(args: dict[str, Any]) -> None:
    for key, error in _JSON_ARGS.items():
        value = args.get(key)
        if isinstance(value, str):
            if not value.strip():
                args.pop(key)
                continue
            try:
                args[key] = json.loads(value)
            except ValueError:
                raise SlackApiFailure(
                    error, messages=[f"[ERROR] {key} is not valid JSON [json-pointer:/{key}]"]
                ) from None


def parse_response_body(body: bytes, content_type: str) -> dict[str, Any]:
    ctype = content_type.split(";")[0].strip().lower()
    try:
        if ctype == "application/x-www-form-urlencoded":
            form = dict(parse_qsl(body.decode("utf-8")))
            data = json.loads(form.get("payload", "{}"))
        else:
            data = json.loads(body or b"{}")
    except ValueError:
        raise SlackApiFailure("invalid_payload") from None
    if not isinstance(data, dict):
        raise SlackApiFailure("invalid_payload")
    decode_json_args(data)
    return data


def loggable(args: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in args.items():
        if key == "token":
            continue
        out[key] = f"<{len(value)} bytes>" if isinstance(value, bytes) else copy.deepcopy(value)
    return out
