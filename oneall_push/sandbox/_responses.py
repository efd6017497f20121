"""What the Push emulator answers: OneAll's envelope, its status texts, JSON responses, and
dropped connections."""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import json
import socket
import struct
from collections.abc import Mapping
from typing import Any

from aiohttp import web

__all__ = [
    "AUTH_INFO",
    "DUPLICATE_TWEET",
    "FAULT_SUFFIX",
    "QUEUED_TEXT",
    "STATUS_INFO",
    "SUCCESS_INFO",
    "dropped",
    "envelope",
    "error_response",
    "json_response",
    "read_json",
    "rfc2822_now",
    "seconds_header",
]

SUCCESS_INFO = "Your request has been processed successfully"
QUEUED_TEXT = "The video has been added to the queue and will be uploaded soon."
AUTH_INFO = (
    "Authentication credentials are missing or incorrect: "
    "http://docs.oneall.com/api/basic/authentication/"
)
# The meaning OneAll's docs give each error status (the 429 text is OneAll's own wording).
STATUS_INFO: dict[int, str] = {
    400: "The request is invalid",
    401: AUTH_INFO,
    403: "The request was understood but has been refused",
    404: "The requested resource does not exist",
    409: "The request is correct but cannot be executed",
    429: "You have send too many requests in a given amount of time",
    500: "An internal error occurred",
    502: "The API has technical problems or is in maintenance",
    503: "The API is overloaded with requests",
}
FAULT_SUFFIX = " (fault injected by the oneall-push sandbox)"
# Inferred, not documented: Twitter refuses a repeated status ("Status is a duplicate."); how
# OneAll relays that is unknown, so the sandbox answers 409, OneAll's "correct but cannot be
# executed".
DUPLICATE_TWEET = (
    "The request is correct but cannot be executed: Twitter refused the tweet because this "
    "identity has already published the same text (Status is a duplicate.)"
)


def rfc2822_now() -> str:
    return email.utils.format_datetime(dt.datetime.now(dt.timezone.utc).replace(microsecond=0))


def envelope(
    resource: str,
    *,
    code: int = 200,
    info: str = SUCCESS_INFO,
    data: Mapping[str, Any] | None = None,
    date: str | None = None,
) -> dict[str, Any]:
    """OneAll's response envelope; errors carry only ``response.request`` (no ``result``)."""
    request = {
        "date": date or rfc2822_now(),
        "resource": resource,
        "status": {"flag": "success" if code < 400 else "error", "code": code, "info": info},
    }
    response: dict[str, Any] = {"request": request}
    if data is not None:
        response["result"] = {"data": dict(data)}
    return {"response": response}


def json_response(
    document: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    return web.Response(
        status=status,
        # Never NaN or Infinity: they are not JSON.
        body=json.dumps(document, allow_nan=False).encode(),
        content_type="application/json",
        headers=headers,
    )


def error_response(
    resource: str, code: int, info: str, headers: Mapping[str, str] | None = None
) -> web.Response:
    return json_response(envelope(resource, code=code, info=info), code, headers)


def _drop_connection(request: web.Request) -> None:
    """Close the client's connection abruptly (TCP RST where the platform allows it)."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


def dropped(request: web.Request) -> web.Response:
    _drop_connection(request)
    # Nothing reaches the client: the transport is gone.
    return web.Response(status=500)


def seconds_header(value: float) -> str:
    """Seconds for a header, without an exponent (``1e-05`` is not a number to every parser)."""
    return f"{value:.3f}".rstrip("0").rstrip(".")


async def read_json(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise web.HTTPBadRequest(text=f"body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise web.HTTPBadRequest(text="body must be a JSON object")
    return data
