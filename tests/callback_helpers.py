"""Hand-written helpers for the callback tests, one class per colour where I/O is involved.

``tests/_async`` imports the Async names; unasync turns them into the Sync names for
``tests/_sync``. Everything here talks to 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
import redis
import urllib3

from oneall_push._async.receiver import AsyncCallbackHandler
from oneall_push._async.stores import AsyncCallbackStore, AsyncMemoryStore, AsyncRedisStore
from oneall_push._sync.receiver import SyncCallbackHandler
from oneall_push._sync.stores import SyncCallbackStore, SyncMemoryStore, SyncRedisStore
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
    "AsyncRedisStore",
    "SyncCallbackHandler",
    "SyncCallbackServer",
    "SyncCallbackStore",
    "SyncMemoryStore",
    "SyncPoster",
    "SyncRedisStore",
    "callback_body",
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

    def close(self) -> None:
        self._pool.clear()


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
