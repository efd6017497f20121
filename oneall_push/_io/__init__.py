"""The I/O seam: every hand-written pair of colours, and nothing else.

HTTP transports (aiohttp, urllib3, mock), the time/concurrency backend (anyio, threads), the
Redis connections, and (imported from their own modules, since they sit on top of the
generated receivers) the callback servers and the aiohttp receiver app. Everything outside
this package is colour-free or generated from ``_async``.
"""

from typing import TYPE_CHECKING, Any

from ._backend import (
    AsyncBackend,
    AsyncSignal,
    AsyncTaskPool,
    SyncBackend,
    SyncSignal,
    SyncTaskPool,
)
from ._defaults import AsyncDefaultTransport, SyncDefaultTransport
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

if TYPE_CHECKING:
    from ._aiohttp import AsyncHttpTransport

# aiohttp costs a tenth of a second to import: it loads when an async client first needs it,
# never for sync users.
_LAZY = {"AsyncHttpTransport": "._aiohttp"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
