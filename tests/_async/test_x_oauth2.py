"""OAuth 2.0 user tokens that refresh: before expiry and once after a 401, single-flight,
public and confidential clients, rotation, refusal, and no token anywhere it could be read."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import parse_qsl

import pytest

from oneall_push._io import AsyncBackend, AsyncMockBackend, AsyncMockTransport, Request, Response
from oneall_push.errors import XAPIError, XOAuthRefreshError, XReauthorizationRequiredError
from oneall_push.sandbox.xmedia import XCredentials, XMediaSandbox
from oneall_push.x import AsyncX, OAuth2UserToken, TokenSet

from .xmedia_support import FAST_RETRY

PUBLIC = "public-client"
CONFIDENTIAL = "confidential-client"
CLIENT_SECRET = "cs-SECRET-9a7b"

XMaker = Callable[..., AsyncX]


@pytest.fixture
async def make(x_sandbox: XMediaSandbox) -> AsyncIterator[XMaker]:
    x_sandbox.credentials = XCredentials(oauth2_clients={PUBLIC: None, CONFIDENTIAL: CLIENT_SECRET})
    made: list[AsyncX] = []

    def build(auth: OAuth2UserToken, **kwargs: Any) -> AsyncX:
        kwargs.setdefault("base_url", x_sandbox.base_url)
        kwargs.setdefault("retry", FAST_RETRY)
        client = AsyncX(auth=auth, **kwargs)
        made.append(client)
        return client

    yield build
    for client in made:
        await client.close()


def granted(
    sandbox: XMediaSandbox,
    client_id: str = PUBLIC,
    *,
    expired: bool = False,
    expires_at: float | None = None,
    client_secret: str | None = None,
    updates: list[TokenSet] | None = None,
) -> OAuth2UserToken:
    """A token set issued by the sandbox, as the authorization-code exchange would give it."""
    access, refresh = sandbox.credentials.grant(client_id)
    if expired:
        sandbox.credentials.expire(access)
        expires_at = time.time() - 1
    return OAuth2UserToken(
        client_id,
        access,
        refresh_token=refresh,
        expires_at=expires_at,
        client_secret=client_secret,
        on_token_update=None if updates is None else updates.append,
    )


async def test_fifty_concurrent_calls_with_an_expired_token_refresh_once(
    make: XMaker, x_sandbox: XMediaSandbox
) -> None:
    updates: list[TokenSet] = []
    token = granted(x_sandbox, expired=True, updates=updates)
    x = make(token, max_concurrency=16)
    posted: list[str] = []

    async def post(index: int) -> None:
        posted.append((await x.posts.create(f"post number {index}")).id)

    async with AsyncBackend().task_pool(50) as pool:
        for index in range(50):
            await pool.submit(post, index)
    assert x_sandbox.credentials.refresh_requests == 1
    assert len(set(posted)) == 50 and len(x_sandbox.posts) == 50
    assert len(updates) == 1 and token.generation == 1
    assert token.expires_at is not None and token.expires_at > time.time() + 3600


async def test_a_confidential_client_refreshes_with_http_basic(
    make: XMaker, x_sandbox: XMediaSandbox
) -> None:
    updates: list[TokenSet] = []
    token = granted(
        x_sandbox, CONFIDENTIAL, expired=True, client_secret=CLIENT_SECRET, updates=updates
    )
    post = await make(token).posts.create("confidential")
    assert post.id in x_sandbox.posts
    assert x_sandbox.credentials.refresh_requests == 1 and len(updates) == 1


async def test_a_confidential_client_with_a_wrong_secret_must_reauthorise(
    make: XMaker, x_sandbox: XMediaSandbox
) -> None:
    token = granted(x_sandbox, CONFIDENTIAL, expired=True, client_secret="not-the-secret")
    with pytest.raises(XReauthorizationRequiredError) as info:
        await make(token).posts.create("refused")
    assert info.value.status == 401
    assert "not-the-secret" not in str(info.value) and "not-the-secret" not in repr(info.value)
    assert not x_sandbox.posts


def _token_answer(access: str, refresh: str, expires_in: int = 7200) -> Response:
    document = {"access_token": access, "refresh_token": refresh, "expires_in": expires_in}
    return Response(200, {}, json.dumps(document).encode())


def _mock(handler: Callable[[Request], Response]) -> tuple[AsyncX, AsyncMockTransport]:
    transport = AsyncMockTransport(handler)
    x = AsyncX(
        auth=OAuth2UserToken("cid", "at-old", refresh_token="rt-old", expires_at=0),
        base_url="http://127.0.0.1:9/x",
        transport=transport,
        backend=AsyncMockBackend(),
        retry=FAST_RETRY,
    )
    return x, transport


def _post_or_token(request: Request) -> Response:
    if request.url.endswith("/2/oauth2/token"):
        return _token_answer("at-new", "rt-new")
    if request.headers.get("Authorization") != "Bearer at-new":
        return Response(401, {}, b'{"title": "Unauthorized", "status": 401}')
    return Response(201, {}, b'{"data": {"id": "1445880548472328192", "text": "hi"}}')


async def test_the_refresh_request_on_the_wire_public_and_confidential() -> None:
    x, transport = _mock(_post_or_token)
    await x.posts.create("hi")
    refresh = transport.requests[0]
    assert refresh.method == "POST" and refresh.url == "http://127.0.0.1:9/x/2/oauth2/token"
    assert refresh.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert "Authorization" not in refresh.headers
    assert dict(parse_qsl((refresh.body or b"").decode())) == {
        "grant_type": "refresh_token",
        "refresh_token": "rt-old",
        "client_id": "cid",
    }
    assert transport.requests[1].headers["Authorization"] == "Bearer at-new"
    await x.close()

    transport = AsyncMockTransport(_post_or_token)
    y = AsyncX(
        auth=OAuth2UserToken(
            "cid", "at-old", refresh_token="rt-old", expires_at=0, client_secret="s:ecret"
        ),
        base_url="http://127.0.0.1:9/x",
        transport=transport,
        backend=AsyncMockBackend(),
    )
    await y.posts.create("hi")
    refresh = transport.requests[0]
    # base64 of "cid:s%3Aecret": each part form-encoded first (RFC 6749 section 2.3.1).
    assert refresh.headers["Authorization"] == "Basic Y2lkOnMlM0FlY3JldA=="
    assert dict(parse_qsl((refresh.body or b"").decode())) == {
        "grant_type": "refresh_token",
        "refresh_token": "rt-old",
    }
    await y.close()


async def test_refresh_tokens_rotate_and_each_set_is_handed_over(
    make: XMaker, x_sandbox: XMediaSandbox
) -> None:
    updates: list[TokenSet] = []
    token = granted(x_sandbox, expired=True, updates=updates)
    x = make(token)
    await x.posts.create("first")
    first = updates[0]
    assert first.refresh_token in x_sandbox.credentials.refresh_tokens
    # The new access token is refused (a 401): the second refresh must use the rotated
    # refresh token, the first one is dead.
    x_sandbox.credentials.expire(first.access_token)
    await x.posts.create("second")
    assert x_sandbox.credentials.refresh_requests == 2
    assert len(updates) == 2
    second = updates[1]
    assert second.refresh_token != first.refresh_token
    assert second.access_token != first.access_token
    assert first.refresh_token not in x_sandbox.credentials.refresh_tokens
    assert second.refresh_token in x_sandbox.credentials.refresh_tokens
    assert len(x_sandbox.posts) == 2


async def test_a_401_refreshes_once_and_replays_once(
    make: XMaker, x_sandbox: XMediaSandbox
) -> None:
    token = granted(x_sandbox, expires_at=None)  # no expiry known: only a 401 tells
    access = token.headers("POST", "")["Authorization"].split()[1]
    x_sandbox.credentials.expire(access)
    post = await make(token).posts.create("after a 401")
    assert x_sandbox.credentials.refresh_requests == 1
    assert list(x_sandbox.posts) == [post.id]
    assert [entry[1] for entry in x_sandbox.log] == ["/2/tweets", "/2/oauth2/token", "/2/tweets"]


async def test_a_second_401_is_raised_without_a_loop(
    make: XMaker, x_sandbox: XMediaSandbox
) -> None:
    fault = x_sandbox.add_fault(endpoint="posts.create", status=401, times=0)
    token = granted(x_sandbox)
    with pytest.raises(XAPIError) as info:
        await make(token).posts.create("refused twice")
    assert info.value.status == 401
    assert fault.hits == 2
    assert x_sandbox.credentials.refresh_requests == 1


async def test_a_revoked_refresh_token_means_reauthorisation(
    make: XMaker, x_sandbox: XMediaSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="oneall_push")
    token = granted(x_sandbox, expired=True)
    refresh = next(iter(x_sandbox.credentials.refresh_tokens))
    x_sandbox.credentials.revoke(refresh)
    with pytest.raises(XReauthorizationRequiredError) as info:
        await make(token).posts.create("never sent")
    error = info.value
    assert isinstance(error, XOAuthRefreshError) and error.status == 400
    assert "re-authorise" in str(error)
    assert not x_sandbox.posts
    for text in (str(error), repr(error), repr(token), caplog.text):
        assert refresh not in text
    assert error.http is not None and refresh.encode() not in error.http.body


async def test_other_refresh_failures_are_typed_and_not_retried(
    make: XMaker, x_sandbox: XMediaSandbox
) -> None:
    fault = x_sandbox.add_fault(endpoint="oauth2.token", status=503)
    token = granted(x_sandbox, expired=True)
    with pytest.raises(XOAuthRefreshError) as info:
        await make(token).posts.create("never sent")
    assert not isinstance(info.value, XReauthorizationRequiredError)
    assert info.value.status == 503 and fault.hits == 1
    assert not x_sandbox.posts


async def test_a_malformed_token_answer_is_a_refresh_error() -> None:
    def answer(request: Request) -> Response:
        if request.url.endswith("/2/oauth2/token"):
            return Response(200, {}, b'{"token_type": "bearer"}')
        return Response(401, {}, b"")

    x, _ = _mock(answer)
    with pytest.raises(XOAuthRefreshError, match="no usable access_token"):
        await x.posts.create("hi")
    await x.close()


async def test_a_token_not_yet_due_is_not_refreshed(make: XMaker, x_sandbox: XMediaSandbox) -> None:
    token = granted(x_sandbox, expires_at=time.time() + 3600)
    await make(token).posts.create("fresh")
    assert x_sandbox.credentials.refresh_requests == 0
    # Within the skew (60 s) before expiry: refreshed first.
    token.expires_at = time.time() + 30
    await make(token).posts.create("nearly expired")
    assert x_sandbox.credentials.refresh_requests == 1


async def test_a_callback_that_raises_is_logged_and_the_call_goes_on(
    make: XMaker, x_sandbox: XMediaSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    def store(tokens: TokenSet) -> None:
        raise RuntimeError(f"disk full while writing {tokens.access_token}")

    access, refresh = x_sandbox.credentials.grant(PUBLIC)
    x_sandbox.credentials.expire(access)
    token = OAuth2UserToken(
        PUBLIC, access, refresh_token=refresh, expires_at=0, on_token_update=store
    )
    caplog.set_level(logging.DEBUG, logger="oneall_push")
    post = await make(token).posts.create("persist failed")
    assert post.id in x_sandbox.posts
    assert "on_token_update raised RuntimeError" in caplog.text
    assert "disk full" not in caplog.text
    new_access = token.headers("POST", "")["Authorization"].split()[1]
    for secret in (access, refresh, new_access):
        assert secret not in caplog.text


async def test_media_calls_refresh_too(make: XMaker, x_sandbox: XMediaSandbox) -> None:
    token = granted(x_sandbox, expired=True)
    x = make(token)
    session = await x.media.initialize(media_type="image/png", total_bytes=10)
    assert session.id in x_sandbox.uploads
    assert x_sandbox.credentials.refresh_requests == 1


async def test_no_token_in_spans_hooks_or_logs_of_a_refresh(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from oneall_push.hooks import Hooks
    from tests.support.tracing import captured_spans

    spans = captured_spans()
    events: list[object] = []
    caplog.set_level(logging.DEBUG, logger="oneall_push")
    secrets = ("at-old", "rt-old", "at-new", "rt-new", "s3cret-x")
    x = AsyncX(
        auth=OAuth2UserToken(
            "cid", "at-old", refresh_token="rt-old", expires_at=0, client_secret="s3cret-x"
        ),
        base_url="http://127.0.0.1:9/x",
        transport=AsyncMockTransport(_post_or_token),
        backend=AsyncMockBackend(),
        hooks=Hooks(on_request=events.append, on_response=events.append),
    )
    await x.posts.create("hi")
    await x.close()
    names = [span.name for span in spans.get_finished_spans()]
    assert names == ["x oauth2.token", "x posts.create"]
    text = "\n".join(
        [*(span.to_json() for span in spans.get_finished_spans()), caplog.text, repr(events)]
    )
    assert "oauth2.token" in text
    for secret in secrets:
        assert secret not in text
    # The base64 of the Basic credentials does not leak either.
    assert "Y2lkOnMzY3JldC14" not in text


async def test_concurrent_401s_cause_one_refresh(make: XMaker, x_sandbox: XMediaSandbox) -> None:
    token = granted(x_sandbox, expires_at=None)
    x_sandbox.credentials.expire(token.headers("POST", "")["Authorization"].split()[1])
    x = make(token)

    async def post(index: int) -> None:
        await x.posts.create(f"after a 401, number {index}")

    async with AsyncBackend().task_pool(20) as pool:
        for index in range(20):
            await pool.submit(post, index)
    assert x_sandbox.credentials.refresh_requests == 1
    assert len(x_sandbox.posts) == 20
