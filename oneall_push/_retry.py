"""Retry decisions, colour-free and per product; one loop per colour runs them.

The loop (``_async/_retry.py`` and its generated sync twin) sends, asks the product's
:class:`RetryRules` what an answer or a transport error means, and waits through the backend.
Push never retries an unknown outcome; X follows its reset headers and per-endpoint rules.
"""

from __future__ import annotations

from typing import Protocol

import attrs

from ._config import RetryPolicy
from ._io import Response
from ._repr import fields_repr
from .errors import ConnectError, TransportError

__all__ = ["PushRetryRules", "Retry", "RetryRules", "RetryStopped", "RetryWouldPassDeadline"]


@attrs.frozen(repr=False)
class Retry:
    """Wait ``delay`` seconds, then send again. ``failure`` is what stopped this attempt
    (the cause of the error raised if the wait cannot happen); ``reason`` goes in the log."""

    __repr__ = fields_repr

    delay: float
    failure: Exception
    reason: str


class RetryRules(Protocol):
    def after_error(self, error: TransportError, attempt: int) -> Retry | None:
        """A retry after a transport error, or None to raise it."""

    def after_response(self, response: Response, attempt: int) -> Retry | None:
        """A retry after this answer, or None to hand it back. May raise a typed error."""


class RetryWouldPassDeadline(Exception):
    """The next wait would pass the caller's deadline (``__cause__``: the last failure)."""


class RetryStopped(Exception):
    """The stop signal was set: no retry starts (``__cause__``: the last failure)."""


class PushRetryRules:
    """OneAll Push: retry only what provably was not processed.

    A connect failure (nothing reached the server), 429 and 503 (the server said it did not
    process the request), within the policy's limits. A read timeout or a broken connection
    after sending is never retried: a repeated POST could publish twice.
    """

    __slots__ = ("policy",)

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy

    def after_error(self, error: TransportError, attempt: int) -> Retry | None:
        if not isinstance(error, ConnectError):
            return None
        delay = self.policy.delay_for_connect_error(attempt)
        return None if delay is None else Retry(delay, error, "connect failed")

    def after_response(self, response: Response, attempt: int) -> Retry | None:
        status = response.status
        if status != 429 and status != 503:
            return None
        delay = self.policy.delay_for_status(status, response.retry_after, attempt)
        if delay is None:
            return None
        return Retry(delay, _Status(status), f"HTTP {status}")


class _Status(Exception):
    """Stands for a retried 429/503 answer (only ever a ``__cause__``)."""

    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
