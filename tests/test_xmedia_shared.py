"""The I/O-free parts of X media upload: sniffing, categories, chunk plans, the error parser."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from oneall_push._async._xmedia_io import AsyncChunkReader
from oneall_push._io import AsyncBackend
from oneall_push._xauth import BearerToken
from oneall_push._xmedia import (
    BearerAuth,
    error_from_response,
    infer_category,
    parse_rate_limit,
    plan_chunks,
    resolve_media_type,
    sniff_media_type,
)
from oneall_push._xmedia._media_types import check_one_shot, check_total_bytes
from oneall_push._xmedia._models import ProcessingError, ProcessingInfo
from oneall_push._xmedia._wire import media_from_document, multipart_prefix
from oneall_push.errors import (
    ConfigurationError,
    RequestValidationError,
    XAPIError,
    XRateLimitError,
    XUsageCappedError,
)

MiB = 1024 * 1024


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00", "image/png"),
        (b"GIF89a\x01\x00", "image/gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"II*\x00\x08\x00", "image/tiff"),
        (b"BM\x36\x00\x0c\x00\x00\x00\x00\x00\x36\x00\x00\x00", "image/bmp"),
        (b"\x00\x00\x00\x18ftypmp42", "video/mp4"),
        (b"\x00\x00\x00\x14ftypqt  ", "video/quicktime"),
        (b"\x1a\x45\xdf\xa3\x9f", "video/webm"),
        (b"\x47" + b"\x00" * 187 + b"\x47" + b"\x00" * 10, "video/mp2t"),
        (b"WEBVTT\n\n00:00.000 --> 00:01.000", "text/vtt"),
        (b"1\n00:00:01,000 --> 00:00:02,000\nHello", "text/srt"),
        (b"glTF\x02\x00\x00\x00", "model/gltf-binary"),
        (b"hello world", None),
        # HEIF/HEIC and AVIF stills carry an ftyp box too: not MP4.
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", None),
        (b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1heic", None),
        (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf", None),
        (b"\x00\x00\x00\x18ftypmsf1\x00\x00\x00\x00msf1hevc", None),
        (b"\x00\x00\x00\x18ftypXYZ1\x00\x00\x00\x00XYZ1avis", None),
        # A video whose compatible brands mention an image brand is still a video.
        (b"\x00\x00\x00\x1cftypisom\x00\x00\x02\x00isomavc1mif1", "video/mp4"),
    ],
)
def test_sniff(head: bytes, expected: str | None) -> None:
    assert sniff_media_type(head) == expected


def test_resolve_media_type_order() -> None:
    assert resolve_media_type(None, b"\x89PNG\r\n\x1a\n", "photo.jpg") == "image/png"
    assert resolve_media_type(None, b"????", "subs.SRT") == "text/srt"
    assert resolve_media_type("image/gif", b"\x89PNG\r\n\x1a\n", None) == "image/gif"
    with pytest.raises(RequestValidationError):
        resolve_media_type(None, b"????", "file.bin")
    with pytest.raises(RequestValidationError):
        resolve_media_type("application/octet-stream", b"", None)


@pytest.mark.parametrize(
    ("media_type", "target", "expected"),
    [
        ("video/mp4", "tweet", "tweet_video"),
        ("video/mp4", "dm", "dm_video"),
        ("video/mp4", "amplify", "amplify_video"),
        ("image/gif", "tweet", "tweet_gif"),
        ("image/gif", "dm", "dm_gif"),
        ("image/png", "tweet", "tweet_image"),
        ("image/jpeg", "dm", "dm_image"),
        ("text/vtt", "tweet", "subtitles"),
        ("model/gltf-binary", "tweet", None),
    ],
)
def test_infer_category(media_type: str, target: str, expected: str | None) -> None:
    assert infer_category(media_type, target, None) == expected


def test_category_override_and_refusals() -> None:
    assert infer_category("video/mp4", "dm", "tweet_video") == "tweet_video"
    with pytest.raises(RequestValidationError):
        infer_category("image/png", "amplify", None)
    with pytest.raises(RequestValidationError):
        infer_category("video/mp4", "tweet", "video")


def test_chunk_plan() -> None:
    plan = plan_chunks(10 * MiB + 1, 4 * MiB, 4 * MiB)
    assert (plan.chunk_size, plan.segments, plan.size_of(2)) == (4 * MiB, 3, 2 * MiB + 1)
    # 1 GiB at 1 MiB would need 1024 segments: the chunk grows to ceil(total / 1000).
    big = plan_chunks(1024 * MiB, MiB, 4 * MiB)
    assert big.chunk_size == -(-1024 * MiB // 1000) and big.segments == 1000
    with pytest.raises(RequestValidationError, match="max_chunk_size"):
        plan_chunks(5000 * MiB, 4 * MiB, 4 * MiB)
    with pytest.raises(RequestValidationError):
        plan_chunks(0, MiB, MiB)
    with pytest.raises(RequestValidationError):
        plan_chunks(17_179_869_185, 32 * MiB, 32 * MiB)


def test_multipart_shape() -> None:
    form = multipart_prefix([("segment_index", "7")])
    boundary = form.content_type.split("; boundary=", 1)[1]
    body = form.wrap(b"DATA")
    assert body.startswith(f"--{boundary}\r\n".encode())
    assert body.endswith(f"\r\n--{boundary}--\r\n".encode())
    assert b"\r\n\r\nDATA\r\n" in body


def test_problem_json_surfaces_errors_messages() -> None:
    body = json.dumps(
        {
            "errors": [{"message": "Request body is not valid JSON."}],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": "https://api.twitter.com/2/problems/invalid-request",
        }
    ).encode()
    err = error_from_response(400, {}, body, "media.initialize")
    assert type(err) is XAPIError
    assert err.messages == ("Request body is not valid JSON.",)
    assert "Request body is not valid JSON." in str(err)
    assert err.type and err.type.endswith("invalid-request")


def test_v1_errors_and_empty_edge_bodies() -> None:
    v1 = json.dumps({"errors": [{"code": 88, "message": "Rate limit exceeded"}]}).encode()
    err = error_from_response(400, {}, v1, "media.append")
    assert err.messages == ("Rate limit exceeded (code 88)",)
    edge = error_from_response(413, {}, b"", "media.append")
    assert edge.status == 413 and "lower chunk_size" in str(edge)
    html = error_from_response(502, {}, b"<html>Bad gateway</html>", "media.append")
    assert "Bad gateway" in str(html)


def test_429_rate_limited_vs_usage_capped() -> None:
    capped = json.dumps(
        {
            "title": "UsageCapExceeded",
            "detail": "Usage cap exceeded: Monthly product cap",
            "type": "https://api.x.com/2/problems/usage-capped",
            "status": 429,
        }
    ).encode()
    assert isinstance(error_from_response(429, {}, capped, "e"), XUsageCappedError)
    headers = {
        "x-rate-limit-remaining": "5",
        "x-rate-limit-reset": "1700000100",
        "x-user-limit-24hour-remaining": "0",
        "x-user-limit-24hour-reset": "1700050000",
        "x-app-limit-24hour-remaining": "0",
        "x-app-limit-24hour-reset": "1700040000",
    }
    limited = error_from_response(429, headers, b'{"title":"Too Many Requests"}', "e")
    assert isinstance(limited, XRateLimitError)
    assert limited.reset_at == dt.datetime.fromtimestamp(1700050000, tz=dt.timezone.utc)
    info = parse_rate_limit(headers)
    assert info is not None and info.scope == "user-24h"
    only_15 = parse_rate_limit({"X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Reset": "17"})
    assert only_15 is not None and (only_15.scope, only_15.reset) == ("15min", 17)
    assert parse_rate_limit({}) is None


def test_media_parsing_accepts_every_shape() -> None:
    v2 = media_from_document(
        {"data": {"id": "1", "media_key": "7_1", "processing_info": {"state": "pending"}}},
        status=200,
        endpoint="e",
    )
    assert v2.id == "1" and v2.state == "pending"
    flat = media_from_document({"id": "2", "size": 3}, status=200, endpoint="e")
    assert flat.id == "2" and flat.size == 3 and flat.ready
    v1 = media_from_document({"media_id": 3, "media_id_string": "3"}, status=200, endpoint="e")
    assert v1.id == "3"
    trap = media_from_document(
        {
            "data": {
                "id": "4",
                "processing_info": {
                    "state": "in_progress",
                    "progress_percent": 99,
                    "error": {"code": 3, "name": "UnsupportedMedia", "message": "too long"},
                },
            }
        },
        status=200,
        endpoint="e",
    )
    assert trap.processing_info is not None and trap.processing_info.finished
    with pytest.raises(XAPIError, match="boom"):
        media_from_document({"errors": [{"message": "boom"}]}, status=200, endpoint="e")


def test_bearer_auth_hides_the_token() -> None:
    auth = BearerAuth("x-SECRET-token")
    assert auth.headers("GET", "https://api.x.com/")["Authorization"] == "Bearer x-SECRET-token"
    assert "SECRET" not in repr(auth)
    # No attribute holds it as plain data (debuggers and --showlocals print attributes).
    for slot in BearerToken.__slots__:
        assert "SECRET" not in repr(getattr(auth, slot))
    # Each request gets its own copy: a caller that edits the headers does not change the next.
    auth.headers("GET", "https://api.x.com/")["Authorization"] = "changed"  # type: ignore[index]
    assert auth.headers("GET", "https://api.x.com/")["Authorization"] == "Bearer x-SECRET-token"
    with pytest.raises(ConfigurationError):
        BearerAuth("")
    with pytest.raises(ConfigurationError):
        BearerAuth("a\r\nInjected: 1")
    # RFC 6750 b64token: these characters are fine, surrounding whitespace is dropped.
    fine = BearerAuth("  AAAA-._~+/z9==\n")
    assert fine.headers("GET", "https://api.x.com/")["Authorization"] == "Bearer AAAA-._~+/z9=="


@pytest.mark.parametrize(
    "token",
    [
        "x-SECRET\x7fPART",
        "x-SECRET\x01PART",
        "x-SECRET\tPART",
        "x-SECRET PART",
        "x-SECRET\u00e9PART",
        "x-SECRET=PART",
        'x-SECRET"PART',
    ],
)
def test_bearer_auth_refuses_what_a_header_cannot_carry(token: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        BearerAuth(token)
    text = str(info.value) + repr(info.value)
    assert "SECRET" not in text and "PART" not in text
    assert "RFC 6750" in text and "nothing was sent" in text


def test_heif_gets_a_clear_message() -> None:
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"
    for head, name in ((heic, None), (b"????", "IMG_0001.HEIC"), (b"????", "a.avif")):
        with pytest.raises(RequestValidationError) as info:
            resolve_media_type(None, head, name)
        assert info.value.field == "media_type" and "HEIC" in info.value.rule
    # Content wins over a misleading extension.
    assert resolve_media_type(None, b"\x89PNG\r\n\x1a\n", "photo.heic") == "image/png"


@pytest.mark.parametrize(
    ("media_type", "category", "size", "field"),
    [
        ("image/png", "tweet_image", 5 * MiB, None),
        ("image/png", "tweet_image", 5 * MiB + 1, "total_bytes"),
        ("image/gif", "tweet_gif", 15 * MiB, None),
        ("image/gif", "tweet_gif", 15 * MiB + 1, "total_bytes"),
        ("text/vtt", "subtitles", 1000, None),
        ("text/srt", "tweet_image", 1000, "media_category"),
        ("image/png", "subtitles", 1000, "media_category"),
        ("image/png", "tweet_video", 1000, "media_category"),
        ("video/mp4", "tweet_video", 1000, "media_type"),
        ("model/gltf-binary", None, 1000, "media_type"),
        ("image/png", "tweet_image", 0, "total_bytes"),
    ],
)
def test_one_shot_limits(
    media_type: str, category: str | None, size: int, field: str | None
) -> None:
    if field is None:
        check_one_shot(media_type, category, size)
        return
    with pytest.raises(RequestValidationError) as info:
        check_one_shot(media_type, category, size)
    assert info.value.field == field


def test_one_total_bytes_check() -> None:
    assert check_total_bytes(1) == 1
    for bad, rule in ((0, "empty"), (-5, "empty"), (17_179_869_185, "16 GiB"), (1.0, "integer")):
        with pytest.raises(RequestValidationError, match=rule) as info:
            check_total_bytes(bad)
        assert info.value.field == "total_bytes"
    # The one-shot limits and the chunk plan go through it.
    with pytest.raises(RequestValidationError, match="integer"):
        check_one_shot("image/png", "tweet_image", True)


@pytest.mark.parametrize(
    ("state", "error", "failed", "finished"),
    [
        ("pending", None, False, False),
        ("in_progress", None, False, False),
        ("in_progress", ProcessingError(code=3), True, True),
        ("failed", None, True, True),
        ("succeeded", None, False, True),
    ],
)
def test_processing_info_stop_rule(
    state: str, error: ProcessingError | None, failed: bool, finished: bool
) -> None:
    info = ProcessingInfo(state=state, error=error)
    assert (info.failed, info.finished) == (failed, finished)


def test_chunk_plan_wants_integers() -> None:
    for bad in ("1000", True, 1000.0):
        with pytest.raises(RequestValidationError) as info:
            plan_chunks(bad, MiB, 4 * MiB)  # type: ignore[arg-type]
        assert info.value.field == "total_bytes" and "integer" in info.value.rule


def test_rate_limit_without_an_exhausted_window_picks_the_nearest_reset() -> None:
    headers = {
        "x-rate-limit-remaining": "3",
        "x-rate-limit-reset": "1700000100",
        "x-app-limit-24hour-remaining": "900",
        "x-app-limit-24hour-reset": "1700050000",
    }
    info = parse_rate_limit(headers)
    assert info is not None and (info.scope, info.reset) == ("15min", 1700000100)


def test_shared_xmedia_modules_do_not_use_an_event_loop() -> None:
    package = Path(__file__).resolve().parent.parent / "oneall_push" / "_xmedia"
    for module in sorted(package.glob("*.py")):
        text = module.read_text()
        assert "asyncio" not in text and "to_thread" not in text, module.name


def test_sandbox_create_app_for_mounting() -> None:
    from oneall_push.sandbox.xmedia import XMEDIA_SANDBOX, XMediaSandbox, create_app

    app = create_app()
    assert isinstance(app, web.Application)
    assert isinstance(app[XMEDIA_SANDBOX], XMediaSandbox)
    paths = {route.resource.canonical for route in app.router.routes() if route.resource}
    assert {"/2/media/upload/initialize", "/2/media/upload/{media_id}/append"} <= paths
    mine = XMediaSandbox(tokens=("t",))
    assert create_app(mine)[XMEDIA_SANDBOX] is mine


def test_sandbox_processing_outcome_is_checked() -> None:
    from oneall_push.sandbox.xmedia import PROCESSING_OUTCOMES, XMediaSandbox

    with pytest.raises(ValueError, match="processing must be one of"):
        XMediaSandbox(processing="failed ")
    sandbox = XMediaSandbox()
    with pytest.raises(ValueError, match="processing must be one of"):
        sandbox.processing = "fail "
    for outcome in PROCESSING_OUTCOMES:
        sandbox.processing = outcome
        assert sandbox.processing == outcome
    sandbox.reset()
    assert sandbox.processing == "succeed"


def test_the_sync_client_pools_a_connection_per_append() -> None:
    from oneall_push.xmedia import SyncXMedia

    for level in (1, 3, 16):
        with SyncXMedia(bearer_token="t", max_concurrency=level) as x:
            pool = x._transport._get_pool()  # type: ignore[attr-defined]
            assert pool.connection_pool_kw["maxsize"] == level


class CountingBackend(AsyncBackend):
    """Records the blocking calls handed to ``run_sync``."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    async def run_sync(self, fn: Callable[..., Any], *args: Any) -> Any:
        self.calls.append(getattr(fn, "__name__", repr(fn)))
        return await super().run_sync(fn, *args)


async def test_a_plain_iterator_is_pulled_off_the_event_loop() -> None:
    threads: list[int] = []

    def pieces() -> Iterator[bytes]:
        for piece in (b"ab", b"", b"cd", b"ef"):
            threads.append(threading.get_ident())
            yield piece

    backend = CountingBackend()
    reader = await AsyncChunkReader.open(pieces(), total_bytes=6, backend=backend)
    assert await reader.read(3) == b"abc"
    assert await reader.read(3) == b"def"
    await reader.finish()
    assert threading.get_ident() not in threads
    assert set(backend.calls) == {"gather_pieces"}


async def test_an_iterator_must_yield_bytes() -> None:
    pieces = iter([b"ab", 5])
    reader = await AsyncChunkReader.open(pieces, total_bytes=7, backend=AsyncBackend())  # type: ignore[arg-type]
    with pytest.raises(RequestValidationError, match="must yield bytes, not int") as info:
        await reader.read(7)
    assert info.value.field == "source"
