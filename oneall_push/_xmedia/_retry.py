"""X's retry decisions (colour-free): reset headers, and which endpoints may repeat."""

from __future__ import annotations

import logging
from collections.abc import Callable

from .._io import Response
from .._retry import Retry
from ..errors import ConnectError, ProxyRefusedError, TransportError, XAPIError, XRateLimitError
from ._models import XRetryPolicy
from ._wire import error_from_response, parse_rate_limit

__all__ = ["RATE_LIMIT_SLACK", "XRetryRules"]

logger = logging.getLogger("oneall_push.xmedia")

# Added to x-rate-limit-reset: it is whole seconds and clocks drift.
RATE_LIMIT_SLACK = 1.0


class XRetryRules:
    """The rules of one X call: connect errors and 429s up to ``policy.max_retries``; broken
    exchanges, 5xx and an edge's empty 404 only ``ambiguous_retries`` times (0 for calls
    that must not repeat, such as initialize)."""

    __slots__ = ("_ambiguous", "_endpoint", "_policy", "_wall_clock")

    def __init__(
        self,
        policy: XRetryPolicy,
        *,
        ambiguous_retries: int,
        endpoint: str,
        wall_clock: Callable[[], float],
    ) -> None:
        self._policy = policy
        self._ambiguous = ambiguous_retries
        self._endpoint = endpoint
        self._wall_clock = wall_clock

    def after_error(self, error: TransportError, attempt: int) -> Retry | None:
        if isinstance(error, ProxyRefusedError):
            return None  # it would refuse again
        allowed = self._policy.max_retries
        if not isinstance(error, ConnectError):
            allowed = min(allowed, self._ambiguous)
        if attempt > allowed:
            return None
        logger.info("network error: %s", error)
        return Retry(self._policy.backoff(attempt), error, "network error")

    def after_response(self, response: Response, attempt: int) -> Retry | None:
        if 200 <= response.status < 300:
            return None
        error = error_from_response(
            response.status, response.headers, response.body, self._endpoint, response
        )
        logger.info("%s", error)
        if attempt > self._policy.max_retries:
            raise error
        reason = f"HTTP {response.status}"
        if isinstance(error, XRateLimitError):
            info = parse_rate_limit(response.headers)
            now = self._wall_clock()
            if info is None or info.reset is None or info.reset <= now:
                return Retry(self._policy.backoff(attempt), error, reason)
            wait = info.reset - now + RATE_LIMIT_SLACK
            if wait > self._policy.max_rate_limit_wait:
                raise error
            return Retry(wait, error, reason)
        if type(error) is not XAPIError or attempt > self._ambiguous:
            raise error
        edge_404 = response.status == 404 and not response.body.strip()
        if response.status >= 500 or edge_404:
            return Retry(self._policy.backoff(attempt), error, reason)
        raise error
