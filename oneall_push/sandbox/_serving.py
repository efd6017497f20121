"""Serving any sandbox (``make_app()`` and a settable ``base_url``): inside the running event
loop, or by its own loop in a background thread. The Push and X media sandboxes share these."""

from __future__ import annotations

import asyncio
import threading
from typing import Generic, Protocol, TypeVar

from aiohttp import web

__all__ = ["Servable", "ServerThread", "start_server"]


class Servable(Protocol):
    """What the helpers serve: an aiohttp application, and where it ended up."""

    base_url: str | None

    def make_app(self) -> web.Application: ...


S = TypeVar("S", bound=Servable)


async def start_server(target: Servable, host: str, port: int) -> web.AppRunner:
    """Serve ``target.make_app()`` on ``host:port`` (0: a free port) and set
    ``target.base_url``; the caller cleans the runner up."""
    runner = web.AppRunner(
        target.make_app(), handle_signals=False, access_log=None, shutdown_timeout=0.5
    )
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        bound_host, bound_port = runner.addresses[0][:2]
    except BaseException:
        await runner.cleanup()
        raise
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    target.base_url = f"http://{shown}:{bound_port}"
    return runner


class ServerThread(Generic[S]):
    """``target`` on a port, served by its own event loop in a daemon thread.

    Usable from synchronous code and from any event loop: ``with ServerThread(x) as x:``.
    """

    def __init__(
        self, target: S, *, host: str = "127.0.0.1", port: int = 0, name: str = "sandbox"
    ) -> None:
        self.target = target
        self._host = host
        self._port = port
        self._name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopped: asyncio.Event | None = None

    def start(self) -> S:
        ready = threading.Event()
        failure: list[BaseException] = []

        async def main() -> None:
            self._stopped = asyncio.Event()
            try:
                runner = await start_server(self.target, self._host, self._port)
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

        thread_name = "oneall-push-" + self._name.replace(" ", "-")
        self._thread = threading.Thread(target=run, name=thread_name, daemon=True)
        self._thread.start()
        if not ready.wait(30):
            raise RuntimeError(f"the {self._name} did not start within 30 s")
        if failure:
            self._thread.join(30)
            self._thread = None
            raise RuntimeError(f"the {self._name} could not start: {failure[0]}") from failure[0]
        return self.target

    def stop(self) -> None:
        loop, stopped = self._loop, self._stopped
        if loop is not None and stopped is not None and not loop.is_closed():
            loop.call_soon_threadsafe(stopped.set)
        if self._thread is not None:
            self._thread.join(30)
            self._thread = None

    def __enter__(self) -> S:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
