"""Typed async and sync client for the OneAll Push API and X API v2 media upload."""

import logging as _logging
from typing import TYPE_CHECKING, Any

from . import errors, models
from ._config import Credentials, RetryPolicy
from ._io import (
    AsyncBackend,
    AsyncMockBackend,
    AsyncMockTransport,
    AsyncTransport,
    MockHandler,
    Request,
    Response,
    SyncBackend,
    SyncHttpTransport,
    SyncMockBackend,
    SyncMockTransport,
    SyncTransport,
    Timeout,
)
from ._version import __version__
from .callbacks import CallbackConfig
from .endpoints import ENDPOINTS, Endpoint
from .errors import *  # noqa: F403
from .errors import __all__ as _errors_all

_logging.getLogger("oneall_push").addHandler(_logging.NullHandler())

if TYPE_CHECKING:
    from ._async import AsyncCallbackStore, AsyncJob, AsyncOneAll
    from ._io import AsyncHttpTransport
    from ._sync import OneAll, SyncCallbackStore, SyncJob

# The two client halves load on first use, so the code generator can import the table
# (and the models) while the generated half is being rebuilt.
_LAZY = {
    "AsyncHttpTransport": "._io",
    "AsyncCallbackStore": "._async",
    "AsyncJob": "._async",
    "AsyncOneAll": "._async",
    "OneAll": "._sync",
    "SyncCallbackStore": "._sync",
    "SyncJob": "._sync",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'oneall_push' has no attribute {name!r}")


__all__ = [
    "ENDPOINTS",
    "AsyncBackend",
    "AsyncCallbackStore",
    "AsyncHttpTransport",
    "AsyncJob",
    "AsyncMockBackend",
    "AsyncMockTransport",
    "AsyncOneAll",
    "AsyncTransport",
    "CallbackConfig",
    "Credentials",
    "Endpoint",
    "MockHandler",
    "OneAll",
    "Request",
    "Response",
    "RetryPolicy",
    "SyncCallbackStore",
    "SyncBackend",
    "SyncHttpTransport",
    "SyncJob",
    "SyncMockBackend",
    "SyncMockTransport",
    "SyncTransport",
    "Timeout",
    "__version__",
    "errors",
    "models",
    *_errors_all,
]
