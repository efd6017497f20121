"""Hand-written HTTP transports, one per colour, plus mocks."""

from ._aiohttp import AsyncHttpTransport
from ._base import AsyncTransport, Request, Response, SyncTransport, Timeout
from ._mock import AsyncMockTransport, MockHandler, SyncMockTransport
from ._urllib3 import SyncHttpTransport

__all__ = [
    "AsyncHttpTransport",
    "AsyncMockTransport",
    "AsyncTransport",
    "MockHandler",
    "Request",
    "Response",
    "SyncHttpTransport",
    "SyncMockTransport",
    "SyncTransport",
    "Timeout",
]
