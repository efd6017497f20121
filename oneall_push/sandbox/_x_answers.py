"""What the X media emulator answers, in X's forms (problem+json, ``data``), and how it reads
multipart bodies without keeping them."""

from __future__ import annotations

import json
import re
import time
import zlib
from collections.abc import AsyncIterator, Mapping
from typing import Any

from aiohttp import BodyPartReader, web

from ._x_state import XFault

__all__ = [
    "INVALID",
    "JSON_ONLY",
    "NON_ASCII_FILENAME",
    "NOT_JSON_OBJECT",
    "PROBLEM",
    "data_response",
    "drain",
    "fault_response",
    "form_parts",
    "int_or_none",
    "invalid",
    "is_multipart",
    "measure",
    "non_ascii_disposition",
    "not_found",
    "problem",
]

PROBLEM = "https://api.x.com/2/problems/"
JSON_ONLY = "Requests with bodies must have content-type of application/json."
NOT_JSON_OBJECT = "Request body must be a JSON object."
INVALID = "One or more parameters to your request was invalid."
# X's wording is unknown; non-ASCII filenames broke real uploads (x-ruby 492214d).
NON_ASCII_FILENAME = "The Content-Disposition of a part must be ASCII (non-ASCII filename)."


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    kind: str = "about:blank",
    messages: tuple[str, ...] = (),
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    document: dict[str, Any] = {"title": title, "detail": detail, "type": kind, "status": status}
    if messages:
        document["errors"] = [{"message": m} for m in messages]
    return web.Response(
        status=status,
        body=json.dumps(document).encode(),
        content_type="application/problem+json",
        headers=headers,
    )


def invalid(*messages: str) -> web.Response:
    return problem(
        400, "Invalid Request", INVALID, kind=PROBLEM + "invalid-request", messages=messages
    )


def not_found(media_id: str) -> web.Response:
    return problem(
        404,
        "Not Found Error",
        f"Could not find media with id: [{media_id}].",
        kind=PROBLEM + "resource-not-found",
    )


def data_response(document: Mapping[str, Any]) -> web.Response:
    return web.json_response({"data": dict(document)})


async def form_parts(request: web.Request) -> AsyncIterator[BodyPartReader]:
    """The multipart body's parts, one at a time (nested multiparts are skipped)."""
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if isinstance(part, BodyPartReader):
            yield part


async def measure(part: BodyPartReader) -> tuple[int, int]:
    """Read a part to its end, keeping only its size and CRC-32 (chunks are never stored)."""
    size = crc = 0
    while chunk := await part.read_chunk(1024 * 1024):
        size += len(chunk)
        crc = zlib.crc32(chunk, crc)
    return size, crc


async def drain(request: web.Request) -> None:
    while await request.content.readany():
        pass


def fault_response(fault: XFault) -> web.Response:
    """The answer an injected fault gives."""
    if fault.kind == "empty":
        return web.Response(status=fault.status, body=b"")
    if fault.kind == "status":
        return problem(
            fault.status,
            "Service Unavailable" if fault.status >= 500 else "Error",
            f"Fault injected by the oneall-push X media sandbox (HTTP {fault.status}).",
        )
    reset = str(int(time.time() + fault.reset_in + 0.999))
    if fault.kind == "usage_capped":
        return problem(
            429,
            "UsageCapExceeded",
            "Usage cap exceeded: Monthly product cap",
            kind=PROBLEM + "usage-capped",
        )
    if fault.kind == "rate_limit_24h":
        headers = {
            "x-rate-limit-limit": "1875",
            "x-rate-limit-remaining": "1800",
            "x-rate-limit-reset": str(int(time.time() + 60)),
            "x-user-limit-24hour-limit": "180000",
            "x-user-limit-24hour-remaining": "0",
            "x-user-limit-24hour-reset": reset,
        }
    else:
        headers = {
            "x-rate-limit-limit": "1875",
            "x-rate-limit-remaining": "0",
            "x-rate-limit-reset": reset,
        }
    return problem(429, "Too Many Requests", "Too Many Requests", headers=headers)


def is_multipart(kind: str, params: str) -> bool:
    """``multipart/form-data`` with a non-empty ``boundary=`` after a semicolon."""
    return kind == "multipart/form-data" and any(
        p.strip().lower().startswith("boundary=") and len(p.strip()) > 9 for p in params.split(";")
    )


def non_ascii_disposition(part: BodyPartReader) -> bool:
    header = part.headers.get("Content-Disposition", "")
    try:
        filename = part.filename or ""
    except (ValueError, UnicodeError):  # an undecodable filename*= is refused as well
        return True
    return not header.isascii() or not filename.isascii()


def int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,6}", value.strip()):
        return int(value)
    return None
