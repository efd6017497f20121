"""The default async transport, on aiohttp."""

from __future__ import annotations

import asyncio
import ssl
from typing import TYPE_CHECKING

import aiohttp

from ..errors import (
    ConfigurationError,
    ConnectError,
    OneAllPushError,
    OutcomeUnknownError,
    ProxyRefusedError,
)
from ._http import AsyncTransport, Request, Response, Timeout
from ._proxy import ProxyRoutes

if TYPE_CHECKING:
    from aiohttp.tracing import Trace

__all__ = ["AsyncHttpTransport"]

# Idle pooled connections tried before a new one is opened anyway.
_MAX_STALE = 64


class _QuietPoolConnector(aiohttp.TCPConnector):
    """Reuses a pooled connection only if nothing arrived on it while it sat idle.

    aiohttp parses whatever an idle keep-alive connection receives (a proxy's duplicated
    answer, a server's 408 before it closes) and hands it to the next request sent on that
    connection as its answer: a success carrying another post's id, while the real answer is
    never read. Such a connection is closed here instead; the request goes on a fresh one.
    """

    async def connect(
        self, req: aiohttp.ClientRequest, traces: list[Trace], timeout: aiohttp.ClientTimeout
    ) -> aiohttp.connector.Connection:
        for _ in range(_MAX_STALE):
            connection = await super().connect(req, traces, timeout)
            protocol = connection.protocol
            if protocol is None or not protocol.should_close:
                return connection
            connection.close()
        return await super().connect(req, traces, timeout)


# Bodies larger than this are written in pieces of this size: aiohttp would otherwise join the
# request head with the whole body (a copy of it) before the first write (and warns about
# bodies over 1 MiB), and the event loop copies what the socket does not take at once.
_PIECE = 1024 * 1024


class _Pieces:
    """A large body as an async iterator of views into it (no copy; no async generator to
    finalize if the request is cancelled mid-body)."""

    __slots__ = ("_body", "_pos")

    def __init__(self, body: bytes | bytearray) -> None:
        self._body = body
        self._pos = 0

    def __aiter__(self) -> _Pieces:
        return self

    async def __anext__(self) -> memoryview:
        start = self._pos
        if start >= len(self._body):
            raise StopAsyncIteration
        self._pos = start + _PIECE
        with memoryview(self._body) as view:
            # A slice outlives the released view; the body stays exported only as long as it.
            return view[start : start + _PIECE]


class AsyncHttpTransport(AsyncTransport):
    """aiohttp transport. The session is created lazily, inside the running loop.

    Pass ``session=`` to share an existing :class:`aiohttp.ClientSession`; it is then not
    closed by :meth:`close`. Requests go through ``proxy`` if given, else through the proxy the
    environment names (``HTTPS_PROXY``, ``HTTP_PROXY``, ``NO_PROXY``; ``trust_env=False``
    ignores them). ``ssl_context`` replaces the default TLS settings (custom CAs);
    verification stays on.
    """

    def __init__(
        self,
        *,
        session: aiohttp.ClientSession | None = None,
        limit: int = 100,
        limit_per_host: int = 0,
        proxy: str | None = None,
        trust_env: bool = True,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._session = session
        self._owns_session = session is None
        self._limit = limit
        self._limit_per_host = limit_per_host
        self._routes = ProxyRoutes(proxy, trust_env)
        self._ssl: ssl.SSLContext | bool = ssl_context if ssl_context is not None else True
        self._timeouts: dict[Timeout, aiohttp.ClientTimeout] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._routes!r})"

    def _get_session(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        open_elsewhere = self._session is not None and not self._session.closed
        if self._owns_session and open_elsewhere and self._loop is not loop:
            # aiohttp binds connections to the loop that opened them; that loop's sockets can
            # only be closed from it. Closing the client there (``async with``) frees it.
            raise ConfigurationError(
                "this client's connections belong to another event loop: close() it in the "
                "loop that used it (or use `async with`) before using it in a new one"
            )
        if self._session is None or self._session.closed:
            connector = _QuietPoolConnector(limit=self._limit, limit_per_host=self._limit_per_host)
            self._session = aiohttp.ClientSession(connector=connector, auto_decompress=True)
            self._owns_session = True
            self._loop = loop
        return self._session

    async def send(self, request: Request) -> Response:
        session = self._get_session()
        timeout = self._client_timeout(request.timeout)
        sent = False
        proxy = self._routes.for_url(request.url)
        failure: OneAllPushError
        body = request.body
        headers = request.headers
        data: bytes | bytearray | _Pieces | None = body
        if body is not None and len(body) > _PIECE:
            data = _Pieces(body)
            headers = {**headers, "Content-Length": str(len(body))}
        try:
            async with session.request(
                request.method,
                request.url,
                headers=headers,
                data=data,
                timeout=timeout,
                allow_redirects=False,
                proxy=proxy,
                ssl=self._ssl,
            ) as resp:
                sent = True
                if resp.status == 407 and proxy is not None:
                    raise ProxyRefusedError(407, endpoint=request.endpoint)
                body = await resp.read()
                # CIMultiDictProxy: a case-insensitive mapping, usable after release.
                return Response(status=resp.status, headers=resp.headers, body=body)
        except aiohttp.ClientHttpProxyError as exc:  # the proxy refused the tunnel
            failure = ProxyRefusedError(exc.status, endpoint=request.endpoint)
        except aiohttp.ConnectionTimeoutError:
            failure = ConnectError("timed out connecting", endpoint=request.endpoint)
        except aiohttp.ClientConnectorError as exc:
            # DNS, refused, unreachable, TLS handshake: nothing was sent.
            failure = ConnectError(
                f"could not connect: {type(exc).__name__}", endpoint=request.endpoint
            )
        except (asyncio.TimeoutError, aiohttp.SocketTimeoutError):
            failure = OutcomeUnknownError(
                "timed out waiting for the response; the request may have been processed",
                endpoint=request.endpoint,
            )
        except aiohttp.ClientError as exc:
            where = "while reading the response" if sent else "after sending"
            failure = OutcomeUnknownError(
                f"connection broke {where} ({type(exc).__name__}); "
                "the request may have been processed",
                endpoint=request.endpoint,
            )
        # Raised outside the except blocks: aiohttp's exceptions carry the request headers
        # (Authorization) in their repr, so they must not travel as __cause__ or __context__.
        raise failure

    def _client_timeout(self, timeout: Timeout) -> aiohttp.ClientTimeout:
        # Built once per distinct Timeout: the client sends thousands of requests with one.
        # ``connect`` stays apart from ``sock_read`` so a connect timeout is known retry-safe.
        cached = self._timeouts.get(timeout)
        if cached is None:
            cached = aiohttp.ClientTimeout(
                total=None, connect=timeout.connect, sock_read=timeout.read
            )
            self._timeouts[timeout] = cached
        return cached

    async def close(self) -> None:
        if self._session is not None and self._owns_session and not self._session.closed:
            await self._session.close()
        if self._owns_session:
            self._session = None
