"""The real transports (aiohttp / urllib3) against a scripted server on 127.0.0.1."""

from __future__ import annotations

import base64
import json
import logging

import pytest

from oneall_push import ConnectError, OutcomeUnknownError, RetryPolicy, Timeout, errors
from tests.support.loopback import ScriptedServer, Step, unused_port
from tests.support.samples import RESULT_DATA, envelope

from .conftest import PRIVATE_KEY, PUBLIC_KEY, ClientFactory

TOKEN = "tok-1"
OK = Step(document=envelope("/push/x", data={"provider": "twitter", **RESULT_DATA["PostResult"]}))


async def test_publish_over_http(make_client: ClientFactory, scripted: ScriptedServer) -> None:
    scripted.reset(OK)
    client = make_client(base_url=scripted.base_url)
    result = await client.twitter.publish_tweet(TOKEN, message="Hello", location="Paris FRANCE")
    assert result.post_id == RESULT_DATA["PostResult"]["post_id"]
    [hit] = scripted.hits
    assert hit.path == f"/push/identities/{TOKEN}/twitter/post.json"
    assert hit.headers["Content-Type"] == "application/json"
    auth = base64.b64decode(hit.headers["Authorization"].removeprefix("Basic ")).decode()
    assert auth == f"{PUBLIC_KEY}:{PRIVATE_KEY}"
    assert json.loads(hit.body) == {
        "request": {"push": {"post": {"message": "Hello", "location": "Paris FRANCE"}}}
    }


async def test_a_post_is_not_retried_after_a_read_timeout(
    make_client: ClientFactory, scripted: ScriptedServer
) -> None:
    scripted.reset(Step(document={}, delay=1.5), OK)
    client = make_client(base_url=scripted.base_url, timeout=Timeout(connect=5, read=0.3))
    with pytest.raises(OutcomeUnknownError, match="may have been processed"):
        await client.twitter.publish_tweet(TOKEN, message="m")
    assert len(scripted.hits) == 1


async def test_a_post_is_not_retried_after_a_disconnect(
    make_client: ClientFactory, scripted: ScriptedServer
) -> None:
    scripted.reset(Step(action="drop"), OK)
    client = make_client(base_url=scripted.base_url)
    with pytest.raises(OutcomeUnknownError):
        await client.twitter.publish_tweet(TOKEN, message="m")
    assert len(scripted.hits) == 1


async def test_connection_refused_is_a_connect_error_and_retried(
    make_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_client(
        base_url=f"http://127.0.0.1:{unused_port()}",
        retry=RetryPolicy(max_retries=2, backoff_initial=0.01, backoff_max=0.01),
    )
    with (
        caplog.at_level(logging.INFO, "oneall_push"),
        pytest.raises(ConnectError, match="could not connect"),
    ):
        await client.twitter.publish_tweet(TOKEN, message="m")
    retries = [r for r in caplog.records if "connect failed, retry" in r.getMessage()]
    assert len(retries) == 2


async def test_a_broken_status_line_is_outcome_unknown_and_leaks_no_credentials(
    make_client: ClientFactory, scripted: ScriptedServer
) -> None:
    scripted.reset(Step(action="garbage"), OK)
    client = make_client(base_url=scripted.base_url)
    with pytest.raises(OutcomeUnknownError) as caught:
        await client.twitter.publish_tweet(TOKEN, message="m")
    assert len(scripted.hits) == 1
    basic = base64.b64encode(f"{PUBLIC_KEY}:{PRIVATE_KEY}".encode()).decode()
    chain: BaseException | None = caught.value
    while chain is not None:
        for text in (repr(chain), str(chain), repr(getattr(chain, "args", ()))):
            assert PRIVATE_KEY not in text
            assert basic not in text
        chain = chain.__cause__ or chain.__context__


async def test_429_then_success_publishes_once(
    make_client: ClientFactory, scripted: ScriptedServer
) -> None:
    limited = Step(
        status=429,
        document=envelope("/push/x", code=429, info="Too many requests"),
        headers={"Retry-After": "0"},
    )
    scripted.reset(limited, OK)
    client = make_client(base_url=scripted.base_url)
    result = await client.twitter.publish_tweet(TOKEN, message="m")
    assert result.post_id
    assert len(scripted.hits) == 2


async def test_error_envelope_over_http(
    make_client: ClientFactory, scripted: ScriptedServer
) -> None:
    info = "Authentication credentials are missing or incorrect"
    scripted.reset(Step(status=401, document=envelope("/push/x", code=401, info=info)))
    client = make_client(base_url=scripted.base_url)
    with pytest.raises(errors.AuthenticationError, match="credentials are missing"):
        await client.twitter.publish_tweet(TOKEN, message="m")


async def test_the_connection_is_reused(
    make_client: ClientFactory, scripted: ScriptedServer
) -> None:
    scripted.reset(OK, OK, OK)
    client = make_client(base_url=scripted.base_url)
    for _ in range(3):
        await client.twitter.publish_tweet(TOKEN, message="m")
    assert len(scripted.hits) == 3
    assert len({hit.peer for hit in scripted.hits}) == 1
