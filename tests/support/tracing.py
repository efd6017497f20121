"""One OpenTelemetry tracer provider for the test session, exporting to memory.

OpenTelemetry lets a process set its global provider once: the first test that asks for
``spans`` sets it, and every test that asks gets the exporter emptied.
"""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

__all__ = ["ReadableSpan", "captured_spans"]

_exporter: InMemorySpanExporter | None = None


def captured_spans() -> InMemorySpanExporter:
    global _exporter
    if _exporter is None:
        _exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(_exporter))
        trace.set_tracer_provider(provider)
    _exporter.clear()
    return _exporter
