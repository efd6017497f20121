"""The X media wire format: auth headers, request bodies, and the one response/error parser.

I/O-free; shared by both halves of the client.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import secrets
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import attrs

from .._config import parse_retry_after
from .._io._response import Response
from .._xauth import BearerToken
from ..errors import XAPIError, XDuplicateContentError, XRateLimitError, XUsageCappedError
from ._models import ProcessingError, ProcessingInfo, UploadedMedia
from ._rate_limit import RateLimit, header_count, rate_limit_from_headers

__all__ = [
    "ROUTES",
    "Answer",
    "BearerAuth",
    "MultipartBody",
    "RateLimitInfo",
    "XAuth",
    "error_from_response",
    "is_usage_capped",
    "json_body",
    "media_from_document",
    "multipart_prefix",
    "parse_document",
    "parse_rate_limit",
]


# Each call's path with its placeholders: what logs, hooks and spans show.
ROUTES: Mapping[str, str] = {
    "media.initialize": "/2/media/upload/initialize",
    "media.append": "/2/media/upload/{id}/append",
    "media.finalize": "/2/media/upload/{id}/finalize",
    "media.status": "/2/media/upload",
    "media.upload": "/2/media/upload",
    "media.metadata": "/2/media/metadata",
    "posts.create": "/2/tweets",
    "posts.delete": "/2/tweets/{id}",
    "oauth2.token": "/2/oauth2/token",
}


class XAuth(Protocol):
    """Supplies the Authorization header for one attempt of one request.

    Called again for every retry, so a signer can use a fresh nonce and timestamp. ``method``
    and ``url`` (with its query) are given so an OAuth 1.0a user-context signer can implement
    the same protocol: media bodies are JSON or multipart, so no body parameters enter the
    signature.
    """

    def headers(self, method: str, url: str) -> Mapping[str, str]: ...


class BearerAuth(BearerToken):
    """OAuth 2.0 bearer token given as ``bearer_token=`` (scope ``media.write``)."""

    __slots__ = ()

    def __init__(self, token: str) -> None:
        super().__init__(token, _name="bearer_token")


def json_body(document: Mapping[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode()


def _boundary() -> str:
    return f"oneallpush{secrets.token_hex(12)}"


@attrs.frozen
class MultipartBody:
    """A hand-built multipart/form-data body: form fields, then one ``media`` part.

    ``content_type`` separates the boundary with ``;`` (X reads a ``,`` as non-multipart);
    the media part carries no filename (non-ASCII names broke X uploads).
    """

    content_type: str
    prefix: bytes
    suffix: bytes

    def wrap(self, media: bytes) -> bytes:
        return b"".join((self.prefix, media, self.suffix))


def multipart_prefix(fields: Sequence[tuple[str, str]]) -> MultipartBody:
    boundary = _boundary()
    parts = []
    for name, value in fields:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        )
    parts.append(
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="media"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    )
    return MultipartBody(
        content_type=f"multipart/form-data; boundary={boundary}",
        prefix="".join(parts).encode(),
        suffix=f"\r\n--{boundary}--\r\n".encode(),
    )


# --- responses ---------------------------------------------------------------------------


def parse_document(body: bytes) -> Any:
    """The JSON body, or None when it is empty or not JSON."""
    if not body.strip():
        return None
    try:
        return json.loads(body)
    # RecursionError: arrays or objects nested thousands deep read as "not JSON" too.
    except (ValueError, RecursionError):
        return None


def _messages(document: Mapping[str, Any]) -> list[str]:
    found: list[str] = []
    errors = document.get("errors")
    if isinstance(errors, list):
        for item in errors:
            if isinstance(item, Mapping):
                text = item.get("message") or item.get("detail") or item.get("title")
                code = item.get("code")
                if text and code is not None:
                    found.append(f"{text} (code {code})")
                elif text:
                    found.append(str(text))
            elif isinstance(item, str):
                found.append(item)
    single = document.get("error")
    if isinstance(single, str):
        found.append(single)
    return found


@attrs.frozen
class RateLimitInfo:
    """The rate-limit window that blocks: ``scope`` is ``15min``, ``app-24h`` or ``user-24h``."""

    scope: str
    limit: int | None
    remaining: int | None
    reset: float | None  # unix epoch seconds

    def reset_at(self) -> dt.datetime | None:
        if self.reset is None:
            return None
        return dt.datetime.fromtimestamp(self.reset, tz=dt.timezone.utc)


_FAMILIES = (
    ("15min", "x-rate-limit-"),
    ("app-24h", "x-app-limit-24hour-"),
    ("user-24h", "x-user-limit-24hour-"),
)


def parse_rate_limit(headers: Mapping[str, str]) -> RateLimitInfo | None:
    """The window that blocks: the exhausted one with the furthest reset (a 24-hour one
    outlasts the 15-minute one); when none reports ``remaining: 0``, the nearest reset (the
    15-minute window, which reopens first)."""
    lower = {k.lower(): v for k, v in headers.items()}
    windows = []
    for scope, prefix in _FAMILIES:
        limit = header_count(lower.get(prefix + "limit"))
        remaining = header_count(lower.get(prefix + "remaining"))
        reset = header_count(lower.get(prefix + "reset"))
        if limit is None and remaining is None and reset is None:
            continue
        windows.append(RateLimitInfo(scope, limit, remaining, None if reset is None else reset))
    if not windows:
        return None
    exhausted = [w for w in windows if w.remaining == 0]
    if exhausted:
        return max(exhausted, key=lambda w: w.reset if w.reset is not None else float("-inf"))
    return min(windows, key=lambda w: w.reset if w.reset is not None else float("inf"))


def is_usage_capped(document: Any) -> bool:
    if not isinstance(document, Mapping):
        return False
    text = (
        " ".join(str(document.get(k) or "") for k in ("type", "title", "detail")).lower()
        + " ".join(_messages(document)).lower()
    )
    return "usage-capped" in text or "usagecap" in text or "usage cap" in text


def error_from_response(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    endpoint: str,
    http: Response | None = None,
) -> XAPIError:
    """The typed error for an X answer: problem+json, ``errors[]`` (v2 or v1 style), an
    ``error`` string, or an empty/non-JSON body from the edge (413, 431, 404 in incidents)."""
    document = parse_document(body)
    title = detail = type_ = None
    messages: list[str] = []
    if isinstance(document, Mapping):
        title = _str(document.get("title"))
        detail = _str(document.get("detail"))
        type_ = _str(document.get("type"))
        messages = _messages(document)
    elif body.strip():
        excerpt = body[:200].decode("utf-8", "replace").strip()
        detail = f"non-JSON body: {excerpt!r}"
    else:
        detail = "empty response body (an edge or CDN answer)"
        if status in (413, 431):
            detail += "; the chunk is too large for X's edge: lower chunk_size"
    kw: dict[str, Any] = {
        "title": title,
        "detail": detail,
        "type": type_,
        "messages": messages,
        "endpoint": endpoint,
        "headers": headers,
        "retry_after": parse_retry_after(
            next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
        ),
    }
    kw["rate_limit"] = rate_limit_from_headers(headers)
    error: XAPIError
    if is_usage_capped(document):
        error = XUsageCappedError(status, **kw)
    elif status == 429:
        info = parse_rate_limit(headers)
        error = XRateLimitError(status, reset_at=None if info is None else info.reset_at(), **kw)
    elif status == 403 and is_duplicate(document):
        error = XDuplicateContentError(status, **kw)
    else:
        error = XAPIError(status, **kw)
    error.http = http
    return error


def is_duplicate(document: Any) -> bool:
    """X's 403 for a post whose text repeats a recent one (not in the docs; seen in the wild)."""
    if not isinstance(document, Mapping):
        return False
    text = " ".join(
        [*(str(document.get(k) or "") for k in ("title", "detail")), *_messages(document)]
    ).lower()
    return "duplicate" in text


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _opt_int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: JSON's Infinity
        return None


# Longer than any processing X documents; a bigger wait is a garbled value, not advice.
_MAX_CHECK_AFTER = 86_400.0


def _seconds(value: Any) -> float | None:
    """``check_after_secs``: finite seconds from 0 to a day, else unknown."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        seconds = float(value)
    except OverflowError:  # an integer hundreds of digits long
        return None
    return seconds if math.isfinite(seconds) and 0 <= seconds <= _MAX_CHECK_AFTER else None


_MAX_LIFETIME = 366 * 86_400  # X documents a day; past a year it is garbled


def _lifetime(value: Any) -> int | None:
    """A session lifetime: positive seconds up to a year, else unknown (a 0 would expire
    the session at once, a huge one overflows the clock)."""
    seconds = _opt_int(value)
    return seconds if seconds is not None and 0 < seconds <= _MAX_LIFETIME else None


def _processing(value: Any) -> ProcessingInfo | None:
    if not isinstance(value, Mapping):
        return None
    error = value.get("error")
    perr = None
    if isinstance(error, Mapping):
        perr = ProcessingError(
            code=_opt_int(error.get("code")),
            name=_str(error.get("name")),
            message=_str(error.get("message")),
        )
    elif error:
        perr = ProcessingError(message=str(error))
    return ProcessingInfo(
        state=str(value.get("state") or "pending"),
        check_after_secs=_seconds(value.get("check_after_secs")),
        progress_percent=_opt_int(value.get("progress_percent")),
        error=perr,
    )


@attrs.frozen
class Answer:
    """A 2xx X answer: its parsed JSON (None when empty), status and headers, and the
    answer itself (``http``: elapsed seconds, attempt), which results and errors keep."""

    document: Any
    status: int
    headers: Mapping[str, str]
    http: Response | None = attrs.field(default=None, eq=False)

    def media(self, endpoint: str) -> UploadedMedia:
        return media_from_document(
            self.document,
            status=self.status,
            endpoint=endpoint,
            headers=self.headers,
            http=self.http,
        )

    @property
    def rate_limit(self) -> RateLimit | None:
        return rate_limit_from_headers(self.headers)


def media_from_document(
    document: Any,
    *,
    status: int,
    endpoint: str,
    headers: Mapping[str, str] | None = None,
    http: Response | None = None,
) -> UploadedMedia:
    """The media object from ``{"data": {...}}``, a top-level object, or a v1.1 answer
    (``media_id_string`` / ``media_id``). A 2xx with ``errors`` and no data raises."""
    if not isinstance(document, Mapping):
        error = XAPIError(status, detail="the answer carries no media object", endpoint=endpoint)
        error.http = http
        raise error
    data = document.get("data", document)
    ident = None
    if isinstance(data, Mapping):
        ident = data.get("id") or data.get("media_id_string") or data.get("media_id")
    if not isinstance(data, Mapping) or ident is None:
        messages = _messages(document)
        error = XAPIError(
            status,
            title=_str(document.get("title")),
            detail=_str(document.get("detail")) or "the answer carries no media id",
            messages=messages,
            endpoint=endpoint,
        )
        error.http = http
        raise error
    image = data.get("image")
    video = data.get("video")
    return UploadedMedia(
        id=str(ident),
        media_key=_str(data.get("media_key")),
        size=_opt_int(data.get("size")),
        expires_after_secs=_lifetime(data.get("expires_after_secs")),
        processing_info=_processing(data.get("processing_info")),
        image=image if isinstance(image, Mapping) else None,
        video=video if isinstance(video, Mapping) else None,
        warnings=tuple(_messages(document)) if data is not document else (),
        raw=document,
        rate_limit=None if headers is None else rate_limit_from_headers(headers),
        http=http,
    )
