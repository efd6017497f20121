"""The hand-written Async*/Sync* primitives of the I/O seam that both halves rely on."""

from __future__ import annotations

import asyncio
import gc
import threading
import time

import pytest

from oneall_push._io import AsyncBackend, AsyncMockBackend, Response, SyncBackend, SyncMockBackend


class BlockFailed(Exception):
    pass


class CallFailed(Exception):
    pass


async def test_async_pool_raises_the_first_failed_call() -> None:
    async def fail() -> None:
        raise CallFailed

    with pytest.raises(CallFailed):
        async with AsyncBackend().task_pool(2) as pool:
            await pool.submit(fail)


async def test_async_pool_keeps_the_blocks_own_error_and_cancels_the_calls() -> None:
    started = asyncio.Event()
    cancelled: list[bool] = []

    async def hang() -> None:
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    with pytest.raises(BlockFailed):
        async with AsyncBackend().task_pool(2) as pool:
            await pool.submit(hang)
            await started.wait()
            raise BlockFailed
    assert cancelled == [True]


async def test_async_pool_bounds_the_calls_in_flight() -> None:
    in_flight, peak = 0, 0
    both = asyncio.Event()

    async def work() -> None:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        if in_flight == 2:
            both.set()
        await asyncio.wait_for(both.wait(), 5)
        in_flight -= 1

    async with AsyncBackend().task_pool(2) as pool:
        for _ in range(6):
            await pool.submit(work)
    assert peak == 2


def test_sync_pool_keeps_the_blocks_own_error() -> None:
    release = threading.Event()

    def fail_later() -> None:
        release.wait(5)
        raise CallFailed

    with pytest.raises(BlockFailed), SyncBackend().task_pool(2) as pool:
        pool.submit(fail_later)
        release.set()
        raise BlockFailed


async def test_async_pool_cancels_the_other_calls_and_raises_the_first_failure_as_itself() -> None:
    cancelled: list[str] = []
    started = asyncio.Event()

    async def hang(name: str) -> None:
        try:
            started.set()
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.append(name)
            raise

    async def fail() -> None:
        await started.wait()
        raise CallFailed("first")

    after_failure: list[bool] = []
    with pytest.raises(CallFailed, match="first") as info:
        async with AsyncBackend().task_pool(3) as pool:
            await pool.submit(hang, "a")
            await pool.submit(hang, "b")
            await pool.submit(fail)
            await asyncio.sleep(5)  # the block is cancelled by the failure too
            after_failure.append(True)
    assert type(info.value) is CallFailed  # not an ExceptionGroup
    assert sorted(cancelled) == ["a", "b"]
    assert after_failure == []


async def test_async_pool_failures_never_reach_the_loops_exception_handler() -> None:
    loop = asyncio.get_running_loop()
    reported: list[dict[str, object]] = []
    loop.set_exception_handler(lambda _loop, context: reported.append(context))

    async def fail(n: int) -> None:
        await asyncio.sleep(0.001 * n)
        raise CallFailed(str(n))

    try:
        for _ in range(3):
            with pytest.raises(CallFailed):
                async with AsyncBackend().task_pool(4) as pool:
                    for n in range(4):
                        await pool.submit(fail, n)
        gc.collect()
        await asyncio.sleep(0.01)
    finally:
        loop.set_exception_handler(None)
    assert reported == []


async def test_async_pool_slots_are_given_back_after_failures() -> None:
    """A call that fails still frees its slot, so a later pool of one can run."""
    pool_limit = 1
    done: list[int] = []

    async def work(n: int) -> None:
        done.append(n)

    async with AsyncBackend().task_pool(pool_limit) as pool:
        for n in range(5):
            await pool.submit(work, n)
    assert done == [0, 1, 2, 3, 4]


async def test_async_signal_is_woken_from_another_thread_without_blocking_it() -> None:
    signal = AsyncBackend().signal()
    setter_returned = threading.Event()

    def set_later() -> None:
        time.sleep(0.05)
        signal.set()
        setter_returned.set()

    thread = threading.Thread(target=set_later)
    thread.start()
    start = time.monotonic()
    assert await signal.wait(10) is True
    assert time.monotonic() - start < 5
    thread.join(5)
    assert setter_returned.is_set()


async def test_async_signal_set_clear_and_timeout() -> None:
    signal = AsyncBackend().signal()
    assert await signal.wait(0.01) is False
    signal.set()
    assert signal.is_set() and await signal.wait(0) is True
    signal.clear()
    assert not signal.is_set()
    assert await signal.wait(0.01) is False
    signal.set()
    assert await signal.wait(1) is True


def test_async_signal_set_after_its_loop_closed_is_harmless() -> None:
    signal = AsyncBackend().signal()

    async def wait_briefly() -> bool:
        return await signal.wait(0.01)

    assert asyncio.run(wait_briefly()) is False
    signal.set()  # the waiter's loop is gone: nothing to wake, no error
    assert signal.is_set()


async def test_mock_backends_take_no_time_and_move_their_clocks() -> None:
    backend = AsyncMockBackend()
    before = backend.monotonic()
    await backend.sleep(120)
    assert backend.slept == [120]
    assert backend.monotonic() - before >= 120
    sync = SyncMockBackend()
    wall = sync.wall_clock()
    sync.sleep(30)
    assert sync.slept == [30] and sync.wall_clock() - wall >= 30


def test_response_reads_retry_after_once() -> None:
    response = Response(503, headers={"retry-after": "7"})
    assert response.retry_after == 7.0
    assert Response(503, headers={"retry-after": "soon"}).retry_after is None
    assert Response(200).retry_after is None
