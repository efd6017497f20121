"""The async half: the source of truth from which ``oneall_push._sync`` is generated."""

from ._client import AsyncOneAll
from .jobs import AsyncJob, AsyncJobManager
from .receiver import AsyncCallbackHandler
from .stores import AsyncCallbackStore, AsyncMemoryStore, AsyncRedisStore

__all__ = [
    "AsyncCallbackHandler",
    "AsyncCallbackStore",
    "AsyncJob",
    "AsyncJobManager",
    "AsyncMemoryStore",
    "AsyncOneAll",
    "AsyncRedisStore",
]
