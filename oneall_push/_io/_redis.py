"""What both Redis connections share: settings, the put-once script, URL redaction and the
subscribers of one connection's pattern subscription.

:class:`~._redis_async.AsyncRedisConnection` wraps ``redis.asyncio`` and
:class:`~._redis_sync.SyncRedisConnection` wraps ``redis``; unasync renames the first into the
second in the generated half. Both expose the few operations the store needs, translate Redis
errors into :class:`~oneall_push.errors.CallbackStoreError`, and run one pattern subscription
whose every (re)subscription is reported, so waiters re-read the store after a reconnect. Each
lives in its own module, so sync code never imports asyncio or anyio.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from ..errors import ConfigurationError

__all__ = [
    "DEFAULT_URL",
    "PUT_ONCE",
    "Subscribers",
    "describe",
    "import_redis",
    "milliseconds",
    "redact",
    "MAX_CONNECTIONS",
    "POOL_TIMEOUT",
    "OnMessage",
    "OnSubscribed",
]

logger = logging.getLogger("oneall_push.callbacks")

DEFAULT_URL = "redis://127.0.0.1:6379/0"
# Connections of a store's own client. Commands beyond it wait for a free connection (up to
# POOL_TIMEOUT s) instead of failing with "Too many connections" (redis-py's default pool
# refuses past 100), so thousands of concurrent waits share a few connections.
MAX_CONNECTIONS = 64
POOL_TIMEOUT = 30.0

# Store first, then notify, in one round trip; first write wins.
PUT_ONCE = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  redis.call('PUBLISH', KEYS[2], '1')
  return 1
end
return 0
"""

OnMessage = Callable[[str], None]
OnSubscribed = Callable[[], None]


def import_redis() -> Any:
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


def redact(url: str) -> str:
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


def describe(url: str | None, client: Any) -> str:
    """Where the store's Redis is, for reprs and errors, without credentials."""
    if client is None:
        return redact(url or DEFAULT_URL)
    kwargs = getattr(getattr(client, "connection_pool", None), "connection_kwargs", None)
    if not isinstance(kwargs, Mapping):
        return f"the caller's {type(client).__name__} client"
    if kwargs.get("path"):
        where = f"unix://{kwargs['path']}"
    else:
        where = f"redis://{kwargs.get('host', 'localhost')}:{kwargs.get('port', 6379)}"
    return f"{where}/{kwargs.get('db', 0)} (the caller's client)"


def milliseconds(ttl: float) -> int:
    return max(1, int(ttl * 1000))


class Subscribers:
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
