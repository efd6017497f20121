"""Public home of the callback stores, in both colours.

``AsyncMemoryStore`` / ``SyncMemoryStore`` (the default, one process) and ``AsyncRedisStore`` /
``SyncRedisStore`` (shared by every replica; ``pip install 'oneall-push[redis]'``), and the
Redis connections behind the latter (``AsyncRedisConnection(url, max_connections=...)``, or
``client=`` your own redis-py client).
"""

from __future__ import annotations

from .._async.stores import AsyncCallbackStore, AsyncMemoryStore, AsyncRedisStore
from .._io import AsyncRedisConnection, SyncRedisConnection
from .._sync.stores import SyncCallbackStore, SyncMemoryStore, SyncRedisStore
from .outcome import CallbackOutcome

__all__ = [
    "AsyncCallbackStore",
    "AsyncMemoryStore",
    "AsyncRedisConnection",
    "AsyncRedisStore",
    "CallbackOutcome",
    "SyncCallbackStore",
    "SyncMemoryStore",
    "SyncRedisConnection",
    "SyncRedisStore",
]
