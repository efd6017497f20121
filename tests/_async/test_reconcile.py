"""client.reconcile against the sandbox (both halves): each verdict, the rebuilt result, the
attempt an unknown outcome carries, and that reconciling never publishes."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from oneall_push import AsyncOneAll, OutcomeUnknownError, RetryPolicy
from oneall_push.errors import RequestValidationError
from oneall_push.models.results import PinResult, PostResult
from oneall_push.reconcile import NotPublished, Published, PushAttempt, Undecidable
from oneall_push.sandbox import Sandbox

QUICK = RetryPolicy(backoff_initial=0.01, backoff_max=0.02)
ClientMaker = Callable[..., AsyncOneAll]


@pytest.fixture
async def sandbox_client(oneall_sandbox_fresh: Sandbox) -> AsyncIterator[ClientMaker]:
    made: list[AsyncOneAll] = []

    def make(**kwargs: Any) -> AsyncOneAll:
        client = AsyncOneAll(**{**oneall_sandbox_fresh.client_kwargs(), "retry": QUICK, **kwargs})
        made.append(client)
        return client

    yield make
    for client in made:
        await client.close()


async def lost_tweet(client: AsyncOneAll, token: str, message: str) -> OutcomeUnknownError:
    with pytest.raises(OutcomeUnknownError) as caught:
        await client.twitter.publish_tweet(token, message=message)
    return caught.value


async def test_an_answer_lost_after_processing_reconciles_to_published(
    oneall_sandbox_fresh: Sandbox, sandbox_client: ClientMaker
) -> None:
    client = sandbox_client()
    token = oneall_sandbox_fresh.token("twitter")
    await client.twitter.publish_tweet(token, message="an earlier tweet")
    oneall_sandbox_fresh.add_fault(endpoint="twitter.publish_tweet", reset="after", times=1)
    error = await lost_tweet(client, token, "launch day")

    attempt = error.push_attempt
    assert isinstance(attempt, PushAttempt)
    assert attempt.endpoint == "twitter.publish_tweet" and attempt.identity_token == token
    assert attempt.payload == {"message": "launch day"}
    now = dt.datetime.now(dt.timezone.utc)
    assert abs((now - attempt.attempted_at).total_seconds()) < 600
    assert token not in str(error) and token not in repr(attempt)

    verdict = await client.reconcile(error)
    assert isinstance(verdict, Published)
    [record] = oneall_sandbox_fresh.records(endpoint="twitter.publish_tweet")[1:]
    assert isinstance(verdict.result, PostResult)
    assert verdict.result.post_id == record["result"]["post_id"] == verdict.item.id
    assert verdict.result.post_location == record["result"]["post_location"]
    assert verdict.to_dict() == {
        "kind": "published",
        "endpoint": "twitter.publish_tweet",
        "id": verdict.item.id,
    }
    # Reconciling only read: still two tweets.
    assert len(oneall_sandbox_fresh.records(endpoint="twitter.publish_tweet")) == 2


async def test_a_request_dropped_before_processing_reconciles_to_not_published(
    oneall_sandbox_fresh: Sandbox, sandbox_client: ClientMaker
) -> None:
    client = sandbox_client()
    token = oneall_sandbox_fresh.token("twitter")
    await client.twitter.publish_tweet(token, message="not this one")
    oneall_sandbox_fresh.add_fault(endpoint="twitter.publish_tweet", reset="before", times=1)
    error = await lost_tweet(client, token, "maybe sent")
    verdict = await client.reconcile(error)
    assert isinstance(verdict, NotPublished)
    assert verdict.checked == "twitter.list_tweets"
    # Safe to send again, and it goes out once.
    await client.twitter.publish_tweet(token, message="maybe sent")
    texts = [r["payload"]["message"] for r in oneall_sandbox_fresh.records(identity_token=token)]
    assert texts == ["not this one", "maybe sent"]


async def test_an_endpoint_without_a_pull_resource_is_undecidable(
    oneall_sandbox_fresh: Sandbox, sandbox_client: ClientMaker
) -> None:
    client = sandbox_client()
    token = oneall_sandbox_fresh.token("twitter")
    oneall_sandbox_fresh.add_fault(endpoint="twitter.upload_picture", reset="after", times=1)
    with pytest.raises(OutcomeUnknownError) as caught:
        await client.twitter.upload_picture(token, url="https://example.com/a.png")
    verdict = await client.reconcile(caught.value)
    assert isinstance(verdict, Undecidable)
    assert verdict.reason == "no Pull resource shows what twitter.upload_picture publishes"
    assert isinstance(await client.reconcile(RequestValidationError("x", "y")), Undecidable)


async def test_two_matching_page_posts_are_ambiguous_one_is_published(
    oneall_sandbox_fresh: Sandbox, sandbox_client: ClientMaker
) -> None:
    client = sandbox_client()
    token = oneall_sandbox_fresh.token("facebook")
    page = "1234567"
    oneall_sandbox_fresh.add_fault(endpoint="facebook.publish_page_post", reset="after", times=1)
    with pytest.raises(OutcomeUnknownError) as caught:
        await client.facebook.publish_page_post(token, id=page, message="Sale today")
    verdict = await client.reconcile(caught.value)
    assert isinstance(verdict, Published) and isinstance(verdict.result, PostResult)
    [record] = oneall_sandbox_fresh.records(endpoint="facebook.publish_page_post")
    assert verdict.result.post_id == record["result"]["post_id"]
    # The same text again on the same page (Facebook allows it): no way to tell them apart.
    await client.facebook.publish_page_post(token, id=page, message="Sale today")
    again = await client.reconcile(caught.value)
    assert isinstance(again, Undecidable) and again.reason.startswith("ambiguous: 2 items")


async def test_a_lost_pin_is_found_on_its_board(
    oneall_sandbox_fresh: Sandbox, sandbox_client: ClientMaker
) -> None:
    client = sandbox_client()
    token = oneall_sandbox_fresh.token("pinterest")
    oneall_sandbox_fresh.add_fault(endpoint="pinterest.publish_pin", reset="after", times=1)
    with pytest.raises(OutcomeUnknownError) as caught:
        await client.pinterest.publish_pin(
            token, "board-1", picture="https://example.com/p.png", description="soup"
        )
    verdict = await client.reconcile(caught.value)
    assert isinstance(verdict, Published) and isinstance(verdict.result, PinResult)


async def test_a_failed_lookup_is_undecidable_with_its_error(
    oneall_sandbox_fresh: Sandbox, sandbox_client: ClientMaker
) -> None:
    client = sandbox_client()
    token = oneall_sandbox_fresh.token("twitter")
    oneall_sandbox_fresh.add_fault(endpoint="twitter.publish_tweet", reset="after", times=1)
    error = await lost_tweet(client, token, "lookup fails")
    oneall_sandbox_fresh.add_fault(endpoint="twitter.list_tweets", status=500, times=1)
    verdict = await client.reconcile(error)
    assert isinstance(verdict, Undecidable) and verdict.error is not None
    assert "twitter.list_tweets failed: ServerError" in verdict.reason
    assert isinstance(await client.reconcile(error), Published)  # the fault fired once
