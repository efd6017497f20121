from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from oneall_push import AsyncMockBackend, AsyncMockTransport, AsyncOneAll, MockHandler, RetryPolicy

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
