"""One error spine for both products: status, headers, retry_after and endpoint on every API
error, and the shared classes catch both products' answers."""

from __future__ import annotations

import pytest

from oneall_push import (
    APIError,
    AsyncMockBackend,
    AsyncMockTransport,
    AsyncOneAll,
    ConnectError,
    MockHandler,
    RateLimitError,
    Request,
    Response,
    RetryPolicy,
    XAPIError,
    XRateLimitError,
    XUsageCappedError,
)
from oneall_push.xmedia import AsyncXMedia, XRetryPolicy

TOKEN = "923843ec-1749-4cc1-988f-d6963f3b1baa"
ONEALL_429 = (
    b'{"response":{"request":{"status":{"flag":"error","code":429,"info":"Too many requests"}}}}'
)


async def test_a_oneall_429_carries_status_headers_and_retry_after() -> None:
    transport = AsyncMockTransport(
        lambda r: Response(
            429, headers={"retry-after": "12", "x-request-id": "abc"}, body=ONEALL_429
        )
    )
    async with AsyncOneAll(
        subdomain="demo",
        public_key="pub",
        private_key="priv",
        transport=transport,
        backend=AsyncMockBackend(),
        retry=RetryPolicy.disabled(),
    ) as client:
        with pytest.raises(RateLimitError) as info:
            await client.twitter.publish_tweet(TOKEN, message="hi")
    error = info.value
    assert (error.status, error.retry_after, error.endpoint) == (429, 12.0, "twitter.publish_tweet")
    assert error.headers["x-request-id"] == "abc"
    assert not isinstance(error, XAPIError)


def _x(handler: MockHandler, backend: AsyncMockBackend) -> AsyncXMedia:
    return AsyncXMedia(
        bearer_token="user-token",
        base_url="http://127.0.0.1:9",
        transport=AsyncMockTransport(handler),
        backend=backend,
        retry=XRetryPolicy(max_retries=0),
    )


async def test_x_rate_limits_are_rate_limit_errors_too() -> None:
    def limited(request: Request) -> Response:
        return Response(
            429,
            headers={"retry-after": "3", "x-rate-limit-remaining": "0"},
            body=b'{"title":"Too Many Requests","detail":"Too Many Requests"}',
        )

    async with _x(limited, AsyncMockBackend()) as x:
        with pytest.raises(RateLimitError) as info:
            await x.status("123")
    error = info.value
    assert isinstance(error, XRateLimitError) and isinstance(error, APIError)
    assert error.status == 429 and error.retry_after == 3.0
    assert error.headers["x-rate-limit-remaining"] == "0"
    assert error.endpoint == "media.status"


async def test_x_usage_cap_is_a_rate_limit_error_without_a_hint() -> None:
    def capped(request: Request) -> Response:
        return Response(
            429, body=b'{"title":"UsageCapExceeded","detail":"Usage cap exceeded","type":"x"}'
        )

    async with _x(capped, AsyncMockBackend()) as x:
        with pytest.raises(RateLimitError) as info:
            await x.status("123")
    assert isinstance(info.value, XUsageCappedError) and info.value.retry_after is None


async def test_both_products_raise_the_same_connect_error() -> None:
    def refuse(request: Request) -> BaseException:
        return ConnectError("refused", endpoint=request.endpoint)

    backend = AsyncMockBackend()
    async with _x(refuse, backend) as x:
        with pytest.raises(ConnectError):
            await x.status("123")
    async with AsyncOneAll(
        subdomain="demo",
        public_key="pub",
        private_key="priv",
        transport=AsyncMockTransport(refuse),
        backend=backend,
        retry=RetryPolicy.disabled(),
    ) as client:
        with pytest.raises(ConnectError):
            await client.twitter.publish_tweet(TOKEN, message="hi")
    assert backend.slept == []  # retries disabled in both: no wait
