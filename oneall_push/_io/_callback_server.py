"""Standalone callback receivers: a (host, port) server for each colour.

:class:`SyncCallbackServer` runs the standard library's threading HTTP server in a
background thread, for sync code (``with SyncCallbackServer(config, store) as server``).
:class:`AsyncCallbackServer` runs the aiohttp receiver on the current event loop
(``async with AsyncCallbackServer(config, store) as server``). Both report their ``url``.

The receiver checks signatures with the config's secrets. It listens on the path of
``public_url`` (``https://app.example/oneall/cb`` -> ``/oneall/cb/<job_id>``), so a proxy
that forwards the path unchanged needs no setting; pass ``path=`` when the proxy rewrites it.
"""

from __future__ import annotations

import contextlib
import http.server
import logging
import re
import socket
import sys
import threading
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from .._async.receiver import AsyncCallbackHandler
from .._async.stores import AsyncCallbackStore
from .._sync.receiver import SyncCallbackHandler
from .._sync.stores import SyncCallbackStore
from ..callbacks.config import CallbackConfig
from ..callbacks.outcome import MAX_BODY, CallbackResponse
from ..errors import ConfigurationError

if TYPE_CHECKING:
    from aiohttp import web

__all__ = ["AsyncCallbackServer", "SyncCallbackServer"]

logger = logging.getLogger("oneall_push.callbacks")


class AsyncJobsView(Protocol):
    @property
    def config(self) -> CallbackConfig | None: ...
    @property
    def store(self) -> AsyncCallbackStore: ...


class AsyncJobsOwner(Protocol):
    """What ``for_client`` needs of a client: its ``jobs`` (config and store)."""

    @property
    def jobs(self) -> AsyncJobsView: ...


class SyncJobsView(Protocol):
    @property
    def config(self) -> CallbackConfig | None: ...
    @property
    def store(self) -> SyncCallbackStore: ...


class SyncJobsOwner(Protocol):
    """What ``for_client`` needs of a client: its ``jobs`` (config and store)."""

    @property
    def jobs(self) -> SyncJobsView: ...


def _config_of(jobs: AsyncJobsView | SyncJobsView) -> CallbackConfig:
    if jobs.config is None:
        raise ConfigurationError(
            "the client has no callbacks=CallbackConfig(...): there is nothing to receive"
        )
    return jobs.config


def _check_idle_timeout(idle_timeout: float) -> None:
    if idle_timeout <= 0:
        raise ConfigurationError("idle_timeout must be positive")


def _prefix(config: CallbackConfig, path: str | None) -> str:
    """The path to listen on: ``path`` if given, else the path of ``config.public_url``."""
    if path is None:
        path = urlsplit(config.public_url).path
    return "/" + path.strip("/") if path.strip("/") else ""


class _Address:
    """Where a standalone receiver listens (``port`` is the real one once started)."""

    host: str
    port: int
    path: str

    def __repr__(self) -> str:
        return f"{type(self).__name__}(url={self.url!r})"

    @property
    def url(self) -> str:
        """The receiver's base URL; each job's callback goes to ``<url>/<job_id>``."""
        return f"http://{self.host}:{self.port}{self.path}"


class AsyncCallbackServer(_Address):
    """The aiohttp receiver on ``host:port`` (port 0: any free port), on this event loop.

    It answers ``POST <path>/<job_id>``, ``path`` defaulting to the path of
    ``config.public_url``. An idle keep-alive connection is closed after ``idle_timeout`` s.
    """

    def __init__(
        self,
        config: CallbackConfig,
        store: AsyncCallbackStore,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        path: str | None = None,
        idle_timeout: float = 30.0,
    ) -> None:
        _check_idle_timeout(idle_timeout)
        self.handler = AsyncCallbackHandler(config, store)
        self.host = host
        self.port = port
        self.path = _prefix(config, path)
        self.idle_timeout = idle_timeout
        self._runner: web.AppRunner | None = None

    @classmethod
    def for_client(
        cls,
        client: AsyncJobsOwner,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        path: str | None = None,
        idle_timeout: float = 30.0,
    ) -> AsyncCallbackServer:
        """The receiver of ``client``'s jobs: its ``CallbackConfig`` and its jobs' store."""
        return cls(
            _config_of(client.jobs),
            client.jobs.store,
            host=host,
            port=port,
            path=path,
            idle_timeout=idle_timeout,
        )

    async def start(self) -> AsyncCallbackServer:
        from aiohttp import web  # only an async receiver needs aiohttp

        from ._aiohttp_receiver import make_callback_app

        root = web.Application(client_max_size=MAX_BODY + 1)
        if self.path:
            root.add_subapp(self.path + "/", make_callback_app(self.handler))
        else:
            root = make_callback_app(self.handler)
        runner = web.AppRunner(
            root, access_log=None, handle_signals=False, keepalive_timeout=self.idle_timeout
        )
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self.port, reuse_address=True)
            await site.start()
        except BaseException:  # the port is taken, say: leave nothing behind
            await runner.cleanup()
            raise
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


_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,8}")
_DIGITS = re.compile(r"[0-9]{1,18}")
# How much of a refused body is read (and dropped) so the client can read the answer: closing
# a socket with unread input makes the kernel reset the connection under the answer.
_DRAIN_LIMIT = 1024 * 1024


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.answer = CallbackResponse.of(status, message)


class _RequestHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Head and body leave in one write (flushed after each request), without Nagle's delay.
    wbufsize = 16 * 1024
    disable_nagle_algorithm = True
    server: _HTTPServer
    # Whether the current request got its (final) answer, so a failure answers 500 at most once.
    _answered = False

    def setup(self) -> None:
        super().setup()
        # Every blocking read and write gives up after this long: an idle keep-alive
        # connection (or a client that stops sending) does not pin a thread forever.
        self.connection.settimeout(self.server.idle_timeout)
        if not self.server.track(self.connection):
            self.close_connection = True

    def handle_expect_100(self) -> bool:
        proceed = super().handle_expect_100()
        self.wfile.flush()  # the interim answer must not wait in the write buffer
        return proceed

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.untrack(self.connection)

    def handle_one_request(self) -> None:
        self._answered = False
        try:
            super().handle_one_request()
        except OSError:  # the client went away, or a read or write timed out
            raise
        except Exception as exc:
            # Not the client's doing: say so, without the request line (it carries the signature).
            logger.error("callback receiver failed: %s", type(exc).__name__)
            self.close_connection = True
            if not self._answered:
                with contextlib.suppress(OSError):
                    self._answer(CallbackResponse.of(500, "internal error"), close=True)
                    self.wfile.flush()

    def _answer(self, answer: CallbackResponse, *, close: bool = False) -> None:
        self._answered = True
        if close:
            self.close_connection = True
        self.send_response(answer.status, answer.reason)
        for name, value in answer.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.body)))
        if self.close_connection:
            # Without it a keep-alive client reuses the socket we are about to close.
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(answer.body)

    def _content_length(self) -> int | None:
        values = self.headers.get_all("Content-Length") or []
        if not values:
            return None
        if len(set(values)) != 1 or not _DIGITS.fullmatch(values[0].strip()):
            raise _Refused(400, "malformed Content-Length")
        return int(values[0].strip())

    def _drain(self, length: int) -> None:
        if length > _DRAIN_LIMIT:
            return
        while length > 0:
            data = self.rfile.read(min(length, 65536))
            if not data:
                return
            length -= len(data)

    def _read_chunked(self) -> bytes:
        body = bytearray()
        while True:
            line = self.rfile.readline(1024)
            size_text = line.split(b";", 1)[0].strip()
            if not line.endswith(b"\n") or not _CHUNK_SIZE.fullmatch(size_text):
                raise _Refused(400, "malformed chunked body")
            size = int(size_text, 16)
            if size == 0:
                break
            if len(body) + size > MAX_BODY:
                raise _Refused(413, "body too large")
            data = self.rfile.read(size)
            if len(data) != size or self.rfile.readline(3).strip():
                raise _Refused(400, "malformed chunked body")
            body += data
        for _ in range(32):  # trailer fields, ignored
            line = self.rfile.readline(8192)
            if not line.endswith(b"\n"):
                break
            if not line.strip():
                return bytes(body)
        raise _Refused(400, "malformed chunked body")

    def _read_body(self) -> bytes:
        encoding = self.headers.get("Transfer-Encoding")
        length = self._content_length()
        if encoding is not None:
            if encoding.strip().lower() != "chunked" or length is not None:
                raise _Refused(400, "only Content-Length or Transfer-Encoding: chunked")
            return self._read_chunked()
        if length is None:
            raise _Refused(411, "a Content-Length (or a chunked body) is required")
        if length > MAX_BODY:
            self._drain(length)
            raise _Refused(413, "body too large")
        body = self.rfile.read(length)
        if len(body) != length:
            raise _Refused(400, "body shorter than its Content-Length")
        return body

    def do_POST(self) -> None:
        try:
            body = self._read_body()
        except _Refused as refused:
            self._answer(refused.answer, close=True)
            return
        path, _, query = self.path.partition("?")
        prefix = self.server.prefix
        if prefix and not (path == prefix or path.startswith(prefix + "/")):
            self._answer(CallbackResponse.of(404, "unknown job"))
            return
        if not self.server.enter():
            self._answer(CallbackResponse.of(503, "shutting down, retry later"), close=True)
            return
        try:
            answer = self.server.handler.handle(path[len(prefix) :], query, body)
        finally:
            self.server.leave()
        self._answer(answer)

    def _not_post(self) -> None:
        self._answer(CallbackResponse.method_not_allowed(), close=True)

    do_GET = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_TRACE = do_CONNECT = _not_post

    def do_HEAD(self) -> None:
        # The same head as a GET's answer, and no body (RFC 9110, 9.3.2).
        answer = CallbackResponse.method_not_allowed()
        self._answered = self.close_connection = True
        self.send_response(answer.status, answer.reason)
        for name, value in answer.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.body)))
        self.send_header("Connection", "close")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the request line carries the signature, which must not reach logs."""


class _HTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    handler: SyncCallbackHandler
    prefix: str
    idle_timeout: float

    def __init__(self, address: tuple[str, int]) -> None:
        super().__init__(address, _RequestHandler)
        self._state = threading.Condition()
        self._connections: set[socket.socket] = set()
        self._busy = 0
        self._closed = False

    def track(self, connection: socket.socket) -> bool:
        """Remember an open connection; False (and the connection shut) once closed."""
        with self._state:
            if not self._closed:
                self._connections.add(connection)
                return True
        with contextlib.suppress(OSError):
            connection.shutdown(socket.SHUT_RDWR)
        return False

    def untrack(self, connection: socket.socket) -> None:
        with self._state:
            self._connections.discard(connection)

    def enter(self) -> bool:
        """Admit one callback to the store; False once the server is closing."""
        with self._state:
            if self._closed:
                return False
            self._busy += 1
            return True

    def leave(self) -> None:
        with self._state:
            self._busy -= 1
            self._state.notify_all()

    def refuse_all(self, grace: float) -> None:
        """Admit nothing more, let callbacks being stored finish, then shut every connection."""
        with self._state:
            self._closed = True
            self._state.wait_for(lambda: self._busy == 0, timeout=grace)
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Called from an ``except`` block. The default prints a traceback to stderr.
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError):  # a client that went away mid-answer
            logger.debug("callback connection from %s failed", client_address[0])
        else:
            logger.error("callback connection failed: %s", type(exc).__name__)


class SyncCallbackServer(_Address):
    """The receiver on ``host:port`` (port 0: any free port), served from a background thread.

    It answers ``POST <path>/<job_id>``, ``path`` defaulting to the path of
    ``config.public_url``. Accepts ``Content-Length`` and chunked bodies. ``idle_timeout`` bounds every read and
    write on a connection (an idle keep-alive connection is closed after it). ``close()``
    admits no more callbacks, waits up to ``CLOSE_GRACE`` seconds for those being stored, and
    shuts every connection; a store call still running then is not interrupted (see
    ``docs/callbacks.md``).
    """

    CLOSE_GRACE = 5.0

    def __init__(
        self,
        config: CallbackConfig,
        store: SyncCallbackStore,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        path: str | None = None,
        idle_timeout: float = 30.0,
    ) -> None:
        _check_idle_timeout(idle_timeout)
        self.handler = SyncCallbackHandler(config, store)
        self.host = host
        self.port = port
        self.path = _prefix(config, path)
        self.idle_timeout = idle_timeout
        self._server: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    @classmethod
    def for_client(
        cls,
        client: SyncJobsOwner,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        path: str | None = None,
        idle_timeout: float = 30.0,
    ) -> SyncCallbackServer:
        """The receiver of ``client``'s jobs: its ``CallbackConfig`` and its jobs' store."""
        return cls(
            _config_of(client.jobs),
            client.jobs.store,
            host=host,
            port=port,
            path=path,
            idle_timeout=idle_timeout,
        )

    def start(self) -> SyncCallbackServer:
        server = _HTTPServer((self.host, self.port))
        server.handler = self.handler
        server.prefix = self.path
        server.idle_timeout = self.idle_timeout
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
        server, self._server = self._server, None
        if server is not None:
            server.refuse_all(grace=self.CLOSE_GRACE)
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
            self._thread = None

    def __enter__(self) -> SyncCallbackServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()
