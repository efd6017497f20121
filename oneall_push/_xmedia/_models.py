"""Results, progress events and the retry policy of X media uploads (shared by both halves)."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Mapping
from typing import Any, TypeAlias

import attrs

from .._config import check_delay, check_retries
from .._io._response import Response
from ._rate_limit import RateLimit

__all__ = [
    "MediaProgressCallback",
    "MediaEvent",
    "ProcessingError",
    "ProcessingInfo",
    "ProcessingProgress",
    "SentCounter",
    "UploadProgress",
    "UploadedMedia",
    "XRetryPolicy",
]


@attrs.frozen(kw_only=True)
class ProcessingError:
    """``processing_info.error``: why X could not process the media."""

    code: int | None = None
    name: str | None = None
    message: str | None = None


@attrs.frozen(kw_only=True)
class ProcessingInfo:
    """Where X's asynchronous processing stands (``pending``, ``in_progress``, ``succeeded``,
    ``failed``; unknown states are kept as sent)."""

    state: str
    check_after_secs: float | None = None
    progress_percent: int | None = None
    error: ProcessingError | None = None

    @property
    def failed(self) -> bool:
        """``failed``, or an ``error`` while the state still says ``in_progress`` (X's trap)."""
        return self.state == "failed" or self.error is not None

    @property
    def finished(self) -> bool:
        """True once polling must stop: succeeded or failed."""
        return self.state == "succeeded" or self.failed


@attrs.frozen(kw_only=True)
class UploadedMedia:
    """The media object X returns. Attach it to a Post with ``id`` (not ``media_key``)."""

    id: str
    media_key: str | None = None
    size: int | None = None
    expires_after_secs: int | None = None
    processing_info: ProcessingInfo | None = None
    media_type: str | None = None
    media_category: str | None = None
    image: Mapping[str, Any] | None = None
    video: Mapping[str, Any] | None = None
    # Messages of ``errors`` sent alongside ``data`` in a 2xx answer (non-fatal warnings).
    warnings: tuple[str, ...] = ()
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)
    # The rate-limit headers of the answer this object came from.
    rate_limit: RateLimit | None = attrs.field(default=None, repr=False, eq=False)
    # That answer itself (status, headers, elapsed seconds, attempt); None when built by hand.
    http: Response | None = attrs.field(default=None, repr=False, eq=False)

    @property
    def state(self) -> str:
        """``succeeded`` when X reports no processing, else the processing state."""
        return "succeeded" if self.processing_info is None else self.processing_info.state

    @property
    def ready(self) -> bool:
        return self.state == "succeeded"

    def evolve(self, **changes: Any) -> UploadedMedia:
        return attrs.evolve(self, **changes)


@attrs.frozen(kw_only=True)
class UploadProgress:
    """A chunk was accepted: ``bytes_sent`` media bytes (multipart framing not counted) of
    ``total_bytes`` are with X.

    With concurrent appends, chunks complete out of order; ``bytes_sent`` only grows.
    """

    media_id: str
    segment_index: int
    bytes_sent: int
    total_bytes: int

    @property
    def fraction(self) -> float:
        return self.bytes_sent / self.total_bytes if self.total_bytes else 1.0


@attrs.frozen(kw_only=True)
class ProcessingProgress:
    """X reported a processing state (after finalize, then after each status check)."""

    media_id: str
    state: str
    progress_percent: int | None
    check_after_secs: float | None


MediaEvent: TypeAlias = UploadProgress | ProcessingProgress
# Called with each event; in the sync client it may be called from the upload's worker threads.
MediaProgressCallback = Callable[[MediaEvent], object]


@attrs.frozen(kw_only=True)
class XRetryPolicy:
    """What the X media client retries, and how long it waits.

    Every call is retried on connect errors (nothing reached X) and 429, up to
    ``max_retries`` times. Appends and status checks are idempotent (a chunk is keyed by its
    segment index), so they are also retried on broken exchanges (outcome unknown), 5xx and
    empty-body 404 from the edge. Finalize and metadata get one such retry: finalizing a
    finalized id answers the same media object, and metadata is set, not added (X's guidance:
    "FINALIZE may be retried once after a network error"). Initialize and the one-shot upload
    are never retried after a broken exchange or 5xx: a repeat would open a second session.

    A 429 waits until the blocking window's reset plus one second (``x-rate-limit-reset``, or
    the exhausted 24-hour window); a reset further away than ``max_rate_limit_wait`` raises
    ``XRateLimitError`` instead. A usage-capped 429 is never retried.
    """

    max_retries: int = attrs.field(default=5, validator=check_retries)
    backoff_initial: float = attrs.field(default=0.5, validator=check_delay)
    backoff_max: float = attrs.field(default=16.0, validator=check_delay)
    max_rate_limit_wait: float = attrs.field(default=900.0, validator=check_delay)

    @classmethod
    def disabled(cls) -> XRetryPolicy:
        return cls(max_retries=0)

    def backoff(self, attempt: int) -> float:
        """Full-jitter exponential backoff for retry number ``attempt`` (1-based)."""
        ceiling = min(self.backoff_max, self.backoff_initial * (2 ** (attempt - 1)))
        return random.uniform(ceiling / 2, ceiling)


class SentCounter:
    """Bytes acknowledged so far; safe to bump from several threads (the sync client's pool)."""

    __slots__ = ("_lock", "total", "value")

    def __init__(self, total: int) -> None:
        self._lock = threading.Lock()
        self.total = total
        self.value = 0

    def add(self, n: int, emit: Callable[[int], object] | None = None) -> int:
        """Count ``n`` more bytes; ``emit(total so far)`` runs under the lock, so events
        reach the callback one at a time and in increasing order."""
        with self._lock:
            self.value += n
            if emit is not None:
                emit(self.value)
            return self.value
