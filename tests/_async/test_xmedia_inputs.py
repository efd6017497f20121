"""X media arguments, configuration and sources refused before anything is sent, and files
that change while they are read.

Written once; the sync twin is generated."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from oneall_push._io import (
    AsyncBackend,
)
from oneall_push.errors import (
    ConfigurationError,
    MediaSourceError,
    RequestValidationError,
)
from oneall_push.sandbox.xmedia import XMediaSandbox
from oneall_push.xmedia import (
    AsyncXMedia,
    MediaEvent,
    UploadProgress,
)
from tests.support.x_tokens import X_TOKEN

from .xmedia_support import (
    XFactory,
    finalized,
    video_bytes,
)

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
    # Head and the end-of-file probe; 4 chunks read straight into their buffers; then the
    # stat check and close.
    assert backend.calls.count("read_exactly") == 2
    assert backend.calls.count("readinto_exactly") == 4
    assert backend.calls[-2:] == ["file_snapshot", "close"]
