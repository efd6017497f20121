"""X media processing: polling, deadlines, exact waits on a fake clock, and errors after
finalize that keep the media.

Written once; the sync twin is generated."""

from __future__ import annotations

import json
import os

import pytest

from oneall_push._io import (
    AsyncMockTransport,
    Request,
    Response,
)
from oneall_push.errors import (
    ConnectError,
    MediaAfterFinalizeError,
    MediaProcessingError,
    MediaProcessingTimeoutError,
    MediaSessionExpiredError,
    MediaUploadAbortedError,
    OutcomeUnknownError,
    XAPIError,
    XRateLimitError,
)
from oneall_push.sandbox.xmedia import XMediaSandbox
from oneall_push.xmedia import (
    AsyncXMedia,
    XRetryPolicy,
)
from tests.support.x_tokens import X_TOKEN

from .xmedia_support import (
    MEDIA,
    PNG_HEAD,
    AsyncFakeClock,
    Script,
    XFactory,
    answer,
    mock_client,
    processing,
    script_handler,
    video_bytes,
)

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


# --- the mock transport: exact waits and retries -------------------------------------------


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
    # Polls at 3, 6 and 9 s; the next one may not come before 12 s, past the deadline: no
    # early last poll at 10 s, the timeout is raised at 9 s.
    assert clock.slept == [3, 3, 3]
    assert info.value.media_id == "42" and info.value.deadline == 10
    assert info.value.last_state == "in_progress"


@pytest.mark.parametrize(
    ("checks", "deadline", "poll_times"),
    [
        ([4, 7], 10, [4]),  # the second poll would be at 11 s
        ([4, 6], 10, [4, 10]),  # exactly at the deadline is not early
        ([2, 0.25, 5], 10, [2, 3, 8]),  # 0.25 s is floored at min_poll_interval (1 s)
        ([12], 10, []),  # not even one poll
    ],
    ids=["next-past-deadline", "at-deadline", "floor", "first-past-deadline"],
)
async def test_polls_never_come_sooner_than_check_after_secs(
    checks: list[float], deadline: float, poll_times: list[float]
) -> None:
    clock = AsyncFakeClock()
    asked: list[float] = []
    finalized_at: list[float] = []
    statuses = [processing("in_progress", check) for check in checks[1:]] or [
        processing("in_progress", checks[0])
    ]

    def handle(request: Request) -> Response:
        if request.endpoint == "media.finalize":
            finalized_at.append(clock.now)
            return processing("pending", checks[0])
        if request.endpoint == "media.status":
            asked.append(clock.now - finalized_at[0])
            return statuses[min(len(asked), len(statuses)) - 1]
        if request.endpoint == "media.append":
            return answer(204)
        return answer(document={"data": MEDIA})

    x = AsyncXMedia(bearer_token=X_TOKEN, transport=AsyncMockTransport(handle), backend=clock)
    with pytest.raises(MediaProcessingTimeoutError):
        await x.upload(video_bytes(1000), processing_deadline=deadline)
    await x.close()
    assert asked == poll_times
    # Each poll came at least check_after_secs (floored at 1 s) after the answer before it.
    floors = [max(c, 1.0) for c in checks]
    previous = 0.0
    for n, when in enumerate(asked):
        assert when - previous >= floors[min(n, len(floors) - 1)]
        previous = when


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
