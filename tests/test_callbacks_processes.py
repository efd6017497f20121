"""The receiver in one process, the waiter in another: every job resolves through Redis.

Half the callbacks arrive before the waiter process exists (the store keeps them); the other
half once every wait has subscribed and found nothing. The waiter's store never polls, so the
late half can only arrive through the store's notification, which the waiter checks reached
each of its waits (a wait's final read at its timeout would otherwise hide a broken one).
"""

from __future__ import annotations

import json
import multiprocessing
import queue
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from oneall_push import OneAll
from oneall_push._io import Request, Response, SyncMockTransport
from oneall_push._sync.stores import SyncRedisStore
from oneall_push.callbacks.config import CallbackConfig
from tests.support.callback_processes import (
    run_async_receiver,
    run_async_waiter,
    run_sync_receiver,
    run_sync_waiter,
)
from tests.support.callbacks import QUEUED, SyncPoster, callback_body, redis_server

SECRET = "process-secret-0123456789abcdef"
JOBS = 40
WAIT_TIMEOUT = 15.0


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


def _get(results: Any, timeout: float, what: str) -> Any:
    try:
        value = results.get(timeout=timeout)
    except queue.Empty:
        pytest.fail(f"the waiter process did not report {what}")
    if isinstance(value, str) and value.startswith("Traceback"):
        pytest.fail(f"the waiter process failed:\n{value}")
    return value


@pytest.mark.parametrize(
    ("run_receiver", "run_waiter"),
    [(run_async_receiver, run_sync_waiter), (run_sync_receiver, run_async_waiter)],
    ids=["aiohttp-receiver+sync-waiter", "threaded-receiver+async-waiter"],
)
def test_receiver_and_waiter_in_separate_processes(
    redis_url: str, run_receiver: Callable[..., None], run_waiter: Callable[..., None]
) -> None:
    ctx = multiprocessing.get_context("spawn")
    prefix = f"procs-{uuid.uuid4().hex[:8]}:"
    ports = ctx.Queue()
    results = ctx.Queue()
    stop = ctx.Event()
    receiver = ctx.Process(target=run_receiver, args=(redis_url, prefix, [SECRET], ports, stop))
    receiver.start()
    waiter = None
    poster = SyncPoster()
    try:
        port = ports.get(timeout=30)
        config = CallbackConfig(
            public_url=f"http://127.0.0.1:{port}/oneall/callbacks", secret=SECRET
        )

        def queued(request: Request) -> Response:
            return Response(200, body=json.dumps(QUEUED).encode())

        store = SyncRedisStore(redis_url, prefix=prefix)
        with OneAll(
            subdomain="demo",
            public_key="pub",
            private_key="priv",
            callbacks=config,
            callback_store=store,
            transport=SyncMockTransport(queued),
        ) as client:
            jobs = [
                client.twitter.upload_video(f"tok-{i}", video_url="https://e.x/v.mp4")
                for i in range(JOBS)
            ]
        store.close()
        urls = [job.record.callback_url or "" for job in jobs]
        assert all(urls)
        # Early: half the callbacks arrive before the waiter process exists (one twice).
        for i, url in enumerate(urls[: JOBS // 2]):
            assert poster.post(url, callback_body(f"video-{i}"))[0] == 200
        assert poster.post(urls[0], callback_body("duplicate"))[0] == 200
        waiter = ctx.Process(
            target=run_waiter,
            args=(redis_url, prefix, [job.to_dict() for job in jobs], WAIT_TIMEOUT, results),
        )
        waiter.start()
        # Every wait has subscribed and read the store once; the late half is now unseen.
        assert _get(results, 30, '"waiting"') == "waiting"
        for i, url in enumerate(urls[JOBS // 2 :], start=JOBS // 2):
            assert poster.post(url, callback_body(f"video-{i}"))[0] == 200
        resolved = _get(results, WAIT_TIMEOUT + 15, "its results")
        assert resolved["videos"] == {job.id: f"video-{i}" for i, job in enumerate(jobs)}
        # The late half was woken by Redis' notification, not by the waits' final read.
        late = {job.id for job in jobs[JOBS // 2 :]}
        assert late <= set(resolved["notified"])
    finally:
        poster.close()
        stop.set()
        receiver.join(timeout=10)
        if receiver.is_alive():
            receiver.kill()
        if waiter is not None:
            waiter.join(timeout=10)
            if waiter.is_alive():
                waiter.kill()
