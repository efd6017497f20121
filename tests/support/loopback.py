"""A scripted HTTP server on 127.0.0.1, run in a background thread (usable from both halves)."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import attrs
from aiohttp import web


@attrs.define
class Hit:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    # The client's (host, port): tells whether a connection was reused.
    peer: Any = None


@attrs.define
class Step:
    """What the server does for one request."""

    status: int = 200
    document: Any = None
    headers: dict[str, str] = attrs.Factory(dict)
    raw: bytes | None = None
    delay: float = 0.0
    # "drop": read the request, then close the connection without answering.
    # "garbage": answer with a malformed status line, then close.
    action: str = "answer"


class ScriptedServer:
    def __init__(self) -> None:
        self.hits: list[Hit] = []
        self.script: list[Step] = []
        self.default = Step(document={})
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def reset(self, *steps: Step) -> None:
        self.hits.clear()
        self.script = list(steps)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        peer = request.transport.get_extra_info("peername") if request.transport else None
        self.hits.append(Hit(request.method, request.path_qs, dict(request.headers), body, peer))
        step = self.script.pop(0) if self.script else self.default
        if step.delay:
            await asyncio.sleep(step.delay)
        if step.action in ("drop", "garbage"):
            assert request.transport is not None
            if step.action == "garbage":
                request.transport.write(b"HTTP/1.1 OK-ish\r\nX: y\r\n\r\n")
            request.transport.close()
            return web.Response(status=500)
        payload = step.raw if step.raw is not None else json.dumps(step.document).encode()
        return web.Response(status=step.status, body=payload, headers=step.headers)

    def start(self) -> None:
        ready = threading.Event()

        def run() -> None:
            try:
                serve()
            except BaseException as exc:  # surfaced by start(), not lost in the thread
                self._failure = exc
                ready.set()

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            app = web.Application()
            app.router.add_route("*", "/{tail:.*}", self._handle)
            self._runner = web.AppRunner(
                app, handle_signals=False, access_log=None, shutdown_timeout=0.1
            )
            loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            loop.run_until_complete(site.start())
            server = site._server
            assert server is not None
            self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._runner.cleanup())
            loop.close()

        self._thread = threading.Thread(target=run, name="scripted-server", daemon=True)
        self._thread.start()
        ready.wait(10)
        if self._failure is not None:
            raise RuntimeError("the scripted server did not start") from self._failure

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)


@contextmanager
def scripted_server() -> Iterator[ScriptedServer]:
    server = ScriptedServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def unused_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
