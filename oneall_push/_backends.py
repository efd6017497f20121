"""Hand-written time and concurrency primitives, one class per colour.

``_async`` code uses :class:`AsyncBackend`; unasync renames it to :class:`SyncBackend`, whose
methods block (threads where the async one uses tasks). Nothing in ``_async`` imports asyncio.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

__all__ = [
    "AsyncBackend",
    "AsyncSignal",
    "AsyncTaskPool",
    "SyncBackend",
    "SyncSignal",
    "SyncTaskPool",
]

T = TypeVar("T")


class AsyncBackend:
    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    def monotonic(self) -> float:
        return time.monotonic()

    def wall_clock(self) -> float:
        return time.time()

    def task_pool(self, limit: int) -> AsyncTaskPool:
        return AsyncTaskPool(limit)

    def signal(self) -> AsyncSignal:
        return AsyncSignal()

    async def run_sync(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a blocking call (file I/O) in a worker thread."""
        return await asyncio.to_thread(fn, *args)


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

    def run_sync(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a blocking call (file I/O); the sync half simply calls it."""
        return fn(*args)


class AsyncTaskPool:
    """Runs at most ``limit`` calls at once; ``submit`` waits for a free slot.

    Leaving the ``async with`` block waits for every call; the first failure cancels the rest
    and is raised. If the block itself raises, the calls are cancelled and its exception wins.
    """

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self._slots = asyncio.Semaphore(limit)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._error: BaseException | None = None

    async def __aenter__(self) -> AsyncTaskPool:
        return self

    async def submit(self, fn: Callable[..., Awaitable[Any]], *args: Any) -> None:
        self._raise_if_failed()
        await self._slots.acquire()
        self._raise_if_failed_release()

        async def run() -> None:
            try:
                await fn(*args)
            except asyncio.CancelledError:
                raise  # cancelled by __aexit__: not a failure of the call
            except BaseException as exc:
                if self._error is None:
                    self._error = exc
                raise
            finally:
                self._slots.release()

        task = asyncio.ensure_future(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise self._error

    def _raise_if_failed_release(self) -> None:
        if self._error is not None:
            self._slots.release()
            raise self._error

    async def __aexit__(self, *exc_info: object) -> None:
        if exc_info[0] is not None or self._error is not None:
            for task in self._tasks:
                task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if exc_info[0] is None:
            self._raise_if_failed()


class SyncTaskPool:
    """Runs at most ``limit`` calls at once in threads; ``submit`` waits for a free slot."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self._slots = threading.BoundedSemaphore(limit)
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

        def run() -> None:
            try:
                fn(*args)
            except BaseException as exc:
                with self._lock:
                    if self._error is None:
                        self._error = exc
                raise
            finally:
                self._slots.release()

        self._futures.append(self._executor.submit(run))

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise self._error

    def __exit__(self, *exc_info: object) -> None:
        if exc_info[0] is not None:
            for future in self._futures:
                future.cancel()
        concurrent.futures.wait(self._futures)
        self._executor.shutdown(wait=True)
        if exc_info[0] is None:
            self._raise_if_failed()


class AsyncSignal:
    """A resettable wake-up flag: ``set`` from any thread or event loop, ``wait`` from one loop.

    Thread-safe so a receiver running in another thread (or another loop) can wake a waiter.
    Spurious wake-ups are possible; callers re-check their condition.
    """

    __slots__ = ("_event", "_flag", "_lock", "_loop")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flag = False
        self._event: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def set(self) -> None:
        with self._lock:
            if self._flag:
                return
            self._flag = True
            event, loop = self._event, self._loop
        if event is None or loop is None:
            return
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            event.set()
        else:
            # RuntimeError: the waiter's loop is closed, nobody to wake.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(event.set)

    def clear(self) -> None:
        with self._lock:
            self._flag = False
            if self._event is not None:
                self._event.clear()

    def is_set(self) -> bool:
        return self._flag

    async def wait(self, timeout: float) -> bool:
        """Wait until set or ``timeout`` seconds pass; return whether it is set."""
        with self._lock:
            if self._flag:
                return True
            if self._event is None:
                self._loop = asyncio.get_running_loop()
                self._event = asyncio.Event()
            event = self._event
        if timeout <= 0:
            return self._flag
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except asyncio.TimeoutError:
            return self._flag
        return True


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
