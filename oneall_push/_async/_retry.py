"""The one retry loop: send, let the product's rules decide, wait through the backend."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from .._io import AsyncBackend, AsyncSignal, AsyncTransport, Request, Response
from .._observe import Observer, clock, log_final_error, log_retry
from .._retry import RetryRules, RetryStopped, RetryWouldPassDeadline
from ..errors import OneAllPushError, TransportError

__all__ = ["send_with_retries"]

T = TypeVar("T")


async def send_with_retries(
    transport: AsyncTransport,
    backend: AsyncBackend,
    rules: RetryRules,
    request_for: Callable[[int], Request],
    read: Callable[[Response], T],
    *,
    observer: Observer,
    give_up_at: float | None = None,
    stop: AsyncSignal | None = None,
) -> T:
    """Send ``request_for(attempt)`` until ``rules`` accept an answer, then ``read`` it.

    With ``give_up_at`` (a monotonic instant) a wait that would pass it raises
    RetryWouldPassDeadline instead; once ``stop`` is set a wait ends early with RetryStopped.
    An error read from an answer keeps that answer as ``error.http``.
    """
    request = request_for(1)
    watch = observer.watch(request)
    attempt = 0
    try:
        while True:
            attempt += 1
            if attempt > 1:
                request = request_for(attempt)
            if watch is not None:
                watch.sending(attempt)
            started = clock()
            try:
                response = await transport.send(request)
            except TransportError as exc:
                elapsed = clock() - started
                retry = rules.after_error(exc, attempt)
                if watch is not None:
                    watch.attempted(attempt, elapsed, None, exc, retry)
                if retry is None:
                    log_final_error(request, attempt, exc)
                    raise
            else:
                elapsed = clock() - started
                # Frozen for users; stamped once here, before anyone else sees it.
                object.__setattr__(response, "elapsed", elapsed)
                if attempt > 1:
                    object.__setattr__(response, "attempt", attempt)
                if watch is not None:
                    watch.answered(attempt, response)
                try:
                    retry = rules.after_response(response, attempt)
                except OneAllPushError as exc:
                    if watch is not None:
                        watch.attempted(attempt, elapsed, response.status, exc, None)
                    _keep_answer(exc, request, attempt, response)
                    raise
                if watch is not None:
                    watch.attempted(attempt, elapsed, response.status, None, retry)
                if retry is None:
                    try:
                        result = read(response)
                    except OneAllPushError as exc:
                        _keep_answer(exc, request, attempt, response)
                        raise
                    if watch is not None:
                        watch.finish(response, None)
                    return result
            if give_up_at is not None and backend.monotonic() + retry.delay > give_up_at:
                raise RetryWouldPassDeadline() from retry.failure
            log_retry(request, attempt, retry)
            if watch is not None:
                watch.retrying(attempt, retry)
            if stop is None:
                await backend.sleep(retry.delay)
            elif await stop.wait(retry.delay):  # True at once when already set
                raise RetryStopped() from retry.failure
    except BaseException as exc:
        if watch is not None:
            watch.finish(getattr(exc, "http", None), exc)
        raise


def _keep_answer(
    error: OneAllPushError, request: Request, attempt: int, response: Response
) -> None:
    if error.http is None:
        error.http = response
    log_final_error(request, attempt, error)
