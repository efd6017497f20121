"""The hand-written Async*/Sync* primitives that the generated half relies on."""

from __future__ import annotations

import asyncio
import threading

import pytest

from oneall_push._io import AsyncBackend, SyncBackend


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
