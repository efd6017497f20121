"""Running the Push sandbox: inside the current event loop, or in a background thread."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from ._app import Sandbox
from ._serving import Servable, ServerThread, start_server

__all__ = ["SandboxThread", "Servable", "ServerThread", "serve", "start_server"]


@asynccontextmanager
async def serve(
    sandbox: Sandbox | None = None, *, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[Sandbox]:
    """Serve a sandbox in the running event loop (``port=0``: a free port)."""
    sandbox = sandbox if sandbox is not None else Sandbox()
    runner = await start_server(sandbox, host, port)
    try:
        yield sandbox
    finally:
        await runner.cleanup()


class SandboxThread(ServerThread[Sandbox]):
    """A Push sandbox on a loopback port, served by its own event loop in a daemon thread.

    Usable from synchronous code and from any event loop: ``with SandboxThread() as sandbox:``.
    """

    def __init__(
        self, sandbox: Sandbox | None = None, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        super().__init__(sandbox if sandbox is not None else Sandbox(), host=host, port=port)

    @property
    def sandbox(self) -> Sandbox:
        return self.target
