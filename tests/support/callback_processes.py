"""Process entry points for the multi-process callback tests (importable under ``spawn``).

Receivers: the aiohttp server on the async Redis store, or the threaded server on the sync one.
Waiters: the sync client on the sync store, or the async client on the async store. A waiter's
store never polls (``poll_interval`` of an hour) and reports "waiting" only once every job's
wait has subscribed and read the store once, so a late callback can only reach it through the
store's notification. A waiter reports ``{"videos": {job id: video id}, "notified": [job
ids]}``: a wait also re-reads the store when it times out, so only "notified" proves that the
notification reached it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import traceback
from collections.abc import Callable
from multiprocessing.synchronize import Event
from typing import Any

from oneall_push import AsyncOneAll, OneAll
from oneall_push._async.stores import AsyncRedisStore
from oneall_push._sync.stores import SyncRedisStore
from oneall_push.callbacks.config import CallbackConfig
from oneall_push.callbacks.outcome import CallbackOutcome
from oneall_push.callbacks.server import AsyncCallbackServer, SyncCallbackServer
from oneall_push.errors import OneAllPushError
from tests.support.callbacks import NotificationLog, record_notifications

NEVER_POLL = 3600.0


def run_async_receiver(
    redis_url: str, prefix: str, secrets: list[str], ports: Any, stop: Event
) -> None:
    """The aiohttp receiver on a free port, backed by the async Redis store."""

    async def main() -> None:
        config = CallbackConfig(public_url="http://127.0.0.1/oneall/callbacks", secret=secrets)
        async with (
            AsyncRedisStore(redis_url, prefix=prefix) as store,
            AsyncCallbackServer(config, store) as server,
        ):
            ports.put(server.port)
            await asyncio.get_running_loop().run_in_executor(None, stop.wait)

    asyncio.run(main())


def run_sync_receiver(
    redis_url: str, prefix: str, secrets: list[str], ports: Any, stop: Event
) -> None:
    """The threaded receiver on a free port, backed by the sync Redis store."""
    config = CallbackConfig(public_url="http://127.0.0.1/oneall/callbacks", secret=secrets)
    with (
        SyncRedisStore(redis_url, prefix=prefix) as store,
        SyncCallbackServer(config, store) as server,
    ):
        ports.put(server.port)
        stop.wait()


class _FirstReads:
    """Calls ``done`` once every expected job has been read from the store once."""

    def __init__(self, job_ids: list[str], done: Callable[[], None]) -> None:
        self._lock = threading.Lock()
        self._pending = set(job_ids)
        self._done = done

    def read(self, job_id: str) -> None:
        with self._lock:
            if job_id not in self._pending:
                return
            self._pending.discard(job_id)
            finished = not self._pending
        if finished:
            self._done()


class _SyncNotifiedStore(SyncRedisStore):
    poll_interval = NEVER_POLL

    def __init__(self, url: str, *, prefix: str, first_reads: _FirstReads) -> None:
        super().__init__(url, prefix=prefix)
        self._first_reads = first_reads

    def get(self, job_id: str) -> CallbackOutcome | None:
        outcome = super().get(job_id)
        self._first_reads.read(job_id)
        return outcome


class _AsyncNotifiedStore(AsyncRedisStore):
    poll_interval = NEVER_POLL

    def __init__(self, url: str, *, prefix: str, first_reads: _FirstReads) -> None:
        super().__init__(url, prefix=prefix)
        self._first_reads = first_reads

    async def get(self, job_id: str) -> CallbackOutcome | None:
        outcome = await super().get(job_id)
        self._first_reads.read(job_id)
        return outcome


def _report(videos: dict[str, str | None], notifications: NotificationLog) -> dict[str, Any]:
    """The video id of every job, and the jobs whose waiter a notification reached."""
    notified = sorted(job_id for job_id in videos if notifications.reached[job_id] > 0)
    return {"videos": videos, "notified": notified}


def _client_config() -> CallbackConfig:
    return CallbackConfig(public_url="http://unused.example/cb", secret="w" * 32)


def run_sync_waiter(
    redis_url: str, prefix: str, records: list[dict[str, Any]], timeout: float, results: Any
) -> None:
    """The sync client rebuilds every job from its record and waits, one thread per job."""
    try:
        notifications = NotificationLog()

        def all_waiting() -> None:
            notifications.clear()  # from here on, only callbacks notify
            results.put("waiting")

        first_reads = _FirstReads([r["id"] for r in records], all_waiting)
        store = _SyncNotifiedStore(redis_url, prefix=prefix, first_reads=first_reads)
        record_notifications(store, notifications)
        with OneAll(
            subdomain="demo",
            public_key="pub",
            private_key="priv",
            callbacks=_client_config(),
            callback_store=store,
        ) as client:

            def wait(data: dict[str, Any]) -> tuple[str, str | None]:
                try:
                    video = client.jobs.from_dict(data).wait(timeout=timeout)
                except OneAllPushError as exc:
                    return data["id"], f"error: {type(exc).__name__}"
                return data["id"], video.video_id

            with concurrent.futures.ThreadPoolExecutor(max_workers=len(records)) as pool:
                outcome = dict(pool.map(wait, records))
        store.close()
        results.put(_report(outcome, notifications))
    except BaseException:
        results.put(traceback.format_exc())
        raise


def run_async_waiter(
    redis_url: str, prefix: str, records: list[dict[str, Any]], timeout: float, results: Any
) -> None:
    """The async client rebuilds every job from its record and waits, one task per job."""

    async def main() -> dict[str, Any]:
        notifications = NotificationLog()

        def all_waiting() -> None:
            notifications.clear()  # from here on, only callbacks notify
            results.put("waiting")

        first_reads = _FirstReads([r["id"] for r in records], all_waiting)
        store = _AsyncNotifiedStore(redis_url, prefix=prefix, first_reads=first_reads)
        record_notifications(store, notifications)
        async with AsyncOneAll(
            subdomain="demo",
            public_key="pub",
            private_key="priv",
            callbacks=_client_config(),
            callback_store=store,
        ) as client:

            async def wait(data: dict[str, Any]) -> tuple[str, str | None]:
                try:
                    video = await client.jobs.from_dict(data).wait(timeout=timeout)
                except OneAllPushError as exc:
                    return data["id"], f"error: {type(exc).__name__}"
                return data["id"], video.video_id

            outcome = dict(await asyncio.gather(*(wait(d) for d in records)))
        await store.close()
        return _report(outcome, notifications)

    try:
        results.put(asyncio.run(main()))
    except BaseException:
        results.put(traceback.format_exc())
        raise
