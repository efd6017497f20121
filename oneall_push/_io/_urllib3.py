"""The default sync transport, on urllib3 (no event loop, no background thread)."""

from __future__ import annotations

import ssl
from urllib.parse import unquote, urlsplit

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    EmptyPoolError,
    HTTPError,
    NewConnectionError,
    ProtocolError,
    ProxyError,
    ReadTimeoutError,
    SSLError,
)

from ..errors import ConnectError, OutcomeUnknownError, ProxyRefusedError
from ._http import Request, Response, SyncTransport, Timeout
from ._proxy import ProxyRoutes

__all__ = ["SyncHttpTransport"]


class SyncHttpTransport(SyncTransport):
    """urllib3 transport; urllib3's own retries are off: the client decides what is retried.

    Requests go through ``proxy`` if given, else through the proxy the environment names
    (``HTTPS_PROXY``, ``HTTP_PROXY``, ``NO_PROXY``; ``trust_env=False`` ignores them).
    ``ssl_context`` replaces the default TLS settings (custom CAs); verification stays on.
    A ``pool`` given by the caller is used as it is, for every request.
    """

    def __init__(
        self,
        *,
        pool: urllib3.PoolManager | None = None,
        maxsize: int = 10,
        proxy: str | None = None,
        trust_env: bool = True,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._pool = pool
        self._owns_pool = pool is None
        self._maxsize = maxsize
        self._routes = ProxyRoutes(proxy, trust_env)
        self._ssl_context = ssl_context
        self._timeouts: dict[Timeout, urllib3.Timeout] = {}
        self._proxies: dict[str, urllib3.ProxyManager] = {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._routes!r})"

    def _get_pool(self) -> urllib3.PoolManager:
        if self._pool is None:
            self._pool = urllib3.PoolManager(
                maxsize=self._maxsize, block=False, ssl_context=self._ssl_context
            )
        return self._pool

    def _pool_for(self, url: str) -> urllib3.PoolManager:
        proxy = self._routes.for_url(url) if self._owns_pool else None
        return self._get_pool() if proxy is None else self._proxy_pool(proxy)

    def _proxy_pool(self, proxy: str) -> urllib3.ProxyManager:
        pool = self._proxies.get(proxy)
        if pool is None:
            parts = urlsplit(proxy)
            headers = None
            if parts.username is not None:
                login = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
                headers = urllib3.make_headers(proxy_basic_auth=login)
            pool = urllib3.ProxyManager(
                proxy,
                proxy_headers=headers,
                maxsize=self._maxsize,
                block=False,
                ssl_context=self._ssl_context,
            )
            self._proxies[proxy] = pool
        return pool

    def send(self, request: Request) -> Response:
        pool = self._pool_for(request.url)
        timeout = self._timeouts.get(request.timeout)
        if timeout is None:
            timeout = urllib3.Timeout(connect=request.timeout.connect, read=request.timeout.read)
            self._timeouts[request.timeout] = timeout
        try:
            # urllib3 copies the headers into its own HTTPHeaderDict: no copy needed here.
            resp = pool.request(
                request.method,
                request.url,
                # A bytearray (a reused X media chunk buffer) goes to sendall as is.
                body=request.body,  # type: ignore[arg-type]
                headers=request.headers,
                timeout=timeout,
                retries=False,
                redirect=False,
                preload_content=True,
            )
        except NewConnectionError as exc:  # a subclass of ConnectTimeoutError: test it first
            raise ConnectError(
                f"could not connect: {type(exc).__name__}", endpoint=request.endpoint
            ) from exc
        except (ConnectTimeoutError, EmptyPoolError) as exc:
            raise ConnectError("timed out connecting", endpoint=request.endpoint) from exc
        except SSLError as exc:
            # The TLS handshake failed (an unknown certificate, say): nothing was sent.
            raise ConnectError(
                "could not connect: TLS handshake failed", endpoint=request.endpoint
            ) from exc
        except ProxyError as exc:
            # The proxy could not be reached or refused the tunnel: nothing reached the API.
            raise ConnectError(
                "could not connect through the proxy", endpoint=request.endpoint
            ) from exc
        except ReadTimeoutError as exc:
            raise OutcomeUnknownError(
                "timed out waiting for the response; the request may have been processed",
                endpoint=request.endpoint,
            ) from exc
        except (ProtocolError, HTTPError, OSError) as exc:
            if _is_connect_failure(exc):
                raise ConnectError(
                    f"could not connect: {type(exc).__name__}", endpoint=request.endpoint
                ) from exc
            raise OutcomeUnknownError(
                f"connection broke after sending ({type(exc).__name__}); "
                "the request may have been processed",
                endpoint=request.endpoint,
            ) from exc
        if resp.status == 407 and isinstance(pool, urllib3.ProxyManager):
            raise ProxyRefusedError(407, endpoint=request.endpoint)
        # HTTPHeaderDict: a case-insensitive mapping, like aiohttp's.
        return Response(status=resp.status, headers=resp.headers, body=resp.data)

    def close(self) -> None:
        if self._owns_pool:
            for proxied in self._proxies.values():
                proxied.clear()
            self._proxies.clear()
            if self._pool is not None:
                self._pool.clear()
                self._pool = None


def _is_connect_failure(exc: BaseException) -> bool:
    # urllib3 wraps connect failures in MaxRetryError/ProtocolError at times; walk the reasons.
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, (NewConnectionError, ConnectTimeoutError, ConnectionRefusedError)):
            return True
        reason = getattr(seen, "reason", None)  # a str for some urllib3 errors
        seen = reason if isinstance(reason, BaseException) else seen.__cause__ or seen.__context__
    return False
