"""``oneall-push demo``: the whole flow, end to end, with the real client and no credentials.

The sandbox and a callback receiver run in-process on free loopback ports; the real
:class:`~oneall_push.AsyncOneAll` talks to them over HTTP exactly as it talks to OneAll.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
import time
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any, TextIO

from .. import AsyncOneAll, CallbackConfig, RetryPolicy, errors
from ..sandbox import Sandbox, serve
from ._sandbox_cmd import add_sandbox_options, config_from

__all__ = ["add_parser", "run", "run_demo"]

PICTURE_URL = "https://example.com/images/launch-party.png"
VIDEO_URL = "https://example.com/videos/launch-party.mp4"
WAIT = 60.0


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "demo",
        help="walk the whole flow against an in-process sandbox (no credentials needed)",
        description=(
            "Start the sandbox in-process on a free loopback port and publish through the real "
            "client: pictures, tweets, videos awaited through their callbacks, Facebook, "
            "LinkedIn, Pinterest and YouTube, and a rejected request. Exits 1 if a step fails."
        ),
    )
    add_sandbox_options(p)
    p.add_argument("--verbose", "-v", action="store_true", help="show tracebacks of failures")


class _Report:
    def __init__(self, out: TextIO, verbose: bool) -> None:
        self.out = out
        self.verbose = verbose
        self.passed = 0
        self.failed = 0

    def line(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    async def step(self, title: str, action: Callable[[], Awaitable[list[str]]]) -> bool:
        number = self.passed + self.failed + 1
        started = time.monotonic()
        try:
            details = await action()
        except Exception as exc:
            self.failed += 1
            self.line(f"{number:>2}. FAIL  {title}")
            self.line(f"          {type(exc).__name__}: {exc}")
            if self.verbose:
                for text in traceback.format_exception(exc):
                    self.line("          " + text.rstrip().replace("\n", "\n          "))
            return False
        self.passed += 1
        elapsed = time.monotonic() - started
        self.line(f"{number:>2}. ok    {title}  ({elapsed:.2f} s)")
        for detail in details:
            self.line(f"          {detail}")
        return True


@asynccontextmanager
async def _callback_receiver(secret: str) -> AsyncIterator[tuple[CallbackConfig, Any]]:
    """A signed-callback receiver on a free loopback port, and a store shared with the client."""
    try:
        from .._async.stores import AsyncMemoryStore
        from ..callbacks.server import AsyncCallbackServer
    except ImportError as exc:  # pragma: no cover - only while the callbacks work is unfinished
        raise RuntimeError(f"the callback receiver is not available: {exc}") from exc
    store = AsyncMemoryStore()
    receiver_config = CallbackConfig(public_url="http://127.0.0.1/", secret=secret)
    async with AsyncCallbackServer(receiver_config, store, host="127.0.0.1", port=0) as receiver:
        yield CallbackConfig(public_url=receiver.url, secret=secret), store
    await store.close()


async def run_demo(sandbox: Sandbox, out: TextIO, *, verbose: bool = False) -> int:
    """Serve ``sandbox`` on a free loopback port and walk the flow; the exit status."""
    report = _Report(out, verbose)
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(serve(sandbox, host="127.0.0.1", port=0))
        config, store = await stack.enter_async_context(_callback_receiver(secrets.token_hex(24)))
        client = await stack.enter_async_context(
            AsyncOneAll(
                **sandbox.client_kwargs(),
                callbacks=config,
                callback_store=store,
                retry=RetryPolicy(backoff_initial=0.05, backoff_max=0.5),
            )
        )
        report.line("oneall-push demo: the real AsyncOneAll client against a local sandbox")
        report.line(f"  sandbox  {sandbox.base_url}   (inspect: {sandbox.base_url}/_sandbox)")
        report.line(f"  callbacks received at {config.public_url}")
        report.line("")
        await _walk(client, sandbox, report)

    report.line("")
    total = report.passed + report.failed
    if report.failed:
        report.line(f"{report.failed} of {total} steps FAILED.")
        return 1
    records = len(sandbox.records())
    report.line(f"All {total} steps passed; the sandbox holds {records} published records.")
    return 0


async def _walk(client: AsyncOneAll, sandbox: Sandbox, report: _Report) -> None:
    twitter = sandbox.token("twitter")
    found: dict[str, str] = {}

    async def picture() -> list[str]:
        result = await client.twitter.upload_picture(twitter, url=PICTURE_URL)
        assert result.picture_id, "no picture_id in the result"
        found["picture"] = result.picture_id
        return [f"picture_id {result.picture_id}"]

    async def tweet_picture() -> list[str]:
        result = await client.twitter.publish_tweet(
            twitter, message="Our launch party, in pictures", attachments=[found["picture"]]
        )
        return [f"post_id {result.post_id}", f"{result.post_location}"]

    async def video() -> list[str]:
        job = await client.twitter.upload_video(twitter, video_url=VIDEO_URL)
        queued = job.queued.result if job.queued is not None else None
        lines = [f"queued: {queued!r}", f"job {job.id}: waiting for OneAll's callback"]
        result = await job.wait(timeout=WAIT)
        assert result.video_id, "the callback carried no video_id"
        found["video"] = result.video_id
        return [*lines, f"callback received: video_id {result.video_id}"]

    async def tweet_video() -> list[str]:
        result = await client.twitter.publish_tweet(
            twitter, message="And the video!", attachments=[found["video"]]
        )
        return [f"post_id {result.post_id}", f"{result.post_location}"]

    async def facebook_page() -> list[str]:
        result = await client.facebook.publish_page_post(
            sandbox.token("facebook"),
            id="4563453",
            message="We are live!",
            link="https://example.com/launch",
        )
        return [f"post_id {result.post_id}", f"{result.post_location}"]

    async def linkedin_company() -> list[str]:
        result = await client.linkedin.publish_company_post(
            sandbox.token("linkedin"),
            company="2414183",
            title="Launch",
            message="Our product is live.",
            link="https://example.com/launch",
        )
        return [f"post_id {result.post_id}", f"{result.post_location}"]

    async def pinterest_pin() -> list[str]:
        result = await client.pinterest.publish_pin(
            sandbox.token("pinterest"),
            "launch-board",
            picture=PICTURE_URL,
            description="Launch party",
            link="https://example.com/launch",
        )
        return [f"pin_id {result.pin_id}", f"{result.pin_location}"]

    async def youtube() -> list[str]:
        job = await client.youtube.upload_video(
            sandbox.token("youtube"), video_url=VIDEO_URL, title="Launch party"
        )
        result = await job.wait(timeout=WAIT)
        assert result.video_id, "the callback carried no video_id"
        return [f"job {job.id}", f"callback received: video_id {result.video_id}"]

    async def client_side() -> list[str]:
        try:
            await client.twitter.publish_tweet(
                twitter, message="too many", attachments=["1", "2", "3", "4", "5"]
            )
        except errors.RequestValidationError as exc:
            return [f"{type(exc).__name__}: {exc}", "(refused before anything was sent)"]
        raise AssertionError("five attachments were accepted")

    async def server_side() -> list[str]:
        try:
            await client.twitter.publish_tweet(
                twitter, message="Attach what?", attachments=["910890718352281600"]
            )
        except errors.BadRequestError as exc:
            return [f"{type(exc).__name__} (HTTP {exc.status}):", f"{exc.info}"]
        raise AssertionError("the sandbox accepted media it never issued")

    await report.step("Twitter: upload a picture", picture)
    if "picture" in found:
        await report.step("Twitter: tweet with the picture attached", tweet_picture)
    await report.step("Twitter: upload a video and await its callback (job.wait)", video)
    if "video" in found:
        await report.step("Twitter: tweet with the video attached", tweet_video)
    await report.step("Facebook: publish a page post", facebook_page)
    await report.step("LinkedIn: publish a company post", linkedin_company)
    await report.step("Pinterest: publish a pin", pinterest_pin)
    await report.step("YouTube: upload a video and await its callback", youtube)
    await report.step("Refused by the client: five attachments", client_side)
    await report.step("Rejected by the server: a tweet attaching unknown media", server_side)


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    sandbox = Sandbox(config_from(args, callback_delay=0.3))
    return asyncio.run(run_demo(sandbox, out, verbose=args.verbose))
