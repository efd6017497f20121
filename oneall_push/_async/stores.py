"""Callback stores: where job records and callback outcomes wait for whoever asks.

Every store follows the same rules. The job record is registered before the POST is sent.
A callback is stored first, then waiters are notified; the first outcome wins and later
ones are acknowledged and ignored. Outcomes are kept for their TTL, so a callback that
arrives before anyone waits, or after a wait gave up, is returned to the next wait.
"""

from __future__ import annotations

import abc
import json
import logging
from typing import TYPE_CHECKING

from .._io import AsyncBackend
from .._validate import seconds
from ..callbacks._memory import MemoryState, Wakeable, Watchers
from ..callbacks.outcome import CallbackOutcome
from ..callbacks.records import JobRecord
from ..errors import CallbackStoreError

if TYPE_CHECKING:
    from .._io import AsyncRedisConnection

__all__ = ["AsyncCallbackStore", "AsyncMemoryStore", "AsyncRedisStore"]

logger = logging.getLogger("oneall_push.callbacks")


class AsyncCallbackStore(abc.ABC):
    """Where job records and callback outcomes are kept until a waiter takes them."""

    # Longest sleep between two reads of the store while waiting (a safety net).
    poll_interval: float = 30.0
    # Pause before reading again after the store could not be reached.
    retry_delay: float = 0.25

    def __init__(self, *, backend: AsyncBackend | None = None) -> None:
        self._backend = backend if backend is not None else AsyncBackend()

    @abc.abstractmethod
    async def register(self, record: JobRecord, *, ttl: float) -> None:
        """Remember a job for ``ttl`` seconds (before its POST is sent)."""

    @abc.abstractmethod
    async def lookup(self, job_id: str) -> JobRecord | None:
        """The job's record, or ``None`` if unknown or expired."""

    @abc.abstractmethod
    async def discard(self, job_id: str) -> None:
        """Forget a job whose POST provably failed."""

    @abc.abstractmethod
    async def put(self, job_id: str, outcome: CallbackOutcome, *, ttl: float) -> bool:
        """Store an outcome, then wake its waiters. False (and no change) if one was stored."""

    @abc.abstractmethod
    async def get(self, job_id: str) -> CallbackOutcome | None:
        """The stored outcome, without waiting."""

    @abc.abstractmethod
    async def _watch(self, job_id: str, signal: Wakeable, wait: float) -> None:
        """Arrange for ``signal`` to be set when an outcome for ``job_id`` may have arrived."""

    @abc.abstractmethod
    def _unwatch(self, job_id: str, signal: Wakeable) -> None: ...

    async def wait(self, job_id: str, timeout: float) -> CallbackOutcome | None:
        """Wait up to ``timeout`` seconds (0: read once) for the outcome; ``None`` if none arrived.

        Subscribes first, then reads, then sleeps until woken: an outcome stored at any
        moment is seen. Store errors are retried until the deadline, then raised.
        """
        timeout = seconds(timeout, "timeout", zero=True)
        backend = self._backend
        deadline = backend.monotonic() + timeout
        signal = backend.signal()
        try:
            # Inside the try: a wait cancelled (or failing) while subscribing leaves no watcher.
            await self._watch(job_id, signal, min(timeout, 5.0))
            while True:
                signal.clear()
                try:
                    outcome = await self.get(job_id)
                except CallbackStoreError:
                    if backend.monotonic() >= deadline:
                        raise
                    logger.info("callback store unreachable while waiting for %s", job_id)
                    await signal.wait(min(self.retry_delay, max(deadline - backend.monotonic(), 0)))
                    continue
                if outcome is not None:
                    return outcome
                remaining = deadline - backend.monotonic()
                if remaining <= 0:
                    return None
                await signal.wait(min(remaining, self.poll_interval))
        finally:
            self._unwatch(job_id, signal)

    async def close(self) -> None:
        """Release connections (nothing to do for the memory store)."""

    async def __aenter__(self) -> AsyncCallbackStore:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


class AsyncMemoryStore(AsyncCallbackStore):
    """The default store: a thread-safe dictionary in this process.

    The receiver and the waiters must share the process (and this object). Use
    the Redis store when callbacks may reach another replica.
    """

    poll_interval = 3600.0

    def __init__(self, *, backend: AsyncBackend | None = None) -> None:
        super().__init__(backend=backend)
        self._state = MemoryState()

    def __repr__(self) -> str:
        records, outcomes = self._state.counts()
        return f"{type(self).__name__}(jobs={records}, outcomes={outcomes})"

    async def register(self, record: JobRecord, *, ttl: float) -> None:
        self._state.register(record, ttl)

    async def lookup(self, job_id: str) -> JobRecord | None:
        return self._state.lookup(job_id)

    async def discard(self, job_id: str) -> None:
        self._state.discard(job_id)

    async def put(self, job_id: str, outcome: CallbackOutcome, *, ttl: float) -> bool:
        return self._state.put(job_id, outcome, ttl)

    async def get(self, job_id: str) -> CallbackOutcome | None:
        return self._state.get(job_id)

    async def _watch(self, job_id: str, signal: Wakeable, wait: float) -> None:
        self._state.watchers.add(job_id, signal)

    def _unwatch(self, job_id: str, signal: Wakeable) -> None:
        self._state.watchers.remove(job_id, signal)


class AsyncRedisStore(AsyncCallbackStore):
    """A store shared by every process that can reach one Redis (``pip install oneall-push[redis]``).

    Keys: ``<prefix>job:<id>`` (the record), ``<prefix>result:<id>`` (the outcome, written with
    SET NX and a TTL, then announced on ``<prefix>done:<id>``). Waiters share one pattern
    subscription per connection; after every (re)subscription they all read the store again, so
    a notification lost during a disconnect loses nothing. Stores sharing a ``connection=`` must
    share its prefix (:class:`~oneall_push.errors.ConfigurationError` otherwise).
    """

    poll_interval = 15.0

    def __init__(
        self,
        url: str | None = None,
        *,
        connection: AsyncRedisConnection | None = None,
        prefix: str = "oneall_push:",
        backend: AsyncBackend | None = None,
    ) -> None:
        super().__init__(backend=backend)
        # Decided before the default is made: a store closes only the connection it made.
        self._owns_conn = connection is None
        if connection is None:
            from .._io import AsyncRedisConnection  # Redis loads with the first Redis store

            connection = AsyncRedisConnection(url)
        self._conn = connection
        self.prefix = prefix
        self._watchers = Watchers()
        self._done = f"{prefix}done:"
        self._conn.subscribe(self._done + "*", self._on_message, self._on_subscribed)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._conn!r}, prefix={self.prefix!r})"

    def _job_key(self, job_id: str) -> str:
        return f"{self.prefix}job:{job_id}"

    def _result_key(self, job_id: str) -> str:
        return f"{self.prefix}result:{job_id}"

    async def register(self, record: JobRecord, *, ttl: float) -> None:
        payload = json.dumps(record.to_dict(), separators=(",", ":")).encode()
        await self._conn.set(self._job_key(record.id), payload, ttl)

    async def lookup(self, job_id: str) -> JobRecord | None:
        raw = await self._conn.get(self._job_key(job_id))
        return None if raw is None else JobRecord.from_dict(json.loads(raw))

    async def discard(self, job_id: str) -> None:
        await self._conn.delete(self._job_key(job_id), self._result_key(job_id))

    async def put(self, job_id: str, outcome: CallbackOutcome, *, ttl: float) -> bool:
        return await self._conn.set_once_and_publish(
            self._result_key(job_id), outcome.to_json(), ttl, self._done + job_id
        )

    async def get(self, job_id: str) -> CallbackOutcome | None:
        raw = await self._conn.get(self._result_key(job_id))
        return None if raw is None else CallbackOutcome.from_json(raw)

    def _on_message(self, channel: str) -> None:
        if channel.startswith(self._done):
            self._watchers.wake(channel[len(self._done) :])

    def _on_subscribed(self) -> None:
        self._watchers.wake_all()

    async def _watch(self, job_id: str, signal: Wakeable, wait: float) -> None:
        # Registered before subscribing: every (re)subscription wakes all waiters to re-read.
        self._watchers.add(job_id, signal)
        await self._conn.listen(wait)

    def _unwatch(self, job_id: str, signal: Wakeable) -> None:
        self._watchers.remove(job_id, signal)

    async def close(self) -> None:
        if self._owns_conn:
            await self._conn.close()
