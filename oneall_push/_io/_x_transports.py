"""The X media clients' default transports, one per colour (hand-written).

Named ``Async*``/``Sync*`` so the generated sync client calls the sync one. Each pool keeps a
connection for every append in flight: urllib3 drops what exceeds its ``maxsize`` (10 by
default) after use, which would reconnect at ``max_concurrency`` 11 to 16.
"""

from __future__ import annotations

from ._aiohttp import AsyncHttpTransport
from ._http import AsyncTransport, SyncTransport
from ._urllib3 import SyncHttpTransport

__all__ = ["AsyncDefaultTransport", "SyncDefaultTransport"]


def AsyncDefaultTransport(connections: int) -> AsyncTransport:
    # aiohttp's pool holds 100 connections, above MAX_CONCURRENCY: nothing to size.
    return AsyncHttpTransport(limit=max(100, connections))


def SyncDefaultTransport(connections: int) -> SyncTransport:
    return SyncHttpTransport(maxsize=connections)
