"""Typed async and sync client for the OneAll Push API and X API v2 media upload."""

import importlib as _importlib
import logging as _logging
from typing import TYPE_CHECKING, Any

from . import errors
from ._lazy import lazy_attributes
from ._version import __version__
from .errors import *  # noqa: F403
from .errors import __all__ as _errors_all

_logging.getLogger("oneall_push").addHandler(_logging.NullHandler())

if TYPE_CHECKING:
    from . import models
    from ._async._client import AsyncOneAll
    from ._async.jobs import AsyncJob
    from ._async.stores import AsyncCallbackStore
    from ._config import Credentials, RetryPolicy
    from ._io import (
        AsyncBackend,
        AsyncHttpTransport,
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
    from ._sync._client import OneAll
    from ._sync.jobs import SyncJob
    from ._sync.stores import SyncCallbackStore
    from .callbacks import CallbackConfig
    from .endpoints import ENDPOINTS, Endpoint
    from .hooks import Hooks, RequestEvent, ResponseEvent, RetryEvent

# Everything but the errors loads on first use: ``import oneall_push`` stays cheap, the sync
# client never pulls in aiohttp or anyio, and the code generator can import the table while
# the generated half is being rebuilt.
_lazy = lazy_attributes(
    __name__,
    {
        "._async._client": ["AsyncOneAll"],
        "._async.jobs": ["AsyncJob"],
        "._async.stores": ["AsyncCallbackStore"],
        "._config": ["Credentials", "RetryPolicy"],
        "._io": [
            "AsyncBackend",
            "AsyncHttpTransport",
            "AsyncMockBackend",
            "AsyncMockTransport",
            "AsyncTransport",
            "MockHandler",
            "Request",
            "Response",
            "SyncBackend",
            "SyncHttpTransport",
            "SyncMockBackend",
            "SyncMockTransport",
            "SyncTransport",
            "Timeout",
        ],
        "._sync._client": ["OneAll"],
        "._sync.jobs": ["SyncJob"],
        "._sync.stores": ["SyncCallbackStore"],
        ".callbacks": ["CallbackConfig"],
        ".endpoints": ["ENDPOINTS", "Endpoint"],
        ".hooks": ["Hooks", "RequestEvent", "ResponseEvent", "RetryEvent"],
    },
)


def __getattr__(name: str) -> Any:
    if name == "models":  # a subpackage, loaded like the rest on first use
        return _importlib.import_module(".models", __name__)
    return _lazy(name)


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
    "Hooks",
    "MockHandler",
    "OneAll",
    "Request",
    "RequestEvent",
    "Response",
    "ResponseEvent",
    "RetryEvent",
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
