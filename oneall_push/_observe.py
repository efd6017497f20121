"""What the operators see of each call: log records, the user's hooks and a tracing span.

One :class:`Observer` per client; :meth:`Observer.watch` gives one :class:`CallWatch` per call,
or None when nothing is listening (no hooks, DEBUG off, no tracer provider), so a quiet client
pays a few attribute lookups per call. Nothing here shows a URL, header value or body: a
call is named by its table name and templated route.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from typing import TYPE_CHECKING, Any

from ._tracing import CallSpan, start_operation, start_span, tracing_possible
from .errors import ConfigurationError, OutcomeUnknownError, PublishedButIncompleteError
from .hooks import Hooks, Product, RequestEvent, ResponseEvent, RetryEvent

if TYPE_CHECKING:
    from collections.abc import Callable

    from ._io import Request, Response
    from ._retry import Retry

__all__ = [
    "ENV_LOG",
    "CallWatch",
    "clock",
    "Observer",
    "configure_logging_from_env",
    "log_final_error",
    "log_retry",
    "logger",
]

logger = logging.getLogger("oneall_push")

# How long an attempt took (the backend's clock may be virtual, as in the mock backend).
clock = time.perf_counter

ENV_LOG = "ONEALL_PUSH_LOG"
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING}
_env_handler: logging.Handler | None = None


def configure_logging_from_env() -> None:
    """``ONEALL_PUSH_LOG=debug|info|warning``: log to stderr at that level (once per process)."""
    global _env_handler
    level = _LEVELS.get(os.environ.get(ENV_LOG, "").strip().lower())
    if level is None or _env_handler is not None:
        return
    _env_handler = logging.StreamHandler()
    _env_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logger.addHandler(_env_handler)
    logger.setLevel(level)


class Observer:
    """A client's hooks and tracing switch."""

    __slots__ = ("hooks", "product", "tracing")

    def __init__(self, product: Product, *, hooks: Hooks | None, tracing: bool) -> None:
        if hooks is not None and not isinstance(hooks, Hooks):
            raise ConfigurationError("hooks must be a oneall_push.Hooks or None")
        if not isinstance(tracing, bool):
            raise ConfigurationError("tracing must be True or False")
        configure_logging_from_env()
        self.product: Product = product
        self.hooks = hooks
        self.tracing = tracing

    def watch(self, request: Request) -> CallWatch | None:
        span = None
        if self.tracing:
            trace = sys.modules.get("opentelemetry.trace")
            if trace is not None and tracing_possible(trace):
                span = start_span(self.product, request)
        if span is None and self.hooks is None and not logger.isEnabledFor(logging.DEBUG):
            return None
        return CallWatch(self.product, self.hooks, request, span)

    def operation(self, name: str) -> CallSpan | None:
        """A span around several calls (``media.upload``), or None without tracing."""
        return start_operation(self.product, name) if self.tracing else None

    def __repr__(self) -> str:
        return f"Observer(product={self.product!r}, hooks={self.hooks!r}, tracing={self.tracing})"


class CallWatch:
    """One call's log records, hook calls and span, attempt by attempt."""

    __slots__ = ("_call", "_hooks", "_span")

    def __init__(
        self, product: Product, hooks: Hooks | None, request: Request, span: CallSpan | None
    ) -> None:
        self._hooks = hooks
        self._span = span
        self._call = {"product": product, **_call_fields(request)}

    def sending(self, attempt: int) -> None:
        if self._hooks is not None and self._hooks.on_request is not None:
            self._run_hook(
                "on_request", self._hooks.on_request, RequestEvent(**self._fields(attempt))
            )

    def answered(self, attempt: int, response: Response) -> None:
        if self._hooks is not None and self._hooks.on_response is not None:
            event = ResponseEvent(
                **self._fields(attempt),
                status=response.status,
                headers=response.headers,
                elapsed=response.elapsed,
            )
            self._run_hook("on_response", self._hooks.on_response, event)

    def attempted(
        self,
        attempt: int,
        elapsed: float,
        status: int | None,
        error: BaseException | None,
        retry: Retry | None,
    ) -> None:
        """Log the attempt (DEBUG) and add it to the span, with what comes next."""
        decision = "retry" if retry is not None else ("raise" if error is not None else "done")
        error_type = type(error).__name__ if error is not None else None
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s %s %s -> %s in %.1f ms, attempt %d: %s",
                self._call["endpoint"],
                self._call["method"],
                self._call["route"],
                status if status is not None else error_type,
                elapsed * 1000,
                attempt,
                decision,
                extra={
                    **self._fields(attempt),
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 3),
                    "decision": decision,
                    "retry_delay": retry.delay if retry is not None else None,
                    "error_type": error_type,
                },
            )
        if self._span is not None:
            self._span.attempt(attempt, elapsed, status, error_type, decision)

    def retrying(self, attempt: int, retry: Retry) -> None:
        if self._hooks is not None and self._hooks.on_retry is not None:
            event = RetryEvent(
                **self._fields(attempt),
                reason=retry.reason,
                delay=retry.delay,
                error=type(retry.failure).__name__,
            )
            self._run_hook("on_retry", self._hooks.on_retry, event)

    def finish(self, response: Response | None, error: BaseException | None) -> None:
        if self._span is not None:
            self._span.end(response, error)

    def _fields(self, attempt: int) -> dict[str, Any]:
        return {**self._call, "attempt": attempt}

    def _run_hook(self, name: str, hook: Callable[[Any], object], event: object) -> None:
        try:
            hook(event)
        except Exception:
            if self._hooks is not None and self._hooks.raise_errors:
                raise
            logger.warning("hook %s raised; the call goes on", name, exc_info=True)


def _call_fields(request: Request) -> dict[str, Any]:
    """What logs, hooks and spans name a call by: never its URL, which carries tokens."""
    return {
        "endpoint": request.endpoint or "unknown",
        "method": request.method,
        "route": request.route or "unknown",
    }


def log_retry(request: Request, attempt: int, retry: Retry) -> None:
    logger.info(
        "%s: %s, retry %d in %.2fs",
        request.endpoint,
        retry.reason,
        attempt,
        retry.delay,
        extra={
            **_call_fields(request),
            "attempt": attempt,
            "decision": "retry",
            "retry_delay": retry.delay,
            "error_type": type(retry.failure).__name__,
        },
    )


def log_final_error(request: Request, attempt: int, error: BaseException) -> None:
    """WARNING for what someone must check by hand: was it published?"""
    if isinstance(error, OutcomeUnknownError):
        what = "outcome unknown"
    elif isinstance(error, PublishedButIncompleteError):
        what = "published, but the answer lacks its id"
    else:
        return
    logger.warning(
        "%s: %s after attempt %d (%s); not retried",
        request.endpoint,
        what,
        attempt,
        type(error).__name__,
        extra={
            **_call_fields(request),
            "attempt": attempt,
            "decision": "raise",
            "error_type": type(error).__name__,
        },
    )
