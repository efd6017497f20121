"""The async Redis connection of the callback store: ``redis.asyncio`` on one event loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import anyio

from ..errors import CallbackStoreError, ConfigurationError
from ._redis import (
    DEFAULT_URL,
    MAX_CONNECTIONS,
    POOL_TIMEOUT,
    PUT_ONCE,
    OnMessage,
    OnSubscribed,
    Subscribers,
    describe,
    import_redis,
    milliseconds,
)

__all__ = ["AsyncRedisConnection"]

logger = logging.getLogger("oneall_push.callbacks")


class AsyncRedisConnection:
    """``redis.asyncio`` behind the surface the async Redis callback store needs."""

    def __init__(
        self, url: str | None = None, *, client: Any = None, max_connections: int = MAX_CONNECTIONS
    ) -> None:
        self._redis = import_redis()
        self._url = url or DEFAULT_URL
        self._where = describe(url, client)
        self._max_connections = max_connections
        self._owns_client = client is None
        self._client: Any = client if client is not None else self._new_client()
        self._errors: tuple[type[BaseException], ...] = (self._redis.RedisError, OSError)
        self._put_once = self._client.register_script(PUT_ONCE)
        self._listener: asyncio.Task[None] | None = None
        self._subscribers = Subscribers()
        self._subscribed = asyncio.Event()
        # redis.asyncio connections, the listener task and the event belong to one loop.
        self._loop: asyncio.AbstractEventLoop | None = None

    def _new_client(self) -> Any:
        pool = self._redis.asyncio.BlockingConnectionPool.from_url(
            self._url, max_connections=self._max_connections, timeout=POOL_TIMEOUT
        )
        return self._redis.asyncio.Redis(connection_pool=pool)

    def _bind(self) -> None:
        """Tie this connection to the running loop; start over if the previous one finished.

        Raises :class:`ConfigurationError` if another loop is still using it, or if its
        client was given by the caller (and so cannot be recreated here).
        """
        loop = asyncio.get_running_loop()
        if loop is self._loop:
            return
        previous = self._loop
        if previous is not None:
            if previous.is_running() and not previous.is_closed():
                raise ConfigurationError(
                    "this Redis callback store is in use on another running event loop; "
                    "create one store per event loop"
                )
            if not self._owns_client:
                raise ConfigurationError(
                    "this Redis callback store was first used on another event loop and its "
                    "redis.asyncio client belongs to that loop: create one client (and one "
                    "store) per event loop, or let the store create its own client"
                )
            # The previous loop has finished; its connections and listener went with it.
            self._client = self._new_client()
            self._put_once = self._client.register_script(PUT_ONCE)
            self._listener = None
        self._loop = loop
        self._subscribed = asyncio.Event()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._where!r})"

    def _fail(self, exc: BaseException) -> CallbackStoreError:
        return CallbackStoreError(f"Redis at {self._where}: {type(exc).__name__}: {exc}")

    async def get(self, key: str) -> bytes | None:
        self._bind()
        try:
            value: bytes | None = await self._client.get(key)
        except self._errors as exc:
            raise self._fail(exc) from exc
        return value

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        self._bind()
        try:
            await self._client.set(key, value, px=milliseconds(ttl))
        except self._errors as exc:
            raise self._fail(exc) from exc

    async def set_once_and_publish(self, key: str, value: bytes, ttl: float, channel: str) -> bool:
        self._bind()
        try:
            stored = await self._put_once(keys=[key, channel], args=[value, milliseconds(ttl)])
        except self._errors as exc:
            raise self._fail(exc) from exc
        return bool(stored)

    async def delete(self, *keys: str) -> None:
        self._bind()
        try:
            await self._client.delete(*keys)
        except self._errors as exc:
            raise self._fail(exc) from exc

    def subscribe(self, pattern: str, on_message: OnMessage, on_subscribed: OnSubscribed) -> None:
        """Route this connection's pub/sub to a store (before its first :meth:`listen`).

        ``on_subscribed`` runs after every (re)subscription, ``on_message`` with the channel of
        every message; both must not block. Every store on one connection uses one pattern.
        """
        self._subscribers.add(pattern, on_message, on_subscribed)

    async def listen(self, wait: float) -> bool:
        """Start the subscription (once) and wait up to ``wait`` s for it; True if subscribed."""
        pattern = self._subscribers.pattern
        if pattern is None:
            raise ConfigurationError("subscribe() a store to this Redis connection first")
        self._bind()
        if self._listener is None or self._listener.done():
            # A task of the connection's own, not of any one call: it lives as long as the
            # subscription. redis.asyncio runs on asyncio only, so this module may too.
            self._listener = asyncio.ensure_future(self._listen(pattern))
        if self._subscribed.is_set():
            return True
        with anyio.move_on_after(wait):
            await self._subscribed.wait()
        return self._subscribed.is_set()

    async def _listen(self, pattern: str) -> None:
        delay = 0.05
        while True:
            pubsub = self._client.pubsub()
            try:
                await pubsub.psubscribe(pattern)
                while True:
                    message = await pubsub.get_message(timeout=30.0)
                    if message is None:
                        continue
                    if self._subscribers.dispatch(message):
                        delay = 0.05
                        self._subscribed.set()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.warning(
                    "callback subscription to %s lost (%s); reconnecting",
                    self._where,
                    type(exc).__name__,
                )
            finally:
                self._subscribed.clear()
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)

    async def close(self) -> None:
        previous = self._loop
        if previous is not None and previous is not asyncio.get_running_loop():
            if previous.is_running() and not previous.is_closed():
                raise ConfigurationError(
                    "close this Redis callback store on the event loop that uses it"
                )
            # Bound to a loop that has finished: nothing of it can be awaited from here.
            self._listener = None
            self._loop = None
            if self._owns_client:
                self._client = self._new_client()
                self._put_once = self._client.register_script(PUT_ONCE)
            return
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(BaseException):
                await self._listener
            self._listener = None
        if self._owns_client:
            with contextlib.suppress(Exception):
                await self._client.aclose()
            with contextlib.suppress(Exception):
                await self._client.connection_pool.disconnect()
