"""The receiver's framework-specific forms: the aiohttp sub-app, and the documented WSGI and
ASGI recipes, executed from ``docs/callbacks.md`` so the docs cannot drift."""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import uuid
import wsgiref.simple_server
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import urllib3
from aiohttp import web

from oneall_push.callbacks import signing
from oneall_push.callbacks.config import CallbackConfig
from oneall_push.callbacks.receivers import HANDLER_KEY, make_callback_app
from oneall_push.callbacks.records import JobRecord
from oneall_push.callbacks.stores import AsyncMemoryStore, SyncMemoryStore
from tests.callback_helpers import callback_body

DOCS = Path(__file__).resolve().parent.parent / "docs" / "callbacks.md"
SECRET = "recipe-secret-0123456789abcdef"
CONFIG = CallbackConfig(public_url="http://127.0.0.1/oneall/callbacks", secret=SECRET)


def recipe(name: str) -> str:
    text = DOCS.read_text()
    match = re.search(rf"<!-- recipe: {name} -->\s*```python\n(.*?)```", text, re.S)
    assert match, f"recipe {name} missing from docs/callbacks.md"
    return match.group(1)


def record(job_id: str) -> JobRecord:
    return JobRecord(
        id=job_id,
        endpoint="twitter.upload_video",
        identity_token="tok",
        created=dt.datetime.now(dt.timezone.utc),
    )


def path_and_query(job_id: str, config: CallbackConfig = CONFIG) -> tuple[str, str]:
    url = signing.callback_url(config, job_id)
    path, _, query = url.partition("?")
    return "/oneall/callbacks/" + path.rsplit("/", 1)[1], query


@pytest.fixture
def wsgi_server() -> Iterator[tuple[str, SyncMemoryStore]]:
    store = SyncMemoryStore()
    namespace: dict[str, Any] = {"config": CONFIG, "store": store}
    exec(recipe("wsgi"), namespace)

    class Quiet(wsgiref.simple_server.WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = wsgiref.simple_server.make_server(
        "127.0.0.1", 0, namespace["callback_app"], handler_class=Quiet
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", store
    server.shutdown()
    server.server_close()
    thread.join()


def test_wsgi_recipe(wsgi_server: tuple[str, SyncMemoryStore]) -> None:
    base, store = wsgi_server
    http = urllib3.PoolManager(retries=False)
    job_id = uuid.uuid4().hex
    store.register(record(job_id), ttl=60)
    path, query = path_and_query(job_id)

    def post(url: str, body: bytes) -> int:
        return http.request("POST", url, body=body).status

    assert post(f"{base}{path}?{query}0", callback_body()) == 403
    assert post(f"{base}{path}?{query}", b"{not json") == 400
    assert store.get(job_id) is None
    unknown_path, unknown_query = path_and_query(uuid.uuid4().hex)
    assert post(f"{base}{unknown_path}?{unknown_query}", callback_body()) == 404
    assert post(f"{base}{path}?{query}", callback_body("wsgi")) == 200
    assert post(f"{base}{path}?{query}", callback_body("again")) == 200
    outcome = store.wait(job_id, 1)
    assert outcome is not None and outcome.ok
    assert outcome.document["response"]["result"]["data"]["video_id"] == "wsgi"
    http.clear()


async def test_asgi_recipe() -> None:
    store = AsyncMemoryStore()
    namespace: dict[str, Any] = {"config": CONFIG, "store": store}
    exec(recipe("asgi"), namespace)
    app = namespace["callback_app"]
    job_id = uuid.uuid4().hex
    await store.register(record(job_id), ttl=60)
    path, query = path_and_query(job_id)

    async def call(query_string: str, body: bytes) -> tuple[int, bytes]:
        chunks = [body[: len(body) // 2], body[len(body) // 2 :]]
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            chunk = chunks.pop(0)
            return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {
            "type": "http",
            "method": "POST",
            "path": path,
            "query_string": query_string.encode(),
            "headers": [],
        }
        await app(scope, receive, send)
        assert sent[0]["type"] == "http.response.start"
        assert (b"content-type", b"application/json") in sent[0]["headers"]
        return sent[0]["status"], sent[1]["body"]

    assert (await call(query.replace("sig=", "sig=f"), callback_body()))[0] == 403
    assert (await call(query, b"[]"))[0] == 400
    assert await store.get(job_id) is None
    status, body = await call(query, callback_body("asgi"))
    assert (status, json.loads(body)["message"]) == (200, "stored")
    outcome = await store.wait(job_id, 1)
    assert outcome is not None
    assert outcome.document["response"]["result"]["data"]["video_id"] == "asgi"


async def test_aiohttp_sub_app_under_a_prefix() -> None:
    store = AsyncMemoryStore()
    app = web.Application()
    sub = make_callback_app(CONFIG, store)
    assert sub[HANDLER_KEY].store is store
    app.add_subapp("/hooks/oneall/", sub)

    async def other(request: web.Request) -> web.Response:
        return web.Response(text="the app's own route")

    app.router.add_get("/", other)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    job_id = uuid.uuid4().hex
    await store.register(record(job_id), ttl=60)
    url = signing.callback_url(
        CallbackConfig(public_url=f"http://127.0.0.1:{port}/hooks/oneall", secret=SECRET), job_id
    )
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/") as response:
                assert await response.text() == "the app's own route"
            async with session.get(url) as response:
                assert response.status == 405
            big = b"x" * (70 * 1024)
            async with session.post(url, data=big) as response:
                assert response.status == 413
            async with session.post(url, data=callback_body("mounted")) as response:
                assert response.status == 200
        outcome = await store.wait(job_id, 1)
        assert outcome is not None
        assert outcome.document["response"]["result"]["data"]["video_id"] == "mounted"
    finally:
        await runner.cleanup()


def test_sync_server_refuses_other_paths_and_methods() -> None:
    from oneall_push.callbacks.receivers import SyncCallbackServer

    store = SyncMemoryStore()
    http = urllib3.PoolManager(retries=False)
    with SyncCallbackServer(CONFIG, store, path="/cb") as server:
        job_id = uuid.uuid4().hex
        store.register(record(job_id), ttl=60)
        config = CallbackConfig(public_url=server.url, secret=SECRET)
        url = signing.callback_url(config, job_id)
        assert http.request("GET", url).status == 405
        assert http.request("POST", url.replace("/cb/", "/other/"), body=b"{}").status == 404
        assert http.request("POST", url, body=callback_body("threaded")).status == 200
        outcome = store.wait(job_id, 1)
        assert outcome is not None and outcome.ok
    http.clear()
