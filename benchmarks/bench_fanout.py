"""Fan-out against a bare gather: 2,000 publishes over 200 identities at concurrency 64.

The sandbox runs in its own process. Both sides use the same AsyncOneAll client; the baseline
is ``asyncio.gather`` under a semaphore, measured in the same run, alternating rounds.
Prints both rates and the ratio (target: fan-out / gather time <= 1.10).

    python -m benchmarks.bench_fanout [--calls 2000] [--identities 200] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import statistics
import time
import urllib.request
from typing import Any

from benchmarks.common import server_process
from oneall_push import AsyncOneAll
from oneall_push.fanout import Target, target

PUBLIC, PRIVATE = "sandbox-public-key", "sandbox-private-key"


def _inspect(base_url: str, path: str, *, method: str = "GET") -> Any:
    auth = base64.b64encode(f"{PUBLIC}:{PRIVATE}".encode()).decode()
    request = urllib.request.Request(
        f"{base_url}/_sandbox/{path}", method=method, headers={"Authorization": f"Basic {auth}"}
    )
    with urllib.request.urlopen(request) as answer:
        return json.load(answer)


def _tokens(base_url: str, count: int) -> list[str]:
    identities = _inspect(base_url, "identities")
    tokens = [i["identity_token"] for i in identities if i["provider"] == "twitter"]
    if len(tokens) < count:
        raise SystemExit(f"the sandbox has {len(tokens)} twitter identities, {count} wanted")
    return tokens[:count]


async def _fan_out(client: AsyncOneAll, tokens: list[str], calls: int, tag: str) -> float:
    targets: list[Target[Any]] = [
        target(client.twitter.publish_tweet, tokens[i % len(tokens)], message=f"{tag} {i}")
        for i in range(calls)
    ]
    start = time.perf_counter()
    report = await client.fan_out(targets, concurrency=64)
    elapsed = time.perf_counter() - start
    if len(report.succeeded()) != calls:
        raise SystemExit(f"fan-out: {len(report.succeeded())} of {calls} succeeded")
    return elapsed


async def _gather(client: AsyncOneAll, tokens: list[str], calls: int, tag: str) -> float:
    semaphore = asyncio.Semaphore(64)

    async def one(i: int) -> None:
        async with semaphore:
            await client.twitter.publish_tweet(tokens[i % len(tokens)], message=f"{tag} {i}")

    start = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(calls)))
    return time.perf_counter() - start


async def _run(base_url: str, calls: int, identities: int, rounds: int) -> None:
    tokens = _tokens(base_url, identities)
    fan: list[float] = []
    bare: list[float] = []
    async with AsyncOneAll(public_key=PUBLIC, private_key=PRIVATE, base_url=base_url) as client:
        await _gather(client, tokens, 200, "warm-up")
        for r in range(rounds):
            # The sandbox keeps every post: start each run from the same (empty) state, and
            # alternate which side goes first.
            runs = [(bare, _gather, "gather"), (fan, _fan_out, "fan-out")]
            for times, run, tag in runs if r % 2 == 0 else runs[::-1]:
                _inspect(base_url, "reset", method="POST")
                times.append(await run(client, tokens, calls, f"{tag} {r}"))
    f, b = statistics.median(fan), statistics.median(bare)
    print(f"{calls} publish_tweet over {identities} identities, concurrency 64, {rounds} rounds")
    print(f"  gather + semaphore: {calls / b:8.0f} calls/s (median {b:.3f} s)")
    print(f"  client.fan_out:     {calls / f:8.0f} calls/s (median {f:.3f} s)")
    print(f"  ratio fan_out / gather time: {f / b:.3f} (target <= 1.10)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--identities", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    with server_process("benchmarks._sandbox_server", str(args.identities)) as base_url:
        asyncio.run(_run(base_url, args.calls, args.identities, args.rounds))


if __name__ == "__main__":
    main()
