"""The default sync transport, on urllib3 (no event loop, no background thread)."""

from __future__ import annotations

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    EmptyPoolError,
    HTTPError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)

from ..errors import ConnectError, OutcomeUnknownError
from ._http import Request, Response, SyncTransport, Timeout

__all__ = ["SyncHttpTransport"]


class SyncHttpTransport(SyncTransport):
    """urllib3 transport; urllib3's own retries are off: the client decides what is retried."""

    def __init__(self, *, pool: urllib3.PoolManager | None = None, maxsize: int = 10) -> None:
        self._pool = pool
        self._owns_pool = pool is None
        self._maxsize = maxsize
        self._timeouts: dict[Timeout, urllib3.Timeout] = {}

    def _get_pool(self) -> urllib3.PoolManager:
        if self._pool is None:
            self._pool = urllib3.PoolManager(maxsize=self._maxsize, block=False)
        return self._pool

    def send(self, request: Request) -> Response:
        pool = self._get_pool()
        timeout = self._timeouts.get(request.timeout)
        if timeout is None:
            timeout = urllib3.Timeout(connect=request.timeout.connect, read=request.timeout.read)
            self._timeouts[request.timeout] = timeout
        try:
            # urllib3 copies the headers into its own HTTPHeaderDict: no copy needed here.
            resp = pool.request(
                request.method,
                request.url,
                body=request.body,
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
        # HTTPHeaderDict: a case-insensitive mapping, like aiohttp's.
        return Response(status=resp.status, headers=resp.headers, body=resp.data)

    def close(self) -> None:
        if self._pool is not None and self._owns_pool:
            self._pool.clear()
            self._pool = None


def _is_connect_failure(exc: BaseException) -> bool:
    # urllib3 wraps connect failures in MaxRetryError/ProtocolError at times; walk the reasons.
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, (NewConnectionError, ConnectTimeoutError, ConnectionRefusedError)):
            return True
        seen = getattr(seen, "reason", None) or seen.__cause__ or seen.__context__
    return False
