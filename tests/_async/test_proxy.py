"""Proxies: ``proxy=``, the environment's HTTP_PROXY/NO_PROXY, credentials kept out of sight.

Every request goes through a forwarding proxy on loopback (``tests/support/proxy.py``), which
records what it forwarded. Written once; the sync twin is generated.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from oneall_push import AsyncMockTransport, AsyncOneAll, Response
from oneall_push.errors import ConfigurationError, ProxyRefusedError
from oneall_push.sandbox import Sandbox
from oneall_push.xmedia import AsyncXMedia
from tests.support.proxy import LoopbackProxy, loopback_proxy


@pytest.fixture
def proxy() -> Iterator[LoopbackProxy]:
    with loopback_proxy() as running:
        yield running


@pytest.fixture
def login_proxy() -> Iterator[LoopbackProxy]:
    with loopback_proxy(login="me:pr0xy-s3cret") as running:
        yield running


def client(sandbox: Sandbox, **network: Any) -> AsyncOneAll:
    return AsyncOneAll(**sandbox.client_kwargs(), **network)


async def test_push_calls_go_through_the_given_proxy(
    oneall_sandbox_fresh: Sandbox, proxy: LoopbackProxy
) -> None:
    sandbox = oneall_sandbox_fresh
    async with client(sandbox, proxy=proxy.url) as oneall:
        tweet = await oneall.twitter.publish_tweet(sandbox.token("twitter"), message="via")
    [forwarded] = proxy.seen
    assert forwarded.method == "POST"
    assert forwarded.url.startswith(sandbox.client_kwargs()["base_url"])
    assert forwarded.url.endswith("/twitter/post.json")
    assert [r["result"]["post_id"] for r in sandbox.records()] == [tweet.post_id]


async def test_the_environment_names_the_proxy_and_no_proxy_bypasses_it(
    oneall_sandbox_fresh: Sandbox, proxy: LoopbackProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox = oneall_sandbox_fresh
    token = sandbox.token("twitter")
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    async with client(sandbox) as oneall:
        await oneall.twitter.publish_tweet(token, message="env")
    assert len(proxy.seen) == 1
    async with client(sandbox, trust_env=False) as oneall:
        await oneall.twitter.publish_tweet(token, message="ignored env")
    monkeypatch.setenv("NO_PROXY", "example.org, 127.0.0.1")
    async with client(sandbox) as oneall:
        await oneall.twitter.publish_tweet(token, message="bypassed")
    assert len(proxy.seen) == 1  # neither the trust_env=False client nor the bypassed host
    assert len(sandbox.records()) == 3


async def test_proxy_credentials_are_sent_and_never_shown(
    oneall_sandbox_fresh: Sandbox, login_proxy: LoopbackProxy
) -> None:
    sandbox = oneall_sandbox_fresh
    async with client(sandbox, proxy=login_proxy.with_login()) as oneall:
        await oneall.twitter.publish_tweet(sandbox.token("twitter"), message="auth")
        shown = repr(oneall._transport) + repr(oneall)
    assert login_proxy.seen[0].proxy_authorization is not None
    assert "pr0xy-s3cret" not in shown and "me:***@" in repr(oneall._transport)
    refused_by = client(sandbox, proxy=login_proxy.with_login().replace("pr0xy-s3cret", "wr0ng"))
    try:
        with pytest.raises(ProxyRefusedError) as refused:
            await refused_by.twitter.publish_tweet(sandbox.token("twitter"), message="no")
    finally:
        await refused_by.close()
    assert refused.value.status == 407
    assert "wr0ng" not in str(refused.value) + repr(refused.value)
    assert len(sandbox.records()) == 1  # the refused call never reached OneAll


async def test_x_media_uploads_go_through_the_proxy(
    oneall_sandbox_fresh: Sandbox, proxy: LoopbackProxy
) -> None:
    sandbox = oneall_sandbox_fresh
    assert sandbox.x_media_url is not None
    token = next(iter(sandbox.x_media.tokens))
    async with AsyncXMedia(bearer_token=token, base_url=sandbox.x_media_url, proxy=proxy.url) as x:
        media = await x.upload(b"GIF89a" + b"\x00" * 64, media_type="image/gif", wait=False)
    assert media.id
    steps = {f.url.split("?")[0].rsplit("/", 1)[-1] for f in proxy.seen}
    assert {"initialize", "append", "finalize"} <= steps
    assert all(f.url.startswith(sandbox.x_media_url) for f in proxy.seen)


async def test_network_settings_beside_a_given_transport_are_refused() -> None:
    transport = AsyncMockTransport(lambda r: Response(200))
    settings: list[dict[str, Any]] = [{"proxy": "http://127.0.0.1:9"}, {"trust_env": False}]
    for network in settings:
        with pytest.raises(ConfigurationError, match="set them on the transport"):
            AsyncOneAll(
                subdomain="demo", public_key="p", private_key="k", transport=transport, **network
            )
    with pytest.raises(ConfigurationError, match="http:// URL"):
        AsyncOneAll(subdomain="demo", public_key="p", private_key="k", proxy="socks5://h:1")
    with pytest.raises(ConfigurationError, match=r"\*\*\*"):
        AsyncXMedia(bearer_token="t", proxy="ftp://user:hidden@h:1")
