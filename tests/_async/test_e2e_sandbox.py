"""End to end: the real client against the sandbox over loopback HTTP (both halves)."""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import AsyncIterator, Callable
from typing import Any

import attrs
import pytest

from oneall_push import AsyncOneAll, CallbackConfig, OutcomeUnknownError, RetryPolicy, errors
from oneall_push._convert import _wire_name
from oneall_push._io import AsyncBackend
from oneall_push.endpoints import ENDPOINTS, Endpoint
from oneall_push.sandbox import QUEUED_TEXT, Sandbox
from tests.support.callbacks import AsyncCallbackServer, AsyncMemoryStore
from tests.support.samples import PICTURE, SAMPLES, VIDEO

QUICK = RetryPolicy(backoff_initial=0.01, backoff_max=0.02)
SECRET = "e2e-callback-secret-0123456789abcdef"
# Rows the table marks deprecated (Facebook profile publishing): the sandbox refuses them, 403.
RETIRED = [e for e in ENDPOINTS if e.deprecated]
LIVE = [e for e in ENDPOINTS if not e.deprecated]


def make_client(sandbox: Sandbox, **kwargs: Any) -> AsyncOneAll:
    options: dict[str, Any] = {**sandbox.client_kwargs(), "retry": QUICK, **kwargs}
    return AsyncOneAll(**options)


ClientMaker = Callable[..., AsyncOneAll]


@pytest.fixture
async def sandbox_client(oneall_sandbox_fresh: Sandbox) -> AsyncIterator[ClientMaker]:
    """Clients aimed at the (reset) sandbox, closed after the test."""
    made: list[AsyncOneAll] = []

    def make(**kwargs: Any) -> AsyncOneAll:
        client = make_client(oneall_sandbox_fresh, **kwargs)
        made.append(client)
        return client

    yield make
    for client in made:
        await client.close()


async def call(client: AsyncOneAll, endpoint: Endpoint, token: str, **overrides: Any) -> Any:
    path_args, kwargs = SAMPLES[endpoint.id]
    method = getattr(getattr(client, endpoint.provider), endpoint.name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return await method(token, *path_args, **{**kwargs, **overrides})


@pytest.mark.parametrize("endpoint", LIVE, ids=lambda e: e.id)
async def test_every_row_succeeds_and_is_recorded(
    oneall_sandbox_fresh: Sandbox, endpoint: Endpoint
) -> None:
    sandbox = oneall_sandbox_fresh
    token = sandbox.token(endpoint.provider)
    async with make_client(sandbox) as client:
        overrides: dict[str, Any] = {}
        if endpoint.id == "twitter.publish_tweet":
            picture = await client.twitter.upload_picture(token, url=PICTURE)
            overrides["attachments"] = [picture.picture_id]
        result = await call(client, endpoint, token, **overrides)

    [record] = sandbox.records(endpoint=endpoint.id)
    assert record["identity_token"] == token
    assert record["resource"] == endpoint.render_path(
        {
            "identity_token": token,
            **dict(zip(endpoint.path_params[1:], SAMPLES[endpoint.id][0], strict=True)),
        }
    )
    sent = {**SAMPLES[endpoint.id][1], **overrides}
    wire = {a.name: _wire_name(a) for a in attrs.fields(endpoint.request)}
    assert record["payload"] == {wire[key]: value for key, value in sent.items()}
    if endpoint.async_callback:
        assert result.queued is not None
        assert result.queued.result == QUEUED_TEXT
        assert record["status"] == "queued"
        sandbox.wait_for_callbacks(1)
        [record] = sandbox.records(endpoint=endpoint.id)
        assert record["status"] == "completed"
        assert record["result"]["video_id"]
    else:
        assert isinstance(result, endpoint.result)
        assert result.provider == endpoint.provider
        assert result.envelope.status.code == 200
        assert result.envelope.resource == record["resource"]
        assert record["status"] == "published"
        assert record["result"]["provider"] == endpoint.provider


@pytest.mark.parametrize("endpoint", RETIRED, ids=lambda e: e.id)
async def test_retired_facebook_profile_rows_are_refused(
    oneall_sandbox_fresh: Sandbox, sandbox_client: ClientMaker, endpoint: Endpoint
) -> None:
    sandbox = oneall_sandbox_fresh
    with pytest.raises(errors.PermissionDeniedError) as caught:
        await call(sandbox_client(), endpoint, sandbox.token("facebook"))
    assert caught.value.status == 403
    assert endpoint.deprecated is not None
    assert endpoint.deprecated in caught.value.info
    assert sandbox.records() == []


async def test_realistic_ids_and_locations(oneall_sandbox_fresh: Sandbox) -> None:
    sandbox = oneall_sandbox_fresh
    async with make_client(sandbox) as client:
        tweet = await client.twitter.publish_tweet(sandbox.token("twitter"), message="Hello")
        page = await client.facebook.publish_page_post(
            sandbox.token("facebook"), id="4563453", message="Hi", link="https://example.com/"
        )
    assert re.fullmatch(r"[1-9]\d{18}", tweet.post_id)
    assert tweet.post_location == f"https://twitter.com/SandyBox/status/{tweet.post_id}"
    assert re.fullmatch(r"4563453_\d{17}", page.post_id)
    assert page.post_location == f"https://www.facebook.com/{page.post_id}"


async def test_a_tweet_attaches_media_of_the_same_identity_only(
    oneall_sandbox_fresh: Sandbox,
) -> None:
    sandbox = oneall_sandbox_fresh
    mine, other = sandbox.tokens("twitter")[:2]
    async with make_client(sandbox) as client:
        picture = await client.twitter.upload_picture(other, url=PICTURE)
        with pytest.raises(errors.BadRequestError) as caught:
            await client.twitter.publish_tweet(mine, message="x", attachments=[picture.picture_id])
        job = await client.twitter.upload_video(
            mine, video_url=VIDEO, callback_url=sandbox.sink_url("video")
        )
        assert job.queued is not None
        [delivery] = sandbox.wait_for_sink(1)
        data = delivery["body"]["response"]["result"]["data"]
        tweet = await client.twitter.publish_tweet(
            mine, message="with video", attachments=[data["video_id"]]
        )
    assert tweet.post_id.isdigit()
    assert "[request->push->post]" in caught.value.info
    assert picture.picture_id in caught.value.info
    assert [r["endpoint"] for r in sandbox.records(identity_token=mine)] == [
        "twitter.upload_video",
        "twitter.publish_tweet",
    ]


async def test_the_upload_callback_has_the_documented_shape(oneall_sandbox_fresh: Sandbox) -> None:
    sandbox = oneall_sandbox_fresh
    token = sandbox.token("twitter")
    async with make_client(sandbox) as client:
        await client.twitter.upload_video(
            token, video_url=VIDEO, callback_url=sandbox.sink_url("cb?job=1")
        )
    [delivery] = sandbox.wait_for_sink(1)
    assert delivery["path"] == "/_sandbox/sink/cb?job=1"
    request = delivery["body"]["response"]["request"]
    assert request["resource"] == f"push/identities/{token}/twitter/video.json"
    assert request["status"] == {
        "flag": "success",
        "code": 200,
        "info": "Your request has been processed successfully",
    }
    data = delivery["body"]["response"]["result"]["data"]
    assert set(data) == {"provider", "object", "video_id", "date_creation"}
    assert data["provider"] == "twitter"
    assert data["object"] == "video"
    assert re.fullmatch(r"[1-9]\d{18}", data["video_id"])


async def test_unknown_identity_is_404(
    oneall_sandbox_fresh: Sandbox, sandbox_client: ClientMaker
) -> None:
    client = sandbox_client()
    with pytest.raises(errors.NotFoundError) as caught:
        await client.twitter.publish_tweet("no-such-token", message="x")
    assert caught.value.status == 404
    assert oneall_sandbox_fresh.records() == []


async def test_an_identity_of_another_provider_is_404(
    oneall_sandbox_fresh: Sandbox, sandbox_client: ClientMaker
) -> None:
    client = sandbox_client()
    with pytest.raises(errors.NotFoundError, match="facebook identity"):
        await client.twitter.publish_tweet(oneall_sandbox_fresh.token("facebook"), message="x")


async def test_added_identities_can_publish(oneall_sandbox_fresh: Sandbox) -> None:
    sandbox = oneall_sandbox_fresh
    identity = sandbox.add_identity("pinterest", token="my-own-token")
    async with make_client(sandbox) as client:
        pin = await client.pinterest.publish_pin(identity.token, "board-1", picture=PICTURE)
    assert pin.pin_id.strip()
    assert len(sandbox.records(identity_token="my-own-token")) == 1


async def test_bad_credentials_are_401(
    oneall_sandbox_fresh: Sandbox, sandbox_client: ClientMaker
) -> None:
    sandbox = oneall_sandbox_fresh
    client = sandbox_client(private_key="not-the-key")
    with pytest.raises(errors.AuthenticationError) as caught:
        await client.twitter.publish_tweet(sandbox.token("twitter"), message="x")
    assert caught.value.status == 401
    assert caught.value.body is not None
    assert "result" not in caught.value.body["response"]
    assert "not-the-key" not in str(caught.value)
    assert sandbox.records() == []


async def _provoke(sandbox: Sandbox, make: ClientMaker, status: int) -> None:
    """Make the sandbox answer ``status``: naturally where OneAll would, else by a fault rule."""
    token = sandbox.token("twitter")
    client = make(
        retry=RetryPolicy.disabled(), **({"private_key": "wrong"} if status == 401 else {})
    )
    if status == 400:  # media this identity never uploaded
        await client.twitter.publish_tweet(token, message="x", attachments=["910890718352281600"])
    elif status == 403:  # Facebook profile publishing is gone
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            await client.facebook.publish_user_post(sandbox.token("facebook"), message="x")
    elif status == 404:
        await client.twitter.publish_tweet("no-such-identity", message="x")
    elif status == 409:  # Twitter refuses a duplicate status
        await client.twitter.publish_tweet(token, message="twice")
        await client.twitter.publish_tweet(token, message="twice")
    else:  # 401 by wrong credentials; 429 and 5xx by a fault rule
        if status != 401:
            sandbox.add_fault(endpoint="twitter.publish_tweet", status=status)
        await client.twitter.publish_tweet(token, message="x")


@pytest.mark.parametrize(
    ("status", "cls", "natural"),
    [
        (400, errors.BadRequestError, True),
        (401, errors.AuthenticationError, True),
        (403, errors.PermissionDeniedError, True),
        (404, errors.NotFoundError, True),
        (409, errors.ConflictError, True),
        (429, errors.RateLimitError, False),
        (500, errors.ServerError, False),
        (502, errors.ServerError, False),
        (503, errors.ServiceUnavailableError, False),
    ],
)
async def test_every_documented_error_status_maps_to_its_class(
    oneall_sandbox_fresh: Sandbox,
    sandbox_client: ClientMaker,
    status: int,
    cls: type[errors.APIError],
    natural: bool,
) -> None:
    sandbox = oneall_sandbox_fresh
    with pytest.raises(cls) as caught:
        await _provoke(sandbox, sandbox_client, status)
    assert type(caught.value) is cls
    assert caught.value.status == status
    assert caught.value.body is not None
    assert caught.value.body["response"]["request"]["status"]["code"] == status
    last = sandbox.requests()[-1]
    assert last["status"] == status
    assert last["outcome"] == ("rejected" if natural else "fault")
    assert len(sandbox.records()) == (1 if status == 409 else 0)


async def test_a_retried_429_publishes_exactly_once(oneall_sandbox_fresh: Sandbox) -> None:
    sandbox = oneall_sandbox_fresh
    sandbox.add_fault("endpoint=twitter.publish_tweet,status=429,retry_after=0,times=2")
    async with make_client(sandbox, retry=RetryPolicy(max_retries=2)) as client:
        tweet = await client.twitter.publish_tweet(sandbox.token("twitter"), message="once")
    assert [r["status"] for r in sandbox.requests()] == [429, 429, 200]
    [record] = sandbox.records()
    assert record["result"]["post_id"] == tweet.post_id


async def test_a_503_with_retry_after_is_retried(oneall_sandbox_fresh: Sandbox) -> None:
    sandbox = oneall_sandbox_fresh
    sandbox.add_fault(status=503, retry_after=0, times=1)
    async with make_client(sandbox) as client:
        await client.linkedin.publish_user_post(sandbox.token("linkedin"), message="hi")
    assert [r["status"] for r in sandbox.requests()] == [503, 200]
    assert len(sandbox.records()) == 1


async def test_a_reset_after_processing_is_outcome_unknown_and_not_retried(
    oneall_sandbox_fresh: Sandbox, sandbox_client: ClientMaker
) -> None:
    sandbox = oneall_sandbox_fresh
    sandbox.add_fault("reset=after,times=1")
    client = sandbox_client(retry=RetryPolicy(max_retries=3))
    with pytest.raises(OutcomeUnknownError):
        await client.twitter.publish_tweet(sandbox.token("twitter"), message="maybe")
    assert [r["outcome"] for r in sandbox.requests()] == ["reset-after"]
    [record] = sandbox.records()
    assert record["payload"] == {"message": "maybe"}


async def test_a_reset_before_processing_stores_nothing(
    oneall_sandbox_fresh: Sandbox, sandbox_client: ClientMaker
) -> None:
    sandbox = oneall_sandbox_fresh
    sandbox.add_fault("reset=before,times=1")
    client = sandbox_client(retry=RetryPolicy(max_retries=3))
    with pytest.raises(OutcomeUnknownError):
        await client.twitter.publish_tweet(sandbox.token("twitter"), message="lost")
    # The client cannot tell the two resets apart; the sandbox's records can.
    await client.twitter.publish_tweet(sandbox.token("twitter"), message="next")
    assert [r["outcome"] for r in sandbox.requests()] == ["reset-before", "ok"]
    assert [r["payload"]["message"] for r in sandbox.records()] == ["next"]


async def _outcomes(sandbox: Sandbox, count: int) -> list[str]:
    outcomes = []
    async with make_client(sandbox, retry=RetryPolicy.disabled()) as client:
        for i in range(count):
            try:
                tweet = await client.twitter.publish_tweet(
                    sandbox.token("twitter"), message=f"n{i}"
                )
                outcomes.append(str(tweet.post_id))
            except errors.ServerError as exc:
                outcomes.append(str(exc.status))
    return outcomes


async def test_faults_and_ids_are_deterministic_under_the_seed(
    oneall_sandbox_fresh: Sandbox,
) -> None:
    sandbox = oneall_sandbox_fresh
    sandbox.add_fault("status=500,p=0.5")
    first = await _outcomes(sandbox, 16)
    sandbox.reset()
    sandbox.add_fault("status=500,p=0.5")
    second = await _outcomes(sandbox, 16)
    assert first == second
    assert "500" in first
    assert any(outcome != "500" for outcome in first)


# --- callback faults through the real client's jobs and receiver ----------------------------


@pytest.fixture
async def managed(oneall_sandbox_fresh: Sandbox) -> AsyncIterator[AsyncOneAll]:
    """A client whose upload jobs are called back on a real receiver (memory store)."""
    store = AsyncMemoryStore()
    server = AsyncCallbackServer(
        CallbackConfig(public_url="http://127.0.0.1/", secret=SECRET), store
    )
    await server.start()
    client = make_client(
        oneall_sandbox_fresh,
        callbacks=CallbackConfig(public_url=server.url, secret=SECRET),
        callback_store=store,
    )
    yield client
    await client.close()
    await server.close()
    await store.close()


async def settled(sandbox: Sandbox, count: int) -> list[dict[str, Any]]:
    """The sandbox's callbacks once ``count`` are finished (polls: the receiver shares our loop)."""
    backend = AsyncBackend()
    deadline = backend.monotonic() + 20
    while True:
        finished = [c for c in sandbox.callbacks() if c["finished"]]
        if len(finished) >= count:
            return finished
        assert backend.monotonic() < deadline, f"sandbox callbacks: {sandbox.callbacks()}"
        await backend.sleep(0.01)


async def test_a_duplicated_callback_gives_one_result(
    oneall_sandbox_fresh: Sandbox, managed: AsyncOneAll, caplog: pytest.LogCaptureFixture
) -> None:
    sandbox = oneall_sandbox_fresh
    sandbox.add_fault("callback=duplicate")
    job = await managed.twitter.upload_video(sandbox.token("twitter"), video_url=VIDEO)
    with caplog.at_level(logging.INFO, logger="oneall_push.callbacks"):
        result = await job.wait(timeout=20)
        [callback] = await settled(sandbox, 1)
    assert (callback["delivered"], callback["http_status"]) == (2, 200)
    assert [r.getMessage() for r in caplog.records if "duplicate" in r.getMessage()] == [
        f"duplicate callback for job {job.id} ignored"
    ]
    [record] = sandbox.records()
    assert result.video_id == record["result"]["video_id"]
    again = await job.poll()
    assert again is not None and again.video_id == result.video_id


async def test_a_failure_callback_raises_job_failed(
    oneall_sandbox_fresh: Sandbox, managed: AsyncOneAll
) -> None:
    sandbox = oneall_sandbox_fresh
    sandbox.add_fault("endpoint=youtube.upload_video,callback=fail")
    job = await managed.youtube.upload_video(
        sandbox.token("youtube"), video_url=VIDEO, title="Doomed"
    )
    with pytest.raises(errors.JobFailedError) as caught:
        await job.wait(timeout=20)
    assert caught.value.job_id == job.id
    assert caught.value.status == 400
    assert "could not be downloaded" in caught.value.info
    assert [r["status"] for r in sandbox.records()] == ["failed"]


async def test_a_callback_never_sent_times_the_wait_out(
    oneall_sandbox_fresh: Sandbox, managed: AsyncOneAll
) -> None:
    sandbox = oneall_sandbox_fresh
    sandbox.add_fault("callback=never")
    job = await managed.twitter.upload_video(sandbox.token("twitter"), video_url=VIDEO)
    [callback] = await settled(sandbox, 1)  # the sandbox has decided: nothing will come
    assert (callback["mode"], callback["delivered"]) == ("never", 0)
    with pytest.raises(errors.JobTimeoutError) as caught:
        await job.wait(timeout=0.1)
    assert caught.value.job_id == job.id
    assert await job.poll() is None


async def test_reordered_callbacks_reach_their_own_jobs(
    oneall_sandbox_fresh: Sandbox, managed: AsyncOneAll
) -> None:
    sandbox = oneall_sandbox_fresh
    sandbox.add_fault("callback=reorder")
    token = sandbox.token("twitter")
    # Both are accepted before either callback is due, so the first waits for its partner.
    sandbox.hold_callbacks()
    first = await managed.twitter.upload_video(token, video_url=VIDEO)
    second = await managed.twitter.upload_video(token, video_url=VIDEO)
    sandbox.release_callbacks()
    results = {job.id: (await job.wait(timeout=20)).video_id for job in (first, second)}
    callbacks = await settled(sandbox, 2)
    # Reordered: the second upload's callback was delivered first.
    by_order = sorted(callbacks, key=lambda c: c["delivery_seq"])
    assert [c["record"] for c in by_order] == [2, 1]
    assert [c["http_status"] for c in by_order] == [200, 200]
    issued = {
        job_id: record["result"]["video_id"]
        for record in sandbox.records()
        for job_id in results
        if job_id in record["payload"]["callback_url"]
    }
    assert results == issued
    assert len(set(results.values())) == 2
