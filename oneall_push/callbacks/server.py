"""Standalone callback receivers: a (host, port) server for each colour.

:class:`SyncCallbackServer` runs the standard library's threading HTTP server in a
background thread, for sync code (``with SyncCallbackServer(config, store) as server``).
:class:`AsyncCallbackServer` runs the aiohttp receiver on the current event loop
(``async with AsyncCallbackServer(config, store) as server``). Both report their ``url``.

The receiver checks signatures with the config's secrets; ``public_url`` is only what OneAll
is told (it usually points at a proxy in front of this server).
"""

from __future__ import annotations

import contextlib
import http.server
import threading
from typing import Any

from aiohttp import web

from .._async.receiver import AsyncCallbackHandler
from .._async.stores import AsyncCallbackStore
from .._sync.receiver import SyncCallbackHandler
from .._sync.stores import SyncCallbackStore
from .aiohttp_app import make_callback_app
from .config import CallbackConfig
from .outcome import MAX_BODY, CallbackResponse

__all__ = ["AsyncCallbackServer", "SyncCallbackServer"]


def _prefix(path: str) -> str:
    return "/" + path.strip("/") if path.strip("/") else ""


class AsyncCallbackServer:
    """The aiohttp receiver on ``host:port`` (port 0: any free port), on this event loop."""

    def __init__(
        self,
        config: CallbackConfig,
        store: AsyncCallbackStore,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        path: str = "/oneall/callbacks",
    ) -> None:
        self.handler = AsyncCallbackHandler(config, store)
        self.host = host
        self.port = port
        self.path = _prefix(path)
        self._runner: web.AppRunner | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(url={self.url!r})"

    @property
    def url(self) -> str:
        """The receiver's base URL; each job's callback goes to ``<url>/<job_id>``."""
        return f"http://{self.host}:{self.port}{self.path}"

    async def start(self) -> AsyncCallbackServer:
        root = web.Application(client_max_size=MAX_BODY + 1)
        if self.path:
            root.add_subapp(self.path + "/", make_callback_app(self.handler))
        else:
            root = make_callback_app(self.handler)
        runner = web.AppRunner(root, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port, reuse_address=True)
        await site.start()
        if self.port == 0:
            for address in runner.addresses:
                self.port = int(address[1])
                break
        self._runner = runner
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> AsyncCallbackServer:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


class _RequestHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer

    def _answer(self, answer: CallbackResponse) -> None:
        self.send_response(answer.status, answer.reason)
        for name, value in answer.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)

    def do_POST(self) -> None:
        length_text = self.headers.get("Content-Length")
        try:
            length = int(length_text) if length_text is not None else -1
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            self.close_connection = True
            status = 413 if length > MAX_BODY else 400
            self._answer(CallbackResponse.of(status, "a Content-Length up to 64 KiB is required"))
            return
        body = self.rfile.read(length)
        path, _, query = self.path.partition("?")
        prefix = self.server.prefix
        if prefix and not (path == prefix or path.startswith(prefix + "/")):
            self._answer(CallbackResponse.of(404, "unknown job"))
            return
        self._answer(self.server.handler.handle(path[len(prefix) :], query, body))

    def _not_post(self) -> None:
        self.close_connection = True
        self._answer(CallbackResponse.of(405, "callbacks are POSTed"))

    do_GET = do_PUT = do_DELETE = do_PATCH = _not_post

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the request line carries the signature, which must not reach logs."""


class _HTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    handler: SyncCallbackHandler
    prefix: str


class SyncCallbackServer:
    """The receiver on ``host:port`` (port 0: any free port), served from a background thread."""

    def __init__(
        self,
        config: CallbackConfig,
        store: SyncCallbackStore,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        path: str = "/oneall/callbacks",
    ) -> None:
        self.handler = SyncCallbackHandler(config, store)
        self.host = host
        self.port = port
        self.path = _prefix(path)
        self._server: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(url={self.url!r})"

    @property
    def url(self) -> str:
        """The receiver's base URL; each job's callback goes to ``<url>/<job_id>``."""
        return f"http://{self.host}:{self.port}{self.path}"

    def start(self) -> SyncCallbackServer:
        server = _HTTPServer((self.host, self.port), _RequestHandler)
        server.handler = self.handler
        server.prefix = self.path
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="oneall-push-callback-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5.0)
            self._thread = None

    def __enter__(self) -> SyncCallbackServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        with contextlib.suppress(Exception):
            self.close()
