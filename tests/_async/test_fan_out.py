"""Fan-out against the sandbox: one entry per target, nothing sent twice. Written once; the
sync twin is generated."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from oneall_push import AsyncOneAll, ConfigurationError, Hooks, RetryPolicy
from oneall_push.errors import (
    ConflictError,
    OutcomeUnknownError,
    RateLimitError,
    RequestValidationError,
)
from oneall_push.fanout import FanOutEntry, FanOutReport, Target, target
from oneall_push.hooks import RequestEvent, ResponseEvent
from oneall_push.sandbox import Sandbox

QUICK = RetryPolicy(max_retries=1, backoff_initial=0.01, backoff_max=0.02)


def _client(sandbox: Sandbox, **kwargs: Any) -> AsyncOneAll:
    return AsyncOneAll(**{**sandbox.client_kwargs(), "retry": QUICK, **kwargs})


def _mixed_targets(client: AsyncOneAll, sandbox: Sandbox) -> list[Target[Any]]:
    twitter, twitter_2 = sandbox.tokens("twitter")[:2]
    return [
        target(client.twitter.publish_tweet, twitter, message="one"),
        target(client.twitter.publish_tweet, twitter_2, message="two"),
        target(client.twitter.publish_tweet, twitter, message="bad", attachments=list("12345")),
        target(
            client.facebook.publish_page_post, sandbox.token("facebook"), id="4563453", message="fb"
        ),
        target(client.linkedin.publish_user_post, sandbox.token("linkedin"), message="lost"),
        target(
            client.pinterest.publish_pin,
            sandbox.token("pinterest"),
            "board-1",
            picture="https://example.com/a.png",
            description="pin",
        ),
    ]


def _faults(sandbox: Sandbox) -> None:
    # facebook: one 503 with Retry-After, retried by the client; linkedin: processed, answer
    # lost; pinterest: rate limited past the retries.
    sandbox.add_fault("endpoint=facebook.publish_page_post,status=503,retry_after=0,times=1")
    sandbox.add_fault("endpoint=linkedin.publish_user_post,reset=after,times=1")
    sandbox.add_fault("endpoint=pinterest.publish_pin,status=429,retry_after=0")


async def test_a_mixed_run_reports_each_target_exactly(oneall_sandbox_fresh: Sandbox) -> None:
    sandbox = oneall_sandbox_fresh
    _faults(sandbox)
    journal: list[FanOutEntry] = []
    async with _client(sandbox) as client:
        targets = _mixed_targets(client, sandbox)
        report = await client.fan_out(targets, concurrency=4, on_entry=journal.append)

    assert [e.outcome for e in report.entries] == [
        "succeeded",
        "succeeded",
        "failed",
        "succeeded",
        "unknown",
        "failed",
    ]
    assert [e.key for e in report.entries] == [t.key for t in targets]
    assert isinstance(report.entries[2].error, RequestValidationError)
    assert report.entries[2].retryable is False
    assert isinstance(report.entries[4].error, OutcomeUnknownError)
    assert report.entries[4].retryable is False
    assert isinstance(report.entries[5].error, RateLimitError)
    assert report.entries[5].retryable is True
    assert report.to_retry() == [targets[5]]
    assert report.entries[0].result.post_id
    assert sorted(e.key for e in journal) == sorted(t.key for t in targets)

    document = json.loads(report.to_json())
    assert document["counts"] == {"succeeded": 3, "failed": 2, "unknown": 1, "skipped": 0}
    assert document["entries"][5]["error"]["status"] == 429
    text = report.to_json()
    for token in (sandbox.token("twitter"), sandbox.token("linkedin")):
        assert token not in text
    assert [e.endpoint for e in report.entries][:3] == ["twitter.publish_tweet"] * 3


async def test_a_resumed_run_sends_nothing_twice(oneall_sandbox_fresh: Sandbox) -> None:
    sandbox = oneall_sandbox_fresh
    _faults(sandbox)
    async with _client(sandbox) as client:
        first = await client.fan_out(_mixed_targets(client, sandbox))
    saved = FanOutReport.from_dict(json.loads(first.to_json()))
    published_first = len(sandbox.records())
    sandbox.clear_faults()

    async with _client(sandbox) as client:
        second = await client.fan_out(_mixed_targets(client, sandbox), skip=saved)

    assert [e.outcome for e in second.entries] == [
        "skipped",
        "skipped",
        "failed",  # five attachments are refused again, before sending
        "skipped",
        "skipped",  # the unknown outcome is not sent again
        "succeeded",  # the rate-limited pin, provably not processed, now goes out
    ]
    records = sandbox.records()
    assert len(records) == published_first + 1
    payloads = [json.dumps(r["payload"], sort_keys=True) for r in records]
    assert len(payloads) == len(set(payloads))  # every publication once


async def test_the_per_provider_limit_holds(oneall_sandbox_fresh: Sandbox) -> None:
    sandbox = oneall_sandbox_fresh
    sandbox.add_fault("latency=0.05")
    lock = threading.Lock()
    in_flight: dict[str, int] = {"twitter": 0, "linkedin": 0}
    peak: dict[str, int] = {"twitter": 0, "linkedin": 0}

    def provider(event: RequestEvent) -> str:
        return event.endpoint.split(".")[0]

    def started(event: RequestEvent) -> None:
        with lock:
            in_flight[provider(event)] += 1
            peak[provider(event)] = max(peak[provider(event)], in_flight[provider(event)])

    def finished(event: ResponseEvent) -> None:
        with lock:
            in_flight[provider(event)] -= 1

    hooks = Hooks(on_request=started, on_response=finished)
    async with _client(sandbox, hooks=hooks) as client:
        targets: list[Target[Any]] = [
            target(client.twitter.publish_tweet, sandbox.token("twitter"), message=f"t{i}")
            for i in range(8)
        ]
        targets += [
            target(client.linkedin.publish_user_post, sandbox.token("linkedin"), message=f"l{i}")
            for i in range(8)
        ]
        report = await client.fan_out(targets, concurrency=6, per_provider={"twitter": 2})

    assert len(report.succeeded()) == 16
    assert peak["twitter"] == 2
    assert peak["linkedin"] > 2


async def test_bad_arguments_are_refused_before_anything_runs(
    oneall_sandbox_fresh: Sandbox,
) -> None:
    sandbox = oneall_sandbox_fresh
    async with _client(sandbox) as client:
        tweet = target(client.twitter.publish_tweet, sandbox.token("twitter"), message="x")
        bad: list[tuple[dict[str, Any], str]] = [
            ({"targets": [tweet, "not a target"]}, r"targets\[1\] is not a Target"),
            ({"targets": [tweet, tweet]}, "same key"),
            ({"targets": [tweet], "concurrency": 0}, "concurrency must be"),
            ({"targets": [tweet], "per_provider": {"twitter": True}}, "per_provider"),
            ({"targets": [tweet], "on_entry": "print"}, "on_entry must be callable"),
        ]
        for kwargs, message in bad:
            with pytest.raises(ConfigurationError, match=message):
                await client.fan_out(**kwargs)
        # Same call under another key: run again (and refused by Twitter as a duplicate).
        twice = await client.fan_out([tweet, tweet.with_key("again")], concurrency=1)
        assert [e.outcome for e in twice.entries] == ["succeeded", "failed"]
        assert twice.entries[1].key == "again"
        assert isinstance(twice.entries[1].error, ConflictError)
    assert len(sandbox.records(endpoint="twitter.publish_tweet")) == 1
    with pytest.raises(ConfigurationError, match="bound client method"):
        target(print, "x")
    with pytest.raises(ConfigurationError, match="non-empty"):
        tweet.with_key("")
    with pytest.raises(ConfigurationError, match="entries"):
        FanOutReport.from_dict({"entries": "nope"})
    with pytest.raises(ConfigurationError, match="not a fan-out report entry"):
        FanOutReport.from_dict({"entries": [{"key": "k", "outcome": "maybe"}]})
