"""Paginated ``users.list()`` over 10,000 sandbox users runs in constant memory (both halves).

The sandbox runs in another process. Each half iterates every user with ``page_size=500`` (20
pages) and prints the growth of its own resident set size (RSS) since the iteration started, at
1,000 and at 10,000 users: a paginator that kept what it yielded would grow about ten times
between the two, as the ``kept`` baseline (the sync iteration appending every user to a list),
measured in the same run, shows. The users are made and dropped as they are reached.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import time

from benchmarks.common import server_process
from oneall_push import AsyncOneAll, OneAll

PUB, PRIV = "pub", "priv"
CHECKPOINTS = (1_000, 10_000)


def rss_kib() -> int:
    """The current resident set size (Linux /proc), KiB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def report(label: str, growth: dict[int, int], seen: int, seconds: float) -> None:
    first, last = (growth[c] for c in CHECKPOINTS)
    print(
        f"{label:<6} {seen:>6} users in {seconds:5.2f} s; RSS growth at 1,000 users: {first:>6} KiB, "
        f"at 10,000: {last:>6} KiB (+{last - first} KiB for 9,000 more users)"
    )


async def run_async(base_url: str, page_size: int) -> tuple[dict[int, int], int, float]:
    growth: dict[int, int] = {}
    async with AsyncOneAll(base_url=base_url, public_key=PUB, private_key=PRIV) as client:
        async for _ in client.users.list(page_size=page_size):  # warm-up: pools, caches
            break
        gc.collect()
        start_rss, started, seen = rss_kib(), time.perf_counter(), 0
        async for _user in client.users.list(page_size=page_size):
            seen += 1
            if seen in CHECKPOINTS:
                gc.collect()
                growth[seen] = rss_kib() - start_rss
        return growth, seen, time.perf_counter() - started


def run_sync(
    base_url: str, page_size: int, *, keep: bool = False
) -> tuple[dict[int, int], int, float]:
    growth: dict[int, int] = {}
    kept: list[object] = []
    with OneAll(base_url=base_url, public_key=PUB, private_key=PRIV) as client:
        for _ in client.users.list(page_size=page_size):
            break
        gc.collect()
        start_rss, started, seen = rss_kib(), time.perf_counter(), 0
        for user in client.users.list(page_size=page_size):
            seen += 1
            if keep:
                kept.append(user)
            if seen in CHECKPOINTS:
                gc.collect()
                growth[seen] = rss_kib() - start_rss
        return growth, seen, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--page-size", type=int, default=500)
    args, _ = parser.parse_known_args()
    with server_process("benchmarks._accounts_server", str(CHECKPOINTS[-1])) as base_url:
        print(f"users.list(page_size={args.page_size}) over {CHECKPOINTS[-1]:,} sandbox users")
        report("async", *asyncio.run(run_async(base_url, args.page_size)))
        report("sync", *run_sync(base_url, args.page_size))
        # Baseline, same run: the same iteration keeping every user, as a list() would.
        report("kept", *run_sync(base_url, args.page_size, keep=True))


if __name__ == "__main__":
    main()
