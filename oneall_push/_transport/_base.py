"""The I/O seam: requests, responses and the two transport interfaces.

``_async`` code talks only to :class:`AsyncTransport`; unasync renames it to :class:`SyncTransport`
for the generated half. Both are hand-written, never generated.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Mapping
from typing import Any, Literal, overload

import attrs

from ..errors import RequestValidationError

__all__ = ["AsyncTransport", "Request", "Response", "SyncTransport", "Timeout", "seconds"]


@overload
def seconds(
    value: Any, field: str, *, optional: Literal[True], zero: bool = ...
) -> float | None: ...
@overload
def seconds(
    value: Any, field: str, *, optional: Literal[False] = ..., zero: bool = ...
) -> float: ...
def seconds(value: Any, field: str, *, optional: bool = False, zero: bool = False) -> float | None:
    """``value`` as a finite, positive number of seconds (``zero``: or 0; ``optional``: or None).

    Anything else raises :class:`RequestValidationError` naming ``field``.
    """
    if value is None and optional:
        return None
    accepted = f"a {'non-negative' if zero else 'positive'} number of seconds" + (
        " or None" if optional else ""
    )
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RequestValidationError(field, f"must be {accepted}, not {type(value).__name__}")
    if not math.isfinite(value) or value < 0 or (value == 0 and not zero):
        raise RequestValidationError(field, f"must be {accepted} (got {value!r})")
    return float(value)


def _connect_seconds(value: Any) -> float | None:
    return seconds(value, "timeout.connect", optional=True)


def _read_seconds(value: Any) -> float | None:
    return seconds(value, "timeout.read", optional=True)


@attrs.frozen
class Timeout:
    """Per-request time limits in seconds (``None`` means no limit).

    ``connect`` covers waiting for a pooled connection and opening one; ``read`` is the
    longest silence allowed while waiting for the response. A timeout while connecting is
    retried; one after sending never is (the request may have been processed).
    """

    connect: float | None = attrs.field(default=10.0, converter=_connect_seconds)
    read: float | None = attrs.field(default=60.0, converter=_read_seconds)

    @classmethod
    def coerce(cls, value: Timeout | float | None, default: Timeout) -> Timeout:
        """``None``: the default; a number: both limits; a :class:`Timeout`: as given."""
        if value is None:
            return default
        if isinstance(value, Timeout):
            return value
        return cls(connect=value, read=value)


@attrs.frozen
class Request:
    method: str
    url: str
    headers: Mapping[str, str] = attrs.field(factory=dict, repr=False)
    body: bytes | None = attrs.field(default=None, repr=False)
    timeout: Timeout = Timeout()
    # Table name of the call (``twitter.publish_tweet``), for error messages.
    endpoint: str | None = None


@attrs.frozen
class Response:
    status: int
    # Looked up case-insensitively by header(): lower-case keys, or a case-insensitive mapping.
    headers: Mapping[str, str] = attrs.field(factory=dict)
    body: bytes = attrs.field(default=b"", repr=False)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


class AsyncTransport(abc.ABC):
    """Sends one HTTP request and sleeps; raises ConnectError or OutcomeUnknownError."""

    @abc.abstractmethod
    async def send(self, request: Request) -> Response: ...

    @abc.abstractmethod
    async def sleep(self, seconds: float) -> None: ...

    async def close(self) -> None:
        pass


class SyncTransport(abc.ABC):
    """Sends one HTTP request and sleeps; raises ConnectError or OutcomeUnknownError."""

    @abc.abstractmethod
    def send(self, request: Request) -> Response: ...

    @abc.abstractmethod
    def sleep(self, seconds: float) -> None: ...

    def close(self) -> None:
        pass
