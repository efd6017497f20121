"""Time and concurrency for the sync half, on threads: the blocking twin of ``_backend``
(so sync code never imports anyio or asyncio)."""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import concurrent.futures

__all__ = ["SyncBackend", "SyncSignal", "SyncTaskPool", "check_limit"]

T = TypeVar("T")


class SyncBackend:
    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def monotonic(self) -> float:
        return time.monotonic()

    def wall_clock(self) -> float:
        return time.time()

    def task_pool(self, limit: int) -> SyncTaskPool:
        return SyncTaskPool(limit)

    def signal(self) -> SyncSignal:
        return SyncSignal()

    def semaphore(self, limit: int) -> threading.BoundedSemaphore:
        """At most ``limit`` holders at once (``with``)."""
        check_limit(limit)
        return threading.BoundedSemaphore(limit)

    def lock(self) -> threading.Lock:
        """A mutual-exclusion lock (``with``): one holder at a time, across threads."""
        return threading.Lock()

    def run_sync(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a blocking call (file I/O); the sync half simply calls it."""
        return fn(*args)


def check_limit(limit: int) -> None:
    if limit < 1:
        raise ValueError("limit must be at least 1")


class SyncTaskPool:
    """Runs at most ``limit`` calls at once in threads; ``submit`` waits for a free slot."""

    def __init__(self, limit: int) -> None:
        check_limit(limit)
        self._slots = threading.BoundedSemaphore(limit)
        import concurrent.futures  # only X media's concurrent appends need a thread pool

        self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=limit)
        self._futures: list[concurrent.futures.Future[Any]] = []
        self._error: BaseException | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> SyncTaskPool:
        return self

    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        self._raise_if_failed()
        self._slots.acquire()
        if self._error is not None:
            self._slots.release()
            raise self._error
        # Each call runs in a copy of the submitter's context, as an asyncio task would: the
        # caller's tracing span stays the parent of the calls made in the thread.
        context = contextvars.copy_context()
        self._futures.append(self._executor.submit(context.run, self._run, fn, args))

    def _run(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        try:
            fn(*args)
        except BaseException as exc:
            with self._lock:
                if self._error is None:
                    self._error = exc
        finally:
            self._slots.release()

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise self._error

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            for future in self._futures:
                future.cancel()
        import concurrent.futures

        concurrent.futures.wait(self._futures)
        self._executor.shutdown(wait=True)
        if exc_type is None:
            self._raise_if_failed()


class SyncSignal:
    """A resettable wake-up flag: ``set`` from any thread, ``wait`` blocks the caller."""

    __slots__ = ("_event",)

    def __init__(self) -> None:
        self._event = threading.Event()

    def set(self) -> None:
        self._event.set()

    def clear(self) -> None:
        self._event.clear()

    def is_set(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout: float) -> bool:
        """Wait until set or ``timeout`` seconds pass; return whether it is set."""
        if timeout <= 0:
            return self._event.is_set()
        return self._event.wait(timeout)
