"""X media upload end to end: the client against the X media sandbox (loopback) and the mock
transport. Written once; the sync twin is generated."""

from __future__ import annotations

import itertools
import json
import logging
import os
import re
import threading
import time
import zlib
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from oneall_push._io import (
    AsyncBackend,
    AsyncHttpTransport,
    AsyncMockTransport,
    AsyncSignal,
    AsyncTransport,
    Request,
    Response,
    Timeout,
)
from oneall_push.errors import (
    ConfigurationError,
    ConnectError,
    MediaAfterFinalizeError,
    MediaProcessingError,
    MediaProcessingTimeoutError,
    MediaSessionExpiredError,
    MediaSourceError,
    MediaUploadAbortedError,
    OutcomeUnknownError,
    RequestValidationError,
    XAPIError,
    XRateLimitError,
    XUsageCappedError,
)
from oneall_push.sandbox.xmedia import XMediaSandbox
from oneall_push.xmedia import (
    AsyncXMedia,
    MediaEvent,
    ProcessingProgress,
    UploadProgress,
    XRetryPolicy,
)
from tests.xmedia_tokens import X_TOKEN, X_TOKEN_NO_SCOPE

# The lead may move this line to tests/conftest.py; then delete it here.
pytest_plugins = ["tests.xmedia_fixtures"]

MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
PNG_HEAD = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
FAST_RETRY = XRetryPolicy(backoff_initial=0.001, backoff_max=0.005)

XFactory = Callable[..., AsyncXMedia]


def video_bytes(size: int) -> bytes:
    return MP4_HEAD + os.urandom(size - len(MP4_HEAD))


@pytest.fixture
async def make_x(x_sandbox: XMediaSandbox) -> AsyncIterator[XFactory]:
    """Clients aimed at the sandbox (or at the mock transport with ``transport=``)."""
    made: list[AsyncXMedia] = []

    def make(**kwargs: Any) -> AsyncXMedia:
        kwargs.setdefault("bearer_token", X_TOKEN)
        kwargs.setdefault("base_url", x_sandbox.base_url)
        kwargs.setdefault("retry", FAST_RETRY)
        kwargs.setdefault("min_poll_interval", 0.001)
        kwargs.setdefault("chunk_size", 64 * 1024)
        client = AsyncXMedia(**kwargs)
        made.append(client)
        return client

    yield make
    for client in made:
        await client.close()


def uploaded_crc(sandbox: XMediaSandbox, media_id: str) -> int:
    return sandbox.uploads[media_id].crc32()


def finalized(sandbox: XMediaSandbox) -> bool:
    """Whether any finalize request reached the sandbox."""
    return any(path.endswith("/finalize") for _, path, _ in sandbox.log)


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


def chunk_sizes(total: int, chunk: int) -> list[int]:
    return [min(chunk, total - start) for start in range(0, total, chunk)]


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


# --- input refused before anything is sent -------------------------------------------------


async def test_unknown_content_is_refused_before_sending(
    make_x: XFactory, x_sandbox: XMediaSandbox
) -> None:
    with pytest.raises(RequestValidationError) as info:
        await make_x().upload(b"just some text that is no media" * 10)
    assert info.value.field == "media_type"
    assert not x_sandbox.log


async def test_extension_is_used_when_content_says_nothing(
    make_x: XFactory, x_sandbox: XMediaSandbox, tmp_path: Path
) -> None:
    path = tmp_path / "movie.mov"
    path.write_bytes(b"\x00" * 5000)
    media = await make_x().upload(path)
    assert x_sandbox.uploads[media.id].media_type == "video/quicktime"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"media_type": "application/octet-stream"}, "media_type"),
        ({"media_category": "tweet_movie"}, "media_category"),
        ({"target": "story"}, "target"),
        ({"total_bytes": 5}, "total_bytes"),
        ({"alt_text": "x" * 1001}, "alt_text"),
        ({"additional_owners": ["alice"]}, "additional_owners"),
        ({"additional_owners": "2244994945"}, "additional_owners"),
        ({"additional_owners": [2244994945]}, "additional_owners"),
        ({"shared": "false"}, "shared"),
        ({"shared": 0}, "shared"),
        ({"processing_deadline": -1}, "processing_deadline"),
        ({"processing_deadline": 0}, "processing_deadline"),
        ({"processing_deadline": True}, "processing_deadline"),
        ({"total_bytes": "1000"}, "total_bytes"),
        ({"total_bytes": True}, "total_bytes"),
        ({"wait": "no"}, "wait"),
        ({"progress": "print"}, "progress"),
    ],
)
async def test_bad_arguments_are_refused_before_sending(
    kwargs: dict[str, Any], field: str, make_x: XFactory, x_sandbox: XMediaSandbox
) -> None:
    with pytest.raises(RequestValidationError) as info:
        await make_x().upload(video_bytes(1000), **kwargs)
    assert info.value.field == field
    assert not x_sandbox.log


async def test_chunks_beyond_max_chunk_size_are_refused(
    make_x: XFactory, x_sandbox: XMediaSandbox
) -> None:
    x = make_x(chunk_size=100, max_chunk_size=100)
    with pytest.raises(RequestValidationError) as info:
        await x.upload(video_bytes(100_001))
    assert info.value.field == "chunk_size"
    assert "1000 segments" in str(info.value) and "max_chunk_size=100" in str(info.value)
    assert not x_sandbox.log


async def test_iterator_needs_total_bytes(make_x: XFactory, x_sandbox: XMediaSandbox) -> None:
    async def pieces() -> AsyncIterator[bytes]:
        yield video_bytes(1000)

    with pytest.raises(RequestValidationError) as info:
        await make_x().upload(pieces())
    assert info.value.field == "total_bytes"
    assert not x_sandbox.log


@pytest.mark.parametrize(
    ("declared", "rule", "acknowledged"), [(2000, "ended after", 0), (500, "more than", 500)]
)
async def test_iterator_of_the_wrong_size(
    declared: int, rule: str, acknowledged: int, make_x: XFactory, x_sandbox: XMediaSandbox
) -> None:
    async def pieces() -> AsyncIterator[bytes]:
        yield video_bytes(1000)

    with pytest.raises(MediaSourceError, match=rule) as info:
        await make_x().upload(pieces(), total_bytes=declared)
    err = info.value
    assert err.field == "source" and err.media_id in x_sandbox.uploads
    assert err.bytes_acknowledged == acknowledged and err.total_bytes == declared
    assert not finalized(x_sandbox)


async def test_short_iterator_with_appends_in_flight(
    make_x: XFactory, x_sandbox: XMediaSandbox
) -> None:
    data = video_bytes(200_000)

    async def pieces() -> AsyncIterator[bytes]:
        yield data

    with pytest.raises(MediaSourceError, match="ended after 200000") as info:
        await make_x(max_concurrency=3).upload(pieces(), total_bytes=300_000)
    # The three whole chunks in flight were finished and counted before the error.
    assert info.value.bytes_acknowledged == 3 * 65_536
    assert x_sandbox.uploads[info.value.media_id].received == 3 * 65_536
    assert not finalized(x_sandbox)


async def test_missing_file(make_x: XFactory, tmp_path: Path) -> None:
    with pytest.raises(RequestValidationError) as info:
        await make_x().upload(tmp_path / "nope.mp4")
    assert info.value.field == "source"


# --- processing ----------------------------------------------------------------------------


async def test_processing_failure_is_typed(make_x: XFactory, x_sandbox: XMediaSandbox) -> None:
    x_sandbox.processing = "fail"
    with pytest.raises(MediaProcessingError) as info:
        await make_x().upload(video_bytes(1000))
    err = info.value
    assert (err.code, err.name, err.message) == (1, "InvalidMedia", "Unsupported video format")
    assert err.media_id in x_sandbox.uploads


async def test_error_while_in_progress_stops_polling(
    make_x: XFactory, x_sandbox: XMediaSandbox
) -> None:
    x_sandbox.processing = "error_in_progress"
    with pytest.raises(MediaProcessingError) as info:
        await make_x().upload(video_bytes(1000))
    assert info.value.name == "UnsupportedMedia"
    upload = x_sandbox.uploads[info.value.media_id]
    assert upload.polls == x_sandbox.processing_polls  # stopped at the first error


async def test_processing_deadline(make_x: XFactory, x_sandbox: XMediaSandbox) -> None:
    x_sandbox.processing = "stuck"
    with pytest.raises(MediaProcessingTimeoutError) as info:
        await make_x(min_poll_interval=0.02).upload(video_bytes(1000), processing_deadline=0.2)
    assert info.value.last_state == "in_progress"
    assert info.value.deadline == 0.2
    assert isinstance(info.value, TimeoutError)


async def test_no_wait_returns_pending_media(make_x: XFactory, x_sandbox: XMediaSandbox) -> None:
    x = make_x()
    media = await x.upload(video_bytes(1000), wait=False)
    assert media.state == "pending" and not media.ready
    done = await x.wait_for_processing(media)
    assert done.ready and done.media_type == "video/mp4"


# --- X's checks, faults and retries --------------------------------------------------------


async def test_append_retried_after_5xx(make_x: XFactory, x_sandbox: XMediaSandbox) -> None:
    fault = x_sandbox.add_fault(endpoint="append", status=503, times=2, segment_index=1)
    data = video_bytes(200_000)
    media = await make_x().upload(data)
    assert fault.hits == 2
    assert uploaded_crc(x_sandbox, media.id) == zlib.crc32(data)


def rate_limit_wait_bounds(clock: AsyncFakeClock, reset_in: float) -> tuple[float, float]:
    """The range of the wait for a sandbox 429 sent ``reset_in`` s before its reset: the
    sandbox rounds the reset up to whole seconds from its real clock, which ran on since
    ``clock`` was made; the client adds 1 s of slack."""
    ran_on = time.time() - clock.start_wall
    return reset_in + 1 - 0.001, reset_in + 2 + ran_on


async def test_append_retried_after_429_until_reset(
    make_x: XFactory, x_sandbox: XMediaSandbox
) -> None:
    clock = AsyncFakeClock(wall=time.time())
    fault = x_sandbox.add_fault(endpoint="append", kind="rate_limit", reset_in=30)
    media = await make_x(backend=clock).upload(video_bytes(200_000), wait=False)
    assert fault.hits == 1 and x_sandbox.uploads[media.id].received == 200_000
    low, high = rate_limit_wait_bounds(clock, 30)
    [waited] = clock.slept
    assert low < waited <= high


async def test_usage_capped_429_is_not_retried(make_x: XFactory, x_sandbox: XMediaSandbox) -> None:
    fault = x_sandbox.add_fault(endpoint="append", kind="usage_capped", times=0)
    with pytest.raises(MediaUploadAbortedError) as info:
        await make_x(max_concurrency=1).upload(video_bytes(1000))
    assert fault.hits == 1
    cause = info.value.cause
    assert isinstance(cause, XUsageCappedError) and info.value.__cause__ is cause
    assert cause.status == 429 and "usage-capped" in (cause.type or "")


async def test_24_hour_limit_far_away_raises_with_reset(
    make_x: XFactory, x_sandbox: XMediaSandbox
) -> None:
    fault = x_sandbox.add_fault(endpoint="append", kind="rate_limit_24h", reset_in=3600)
    with pytest.raises(MediaUploadAbortedError) as info:
        await make_x(max_concurrency=1).upload(video_bytes(1000))
    assert fault.hits == 1
    assert isinstance(info.value.cause, XRateLimitError)
    assert info.value.cause.reset_at is not None


async def test_edge_413_for_large_chunks(make_x: XFactory, x_sandbox: XMediaSandbox) -> None:
    x_sandbox.max_chunk_bytes = 32 * 1024
    with pytest.raises(MediaUploadAbortedError) as info:
        await make_x(max_concurrency=1).upload(video_bytes(100_000))
    assert isinstance(info.value.cause, XAPIError) and info.value.cause.status == 413
    assert "lower chunk_size" in str(info.value)


async def test_edge_431_with_an_empty_body(make_x: XFactory, x_sandbox: XMediaSandbox) -> None:
    x_sandbox.add_fault(endpoint="append", kind="empty", status=431, times=0)
    with pytest.raises(MediaUploadAbortedError) as info:
        await make_x(max_concurrency=1).upload(video_bytes(100_000))
    cause = info.value.cause
    assert isinstance(cause, XAPIError) and cause.status == 431
    assert "empty response body" in str(cause) and "lower chunk_size" in str(cause)
    assert info.value.bytes_acknowledged == 0 and not finalized(x_sandbox)


async def test_initialize_is_not_retried_on_5xx(make_x: XFactory, x_sandbox: XMediaSandbox) -> None:
    fault = x_sandbox.add_fault(endpoint="initialize", status=503, times=0)
    with pytest.raises(XAPIError) as info:
        await make_x().upload(video_bytes(1000))
    assert info.value.status == 503 and fault.hits == 1
    assert not x_sandbox.uploads


async def test_initialize_is_retried_on_429(make_x: XFactory, x_sandbox: XMediaSandbox) -> None:
    clock = AsyncFakeClock(wall=time.time())
    fault = x_sandbox.add_fault(endpoint="initialize", kind="rate_limit", reset_in=30)
    media = await make_x(backend=clock).upload(video_bytes(1000))
    assert fault.hits == 1 and len(x_sandbox.uploads) == 1 and media.ready
    low, high = rate_limit_wait_bounds(clock, 30)
    assert low < clock.slept[0] <= high
    assert clock.slept[1:] == [0.001] * 2  # then the status checks, at min_poll_interval


async def test_status_retried_after_empty_404(make_x: XFactory, x_sandbox: XMediaSandbox) -> None:
    fault = x_sandbox.add_fault(endpoint="status", kind="empty", status=404)
    media = await make_x().upload(video_bytes(1000))
    assert fault.hits == 1 and media.ready


async def test_bad_token_401_and_missing_scope_403(make_x: XFactory) -> None:
    with pytest.raises(XAPIError) as info:
        await make_x(bearer_token="x-SECRET-wrong").upload(video_bytes(1000))
    assert info.value.status == 401 and info.value.title == "Unauthorized"
    with pytest.raises(XAPIError) as info:
        await make_x(bearer_token=X_TOKEN_NO_SCOPE).upload(video_bytes(1000))
    assert info.value.status == 403


async def test_sandbox_low_level_checks(make_x: XFactory, x_sandbox: XMediaSandbox) -> None:
    x = make_x()
    session = await x.initialize(media_type="video/mp4", total_bytes=20)
    # 1-based segments are named at finalize.
    await x.append(session.id, 1, b"a" * 10)
    await x.append(session.id, 2, b"b" * 10)
    with pytest.raises(XAPIError) as info:
        await x.finalize(session.id)
    assert info.value.status == 400
    assert any("segment_index starts at 0" in m for m in info.value.messages)
    # Finalize before all bytes.
    other = await x.initialize(media_type="video/mp4", total_bytes=20, media_category="tweet_video")
    await x.append(other.id, 0, b"a" * 10)
    with pytest.raises(XAPIError) as info:
        await x.finalize(other.id)
    assert any("before all bytes" in m for m in info.value.messages)
    # Too many bytes.
    await x.append(other.id, 1, b"b" * 11)
    with pytest.raises(XAPIError) as info:
        await x.finalize(other.id)
    assert any("mismatch" in m for m in info.value.messages)
    # Unknown media id.
    with pytest.raises(XAPIError) as info:
        await x.status("1234")
    assert info.value.status == 404 and info.value.type is not None
    assert "resource-not-found" in info.value.type
    with pytest.raises(RequestValidationError):
        await x.append(other.id, 1000, b"x")


@pytest.mark.parametrize(
    "content_type",
    [
        "multipart/form-data, boundary=abc",
        "multipart/form-data",
        "application/x-www-form-urlencoded",
    ],
)
async def test_sandbox_rejects_bad_append_content_type(
    content_type: str, make_x: XFactory, x_sandbox: XMediaSandbox
) -> None:
    session = await make_x().initialize(media_type="video/mp4", total_bytes=10)
    transport = AsyncHttpTransport()
    try:
        response = await transport.send(
            Request(
                "POST",
                f"{x_sandbox.base_url}/2/media/upload/{session.id}/append",
                headers={"Authorization": f"Bearer {X_TOKEN}", "Content-Type": content_type},
                body=b"--abc\r\n\r\n--abc--\r\n",
                timeout=Timeout(),
            )
        )
    finally:
        await transport.close()
    assert response.status == 400
    document = json.loads(response.body)
    assert document["errors"][0]["message"] == (
        "Requests with bodies must have content-type of application/json."
    )


async def test_sandbox_requires_segment_index_and_json_finalize(
    make_x: XFactory, x_sandbox: XMediaSandbox
) -> None:
    session = await make_x().initialize(media_type="video/mp4", total_bytes=10)
    transport = AsyncHttpTransport()
    base = f"{x_sandbox.base_url}/2/media/upload/{session.id}"
    auth = {"Authorization": f"Bearer {X_TOKEN}"}
    body = (
        b'--b1\r\nContent-Disposition: form-data; name="media"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n0123456789\r\n--b1--\r\n"
    )
    try:
        missing = await transport.send(
            Request(
                "POST",
                base + "/append",
                headers={**auth, "Content-Type": "multipart/form-data; boundary=b1"},
                body=body,
            )
        )
        bodiless = await transport.send(Request("POST", base + "/finalize", headers=auth))
    finally:
        await transport.close()
    assert missing.status == 400
    assert json.loads(missing.body)["errors"][0]["message"] == "segment_index is required"
    assert bodiless.status == 400
    assert "application/json" in json.loads(bodiless.body)["errors"][0]["message"]


# --- secrets -------------------------------------------------------------------------------


async def test_token_never_leaks(
    make_x: XFactory, x_sandbox: XMediaSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    x_sandbox.add_fault(endpoint="append", status=500, times=0)
    x = make_x(retry=XRetryPolicy(max_retries=1, backoff_initial=0.001, backoff_max=0.001))
    with pytest.raises(MediaUploadAbortedError) as info:
        await x.upload(video_bytes(1000))
    for text in (repr(x), str(x), str(info.value), repr(info.value), caplog.text):
        assert X_TOKEN not in text
    assert repr(x).endswith("auth=BearerAuth)")
    with pytest.raises(XAPIError) as denied:
        await make_x(bearer_token="x-SECRET-wrong").status("1")
    assert "x-SECRET-wrong" not in str(denied.value) + repr(denied.value) + caplog.text


# --- the mock transport: exact waits and retries -------------------------------------------


class AsyncFakeClock(AsyncBackend):
    """Sleeping takes no time; monotonic and wall clocks advance by what was slept.

    Its signals wait on this clock too (see the clock signal below); with ``hold_waits`` they
    really wait, at most 5 s, for someone to set them.
    """

    def __init__(self, *, wall: float = 1_700_001_000.0) -> None:
        self.now = 1_000.0
        self.start_wall = wall
        self.slept: list[float] = []
        self.signals: list[AsyncClockSignal] = []
        self.hold_waits = False
        self.waiting = AsyncSignal()  # set when a held wait begins
        self.held: list[tuple[float, bool]] = []  # (timeout, woken by the signal)

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def monotonic(self) -> float:
        return self.now

    def wall_clock(self) -> float:
        return self.start_wall + self.now - 1_000.0

    def signal(self) -> AsyncClockSignal:
        signal = AsyncClockSignal(self)
        self.signals.append(signal)
        return signal


class AsyncClockSignal(AsyncSignal):
    """A wait takes no time (a sleep on the fake clock) and ends early only if the signal is
    already set; with ``clock.hold_waits`` it really waits for the signal instead."""

    def __init__(self, clock: AsyncFakeClock) -> None:
        super().__init__()
        self.clock = clock

    async def wait(self, timeout: float) -> bool:
        if self.clock.hold_waits:
            self.clock.waiting.set()
            woken = await super().wait(5.0)
            self.clock.held.append((timeout, woken))
            return woken
        if self.is_set():
            return True
        await self.clock.sleep(timeout)
        return self.is_set()


def answer(status: int = 200, document: Any = None, **headers: str) -> Response:
    body = b"" if document is None else json.dumps(document).encode()
    return Response(status=status, headers=headers, body=body)


MEDIA = {"id": "42", "media_key": "7_42", "expires_after_secs": 86400}


def processing(state: str, check: float | None = None, **extra: Any) -> Response:
    info: dict[str, Any] = {"state": state, **extra}
    if check is not None:
        info["check_after_secs"] = check
    return answer(document={"data": {**MEDIA, "processing_info": info}})


Script = dict[str, list["Response | BaseException"]]


def script_handler(script: Script) -> Callable[[Request], Response | BaseException]:
    def handle(request: Request) -> Response | BaseException:
        queue = script[request.endpoint or ""]
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return handle


def mock_client(script: Script, clock: AsyncFakeClock, **kwargs: Any) -> AsyncXMedia:
    kwargs.setdefault("retry", XRetryPolicy())
    return AsyncXMedia(
        bearer_token=X_TOKEN,
        transport=AsyncMockTransport(script_handler(script)),
        backend=clock,
        **kwargs,
    )


async def test_polling_waits_check_after_secs_at_least_one_second() -> None:
    clock = AsyncFakeClock()
    script: Script = {
        "media.initialize": [answer(document={"data": MEDIA})],
        "media.append": [answer(204)],
        "media.finalize": [processing("pending", 5)],
        "media.status": [
            processing("in_progress", 0, progress_percent=40),
            processing("in_progress"),
            processing("succeeded", progress_percent=100),
        ],
    }
    async with mock_client(script, clock) as x:
        media = await x.upload(video_bytes(1000))
    assert clock.slept == [5, 1, 1]
    assert media.ready and media.id == "42"


async def test_deadline_with_a_fake_clock() -> None:
    clock = AsyncFakeClock()
    script: Script = {
        "media.initialize": [answer(document={"data": MEDIA})],
        "media.append": [answer(200, {"data": {"expires_at": 1}})],
        "media.finalize": [processing("pending", 3)],
        "media.status": [processing("in_progress", 3, progress_percent=10)],
    }
    x = mock_client(script, clock, processing_deadline=10)
    with pytest.raises(MediaProcessingTimeoutError) as info:
        await x.upload(video_bytes(1000))
    await x.close()
    assert clock.slept == [3, 3, 3, 1]
    assert info.value.media_id == "42" and info.value.deadline == 10


async def test_failed_without_error_object() -> None:
    clock = AsyncFakeClock()
    script: Script = {
        "media.initialize": [answer(document={"data": MEDIA})],
        "media.append": [answer(204)],
        "media.finalize": [processing("failed")],
    }
    x = mock_client(script, clock)
    with pytest.raises(MediaProcessingError) as info:
        await x.upload(video_bytes(1000))
    await x.close()
    assert info.value.media_id == "42" and info.value.code is None


async def test_connect_errors_on_append_are_retried_and_rate_limit_waits_for_reset() -> None:
    clock = AsyncFakeClock()
    reset = str(int(clock.wall_clock()) + 30)
    script: Script = {
        "media.initialize": [answer(document={"data": MEDIA})],
        "media.append": [
            ConnectError("refused"),
            OutcomeUnknownError("reset by peer"),
            answer(429, {"title": "Too Many Requests"}, **{"x-rate-limit-reset": reset}),
            answer(204),
        ],
        "media.finalize": [answer(document={"data": MEDIA})],
    }
    async with mock_client(script, clock) as x:
        media = await x.upload(video_bytes(1000))
    assert media.ready
    assert len(clock.slept) == 3
    # The reset plus 1 s of slack, minus the two backoffs already slept (0.75 to 1.5 s).
    assert 29.5 <= clock.slept[2] <= 30.25


async def test_initialize_outcome_unknown_is_not_retried() -> None:
    clock = AsyncFakeClock()
    script: Script = {"media.initialize": [OutcomeUnknownError("read timeout")]}
    x = mock_client(script, clock)
    with pytest.raises(OutcomeUnknownError):
        await x.upload(video_bytes(1000))
    await x.close()
    assert clock.slept == []


async def test_retries_give_up_after_max_retries() -> None:
    clock = AsyncFakeClock()
    script: Script = {
        "media.initialize": [answer(document={"data": MEDIA})],
        "media.append": [answer(502, {"title": "Bad Gateway"})],
    }
    x = mock_client(script, clock, retry=XRetryPolicy(max_retries=2))
    with pytest.raises(MediaUploadAbortedError) as info:
        await x.upload(video_bytes(1000))
    await x.close()
    assert isinstance(info.value.cause, XAPIError) and info.value.cause.status == 502
    assert info.value.media_id == "42" and len(clock.slept) == 2


async def test_200_with_data_and_errors_keeps_warnings() -> None:
    clock = AsyncFakeClock()
    warning = {"data": MEDIA, "errors": [{"message": "alt text ignored"}]}
    script: Script = {
        "media.initialize": [answer(document={"data": MEDIA})],
        "media.append": [answer(204)],
        "media.finalize": [answer(document=warning)],
    }
    async with mock_client(script, clock) as x:
        media = await x.upload(video_bytes(1000))
    assert media.warnings == ("alt text ignored",)


async def test_the_wire_format() -> None:
    clock = AsyncFakeClock()
    script: Script = {
        "media.initialize": [answer(document={"data": MEDIA})],
        "media.append": [answer(204)],
        "media.finalize": [answer(document={"data": MEDIA})],
    }
    transport = AsyncMockTransport(script_handler(script))
    async with AsyncXMedia(bearer_token=X_TOKEN, transport=transport, backend=clock) as x:
        await x.upload(video_bytes(1000), additional_owners=["2244994945"], shared=False)
    init, append, final = transport.requests
    assert init.url == "https://api.x.com/2/media/upload/initialize"
    assert init.headers["Content-Type"] == "application/json"
    assert init.headers["Authorization"] == f"Bearer {X_TOKEN}"
    assert json.loads(init.body or b"") == {
        "media_type": "video/mp4",
        "total_bytes": 1000,
        "media_category": "tweet_video",
        "additional_owners": ["2244994945"],
        "shared": False,
    }
    assert append.url == "https://api.x.com/2/media/upload/42/append"
    assert append.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    assert b'name="segment_index"\r\n\r\n0\r\n' in (append.body or b"")
    assert b"filename" not in (append.body or b"")
    assert b"Content-Type: application/octet-stream" in (append.body or b"")
    assert final.body == b"{}" and final.headers["Content-Type"] == "application/json"
    assert X_TOKEN not in repr(init)


# --- arguments and configuration are checked before anything is sent ------------------------


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"chunk_size": "4"}, "chunk_size"),
        ({"chunk_size": True}, "chunk_size"),
        ({"chunk_size": 0}, "chunk_size"),
        ({"max_chunk_size": 1.5}, "max_chunk_size"),
        ({"chunk_size": 2048, "max_chunk_size": 1024}, "max_chunk_size"),
        ({"max_concurrency": 2.5}, "max_concurrency"),
        ({"max_concurrency": 0}, "max_concurrency"),
        ({"max_concurrency": 17}, "max_concurrency"),
        ({"min_poll_interval": -5}, "min_poll_interval"),
        ({"min_poll_interval": "1"}, "min_poll_interval"),
        ({"processing_deadline": 0}, "processing_deadline"),
        ({"processing_deadline": float("nan")}, "processing_deadline"),
        ({"retry": 3}, "retry"),
        ({"base_url": "api.x.com"}, "base_url"),
    ],
)
def test_bad_configuration_names_the_argument(kwargs: dict[str, Any], name: str) -> None:
    with pytest.raises(ConfigurationError, match=name):
        AsyncXMedia(bearer_token=X_TOKEN, **kwargs)


async def test_low_level_calls_check_types(make_x: XFactory, x_sandbox: XMediaSandbox) -> None:
    x = make_x()
    with pytest.raises(RequestValidationError) as info:
        await x.initialize(media_type="video/mp4", total_bytes=10, shared="false")  # type: ignore[arg-type]
    assert info.value.field == "shared"
    with pytest.raises(RequestValidationError) as info:
        await x.initialize(media_type="video/mp4", total_bytes="10")  # type: ignore[arg-type]
    assert info.value.field == "total_bytes"
    with pytest.raises(RequestValidationError) as info:
        await x.append("42", True, b"x")
    assert info.value.field == "segment_index"
    with pytest.raises(RequestValidationError) as info:
        await x.create_metadata("42", "alt")  # type: ignore[arg-type]
    assert info.value.field == "metadata"
    assert not x_sandbox.log


# --- files that change while they are read -----------------------------------------------------


@pytest.mark.parametrize("kind", ["path", "file"])
@pytest.mark.parametrize("change", ["grow", "shrink", "rewrite"])
async def test_a_file_changing_during_upload_is_refused(
    kind: str, change: str, make_x: XFactory, x_sandbox: XMediaSandbox, tmp_path: Path
) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(video_bytes(300_001))
    done: list[int] = []

    def meddle(event: MediaEvent) -> None:
        if not isinstance(event, UploadProgress) or done:
            return
        done.append(event.bytes_sent)
        if change == "grow":
            with path.open("ab") as fh:
                fh.write(b"more")
        elif change == "shrink":
            os.truncate(path, 100_000)
        else:
            with path.open("r+b") as fh:
                fh.seek(200_000)
                fh.write(b"rewritten")
            info = path.stat()
            os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + 2_000_000_000))

    x = make_x(max_concurrency=1)
    with pytest.raises(MediaSourceError) as caught:
        if kind == "path":
            await x.upload(path, progress=meddle)
        else:
            with path.open("rb") as fh:
                await x.upload(fh, progress=meddle)
    err = caught.value
    expected = {"grow": "grew", "shrink": "shrank", "rewrite": "modification time"}[change]
    assert err.field == "source" and expected in err.rule
    assert err.media_id in x_sandbox.uploads and err.total_bytes == 300_001
    acknowledged = 65_536 if change == "shrink" else 300_001
    assert err.bytes_acknowledged == acknowledged
    assert x_sandbox.uploads[err.media_id].received == acknowledged
    assert not finalized(x_sandbox)


class AsyncCountingBackend(AsyncBackend):
    """Records the blocking calls the reader hands to ``run_sync``."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    async def run_sync(self, fn: Callable[..., Any], *args: Any) -> Any:
        self.calls.append(getattr(fn, "__name__", repr(fn)))
        return await super().run_sync(fn, *args)


async def test_file_work_goes_through_the_backend(make_x: XFactory, tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(video_bytes(200_000))
    backend = AsyncCountingBackend()
    await make_x(backend=backend).upload(path)
    assert backend.calls[0] == "_open_path"
    # Head, 4 chunks, the end-of-file probe; then the stat check and close.
    assert backend.calls.count("read_exactly") == 6
    assert backend.calls[-2:] == ["file_snapshot", "close"]


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


# --- custom auth -------------------------------------------------------------------------------


class NonceSigner:
    """An OAuth 1.0a-shaped signer: a fresh nonce per call; its repr shows its secret."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.secret = "oauth-SECRET-consumer"
        self.calls: list[tuple[str, str]] = []

    def headers(self, method: str, url: str) -> Mapping[str, str]:
        self.calls.append((method, url))
        return {"Authorization": f"Bearer {self.token}", "X-Nonce": str(len(self.calls))}

    def __repr__(self) -> str:
        return f"NonceSigner(secret={self.secret!r})"


async def test_custom_auth_end_to_end(make_x: XFactory, x_sandbox: XMediaSandbox) -> None:
    signer = NonceSigner(X_TOKEN)
    x_sandbox.add_fault(endpoint="append", status=503, times=1, segment_index=0)
    x = make_x(bearer_token=None, auth=signer, max_concurrency=1)
    media = await x.upload(video_bytes(1000))
    assert media.ready
    base = x_sandbox.base_url
    assert signer.calls[0] == ("POST", f"{base}/2/media/upload/initialize")
    # The retried append was signed again.
    append = f"{base}/2/media/upload/{media.id}/append"
    assert signer.calls[1:3] == [("POST", append), ("POST", append)]
    assert ("POST", f"{base}/2/media/upload/{media.id}/finalize") in signer.calls
    status = f"{base}/2/media/upload?media_id={media.id}&command=STATUS"
    assert ("GET", status) in signer.calls
    assert repr(x).endswith("auth=NonceSigner)") and "SECRET" not in repr(x)


async def test_auth_headers_are_made_per_attempt() -> None:
    clock = AsyncFakeClock()
    script: Script = {
        "media.initialize": [answer(document={"data": MEDIA})],
        "media.append": [OutcomeUnknownError("reset"), answer(503, {"title": "x"}), answer(204)],
        "media.finalize": [answer(document={"data": MEDIA})],
    }
    signer = NonceSigner("t")
    transport = AsyncMockTransport(script_handler(script))
    async with AsyncXMedia(auth=signer, transport=transport, backend=clock) as x:
        await x.upload(video_bytes(1000))
    nonces = [r.headers["X-Nonce"] for r in transport.requests]
    assert nonces == ["1", "2", "3", "4", "5"]


# --- waits bounded by the processing deadline and the session expiry ------------------------


async def test_rate_limit_on_status_cannot_outlast_the_deadline() -> None:
    clock = AsyncFakeClock()
    reset = str(int(clock.wall_clock()) + 850)
    script: Script = {
        "media.initialize": [answer(document={"data": MEDIA})],
        "media.append": [answer(204)],
        "media.finalize": [processing("pending", 3)],
        "media.status": [
            answer(429, {"title": "Too Many Requests"}, **{"x-rate-limit-reset": reset})
        ],
    }
    transport = AsyncMockTransport(script_handler(script))
    x = AsyncXMedia(
        bearer_token=X_TOKEN, transport=transport, backend=clock, processing_deadline=10
    )
    with pytest.raises(MediaProcessingTimeoutError) as info:
        await x.upload(video_bytes(1000))
    await x.close()
    assert clock.slept == [3]  # no 850 s sleep
    assert isinstance(info.value.__cause__, XRateLimitError)
    status = [r for r in transport.requests if r.endpoint == "media.status"]
    assert len(status) == 1 and status[0].timeout.read == 7  # capped by the time left


async def test_upload_stops_once_the_session_expired() -> None:
    clock = AsyncFakeClock()
    reset = str(int(clock.wall_clock()) + 60)
    limited = answer(
        429,
        {"title": "Too Many Requests"},
        **{"x-rate-limit-remaining": "0", "x-rate-limit-reset": reset},
    )
    script: Script = {
        "media.initialize": [answer(document={"data": {**MEDIA, "expires_after_secs": 30}})],
        "media.append": [limited],
    }
    x = mock_client(script, clock)
    with pytest.raises(MediaSessionExpiredError) as info:
        await x.upload(video_bytes(1000))
    await x.close()
    assert clock.slept == []
    assert info.value.media_id == "42" and info.value.bytes_acknowledged == 0
    assert isinstance(info.value.__cause__, XRateLimitError)


async def test_429_without_an_exhausted_window_waits_for_the_nearest_reset() -> None:
    clock = AsyncFakeClock()
    now = int(clock.wall_clock())
    headers = {
        "x-rate-limit-remaining": "3",
        "x-rate-limit-reset": str(now + 20),
        "x-user-limit-24hour-remaining": "5",
        "x-user-limit-24hour-reset": str(now + 5000),
    }
    script: Script = {
        "media.initialize": [answer(document={"data": MEDIA})],
        "media.append": [answer(429, {"title": "Too Many Requests"}, **headers), answer(204)],
        "media.finalize": [answer(document={"data": MEDIA})],
    }
    async with mock_client(script, clock) as x:
        await x.upload(video_bytes(1000))
    assert clock.slept == [21.0]  # the 15-minute reset plus 1 s of slack


# --- 2xx answers that carry only errors ------------------------------------------------------


async def test_2xx_with_only_errors_is_an_error() -> None:
    clock = AsyncFakeClock()
    rejected = answer(200, {"errors": [{"message": "segment rejected"}]})
    script: Script = {
        "media.initialize": [answer(document={"data": MEDIA})],
        "media.append": [rejected],
        "media.metadata": [rejected],
    }
    async with mock_client(script, clock) as x:
        with pytest.raises(MediaUploadAbortedError) as info:
            await x.upload(video_bytes(1000))
        assert isinstance(info.value.cause, XAPIError)
        assert info.value.cause.messages == ("segment rejected",)
        with pytest.raises(XAPIError, match="segment rejected"):
            await x.set_alt_text("42", "a cat")
    assert clock.slept == []


# --- sandbox checks ----------------------------------------------------------------------------


async def test_sandbox_names_a_gap_in_the_middle(make_x: XFactory) -> None:
    x = make_x()
    session = await x.initialize(media_type="video/mp4", total_bytes=30)
    await x.append(session.id, 0, b"a" * 10)
    await x.append(session.id, 2, b"c" * 10)
    with pytest.raises(XAPIError) as info:
        await x.finalize(session.id)
    assert any("segments missing before finalize: [1]" in m for m in info.value.messages)


async def test_sandbox_rejects_a_non_ascii_filename(
    make_x: XFactory, x_sandbox: XMediaSandbox
) -> None:
    session = await make_x().initialize(media_type="video/mp4", total_bytes=10)
    body = (
        b'--b1\r\nContent-Disposition: form-data; name="segment_index"\r\n\r\n0\r\n'
        b'--b1\r\nContent-Disposition: form-data; name="media"; filename="caf\xc3\xa9.mp4"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n0123456789\r\n--b1--\r\n"
    )
    transport = AsyncHttpTransport()
    try:
        response = await transport.send(
            Request(
                "POST",
                f"{x_sandbox.base_url}/2/media/upload/{session.id}/append",
                headers={
                    "Authorization": f"Bearer {X_TOKEN}",
                    "Content-Type": "multipart/form-data; boundary=b1",
                },
                body=body,
            )
        )
    finally:
        await transport.close()
    assert response.status == 400
    assert "non-ASCII filename" in json.loads(response.body)["errors"][0]["message"]
    assert x_sandbox.uploads[session.id].received == 0


# --- after finalize, the media is on X: errors carry it --------------------------------------


async def test_a_status_check_refused_after_finalize_keeps_the_media() -> None:
    clock = AsyncFakeClock()
    script: Script = {
        "media.initialize": [answer(document={"data": MEDIA})],
        "media.append": [answer(204)],
        "media.finalize": [processing("pending", 1)],
        "media.status": [
            processing("in_progress", 1, progress_percent=50),
            answer(403, {"title": "Forbidden", "detail": "Forbidden"}),
        ],
    }
    x = mock_client(script, clock)
    with pytest.raises(MediaAfterFinalizeError) as info:
        await x.upload(video_bytes(1000))
    await x.close()
    err = info.value
    assert (err.media_id, err.step) == ("42", "status")
    # The last media seen: the first status answer, with what upload() knows about it.
    assert err.media.processing_info.progress_percent == 50
    assert err.media.media_type == "video/mp4"
    assert isinstance(err.cause, XAPIError) and err.cause.status == 403
    assert err.__cause__ is err.cause
    assert "media 42 is uploaded" in str(err) and "HTTP 403" in str(err)
    assert clock.slept == [1, 1]  # the 403 was not retried


async def test_alt_text_refused_after_upload_keeps_the_media(
    make_x: XFactory, x_sandbox: XMediaSandbox
) -> None:
    x_sandbox.add_fault(endpoint="metadata", status=400, times=0)
    x = make_x()
    with pytest.raises(MediaAfterFinalizeError) as info:
        await x.upload(PNG_HEAD + os.urandom(5000), alt_text="A cat")
    chunked = info.value
    with pytest.raises(MediaAfterFinalizeError) as info:
        await x.simple_upload(PNG_HEAD + os.urandom(100), alt_text="A cat")
    one_shot = info.value
    assert len(x_sandbox.uploads) == 2
    for err in (chunked, one_shot):
        upload = x_sandbox.uploads[err.media_id]
        assert upload.finalized and upload.alt_text is None
        assert err.step == "metadata" and err.media.id == err.media_id and err.media.ready
        assert isinstance(err.cause, XAPIError) and err.cause.status == 400
        assert err.__cause__ is err.cause


# --- one failing append stops the others ------------------------------------------------------


def segment_of(request: Request) -> int:
    found = re.search(rb'name="segment_index"\r\n\r\n([0-9]+)\r\n', request.body or b"")
    assert found is not None
    return int(found[1])


class AsyncTwoAppends(AsyncTransport):
    """Initialize, then two appends: segment 0 gets a fatal 400, segment 1 a 429 whose reset
    is 10 minutes away.

    Both are in flight before segment 0 is answered. ``fatal_first``: segment 1 is answered
    once the upload is stopping (its stop signal is set); otherwise segment 0 is answered only
    once segment 1 waits for its reset.
    """

    def __init__(self, clock: AsyncFakeClock, *, fatal_first: bool) -> None:
        self.clock = clock
        self.fatal_first = fatal_first
        self.requests: list[Request] = []
        self.second_sent = AsyncSignal()

    async def send(self, request: Request) -> Response:
        self.requests.append(request)
        if request.endpoint == "media.initialize":
            return answer(document={"data": MEDIA})
        if segment_of(request) == 0:
            await (self.second_sent if self.fatal_first else self.clock.waiting).wait(5.0)
            return answer(400, {"title": "Invalid Request"})
        self.second_sent.set()
        if self.fatal_first:
            # The real wait of the upload's stop signal (its own wait() is the fake clock's).
            await AsyncSignal.wait(self.clock.signals[0], 5.0)
        reset = str(int(self.clock.wall_clock()) + 600)
        headers = {"x-rate-limit-remaining": "0", "x-rate-limit-reset": reset}
        return answer(429, {"title": "Too Many Requests"}, **headers)

    async def sleep(self, seconds: float) -> None:
        raise AssertionError("the client sleeps through its backend")


@pytest.mark.parametrize("fatal_first", [True, False])
async def test_a_fatal_append_stops_the_others_rate_limit_wait(fatal_first: bool) -> None:
    clock = AsyncFakeClock()
    clock.hold_waits = not fatal_first
    transport = AsyncTwoAppends(clock, fatal_first=fatal_first)
    x = AsyncXMedia(
        bearer_token=X_TOKEN, transport=transport, backend=clock, chunk_size=500, max_concurrency=2
    )
    with pytest.raises(MediaUploadAbortedError) as info:
        await x.upload(video_bytes(1000))
    await x.close()
    assert isinstance(info.value.cause, XAPIError) and info.value.cause.status == 400
    assert clock.slept == []  # the 10-minute wait was never slept
    if not fatal_first:
        [(timeout, woken)] = clock.held
        assert timeout > 600 and woken  # it was waiting, and the failure woke it
    assert [segment_of(r) for r in transport.requests[1:]].count(1) == 1  # no retry
    assert not any(r.endpoint == "media.finalize" for r in transport.requests)


class AsyncHoldTransport(AsyncTransport):
    """Holds every append until ``release`` is set (at most 5 s), then asks ``inner``."""

    def __init__(self, inner: AsyncTransport, release: AsyncSignal) -> None:
        self.inner = inner
        self.release = release

    async def send(self, request: Request) -> Response:
        if request.endpoint == "media.append":
            await self.release.wait(5.0)
        return await self.inner.send(request)


async def test_a_short_source_wins_over_failing_appends_in_flight() -> None:
    data = video_bytes(1000)
    ended = AsyncSignal()

    async def pieces() -> AsyncIterator[bytes]:
        yield data
        ended.set()

    script: Script = {
        "media.initialize": [answer(document={"data": MEDIA})],
        "media.append": [answer(400, {"title": "Invalid Request"})],
    }
    mock = AsyncMockTransport(script_handler(script))
    x = AsyncXMedia(
        bearer_token=X_TOKEN,
        transport=AsyncHoldTransport(mock, ended),
        backend=AsyncFakeClock(),
        chunk_size=400,
        max_concurrency=3,
    )
    with pytest.raises(MediaSourceError, match="ended after 1000 bytes") as info:
        await x.upload(pieces(), total_bytes=1500)
    await x.close()
    # Both appends in flight were answered 400: the source error still wins.
    assert [r.endpoint for r in mock.requests].count("media.append") == 2
    assert info.value.bytes_acknowledged == 0


# --- the sandbox: auth before faults, one multipart check, checked settings ------------------


async def test_sandbox_checks_the_token_before_faults(
    make_x: XFactory, x_sandbox: XMediaSandbox
) -> None:
    init = x_sandbox.add_fault(endpoint="initialize", status=503)
    status = x_sandbox.add_fault(endpoint="status", status=503)
    stranger = make_x(bearer_token="x-SECRET-wrong")
    with pytest.raises(XAPIError) as info:
        await stranger.initialize(media_type="video/mp4", total_bytes=10)
    assert info.value.status == 401
    with pytest.raises(XAPIError) as info:
        await stranger.status("1")
    assert info.value.status == 401
    assert (init.hits, status.hits) == (0, 0)
    with pytest.raises(XAPIError) as info:
        await make_x().initialize(media_type="video/mp4", total_bytes=10)
    assert info.value.status == 503 and init.hits == 1


@pytest.mark.parametrize("path", ["append", "one-shot"])
@pytest.mark.parametrize("content_type", ["multipart/form-data; boundary=", "multipart/mixed"])
async def test_sandbox_wants_a_multipart_boundary_everywhere(
    path: str, content_type: str, make_x: XFactory, x_sandbox: XMediaSandbox
) -> None:
    session = await make_x().initialize(media_type="video/mp4", total_bytes=10)
    url = f"{x_sandbox.base_url}/2/media/upload"
    if path == "append":
        url += f"/{session.id}/append"
    transport = AsyncHttpTransport()
    try:
        response = await transport.send(
            Request(
                "POST",
                url,
                headers={"Authorization": f"Bearer {X_TOKEN}", "Content-Type": content_type},
                body=b"--\r\n\r\n----\r\n",
            )
        )
    finally:
        await transport.close()
    assert response.status == 400
    assert "content-type of application/json" in json.loads(response.body)["errors"][0]["message"]
    assert len(x_sandbox.uploads) == 1
