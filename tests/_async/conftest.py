"""Fixtures of the tests written once for both halves: Push clients and X media clients."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from oneall_push import AsyncMockBackend, AsyncMockTransport, AsyncOneAll, MockHandler, RetryPolicy
from oneall_push.sandbox.xmedia import XMediaSandbox
from oneall_push.xmedia import AsyncXMedia
from tests.support.x_tokens import X_TOKEN

from .xmedia_support import FAST_RETRY, XFactory

PRIVATE_KEY = "priv-SECRET-5f1d2c"
PUBLIC_KEY = "pub-3a9e"

ClientFactory = Callable[..., AsyncOneAll]


@pytest.fixture
async def make_client() -> AsyncIterator[ClientFactory]:
    """Build clients on the mock transport and backend (``handler=``) or a real one (``base_url=``)."""
    made: list[AsyncOneAll] = []

    def make(handler: MockHandler | None = None, **kwargs: Any) -> AsyncOneAll:
        if handler is not None:
            kwargs["transport"] = AsyncMockTransport(handler)
            kwargs.setdefault("backend", AsyncMockBackend())
        kwargs.setdefault("subdomain", "demo")
        kwargs.setdefault("retry", RetryPolicy(backoff_initial=0.01, backoff_max=0.02))
        client = AsyncOneAll(public_key=PUBLIC_KEY, private_key=PRIVATE_KEY, **kwargs)
        made.append(client)
        return client

    yield make
    for client in made:
        await client.close()


@pytest.fixture
async def make_x(x_sandbox: XMediaSandbox) -> AsyncIterator[XFactory]:
    """Clients aimed at the sandbox (or at the mock transport with ``transport=``)."""
    made: list[AsyncXMedia] = []

    def make(**kwargs: Any) -> AsyncXMedia:
        kwargs.setdefault("bearer_token", X_TOKEN)
        kwargs.setdefault("base_url", x_sandbox.base_url)
        kwargs.setdefault("retry", FAST_RETRY)
        kwargs.setdefault("min_poll_interval", 0.001)
        kwargs.setdefault("chunk_size", 64 * 1024)
        client = AsyncXMedia(**kwargs)
        made.append(client)
        return client

    yield make
    for client in made:
        await client.close()
