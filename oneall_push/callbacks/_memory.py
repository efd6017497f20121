"""Colour-free, thread-safe state behind the memory stores, and the waiter registry.

Both :class:`~oneall_push._async.stores.AsyncMemoryStore` and its sync twin keep their data
here. Every method is short and non-blocking (one lock), so async code may call it directly,
and a receiver in another thread (or another event loop) can store and wake safely.
"""

from __future__ import annotations

import heapq
import threading
import time
from typing import Protocol

from .outcome import CallbackOutcome
from .records import JobRecord

__all__ = ["MemoryState", "Wakeable", "Watchers"]


class Wakeable(Protocol):
    def set(self) -> None: ...


class Watchers:
    """Job id -> the signals of everyone waiting on it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_job: dict[str, set[Wakeable]] = {}

    def add(self, job_id: str, signal: Wakeable) -> None:
        with self._lock:
            self._by_job.setdefault(job_id, set()).add(signal)

    def remove(self, job_id: str, signal: Wakeable) -> None:
        with self._lock:
            signals = self._by_job.get(job_id)
            if signals is not None:
                signals.discard(signal)
                if not signals:
                    del self._by_job[job_id]

    def wake(self, job_id: str) -> None:
        with self._lock:
            signals = list(self._by_job.get(job_id, ()))
        for signal in signals:
            signal.set()

    def wake_all(self) -> None:
        """Wake every waiter so it re-reads the store (after a reconnect, for instance)."""
        with self._lock:
            signals = [s for group in self._by_job.values() for s in group]
        for signal in signals:
            signal.set()

    def __len__(self) -> int:
        with self._lock:
            return sum(len(group) for group in self._by_job.values())


class MemoryState:
    """Records and outcomes with expiry, first write wins, notify after storing."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: dict[str, tuple[float, JobRecord]] = {}
        self._outcomes: dict[str, tuple[float, CallbackOutcome]] = {}
        self._expiry: list[tuple[float, int, str]] = []  # (when, 0 record / 1 outcome, id)
        self.watchers = Watchers()

    @staticmethod
    def _now() -> float:
        return time.monotonic()

    def _purge(self, now: float) -> None:
        heap = self._expiry
        while heap and heap[0][0] <= now:
            _when, kind, job_id = heapq.heappop(heap)
            table = self._records if kind == 0 else self._outcomes
            entry = table.get(job_id)
            if entry is not None and entry[0] <= now:
                del table[job_id]

    def register(self, record: JobRecord, ttl: float) -> None:
        now = self._now()
        with self._lock:
            self._purge(now)
            self._records[record.id] = (now + ttl, record)
            heapq.heappush(self._expiry, (now + ttl, 0, record.id))

    def lookup(self, job_id: str) -> JobRecord | None:
        now = self._now()
        with self._lock:
            entry = self._records.get(job_id)
        if entry is None or entry[0] <= now:
            return None
        return entry[1]

    def discard(self, job_id: str) -> None:
        with self._lock:
            self._records.pop(job_id, None)
            self._outcomes.pop(job_id, None)

    def put(self, job_id: str, outcome: CallbackOutcome, ttl: float) -> bool:
        """Store ``outcome`` unless one is already there; wake waiters. True if stored."""
        now = self._now()
        with self._lock:
            self._purge(now)
            existing = self._outcomes.get(job_id)
            if existing is not None and existing[0] > now:
                return False
            self._outcomes[job_id] = (now + ttl, outcome)
            heapq.heappush(self._expiry, (now + ttl, 1, job_id))
        # Stored first, then notified: a waiter that misses the wake-up still reads it.
        self.watchers.wake(job_id)
        return True

    def get(self, job_id: str) -> CallbackOutcome | None:
        now = self._now()
        with self._lock:
            entry = self._outcomes.get(job_id)
        if entry is None or entry[0] <= now:
            return None
        return entry[1]

    def counts(self) -> tuple[int, int]:
        with self._lock:
            return len(self._records), len(self._outcomes)
