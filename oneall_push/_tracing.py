"""OpenTelemetry spans, when the application uses OpenTelemetry (``oneall-push[otel]``).

Nothing here imports ``opentelemetry``: an application that sets a tracer provider has
imported it already, so the library looks in ``sys.modules`` and costs nothing otherwise.
With no provider set (OpenTelemetry's proxy) or a no-op one, no span is made.

One span per API call, named ``"<product> <endpoint>"`` (``oneall twitter.publish_tweet``,
``x media.append``), with HTTP semantic-convention attributes and one event per attempt.
The URL is never recorded (it carries identity tokens and media ids): ``url.template`` holds
the route with its placeholders. While the span is current, OpenTelemetry's HTTP client
instrumentations (aiohttp, urllib3) are told to stay quiet, so they cannot record the URL
either.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ._version import __version__

if TYPE_CHECKING:
    from ._io import Request, Response

__all__ = ["CallSpan", "start_operation", "start_span", "tracing_possible"]

# The last provider seen and its tracer (providers are set once per process, in practice).
_cached: tuple[Any, Any] = (None, None)


def tracing_possible(trace: Any) -> bool:
    """False when OpenTelemetry is loaded but no provider was set: its global is then None.

    Read directly, because get_tracer_provider() consults os.environ on every call; a
    version without that global falls through to the public call in start_span.
    """
    return getattr(trace, "_TRACER_PROVIDER", True) is not None


def _tracer(trace: Any) -> Any:
    """This library's tracer from the global provider, or None when that one makes no spans."""
    global _cached
    provider: Any = trace.get_tracer_provider()
    if isinstance(provider, (trace.ProxyTracerProvider, trace.NoOpTracerProvider)):
        return None
    if _cached[0] is not provider:
        _cached = (provider, provider.get_tracer("oneall_push", __version__))
    return _cached[1]


def start_span(product: str, request: Request) -> CallSpan | None:
    trace: Any = sys.modules.get("opentelemetry.trace")
    tracer = None if trace is None else _tracer(trace)
    if tracer is None:
        return None
    parts = urlsplit(request.url)
    attributes: dict[str, Any] = {
        "http.request.method": request.method,
        "url.template": request.route or "",
        "server.address": parts.hostname or "",
        "server.port": parts.port or (443 if parts.scheme == "https" else 80),
        "oneall_push.product": product,
        "oneall_push.endpoint": request.endpoint or "",
    }
    if request.body is not None:
        attributes["http.request.body.size"] = len(request.body)
    span = tracer.start_span(
        f"{product} {request.endpoint}", kind=trace.SpanKind.CLIENT, attributes=attributes
    )
    return CallSpan(trace, span)


def start_operation(product: str, name: str) -> CallSpan | None:
    """A span around a call made of several requests (``x media.upload``): their spans nest
    under it."""
    trace: Any = sys.modules.get("opentelemetry.trace")
    if trace is None or not tracing_possible(trace):
        return None
    tracer = _tracer(trace)
    if tracer is None:
        return None
    attributes = {"oneall_push.product": product, "oneall_push.endpoint": name}
    span = tracer.start_span(
        f"{product} {name}", kind=trace.SpanKind.INTERNAL, attributes=attributes
    )
    return CallSpan(trace, span)


class CallSpan:
    """A started span, current until :meth:`end`."""

    __slots__ = ("_attempts", "_context", "_span", "_token", "_trace")

    def __init__(self, trace: Any, span: Any) -> None:
        self._trace = trace
        self._span = span
        self._attempts = 0
        self._context: Any = sys.modules["opentelemetry.context"]
        context = trace.set_span_in_context(span)
        quiet = getattr(self._context, "_SUPPRESS_HTTP_INSTRUMENTATION_KEY", None)
        if quiet is not None:
            context = self._context.set_value(quiet, True, context)
        self._token = self._context.attach(context)

    def attempt(
        self, attempt: int, elapsed: float, status: int | None, error: str | None, decision: str
    ) -> None:
        self._attempts = attempt
        attributes: dict[str, Any] = {
            "attempt": attempt,
            "duration_ms": round(elapsed * 1000, 3),
            "decision": decision,
        }
        if status is not None:
            attributes["http.response.status_code"] = status
        if error is not None:
            attributes["error.type"] = error
        self._span.add_event("attempt", attributes)

    def set_attributes(self, attributes: dict[str, Any]) -> None:
        self._span.set_attributes(attributes)

    def end(self, response: Response | None, error: BaseException | None) -> None:
        span = self._span
        try:
            if response is not None:
                span.set_attribute("http.response.status_code", response.status)
            if self._attempts:
                span.set_attribute("oneall_push.attempts", self._attempts)
                if self._attempts > 1:
                    span.set_attribute("http.request.resend_count", self._attempts - 1)
            error_type = None
            if error is not None:
                error_type = type(error).__name__
            elif response is not None and response.status >= 400:
                error_type = str(response.status)
            if error_type is not None:
                span.set_attribute("error.type", error_type)
                # The type only: exception messages may quote the server's answer.
                span.set_status(self._trace.Status(self._trace.StatusCode.ERROR, error_type))
        finally:
            self._context.detach(self._token)
            span.end()
