"""The I/O seam: requests, responses and the two transport interfaces.

``_async`` code talks only to :class:`AsyncTransport`; unasync renames it to :class:`SyncTransport`
for the generated half. Both are hand-written, never generated.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping

import attrs

__all__ = ["AsyncTransport", "Request", "Response", "SyncTransport", "Timeout"]


@attrs.frozen
class Timeout:
    """Per-request time limits in seconds (``None`` means no limit).

    ``connect`` covers waiting for a pooled connection and opening one; ``read`` is the
    longest silence allowed while waiting for the response. A timeout while connecting is
    retried; one after sending never is (the request may have been processed).
    """

    connect: float | None = 10.0
    read: float | None = 60.0

    @classmethod
    def coerce(cls, value: Timeout | float | None, default: Timeout) -> Timeout:
        if value is None:
            return default
        if isinstance(value, Timeout):
            return value
        return cls(connect=float(value), read=float(value))


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
    # Lower-case header names.
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
