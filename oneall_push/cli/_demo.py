"""``oneall-push demo``: the whole flow, end to end, with the real client and no credentials.

The sandbox and a callback receiver run in-process on free loopback ports; the real
:class:`~oneall_push.AsyncOneAll` talks to them over HTTP exactly as it talks to OneAll.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import secrets
import sys
import time
import traceback
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any, TextIO

from .. import AsyncOneAll, CallbackConfig, RetryPolicy, errors
from .._async.stores import AsyncMemoryStore
from ..callbacks.receivers import AsyncCallbackServer
from ..endpoints import Provider
from ..sandbox import Sandbox, serve
from ..sandbox.xmedia import XMediaSandbox
from ..xmedia import AsyncXMedia, MediaEvent, ProcessingProgress, UploadProgress, XRetryPolicy
from ._sandbox_cmd import config_from

__all__ = ["run", "run_demo"]

PICTURE_URL = "https://example.com/images/launch-party.png"
VIDEO_URL = "https://example.com/videos/launch-party.mp4"
WAIT = 60.0
MiB = 1024 * 1024
X_MEDIA_BYTES = 3 * MiB
X_CHUNK_SIZE = MiB // 2


class _Report:
    def __init__(self, out: TextIO, verbose: bool) -> None:
        self.out = out
        self.verbose = verbose
        self.passed = 0
        self.failed = 0
        self.skipped = 0

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.skipped

    def line(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    async def step(self, title: str, action: Callable[[], Awaitable[list[str]]]) -> bool:
        number = self.total + 1
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

    async def step_after(
        self, needed: bool, reason: str, title: str, action: Callable[[], Awaitable[list[str]]]
    ) -> bool:
        """Run a step that depends on an earlier one, or show it as skipped."""
        if needed:
            return await self.step(title, action)
        self.skipped += 1
        self.line(f"{self.total:>2}. SKIP  {title}")
        self.line(f"          {reason}")
        return False


@asynccontextmanager
async def _callback_receiver(secret: str) -> AsyncIterator[tuple[CallbackConfig, Any]]:
    """A signed-callback receiver on a free loopback port, and a store shared with the client."""
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
        report.line(f"  X media upload API at {sandbox.x_media_url}")
        report.line("")
        await _walk(client, sandbox, report)

    report.line("")
    total = report.total
    if report.failed or report.skipped:
        skipped = f", {report.skipped} skipped" if report.skipped else ""
        report.line(f"{report.failed} of {total} steps FAILED{skipped}.")
        return 1
    records = len(sandbox.records())
    report.line(f"All {total} steps passed; the sandbox holds {records} published records.")
    return 0


def fake_mp4(size: int) -> bytes:
    """``size`` bytes that sniff as video/mp4: an ``ftyp`` box, then one ``mdat`` box."""
    ftyp = b"ftypisom" + (0x200).to_bytes(4, "big") + b"isomiso2avc1mp41"
    ftyp = (len(ftyp) + 4).to_bytes(4, "big") + ftyp
    mdat_size = size - len(ftyp)
    payload = random.Random(0).randbytes(mdat_size - 8)
    return ftyp + mdat_size.to_bytes(4, "big") + b"mdat" + payload


async def _x_media_upload(sandbox: Sandbox) -> list[str]:
    """Upload a small MP4 in several chunks to the sandbox's X media emulator."""
    source = fake_mp4(X_MEDIA_BYTES)
    events: list[MediaEvent] = []
    x_url = sandbox.x_media_url
    assert x_url is not None, "the X media emulator is not served"
    async with AsyncXMedia(
        bearer_token=sandbox.x_media.tokens[0],
        base_url=x_url,
        chunk_size=X_CHUNK_SIZE,
        # The demo's emulator answers check_after_secs=0; keep X's 1 s floor for the real API.
        min_poll_interval=0.05,
        processing_deadline=WAIT,
        retry=XRetryPolicy(backoff_initial=0.05, backoff_max=0.5),
    ) as x:
        media = await x.upload(source, progress=events.append)
    appends = [e for e in events if isinstance(e, UploadProgress)]
    states = [
        e.state if e.progress_percent is None else f"{e.state} {e.progress_percent}%"
        for e in events
        if isinstance(e, ProcessingProgress)
    ]
    assert media.state == "succeeded", f"processing ended {media.state}"
    assert appends and appends[-1].bytes_sent == len(source), "not every byte was acknowledged"
    kept = sandbox.x_media.uploads[media.id]
    assert kept.crc32() == zlib.crc32(source), "the sandbox's CRC-32 differs from the source's"
    return [
        f"media_id {media.id}  ({media.media_type}, {media.media_category})",
        f"{len(appends)} appends of {X_CHUNK_SIZE // 1024} KiB: "
        f"{appends[-1].bytes_sent} of {len(source)} bytes acknowledged, CRC-32 matches",
        "processing: " + " -> ".join(states),
    ]


LOGIN_PROVIDERS: tuple[Provider, ...] = ("twitter", "facebook", "linkedin", "pinterest", "youtube")


async def _walk(client: AsyncOneAll, sandbox: Sandbox, report: _Report) -> None:
    # The identity tokens a real app gets from a login; the configured ones if it failed.
    tokens: dict[str, str] = {p: sandbox.token(p) for p in LOGIN_PROVIDERS}
    found: dict[str, str] = {}

    async def login() -> list[str]:
        # OneAll POSTs a connection_token to the app's login callback; the sandbox makes one.
        connection_token = sandbox.login("twitter")
        connection = await client.connections.get(connection_token)
        assert connection.user_token, "the connection names no user"
        for provider in LOGIN_PROVIDERS[1:]:  # the user links the other networks (Social Link)
            sandbox.login(provider, user_token=connection.user_token)
        user = await client.users.get(connection.user_token)
        mine = {i.provider: i.identity_token for i in user.identities if i.provider}
        assert set(mine) == set(LOGIN_PROVIDERS), f"identities of {sorted(mine)} only"
        tokens.update(mine)
        found["user_token"] = user.user_token
        return [
            f"connection_token {connection_token} ({connection.plugin})",
            f"user_token {user.user_token}",
            *(f"{p:<10} identity_token {t}" for p, t in mine.items()),
        ]

    async def sharing() -> list[str]:
        message = await client.sharing.publish(
            user_token=found["user_token"],
            providers=["twitter", "linkedin"],
            text="One message, every network",
            link_url="https://example.com/launch",
        )
        assert not message.failed(), f"failed publications: {message.failed()}"
        return [f"sharing_message_token {message.sharing_message_token}"] + [
            f"{p.provider:<10} {p.flag} ({p.code})" for p in message.publications
        ]

    await report.step("Login: a connection_token resolved to the user's identity tokens", login)
    twitter = tokens["twitter"]

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
            tokens["facebook"],
            id="4563453",
            message="We are live!",
            link="https://example.com/launch",
        )
        return [f"post_id {result.post_id}", f"{result.post_location}"]

    async def linkedin_company() -> list[str]:
        result = await client.linkedin.publish_company_post(
            tokens["linkedin"],
            company="2414183",
            title="Launch",
            message="Our product is live.",
            link="https://example.com/launch",
        )
        return [f"post_id {result.post_id}", f"{result.post_location}"]

    async def pinterest_pin() -> list[str]:
        result = await client.pinterest.publish_pin(
            tokens["pinterest"],
            "launch-board",
            picture=PICTURE_URL,
            description="Launch party",
            link="https://example.com/launch",
        )
        return [f"pin_id {result.pin_id}", f"{result.pin_location}"]

    async def youtube() -> list[str]:
        job = await client.youtube.upload_video(
            tokens["youtube"], video_url=VIDEO_URL, title="Launch party"
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
    await report.step_after(
        "picture" in found,
        "needs the picture id of the failed upload above",
        "Twitter: tweet with the picture attached",
        tweet_picture,
    )
    await report.step("Twitter: upload a video and await its callback (job.wait)", video)
    await report.step_after(
        "video" in found,
        "needs the video id of the failed upload above",
        "Twitter: tweet with the video attached",
        tweet_video,
    )
    await report.step("Facebook: publish a page post", facebook_page)
    await report.step("LinkedIn: publish a company post", linkedin_company)
    await report.step("Pinterest: publish a pin", pinterest_pin)
    await report.step("YouTube: upload a video and await its callback", youtube)
    await report.step(
        "X: chunked media upload (v2) with progress and processing status",
        lambda: _x_media_upload(sandbox),
    )
    await report.step_after(
        "user_token" in found,
        "needs the user_token of the failed login above",
        "Social Sharing: one message to Twitter and LinkedIn",
        sharing,
    )

    async def delete_tweet() -> list[str]:
        posted = await client.twitter.publish_tweet(twitter, message="A typo to take down")
        deleted = await client.twitter.delete_tweet(twitter, posted.post_id)
        listed = await client.twitter.list_tweets(twitter, only_tweet_id=posted.post_id)
        assert len(listed) == 0, "the deleted tweet is still listed"
        return [
            f"post_id {posted.post_id}",
            f"{type(deleted).__name__} {deleted.id} (HTTP {deleted.status})",
            "twitter.list_tweets(only_tweet_id=...) no longer lists it",
        ]

    async def reconcile() -> list[str]:
        # The sandbox processes the next tweet, then drops the connection before answering.
        sandbox.add_fault(endpoint="twitter.publish_tweet", reset="after", times=1)
        try:
            await client.twitter.publish_tweet(twitter, message="Did this one go out?")
        except errors.OutcomeUnknownError as exc:
            lost = exc
        else:
            raise AssertionError("the answer was not lost")
        verdict = await client.reconcile(lost)
        assert verdict.kind == "published", f"reconciled to {verdict!r}"
        result = getattr(verdict, "result", None)
        return [
            f"{type(lost).__name__}: the answer was lost (not retried)",
            f"reconciled with twitter.list_tweets: {verdict.kind}, "
            f"post_id {getattr(result, 'post_id', None)}",
            "(nothing was sent twice)",
        ]

    await report.step("Refused by the client: five attachments", client_side)
    await report.step("Rejected by the server: a tweet attaching unknown media", server_side)
    await report.step("Update API: delete a tweet; Pull no longer lists it", delete_tweet)
    await report.step("Reconcile: a tweet whose answer was lost is found published", reconcile)


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    # check_after_secs=0: the X step's processing states pass in a few milliseconds.
    sandbox = Sandbox(
        config_from(args, callback_delay=0.3), x_media=XMediaSandbox(check_after_secs=0)
    )
    return asyncio.run(run_demo(sandbox, out, verbose=args.verbose))
