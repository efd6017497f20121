"""Running a sandbox: inside the current event loop, or in a background thread."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

from ._app import Sandbox, SandboxConfig

__all__ = ["SandboxThread", "serve"]


async def _start(sandbox: Sandbox, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(
        sandbox.make_app(), handle_signals=False, access_log=None, shutdown_timeout=0.5
    )
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    server = site._server
    assert server is not None
    sockname = server.sockets[0].getsockname()  # type: ignore[attr-defined]
    shown = f"[{sockname[0]}]" if ":" in sockname[0] else sockname[0]
    sandbox.base_url = f"http://{shown}:{sockname[1]}"
    return runner


@asynccontextmanager
async def serve(
    sandbox: Sandbox | None = None, *, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[Sandbox]:
    """Serve a sandbox in the running event loop (``port=0``: a free port)."""
    sandbox = sandbox if sandbox is not None else Sandbox()
    runner = await _start(sandbox, host, port)
    try:
        yield sandbox
    finally:
        await runner.cleanup()


class SandboxThread:
    """A sandbox on a loopback port, served by its own event loop in a daemon thread.

    Usable from synchronous code and from any event loop: ``with SandboxThread() as sandbox:``.
    """

    def __init__(
        self, sandbox: Sandbox | None = None, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.sandbox = sandbox if sandbox is not None else Sandbox()
        self._host = host
        self._port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopped: asyncio.Event | None = None

    @classmethod
    def from_config(cls, config: SandboxConfig, **kwargs: Any) -> SandboxThread:
        return cls(Sandbox(config), **kwargs)

    def start(self) -> Sandbox:
        ready = threading.Event()
        failure: list[BaseException] = []

        async def main() -> None:
            self._stopped = asyncio.Event()
            try:
                runner = await _start(self.sandbox, self._host, self._port)
            except BaseException as exc:
                failure.append(exc)
                ready.set()
                return
            ready.set()
            try:
                await self._stopped.wait()
            finally:
                await runner.cleanup()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(main())
            finally:
                loop.close()

        self._thread = threading.Thread(target=run, name="oneall-push-sandbox", daemon=True)
        self._thread.start()
        if not ready.wait(30):
            raise RuntimeError("the sandbox did not start within 30 s")
        if failure:
            raise RuntimeError(f"the sandbox could not start: {failure[0]}") from failure[0]
        return self.sandbox

    def stop(self) -> None:
        loop, stopped = self._loop, self._stopped
        if loop is not None and stopped is not None and not loop.is_closed():
            loop.call_soon_threadsafe(stopped.set)
        if self._thread is not None:
            self._thread.join(30)
            self._thread = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
