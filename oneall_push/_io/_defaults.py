"""The clients' default transports, one factory per colour.

Named ``Async*``/``Sync*`` so the generated sync clients call the sync one. The aiohttp
transport is imported on the first call: sync users never pay for aiohttp.

For X media each pool keeps a connection for every append in flight: urllib3 drops what
exceeds its ``maxsize`` (10 by default) after use, which would reconnect at
``max_concurrency`` 11 to 16.
"""

from __future__ import annotations

from ._http import AsyncTransport, SyncTransport
from ._urllib3 import SyncHttpTransport

__all__ = ["AsyncDefaultTransport", "SyncDefaultTransport"]


def AsyncDefaultTransport(connections: int | None = None) -> AsyncTransport:
    from ._aiohttp import AsyncHttpTransport

    if connections is None:
        return AsyncHttpTransport()
    # aiohttp's pool holds 100 connections, above X media's concurrency: nothing to size.
    return AsyncHttpTransport(limit=max(100, connections))


def SyncDefaultTransport(connections: int | None = None) -> SyncTransport:
    if connections is None:
        return SyncHttpTransport()
    return SyncHttpTransport(maxsize=connections)
