"""The sync Redis connection of the callback store: ``redis`` with a listener thread."""

from __future__ import annotations

import contextlib
import logging
import threading
from typing import Any

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

__all__ = ["SyncRedisConnection"]

logger = logging.getLogger("oneall_push.callbacks")


class SyncRedisConnection:
    """``redis`` behind the surface the sync Redis callback store needs."""

    def __init__(
        self, url: str | None = None, *, client: Any = None, max_connections: int = MAX_CONNECTIONS
    ) -> None:
        redis = import_redis()
        self._url = url or DEFAULT_URL
        self._where = describe(url, client)
        self._owns_client = client is None
        if client is None:
            pool = redis.BlockingConnectionPool.from_url(
                self._url, max_connections=max_connections, timeout=POOL_TIMEOUT
            )
            client = redis.Redis(connection_pool=pool)
        self._client: Any = client
        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self._put_once = self._client.register_script(PUT_ONCE)
        self._listener: threading.Thread | None = None
        self._subscribed = threading.Event()
        self._stop = threading.Event()
        self._start_lock = threading.Lock()
        self._subscribers = Subscribers()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._where!r})"

    def _fail(self, exc: BaseException) -> CallbackStoreError:
        return CallbackStoreError(f"Redis at {self._where}: {type(exc).__name__}: {exc}")

    def get(self, key: str) -> bytes | None:
        try:
            value: bytes | None = self._client.get(key)
        except self._errors as exc:
            raise self._fail(exc) from exc
        return value

    def set(self, key: str, value: bytes, ttl: float) -> None:
        try:
            self._client.set(key, value, px=milliseconds(ttl))
        except self._errors as exc:
            raise self._fail(exc) from exc

    def set_once_and_publish(self, key: str, value: bytes, ttl: float, channel: str) -> bool:
        try:
            stored = self._put_once(keys=[key, channel], args=[value, milliseconds(ttl)])
        except self._errors as exc:
            raise self._fail(exc) from exc
        return bool(stored)

    def delete(self, *keys: str) -> None:
        try:
            self._client.delete(*keys)
        except self._errors as exc:
            raise self._fail(exc) from exc

    def subscribe(self, pattern: str, on_message: OnMessage, on_subscribed: OnSubscribed) -> None:
        """Route this connection's pub/sub to a store (before its first :meth:`listen`).

        ``on_subscribed`` runs after every (re)subscription, ``on_message`` with the channel of
        every message, both from a background thread; both must not block. Every store on one
        connection uses one pattern.
        """
        self._subscribers.add(pattern, on_message, on_subscribed)

    def listen(self, wait: float) -> bool:
        """Start the subscription (once) and wait up to ``wait`` s for it; True if subscribed."""
        pattern = self._subscribers.pattern
        if pattern is None:
            raise ConfigurationError("subscribe() a store to this Redis connection first")
        with self._start_lock:
            if self._listener is None or not self._listener.is_alive():
                self._stop.clear()
                self._listener = threading.Thread(
                    target=self._listen,
                    args=(pattern,),
                    name="oneall-push-redis-callbacks",
                    daemon=True,
                )
                self._listener.start()
        return self._subscribed.wait(wait) if wait > 0 else self._subscribed.is_set()

    def _listen(self, pattern: str) -> None:
        delay = 0.05
        while not self._stop.is_set():
            pubsub = self._client.pubsub()
            try:
                pubsub.psubscribe(pattern)
                while not self._stop.is_set():
                    message = pubsub.get_message(timeout=0.5)
                    if message is None:
                        continue
                    if self._subscribers.dispatch(message):
                        delay = 0.05
                        self._subscribed.set()
            except Exception as exc:
                if self._stop.is_set():
                    break
                logger.warning(
                    "callback subscription to %s lost (%s); reconnecting",
                    self._where,
                    type(exc).__name__,
                )
            finally:
                self._subscribed.clear()
                with contextlib.suppress(Exception):
                    pubsub.close()
            self._stop.wait(delay)
            delay = min(delay * 2, 2.0)

    def close(self) -> None:
        self._stop.set()
        pattern = self._subscribers.pattern
        if self._listener is not None:
            if self._listener.is_alive() and pattern is not None and pattern.endswith("*"):
                # Wake the listener now rather than at its next poll (job ids have no "!").
                with contextlib.suppress(Exception):
                    self._client.publish(pattern[:-1] + "!close", b"")
            self._listener.join(timeout=5.0)
            self._listener = None
        if self._owns_client:
            with contextlib.suppress(Exception):
                self._client.close()
            with contextlib.suppress(Exception):
                self._client.connection_pool.disconnect()
