"""Requests, responses and the two HTTP transport interfaces.

``_async`` code talks only to :class:`AsyncTransport`; unasync renames it to :class:`SyncTransport`
for the generated half. Both are hand-written, never generated.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import Any

import attrs

from .._repr import fields_repr
from .._validate import seconds
from ._response import Response

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
    # A bytearray for X media appends: a reused chunk buffer, unchanged until send() returns.
    body: bytes | bytearray | None = attrs.field(default=None, repr=False)
    timeout: Timeout = Timeout()
    # Table name of the call (``twitter.publish_tweet``), for error messages.
    endpoint: str | None = None
    # The path with its placeholders (``/push/identities/<identity_token>/...``): what logs,
    # hooks and spans show instead of ``url``, which carries tokens.
    route: str | None = None


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
