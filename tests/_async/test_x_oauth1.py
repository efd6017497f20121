"""OAuth 1.0a on every media call: each attempt signed anew, checked against oauthlib."""

from __future__ import annotations

import json

from oneall_push._io import AsyncMockBackend, AsyncMockTransport, Request, Response
from oneall_push._xauth import OAuth1
from oneall_push.errors import XAPIError
from oneall_push.xmedia import AsyncXMedia
from tests.support.oauth1_check import (
    ACCESS_TOKEN,
    ACCESS_TOKEN_SECRET,
    CONSUMER_KEY,
    CONSUMER_SECRET,
    check_signed,
)

from .xmedia_support import FAST_RETRY, PNG_HEAD

RATE = {
    "x-rate-limit-limit": "500",
    "x-rate-limit-remaining": "499",
    "x-rate-limit-reset": "1700000900",
}


def creds() -> OAuth1:
    return OAuth1(CONSUMER_KEY, CONSUMER_SECRET, ACCESS_TOKEN, ACCESS_TOKEN_SECRET)


def _media(state: str | None = None) -> bytes:
    data: dict[str, object] = {"id": "1880028106020515840", "media_key": "3_1880028106020515840"}
    if state is not None:
        data["processing_info"] = {"state": state}
    return json.dumps({"data": data}).encode()


def _answer(request: Request) -> Response:
    if request.url.endswith("/append"):
        return Response(204, RATE, b"")
    if "/2/media/metadata" in request.url:
        return Response(200, RATE, b'{"data": {"id": "1880028106020515840"}}')
    return Response(200, RATE, _media("succeeded" if "STATUS" in request.url else None))


def _client(transport: AsyncMockTransport) -> AsyncXMedia:
    return AsyncXMedia(
        auth=creds(),
        base_url="http://127.0.0.1:9/x",
        transport=transport,
        backend=AsyncMockBackend(),
        retry=FAST_RETRY,
    )


async def test_every_media_call_is_signed_with_query_but_never_the_body() -> None:
    transport = AsyncMockTransport(_answer)
    x = _client(transport)
    media = await x.initialize(media_type="video/mp4", total_bytes=10)
    await x.append(media.id, 0, b"0123456789")
    await x.finalize(media.id)
    status = await x.status(media.id)
    await x.set_alt_text(media.id, "a cat")
    await x.close()
    requests = transport.requests
    assert [r.url.split("/x", 1)[1] for r in requests] == [
        "/2/media/upload/initialize",
        f"/2/media/upload/{media.id}/append",
        f"/2/media/upload/{media.id}/finalize",
        f"/2/media/upload?media_id={media.id}&command=STATUS",
        "/2/media/metadata",
    ]
    nonces = set()
    for r in requests:
        params = check_signed(r.method, r.url, r.headers["Authorization"])
        nonces.add(params["oauth_nonce"])
    assert len(nonces) == len(requests)
    assert status.rate_limit is not None and status.rate_limit.remaining == 499


async def test_simple_upload_multipart_is_signed_without_its_fields() -> None:
    transport = AsyncMockTransport(_answer)
    x = _client(transport)
    await x.simple_upload(PNG_HEAD + b"\x00" * 100)
    await x.close()
    (request,) = transport.requests
    assert b'name="media_category"' in (request.body or b"")
    check_signed(request.method, request.url, request.headers["Authorization"])


async def test_a_retry_is_signed_again_with_a_fresh_nonce() -> None:
    answers = iter([Response(503, {}, b""), Response(200, RATE, _media())])
    transport = AsyncMockTransport(lambda request: next(answers))
    x = _client(transport)
    await x.finalize("1880028106020515840")
    await x.close()
    first, second = transport.requests
    one = check_signed(first.method, first.url, first.headers["Authorization"])
    two = check_signed(second.method, second.url, second.headers["Authorization"])
    assert one["oauth_nonce"] != two["oauth_nonce"]


async def test_a_tampered_signature_fails_the_independent_check() -> None:
    transport = AsyncMockTransport(_answer)
    x = _client(transport)
    await x.status("1880028106020515840")
    await x.close()
    (request,) = transport.requests
    wrong_url = request.url.replace("STATUS", "STATUX")
    try:
        check_signed(request.method, wrong_url, request.headers["Authorization"])
    except AssertionError:
        pass
    else:
        raise AssertionError("a signature over another URL passed")


async def test_errors_carry_rate_limit() -> None:
    headers = {**RATE, "x-rate-limit-remaining": "0", "x-app-limit-24hour-remaining": "garbage"}
    transport = AsyncMockTransport(lambda request: Response(400, headers, b'{"title": "Invalid"}'))
    x = _client(transport)
    try:
        await x.status("1880028106020515840")
    except XAPIError as exc:
        assert exc.rate_limit is not None
        assert exc.rate_limit.remaining == 0
        assert exc.rate_limit.app_24h is not None and exc.rate_limit.app_24h.remaining is None
    else:
        raise AssertionError("no error")
    finally:
        await x.close()
    assert "SECRET" not in repr(x)
