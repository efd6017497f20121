"""Callback delivery: completing accepted uploads and POSTing OneAll's callback, with the
faults that steer it (delay, never, duplicate, reorder, fail) and hold/release for tests."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from ..callbacks.signing import redact_signature
from ..endpoints import Endpoint
from ._config import SandboxConfig
from ._faults import FaultDecision
from ._responses import envelope
from ._state import CallbackLog, Identity, PushRecord, SandboxState

__all__ = ["CallbackDelivery"]

logger = logging.getLogger("oneall_push.sandbox")


class CallbackDelivery:
    """Runs accepted uploads to completion on the sandbox's event loop and calls back.

    ``accept``, the startup and cleanup hooks run on that loop; ``release`` and ``drop`` may be
    called from any thread.
    """

    def __init__(self, state: SandboxState, config: SandboxConfig) -> None:
        self.state = state
        self.config = config
        self._tasks: set[asyncio.Task[None]] = set()
        # Loop-side callback bookkeeping (touched only on the sandbox's event loop).
        self._held: list[tuple[CallbackLog, asyncio.Event]] = []
        # Accepted "reorder" uploads (ids of their records) whose callback is not ready yet.
        self._reorder_in_flight: set[int] = set()
        self._gates: list[asyncio.Event] = []  # uploads waiting for release_callbacks()
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def on_startup(self, app: web.Application) -> None:
        self._loop = asyncio.get_running_loop()

    def accept(
        self,
        endpoint: Endpoint,
        identity: Identity,
        model: Any,
        record: PushRecord,
        decision: FaultDecision,
        generation: int,
    ) -> None:
        """Complete an accepted upload in the background (on the sandbox's loop)."""
        if decision.callback == "reorder" and getattr(model, "callback_url", None):
            self._reorder_in_flight.add(id(record))
        self._spawn(self._complete_upload(endpoint, identity, model, record, decision, generation))

    def release(self) -> None:
        """Open the gates of held uploads (from any thread)."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._open_gates)

    def drop(self) -> None:
        """Forget callbacks held for reordering, release the held uploads (from any thread)."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._drop_held)

    def _drop_held(self) -> None:
        """Forget callbacks held for reordering; open the release gates (on the sandbox's loop)."""
        held, self._held = self._held, []
        for _, event in held:
            event.set()
        self._open_gates()

    def _open_gates(self) -> None:
        gates, self._gates = self._gates, []
        for gate in gates:
            gate.set()

    async def on_cleanup(self, app: web.Application) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self._drop_held()
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _spawn(self, coro: Awaitable[None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _complete_upload(
        self,
        endpoint: Endpoint,
        identity: Identity,
        model: Any,
        record: PushRecord,
        decision: FaultDecision,
        generation: int,
    ) -> None:
        """Complete an accepted upload; count it settled however this ends."""
        try:
            await self._run_upload(endpoint, identity, model, record, decision, generation)
        finally:
            self._reorder_in_flight.discard(id(record))

            def settle() -> None:
                self.state.pending_uploads -= 1

            self.state.locked(settle)

    async def _wait_for_release(self) -> None:
        """While callbacks are held (``hold_callbacks``), wait for ``release_callbacks``."""
        while self.state.callbacks_held:
            gate = asyncio.Event()
            self._gates.append(gate)
            # Re-checked after registering: a release in between has already cleared the flag.
            if self.state.callbacks_held:
                await gate.wait()

    async def _run_upload(
        self,
        endpoint: Endpoint,
        identity: Identity,
        model: Any,
        record: PushRecord,
        decision: FaultDecision,
        generation: int,
    ) -> None:
        mode = decision.callback or "normal"
        delay = self.config.callback_delay + (decision.callback_delay if mode == "delay" else 0.0)
        await asyncio.sleep(delay)
        await self._wait_for_release()
        video_url = str(getattr(model, "video_url", ""))
        callback_url: str | None = getattr(model, "callback_url", None)
        resource = record.resource.lstrip("/")  # OneAll's callbacks omit the leading slash
        failed = mode == "fail" or _unreachable(video_url)

        def complete() -> CallbackLog | None:
            if self.state.generation != generation:
                return None  # the sandbox was reset meanwhile
            if failed:
                # Inferred: OneAll documents no failure callback; this is an error envelope.
                info = (
                    f"The video could not be uploaded: the file at [{video_url}] could not be "
                    "downloaded or has an unsupported format"
                )
                body = envelope(resource, code=400, info=info)
                record.status, record.error = "failed", info
            else:
                video_id = record.planned_video_id
                assert video_id is not None
                data = {
                    "provider": endpoint.provider,
                    "object": "video",
                    "video_id": video_id,
                    "date_creation": record.date,
                }
                body = envelope(resource, data=data)
                record.status, record.result = "completed", data
                self.state.media.setdefault(identity.token, set()).add(video_id)
            entry = CallbackLog(
                seq=len(self.state.callbacks) + 1,
                record=record.seq,
                url=callback_url,
                body=body,
                mode=mode if mode != "fail" else "normal",
            )
            self.state.callbacks.append(entry)
            return entry

        entry = self.state.locked(complete)
        if entry is None:
            return
        if entry.url is None or entry.mode == "never":
            self._finish(entry)
        elif entry.mode == "reorder":
            self._reorder_in_flight.discard(id(record))
            await self._reorder(entry)
        else:
            await self._deliver(entry, last=entry.mode != "duplicate")
            if entry.mode == "duplicate":
                await self._deliver(entry)

    def _finish(self, entry: CallbackLog) -> None:
        def finish() -> None:
            entry.finished = True

        self.state.locked(finish)

    async def _reorder(self, entry: CallbackLog) -> None:
        """Hold a callback until its partner, the next "reorder" callback, overtakes it.

        It waits for a partner that was already accepted however long that takes; only when none
        is in flight does ``reorder_window`` bound the wait, then it goes out alone.
        """
        if self._held:
            earlier, released = self._held.pop(0)
            await self._deliver(entry)
            released.set()
            await self._deliver(earlier)
            return
        pair = (entry, asyncio.Event())
        self._held.append(pair)
        while True:
            try:
                await asyncio.wait_for(pair[1].wait(), self.config.reorder_window)
                return  # a partner delivered it, or a reset dropped it
            except asyncio.TimeoutError:
                if pair not in self._held:
                    return  # a partner took it and is delivering it
                if not self._reorder_in_flight:
                    self._held.remove(pair)
                    await self._deliver(entry)
                    return

    async def _deliver(self, entry: CallbackLog, *, last: bool = True) -> None:
        assert entry.url is not None
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        status: int | None = None
        error: str | None = None

        def attempt() -> None:
            self.state.deliveries += 1
            if entry.delivery_seq is None:
                entry.delivery_seq = self.state.deliveries

        self.state.locked(attempt)
        try:
            async with self._session.post(
                entry.url,
                data=json.dumps(entry.body).encode(),
                headers={"Content-Type": "application/json", "User-Agent": "OneAll-Sandbox"},
            ) as resp:
                await resp.read()
                status = resp.status
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            # The callback URL carries the client's signature: keep it out of logs and state.
            error = redact_signature(f"{type(exc).__name__}: {exc}")
            logger.warning("sandbox callback to %s failed: %s", redact_signature(entry.url), error)

        def note() -> None:
            entry.delivered += 1
            entry.http_status = status
            entry.error = error
            entry.finished = entry.finished or last

        self.state.locked(note)


def _unreachable(url: str) -> bool:
    """True for hosts under the reserved ``.invalid`` TLD (RFC 2606): nothing can be downloaded."""
    host = urlsplit(url).hostname or ""
    return host == "invalid" or host.endswith(".invalid")
