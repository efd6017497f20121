"""The clients' default transports, one factory per colour.

Named ``Async*``/``Sync*`` so the generated sync clients call the sync one. The aiohttp
transport is imported on the first call: sync users never pay for aiohttp.

For X media each pool keeps a connection for every append in flight: urllib3 drops what
exceeds its ``maxsize`` (10 by default) after use, which would reconnect at
``max_concurrency`` 11 to 16.
"""

from __future__ import annotations

import ssl
from typing import Any

from ._http import AsyncTransport, SyncTransport
from ._urllib3 import SyncHttpTransport

__all__ = ["AsyncDefaultTransport", "SyncDefaultTransport"]


def _network(
    proxy: str | None, trust_env: bool, ssl_context: ssl.SSLContext | None
) -> dict[str, Any]:
    return {"proxy": proxy, "trust_env": trust_env, "ssl_context": ssl_context}


def AsyncDefaultTransport(
    connections: int | None = None,
    *,
    proxy: str | None = None,
    trust_env: bool = True,
    ssl_context: ssl.SSLContext | None = None,
) -> AsyncTransport:
    from ._aiohttp import AsyncHttpTransport

    network = _network(proxy, trust_env, ssl_context)
    if connections is None:
        return AsyncHttpTransport(**network)
    # aiohttp's pool holds 100 connections, above X media's concurrency: nothing to size.
    return AsyncHttpTransport(limit=max(100, connections), **network)


def SyncDefaultTransport(
    connections: int | None = None,
    *,
    proxy: str | None = None,
    trust_env: bool = True,
    ssl_context: ssl.SSLContext | None = None,
) -> SyncTransport:
    network = _network(proxy, trust_env, ssl_context)
    if connections is None:
        return SyncHttpTransport(**network)
    return SyncHttpTransport(maxsize=connections, **network)
