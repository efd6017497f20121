"""In-memory transports for tests: a handler function answers each request.

Public so users can test their own code without a server::

    transport = AsyncMockTransport(lambda request: Response(200, body=b"..."))
"""

from __future__ import annotations

from collections.abc import Callable

from ._base import AsyncTransport, Request, Response, SyncTransport

__all__ = ["AsyncMockTransport", "MockHandler", "SyncMockTransport"]

# Returns the response, or an exception to raise (ConnectError, OutcomeUnknownError, ...).
MockHandler = Callable[[Request], "Response | BaseException"]


class _Recorder:
    def __init__(self, handler: MockHandler) -> None:
        self.handler = handler
        self.requests: list[Request] = []
        self.slept: list[float] = []
        self.closed = False

    def _answer(self, request: Request) -> Response:
        self.requests.append(request)
        outcome = self.handler(request)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome


class AsyncMockTransport(_Recorder, AsyncTransport):
    """Answers from ``handler``; records requests and sleeps (sleeping takes no time)."""

    async def send(self, request: Request) -> Response:
        return self._answer(request)

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)

    async def close(self) -> None:
        self.closed = True


class SyncMockTransport(_Recorder, SyncTransport):
    """Answers from ``handler``; records requests and sleeps (sleeping takes no time)."""

    def send(self, request: Request) -> Response:
        return self._answer(request)

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)

    def close(self) -> None:
        self.closed = True
