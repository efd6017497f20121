"""Posts through the X client against the sandbox: create, threads, delete, validation, media
readiness, duplicate content, usage caps and rate limits; OAuth 1.0a verified by the sandbox."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from oneall_push._io import AsyncMockBackend, AsyncMockTransport, Request, Response
from oneall_push.errors import (
    AuthenticationError,
    OutcomeUnknownError,
    RequestValidationError,
    TransportError,
    UnreadableSuccessError,
    XAPIError,
    XDuplicateContentError,
    XRateLimitError,
    XThreadIncompleteError,
    XUsageCapError,
)
from oneall_push.sandbox.xmedia import XCredentials, XMediaSandbox
from oneall_push.x import AsyncX, BearerToken, OAuth1, Poll
from tests.support.oauth1_check import (
    ACCESS_TOKEN,
    ACCESS_TOKEN_SECRET,
    CONSUMER_KEY,
    CONSUMER_SECRET,
    check_signed,
)
from tests.support.x_tokens import X_TOKEN

from .xmedia_support import FAST_RETRY, PNG_HEAD, video_bytes

USER = "2244994945"
OTHER_USER = "783214"
OTHER_TOKEN = "1111-other-at"

XMaker = Callable[..., AsyncX]


def oauth1(token: str = ACCESS_TOKEN, secret: str = ACCESS_TOKEN_SECRET) -> OAuth1:
    return OAuth1(CONSUMER_KEY, CONSUMER_SECRET, token, secret)


@pytest.fixture
async def make(x_sandbox: XMediaSandbox) -> AsyncIterator[XMaker]:
    x_sandbox.credentials = XCredentials(
        bearer_tokens=(X_TOKEN,),
        consumers={CONSUMER_KEY: CONSUMER_SECRET},
        access_tokens={
            ACCESS_TOKEN: (ACCESS_TOKEN_SECRET, USER),
            OTHER_TOKEN: ("other-secret", OTHER_USER),
        },
    )
    made: list[AsyncX] = []

    def build(**kwargs: Any) -> AsyncX:
        kwargs.setdefault("auth", oauth1())
        kwargs.setdefault("base_url", x_sandbox.base_url)
        kwargs.setdefault("retry", FAST_RETRY)
        kwargs.setdefault("min_poll_interval", 0.001)
        client = AsyncX(**kwargs)
        made.append(client)
        return client

    yield build
    for client in made:
        await client.close()


async def test_post_with_oauth1_verified_by_the_sandbox(
    make: XMaker, x_sandbox: XMediaSandbox
) -> None:
    x = make()
    post = await x.posts.create("Hello from the sandbox")
    assert post.id in x_sandbox.posts
    assert x_sandbox.posts[post.id].author_id == USER
    assert post.text == "Hello from the sandbox"
    assert post.edit_history_post_ids == (post.id,)
    assert post.rate_limit is not None and post.rate_limit.remaining == 99
    assert post.rate_limit.app_24h is not None and post.rate_limit.app_24h.limit == 10000
    assert x_sandbox.posts[post.id].body == {"text": "Hello from the sandbox"}


async def test_a_wrong_secret_is_refused_by_the_sandbox(make: XMaker) -> None:
    x = make(auth=oauth1(secret="not-the-secret"))
    with pytest.raises(XAPIError) as info:
        await x.posts.create("nope")
    assert info.value.status == 401
    assert "not-the-secret" not in str(info.value)


async def test_bearer_token_shorthand_posts(make: XMaker, x_sandbox: XMediaSandbox) -> None:
    x = make(auth=None, bearer_token=X_TOKEN)
    post = await x.posts.create("bearer")
    assert post.id in x_sandbox.posts
    y = make(auth=BearerToken(X_TOKEN))
    assert (await y.posts.create("bearer 2")).id in x_sandbox.posts


async def test_upload_then_post_waits_for_processing(
    make: XMaker, x_sandbox: XMediaSandbox
) -> None:
    x_sandbox.processing_polls = 3
    x = make()
    media = await x.media.upload(video_bytes(200_000), wait=False)
    assert not media.ready
    post = await x.posts.create("a clip", media=[media])
    assert x_sandbox.posts[post.id].media_ids == (media.id,)


async def test_posting_unprocessed_media_by_id_is_refused(
    make: XMaker, x_sandbox: XMediaSandbox
) -> None:
    x_sandbox.processing_polls = 3
    x = make()
    media = await x.media.upload(video_bytes(200_000), wait=False)
    with pytest.raises(XAPIError, match="media IDs are invalid") as info:
        await x.posts.create("too early", media=[media.id])
    assert info.value.status == 400


async def test_media_of_another_user_is_refused(make: XMaker) -> None:
    x = make()
    image = await x.media.simple_upload(PNG_HEAD + b"\x00" * 64)
    other = make(auth=oauth1(OTHER_TOKEN, "other-secret"))
    with pytest.raises(XAPIError, match="media IDs are invalid"):
        await other.posts.create("not mine", media=[image])
    post = await x.posts.create("mine", media=[image])
    assert post.id


async def test_duplicate_content_is_its_own_error(make: XMaker) -> None:
    x = make()
    await x.posts.create("same words")
    with pytest.raises(XDuplicateContentError) as info:
        await x.posts.create("same words")
    assert info.value.status == 403


async def test_usage_cap_is_never_retried(make: XMaker, x_sandbox: XMediaSandbox) -> None:
    x_sandbox.add_fault(endpoint="posts.create", kind="usage_capped", times=0)
    x = make()
    with pytest.raises(XUsageCapError):
        await x.posts.create("capped")
    assert sum(1 for _, path, _ in x_sandbox.log if path.endswith("/2/tweets")) == 1
    assert not x_sandbox.posts


async def test_rate_limit_is_waited_then_posted_once(
    make: XMaker, x_sandbox: XMediaSandbox
) -> None:
    x_sandbox.add_fault(endpoint="posts.create", kind="rate_limit", times=1, reset_in=0.0)
    x = make()
    post = await x.posts.create("after the wait")
    assert list(x_sandbox.posts) == [post.id]


async def test_rate_limit_error_carries_the_window(make: XMaker, x_sandbox: XMediaSandbox) -> None:
    x_sandbox.add_fault(endpoint="posts.create", kind="rate_limit", times=0, reset_in=3600)
    x = make()
    with pytest.raises(XRateLimitError) as info:
        await x.posts.create("limited")
    assert info.value.rate_limit is not None and info.value.rate_limit.remaining == 0
    assert info.value.reset_at is not None


async def test_a_5xx_after_sending_is_not_retried(make: XMaker, x_sandbox: XMediaSandbox) -> None:
    x_sandbox.add_fault(endpoint="posts.create", kind="status", status=503, times=1)
    x = make()
    with pytest.raises(XAPIError) as info:
        await x.posts.create("maybe")
    assert info.value.status == 503
    assert sum(1 for _, path, _ in x_sandbox.log if path.endswith("/2/tweets")) == 1


async def test_thread_replies_in_order(make: XMaker, x_sandbox: XMediaSandbox) -> None:
    x = make()
    posts = await x.posts.thread(["one", {"text": "two", "reply_settings": "following"}, "three"])
    stored = [x_sandbox.posts[p.id] for p in posts]
    assert stored[0].in_reply_to is None
    assert stored[1].in_reply_to == posts[0].id
    assert stored[2].in_reply_to == posts[1].id


async def test_thread_failing_midway_keeps_the_published_posts(
    make: XMaker, x_sandbox: XMediaSandbox
) -> None:
    x = make()
    await x.posts.create("dup")
    with pytest.raises(XThreadIncompleteError) as info:
        await x.posts.thread(["first", "second", "dup", "never"])
    error = info.value
    assert [p.text for p in error.posted] == ["first", "second"]
    assert error.failed_index == 2
    assert isinstance(error.cause, XDuplicateContentError)
    assert all(p.id in x_sandbox.posts for p in error.posted)
    assert not any(p.text == "never" for p in x_sandbox.posts.values())


async def test_thread_checks_every_item_before_posting(
    make: XMaker, x_sandbox: XMediaSandbox
) -> None:
    x = make()
    with pytest.raises(RequestValidationError, match="poll"):
        await x.posts.thread(["fine", {"text": "bad", "poll": Poll(["only one"], 60)}])
    assert not x_sandbox.posts


async def test_delete(make: XMaker, x_sandbox: XMediaSandbox) -> None:
    x = make()
    post = await x.posts.create("to delete")
    gone = await x.posts.delete(post.id)
    assert gone.deleted and post.id not in x_sandbox.posts
    with pytest.raises(XAPIError) as info:
        await x.posts.delete(post.id)
    assert info.value.status == 404


VALID_ID = "1880028106020515840"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"text": ""}, "text"),
        ({"text": 5}, "text"),
        ({"media": []}, "media"),
        ({"media": [VALID_ID] * 5}, "media"),
        ({"media": ["12ab"]}, "media"),
        ({"media": VALID_ID}, "media"),
        ({"reply_to": "x1"}, "reply_to"),
        ({"reply_to": "1" * 20}, "reply_to"),
        ({"quote_post_id": "abc"}, "quote_post_id"),
        ({"edit_of": "-1"}, "edit_of"),
        ({"tagged_user_ids": ["1"]}, "tagged_user_ids"),
        ({"media": [VALID_ID], "tagged_user_ids": ["1"] * 11}, "tagged_user_ids"),
        ({"exclude_reply_user_ids": ["1"]}, "exclude_reply_user_ids"),
        ({"poll": Poll(["a"], 60)}, "poll.options"),
        ({"poll": Poll(["a", "b", "c", "d", "e"], 60)}, "poll.options"),
        ({"poll": Poll(["a", ""], 60)}, "poll.options"),
        ({"poll": Poll(["a", "x" * 26], 60)}, "poll.options"),
        ({"poll": Poll(["a", "b"], 4)}, "poll.duration_minutes"),
        ({"poll": Poll(["a", "b"], 10081)}, "poll.duration_minutes"),
        ({"poll": Poll(["a", "b"], True)}, "poll.duration_minutes"),
        ({"media": [VALID_ID], "quote_post_id": VALID_ID}, "media"),
        ({"media": [VALID_ID], "poll": Poll(["a", "b"], 60)}, "media"),
        ({"media": [VALID_ID], "card_uri": "card://1"}, "media"),
        ({"poll": Poll(["a", "b"], 60), "quote_post_id": VALID_ID}, "poll"),
        ({"poll": Poll(["a", "b"], 60), "card_uri": "card://1"}, "poll"),
        ({"card_uri": "card://1", "quote_post_id": VALID_ID}, "card_uri"),
        ({"card_uri": "card://1", "direct_message_deep_link": "https://x.com/m"}, "card_uri"),
        ({"reply_settings": "everyone"}, "reply_settings"),
        ({"nullcast": "yes"}, "nullcast"),
        ({"place_id": ""}, "place_id"),
    ],
)
async def test_every_validation_rule_before_sending(
    make: XMaker, x_sandbox: XMediaSandbox, kwargs: dict[str, Any], field: str
) -> None:
    x = make()
    kwargs.setdefault("text", "hello")
    with pytest.raises(RequestValidationError) as info:
        await x.posts.create(**kwargs)
    assert info.value.field == field
    assert not any(path.endswith("/2/tweets") for _, path, _ in x_sandbox.log)


def _capture(status: int = 201, body: bytes | None = None) -> AsyncMockTransport:
    answer = body if body is not None else b'{"data": {"id": "1990000000000000001", "text": "t"}}'
    return AsyncMockTransport(lambda request: Response(status, {}, answer))


def _mock_x(transport: AsyncMockTransport) -> AsyncX:
    return AsyncX(
        auth=oauth1(),
        base_url="http://127.0.0.1:9",
        transport=transport,
        backend=AsyncMockBackend(),
        retry=FAST_RETRY,
    )


async def test_sends_exactly_the_documented_body_and_signs_it_without_the_body() -> None:
    transport = _capture()
    x = _mock_x(transport)
    await x.posts.create(
        "full",
        media=[VALID_ID],
        tagged_user_ids=["12"],
        reply_to="34",
        exclude_reply_user_ids=["56"],
        reply_settings="mentionedUsers",
        place_id="df51dec6f4ee2b2c",
        community_id="78",
        for_super_followers_only=False,
        nullcast=True,
        made_with_ai=True,
        paid_partnership=False,
        edit_of="90",
        direct_message_deep_link="https://x.com/messages/compose?recipient_id=1",
        share_with_followers=True,
    )
    await x.close()
    (request,) = transport.requests
    check_signed(request.method, request.url, request.headers["Authorization"])
    assert json.loads(request.body or b"") == {
        "text": "full",
        "media": {"media_ids": [VALID_ID], "tagged_user_ids": ["12"]},
        "reply": {"in_reply_to_tweet_id": "34", "exclude_reply_user_ids": ["56"]},
        "reply_settings": "mentionedUsers",
        "geo": {"place_id": "df51dec6f4ee2b2c"},
        "community_id": "78",
        "for_super_followers_only": False,
        "nullcast": True,
        "made_with_ai": True,
        "paid_partnership": False,
        "edit_options": {"previous_post_id": "90"},
        "direct_message_deep_link": "https://x.com/messages/compose?recipient_id=1",
        "share_with_followers": True,
    }


async def test_text_is_always_sent_even_empty_with_media() -> None:
    transport = _capture()
    x = _mock_x(transport)
    await x.posts.create(media=[VALID_ID])
    await x.posts.create("q", quote_post_id="12", poll=None)
    await x.posts.create("p", poll=Poll(["yes", "no"], 60))
    await x.close()
    bodies = [json.loads(r.body or b"") for r in transport.requests]
    assert bodies == [
        {"text": "", "media": {"media_ids": [VALID_ID]}},
        {"text": "q", "quote_tweet_id": "12"},
        {"text": "p", "poll": {"options": ["yes", "no"], "duration_minutes": 60}},
    ]


async def test_delete_is_signed_over_the_path_id() -> None:
    transport = AsyncMockTransport(
        lambda request: Response(200, {}, b'{"data": {"deleted": true}}')
    )
    x = _mock_x(transport)
    assert (await x.posts.delete(VALID_ID)).deleted
    await x.close()
    (request,) = transport.requests
    assert request.method == "DELETE" and request.url.endswith(f"/2/tweets/{VALID_ID}")
    check_signed(request.method, request.url, request.headers["Authorization"])


async def test_an_unreadable_success_is_an_unknown_outcome() -> None:
    x = _mock_x(_capture(201, b"<html>ok</html>"))
    with pytest.raises(UnreadableSuccessError) as info:
        await x.posts.create("lost")
    await x.close()
    assert isinstance(info.value, OutcomeUnknownError)


@pytest.mark.parametrize(
    "body",
    [
        b'{"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}',
        b'{"errors": [{"code": 89, "message": "Invalid or expired token."}]}',
        b"",
    ],
)
async def test_problem_v1_and_empty_errors_parse(body: bytes) -> None:
    x = _mock_x(_capture(401, body))
    with pytest.raises(XAPIError) as info:
        await x.posts.create("who")
    await x.close()
    assert info.value.status == 401


async def test_a_broken_exchange_is_raised_never_resent() -> None:
    calls: list[Request] = []

    def broken(request: Request) -> Response:
        calls.append(request)
        raise OutcomeUnknownError("connection reset after sending")

    x = _mock_x(AsyncMockTransport(broken))
    with pytest.raises(TransportError):
        await x.posts.create("once")
    await x.close()
    assert len(calls) == 1


async def test_repr_hides_credentials(make: XMaker) -> None:
    x = make()
    assert "SECRET" not in repr(x) and "OAuth1" in repr(x)
    assert AuthenticationError is not None
