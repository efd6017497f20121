"""The I/O seam: every hand-written pair of colours, and nothing else.

HTTP transports (aiohttp, urllib3, mock), the time/concurrency backend (anyio, threads), the
Redis connections, and (imported from their own modules, since they sit on top of the
generated receivers) the callback servers and the aiohttp receiver app. Everything outside
this package is colour-free or generated from ``_async``.

Each name loads its own module on first use: sync code never imports aiohttp, anyio or asyncio,
and nobody pays for Redis without a Redis store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_attributes

if TYPE_CHECKING:
    from ._aiohttp import AsyncHttpTransport
    from ._backend import AsyncBackend, AsyncSignal, AsyncTaskPool
    from ._defaults import AsyncDefaultTransport, SyncDefaultTransport
    from ._http import AsyncTransport, Request, Response, SyncTransport, Timeout
    from ._mock import (
        AsyncMockBackend,
        AsyncMockTransport,
        MockHandler,
        SyncMockBackend,
        SyncMockTransport,
    )
    from ._redis_async import AsyncRedisConnection
    from ._redis_sync import SyncRedisConnection
    from ._threads import SyncBackend, SyncSignal, SyncTaskPool
    from ._urllib3 import SyncHttpTransport

__getattr__ = lazy_attributes(
    __name__,
    {
        "._aiohttp": ["AsyncHttpTransport"],
        "._backend": ["AsyncBackend", "AsyncSignal", "AsyncTaskPool"],
        "._defaults": ["AsyncDefaultTransport", "SyncDefaultTransport"],
        "._http": ["AsyncTransport", "Request", "Response", "SyncTransport", "Timeout"],
        "._mock": [
            "AsyncMockBackend",
            "AsyncMockTransport",
            "MockHandler",
            "SyncMockBackend",
            "SyncMockTransport",
        ],
        "._redis_async": ["AsyncRedisConnection"],
        "._redis_sync": ["SyncRedisConnection"],
        "._threads": ["SyncBackend", "SyncSignal", "SyncTaskPool"],
        "._urllib3": ["SyncHttpTransport"],
    },
)

__all__ = [
    "AsyncBackend",
    "AsyncDefaultTransport",
    "AsyncHttpTransport",
    "AsyncMockBackend",
    "AsyncMockTransport",
    "AsyncRedisConnection",
    "AsyncSignal",
    "AsyncTaskPool",
    "AsyncTransport",
    "MockHandler",
    "Request",
    "Response",
    "SyncBackend",
    "SyncDefaultTransport",
    "SyncHttpTransport",
    "SyncMockBackend",
    "SyncMockTransport",
    "SyncRedisConnection",
    "SyncSignal",
    "SyncTaskPool",
    "SyncTransport",
    "Timeout",
]
