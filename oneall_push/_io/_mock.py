"""In-memory transports and backends for tests: a handler answers each request, sleeping
takes no time.

Public so users can test their own code without a server::

    transport = AsyncMockTransport(lambda request: Response(200, body=b"..."))
    backend = AsyncMockBackend()  # backend.slept lists the retry waits
"""

from __future__ import annotations

import time
from collections.abc import Callable

import attrs

from ._backend import AsyncBackend
from ._http import AsyncTransport, Request, Response, SyncTransport
from ._threads import SyncBackend

__all__ = [
    "AsyncMockBackend",
    "AsyncMockTransport",
    "MockHandler",
    "SyncMockBackend",
    "SyncMockTransport",
]

# Returns the response, or an exception to raise (ConnectError, OutcomeUnknownError, ...).
MockHandler = Callable[[Request], "Response | BaseException"]


class _Recorder:
    def __init__(self, handler: MockHandler) -> None:
        self.handler = handler
        self.requests: list[Request] = []
        self.closed = False

    def _answer(self, request: Request) -> Response:
        if isinstance(request.body, bytearray):
            # X media appends come from reused buffers: keep what was sent, as bytes.
            request = attrs.evolve(request, body=bytes(request.body))
        self.requests.append(request)
        outcome = self.handler(request)
        if isinstance(outcome, BaseException):
            raise outcome
        # A copy: the client stamps each answer (elapsed, attempt), and handlers often hand
        # out one Response object for every call.
        return attrs.evolve(outcome)


class AsyncMockTransport(_Recorder, AsyncTransport):
    """Answers from ``handler``; records the requests."""

    async def send(self, request: Request) -> Response:
        return self._answer(request)

    async def close(self) -> None:
        self.closed = True


class SyncMockTransport(_Recorder, SyncTransport):
    """Answers from ``handler``; records the requests."""

    def send(self, request: Request) -> Response:
        return self._answer(request)

    def close(self) -> None:
        self.closed = True


class _VirtualClock:
    def __init__(self) -> None:
        self.slept: list[float] = []
        self._offset = 0.0

    def _advance(self, seconds: float) -> None:
        self.slept.append(seconds)
        self._offset += seconds

    def monotonic(self) -> float:
        return time.monotonic() + self._offset

    def wall_clock(self) -> float:
        return time.time() + self._offset


class AsyncMockBackend(_VirtualClock, AsyncBackend):
    """A backend whose sleeps take no time: each is recorded in ``slept`` and moves its clocks
    on by that much."""

    async def sleep(self, seconds: float) -> None:
        self._advance(seconds)


class SyncMockBackend(_VirtualClock, SyncBackend):
    """A backend whose sleeps take no time: each is recorded in ``slept`` and moves its clocks
    on by that much."""

    def sleep(self, seconds: float) -> None:
        self._advance(seconds)
