"""The receiver in one process, the waiter in another: every job resolves through Redis."""

from __future__ import annotations

import json
import multiprocessing
import queue
import uuid
from collections.abc import Iterator

import pytest

from oneall_push import OneAll
from oneall_push._sync.stores import SyncRedisStore
from oneall_push._transport import Request, Response, SyncMockTransport
from oneall_push.callbacks.config import CallbackConfig
from tests.callback_helpers import QUEUED, SyncPoster, callback_body, redis_server
from tests.callback_procs import run_receiver, run_waiter

SECRET = "process-secret-0123456789abcdef"


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


def test_receiver_and_waiter_in_separate_processes(redis_url: str) -> None:
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
                for i in range(40)
            ]
        store.close()
        urls = [job.record.callback_url for job in jobs]
        assert all(urls)
        # Early: half the callbacks arrive before the waiter process exists (one twice).
        for i, url in enumerate(urls[:20]):
            assert url is not None
            assert poster.post(url, callback_body(f"video-{i}"))[0] == 200
        assert poster.post(urls[0] or "", callback_body("duplicate"))[0] == 200
        waiter = ctx.Process(
            target=run_waiter,
            args=(redis_url, prefix, [job.to_dict() for job in jobs], 60.0, results),
        )
        waiter.start()
        assert results.get(timeout=60) == "waiting"
        # Late: the rest arrive while the other process waits.
        for i, url in enumerate(urls[20:], start=20):
            assert url is not None
            assert poster.post(url, callback_body(f"video-{i}"))[0] == 200
        try:
            resolved = results.get(timeout=90)
        except queue.Empty:
            pytest.fail("the waiter process did not report")
        assert resolved == {job.id: f"video-{i}" for i, job in enumerate(jobs)}
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
