"""The I/O seam: every hand-written pair of colours, and nothing else.

HTTP transports (aiohttp, urllib3, mock), the time/concurrency backend (anyio, threads), the
Redis connections, and (imported from their own modules, since they sit on top of the
generated receivers) the callback servers and the aiohttp receiver app. Everything outside
this package is colour-free or generated from ``_async``.
"""

from ._aiohttp import AsyncHttpTransport
from ._backend import (
    AsyncBackend,
    AsyncSignal,
    AsyncTaskPool,
    SyncBackend,
    SyncSignal,
    SyncTaskPool,
)
from ._http import AsyncTransport, Request, Response, SyncTransport, Timeout
from ._mock import (
    AsyncMockBackend,
    AsyncMockTransport,
    MockHandler,
    SyncMockBackend,
    SyncMockTransport,
)
from ._redis import AsyncRedisConnection, SyncRedisConnection
from ._urllib3 import SyncHttpTransport
from ._x_transports import AsyncDefaultTransport, SyncDefaultTransport

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
