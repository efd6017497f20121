"""X media upload edge cases that need each half's own machinery: a failing append while others
are mid-body on real connections must reach neither the event loop's exception handler (async)
nor ``threading.excepthook`` (sync), and is raised typed; chunk buffers are reused."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import threading
import warnings
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from aiohttp import web

from oneall_push.errors import MediaUploadAbortedError, XAPIError
from oneall_push.xmedia import AsyncXMedia, XMedia
from tests.support.x_tokens import X_TOKEN

MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
CHUNK = 4 * 1024 * 1024  # larger than loopback socket buffers: the others are mid-body
MEDIA = {"data": {"id": "42", "media_key": "7_42", "expires_after_secs": 86400}}


class SlowX:
    """Appends: the third to arrive is refused with 400 at once; the others wait before they
    read their body, so they are still being sent when the upload fails."""

    def __init__(self) -> None:
        self.arrived = 0
        self.lock = threading.Lock()

    def app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/2/media/upload/initialize", self.initialize)
        app.router.add_post("/2/media/upload/{media_id}/append", self.append)
        return app

    async def initialize(self, request: web.Request) -> web.Response:
        await request.read()
        return web.json_response(MEDIA)

    async def append(self, request: web.Request) -> web.StreamResponse:
        with self.lock:
            self.arrived += 1
            order = self.arrived
        if order == 3:
            await request.read()
            return web.json_response({"title": "Invalid Request", "status": 400}, status=400)
        await asyncio.sleep(1.0)
        await request.read()
        return web.Response(status=204)


async def _serve(server: SlowX) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(server.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}"


@pytest.fixture
async def async_slow_x() -> AsyncIterator[tuple[SlowX, str]]:
    server = SlowX()
    runner, url = await _serve(server)
    yield server, url
    await runner.cleanup()


@pytest.fixture
def threaded_slow_x() -> Iterator[tuple[SlowX, str]]:
    server = SlowX()
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    found: dict[str, Any] = {}

    def run() -> None:
        asyncio.set_event_loop(loop)
        found["runner"], found["url"] = loop.run_until_complete(_serve(server))
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert ready.wait(10)
    yield server, found["url"]
    asyncio.run_coroutine_threadsafe(found["runner"].cleanup(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


def _video(size: int) -> bytes:
    return MP4_HEAD + bytes(size - len(MP4_HEAD))


def _check_aborted(info: pytest.ExceptionInfo[MediaUploadAbortedError]) -> None:
    cause = info.value.cause
    assert isinstance(cause, XAPIError) and cause.status == 400
    assert info.value.media_id == "42"
    assert info.value.__cause__ is cause


async def test_a_failing_append_reaches_no_loop_exception_handler(
    async_slow_x: tuple[SlowX, str],
) -> None:
    server, url = async_slow_x
    loop = asyncio.get_running_loop()
    handled: list[dict[str, Any]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: handled.append(context))
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            async with AsyncXMedia(
                bearer_token=X_TOKEN, base_url=url, chunk_size=CHUNK, max_concurrency=3
            ) as x:
                with pytest.raises(MediaUploadAbortedError) as info:
                    await x.upload(_video(6 * CHUNK), wait=False)
            # Tasks, transports and generators left behind would report now.
            for _ in range(5):
                await asyncio.sleep(0.05)
                gc.collect()
    finally:
        loop.set_exception_handler(previous)
    _check_aborted(info)
    assert server.arrived == 3  # the failure stopped the upload: no fourth append
    assert handled == []
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []


def test_a_failing_append_reaches_no_thread_excepthook(
    threaded_slow_x: tuple[SlowX, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, url = threaded_slow_x
    hooked: list[Any] = []
    monkeypatch.setattr(threading, "excepthook", hooked.append)
    with (
        XMedia(bearer_token=X_TOKEN, base_url=url, chunk_size=CHUNK, max_concurrency=3) as x,
        pytest.raises(MediaUploadAbortedError) as info,
    ):
        x.upload(_video(6 * CHUNK), wait=False)
    _check_aborted(info)
    assert server.arrived == 3
    assert hooked == []


@pytest.mark.parametrize("max_concurrency", [1, 3])
@pytest.mark.parametrize("chunk", [4096, 1_500_000], ids=["small", "sent-in-views"])
async def test_chunk_buffers_are_reused(max_concurrency: int, chunk: int) -> None:
    """An upload allocates at most max_concurrency + 1 append bodies, whatever its length,
    and every segment arrives whole (bodies over 1 MiB leave aiohttp in views)."""
    from oneall_push._xmedia import _buffers

    made: list[int] = []
    real = _buffers.BodyBuffers

    class Counting(real):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:
            super().__init__()
            made.append(0)
            self.index = len(made) - 1

        def take(self, form: Any, size: int) -> Any:
            found = super().take(form, size)
            made[self.index] = self.made
            return found

    seen: list[bytes] = []

    async def receive(request: web.Request) -> web.Response:
        if request.path.endswith("/append"):
            seen.append(await request.read())
            return web.Response(status=204)
        await request.read()
        return web.json_response(MEDIA)

    app = web.Application(client_max_size=8 * 1024 * 1024)
    app.router.add_post("/{tail:.*}", receive)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    data = MP4_HEAD + os.urandom(7 * chunk + 123)  # 8 segments, the last one short
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr("oneall_push._async.xmedia.BodyBuffers", Counting)
            async with AsyncXMedia(
                bearer_token=X_TOKEN,
                base_url=url,
                chunk_size=chunk,
                max_concurrency=max_concurrency,
            ) as x:
                await x.upload(data, wait=False, media_type="video/mp4")
    finally:
        await runner.cleanup()
    assert 1 <= made[0] <= max_concurrency + 1
    # Every segment arrived whole and in its own body, despite the reuse.
    got = {}
    for body in seen:
        _, _, rest = body.partition(b'name="segment_index"\r\n\r\n')
        index = int(rest.split(b"\r\n", 1)[0])
        media = rest.split(b"Content-Type: application/octet-stream\r\n\r\n", 1)[1]
        got[index] = media.rsplit(b"\r\n--", 1)[0]
    assert b"".join(got[i] for i in sorted(got)) == data
    assert json.dumps(sorted(got)) == json.dumps(list(range(len(got))))
