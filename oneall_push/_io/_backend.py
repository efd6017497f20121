"""Time and concurrency for the async half, on anyio.

``_async`` code uses :class:`AsyncBackend`; unasync renames it to
:class:`~._threads.SyncBackend`, whose methods block. Sleeping, clocks, deadlines, bounded task
pools, wake-up signals and running blocking calls all go through here, the same way for the Push
client, jobs, stores and X media.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, TypeVar

import anyio
import anyio.lowlevel
import anyio.to_thread

from ._threads import check_limit

__all__ = ["AsyncBackend", "AsyncSignal", "AsyncTaskPool"]

T = TypeVar("T")


class AsyncBackend:
    async def sleep(self, seconds: float) -> None:
        await anyio.sleep(seconds)

    def monotonic(self) -> float:
        return time.monotonic()

    def wall_clock(self) -> float:
        return time.time()

    def task_pool(self, limit: int) -> AsyncTaskPool:
        return AsyncTaskPool(limit)

    def signal(self) -> AsyncSignal:
        return AsyncSignal()

    def semaphore(self, limit: int) -> anyio.Semaphore:
        """At most ``limit`` holders at once (``async with``)."""
        check_limit(limit)
        return anyio.Semaphore(limit)

    def lock(self) -> anyio.Lock:
        """A mutual-exclusion lock (``async with``): one holder at a time."""
        return anyio.Lock()

    async def run_sync(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a blocking call (file I/O) in a worker thread."""
        return await anyio.to_thread.run_sync(fn, *args)


class AsyncTaskPool:
    """Runs at most ``limit`` calls at once; ``submit`` waits for a free slot.

    An anyio task group bounded by a capacity limiter. Leaving the ``async with`` block waits
    for every call. The first failure cancels the other calls and the block, and is raised as
    itself (not an ExceptionGroup); nothing reaches the event loop's exception handler. If the
    block itself raises, the calls are cancelled and the block's exception wins.
    """

    def __init__(self, limit: int) -> None:
        check_limit(limit)
        self._limiter = anyio.CapacityLimiter(limit)
        self._group = anyio.create_task_group()
        self._error: BaseException | None = None

    async def __aenter__(self) -> AsyncTaskPool:
        await self._group.__aenter__()
        return self

    async def submit(self, fn: Callable[..., Awaitable[Any]], *args: Any) -> None:
        self._raise_if_failed()
        # Each call holds its slot under its own token: the submitter is the borrower that
        # acquires, the task the one that releases.
        slot = object()
        await self._limiter.acquire_on_behalf_of(slot)
        if self._error is not None:
            self._limiter.release_on_behalf_of(slot)
            raise self._error
        self._group.start_soon(self._run, slot, fn, args)

    async def _run(
        self, slot: object, fn: Callable[..., Awaitable[Any]], args: tuple[Any, ...]
    ) -> None:
        try:
            await fn(*args)
        except anyio.get_cancelled_exc_class():
            raise  # cancelled by the group: not a failure of the call
        except BaseException as exc:
            # Kept, not raised: the group would wrap it in an ExceptionGroup.
            if self._error is None:
                self._error = exc
            self._group.cancel_scope.cancel()
        finally:
            self._limiter.release_on_behalf_of(slot)

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise self._error

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        own_failure = exc_type is not None and not isinstance(exc, anyio.get_cancelled_exc_class())
        if own_failure:
            # The group would wrap the block's error with the calls' in an ExceptionGroup:
            # cancel the calls, wait for them, and let the block's error go on as itself.
            self._group.cancel_scope.cancel()
            await self._group.__aexit__(None, None, None)
            return False
        suppressed = bool(await self._group.__aexit__(exc_type, exc, tb))
        if self._error is not None:
            # The block was cancelled because a call failed (or ended normally): the call's
            # error is the one to report.
            raise self._error
        return suppressed


class AsyncSignal:
    """A resettable wake-up flag: ``set`` from any thread or event loop, ``wait`` from one loop.

    Waits on an anyio event; a ``set`` from outside the waiter's loop is handed to that loop
    without blocking. Spurious wake-ups are possible; callers re-check their condition.
    """

    __slots__ = ("_event", "_flag", "_lock", "_loop", "_thread")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flag = False
        self._event: anyio.Event | None = None
        self._loop: object = None  # the waiter's native loop (asyncio loop, trio token)
        self._thread: int | None = None  # the thread that runs it

    def set(self) -> None:
        with self._lock:
            if self._flag:
                return
            self._flag = True
            event, loop, thread = self._event, self._loop, self._thread
        if event is None:
            return
        # RuntimeError: the waiter's loop is closed, nobody to wake.
        with contextlib.suppress(RuntimeError):
            # A thread runs one loop at a time: the waiter's thread may set the event itself,
            # any other hands the call to the waiter's loop.
            if threading.get_ident() == thread:
                event.set()
            else:
                _call_soon_threadsafe(loop, event.set)

    def clear(self) -> None:
        with self._lock:
            self._flag = False
            if self._event is not None and self._event.is_set():
                self._event = anyio.Event()

    def is_set(self) -> bool:
        return self._flag

    # The timeout is a parameter (not a cancel scope around the call): the sync twin needs it.
    async def wait(self, timeout: float) -> bool:  # noqa: ASYNC109
        """Wait until set or ``timeout`` seconds pass; return whether it is set."""
        loop = _native_loop()
        with self._lock:
            if self._flag:
                return True
            if self._event is None or self._loop is not loop:
                self._event = anyio.Event()
                self._loop = loop
                self._thread = threading.get_ident()
            event = self._event
        if timeout <= 0:
            return self._flag
        with anyio.move_on_after(timeout):
            await event.wait()
        return self._flag or event.is_set()


def _native_loop() -> object:
    """The running event loop's native handle, or None outside one."""
    try:
        return anyio.lowlevel.current_token().native_token
    except RuntimeError:
        return None


def _call_soon_threadsafe(loop: Any, fn: Callable[[], object]) -> None:
    # asyncio's loop has call_soon_threadsafe, trio's token run_sync_soon: neither blocks.
    schedule = getattr(loop, "call_soon_threadsafe", None) or loop.run_sync_soon
    schedule(fn)
