"""X media upload: peak memory and throughput through the sandbox on loopback.

    python benchmarks/bench_xmedia.py                    # sweep at 256 MiB, then 1 GiB runs
    python benchmarks/bench_xmedia.py --size 256M        # shorter
    python benchmarks/bench_xmedia.py --sweep ""         # no concurrency sweep

The sandbox runs in another process. Each measurement runs in a fresh client process, which
reports its peak RSS (absolute, ``VmHWM``) and its growth during the upload (the peak is reset
to the current RSS first through ``/proc/self/clear_refs``; without it, growth is reported as
unmeasured) and MiB/s.

1. A sweep of ``max_concurrency`` at the default chunk size (``--sweep``, on ``--sweep-size``),
   async and sync: where the default comes from. Each level's throughput is also shown as a
   ratio to ``max_concurrency=1`` measured in the same run (added to the levels if missing).
2. The defaults (async and sync) against sequential 1 MiB chunks (what tweepy and
   node-twitter-api-v2 do; the 1000-segment rule raises the chunk above 1 MiB for files over
   1000 MiB, and the label says so). Targets: RSS growth <= 64 MiB at the defaults; defaults
   >= 1.5x the sequential 1 MiB throughput.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import server_process  # noqa: E402

TOKEN = "sandbox-x-token"
MiB = 1024 * 1024
RSS_TARGET = 64 * MiB
RATIO_TARGET = 1.5


def parse_size(text: str) -> int:
    units = {"K": 1024, "M": MiB, "G": 1024 * MiB}
    if text[-1].upper() in units:
        return int(float(text[:-1]) * units[text[-1].upper()])
    return int(text)


def make_file(directory: str, size: int, name: str) -> Path:
    """An MP4-looking file of random bytes (a 16 MiB random block, repeated)."""
    path = Path(directory) / name
    block = os.urandom(16 * MiB)
    head = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
    with path.open("wb") as fh:
        fh.write(head)
        left = size - len(head)
        while left > 0:
            fh.write(block[: min(left, len(block))])
            left -= min(left, len(block))
    return path


def _status_kib(field: str) -> int | None:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def reset_peak_rss() -> int | None:
    """Reset the peak to the current RSS (Linux ``clear_refs`` 5); return the current RSS,
    or None when the peak cannot be reset (growth is then unmeasured).

    ``ru_maxrss`` alone would not do: Linux carries it over fork and exec from the parent.
    """
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        return None
    rss = _status_kib("VmRSS")
    return None if rss is None else rss * 1024


def peak_rss() -> int:
    hwm = _status_kib("VmHWM")
    if hwm is not None:
        return hwm * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB


def child(url: str, path: str, settings: dict[str, Any]) -> None:
    """Run one upload in this (fresh) process and print its measurements as JSON."""
    from oneall_push.xmedia import AsyncXMedia, XMedia

    settings = dict(settings)
    use_sync = settings.pop("sync")
    if not use_sync:
        # The async transport imports aiohttp when the first client is built: a one-time cost
        # (about 0.13 s) that is not upload throughput, so it is paid before the clock starts.
        import aiohttp  # noqa: F401
    size = os.path.getsize(path)
    before = reset_peak_rss()
    start = time.perf_counter()
    if use_sync:
        with XMedia(bearer_token=TOKEN, base_url=url, **settings) as x:
            x.upload(path, wait=False)
    else:

        async def run() -> None:
            async with AsyncXMedia(bearer_token=TOKEN, base_url=url, **settings) as x:
                await x.upload(path, wait=False)

        asyncio.run(run())
    elapsed = time.perf_counter() - start
    peak = peak_rss()
    growth = None if before is None else peak - before
    print(json.dumps({"seconds": elapsed, "peak_rss": peak, "rss_growth": growth, "size": size}))


def measure(url: str, path: Path, settings: dict[str, Any], rounds: int) -> dict[str, Any]:
    """Best time of ``rounds`` fresh processes; the worst peak and growth among them."""
    runs = []
    for _ in range(rounds):
        out = subprocess.run(
            [sys.executable, __file__, "--child", url, str(path), json.dumps(settings)],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    best: dict[str, Any] = min(runs, key=lambda r: r["seconds"])
    best["peak_rss"] = max(r["peak_rss"] for r in runs)
    growths = [r["rss_growth"] for r in runs]
    best["rss_growth"] = None if None in growths else max(growths)
    best["mibps"] = best["size"] / MiB / best["seconds"]
    return best


def _growth(result: dict[str, Any]) -> str:
    growth = result["rss_growth"]
    return "  unmeasured" if growth is None else f"{growth / MiB:8.1f} MiB"


def line(name: str, result: dict[str, Any]) -> str:
    return (
        f"  {name:<44} {result['seconds']:7.2f} s {result['mibps']:7.1f} MiB/s  "
        f"peak RSS {result['peak_rss'] / MiB:6.1f} MiB  growth {_growth(result)}"
    )


def sweep(url: str, path: Path, levels: list[int], rounds: int) -> None:
    from oneall_push.xmedia import DEFAULT_CHUNK_SIZE

    size = path.stat().st_size
    levels = sorted({1, *levels})  # the baseline of the ratios, measured in this run
    print(
        f"max_concurrency sweep: {size / MiB:.0f} MiB, {DEFAULT_CHUNK_SIZE // MiB} MiB chunks, "
        f"best of {rounds}; x = throughput / max_concurrency=1's (same flavour, this run)"
    )
    baseline: dict[bool, float] = {}
    for level in levels:
        for sync in (False, True):
            result = measure(url, path, {"sync": sync, "max_concurrency": level}, rounds)
            baseline.setdefault(sync, result["mibps"])
            label = f"max_concurrency={level} ({'sync' if sync else 'async'})"
            print(f"{line(label, result)}  {result['mibps'] / baseline[sync]:5.2f}x")


def compare(url: str, path: Path, rounds: int) -> None:
    from oneall_push._xmedia._media_types import plan_chunks
    from oneall_push.xmedia import DEFAULT_CHUNK_SIZE, DEFAULT_MAX_CONCURRENCY

    size = path.stat().st_size
    sequential = plan_chunks(size, MiB, 4 * MiB).chunk_size
    seq_label = "sequential 1 MiB"
    if sequential != MiB:
        seq_label += f" (raised to {sequential} B: 1000 segments)"
    print(
        f"X media upload of {size / MiB:.0f} MiB through the sandbox (another process) on "
        f"loopback; defaults: {DEFAULT_CHUNK_SIZE // MiB} MiB chunks, "
        f"max_concurrency={DEFAULT_MAX_CONCURRENCY}; best of {rounds}"
    )
    seq_settings = {"chunk_size": MiB, "max_concurrency": 1}
    results: dict[str, dict[str, Any]] = {}
    for flavour, sync in (("async", False), ("sync", True)):
        results[f"defaults ({flavour})"] = measure(url, path, {"sync": sync}, rounds)
        results[f"{seq_label} ({flavour})"] = measure(
            url, path, {"sync": sync, **seq_settings}, rounds
        )
    for name, result in results.items():
        print(line(name, result))
    for flavour in ("async", "sync"):
        default = results[f"defaults ({flavour})"]
        seq = results[f"{seq_label} ({flavour})"]
        ratio = seq["seconds"] / default["seconds"]
        growth = default["rss_growth"]
        rss = "unmeasured" if growth is None else ("yes" if growth <= RSS_TARGET else "NO")
        print(
            f"  {flavour}: defaults / {seq_label}: {ratio:.2f}x "
            f"(target >= {RATIO_TARGET}x: {'yes' if ratio >= RATIO_TARGET else 'NO'}); "
            f"RSS growth at defaults <= 64 MiB: {rss}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", default="1G", help="file size: bytes or 64M, 1G (default 1G)")
    parser.add_argument("--rounds", type=int, default=1, help="best of N per mode")
    parser.add_argument(
        "--sweep",
        default="1,2,3,4,6,8",
        help='max_concurrency levels to sweep, comma-separated ("" to skip)',
    )
    parser.add_argument("--sweep-size", default="256M", help="file size of the sweep")
    parser.add_argument(
        "--child", nargs=3, metavar=("URL", "PATH", "SETTINGS"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], json.loads(args.child[2]))
        return
    levels = [int(v) for v in args.sweep.split(",") if v.strip()]
    size = parse_size(args.size)
    sweep_size = parse_size(args.sweep_size)
    with (
        tempfile.TemporaryDirectory() as tmp,
        server_process("benchmarks._xmedia_server", "--port", "0") as url,
    ):
        if levels:
            sweep(url, make_file(tmp, sweep_size, "sweep.mp4"), levels, args.rounds)
        path = make_file(tmp, size, "bench.mp4")
        compare(url, path, args.rounds)


if __name__ == "__main__":
    main()
