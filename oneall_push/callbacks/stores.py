"""Public home of the callback stores, in both colours.

``AsyncMemoryStore`` / ``SyncMemoryStore`` (the default, one process) and ``AsyncRedisStore`` /
``SyncRedisStore`` (shared by every replica; ``pip install 'oneall-push[redis]'``).
"""

from __future__ import annotations

from .._async.stores import AsyncCallbackStore, AsyncMemoryStore, AsyncRedisStore
from .._sync.stores import SyncCallbackStore, SyncMemoryStore, SyncRedisStore
from .outcome import CallbackOutcome

__all__ = [
    "AsyncCallbackStore",
    "AsyncMemoryStore",
    "AsyncRedisStore",
    "CallbackOutcome",
    "SyncCallbackStore",
    "SyncMemoryStore",
    "SyncRedisStore",
]
