"""Hand-written Redis I/O for the Redis callback stores, one class per colour.

:class:`AsyncRedisConnection` wraps ``redis.asyncio`` and :class:`SyncRedisConnection` wraps
``redis``; unasync renames the first into the second in the generated half. Both expose the
few operations the store needs, translate Redis errors into
:class:`~oneall_push.errors.CallbackStoreError`, and run one pattern subscription whose every
(re)subscription is reported, so waiters re-read the store after a reconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import threading
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import anyio

from ..errors import CallbackStoreError, ConfigurationError

__all__ = ["AsyncRedisConnection", "SyncRedisConnection"]

logger = logging.getLogger("oneall_push.callbacks")

DEFAULT_URL = "redis://127.0.0.1:6379/0"
# Connections of a store's own client. Commands beyond it wait for a free connection (up to
# POOL_TIMEOUT s) instead of failing with "Too many connections" (redis-py's default pool
# refuses past 100), so thousands of concurrent waits share a few connections.
MAX_CONNECTIONS = 64
POOL_TIMEOUT = 30.0

# Store first, then notify, in one round trip; first write wins.
_PUT_ONCE = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  redis.call('PUBLISH', KEYS[2], '1')
  return 1
end
return 0
"""

OnMessage = Callable[[str], None]
OnSubscribed = Callable[[], None]


def _import_redis() -> Any:
    try:
        import redis
    except ImportError:  # pragma: no cover - depends on the environment
        raise ConfigurationError(
            "the Redis callback store needs the redis package: pip install 'oneall-push[redis]'"
        ) from None
    return redis


# Query parameters redis-py turns into credentials (``?password=``, ``?username=``), and any
# other name that looks like one.
_CREDENTIAL_KEY = re.compile(r"(?i)pass|user|auth|secret|token|key")


def _redact(url: str) -> str:
    """The URL for messages: no user info, no credential in the query, no fragment.

    ``redis://user:pw@host:6379/0?password=pw&db=1`` -> ``redis://***@host:6379/0?password=***&db=1``.
    Rebuilt from the parsed host and port, so a malformed URL cannot carry its password through.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return f"{url.partition(':')[0]}://<unparseable URL>"
    netloc = ("***@" if "@" in parts.netloc else "") + (f"[{host}]" if ":" in host else host)
    if port is not None:
        netloc += f":{port}"
    query = "&".join(
        f"{quote(key, safe='')}={'***' if _CREDENTIAL_KEY.search(key) else quote(value, safe='')}"
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
    )
    path = "" if "@" in parts.path else parts.path
    return f"{parts.scheme}://{netloc}{path}" + (f"?{query}" if query else "")


def _describe(url: str | None, client: Any) -> str:
    """Where the store's Redis is, for reprs and errors, without credentials."""
    if client is None:
        return _redact(url or DEFAULT_URL)
    kwargs = getattr(getattr(client, "connection_pool", None), "connection_kwargs", None)
    if not isinstance(kwargs, Mapping):
        return f"the caller's {type(client).__name__} client"
    if kwargs.get("path"):
        where = f"unix://{kwargs['path']}"
    else:
        where = f"redis://{kwargs.get('host', 'localhost')}:{kwargs.get('port', 6379)}"
    return f"{where}/{kwargs.get('db', 0)} (the caller's client)"


def _ms(ttl: float) -> int:
    return max(1, int(ttl * 1000))


class _Subscribers:
    """The stores sharing one connection's subscription: one pattern, every store's callbacks.

    Colour-free and thread-safe. A connection serves one key prefix: a store with another
    prefix gets :class:`ConfigurationError` rather than a subscription that never wakes it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.pattern: str | None = None
        self._callbacks: list[tuple[OnMessage, OnSubscribed]] = []

    def add(self, pattern: str, on_message: OnMessage, on_subscribed: OnSubscribed) -> None:
        with self._lock:
            if self.pattern is not None and pattern != self.pattern:
                raise ConfigurationError(
                    f"this Redis connection already serves the callback channels {self.pattern!r}; "
                    f"a store for {pattern!r} needs its own connection (one per key prefix)"
                )
            self.pattern = pattern
            self._callbacks.append((on_message, on_subscribed))

    def dispatch(self, message: Mapping[str, Any]) -> bool:
        """Hand one pub/sub message to every store; True when it confirms the subscription.

        The confirmation comes again when redis-py reconnects and resubscribes by itself:
        waiters re-read the store then, so a notification lost during the disconnect loses
        nothing.
        """
        kind = message["type"]
        if kind not in ("pmessage", "psubscribe"):
            return False
        with self._lock:
            callbacks = list(self._callbacks)
        if kind == "pmessage":
            channel = message["channel"]
            text = channel.decode() if isinstance(channel, bytes) else channel
            for on_message, _ in callbacks:
                on_message(text)
            return False
        for _, on_subscribed in callbacks:
            on_subscribed()
        return True


class AsyncRedisConnection:
    """``redis.asyncio`` behind the surface the async Redis callback store needs."""

    def __init__(
        self, url: str | None = None, *, client: Any = None, max_connections: int = MAX_CONNECTIONS
    ) -> None:
        self._redis = _import_redis()
        self._url = url or DEFAULT_URL
        self._where = _describe(url, client)
        self._max_connections = max_connections
        self._owns_client = client is None
        self._client: Any = client if client is not None else self._new_client()
        self._errors: tuple[type[BaseException], ...] = (self._redis.RedisError, OSError)
        self._put_once = self._client.register_script(_PUT_ONCE)
        self._listener: asyncio.Task[None] | None = None
        self._subscribers = _Subscribers()
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
            self._put_once = self._client.register_script(_PUT_ONCE)
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
            await self._client.set(key, value, px=_ms(ttl))
        except self._errors as exc:
            raise self._fail(exc) from exc

    async def set_once_and_publish(self, key: str, value: bytes, ttl: float, channel: str) -> bool:
        self._bind()
        try:
            stored = await self._put_once(keys=[key, channel], args=[value, _ms(ttl)])
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
                self._put_once = self._client.register_script(_PUT_ONCE)
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


class SyncRedisConnection:
    """``redis`` behind the surface the sync Redis callback store needs."""

    def __init__(
        self, url: str | None = None, *, client: Any = None, max_connections: int = MAX_CONNECTIONS
    ) -> None:
        redis = _import_redis()
        self._url = url or DEFAULT_URL
        self._where = _describe(url, client)
        self._owns_client = client is None
        if client is None:
            pool = redis.BlockingConnectionPool.from_url(
                self._url, max_connections=max_connections, timeout=POOL_TIMEOUT
            )
            client = redis.Redis(connection_pool=pool)
        self._client: Any = client
        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self._put_once = self._client.register_script(_PUT_ONCE)
        self._listener: threading.Thread | None = None
        self._subscribed = threading.Event()
        self._stop = threading.Event()
        self._start_lock = threading.Lock()
        self._subscribers = _Subscribers()

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
            self._client.set(key, value, px=_ms(ttl))
        except self._errors as exc:
            raise self._fail(exc) from exc

    def set_once_and_publish(self, key: str, value: bytes, ttl: float, channel: str) -> bool:
        try:
            stored = self._put_once(keys=[key, channel], args=[value, _ms(ttl)])
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
