"""Requests, responses and the two HTTP transport interfaces.

``_async`` code talks only to :class:`AsyncTransport`; unasync renames it to :class:`SyncTransport`
for the generated half. Both are hand-written, never generated.
"""

from __future__ import annotations

import abc
import functools
from collections.abc import Mapping
from typing import Any

import attrs

from .._config import parse_retry_after
from .._repr import fields_repr
from .._validate import seconds

__all__ = ["AsyncTransport", "Request", "Response", "SyncTransport", "Timeout"]


def _connect_seconds(value: Any) -> float | None:
    return seconds(value, "timeout.connect", optional=True)


def _read_seconds(value: Any) -> float | None:
    return seconds(value, "timeout.read", optional=True)


@attrs.frozen(repr=False)
class Timeout:
    """Per-request time limits in seconds (``None`` means no limit).

    ``connect`` covers waiting for a pooled connection and opening one; ``read`` is the
    longest silence allowed while waiting for the response. A timeout while connecting is
    retried; one after sending never is (the request may have been processed).
    """

    __repr__ = fields_repr

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


@attrs.frozen(repr=False)
class Request:
    __repr__ = fields_repr

    method: str
    url: str
    headers: Mapping[str, str] = attrs.field(factory=dict, repr=False)
    body: bytes | None = attrs.field(default=None, repr=False)
    timeout: Timeout = Timeout()
    # Table name of the call (``twitter.publish_tweet``), for error messages.
    endpoint: str | None = None


@attrs.frozen(repr=False)
class Response:
    __repr__ = fields_repr

    status: int
    # Looked up case-insensitively by header(): lower-case keys, or a case-insensitive mapping.
    headers: Mapping[str, str] = attrs.field(factory=dict)
    body: bytes = attrs.field(default=b"", repr=False)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @functools.cached_property
    def retry_after(self) -> float | None:
        """The Retry-After header in seconds (parsed once), or None when absent or unreadable."""
        return parse_retry_after(self.header("retry-after"))


class AsyncTransport(abc.ABC):
    """Sends one HTTP request; raises ConnectError or OutcomeUnknownError. Never waits
    between attempts: retries and sleeping belong to the client and its backend."""

    @abc.abstractmethod
    async def send(self, request: Request) -> Response: ...

    async def close(self) -> None:
        pass


class SyncTransport(abc.ABC):
    """Sends one HTTP request; raises ConnectError or OutcomeUnknownError. Never waits
    between attempts: retries and sleeping belong to the client and its backend."""

    @abc.abstractmethod
    def send(self, request: Request) -> Response: ...

    def close(self) -> None:
        pass
