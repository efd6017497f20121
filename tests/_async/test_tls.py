"""TLS: verification stays on; ``ssl_context=`` trusts a custom CA. Written once; the sync twin
is generated."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from oneall_push import AsyncOneAll
from oneall_push.errors import ConnectError
from tests.support.samples import RESULT_DATA, envelope
from tests.support.tls import TLSServer, openssl_available, tls_server

pytestmark = pytest.mark.skipif(not openssl_available(), reason="needs the openssl command")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[TLSServer]:
    body = json.dumps(envelope("/push/x.json", data=RESULT_DATA["PostResult"])).encode()
    with tls_server(tmp_path, body) as running:
        yield running


async def test_an_unknown_certificate_is_refused_and_a_given_ca_is_trusted(
    server: TLSServer,
) -> None:
    keys: dict[str, Any] = {"base_url": server.url, "public_key": "p", "private_key": "k"}
    untrusting = AsyncOneAll(**keys)
    try:
        with pytest.raises(ConnectError, match="could not connect"):
            await untrusting.twitter.publish_tweet("token", message="hi")
    finally:
        await untrusting.close()
    async with AsyncOneAll(**keys, ssl_context=server.trusting) as trusting:
        tweet = await trusting.twitter.publish_tweet("token", message="hi")
    assert tweet.post_id == RESULT_DATA["PostResult"]["post_id"]
