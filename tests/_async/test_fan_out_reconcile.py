"""fan_out(..., reconcile=True) against the sandbox: unknown entries carry their verdict, the
report round-trips it, and a resumed run re-sends only what was not published."""

from __future__ import annotations

import json
from typing import Any

from oneall_push import AsyncOneAll, RetryPolicy
from oneall_push.fanout import FanOutReport, Target, target
from oneall_push.reconcile import NotPublished, Published, Undecidable
from oneall_push.sandbox import Sandbox

QUICK = RetryPolicy(max_retries=1, backoff_initial=0.01, backoff_max=0.02)


def _client(sandbox: Sandbox, **kwargs: Any) -> AsyncOneAll:
    return AsyncOneAll(**{**sandbox.client_kwargs(), "retry": QUICK, **kwargs})


async def test_unknown_entries_get_their_verdict_and_resume_sends_only_the_unpublished(
    oneall_sandbox_fresh: Sandbox,
) -> None:
    sandbox = oneall_sandbox_fresh
    first, second = sandbox.tokens("twitter")[:2]
    third = sandbox.add_identity("twitter").token
    # Connection rules roll before request rules: with one target at a time, the first tweet
    # is dropped unprocessed, the second processed with its answer lost.
    sandbox.add_fault("endpoint=twitter.publish_tweet,reset=before,times=1")
    sandbox.add_fault("endpoint=twitter.publish_tweet,reset=after,times=1")
    sandbox.add_fault("endpoint=twitter.upload_picture,reset=after,times=1")
    async with _client(sandbox) as client:
        targets: list[Target[Any]] = [
            target(client.twitter.publish_tweet, first, message="dropped"),
            target(client.twitter.publish_tweet, second, message="lost answer"),
            target(client.twitter.upload_picture, third, url="https://example.com/a.png"),
            target(client.twitter.publish_tweet, third, message="fine"),
        ]
        report = await client.fan_out(targets, concurrency=1, reconcile=True)
        assert [e.outcome for e in report.entries] == ["unknown", "unknown", "unknown", "succeeded"]
        verdicts = [e.verdict for e in report.entries]
        assert isinstance(verdicts[0], NotPublished)
        assert isinstance(verdicts[1], Published)
        assert isinstance(verdicts[2], Undecidable) and verdicts[3] is None
        assert report.to_retry() == [targets[0]]

        document = json.loads(report.to_json())
        kinds = [e.get("verdict", {}).get("kind") for e in document["entries"]]
        assert kinds == ["not_published", "published", "undecidable", None]
        read_back = FanOutReport.from_dict(document)
        assert [type(e.verdict).__name__ for e in read_back.entries] == [
            "NotPublished",
            "Published",
            "Undecidable",
            "NoneType",
        ]

        # Resume from the JSON report: only the unpublished tweet is sent again.
        resumed = await client.fan_out(targets, skip=read_back)
        assert [e.outcome for e in resumed.entries] == ["succeeded", *["skipped"] * 3]
    messages = [r["payload"].get("message") for r in sandbox.records(provider="twitter")]
    assert sorted(m for m in messages if m) == ["dropped", "fine", "lost answer"]


async def test_without_reconcile_unknown_entries_have_no_verdict(
    oneall_sandbox_fresh: Sandbox,
) -> None:
    sandbox = oneall_sandbox_fresh
    sandbox.add_fault("endpoint=twitter.publish_tweet,reset=before,times=1")
    async with _client(sandbox) as client:
        lone: list[Target[Any]] = [
            target(client.twitter.publish_tweet, sandbox.token("twitter"), message="x")
        ]
        report = await client.fan_out(lone)
    [entry] = report.entries
    assert entry.outcome == "unknown" and entry.verdict is None
    assert report.to_retry() == [] and "verdict" not in entry.to_dict()
