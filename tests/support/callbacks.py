"""Hand-written helpers for the callback tests, one class per colour where I/O is involved.

``tests/_async`` imports the Async names; unasync turns them into the Sync names for
``tests/_sync``. Everything here talks to 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
import redis
import redis.asyncio
import redis.asyncio.retry
import redis.backoff
import redis.retry
import urllib3

from oneall_push._async.receiver import AsyncCallbackHandler
from oneall_push._async.stores import AsyncCallbackStore, AsyncMemoryStore, AsyncRedisStore
from oneall_push._sync.receiver import SyncCallbackHandler
from oneall_push._sync.stores import SyncCallbackStore, SyncMemoryStore, SyncRedisStore
from oneall_push.callbacks._memory import Watchers
from oneall_push.callbacks.server import AsyncCallbackServer, SyncCallbackServer

__all__ = [
    "CALLBACK_FAILURE",
    "CALLBACK_SUCCESS",
    "QUEUED",
    "AsyncCallbackHandler",
    "AsyncCallbackServer",
    "AsyncCallbackStore",
    "AsyncMemoryStore",
    "AsyncPoster",
    "AsyncRedisClient",
    "AsyncRedisStore",
    "NotificationLog",
    "SyncCallbackHandler",
    "SyncCallbackServer",
    "SyncCallbackStore",
    "SyncMemoryStore",
    "SyncPoster",
    "SyncRedisClient",
    "SyncRedisStore",
    "callback_body",
    "count_reads",
    "raw_post",
    "record_notifications",
    "redis_server",
]

# OneAll's immediate answer to a video upload (seed 000).
QUEUED: dict[str, Any] = {
    "response": {
        "request": {
            "date": "Tue, 15 May 2018 11:19:14 +0200",
            "resource": "/push/identities/77f3919e-77f3-418d-5eb9-418dea325eb9/twitter/video.json",
            "status": {
                "flag": "success",
                "code": 200,
                "info": "Your request has been processed successfully",
            },
        },
        "result": {
            "data": {
                "object": "video",
                "result": "The video has been added to the queue and will be uploaded soon.",
            }
        },
    }
}

# The body OneAll POSTs to the callback URL (seed 000): note the resource without a slash.
CALLBACK_SUCCESS: dict[str, Any] = {
    "response": {
        "request": {
            "date": "Tue, 23 Apr 2019 09:38:03 +0200",
            "resource": "push/identities/6f8d0d26-caa6-42d2-b772-3091d8449927/twitter/video.json",
            "status": {
                "flag": "success",
                "code": 200,
                "info": "Your request has been processed successfully",
            },
        },
        "result": {
            "data": {
                "provider": "twitter",
                "object": "video",
                "video_id": "1120592651986796544",
                "date_creation": "Tue, 23 Apr 2019 09:36:28 +0200",
            }
        },
    }
}

CALLBACK_FAILURE: dict[str, Any] = {
    "response": {
        "request": {
            "date": "Tue, 23 Apr 2019 09:38:03 +0200",
            "resource": "/push/identities/6f8d0d26-caa6-42d2-b772-3091d8449927/twitter/video.json",
            "status": {
                "flag": "error",
                "code": 422,
                "info": "The video could not be downloaded",
            },
        },
        "result": {},
    }
}


class AsyncRedisClient(redis.asyncio.Redis):
    """redis-py's asyncio client, for tests that hand a store their own (no retries)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(retry=redis.asyncio.retry.Retry(redis.backoff.NoBackoff(), 0), **kwargs)

    async def shut(self) -> None:
        await self.aclose()


class SyncRedisClient(redis.Redis):
    """redis-py's client, for tests that hand a store their own (no retries)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(retry=redis.retry.Retry(redis.backoff.NoBackoff(), 0), **kwargs)

    def shut(self) -> None:
        self.close()


def callback_body(
    video_id: str = "1120592651986796544",
    *,
    date_creation: str = "Tue, 23 Apr 2019 09:36:28 +0200",
    resource: str | None = None,
) -> bytes:
    document = json.loads(json.dumps(CALLBACK_SUCCESS))
    data = document["response"]["result"]["data"]
    data["video_id"] = video_id
    data["date_creation"] = date_creation
    if resource is not None:
        document["response"]["request"]["resource"] = resource
    return json.dumps(document).encode()


class AsyncPoster:
    """POSTs raw bytes with aiohttp, as OneAll would."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    async def post(self, url: str, body: bytes) -> tuple[int, bytes]:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        headers = {"Content-Type": "application/json"}
        async with self._session.post(url, data=body, headers=headers) as response:
            return response.status, await response.read()

    async def try_post(self, url: str, body: bytes) -> int | None:
        """The status, or ``None`` if the connection failed (refused, reset, closed)."""
        try:
            return (await self.post(url, body))[0]
        except aiohttp.ClientError:
            return None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class SyncPoster:
    """POSTs raw bytes with urllib3, as OneAll would."""

    def __init__(self) -> None:
        self._pool = urllib3.PoolManager(retries=False)

    def post(self, url: str, body: bytes) -> tuple[int, bytes]:
        headers = {"Content-Type": "application/json"}
        response = self._pool.request("POST", url, body=body, headers=headers)
        return response.status, response.data

    def try_post(self, url: str, body: bytes) -> int | None:
        """The status, or ``None`` if the connection failed (refused, reset, closed)."""
        try:
            return self.post(url, body)[0]
        except urllib3.exceptions.HTTPError:
            return None

    def close(self) -> None:
        self._pool.clear()


class NotificationLog(Watchers):
    """A store's waiter registry that counts, per job, the waiters each notification reached.

    A wait also re-reads the store when its timeout runs out, so "the result arrived" does
    not prove the notification works; "a notification reached the waiter" does.
    """

    def __init__(self) -> None:
        super().__init__()
        self.reached: collections.Counter[str] = collections.Counter()
        self._log_lock = threading.Lock()

    def _count(self, job_ids: list[str]) -> None:
        with self._lock:
            counts = {job_id: len(self._by_job.get(job_id, ())) for job_id in job_ids}
        with self._log_lock:
            self.reached.update(counts)

    def wake(self, job_id: str) -> None:
        self._count([job_id])
        super().wake(job_id)

    def wake_all(self) -> None:
        with self._lock:
            job_ids = list(self._by_job)
        self._count(job_ids)
        super().wake_all()

    def clear(self) -> None:
        with self._log_lock:
            self.reached.clear()


def record_notifications(store: Any, log: NotificationLog | None = None) -> NotificationLog:
    """Install a :class:`NotificationLog` in a memory or Redis store (either colour)."""
    log = log if log is not None else NotificationLog()
    if hasattr(store, "_state"):
        store._state.watchers = log
    else:
        store._watchers = log
    return log


def count_reads(store: Any) -> collections.Counter[str]:
    """Count, per job id, the reads of a store (either colour) that have returned.

    Lets a test wait until a waiter has read the store once and can only be woken from then on.
    """
    reads: collections.Counter[str] = collections.Counter()
    read = store.get
    if asyncio.iscoroutinefunction(read):

        async def counted_async(job_id: str) -> Any:
            outcome = await read(job_id)
            reads[job_id] += 1
            return outcome

        store.get = counted_async
    else:

        def counted(job_id: str) -> Any:
            outcome = read(job_id)
            reads[job_id] += 1
            return outcome

        store.get = counted
    return reads


def raw_post(
    port: int, target: str, body: bytes, *, chunked: bool, pause: float = 0.2
) -> tuple[int, bytes]:
    """POST ``body`` to 127.0.0.1:``port`` in two TCP pieces ``pause`` seconds apart.

    With ``chunked``, the body is sent with Transfer-Encoding: chunked, split mid-chunk.
    Returns the status and the response body (the server must answer Content-Length).
    """
    head = f"POST {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
    half = len(body) // 2
    if chunked:
        first = f"{len(body):x}\r\n".encode() + body[:half]
        second = body[half:] + b"\r\n0\r\n\r\n"
        head += "Transfer-Encoding: chunked\r\n"
    else:
        first, second = body[:half], body[half:]
        head += f"Content-Length: {len(body)}\r\n"
    head += "Connection: close\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.sendall(head.encode() + first)
        time.sleep(pause)
        sock.sendall(second)
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    status_line, _, rest = data.partition(b"\r\n")
    _, _, payload = rest.partition(b"\r\n\r\n")
    return int(status_line.split()[1]), payload


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """A throw-away redis-server on a free loopback port; yields its URL.

    Skips when the binary is missing, except under CI (``CI=true``), where it fails.
    """
    binary = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else None
    )
    if binary is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("redis-server is required in CI (apt-get install redis-server)")
        pytest.skip("redis-server not installed (apt-get install redis-server)")
    port = _free_port()
    workdir = tempfile.mkdtemp(prefix="oneall-push-redis-")
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            workdir,
            "--protected-mode",
            "yes",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)
        client.close()
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(workdir, ignore_errors=True)
