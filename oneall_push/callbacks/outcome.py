"""Callback outcomes: what a receiver stores and a waiter turns into a typed result.

I/O-free; shared by both halves, every receiver and every store. Bodies are parsed with the
same envelope code as API responses (:mod:`oneall_push._envelope`).
"""

from __future__ import annotations

import http
import json
from collections.abc import Mapping
from typing import Any, TypeVar

import attrs

from .._envelope import decode_json, parse_envelope, structure_result
from .._repr import fields_repr
from ..errors import (
    JobFailedError,
    MalformedCallbackError,
    PublishedButIncompleteError,
    ResponseDecodeError,
)
from ..models.results import Result, VideoResult

__all__ = [
    "MAX_BODY",
    "CallbackOutcome",
    "CallbackResponse",
    "callback_result_type",
    "parse_callback_body",
    "result_from_outcome",
]

R = TypeVar("R", bound=Result)


def callback_result_type(endpoint_id: str) -> type[Result]:
    """The result class of an asynchronous endpoint's callback (``VideoResult`` by default)."""
    from ..endpoints import by_id  # the table loads the request models: only when needed

    try:
        result = by_id(endpoint_id).callback_result
    except KeyError:
        return VideoResult
    return result if result is not None else VideoResult


@attrs.frozen(kw_only=True, repr=False)
class CallbackOutcome:
    """One callback, as stored: success or failure, OneAll's status, and the decoded body.

    ``document`` is the whole decoded JSON body, so the waiter rebuilds the typed result (and
    its envelope) with the same code that parses API responses.
    """

    __repr__ = fields_repr

    ok: bool
    status: int
    info: str
    document: Mapping[str, Any] = attrs.field(repr=False)
    received: float = 0.0

    def to_json(self) -> bytes:
        return json.dumps(
            {
                "ok": self.ok,
                "status": self.status,
                "info": self.info,
                "document": self.document,
                "received": self.received,
            },
            separators=(",", ":"),
        ).encode()

    @classmethod
    def from_json(cls, raw: bytes | str) -> CallbackOutcome:
        data = json.loads(raw)
        return cls(
            ok=bool(data["ok"]),
            status=int(data["status"]),
            info=str(data["info"]),
            document=data["document"],
            received=float(data.get("received", 0.0)),
        )


# OneAll's callbacks nest five deep. A document near json's recursion limit could be decoded
# here yet fail to encode or decode at a deeper stack (the store, the waiter), and the first
# stored callback wins: such a body must be refused, not stored.
_MAX_DEPTH = 32


def _too_deep(document: Any) -> bool:
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > _MAX_DEPTH:
            return True
        children = value.values() if isinstance(value, dict) else value
        stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))
    return False


def parse_callback_body(
    body: bytes, *, endpoint_id: str | None, received: float = 0.0
) -> CallbackOutcome:
    """Validate a callback body; raise :class:`MalformedCallbackError` if it is not usable.

    A success body must carry ``result.data`` that structures into the endpoint's callback
    result (``VideoResult``: ``video_id``, ``date_creation`` in either documented date form)
    and names what was created (a non-empty ``video_id``): OneAll's "added to the queue"
    answer, POSTed to the URL by mistake or by a forger holding a signed URL, must not
    settle the job forever (the first stored callback wins).
    """
    try:
        document = decode_json(body, status=200, endpoint=endpoint_id)
        if isinstance(document, (dict, list)) and _too_deep(document):
            raise MalformedCallbackError(f"callback body nested over {_MAX_DEPTH} levels deep")
        envelope, data = parse_envelope(document, status=200, endpoint=endpoint_id)
    except ResponseDecodeError as exc:
        raise MalformedCallbackError(str(exc)) from None
    status = envelope.status
    ok = status.flag != "error" and status.code < 400
    if ok:
        if not isinstance(data, Mapping):
            raise MalformedCallbackError("success callback without result.data")
        result_type = callback_result_type(endpoint_id or "")
        try:
            structure_result(data, envelope, result_type, endpoint=endpoint_id)
        except PublishedButIncompleteError as exc:
            fields = ", ".join(f"result.data.{name}" for name in exc.missing)
            raise MalformedCallbackError(f"success callback without {fields}") from None
        except ResponseDecodeError as exc:
            raise MalformedCallbackError(str(exc)) from None
    code = status.code if status.code >= 400 or ok else 400
    return CallbackOutcome(
        ok=ok, status=code, info=status.info, document=document, received=received
    )


def result_from_outcome(
    outcome: CallbackOutcome, result_type: type[R], *, job_id: str, endpoint_id: str | None
) -> R:
    """The typed result of a success outcome; :class:`JobFailedError` for a failure."""
    if not outcome.ok:
        raise JobFailedError(
            job_id, outcome.status, outcome.info or "no explanation given", endpoint=endpoint_id
        )
    envelope, data = parse_envelope(outcome.document, status=200, endpoint=endpoint_id)
    return structure_result(data, envelope, result_type, endpoint=endpoint_id)


# Callback bodies are a few hundred bytes; anything much larger is not OneAll's.
MAX_BODY = 64 * 1024


def _body(status: int, message: str) -> bytes:
    return json.dumps({"status": status, "message": message}).encode()


@attrs.frozen(repr=False)
class CallbackResponse:
    """What to answer: an HTTP status, a short JSON body and its headers."""

    __repr__ = fields_repr

    status: int
    body: bytes
    reason: str = "OK"
    headers: tuple[tuple[str, str], ...] = (("Content-Type", "application/json"),)

    @classmethod
    def of(cls, status: int, message: str) -> CallbackResponse:
        return cls(status, _body(status, message), http.HTTPStatus(status).phrase)

    @classmethod
    def method_not_allowed(cls) -> CallbackResponse:
        """405 for anything but POST (HEAD and OPTIONS too), naming the allowed method."""
        answer = cls.of(405, "callbacks are POSTed")
        return attrs.evolve(answer, headers=(*answer.headers, ("Allow", "POST")))
