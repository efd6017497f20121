"""Callback throughput and loss: 10,000 pending jobs, 10,000 signed callbacks at concurrency 100.

    python benchmarks/bench_callbacks.py [--jobs 10000] [--concurrency 100] [--skip-redis]

Memory store: the receiver (aiohttp) and the 10,000 waiters share one process; the callbacks
are POSTed from another process. Redis store: two receiver processes, the waiter in a third,
the POSTs from the main process (round robin over the receivers), one redis-server on
loopback. "lost" counts jobs whose wait did not return their own result.

Each setup is compared with a baseline measured in the same run, in the same layout: bare
aiohttp handlers that read the body and answer 200, receiving the same POSTs at the same
concurrency (no signature check, no store, no waiter). The ratio is the receiver's share of
that ceiling. Not a test: run it by hand.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import queue
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from oneall_push import AsyncOneAll
from oneall_push._io import AsyncMockTransport, Request, Response
from oneall_push.callbacks.config import CallbackConfig
from oneall_push.callbacks.receivers import AsyncCallbackServer
from oneall_push.callbacks.stores import (
    AsyncCallbackStore,
    AsyncMemoryStore,
    AsyncRedisStore,
)

SECRET = "bench-secret-0123456789abcdef"
QUEUED = json.dumps(
    {
        "response": {
            "request": {"status": {"flag": "success", "code": 200, "info": "ok"}},
            "result": {"data": {"object": "video", "result": "added to the queue"}},
        }
    }
).encode()


def body_for(job_id: str) -> bytes:
    return json.dumps(
        {
            "response": {
                "request": {
                    "date": "Tue, 23 Apr 2019 09:38:03 +0200",
                    "resource": "push/identities/x/twitter/video.json",
                    "status": {"flag": "success", "code": 200, "info": "ok"},
                },
                "result": {
                    "data": {
                        "provider": "twitter",
                        "object": "video",
                        "video_id": job_id,
                        "date_creation": "Tue, 23 Apr 2019 09:36:28 +0200",
                    }
                },
            }
        }
    ).encode()


def queued(request: Request) -> Response:
    return Response(200, body=QUEUED)


async def create_jobs(store: AsyncCallbackStore, public_url: str, n: int) -> list[dict[str, Any]]:
    """n video uploads through the client (mock transport): n registered, pending jobs."""
    config = CallbackConfig(public_url=public_url, secret=SECRET, ttl=3600)
    client = AsyncOneAll(
        subdomain="bench",
        public_key="pub",
        private_key="priv",
        callbacks=config,
        callback_store=store,
        transport=AsyncMockTransport(queued),
    )
    jobs = []
    for i in range(n):
        job = await client.twitter.upload_video(f"tok-{i}", video_url="https://e.x/v.mp4")
        # to_dict() leaves the signed URL out; the benchmark plays OneAll, so it keeps it.
        jobs.append({**job.to_dict(), "callback_url": job.record.callback_url})
    await client.close()
    return jobs


async def post_all(urls: list[tuple[str, bytes]], concurrency: int) -> tuple[float, float, int]:
    """POST every (url, body) with ``concurrency`` workers.

    Returns (wall-clock start, seconds, non-200 answers).
    """
    pending = list(reversed(urls))
    failures = 0
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            nonlocal failures
            while pending:
                url, body = pending.pop()
                async with session.post(url, data=body) as response:
                    await response.read()
                    if response.status != 200:
                        failures += 1

        started_wall = time.time()
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return started_wall, time.perf_counter() - started, failures


def poster_process(urls: list[tuple[str, bytes]], concurrency: int, out: Any) -> None:
    out.put(asyncio.run(post_all(urls, concurrency)))


# --- the baseline: bare aiohttp handlers ---------------------------------------------------

_BARE_ANSWER = json.dumps({"status": 200, "message": "stored"}).encode()


async def start_bare_server(port: int = 0) -> tuple[web.AppRunner, int]:
    """An aiohttp server whose every POST reads the body and answers 200 (what the receiver
    answers, without verifying or storing anything)."""

    async def handle(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(body=_BARE_ANSWER, content_type="application/json")

    app = web.Application()
    app.router.add_post("/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    return runner, int(runner.addresses[0][1])


def bare_receiver_process(port: int, stop: Any) -> None:
    async def main() -> None:
        runner, _ = await start_bare_server(port)
        try:
            await asyncio.get_running_loop().run_in_executor(None, stop.wait)
        finally:
            await runner.cleanup()

    asyncio.run(main())


def rebase(urls: list[tuple[str, bytes]], old: str, new: str) -> list[tuple[str, bytes]]:
    return [(url.replace(old, new, 1), body) for url, body in urls]


def _on_first_reads(store: AsyncCallbackStore, job_ids: list[str], done: Any) -> None:
    """Call ``done()`` once every job's wait has subscribed and read the store once."""
    pending = set(job_ids)
    read = store.get

    async def get(job_id: str) -> Any:
        outcome = await read(job_id)
        if job_id in pending:
            pending.discard(job_id)
            if not pending:
                done()
        return outcome

    setattr(store, "get", get)  # noqa: B010 - an instance-level hook, benchmark only


async def wait_all(
    store: AsyncCallbackStore, jobs: list[dict[str, Any]], timeout: float, ready: Any
) -> tuple[int, float]:
    """Wait on every job at once; ``ready()`` once all are waiting.

    Returns how many resolved with their own result, and the wall-clock time the last did.
    """
    client = AsyncOneAll(
        subdomain="bench",
        public_key="pub",
        private_key="priv",
        callbacks=CallbackConfig(public_url="http://unused/cb", secret=SECRET, ttl=3600),
        callback_store=store,
        transport=AsyncMockTransport(queued),
    )
    last = 0.0

    async def one(data: dict[str, Any]) -> bool:
        nonlocal last
        video = await client.jobs.from_dict(data).wait(timeout=timeout)
        last = max(last, time.time())
        return bool(video.video_id == data["id"])

    _on_first_reads(store, [d["id"] for d in jobs], ready)
    results = await asyncio.gather(*(one(d) for d in jobs), return_exceptions=True)
    await client.close()
    return sum(1 for r in results if r is True), last


def _stop(proc: Any) -> None:
    proc.join(timeout=10)
    if proc.is_alive():
        proc.kill()
        proc.join()


# --- memory store --------------------------------------------------------------------------


async def bench_memory(n: int, concurrency: int) -> None:
    store = AsyncMemoryStore()
    config = CallbackConfig(public_url="http://127.0.0.1/", secret=SECRET, ttl=3600)
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    poster = None
    try:
        async with AsyncCallbackServer(config, store, port=0) as server:
            jobs = await create_jobs(store, server.url, n)
            urls = [(d["callback_url"], body_for(d["id"])) for d in jobs]
            loop = asyncio.get_running_loop()
            # The baseline first, in the same layout: served here, POSTed from another process.
            runner, bare_port = await start_bare_server()
            try:
                base = f"http://127.0.0.1:{server.port}"
                bare_urls = rebase(urls, base, f"http://127.0.0.1:{bare_port}")
                bare = ctx.Process(target=poster_process, args=(bare_urls, concurrency, out))
                bare.start()
                try:
                    _, bare_seconds, bare_failures = await loop.run_in_executor(
                        None, out.get, True, 60
                    )
                finally:
                    _stop(bare)
            finally:
                await runner.cleanup()
            if bare_failures:
                print(f"memory: baseline FAILED, {bare_failures} non-200 answers")
                return
            poster = ctx.Process(target=poster_process, args=(urls, concurrency, out))
            resolved, last = await wait_all(store, jobs, 120.0, poster.start)
            try:
                started, seconds, failures = await loop.run_in_executor(None, out.get, True, 60)
            except queue.Empty:
                print("memory: FAILED, the poster process did not report")
                return
        report(
            "memory",
            n,
            concurrency,
            seconds,
            failures,
            n - resolved,
            last - started if last else float("nan"),
            bare_seconds,
        )
    finally:
        if poster is not None and poster.pid is not None:
            _stop(poster)


# --- Redis store ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def receiver_process(redis_url: str, port: int, stop: Any) -> None:
    async def main() -> None:
        config = CallbackConfig(
            public_url="http://127.0.0.1/oneall/callbacks", secret=SECRET, ttl=3600
        )
        async with (
            AsyncRedisStore(redis_url, prefix="bench:") as store,
            AsyncCallbackServer(config, store, port=port),
        ):
            await asyncio.get_running_loop().run_in_executor(None, stop.wait)

    asyncio.run(main())


def waiter_process(redis_url: str, jobs: list[dict[str, Any]], ready: Any, out: Any) -> None:
    async def main() -> tuple[int, float]:
        async with AsyncRedisStore(redis_url, prefix="bench:") as store:
            return await wait_all(store, jobs, 180.0, ready.set)

    out.put(asyncio.run(main()))


def bench_redis(n: int, concurrency: int) -> None:
    binary = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else None
    )
    if binary is None:
        print("redis: skipped (redis-server not installed)")
        return
    port = free_port()
    workdir = tempfile.mkdtemp()
    redis_proc = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            workdir,
        ],
        stdout=subprocess.DEVNULL,
    )
    redis_url = f"redis://127.0.0.1:{port}/0"
    ctx = multiprocessing.get_context("spawn")
    stop = ctx.Event()
    ports = [free_port(), free_port()]
    receivers = [ctx.Process(target=receiver_process, args=(redis_url, p, stop)) for p in ports]
    waiter = None
    try:
        time.sleep(0.3)
        for proc in receivers:
            proc.start()

        async def prepare() -> list[dict[str, Any]]:
            async with AsyncRedisStore(redis_url, prefix="bench:") as store:
                return await create_jobs(store, "http://127.0.0.1:1/oneall/callbacks", n)

        jobs = asyncio.run(prepare())
        urls = []
        for i, d in enumerate(jobs):
            target = f"http://127.0.0.1:{ports[i % 2]}/oneall/callbacks"
            urls.append(
                (
                    d["callback_url"].replace("http://127.0.0.1:1/oneall/callbacks", target),
                    body_for(d["id"]),
                )
            )
        bare_seconds = bench_bare_pair(urls, ports, concurrency)
        if bare_seconds is None:
            return
        ready = ctx.Event()
        out = ctx.Queue()
        waiter = ctx.Process(target=waiter_process, args=(redis_url, jobs, ready, out))
        waiter.start()
        if not ready.wait(120):
            print("redis: FAILED, the waiter process did not start waiting within 120 s")
            return
        wait_for_ports(ports)
        started, seconds, failures = asyncio.run(post_all(urls, concurrency))
        try:
            resolved, last = out.get(timeout=240)
        except queue.Empty:
            print("redis: FAILED, the waiter process did not report within 240 s")
            return
        report(
            "redis (2 receivers + 1 waiter process)",
            n,
            concurrency,
            seconds,
            failures,
            n - resolved,
            last - started if last else float("nan"),
            bare_seconds,
        )
    finally:
        stop.set()
        if waiter is not None:
            _stop(waiter)
        for proc in receivers:
            _stop(proc)
        redis_proc.terminate()
        redis_proc.wait()
        shutil.rmtree(workdir, ignore_errors=True)


def bench_bare_pair(
    urls: list[tuple[str, bytes]], receiver_ports: list[int], concurrency: int
) -> float | None:
    """The Redis setup's baseline: two bare server processes, the same POSTs from here."""
    ctx = multiprocessing.get_context("spawn")
    stop = ctx.Event()
    ports = [free_port(), free_port()]
    servers = [ctx.Process(target=bare_receiver_process, args=(p, stop)) for p in ports]
    try:
        for proc in servers:
            proc.start()
        wait_for_ports(ports)
        bare_urls = urls
        for old, new in zip(receiver_ports, ports, strict=True):
            bare_urls = [
                (url.replace(f"127.0.0.1:{old}/", f"127.0.0.1:{new}/", 1), body)
                for url, body in bare_urls
            ]
        _, seconds, failures = asyncio.run(post_all(bare_urls, concurrency))
    finally:
        stop.set()
        for proc in servers:
            _stop(proc)
    if failures:
        print(f"redis: baseline FAILED, {failures} non-200 answers")
        return None
    return seconds


def wait_for_ports(ports: list[int]) -> None:
    for port in ports:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)


def report(
    name: str,
    n: int,
    concurrency: int,
    seconds: float,
    failures: int,
    lost: int,
    resolved_after: float,
    bare_seconds: float,
) -> None:
    print(
        f"{name}: {n} callbacks at concurrency {concurrency} in {seconds:.2f} s = "
        f"{n / seconds:,.0f} callbacks/s ({bare_seconds / seconds:.2f}x the "
        f"{n / bare_seconds:,.0f} requests/s of bare aiohttp handlers answering 200); "
        f"non-200 answers: {failures}; lost: {lost}; "
        f"all waiters resolved {resolved_after:.2f} s after the first POST"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--skip-redis", action="store_true")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, aiohttp {aiohttp.__version__}")
    asyncio.run(bench_memory(args.jobs, args.concurrency))
    if not args.skip_redis:
        bench_redis(args.jobs, args.concurrency)


if __name__ == "__main__":
    main()
