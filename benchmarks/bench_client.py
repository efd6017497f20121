"""Client overhead against raw HTTP libraries, on loopback, server in another process.

1. 5,000 publish_tweet calls at concurrency 64: AsyncOneAll vs a raw aiohttp ClientSession
   doing the same POST (same body, same headers) and JSON parse.
2. 2,000 sequential calls: OneAll (sync) vs raw urllib3.

Prints each time (best of N rounds, alternating client and raw) and the ratio client/raw. Target <= 1.05.
``--with-otel`` imports OpenTelemetry (no tracer provider): the client's tracing check then
runs on every call.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

import aiohttp
import urllib3

from benchmarks.common import server_process
from oneall_push import AsyncOneAll, OneAll

TOKEN = "923843ec-1749-4cc1-988f-d6963f3b1baa"
PATH = f"/push/identities/{TOKEN}/twitter/post.json"
PUB, PRIV = "pub", "priv"


def same_headers(base_url: str) -> dict[str, str]:
    """The exact headers the client sends (auth, JSON, Accept, User-Agent): the same POST."""
    with OneAll(base_url=base_url, public_key=PUB, private_key=PRIV) as client:
        return client._request_headers()


async def run_async_client(base_url: str, calls: int, concurrency: int) -> float:
    async with AsyncOneAll(base_url=base_url, public_key=PUB, private_key=PRIV) as client:
        await client.twitter.publish_tweet(TOKEN, message="warm-up")
        gate = asyncio.Semaphore(concurrency)

        async def one(i: int) -> None:
            async with gate:
                result = await client.twitter.publish_tweet(TOKEN, message=f"Hello {i}")
                assert result.post_id

        start = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(calls)))
        return time.perf_counter() - start


async def run_async_raw(base_url: str, calls: int, concurrency: int) -> float:
    headers = same_headers(base_url)
    async with aiohttp.ClientSession() as session:
        gate = asyncio.Semaphore(concurrency)

        async def one(i: int) -> None:
            async with gate:
                body = json.dumps({"request": {"push": {"post": {"message": f"Hello {i}"}}}})
                async with session.post(base_url + PATH, data=body, headers=headers) as resp:
                    data = json.loads(await resp.read())
                    assert data["response"]["result"]["data"]["post_id"]

        await one(-1)
        start = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(calls)))
        return time.perf_counter() - start


def run_sync_client(base_url: str, calls: int) -> float:
    with OneAll(base_url=base_url, public_key=PUB, private_key=PRIV) as client:
        client.twitter.publish_tweet(TOKEN, message="warm-up")
        start = time.perf_counter()
        for i in range(calls):
            assert client.twitter.publish_tweet(TOKEN, message=f"Hello {i}").post_id
        return time.perf_counter() - start


def run_sync_raw(base_url: str, calls: int) -> float:
    headers = same_headers(base_url)
    pool = urllib3.PoolManager()
    pool.request("POST", base_url + PATH, body=b"{}", headers=headers)
    start = time.perf_counter()
    for i in range(calls):
        body = json.dumps({"request": {"push": {"post": {"message": f"Hello {i}"}}}})
        resp = pool.request("POST", base_url + PATH, body=body.encode(), headers=headers)
        assert json.loads(resp.data)["response"]["result"]["data"]["post_id"]
    elapsed = time.perf_counter() - start
    pool.clear()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--async-calls", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--sync-calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--with-otel",
        action="store_true",
        help="import OpenTelemetry first, setting no tracer provider (what the client then pays)",
    )
    args = parser.parse_args()
    if args.with_otel:
        import opentelemetry.trace  # noqa: F401

    with server_process("benchmarks._push_server") as base_url:
        client_times, raw_times = [], []
        for _ in range(args.rounds):
            raw_times.append(
                asyncio.run(run_async_raw(base_url, args.async_calls, args.concurrency))
            )
            client_times.append(
                asyncio.run(run_async_client(base_url, args.async_calls, args.concurrency))
            )
        a_client, a_raw = min(client_times), min(raw_times)
        print(
            f"async  {args.async_calls} calls @ {args.concurrency}: "
            f"AsyncOneAll {a_client:.3f}s  raw aiohttp {a_raw:.3f}s  "
            f"ratio {a_client / a_raw:.3f} (target <= 1.05)"
        )

        client_times, raw_times = [], []
        for _ in range(args.rounds):
            raw_times.append(run_sync_raw(base_url, args.sync_calls))
            client_times.append(run_sync_client(base_url, args.sync_calls))
        s_client, s_raw = min(client_times), min(raw_times)
        print(
            f"sync   {args.sync_calls} sequential calls: "
            f"OneAll {s_client:.3f}s  raw urllib3 {s_raw:.3f}s  "
            f"ratio {s_client / s_raw:.3f} (target <= 1.05)"
        )


if __name__ == "__main__":
    main()
