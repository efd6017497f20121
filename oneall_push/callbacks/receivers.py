"""Public home of the callback receivers, in every form and both colours.

- :func:`make_callback_app`: an aiohttp application to mount (``app.add_subapp``).
- :class:`AsyncCallbackServer` / :class:`SyncCallbackServer`: standalone (host, port) servers.
- :class:`AsyncCallbackHandler` / :class:`SyncCallbackHandler`: framework-agnostic,
  ``handle(path, query, body) -> CallbackResponse`` (WSGI and ASGI recipes in
  ``docs/callbacks.md``).
- :class:`SignatureRedactingFilter`: keeps ``sig=`` out of the access log of a server that
  mounts a receiver.
"""

from __future__ import annotations

from .._async.receiver import AsyncCallbackHandler
from .._io._aiohttp_receiver import HANDLER_KEY, callback_view, make_callback_app
from .._io._callback_server import AsyncCallbackServer, SyncCallbackServer
from .._sync.receiver import SyncCallbackHandler
from .outcome import MAX_BODY, CallbackResponse
from .redaction import SignatureRedactingFilter

__all__ = [
    "HANDLER_KEY",
    "MAX_BODY",
    "AsyncCallbackHandler",
    "AsyncCallbackServer",
    "CallbackResponse",
    "SignatureRedactingFilter",
    "SyncCallbackHandler",
    "SyncCallbackServer",
    "callback_view",
    "make_callback_app",
]
