"""X results and errors keep the HTTP answer they were read from as ``.http`` (status,
headers, elapsed seconds, attempt), like the OneAll side."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from oneall_push._io import AsyncMockBackend, AsyncMockTransport, Request, Response
from oneall_push.errors import UnreadableSuccessError, XAPIError, XDuplicateContentError
from oneall_push.sandbox.xmedia import XMediaSandbox
from oneall_push.x import AsyncX
from tests.support.x_tokens import X_TOKEN

from .xmedia_support import FAST_RETRY, PNG_HEAD, video_bytes

XMaker = Callable[..., AsyncX]


@pytest.fixture
async def make(x_sandbox: XMediaSandbox) -> AsyncIterator[XMaker]:
    made: list[AsyncX] = []

    def build(**kwargs: Any) -> AsyncX:
        kwargs.setdefault("bearer_token", X_TOKEN)
        kwargs.setdefault("base_url", x_sandbox.base_url)
        kwargs.setdefault("retry", FAST_RETRY)
        kwargs.setdefault("min_poll_interval", 0.001)
        client = AsyncX(**kwargs)
        made.append(client)
        return client

    yield build
    for client in made:
        await client.close()


async def test_posts_and_deletes_keep_their_answer(make: XMaker) -> None:
    x = make()
    post = await x.posts.create("with metadata")
    assert post.http is not None
    assert post.http.status == 201 and post.http.attempt == 1
    assert post.http.elapsed > 0
    assert post.http.header("x-rate-limit-remaining") == "99"
    assert post.rate_limit is not None and post.rate_limit.remaining == 99
    deleted = await x.posts.delete(post.id)
    assert deleted.http is not None and deleted.http.status == 200


async def test_media_results_keep_the_answer_they_came_from(
    make: XMaker, x_sandbox: XMediaSandbox
) -> None:
    x_sandbox.processing_polls = 2
    x = make()
    session = await x.media.initialize(media_type="video/mp4", total_bytes=10)
    assert session.http is not None
    assert session.http.status in (200, 201, 202)
    assert session.http.header("content-type") is not None
    media = await x.media.upload(video_bytes(100_000))
    # The last answer: the status check that saw processing succeed.
    assert media.http is not None and media.ready
    assert b'"succeeded"' in media.http.body
    status = await x.media.status(media.id)
    assert status.http is not None and status.http.status == 200
    image = await x.media.simple_upload(PNG_HEAD + b"\x00" * 64)
    assert image.http is not None and image.http.status in (200, 201)


async def test_errors_keep_the_answer(make: XMaker, x_sandbox: XMediaSandbox) -> None:
    x = make()
    await x.posts.create("twice")
    with pytest.raises(XDuplicateContentError) as info:
        await x.posts.create("twice")
    assert info.value.http is not None and info.value.http.status == 403
    assert info.value.http.header("content-type") == "application/problem+json"
    x_sandbox.add_fault(endpoint="posts.create", kind="empty", status=201)
    with pytest.raises(UnreadableSuccessError) as unreadable:
        await x.posts.create("lost answer")
    assert unreadable.value.http is not None and unreadable.value.http.status == 201


def _client(handler: Callable[[Request], Response]) -> AsyncX:
    return AsyncX(
        bearer_token=X_TOKEN,
        base_url="http://127.0.0.1:9/x",
        transport=AsyncMockTransport(handler),
        backend=AsyncMockBackend(),
        retry=FAST_RETRY,
    )


async def test_a_retried_call_reports_the_attempt_that_answered() -> None:
    answers = [
        Response(503, {"x-request-id": "r-1"}, b""),
        Response(200, {"x-request-id": "r-2"}, b'{"data": {"deleted": true}}'),
    ]
    x = _client(lambda _request: answers.pop(0))
    deleted = await x.posts.delete("1445880548472328192")
    assert deleted.deleted
    assert deleted.http is not None
    assert deleted.http.attempt == 2 and deleted.http.header("x-request-id") == "r-2"
    await x.close()


async def test_an_answer_without_a_media_object_is_an_error_with_its_answer() -> None:
    x = _client(lambda _request: Response(200, {"x-request-id": "r-9"}, b"{}"))
    with pytest.raises(XAPIError, match="no media id") as info:
        await x.media.initialize(media_type="image/png", total_bytes=10)
    assert info.value.http is not None
    assert info.value.http.status == 200 and info.value.http.header("x-request-id") == "r-9"
    await x.close()
