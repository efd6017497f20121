"""What only the aiohttp half has: an event loop to belong to."""

from __future__ import annotations

import asyncio

import pytest

from oneall_push import AsyncOneAll, ConfigurationError
from tests.support.loopback import ScriptedServer, Step
from tests.support.samples import RESULT_DATA, envelope

OK = Step(document=envelope("/push/x", data={"provider": "twitter", **RESULT_DATA["PostResult"]}))
POST_ID = RESULT_DATA["PostResult"]["post_id"]


def test_a_closed_client_serves_the_next_event_loop(scripted: ScriptedServer) -> None:
    # Scripts often call asyncio.run() more than once with one module-level client.
    scripted.reset(OK, OK)
    client = AsyncOneAll(base_url=scripted.base_url, public_key="p", private_key="k")

    async def publish_and_close() -> str | None:
        async with client:
            return (await client.twitter.publish_tweet("tok", message="m")).post_id

    assert asyncio.run(publish_and_close()) == POST_ID
    assert asyncio.run(publish_and_close()) == POST_ID
    assert len(scripted.hits) == 2


def test_an_open_client_refuses_another_event_loop_clearly(scripted: ScriptedServer) -> None:
    scripted.reset(OK, OK)
    client = AsyncOneAll(base_url=scripted.base_url, public_key="p", private_key="k")
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(client.twitter.publish_tweet("tok", message="m"))

        async def elsewhere() -> None:
            await client.twitter.publish_tweet("tok", message="m")

        with pytest.raises(ConfigurationError, match="another event loop"):
            asyncio.run(elsewhere())
        assert len(scripted.hits) == 1
    finally:
        loop.run_until_complete(client.close())
        loop.close()
