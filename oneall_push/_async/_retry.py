"""The one retry loop: send, let the product's rules decide, wait through the backend."""

from __future__ import annotations

import logging
from collections.abc import Callable

from .._io import AsyncBackend, AsyncSignal, AsyncTransport, Request, Response
from .._retry import RetryRules, RetryStopped, RetryWouldPassDeadline
from ..errors import TransportError

__all__ = ["send_with_retries"]

logger = logging.getLogger("oneall_push")


async def send_with_retries(
    transport: AsyncTransport,
    backend: AsyncBackend,
    rules: RetryRules,
    request_for: Callable[[int], Request],
    *,
    give_up_at: float | None = None,
    stop: AsyncSignal | None = None,
) -> Response:
    """Send ``request_for(attempt)`` until ``rules`` accept an answer or give up.

    With ``give_up_at`` (a monotonic instant) a wait that would pass it raises
    RetryWouldPassDeadline instead; once ``stop`` is set a wait ends early with RetryStopped.
    """
    attempt = 0
    while True:
        attempt += 1
        request = request_for(attempt)
        try:
            response = await transport.send(request)
        except TransportError as exc:
            retry = rules.after_error(exc, attempt)
            if retry is None:
                raise
        else:
            logger.debug("%s %s -> %d", request.method, request.endpoint, response.status)
            retry = rules.after_response(response, attempt)
            if retry is None:
                return response
        if give_up_at is not None and backend.monotonic() + retry.delay > give_up_at:
            raise RetryWouldPassDeadline() from retry.failure
        logger.info(
            "%s: %s, retry %d in %.2fs", request.endpoint, retry.reason, attempt, retry.delay
        )
        if stop is None:
            await backend.sleep(retry.delay)
        elif await stop.wait(retry.delay):  # True at once when already set
            raise RetryStopped() from retry.failure
