"""A Redis store closes the connections it made itself (and only those)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from oneall_push._io import AsyncBackend, AsyncRedisConnection
from tests.support.callbacks import AsyncRedisClient, AsyncRedisStore, redis_server

pytestmark = pytest.mark.redis


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


def _client_for(url: str) -> AsyncRedisClient:
    return AsyncRedisClient(host="127.0.0.1", port=urlsplit(url).port)


async def _clients(probe: AsyncRedisClient) -> int:
    return len(await probe.client_list())


async def _settles_at(probe: AsyncRedisClient, expected: int) -> int:
    """The server's client count once it stops changing (disconnects land asynchronously)."""
    count = await _clients(probe)
    for _ in range(100):
        if count == expected:
            break
        await AsyncBackend().sleep(0.02)
        count = await _clients(probe)
    return count


async def test_a_store_closes_the_connections_it_made(redis_url: str) -> None:
    probe = _client_for(redis_url)
    try:
        before = await _clients(probe)
        store = AsyncRedisStore(redis_url, prefix=f"close-{uuid.uuid4().hex[:8]}:")
        assert await store.wait(uuid.uuid4().hex, 0.05) is None  # a read and the subscription
        assert await _clients(probe) > before
        await store.close()
        assert await _settles_at(probe, before) == before
    finally:
        await probe.shut()


async def test_a_store_leaves_a_given_connection_open(redis_url: str) -> None:
    client = _client_for(redis_url)
    store = AsyncRedisStore(connection=AsyncRedisConnection(client=client))
    try:
        await client.set("given-key", b"1")
        await store.close()
        # The caller's client still works: closing it is the caller's job.
        assert await client.get("given-key") == b"1"
    finally:
        await client.shut()
