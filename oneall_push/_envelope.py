"""OneAll's JSON envelopes: ``{"request":{"push":{root:{...}}}}`` out, ``{"response":...}`` in.

I/O-free; shared by both halves, the callback receiver and the sandbox.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import attrs
import cattrs

from ._convert import converter, strict_converter
from .errors import (
    APIError,
    PublishedButIncompleteError,
    RequestValidationError,
    ResponseDecodeError,
    UnreadableSuccessError,
    error_for_status,
)
from .models.results import Envelope, Result, Status, required_ids

__all__ = [
    "decode_json",
    "encode_push_body",
    "encode_request_body",
    "merge_extra_fields",
    "error_for_envelope",
    "node_label",
    "parse_envelope",
    "push_node",
    "structure_result",
]

T = TypeVar("T", bound=Result)

_EXCERPT = 200
# One encoder for every request: json.dumps with options builds a new one per call.
_ENCODER = json.JSONEncoder(separators=(",", ":"), allow_nan=False)


def node_label(root: Sequence[str]) -> str:
    """``("channel", "section")`` -> ``"request->push->channel->section"`` (OneAll's wording)."""
    return "->".join(("request", "push", *root))


def push_node(payload: Any, extra_fields: Mapping[str, Any] | None) -> dict[str, Any]:
    """Unstructure a request model and merge the caller's extra keys into it."""
    node: dict[str, Any] = converter.unstructure(payload)
    if extra_fields:
        for key, value in extra_fields.items():
            if not isinstance(key, str) or not key:
                raise RequestValidationError("extra_fields", "keys must be non-empty strings")
            if key in node or key in _field_names(payload):
                raise RequestValidationError(
                    f"extra_fields.{key}",
                    f"'{key}' is a documented field: pass it as a keyword argument",
                )
            try:
                _ENCODER.encode(value)
            except (TypeError, ValueError) as exc:
                raise RequestValidationError(
                    f"extra_fields.{key}", f"must be JSON-serialisable ({exc})"
                ) from None
            node[key] = value
    return node


def _field_names(payload: Any) -> set[str]:
    return {str(a.metadata.get("wire", a.name)) for a in attrs.fields(type(payload))} | {
        a.name for a in attrs.fields(type(payload))
    }


def merge_extra_fields(
    node: dict[str, Any], extra_fields: Mapping[str, Any] | None, documented: set[str]
) -> dict[str, Any]:
    """Add the caller's unmodelled keys to a request node (not over documented ones)."""
    for key, value in (extra_fields or {}).items():
        if not isinstance(key, str) or not key:
            raise RequestValidationError("extra_fields", "keys must be non-empty strings")
        if key in node or key in documented:
            raise RequestValidationError(
                f"extra_fields.{key}",
                f"'{key}' is a documented field: pass it as a keyword argument",
            )
        try:
            _ENCODER.encode(value)
        except (TypeError, ValueError) as exc:
            raise RequestValidationError(
                f"extra_fields.{key}", f"must be JSON-serialisable ({exc})"
            ) from None
        node[key] = value
    return node


def encode_request_body(root: str, node: Mapping[str, Any]) -> bytes:
    """``{"request": {root: node}}`` (the non-Push families)."""
    return _ENCODER.encode({"request": {root: dict(node)}}).encode()


def encode_push_body(root: Sequence[str], node: Mapping[str, Any]) -> bytes:
    inner: Any = dict(node)
    for key in reversed(root):
        inner = {key: inner}
    return _ENCODER.encode({"request": {"push": inner}}).encode()


def decode_json(body: bytes, *, status: int, endpoint: str | None) -> Any:
    try:
        return json.loads(body)
    # ValueError covers JSONDecodeError, UnicodeDecodeError and integers beyond Python's
    # digit limit; RecursionError, arrays or objects nested thousands deep.
    except (ValueError, RecursionError) as exc:
        text = body.decode("utf-8", errors="replace")
        if not text.strip():
            what = "empty response body"
        elif isinstance(exc, json.JSONDecodeError):
            what = "truncated JSON" if exc.pos >= len(text.rstrip()) else "response is not JSON"
        elif isinstance(exc, UnicodeDecodeError):
            what = "response is not UTF-8 JSON"
        elif isinstance(exc, RecursionError):
            what = "response JSON is nested too deeply"
        else:
            what = "response JSON has a number too long to read"
        excerpt = text[:_EXCERPT] if text.strip() else ""
        raise _decode_error(status)(
            what, status=status, body_excerpt=excerpt, endpoint=endpoint
        ) from None


def _decode_error(status: int) -> type[ResponseDecodeError]:
    """A success that cannot be read may have published: an unknown outcome, not a retry."""
    return UnreadableSuccessError if 200 <= status < 300 else ResponseDecodeError


def _excerpt(document: Any) -> str:
    """The start of a decoded document for error messages, whatever it holds."""
    try:
        return json.dumps(document)[:_EXCERPT]
    except (ValueError, TypeError, RecursionError):
        return f"<{type(document).__name__}>"


def parse_envelope(document: Any, *, status: int, endpoint: str | None) -> tuple[Envelope, Any]:
    """Split a decoded response into its envelope and ``result.data`` (``None`` if absent)."""
    try:
        request = document["response"]["request"]
        raw_status = request["status"]
        env_status = Status(
            flag=str(raw_status.get("flag", "")),
            code=int(raw_status.get("code", status)),
            info=str(raw_status.get("info", "")),
        )
    # OverflowError: a code of 1e999; RecursionError: an info nested too deeply to print.
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError, RecursionError):
        raise _decode_error(status)(
            "response is not a OneAll envelope",
            status=status,
            body_excerpt=_excerpt(document),
            endpoint=endpoint,
        ) from None
    date = request.get("date")
    resource = request.get("resource")
    envelope = Envelope(
        status=env_status,
        resource=resource if isinstance(resource, str) else None,
        date_text=date if isinstance(date, str) else None,
        raw=document,
    )
    result = document["response"].get("result")
    data = result.get("data") if isinstance(result, Mapping) else None
    return envelope, data


def error_for_envelope(
    envelope: Envelope,
    *,
    http_status: int,
    endpoint: str | None,
    retry_after: float | None = None,
    headers: Mapping[str, str] | None = None,
) -> APIError:
    """The typed APIError for a response whose HTTP status (>= 400) or flag says error."""
    code = http_status if http_status >= 400 else envelope.status.code
    if code < 400:
        code = 400  # flag "error" with a success code: still an error
    cls = error_for_status(code)
    return cls(
        code,
        envelope.status.info or "no explanation given",
        resource=envelope.resource,
        endpoint=endpoint,
        body=envelope.raw,
        retry_after=retry_after,
        headers=headers,
    )


_HOOKS: dict[tuple[type[Any], bool], Callable[[Any, Any], Any]] = {}


def _structure_hook(cls: type[Any], strict: bool) -> Callable[[Any, Any], Any]:
    # Looked up once per result class: the converter's dispatch is a measurable share of a call.
    hook = _HOOKS.get((cls, strict))
    if hook is None:
        hook = (strict_converter if strict else converter).get_structure_hook(cls)
        _HOOKS[(cls, strict)] = hook
    return hook


def _missing_ids(data: Any, cls: type[Result]) -> list[str]:
    # Runs on every answer: the plain-dict test first (an ABC isinstance costs more).
    if data.__class__ is not dict and not isinstance(data, Mapping):
        return []  # not a mapping at all: the structuring below reports it
    missing = []
    for name in required_ids(cls):
        value = data.get(name)
        if value.__class__ is str:
            if not value.strip():
                missing.append(name)
        # An id that is not text or a whole number cannot be read: as good as missing.
        elif value.__class__ is not int:
            missing.append(name)
    return missing


def structure_result(
    data: Any, envelope: Envelope, cls: type[T], *, endpoint: str | None, strict: bool = False
) -> T:
    if data is None:
        data = {}
    missing = _missing_ids(data, cls)
    if missing:
        raise PublishedButIncompleteError(missing, envelope=envelope, data=data, endpoint=endpoint)
    try:
        result: T = _structure_hook(cls, strict)(data, cls)
    except (
        cattrs.BaseValidationError,
        ValueError,
        TypeError,
        OverflowError,
        RecursionError,
    ) as exc:
        details = (
            "; ".join(cattrs.transform_error(exc))
            if isinstance(exc, cattrs.BaseValidationError)
            else str(exc)
        )
        raise ResponseDecodeError(
            f"result does not match {cls.__name__}: {details}",
            status=envelope.status.code,
            body_excerpt=_excerpt(data),
            endpoint=endpoint,
        ) from None
    # Results are frozen; attaching the envelope in place avoids copying every result.
    object.__setattr__(result, "envelope", envelope)
    return result
