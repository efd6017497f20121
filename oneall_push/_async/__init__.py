"""Clients, jobs, stores, receivers and X media in one I/O flavour (``_sync`` is generated from ``_async``)."""

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
