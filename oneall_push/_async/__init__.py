"""The async half: the source of truth from which ``oneall_push._sync`` is generated."""

from ._client import AsyncOneAll
from .jobs import AsyncCallbackStore, AsyncJob

__all__ = ["AsyncCallbackStore", "AsyncJob", "AsyncOneAll"]
