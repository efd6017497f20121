"""Process entry points for the multi-process callback tests (importable under ``spawn``)."""

from __future__ import annotations

import asyncio
import concurrent.futures
from multiprocessing.synchronize import Event
from typing import Any

from oneall_push import OneAll
from oneall_push._async.stores import AsyncRedisStore
from oneall_push._sync.stores import SyncRedisStore
from oneall_push.callbacks.config import CallbackConfig
from oneall_push.callbacks.server import AsyncCallbackServer
from oneall_push.errors import OneAllPushError


def run_receiver(redis_url: str, prefix: str, secrets: list[str], ports: Any, stop: Event) -> None:
    """A receiver process: the aiohttp receiver on a free port, backed by Redis."""

    async def main() -> None:
        config = CallbackConfig(public_url="http://127.0.0.1/", secret=secrets)
        async with (
            AsyncRedisStore(redis_url, prefix=prefix) as store,
            AsyncCallbackServer(config, store) as server,
        ):
            ports.put(server.port)
            await asyncio.get_running_loop().run_in_executor(None, stop.wait)

    asyncio.run(main())


def run_waiter(
    redis_url: str, prefix: str, records: list[dict[str, Any]], timeout: float, results: Any
) -> None:
    """A waiter process: the sync client rebuilds every job from its record and waits."""
    store = SyncRedisStore(redis_url, prefix=prefix)
    config = CallbackConfig(public_url="http://unused.example/cb", secret="w" * 32)
    with OneAll(
        subdomain="demo",
        public_key="pub",
        private_key="priv",
        callbacks=config,
        callback_store=store,
    ) as client:

        def wait(data: dict[str, Any]) -> tuple[str, str | None]:
            try:
                video = client.jobs.from_dict(data).wait(timeout=timeout)
            except OneAllPushError as exc:
                return data["id"], f"error: {type(exc).__name__}"
            return data["id"], video.video_id

        results.put("waiting")
        with concurrent.futures.ThreadPoolExecutor(max_workers=len(records)) as pool:
            outcome = dict(pool.map(wait, records))
    store.close()
    results.put(outcome)
