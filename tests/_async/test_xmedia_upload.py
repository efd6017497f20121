"""X media uploads that succeed: every source, targets, progress, bounded concurrency, the
one-shot upload, and aborted uploads that keep their media id.

Written once; the sync twin is generated."""

from __future__ import annotations

import itertools
import os
import threading
import zlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from oneall_push._io import (
    AsyncBackend,
    AsyncHttpTransport,
    AsyncTransport,
    Request,
    Response,
)
from oneall_push.errors import (
    MediaUploadAbortedError,
    RequestValidationError,
    XAPIError,
)
from oneall_push.sandbox.xmedia import XMediaSandbox
from oneall_push.xmedia import (
    MediaEvent,
    ProcessingProgress,
    UploadProgress,
    XRetryPolicy,
)

from .xmedia_support import (
    PNG_HEAD,
    XFactory,
    chunk_sizes,
    finalized,
    uploaded_crc,
    video_bytes,
)

# --- success -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["bytes", "path", "file", "iterator"])
async def test_upload_every_source_kind(
    kind: str, make_x: XFactory, x_sandbox: XMediaSandbox, tmp_path: Path
) -> None:
    data = video_bytes(300_001)
    path = tmp_path / "clip.mp4"
    path.write_bytes(data)

    async def pieces() -> AsyncIterator[bytes]:
        for start in range(0, len(data), 7_000):
            yield data[start : start + 7_000]

    x = make_x()
    if kind == "bytes":
        media = await x.upload(data)
    elif kind == "path":
        media = await x.upload(path)
    elif kind == "file":
        with path.open("rb") as fh:
            media = await x.upload(fh)
    else:
        media = await x.upload(pieces(), total_bytes=len(data))
    upload = x_sandbox.uploads[media.id]
    assert upload.received == len(data)
    assert len(upload.segments) == 5  # 64 KiB chunks
    assert uploaded_crc(x_sandbox, media.id) == zlib.crc32(data)
    assert upload.media_type == "video/mp4"
    assert upload.media_category == "tweet_video"
    assert media.ready and media.state == "succeeded"
    assert media.media_key == f"7_{media.id}"
    assert media.size == len(data)
    assert media.expires_after_secs == 86400


async def test_image_needs_no_processing_and_gets_alt_text(
    make_x: XFactory, x_sandbox: XMediaSandbox
) -> None:
    data = PNG_HEAD + os.urandom(5000)
    media = await make_x().upload(data, alt_text="A dancing cat")
    assert media.processing_info is None and media.ready
    assert media.media_type == "image/png" and media.media_category == "tweet_image"
    assert x_sandbox.uploads[media.id].alt_text == "A dancing cat"
    assert not any(method == "GET" for method, _, _ in x_sandbox.log)


async def test_simple_upload_one_shot(make_x: XFactory, x_sandbox: XMediaSandbox) -> None:
    media = await make_x().simple_upload(PNG_HEAD + b"\x00" * 100, target="dm")
    upload = x_sandbox.uploads[media.id]
    assert upload.media_category == "dm_image"
    assert upload.received == len(PNG_HEAD) + 100
    assert media.image == {"image_type": "image/png"}


async def test_dm_and_amplify_targets(make_x: XFactory, x_sandbox: XMediaSandbox) -> None:
    x = make_x()
    dm = await x.upload(video_bytes(1000), target="dm")
    amplify = await x.upload(video_bytes(1000), target="amplify")
    assert x_sandbox.uploads[dm.id].media_category == "dm_video"
    assert amplify.media_category == "amplify_video"
    assert amplify.media_key == f"13_{amplify.id}"


async def test_progress_events(make_x: XFactory, x_sandbox: XMediaSandbox) -> None:
    data = video_bytes(1_000_000)
    events: list[MediaEvent] = []
    media = await make_x(max_concurrency=3).upload(data, progress=events.append)
    uploads = [e for e in events if isinstance(e, UploadProgress)]
    processing = [e for e in events if isinstance(e, ProcessingProgress)]
    assert len(uploads) == 16
    # Raw media bytes, no multipart framing: each event adds exactly its chunk's size.
    sizes = chunk_sizes(len(data), 64 * 1024)
    sent = [e.bytes_sent for e in uploads]
    assert sent == list(itertools.accumulate(sizes[e.segment_index] for e in uploads))
    assert sent[-1] == len(data) and all(e.total_bytes == len(data) for e in uploads)
    assert uploads[-1].fraction == 1.0
    assert sorted(e.segment_index for e in uploads) == list(range(16))
    assert events.index(uploads[-1]) < events.index(processing[0])
    assert [e.state for e in processing] == ["pending", "in_progress", "succeeded"]
    assert processing[-1].progress_percent == 100
    assert all(e.media_id == media.id for e in events)


async def test_sequential_progress_counts_every_chunk(make_x: XFactory) -> None:
    events: list[MediaEvent] = []
    await make_x(max_concurrency=1).upload(video_bytes(300_001), progress=events.append)
    sent = [e.bytes_sent for e in events if isinstance(e, UploadProgress)]
    assert sent == [65_536, 131_072, 196_608, 262_144, 300_001]


class AsyncGateTransport(AsyncTransport):
    """Holds every append until ``opens_at`` are in flight at once (gives up after 5 s);
    counts the appends answered."""

    def __init__(self, inner: AsyncTransport, opens_at: int = 2) -> None:
        self.inner = inner
        self.opens_at = opens_at
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        self.completed = 0
        self.gate = AsyncBackend().signal()

    async def send(self, request: Request) -> Response:
        if request.endpoint != "media.append":
            return await self.inner.send(request)
        with self.lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            if self.in_flight == self.opens_at:
                self.gate.set()
        try:
            await self.gate.wait(5.0)
            response = await self.inner.send(request)
            with self.lock:
                self.completed += 1
            return response
        finally:
            with self.lock:
                self.in_flight -= 1

    async def close(self) -> None:
        await self.inner.close()


async def test_appends_run_with_bounded_concurrency(
    make_x: XFactory, x_sandbox: XMediaSandbox
) -> None:
    data = video_bytes(2 * 1024 * 1024)
    gate = AsyncGateTransport(AsyncHttpTransport())
    x = make_x(max_concurrency=2, chunk_size=256 * 1024, transport=gate)
    media = await x.upload(data)
    assert gate.gate.is_set(), "the appends never overlapped"
    assert gate.max_in_flight == 2
    assert x_sandbox.max_in_flight <= 2
    assert uploaded_crc(x_sandbox, media.id) == zlib.crc32(data)


async def test_reading_stays_bounded_ahead_of_the_appends(
    make_x: XFactory, x_sandbox: XMediaSandbox
) -> None:
    chunk = 64 * 1024
    data = video_bytes(12 * chunk)
    gate = AsyncGateTransport(AsyncHttpTransport(), opens_at=3)
    ahead: list[int] = []  # at each read: chunks read minus appends answered

    def pieces() -> Iterator[bytes]:
        for start in range(0, len(data), chunk):
            ahead.append(len(ahead) + 1 - gate.completed)
            yield data[start : start + chunk]

    media = await make_x(max_concurrency=3, transport=gate).upload(pieces(), total_bytes=len(data))
    assert uploaded_crc(x_sandbox, media.id) == zlib.crc32(data)
    assert len(ahead) == 12
    assert ahead[2] == 3, "the first appends were not held"
    # In flight (max_concurrency) plus the one chunk read while waiting for a free slot.
    assert max(ahead) <= 3 + 1, ahead


async def test_sequential_appends_are_in_order(make_x: XFactory, x_sandbox: XMediaSandbox) -> None:
    await make_x(max_concurrency=1).upload(video_bytes(200_000))
    segments = [seg for _, path, seg in x_sandbox.log if path.endswith("/append")]
    assert segments == [0, 1, 2, 3]


# --- the one-shot upload -----------------------------------------------------------------------


async def test_simple_upload_takes_subtitles(make_x: XFactory, x_sandbox: XMediaSandbox) -> None:
    srt = b"1\n00:00:01,000 --> 00:00:02,000\nHello\n"
    media = await make_x().simple_upload(srt)
    upload = x_sandbox.uploads[media.id]
    assert (upload.media_type, upload.media_category) == ("text/srt", "subtitles")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({}, "media_type"),  # sniffed video/mp4
        ({"media_type": "video/mp4"}, "media_type"),
        ({"media_type": "image/png", "media_category": "tweet_video"}, "media_category"),
    ],
)
async def test_simple_upload_refuses_video(
    kwargs: dict[str, Any], field: str, make_x: XFactory, x_sandbox: XMediaSandbox
) -> None:
    with pytest.raises(RequestValidationError) as info:
        await make_x().simple_upload(video_bytes(1000), **kwargs)
    assert info.value.field == field
    assert not x_sandbox.log


@pytest.mark.parametrize(
    ("head", "size"),
    [(PNG_HEAD, 5 * 1024 * 1024 + 1), (b"GIF89a", 15 * 1024 * 1024 + 1)],
)
async def test_simple_upload_refuses_large_images_before_reading(
    head: bytes, size: int, make_x: XFactory, x_sandbox: XMediaSandbox
) -> None:
    async def pieces() -> AsyncIterator[bytes]:
        yield head + b"\x00" * (512 - len(head))
        raise AssertionError("read past the sniffed head")

    with pytest.raises(RequestValidationError) as info:
        await make_x().simple_upload(pieces(), total_bytes=size)
    assert info.value.field == "total_bytes" and "one-shot limit" in info.value.rule
    assert not x_sandbox.log


# --- HEIF / AVIF -------------------------------------------------------------------------------


async def test_heic_is_refused_not_sent_as_mp4(make_x: XFactory, x_sandbox: XMediaSandbox) -> None:
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + os.urandom(2000)
    with pytest.raises(RequestValidationError) as info:
        await make_x().upload(heic)
    assert info.value.field == "media_type" and "HEIC" in info.value.rule
    assert not x_sandbox.log


# --- aborted uploads keep their media id -------------------------------------------------------


async def test_failed_append_reports_the_session(
    make_x: XFactory, x_sandbox: XMediaSandbox
) -> None:
    fault = x_sandbox.add_fault(endpoint="append", status=503, times=0, segment_index=2)
    x = make_x(max_concurrency=1, retry=XRetryPolicy(max_retries=2, backoff_initial=0.001))
    with pytest.raises(MediaUploadAbortedError) as info:
        await x.upload(video_bytes(300_000))
    err = info.value
    assert fault.hits == 3
    assert err.media_id in x_sandbox.uploads
    assert err.bytes_acknowledged == 2 * 65_536 and err.total_bytes == 300_000
    assert x_sandbox.uploads[err.media_id].received == 2 * 65_536
    assert isinstance(err.cause, XAPIError) and err.cause.status == 503
    assert err.media_id in str(err)
    assert not finalized(x_sandbox)


async def test_finalize_failure_reports_the_session(
    make_x: XFactory, x_sandbox: XMediaSandbox
) -> None:
    x_sandbox.add_fault(endpoint="finalize", status=400, times=0)
    with pytest.raises(MediaUploadAbortedError) as info:
        await make_x().upload(video_bytes(1000))
    assert info.value.media_id in x_sandbox.uploads
    assert info.value.bytes_acknowledged == 1000
    assert isinstance(info.value.cause, XAPIError) and info.value.cause.status == 400
