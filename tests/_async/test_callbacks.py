"""Managed callbacks end to end: signed URLs, the receiver, stores and job handles.

Each test runs against the memory store and the Redis store (a real redis-server on loopback).
OneAll's "queued" answer comes from the mock transport; the callback is POSTed over HTTP to a
real receiver on 127.0.0.1.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import attrs
import pytest
import redis

from oneall_push import AsyncJob, AsyncMockTransport, AsyncOneAll
from oneall_push._io import AsyncBackend, AsyncRedisConnection, Request, Response
from oneall_push.callbacks import signing
from oneall_push.callbacks._memory import Wakeable
from oneall_push.callbacks.config import CallbackConfig
from oneall_push.callbacks.outcome import CallbackOutcome
from oneall_push.callbacks.records import JobRecord
from oneall_push.errors import (
    CallbackStoreError,
    CallbackVerificationError,
    ConfigurationError,
    ConnectError,
    JobFailedError,
    JobNotFoundError,
    JobTimeoutError,
    OutcomeUnknownError,
    RequestValidationError,
    UnmanagedJobError,
)
from oneall_push.models.results import VideoResult
from tests.support.callbacks import (
    CALLBACK_FAILURE,
    QUEUED,
    AsyncCallbackHandler,
    AsyncCallbackServer,
    AsyncCallbackStore,
    AsyncMemoryStore,
    AsyncPoster,
    AsyncRedisClient,
    AsyncRedisStore,
    callback_body,
    count_reads,
    record_notifications,
    redis_server,
)

SECRET = "callback-secret-0123456789abcdef"
OLD_SECRET = "old-callback-secret-fedcba9876543210"
PUBLIC_KEY = "pub-3a9e"
PRIVATE_KEY = "priv-SECRET-5f1d2c"
VIDEO_URL = "https://example.com/party.mp4"


def queued_answer(request: Request) -> Response:
    return Response(200, body=json.dumps(QUEUED).encode())


def sent_callback_url(request: Request) -> str:
    assert request.body is not None
    url: str = json.loads(request.body)["request"]["push"]["video"]["callback_url"]
    return url


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[AsyncCallbackStore]:
    made: AsyncCallbackStore
    if request.param == "memory":
        made = AsyncMemoryStore()
    else:
        url = request.getfixturevalue("redis_url")
        made = AsyncRedisStore(url, prefix=f"test-{uuid.uuid4().hex[:8]}:")
    yield made
    await made.close()


@pytest.fixture
async def receiver(store: AsyncCallbackStore) -> AsyncIterator[AsyncCallbackServer]:
    config = CallbackConfig(public_url="http://127.0.0.1/unused", secret=[SECRET, OLD_SECRET])
    server = AsyncCallbackServer(config, store)
    await server.start()
    yield server
    await server.close()


@pytest.fixture
def config(receiver: AsyncCallbackServer) -> CallbackConfig:
    return CallbackConfig(public_url=receiver.url, secret=SECRET, ttl=600)


@pytest.fixture
async def client(config: CallbackConfig, store: AsyncCallbackStore) -> AsyncIterator[AsyncOneAll]:
    made = AsyncOneAll(
        subdomain="demo",
        public_key=PUBLIC_KEY,
        private_key=PRIVATE_KEY,
        callbacks=config,
        callback_store=store,
        transport=AsyncMockTransport(queued_answer),
    )
    yield made
    await made.close()


@pytest.fixture
async def poster() -> AsyncIterator[AsyncPoster]:
    made = AsyncPoster()
    yield made
    await made.close()


def last_url(client: AsyncOneAll) -> str:
    transport = client._transport
    assert isinstance(transport, AsyncMockTransport)
    return sent_callback_url(transport.requests[-1])


async def test_job_flow_and_early_callback(
    client: AsyncOneAll, poster: AsyncPoster, store: AsyncCallbackStore
) -> None:
    job = await client.twitter.upload_video("tok-1", video_url=VIDEO_URL)
    assert job.managed
    assert job.queued is not None and job.queued.object == "video"
    url = last_url(client)
    assert url == job.record.callback_url
    assert url.startswith(client.jobs.config.public_url + "/" + job.id + "?exp=")  # type: ignore[union-attr]
    # The callback arrives before anyone waits: it is kept.
    status, body = await poster.post(url, callback_body("v-1"))
    assert (status, json.loads(body)["message"]) == (200, "stored")
    video = await job.wait(timeout=5)
    assert isinstance(video, VideoResult)
    assert video.video_id == "v-1"
    assert video.date_creation is not None and video.date_creation.year == 2019
    assert video.date_creation.utcoffset() is not None
    assert video.envelope.status.code == 200
    # Waiting again returns the same kept result; so does polling.
    assert (await job.wait(timeout=1)).video_id == "v-1"
    polled = await job.poll()
    assert polled is not None and polled.video_id == "v-1"


async def test_callback_that_outruns_the_post_answer(
    config: CallbackConfig, store: AsyncCallbackStore, poster: AsyncPoster
) -> None:
    class CallbackFirst(AsyncMockTransport):
        """OneAll finishes so fast that its callback lands before the POST is answered."""

        async def send(self, request: Request) -> Response:
            status, _ = await poster.post(sent_callback_url(request), callback_body("fast"))
            assert status == 200
            return await super().send(request)

    async with AsyncOneAll(
        subdomain="demo",
        public_key=PUBLIC_KEY,
        private_key=PRIVATE_KEY,
        callbacks=config,
        callback_store=store,
        transport=CallbackFirst(queued_answer),
    ) as client:
        job = await client.youtube.upload_video("tok-2", video_url=VIDEO_URL, title="Party")
        assert (await job.wait(timeout=5)).video_id == "fast"


async def test_duplicate_callback_is_acknowledged_and_ignored(
    client: AsyncOneAll, poster: AsyncPoster
) -> None:
    job = await client.twitter.upload_video("tok-3", video_url=VIDEO_URL)
    url = last_url(client)
    assert (await poster.post(url, callback_body("first")))[0] == 200
    status, body = await poster.post(url, callback_body("second"))
    assert (status, json.loads(body)["message"]) == (200, "duplicate ignored")
    status, _ = await poster.post(url, json.dumps(CALLBACK_FAILURE).encode())
    assert status == 200
    assert (await job.wait(timeout=5)).video_id == "first"


async def test_late_callback_after_a_wait_timed_out(
    client: AsyncOneAll, poster: AsyncPoster
) -> None:
    job = await client.twitter.upload_video("tok-4", video_url=VIDEO_URL)
    with pytest.raises(JobTimeoutError) as caught:
        await job.wait(timeout=0.2)
    assert caught.value.job_id == job.id
    assert isinstance(caught.value, TimeoutError)
    assert (await poster.post(last_url(client), callback_body("late")))[0] == 200
    # A later wait, even through a handle looked up by id, gets the kept result.
    again = await client.jobs.get(job.id)
    assert (await again.wait(timeout=5)).video_id == "late"


async def test_waiters_are_woken_by_callbacks(
    client: AsyncOneAll, poster: AsyncPoster, store: AsyncCallbackStore
) -> None:
    store.poll_interval = 3600.0  # only the notification can wake a waiter before its timeout
    notifications = record_notifications(store)
    # The Redis store's subscription is up first, so its wake-up-everyone is not counted.
    assert await store.wait(uuid.uuid4().hex, 0.05) is None
    jobs = [await client.twitter.upload_video(f"tok-w{i}", video_url=VIDEO_URL) for i in range(4)]
    results: dict[str, str | None] = {}

    async def wait_for(job: AsyncJob[VideoResult]) -> None:
        results[job.id] = (await job.wait(timeout=20)).video_id

    async def deliver() -> None:
        while len(notifications) < len(jobs):  # every waiter is registered
            await AsyncBackend().sleep(0.01)
        notifications.clear()
        for job in jobs:
            assert job.record.callback_url is not None
            assert (await poster.post(job.record.callback_url, callback_body(job.id)))[0] == 200

    async with AsyncBackend().task_pool(len(jobs) + 1) as pool:
        for job in jobs:
            await pool.submit(wait_for, job)
        await pool.submit(deliver)
    assert results == {job.id: job.id for job in jobs}
    # Each waiter was woken by its callback's notification, not by its timeout's last read.
    assert all(notifications.reached[job.id] >= 1 for job in jobs)


async def test_failure_callback_raises_job_failed(client: AsyncOneAll, poster: AsyncPoster) -> None:
    job = await client.twitter.upload_video("tok-5", video_url=VIDEO_URL)
    assert (await poster.post(last_url(client), json.dumps(CALLBACK_FAILURE).encode()))[0] == 200
    with pytest.raises(JobFailedError) as caught:
        await job.wait(timeout=5)
    assert caught.value.status == 422
    assert "could not be downloaded" in caught.value.info
    assert caught.value.endpoint == "twitter.upload_video"


async def test_forged_signatures_are_refused_and_nothing_is_stored(
    client: AsyncOneAll, poster: AsyncPoster, store: AsyncCallbackStore
) -> None:
    job = await client.twitter.upload_video("tok-6", video_url=VIDEO_URL)
    url = last_url(client)
    other = await client.twitter.upload_video("tok-7", video_url=VIDEO_URL)
    base, _, query = url.partition("?")
    flipped = query[:-1] + ("0" if query[-1] != "0" else "1")
    exp = query.split("exp=")[1].split("&")[0]
    sig = query.split("sig=")[1]
    forged = [
        f"{base}?{flipped}",  # one hex digit changed
        base,  # no signature at all
        f"{base}?exp=9999999999&sig={'a' * 64}",
        # A valid signature of another job.
        base.rsplit("/", 1)[0] + "/" + other.id + "?" + query,
        f"{base}?{query.replace('exp=', 'exp=1')}",  # expiry tampered
        # Malformed expiries: Unicode digits ("²", Arabic-Indic), too long, not canonical.
        f"{base}?exp=%C2%B2&sig={sig}",
        f"{base}?exp=%D9%A1%D9%A2%D9%A3&sig={sig}",
        f"{base}?exp={'9' * 40}&sig={sig}",
        f"{base}?exp=0{exp}&sig={sig}",
        f"{base}?exp=-{exp}&sig={sig}",
        f"{base}?exp=%2B{exp}&sig={sig}",
        f"{base}?exp={exp}%00&sig={sig}",
        # Malformed signatures: upper case, not hex, not ASCII, not UTF-8, too long.
        f"{base}?exp={exp}&sig={sig.upper()}",
        f"{base}?exp={exp}&sig={'g' * 64}",
        f"{base}?exp={exp}&sig={'%C3%A9' * 64}",
        f"{base}?exp={exp}&sig=%FF{sig[2:]}",
        f"{base}?exp={exp}&sig={sig}0",
        # Repeated or missing parameters, even when every copy is right.
        f"{base}?exp={exp}&sig={sig}&sig={sig}",
        f"{base}?exp={exp}&exp={exp}&sig={sig}",
        f"{base}?sig={sig}",
        f"{base}?exp={exp}",
        f"{base}?exp=&sig=",
        f"{base}?exp&sig",
    ]
    for bad in forged:
        status, _ = await poster.post(bad, callback_body("forged"))
        assert status == 403, bad
    assert await store.get(job.id) is None
    assert await store.get(other.id) is None
    # Job ids that cannot be ours are unknown, whatever the query says.
    root = base.rsplit("/", 1)[0]
    for bad_id in ["%C3%A9" * 10, "short", "x" * 65, job.id[:-1] + "%C3%A9"]:
        status, _ = await poster.post(f"{root}/{bad_id}?{query}", callback_body("forged"))
        assert status == 404, bad_id
    assert await store.get(job.id) is None
    # A secret the receiver does not know.
    config = CallbackConfig(public_url=client.jobs.config.public_url, secret="x" * 32)  # type: ignore[union-attr]
    assert (await poster.post(signing.callback_url(config, job.id), callback_body()))[0] == 403
    assert await store.get(job.id) is None


async def test_expired_url_is_refused_and_a_real_late_callback_is_a_warning(
    client: AsyncOneAll,
    poster: AsyncPoster,
    store: AsyncCallbackStore,
    config: CallbackConfig,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="oneall_push")
    job = await client.twitter.upload_video("tok-8", video_url=VIDEO_URL)
    expired = signing.callback_url(config, job.id, now=time.time() - config.url_ttl - 5)
    status, body = await poster.post(expired, callback_body())
    assert status == 403
    assert b"expired" in body
    assert await store.get(job.id) is None
    late = [r for r in caplog.records if r.levelno == logging.WARNING and job.id in r.getMessage()]
    assert len(late) == 1
    assert "expired" in late[0].getMessage()
    sig = expired.split("sig=")[1]
    for r in caplog.records:
        assert sig not in f"{r.getMessage()} {vars(r)}"
        assert SECRET not in f"{r.getMessage()} {vars(r)}"
    # An expired URL with a wrong signature is a forgery: no per-job WARNING for it.
    caplog.clear()
    other = uuid.uuid4().hex
    forged = signing.callback_url(
        CallbackConfig(public_url=config.public_url, secret="f" * 32),
        other,
        now=time.time() - config.url_ttl - 5,
    )
    assert (await poster.post(forged, callback_body()))[0] == 403
    assert not [
        r
        for r in caplog.records
        if r.levelno == logging.WARNING
        and "expired" in r.getMessage()
        and "arrived" in r.getMessage()
    ]


class TTLRecordingStore(AsyncMemoryStore):
    """A memory store that records the lifetimes it is given."""

    def __init__(self) -> None:
        super().__init__()
        self.ttls: list[tuple[str, float]] = []

    async def register(self, record: JobRecord, *, ttl: float) -> None:
        self.ttls.append(("record", ttl))
        await super().register(record, ttl=ttl)

    async def put(self, job_id: str, outcome: CallbackOutcome, *, ttl: float) -> bool:
        self.ttls.append(("result", ttl))
        return await super().put(job_id, outcome, ttl=ttl)


async def test_url_and_result_lifetimes_are_two_settings(poster: AsyncPoster) -> None:
    both = CallbackConfig(public_url="https://app.example/cb", secret=SECRET, ttl=90)
    assert (both.url_ttl, both.result_ttl) == (90, 90)
    default = CallbackConfig(public_url="https://app.example/cb", secret=SECRET)
    assert (default.url_ttl, default.result_ttl) == (24 * 3600, 24 * 3600)
    store = TTLRecordingStore()
    lifetimes = {"ttl": 7, "url_ttl": 120, "result_ttl": 3600}
    # The receiver keeps results as long as its own config says.
    async with AsyncCallbackServer(
        CallbackConfig(public_url="http://127.0.0.1/cb", secret=SECRET, **lifetimes), store
    ) as server:
        config = CallbackConfig(public_url=server.url, secret=SECRET, **lifetimes)
        async with AsyncOneAll(
            subdomain="demo",
            public_key=PUBLIC_KEY,
            private_key=PRIVATE_KEY,
            callbacks=config,
            callback_store=store,
            transport=AsyncMockTransport(queued_answer),
        ) as client:
            before = time.time()
            job = await client.twitter.upload_video("tok-ttl", video_url=VIDEO_URL)
            exp = int(last_url(client).split("exp=")[1].split("&")[0])
            assert before + 120 - 1 <= exp <= time.time() + 120
            assert (await poster.post(last_url(client), callback_body("ttl")))[0] == 200
            assert (await job.wait(timeout=5)).video_id == "ttl"
    # The record outlives its URL by a result's lifetime; the result is kept result_ttl.
    assert store.ttls == [("record", 120 + 3600), ("result", 3600)]


@pytest.mark.parametrize("field", ["ttl", "url_ttl", "result_ttl"])
@pytest.mark.parametrize(
    "value", [0, -1, float("nan"), float("inf"), "60", True, None, 1e12], ids=repr
)
def test_callback_lifetimes_are_validated(field: str, value: Any) -> None:
    with pytest.raises(ConfigurationError, match=f"^{field} must be a finite, positive"):
        CallbackConfig(public_url="https://app.example/cb", secret=SECRET, **{field: value})


async def test_unknown_job_is_404(
    poster: AsyncPoster, store: AsyncCallbackStore, config: CallbackConfig
) -> None:
    job_id = uuid.uuid4().hex
    status, _ = await poster.post(signing.callback_url(config, job_id), callback_body())
    assert status == 404
    assert await store.get(job_id) is None
    status, _ = await poster.post(config.public_url + "/not!an!id?exp=1&sig=00", callback_body())
    assert status == 404


def _deep_callback(depth: int) -> bytes:
    """A valid success callback whose data carries a list nested ``depth`` deep."""
    body = callback_body("deep")
    return body[:-4] + b', "extra": ' + b"[" * depth + b"]" * depth + body[-4:]


_OVERFLOWING_CODE = b'{"response": {"request": {"status": {"flag": "success", "code": 1e999}}}}'


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[" * 40000,
        _deep_callback(900),
        _OVERFLOWING_CODE,
        _OVERFLOWING_CODE.replace(b"1e999", b"9" * 5000),
        b'{"response": {"request": ',
        b"[1, 2, 3]",
        b'{"response": {}}',
        # A success without result.data.
        b'{"response": {"request": {"status": {"flag": "success", "code": 200}}}}',
        # video_id of the wrong type.
        json.dumps(
            {
                "response": {
                    "request": {"status": {"flag": "success", "code": 200}},
                    "result": {"data": {"video_id": {"x": 1}}},
                }
            }
        ).encode(),
        # OneAll's immediate "queued" answer POSTed to the callback URL: no video_id.
        json.dumps(QUEUED).encode(),
        # Success without the id of what was created (null, empty, absent).
        callback_body("").replace(b'"video_id": ""', b'"video_id": null'),
        callback_body(""),
        callback_body("  "),
        callback_body().replace(b'"video_id": "1120592651986796544", ', b""),
    ],
    ids=[
        "empty",
        "not-json",
        "nested-40000",
        "nested-900",
        "code-1e999",
        "code-5000-digits",
        "truncated",
        "array",
        "no-request",
        "no-result-data",
        "video-id-object",
        "queued-answer",
        "video-id-null",
        "video-id-empty",
        "video-id-blank",
        "video-id-absent",
    ],
)
async def test_malformed_body_is_400_and_not_stored(
    client: AsyncOneAll, poster: AsyncPoster, store: AsyncCallbackStore, body: bytes
) -> None:
    job = await client.twitter.upload_video("tok-9", video_url=VIDEO_URL)
    url = last_url(client)
    status, _ = await poster.post(url, body)
    assert status == 400
    assert await store.get(job.id) is None
    # The job is still waiting for a good callback.
    assert (await poster.post(url, callback_body("good")))[0] == 200
    assert (await job.wait(timeout=5)).video_id == "good"


@pytest.mark.parametrize(
    ("date_text", "resource"),
    [
        ("Tue, 23 Apr 2019 09:36:28 +0200", "push/identities/6f8d/twitter/video.json"),
        # The docs' other form: the "+" of the offset lost in transit.
        ("Tue, 23 Apr 2019 09:36:28  0200", "/push/identities/6f8d/twitter/video.json"),
    ],
)
async def test_both_date_forms_and_resource_forms(
    client: AsyncOneAll, poster: AsyncPoster, date_text: str, resource: str
) -> None:
    job = await client.twitter.upload_video("tok-10", video_url=VIDEO_URL)
    body = callback_body("d", date_creation=date_text, resource=resource)
    assert (await poster.post(last_url(client), body))[0] == 200
    video = await job.wait(timeout=5)
    assert video.date_creation is not None
    assert video.date_creation.utcoffset() is not None
    assert video.date_creation.utcoffset().total_seconds() == 7200  # type: ignore[union-attr]
    assert (video.date_creation.hour, video.date_creation.minute) == (9, 36)
    assert video.envelope.resource == resource


async def test_secret_rotation(
    store: AsyncCallbackStore, poster: AsyncPoster, receiver: AsyncCallbackServer
) -> None:
    # A job signed before the rotation, with the old secret ...
    old = CallbackConfig(public_url=receiver.url, secret=OLD_SECRET)
    rotated = CallbackConfig(public_url=receiver.url, secret=[SECRET, OLD_SECRET])
    async with AsyncOneAll(
        subdomain="demo",
        public_key=PUBLIC_KEY,
        private_key=PRIVATE_KEY,
        callbacks=old,
        callback_store=store,
        transport=AsyncMockTransport(queued_answer),
    ) as before:
        old_job = await before.twitter.upload_video("tok-11", video_url=VIDEO_URL)
    async with AsyncOneAll(
        subdomain="demo",
        public_key=PUBLIC_KEY,
        private_key=PRIVATE_KEY,
        callbacks=rotated,
        callback_store=store,
        transport=AsyncMockTransport(queued_answer),
    ) as after:
        new_job = await after.twitter.upload_video("tok-12", video_url=VIDEO_URL)
        # ... the new one is signed with the first secret only.
        new_url = new_job.record.callback_url
        assert new_url is not None
        assert signing.callback_url(rotated, new_job.id) != signing.callback_url(old, new_job.id)
        # The receiver (secrets [SECRET, OLD_SECRET]) accepts both.
        assert old_job.record.callback_url is not None
        assert (await poster.post(old_job.record.callback_url, callback_body("old")))[0] == 200
        assert (await poster.post(new_url, callback_body("new")))[0] == 200
        assert (await after.jobs.from_record(old_job.record).wait(timeout=5)).video_id == "old"
        assert (await new_job.wait(timeout=5)).video_id == "new"
    # Once the old secret is dropped, its URLs are refused.
    only_new = CallbackConfig(public_url=receiver.url, secret=SECRET)
    checked = signing.callback_url(old, uuid.uuid4().hex)
    job_id = checked.split("?")[0].rsplit("/", 1)[1]
    with pytest.raises(Exception, match="bad signature"):
        signing.verify(only_new, job_id, checked.split("?")[1])


async def test_serialized_record_round_trip(client: AsyncOneAll, poster: AsyncPoster) -> None:
    job = await client.twitter.upload_video("tok-13", video_url=VIDEO_URL)
    data = json.loads(json.dumps(job.to_dict()))
    # The signed URL would let whoever holds the data post a result: it stays in this process.
    assert "callback_url" not in data
    assert "sig=" not in json.dumps(data) and last_url(client).split("?")[0] not in json.dumps(data)
    record = JobRecord.from_dict(data)
    assert record == attrs.evolve(job.record, callback_url=None)
    rebuilt = client.jobs.from_record(record)
    assert rebuilt.result_type is VideoResult
    assert client.jobs.from_dict(data).record == record
    # A dict written by an older version, URL included, still rebuilds the handle (URL dropped).
    old = client.jobs.from_dict({**data, "callback_url": last_url(client)})
    assert old.record == record and old.record.callback_url is None
    assert "callback_url" not in old.to_dict()
    assert (await poster.post(last_url(client), callback_body("rt")))[0] == 200
    video = await rebuilt.wait(timeout=5)
    assert isinstance(video, VideoResult) and video.video_id == "rt"
    typed = await client.jobs.get(job.id, VideoResult)
    assert (await typed.wait(timeout=1)).video_id == "rt"
    with pytest.raises(JobNotFoundError):
        await client.jobs.get(uuid.uuid4().hex)


async def test_caller_given_callback_url_is_unmanaged(client: AsyncOneAll) -> None:
    job = await client.twitter.upload_video(
        "tok-14", video_url=VIDEO_URL, callback_url="https://mine.example/hook"
    )
    assert not job.managed
    assert last_url(client) == "https://mine.example/hook"
    with pytest.raises(UnmanagedJobError, match="unmanaged: the caller gave its own callback_url"):
        await job.wait(timeout=1)


async def test_without_callbacks_jobs_are_unmanaged() -> None:
    async with AsyncOneAll(
        subdomain="demo",
        public_key=PUBLIC_KEY,
        private_key=PRIVATE_KEY,
        transport=AsyncMockTransport(queued_answer),
    ) as client:
        job = await client.twitter.upload_video("tok-15", video_url=VIDEO_URL)
        assert not job.managed
        transport = client._transport
        assert isinstance(transport, AsyncMockTransport)
        sent = transport.requests[-1].body
        assert sent is not None
        assert "callback_url" not in json.loads(sent)["request"]["push"]["video"]
        with pytest.raises(UnmanagedJobError):
            await job.wait(timeout=1)
        with pytest.raises(UnmanagedJobError):
            await client.jobs.get("0123456789abcdef")


async def test_a_server_for_a_client_receives_its_jobs(poster: AsyncPoster) -> None:
    # OneAll is told the public URL (a proxy, say); the server listens elsewhere.
    config = CallbackConfig(public_url="https://app.example/hooks", secret=SECRET)
    client = AsyncOneAll(
        subdomain="demo",
        public_key=PUBLIC_KEY,
        private_key=PRIVATE_KEY,
        callbacks=config,
        transport=AsyncMockTransport(queued_answer),
    )
    async with client, AsyncCallbackServer.for_client(client, path="/hooks") as server:
        assert server.handler.store is client.jobs.store
        job = await client.twitter.upload_video("tok-16", video_url=VIDEO_URL)
        url = last_url(client).replace(config.public_url, server.url)
        status, _ = await poster.post(url, callback_body("v-16"))
        assert status == 200
        assert (await job.wait(timeout=5)).video_id == "v-16"


async def test_a_server_for_a_client_without_callbacks_is_refused() -> None:
    client = AsyncOneAll(subdomain="demo", public_key=PUBLIC_KEY, private_key=PRIVATE_KEY)
    with pytest.raises(ConfigurationError, match="callbacks=CallbackConfig"):
        AsyncCallbackServer.for_client(client)
    await client.close()


@pytest.mark.parametrize(
    ("failure", "kept"),
    [(ConnectError("refused"), False), (OutcomeUnknownError("read timeout"), True)],
)
async def test_failed_post_discards_only_provably_unsent_jobs(
    config: CallbackConfig, store: AsyncCallbackStore, failure: Exception, kept: bool
) -> None:
    seen: list[Request] = []

    def fail(request: Request) -> Response | BaseException:
        seen.append(request)
        return failure

    async with AsyncOneAll(
        subdomain="demo",
        public_key=PUBLIC_KEY,
        private_key=PRIVATE_KEY,
        callbacks=config,
        callback_store=store,
        transport=AsyncMockTransport(fail),
    ) as client:
        with pytest.raises(type(failure)):
            await client.twitter.upload_video("tok-16", video_url=VIDEO_URL)
        job_id = sent_callback_url(seen[-1]).split("?")[0].rsplit("/", 1)[1]
        if kept:
            assert (await client.jobs.get(job_id)).id == job_id
        else:
            with pytest.raises(JobNotFoundError):
                await client.jobs.get(job_id)


async def test_secrets_stay_out_of_reprs_and_logs(
    client: AsyncOneAll,
    poster: AsyncPoster,
    receiver: AsyncCallbackServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    job = await client.twitter.upload_video("tok-17", video_url=VIDEO_URL)
    url = last_url(client)
    sig = url.split("sig=")[1]
    assert (await poster.post(url, callback_body())).__getitem__(0) == 200
    assert (await poster.post(url + "0", callback_body()))[0] == 403
    assert (await client.jobs.get(job.id)).id == job.id
    assert (await poster.post(url, b"{not json"))[0] == 400
    assert (await poster.post(signing.callback_url(client.jobs.config, "f" * 32), b"{}"))[0] == 404  # type: ignore[arg-type]
    try:
        signing.verify(client.jobs.config, job.id, "exp=1&sig=" + "0" * 64)  # type: ignore[arg-type]
    except CallbackVerificationError as exc:
        refused = exc
    texts = [
        repr(client),
        repr(client.jobs),
        repr(client.jobs.config),
        str(client.jobs.config),
        repr(client.jobs.store),
        repr(job),
        repr(job.record),
        str(job.record),
        repr(receiver),
        str(receiver),
        repr(receiver.handler),
        repr(await client.jobs.store_or_fail().get(job.id)),
        str(JobTimeoutError(job.id, 1)),
        str(refused),
        repr(refused),
        # Every log record at DEBUG, but the test's own HTTP client's (urllib3 logs its URLs,
        # as clients do): the library's, aiohttp's, the server's.
        "\n".join(
            f"{r.getMessage()} {vars(r)}"
            for r in caplog.records
            if not r.name.startswith("urllib3")
        ),
    ]
    assert "refused: malformed signature" in texts[-1]
    for text in texts:
        assert sig not in text
        assert SECRET not in text
        assert OLD_SECRET not in text
        assert PRIVATE_KEY not in text


async def test_store_semantics(store: AsyncCallbackStore) -> None:
    record = JobRecord(
        id=uuid.uuid4().hex,
        endpoint="twitter.upload_video",
        identity_token="tok",
        created=JobRecord.from_dict(
            {"id": "x", "endpoint": "e", "identity_token": "t", "created": "2024-01-01T00:00:00"}
        ).created,
    )
    await store.register(record, ttl=60)
    assert await store.lookup(record.id) == record
    assert await store.wait(record.id, 0.05) is None
    first = CallbackOutcome(ok=True, status=200, info="one", document={"a": 1})
    second = CallbackOutcome(ok=True, status=200, info="two", document={"a": 2})
    assert await store.put(record.id, first, ttl=60) is True
    assert await store.put(record.id, second, ttl=60) is False
    assert await store.get(record.id) == first
    assert await store.wait(record.id, 1) == first
    await store.discard(record.id)
    assert await store.lookup(record.id) is None
    assert await store.get(record.id) is None
    # Outcomes expire with their TTL.
    assert await store.put("expiring-job", first, ttl=0.05) is True
    deadline = time.monotonic() + 5
    while await store.get("expiring-job") is not None:
        assert time.monotonic() < deadline
    assert await store.put("expiring-job", second, ttl=60) is True


async def test_redis_waiter_rereads_after_reconnect(redis_url: str) -> None:
    prefix = f"reconnect-{uuid.uuid4().hex[:8]}:"
    store = AsyncRedisStore(redis_url, prefix=prefix)
    store.poll_interval = 3600.0  # only the reconnect can wake the waiter
    raw = redis.Redis.from_url(redis_url)
    job_id = uuid.uuid4().hex
    outcome = CallbackOutcome(ok=True, status=200, info="", document={"x": 1})

    def lose_notification_then_reconnect() -> None:
        # The result lands while the notification is lost: stored without PUBLISH ...
        raw.set(f"{prefix}result:{job_id}", outcome.to_json(), px=60_000)
        # ... then the subscription connection drops and is re-established.
        raw.client_kill_filter(_type="pubsub")

    results: list[CallbackOutcome | None] = []

    async def waiter() -> None:
        results.append(await store.wait(job_id, 20))

    async def trigger() -> None:
        # The waiter is registered and has read nothing: only a wake-up can find the result.
        while not (len(notifications) and reads[job_id]):
            await AsyncBackend().sleep(0.01)
        lose_notification_then_reconnect()

    notifications = record_notifications(store)
    try:
        assert await store.wait(job_id, 0.05) is None  # the subscription is up
        notifications.clear()
        reads = count_reads(store)
        async with AsyncBackend().task_pool(2) as pool:
            await pool.submit(waiter)
            await pool.submit(trigger)
        # Only the re-read after the reconnect can have found it (no PUBLISH, no polling):
        # the resubscription woke the waiter before its timeout's last read.
        assert results == [outcome]
        assert notifications.reached[job_id] >= 1
    finally:
        raw.close()
        await store.close()


class _Interrupted(BaseException):
    """Stands for a cancellation (or KeyboardInterrupt) while a wait subscribes."""


async def test_a_wait_interrupted_while_subscribing_leaves_no_watcher(redis_url: str) -> None:
    class Interrupting(AsyncRedisConnection):
        async def listen(self, *args: object, **kwargs: object) -> bool:
            raise _Interrupted

    connection = Interrupting(redis_url)
    store = AsyncRedisStore(connection=connection, prefix=f"interrupt-{uuid.uuid4().hex[:8]}:")
    try:
        with pytest.raises(_Interrupted):
            await store.wait(uuid.uuid4().hex, 5)
        assert len(store._watchers) == 0
    finally:
        await connection.close()


async def test_a_closed_receiver_stores_nothing(
    store: AsyncCallbackStore, poster: AsyncPoster
) -> None:
    server = AsyncCallbackServer(
        CallbackConfig(public_url="http://127.0.0.1/", secret=SECRET), store
    )
    await server.start()
    signed = CallbackConfig(public_url=server.url, secret=SECRET)
    before, after = uuid.uuid4().hex, uuid.uuid4().hex
    for job_id in (before, after):
        await store.register(_record(job_id), ttl=60)
    try:
        # The poster keeps this connection open for the next request.
        assert (await poster.post(signing.callback_url(signed, before), callback_body()))[0] == 200
    finally:
        await server.close()
    status = await poster.try_post(signing.callback_url(signed, after), callback_body())
    assert status != 200
    assert await store.get(after) is None
    assert await store.get(before) is not None


async def test_forged_requests_do_not_flood_the_logs(
    client: AsyncOneAll, poster: AsyncPoster, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="oneall_push")
    await client.twitter.upload_video("tok-18", video_url=VIDEO_URL)
    url = last_url(client)
    for _ in range(6):
        assert (await poster.post(url + "0", callback_body()))[0] == 403
    levels = [
        r.levelno
        for r in caplog.records
        if r.name.startswith("oneall_push") and "refused" in r.getMessage()
    ]
    # Each refusal at INFO; one WARNING summary for the interval, not one per request.
    assert levels.count(logging.INFO) == 6
    assert levels.count(logging.WARNING) == 1


@pytest.mark.parametrize(
    "url",
    [
        "redis://user:{password}@127.0.0.1:{port}/0",
        "redis://127.0.0.1:{port}/0?password={password}",
        "redis://127.0.0.1:{port}/0?db=0&username=admin{password}&password={password}",
        "redis://127.0.0.1:{port}/0?pass%77ord={password}",
        "redis://:{password}@127.0.0.1:{port}/0?password={password}#{password}",
    ],
    ids=["user-info", "query", "query-username", "quoted-key", "everywhere"],
)
async def test_redis_credentials_stay_out_of_reprs_errors_and_logs(
    url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="oneall_push")
    password = "hunter2-redis-password"
    port = _closed_port()
    store = AsyncRedisStore(url.format(password=password, port=port))
    config = CallbackConfig(public_url="http://127.0.0.1/cb", secret=SECRET)
    handler = AsyncCallbackHandler(config, store)
    job_id = uuid.uuid4().hex
    query = signing.callback_url(config, job_id).partition("?")[2]
    try:
        with pytest.raises(CallbackStoreError) as caught:
            await store.get(job_id)
        # The receiver logs the store outage at ERROR.
        assert (await handler.handle(job_id, query, callback_body())).status == 503
        errors = [r for r in caplog.records if r.levelno == logging.ERROR]
        assert errors and "not stored" in errors[-1].getMessage()
        texts = [
            repr(store),
            repr(store._conn),
            repr(handler),
            str(caught.value),
            repr(caught.value),
            *(r.getMessage() for r in caplog.records),
        ]
        assert f"127.0.0.1:{port}" in str(caught.value)  # still says which server
        for text in texts:
            assert password not in text
    finally:
        await store.close()


async def test_a_given_redis_client_is_described_as_itself() -> None:
    port = _closed_port()
    password = "hunter2-redis-password"
    client = AsyncRedisClient(host="127.0.0.1", port=port, db=3, password=password)
    store = AsyncRedisStore(connection=AsyncRedisConnection(client=client))
    try:
        with pytest.raises(CallbackStoreError) as caught:
            await store.get(uuid.uuid4().hex)
        # The client's server, not the default URL the store would have used.
        assert f"redis://127.0.0.1:{port}/3 (the caller's client)" in str(caught.value)
        assert f"127.0.0.1:{port}/3" in repr(store)
        assert "6379" not in str(caught.value) + repr(store)
        assert password not in str(caught.value) + repr(store)
    finally:
        await store.close()
        await client.shut()


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _record(job_id: str) -> JobRecord:
    return JobRecord(
        id=job_id,
        endpoint="twitter.upload_video",
        identity_token="tok",
        created=JobRecord.from_dict(
            {"id": "x", "endpoint": "e", "identity_token": "t", "created": "2024-01-01T00:00:00"}
        ).created,
    )


async def test_many_concurrent_waits_share_the_store_connections(
    store: AsyncCallbackStore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="oneall_push")
    job_ids = [uuid.uuid4().hex for _ in range(150)]  # more than redis-py's default pool
    for n, job_id in enumerate(job_ids):
        await store.put(
            job_id, CallbackOutcome(ok=True, status=200, info=str(n), document={}), ttl=60
        )
    got: dict[str, str] = {}

    async def wait_one(job_id: str) -> None:
        outcome = await store.wait(job_id, 20)
        assert outcome is not None
        got[job_id] = outcome.info

    async with AsyncBackend().task_pool(len(job_ids)) as pool:
        for job_id in job_ids:
            await pool.submit(wait_one, job_id)
    assert got == {job_id: str(n) for n, job_id in enumerate(job_ids)}
    assert not [r for r in caplog.records if "unreachable" in r.getMessage()]


class _UnreachableStore(AsyncCallbackStore):
    """A store whose every call fails (Redis down), and which remembers being called."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def _fail(self, name: str) -> CallbackStoreError:
        self.calls.append(name)
        return CallbackStoreError("store unreachable")

    async def register(self, record: JobRecord, *, ttl: float) -> None:
        raise self._fail("register")

    async def lookup(self, job_id: str) -> JobRecord | None:
        raise self._fail("lookup")

    async def discard(self, job_id: str) -> None:
        raise self._fail("discard")

    async def put(self, job_id: str, outcome: CallbackOutcome, *, ttl: float) -> bool:
        raise self._fail("put")

    async def get(self, job_id: str) -> CallbackOutcome | None:
        raise self._fail("get")

    async def _watch(self, job_id: str, signal: Wakeable, wait: float) -> None:
        raise self._fail("_watch")

    def _unwatch(self, job_id: str, signal: Wakeable) -> None:
        self.calls.append("_unwatch")


@pytest.mark.parametrize(
    ("identity_token", "kwargs", "field"),
    [
        ("tok", {"extra_fields": {"video_url": "https://e.com/v.mp4"}}, "extra_fields.video_url"),
        ("tok", {"extra_fields": {"": 1}}, "extra_fields"),
        ("tok", {"extra_fields": {"when": object()}}, "extra_fields.when"),
        ("", {}, "identity_token"),
        ("tok", {"timeout": -1}, "timeout.connect"),
    ],
    ids=["documented-key", "empty-key", "not-json", "empty-token", "negative-timeout"],
)
async def test_bad_input_is_refused_before_the_job_is_stored(
    identity_token: str, kwargs: dict[str, Any], field: str
) -> None:
    store = _UnreachableStore()
    transport = AsyncMockTransport(queued_answer)
    async with AsyncOneAll(
        subdomain="demo",
        public_key=PUBLIC_KEY,
        private_key=PRIVATE_KEY,
        callbacks=CallbackConfig(public_url="https://app.example/cb", secret=SECRET),
        callback_store=store,
        transport=transport,
    ) as client:
        with pytest.raises(RequestValidationError) as caught:
            await client.twitter.upload_video(identity_token, video_url=VIDEO_URL, **kwargs)
        assert caught.value.field == field
        assert store.calls == []  # no record written for a request never sent
        assert transport.requests == []
        # A good request reaches the store (and fails there, as it should with Redis down).
        with pytest.raises(CallbackStoreError):
            await client.twitter.upload_video("tok", video_url=VIDEO_URL)
        assert store.calls == ["register"]
        assert transport.requests == []


@pytest.mark.parametrize("timeout", [None, -1, "5", float("nan"), float("inf"), True])
async def test_wait_refuses_a_bad_timeout_before_waiting(
    client: AsyncOneAll, store: AsyncCallbackStore, timeout: Any
) -> None:
    job = await client.twitter.upload_video("tok-t", video_url=VIDEO_URL)
    with pytest.raises(RequestValidationError) as caught:
        await job.wait(timeout=timeout)
    assert caught.value.field == "timeout"
    assert "non-negative number of seconds" in caught.value.rule
    with pytest.raises(RequestValidationError, match="timeout"):
        await store.wait(job.id, timeout)
    # 0 reads once without waiting.
    with pytest.raises(JobTimeoutError):
        await job.wait(timeout=0)


def test_public_url_with_a_query_or_fragment_is_refused() -> None:
    for url in ["https://app.example/cb?x=1", "https://app.example/cb#top", "https://a.example/?"]:
        with pytest.raises(ConfigurationError, match="query or fragment"):
            CallbackConfig(public_url=url, secret=SECRET)


async def test_stores_sharing_a_connection_share_its_prefix(redis_url: str) -> None:
    connection = AsyncRedisConnection(redis_url)
    prefix = f"shared-{uuid.uuid4().hex[:8]}:"
    first = AsyncRedisStore(connection=connection, prefix=prefix)
    with pytest.raises(ConfigurationError, match="one per key prefix"):
        AsyncRedisStore(connection=connection, prefix="other:")
    second = AsyncRedisStore(connection=connection, prefix=prefix)
    second.poll_interval = 3600.0  # only the notification can wake its waiter
    notifications = record_notifications(second)
    job_id = uuid.uuid4().hex
    outcome = CallbackOutcome(ok=True, status=200, info="shared", document={})
    results: list[CallbackOutcome | None] = []
    try:
        assert await first.wait(uuid.uuid4().hex, 0.05) is None  # the subscription is up
        reads = count_reads(second)

        async def waiter() -> None:
            results.append(await second.wait(job_id, 20))

        async def deliver() -> None:
            while not (len(notifications) and reads[job_id]):
                await AsyncBackend().sleep(0.01)
            notifications.clear()
            assert await first.put(job_id, outcome, ttl=60)

        async with AsyncBackend().task_pool(2) as pool:
            await pool.submit(waiter)
            await pool.submit(deliver)
        assert results == [outcome]
        # Stored through the first store, announced to the second store's waiter.
        assert notifications.reached[job_id] >= 1
    finally:
        await connection.close()
