"""The receiver's framework-specific forms: the aiohttp sub-app, and the documented WSGI and
ASGI recipes, executed from ``docs/callbacks.md`` so the docs cannot drift."""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import http.client
import io
import json
import logging
import re
import socket
import threading
import uuid
import warnings
import wsgiref.simple_server
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import multidict
import pytest
import redis
import urllib3
from aiohttp import web

from oneall_push._io import AsyncRedisConnection
from oneall_push.callbacks import signing
from oneall_push.callbacks.config import CallbackConfig
from oneall_push.callbacks.outcome import MAX_BODY, CallbackOutcome
from oneall_push.callbacks.receivers import (
    HANDLER_KEY,
    AsyncCallbackServer,
    SignatureRedactingFilter,
    SyncCallbackServer,
    make_callback_app,
)
from oneall_push.callbacks.records import JobRecord
from oneall_push.callbacks.stores import (
    AsyncCallbackStore,
    AsyncMemoryStore,
    AsyncRedisStore,
    SyncMemoryStore,
)
from oneall_push.errors import CallbackVerificationError, ConfigurationError
from tests.support.callbacks import callback_body, raw_post, redis_server

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


# --- the WSGI recipe's edge cases, called directly ---------------------------------------


def _wsgi_app(store: SyncMemoryStore) -> Callable[..., Any]:
    namespace: dict[str, Any] = {"config": CONFIG, "store": store}
    exec(recipe("wsgi"), namespace)
    app: Callable[..., Any] = namespace["callback_app"]
    return app


def _wsgi_call(app: Callable[..., Any], job_id: str, body: bytes, **environ: Any) -> int:
    path, query = path_and_query(job_id)
    started: list[str] = []
    env = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "wsgi.input": io.BytesIO(body),
        **environ,
    }
    b"".join(app(env, lambda status, headers: started.append(status)))
    return int(started[0].split()[0])


@pytest.mark.parametrize(
    ("environ", "status"),
    [
        ({"CONTENT_LENGTH": "abc"}, 400),
        ({"CONTENT_LENGTH": "\u00b2"}, 400),
        ({"CONTENT_LENGTH": "-5"}, 400),
        ({"CONTENT_LENGTH": "1e3"}, 400),
        ({}, 411),  # chunked, and the server does not mark where the body ends
        ({"CONTENT_LENGTH": str(MAX_BODY + 10)}, 413),
    ],
)
def test_wsgi_recipe_refuses_unreadable_bodies(environ: dict[str, str], status: int) -> None:
    store = SyncMemoryStore()
    app = _wsgi_app(store)
    job_id = uuid.uuid4().hex
    store.register(record(job_id), ttl=60)
    body = callback_body() + b" " * (MAX_BODY + 10 - len(callback_body()))
    assert _wsgi_call(app, job_id, body, **environ) == status
    assert store.get(job_id) is None


def test_wsgi_recipe_reads_chunked_bodies_the_server_decoded() -> None:
    store = SyncMemoryStore()
    app = _wsgi_app(store)
    job_id = uuid.uuid4().hex
    store.register(record(job_id), ttl=60)
    assert (
        _wsgi_call(app, job_id, callback_body("chunked"), **{"wsgi.input_terminated": True}) == 200
    )
    outcome = store.get(job_id)
    assert outcome is not None
    assert outcome.document["response"]["result"]["data"]["video_id"] == "chunked"


def test_wsgi_recipe_under_wsgiref_refuses_chunked_with_411(
    wsgi_server: tuple[str, SyncMemoryStore],
) -> None:
    base, store = wsgi_server
    job_id = uuid.uuid4().hex
    store.register(record(job_id), ttl=60)
    path, query = path_and_query(job_id)
    port = int(base.rsplit(":", 1)[1])
    status, _ = raw_post(port, f"{path}?{query}", callback_body(), chunked=True, pause=0)
    assert status == 411
    assert store.get(job_id) is None


# --- bodies that arrive in pieces ----------------------------------------------------------


@pytest.fixture
async def aiohttp_receiver(
    request: pytest.FixtureRequest,
) -> AsyncIterator[tuple[int, str, AsyncMemoryStore]]:
    """(port, path prefix, store): the standalone aiohttp server, or the sub-app mounted."""
    store = AsyncMemoryStore()
    if getattr(request, "param", "standalone") == "standalone":
        async with AsyncCallbackServer(CONFIG, store) as server:
            yield server.port, "/oneall/callbacks", store
        return
    app = web.Application()  # the user's app: default client_max_size
    app.add_subapp("/hooks/oneall/", make_callback_app(CONFIG, store))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield runner.addresses[0][1], "/hooks/oneall", store
    finally:
        await runner.cleanup()


@pytest.mark.parametrize("aiohttp_receiver", ["standalone", "mounted"], indirect=True)
@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_aiohttp_receiver_reads_a_body_sent_in_pieces(
    aiohttp_receiver: tuple[int, str, AsyncMemoryStore], chunked: bool
) -> None:
    port, prefix, store = aiohttp_receiver
    job_id = uuid.uuid4().hex
    await store.register(record(job_id), ttl=60)
    _, query = path_and_query(job_id)
    target = f"{prefix}/{job_id}?{query}"
    body = callback_body("in-pieces")
    status, answer = await asyncio.to_thread(raw_post, port, target, body, chunked=chunked)
    assert (status, json.loads(answer)["message"]) == (200, "stored")
    outcome = await store.get(job_id)
    assert outcome is not None
    assert outcome.document["response"]["result"]["data"]["video_id"] == "in-pieces"


@pytest.mark.parametrize("aiohttp_receiver", ["standalone", "mounted"], indirect=True)
async def test_aiohttp_receiver_refuses_an_oversized_chunked_body(
    aiohttp_receiver: tuple[int, str, AsyncMemoryStore],
) -> None:
    port, prefix, store = aiohttp_receiver
    job_id = uuid.uuid4().hex
    await store.register(record(job_id), ttl=60)
    _, query = path_and_query(job_id)
    body = callback_body() + b" " * MAX_BODY
    status, _ = await asyncio.to_thread(
        raw_post, port, f"{prefix}/{job_id}?{query}", body, chunked=True, pause=0
    )
    assert status == 413
    assert await store.get(job_id) is None


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_threaded_receiver_reads_a_body_sent_in_pieces(chunked: bool) -> None:
    store = SyncMemoryStore()
    with SyncCallbackServer(CONFIG, store) as server:
        job_id = uuid.uuid4().hex
        store.register(record(job_id), ttl=60)
        path, query = path_and_query(job_id)
        body = callback_body("threaded-pieces")
        status, answer = raw_post(server.port, f"{path}?{query}", body, chunked=chunked)
    assert (status, json.loads(answer)["message"]) == (200, "stored")
    outcome = store.get(job_id)
    assert outcome is not None
    assert outcome.document["response"]["result"]["data"]["video_id"] == "threaded-pieces"


# --- the threaded server's connections ---------------------------------------------------


def _post(
    conn: http.client.HTTPConnection, target: str, body: bytes, headers: dict[str, str]
) -> http.client.HTTPResponse:
    conn.request("POST", target, body=body, headers=headers)
    response = conn.getresponse()
    response.read()
    return response


@pytest.mark.parametrize(
    ("method", "headers", "body", "status"),
    [
        ("GET", {}, b"", 405),
        ("POST", {"Content-Length": "abc"}, b"", 400),
        ("POST", {"Content-Length": "\u00b2".encode().decode("latin-1")}, b"", 400),
        ("POST", {"Transfer-Encoding": "gzip"}, b"", 400),
        ("POST", {"Content-Length": str(MAX_BODY + 1)}, b" " * (MAX_BODY + 1), 413),
    ],
    ids=["get", "garbage-length", "unicode-length", "gzip-encoding", "too-large"],
)
def test_threaded_receiver_closes_refused_connections_cleanly(
    method: str, headers: dict[str, str], body: bytes, status: int
) -> None:
    """A keep-alive client is told the connection closes, and its next request succeeds."""
    store = SyncMemoryStore()
    with SyncCallbackServer(CONFIG, store) as server:
        job_id = uuid.uuid4().hex
        store.register(record(job_id), ttl=60)
        path, query = path_and_query(job_id)
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        try:
            conn.putrequest(method, f"{path}?{query}", skip_accept_encoding=True)
            for name, value in headers.items():
                conn.putheader(name, value)
            conn.endheaders(body or None)
            refused = conn.getresponse()
            refused.read()
            assert refused.status == status
            assert refused.getheader("Connection") == "close"
            # http.client reconnects because it was told to; without the header it would
            # reuse the closed socket and fail.
            ok = _post(conn, f"{path}?{query}", callback_body("after"), {})
            assert ok.status == 200
        finally:
            conn.close()
    assert store.get(job_id) is not None


def test_threaded_receiver_keeps_good_connections_alive() -> None:
    store = SyncMemoryStore()
    with SyncCallbackServer(CONFIG, store) as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        try:
            for _ in range(3):
                job_id = uuid.uuid4().hex
                store.register(record(job_id), ttl=60)
                path, query = path_and_query(job_id)
                response = _post(conn, f"{path}?{query}", callback_body(), {})
                assert response.status == 200
                assert response.getheader("Connection") is None
            assert conn.sock is not None  # one connection served all three
        finally:
            conn.close()


def test_threaded_receiver_closes_idle_connections() -> None:
    with (
        SyncCallbackServer(CONFIG, SyncMemoryStore(), idle_timeout=0.2) as server,
        socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock,
    ):
        # The client says nothing; the server hangs up instead of waiting forever.
        assert sock.recv(1024) == b""


def test_threaded_receiver_close_shuts_open_connections_and_stores_nothing_more() -> None:
    store = SyncMemoryStore()
    server = SyncCallbackServer(CONFIG, store).start()
    before, after = uuid.uuid4().hex, uuid.uuid4().hex
    for job_id in (before, after):
        store.register(record(job_id), ttl=60)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        path, query = path_and_query(before)
        assert _post(conn, f"{path}?{query}", callback_body(), {}).status == 200
        server.close()
        path, query = path_and_query(after)
        try:
            status: int | None = _post(conn, f"{path}?{query}", callback_body(), {}).status
        except (OSError, http.client.HTTPException):
            status = None
        assert status in (None, 503)
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", server.port), timeout=5).close()
    finally:
        conn.close()
        server.close()
    assert store.get(after) is None
    assert store.get(before) is not None


class _BrokenStore(SyncMemoryStore):
    """A store with a bug: its lookup raises what no receiver expects (with the query in it)."""

    def lookup(self, job_id: str) -> JobRecord | None:
        raise RuntimeError(f"bug while looking up {job_id}: {self.query}")

    query = ""


def test_threaded_receiver_answers_500_to_an_unforeseen_error_and_logs_its_type_only(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    store = _BrokenStore()
    job_id = uuid.uuid4().hex
    path, query = path_and_query(job_id)
    store.query = query
    with SyncCallbackServer(CONFIG, store) as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        try:
            response = _post(conn, f"{path}?{query}", callback_body(), {})
            assert response.status == 500
            assert response.getheader("Connection") == "close"
        finally:
            conn.close()
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.getMessage() for r in failures] == ["callback receiver failed: RuntimeError"]
    logged = "\n".join(f"{r.getMessage()} {vars(r)}" for r in caplog.records)
    assert query not in logged and query.split("sig=")[1] not in logged


def test_a_sync_server_on_a_taken_port_fails_to_start() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        server = SyncCallbackServer(CONFIG, SyncMemoryStore(), port=taken.getsockname()[1])
        with pytest.raises(OSError):
            server.start()
    server.port = 0
    with server:  # nothing was left half-started
        assert server.port != 0


async def test_an_async_server_on_a_taken_port_cleans_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runners: list[Any] = []
    cleaned: list[Any] = []

    class Runner(web.AppRunner):
        async def setup(self) -> None:
            runners.append(self)
            await super().setup()

        async def cleanup(self) -> None:
            cleaned.append(self)
            await super().cleanup()

    monkeypatch.setattr("aiohttp.web.AppRunner", Runner)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        server = AsyncCallbackServer(CONFIG, AsyncMemoryStore(), port=taken.getsockname()[1])
        with pytest.raises(OSError):
            await server.start()
    assert len(runners) == 1
    assert cleaned == runners  # the runner set up for the failed start is gone


def test_sync_server_exit_does_not_hide_a_failing_close() -> None:
    server = SyncCallbackServer(CONFIG, SyncMemoryStore())
    closed: list[bool] = []

    def failing_close() -> None:
        SyncCallbackServer.close(server)
        closed.append(True)
        raise RuntimeError("close failed")

    try:
        with pytest.raises(RuntimeError, match="close failed"), server:
            server.close = failing_close  # type: ignore[method-assign]
    finally:
        del server.close  # no reference cycle left for the garbage collector
    assert closed == [True]


def _expect_continue(port: int, target: str, body: bytes) -> tuple[bytes, int]:
    head = (
        f"POST {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n"
        "Expect: 100-continue\r\nConnection: close\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head.encode())
        interim = sock.recv(1024)  # the body is not sent until the server asks for it
        sock.sendall(body)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return interim.split(b"\r\n", 1)[0], int(data.split()[1])


@pytest.mark.parametrize("kind", ["threaded", "aiohttp"])
async def test_receivers_answer_expect_100_continue(kind: str) -> None:
    job_id = uuid.uuid4().hex
    path, query = path_and_query(job_id)
    if kind == "threaded":
        sync_store = SyncMemoryStore()
        sync_store.register(record(job_id), ttl=60)
        with SyncCallbackServer(CONFIG, sync_store) as threaded:
            interim, status = await asyncio.to_thread(
                _expect_continue, threaded.port, f"{path}?{query}", callback_body()
            )
        assert sync_store.get(job_id) is not None
    else:
        store = AsyncMemoryStore()
        await store.register(record(job_id), ttl=60)
        async with AsyncCallbackServer(CONFIG, store) as server:
            interim, status = await asyncio.to_thread(
                _expect_continue, server.port, f"{path}?{query}", callback_body()
            )
        assert await store.get(job_id) is not None
    assert interim == b"HTTP/1.1 100 Continue"
    assert status == 200


# --- signature checks, without HTTP --------------------------------------------------------


def test_verify_refuses_every_malformed_query_with_a_typed_error() -> None:
    job_id = uuid.uuid4().hex
    _, query = path_and_query(job_id)
    signing.verify(CONFIG, job_id, query)  # the genuine one passes
    exp = query.split("exp=")[1].split("&")[0]
    sig = query.split("sig=")[1]
    forged: list[Any] = [
        f"exp=\u00b2&sig={sig}",
        f"exp=\u0661\u0662\u0663&sig={sig}",
        f"exp=\uff11\uff12&sig={sig}",  # fullwidth digits
        f"exp={'9' * 13}&sig={sig}",
        f"exp=0{exp}&sig={sig}",
        f"exp={exp}&sig={sig[:-1]}\u00e9",
        f"exp={exp}&sig={sig[:-1]}\uff41",  # fullwidth "a"
        f"exp={exp}&sig={sig}&sig={sig}",
        f"exp={exp}&exp={exp}&sig={sig}",
        f"sig={sig}",
        f"exp={exp}",
        "",
        "&&&",
        {"exp": exp, "sig": [sig, sig]},
        {"exp": [exp], "sig": []},
        {"exp": 12, "sig": sig},
        {"exp": exp, "sig": None},
        multidict.MultiDict([("exp", exp), ("sig", sig), ("sig", sig)]),
    ]
    for query_form in forged:
        with pytest.raises(CallbackVerificationError) as caught:
            signing.verify(CONFIG, job_id, query_form)
        assert caught.value.status == 403, query_form
    for bad_id in ["\u00e9" * 10, "a/b" * 4, ""]:
        with pytest.raises(CallbackVerificationError) as caught:
            signing.verify(CONFIG, bad_id, query)
        assert caught.value.status == 404
    # Mapping forms of the genuine query pass.
    signing.verify(CONFIG, job_id, {"exp": exp, "sig": sig})
    signing.verify(CONFIG, job_id, {"exp": [exp], "sig": [sig]})
    signing.verify(CONFIG, job_id, multidict.MultiDict([("exp", exp), ("sig", sig)]))


# --- Redis stores and event loops ----------------------------------------------------------


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


def _outcome(n: int) -> CallbackOutcome:
    return CallbackOutcome(ok=True, status=200, info="", document={"n": n})


async def _round_trip(store: AsyncCallbackStore, n: int) -> CallbackOutcome | None:
    job_id = uuid.uuid4().hex
    await store.register(record(job_id), ttl=60)

    async def later() -> None:
        await asyncio.sleep(0.05)
        await store.put(job_id, _outcome(n), ttl=60)

    task = asyncio.ensure_future(later())
    outcome = await store.wait(job_id, 10)
    await task
    return outcome


def test_async_redis_store_moves_to_a_new_event_loop(redis_url: str) -> None:
    store = AsyncRedisStore(redis_url, prefix=f"loops-{uuid.uuid4().hex[:8]}:")
    # Each asyncio.run is a new loop; the store is not closed in between.
    assert asyncio.run(_round_trip(store, 1)) == _outcome(1)
    assert asyncio.run(_round_trip(store, 2)) == _outcome(2)
    asyncio.run(store.close())
    # The connections of the finished loops cannot be closed from another loop: the garbage
    # collector closes them (with a ResourceWarning each), here rather than at a random moment
    # of a later test.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


def test_async_redis_store_with_a_given_client_refuses_another_loop(redis_url: str) -> None:
    async def first() -> None:
        client = redis.asyncio.from_url(redis_url)
        store = AsyncRedisStore(
            connection=AsyncRedisConnection(client=client), prefix="given-client:"
        )
        holder.append(store)
        assert await store.get(uuid.uuid4().hex) is None
        await client.aclose()

    holder: list[AsyncRedisStore] = []
    asyncio.run(first())
    with pytest.raises(ConfigurationError, match="event loop"):
        asyncio.run(holder[0].get(uuid.uuid4().hex))


def test_async_redis_store_refuses_a_second_running_loop(redis_url: str) -> None:
    store = AsyncRedisStore(redis_url, prefix="two-loops:")
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever)
    thread.start()
    try:
        future = asyncio.run_coroutine_threadsafe(store.get(uuid.uuid4().hex), loop)
        assert future.result(timeout=10) is None
        with pytest.raises(ConfigurationError, match="another running event loop"):
            asyncio.run(store.get(uuid.uuid4().hex))
        asyncio.run_coroutine_threadsafe(store.close(), loop).result(timeout=10)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()


async def test_a_wait_cancelled_while_subscribing_leaves_no_watcher() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Nothing listens there: the subscription never comes up, the wait sits in listen().
    store = AsyncRedisStore(f"redis://127.0.0.1:{port}/0", prefix="cancelled:")
    logging.getLogger("oneall_push.callbacks").setLevel(logging.ERROR)
    try:
        task = asyncio.ensure_future(store.wait(uuid.uuid4().hex, 30))
        while len(store._watchers) == 0:  # noqa: ASYNC110 - no event to wait on
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert len(store._watchers) == 0
    finally:
        logging.getLogger("oneall_push.callbacks").setLevel(logging.NOTSET)
        await store.close()


# --- access logs ---------------------------------------------------------------------------


async def test_signature_redacting_filter_on_aiohttp_access_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    access = logging.getLogger("test.callbacks.access")
    access.addFilter(SignatureRedactingFilter())
    caplog.set_level(logging.INFO, logger="test.callbacks.access")
    store = AsyncMemoryStore()
    app = web.Application()
    app.add_subapp("/hooks/oneall/", make_callback_app(CONFIG, store))
    runner = web.AppRunner(app, access_log=access)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    job_id = uuid.uuid4().hex
    await store.register(record(job_id), ttl=60)
    url = signing.callback_url(
        CallbackConfig(public_url=f"http://127.0.0.1:{port}/hooks/oneall", secret=SECRET), job_id
    )
    sig = url.split("sig=")[1]
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, data=callback_body()) as response,
        ):
            assert response.status == 200
    finally:
        await runner.cleanup()
        access.filters.clear()
    records = [r for r in caplog.records if r.name == "test.callbacks.access"]
    assert records, "the access log recorded the request"
    for rec in records:
        assert sig not in f"{rec.getMessage()} {vars(rec)}"
    assert f"/hooks/oneall/{job_id}?exp=" in records[0].getMessage()
    assert "sig=<redacted>" in records[0].getMessage()


def test_signature_redacting_filter_keeps_argument_shapes() -> None:
    sig = "ab" * 32
    target = f"/cb/0123456789abcdef?exp=1&sig={sig}"
    uvicorn_style = logging.makeLogRecord(
        {"msg": '%s - "%s %s HTTP/%s" %d', "args": ("127.0.0.1", "POST", target, "1.1", 200)}
    )

    class Atoms(dict[str, Any]):
        """Like gunicorn's: a dict subclass the formatter relies on."""

    atoms = Atoms(r=f"POST {target} HTTP/1.1", s="200")
    gunicorn_style = logging.makeLogRecord({"msg": "%(r)s %(s)s", "args": ()})
    gunicorn_style.args = atoms
    redactor = SignatureRedactingFilter()
    assert redactor.filter(uvicorn_style) and redactor.filter(gunicorn_style)
    assert isinstance(uvicorn_style.args, tuple) and len(uvicorn_style.args) == 5
    assert gunicorn_style.args is atoms
    for rec in (uvicorn_style, gunicorn_style):
        assert sig not in rec.getMessage()
        assert "/cb/0123456789abcdef?exp=1&sig=<redacted>" in rec.getMessage()


# --- where the standalone servers listen, and what they answer to other methods -----------


def _post_status(port: int, target: str, body: bytes) -> int:
    return _raw_request(port, "POST", target, body)[0]


def _raw_request(
    port: int, method: str, target: str, body: bytes | None = None
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, target, body=body)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


async def _in_server(kind: str, config: CallbackConfig, job_id: str, **kwargs: Any) -> Any:
    """Start a standalone server of ``kind`` for ``config``; the caller closes it."""
    if kind == "threaded":
        sync_store = SyncMemoryStore()
        sync_store.register(record(job_id), ttl=60)
        return SyncCallbackServer(config, sync_store, **kwargs).start(), sync_store
    store = AsyncMemoryStore()
    await store.register(record(job_id), ttl=60)
    return await AsyncCallbackServer(config, store, **kwargs).start(), store


async def _close(server: Any) -> None:
    if isinstance(server, SyncCallbackServer):
        server.close()
    else:
        await server.close()


@pytest.mark.parametrize("kind", ["threaded", "aiohttp"])
@pytest.mark.parametrize(
    ("public_url", "path", "listens_on"),
    [
        ("https://app.example/hooks/oneall/", None, "/hooks/oneall"),
        ("https://app.example", None, ""),
        ("https://app.example/public/cb", "/internal", "/internal"),
    ],
    ids=["public-path", "root", "explicit-path"],
)
async def test_standalone_servers_listen_on_the_public_url_path(
    kind: str, public_url: str, path: str | None, listens_on: str
) -> None:
    config = CallbackConfig(public_url=public_url, secret=SECRET)
    job_id = uuid.uuid4().hex
    server, store = await _in_server(kind, config, job_id, path=path)
    try:
        assert server.path == listens_on
        assert server.url == f"http://127.0.0.1:{server.port}{listens_on}"
        query = signing.callback_url(config, job_id).partition("?")[2]
        if listens_on != "":
            # The old fixed default path is not where this server listens.
            status = await asyncio.to_thread(
                _post_status, server.port, f"/oneall/callbacks/{job_id}?{query}", callback_body()
            )
            assert status == 404
        status = await asyncio.to_thread(
            _post_status, server.port, f"{listens_on}/{job_id}?{query}", callback_body("on-path")
        )
        assert status == 200
    finally:
        await _close(server)
    outcome = store.get(job_id) if kind == "threaded" else await store.get(job_id)
    assert outcome is not None
    assert outcome.document["response"]["result"]["data"]["video_id"] == "on-path"


@pytest.mark.parametrize("kind", ["threaded", "aiohttp"])
@pytest.mark.parametrize("method", ["HEAD", "OPTIONS", "GET", "PUT", "DELETE", "PATCH"])
async def test_other_methods_get_405_with_allow(kind: str, method: str) -> None:
    job_id = uuid.uuid4().hex
    server, _store = await _in_server(kind, CONFIG, job_id)
    path, query = path_and_query(job_id)
    try:
        status, headers, body = await asyncio.to_thread(
            _raw_request, server.port, method, f"{path}?{query}"
        )
        assert status == 405
        assert headers.get("Allow") == "POST"
        assert body == b"" if method == "HEAD" else json.loads(body)["status"] == 405
        # The server still answers a POST afterwards.
        status = await asyncio.to_thread(
            _post_status, server.port, f"{path}?{query}", callback_body()
        )
        assert status == 200
    finally:
        await _close(server)


async def test_the_framework_handler_names_the_allowed_method() -> None:
    store = AsyncMemoryStore()
    handler = make_callback_app(CONFIG, store)[HANDLER_KEY]
    job_id = uuid.uuid4().hex
    for method in ("HEAD", "OPTIONS", "GET"):
        answer = await handler.handle(job_id, "", b"", method=method)
        assert answer.status == 405
        assert ("Allow", "POST") in answer.headers
