"""X media faults and retries: X's 5xx, 429 and edge answers, secrets, custom auth, and one
failing append stopping the others.

Written once; the sync twin is generated."""

from __future__ import annotations

import logging
import time
import zlib
from collections.abc import AsyncIterator, Mapping

import pytest

from oneall_push._io import (
    AsyncMockTransport,
    AsyncSignal,
    AsyncTransport,
    Request,
    Response,
)
from oneall_push.errors import (
    MediaSourceError,
    MediaUploadAbortedError,
    OutcomeUnknownError,
    XAPIError,
    XRateLimitError,
    XUsageCappedError,
)
from oneall_push.sandbox.xmedia import XMediaSandbox
from oneall_push.xmedia import (
    AsyncXMedia,
    XRetryPolicy,
)
from tests.support.x_tokens import X_TOKEN, X_TOKEN_NO_SCOPE

from .xmedia_support import (
    MEDIA,
    AsyncFakeClock,
    Script,
    XFactory,
    answer,
    finalized,
    rate_limit_wait_bounds,
    script_handler,
    segment_of,
    uploaded_crc,
    video_bytes,
)

# --- X's checks, faults and retries --------------------------------------------------------


async def test_append_retried_after_5xx(make_x: XFactory, x_sandbox: XMediaSandbox) -> None:
    fault = x_sandbox.add_fault(endpoint="append", status=503, times=2, segment_index=1)
    data = video_bytes(200_000)
    media = await make_x().upload(data)
    assert fault.hits == 2
    assert uploaded_crc(x_sandbox, media.id) == zlib.crc32(data)


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


# --- one failing append stops the others ------------------------------------------------------


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
