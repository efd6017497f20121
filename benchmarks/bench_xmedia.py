"""X media upload: peak memory and throughput of a 1 GiB upload through the sandbox on loopback.

    python benchmarks/bench_xmedia.py               # 1 GiB
    python benchmarks/bench_xmedia.py --size 64M    # quick run

The sandbox runs in another process. Each measurement runs in a fresh client process, which
reports its peak RSS growth during the upload (``ru_maxrss`` after minus before) and MB/s.
Compared: the defaults (4 MiB chunks, bounded concurrent appends) against sequential 1 MiB
chunks (what tweepy and node-twitter-api-v2 do). Targets: RSS growth <= 64 MiB at the defaults;
defaults >= 1.5x the sequential 1 MiB throughput.
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
MODES: dict[str, dict[str, Any]] = {
    "defaults (async)": {"sync": False},
    "defaults (sync)": {"sync": True},
    "sequential 1 MiB (async)": {"sync": False, "chunk_size": MiB, "max_concurrency": 1},
}


def parse_size(text: str) -> int:
    units = {"K": 1024, "M": MiB, "G": 1024 * MiB}
    if text[-1].upper() in units:
        return int(float(text[:-1]) * units[text[-1].upper()])
    return int(text)


def make_file(directory: str, size: int) -> Path:
    """An MP4-looking file of random bytes (a 16 MiB random block, repeated)."""
    path = Path(directory) / "bench.mp4"
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


def reset_peak_rss() -> int:
    """Reset the peak to the current RSS (Linux ``clear_refs`` 5); return the current RSS.

    ``ru_maxrss`` alone would not do: Linux carries it over fork and exec from the parent.
    """
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        return peak_rss()
    return (_status_kib("VmRSS") or 0) * 1024


def peak_rss() -> int:
    hwm = _status_kib("VmHWM")
    if hwm is not None:
        return hwm * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB


def child(url: str, path: str, settings: dict[str, Any]) -> None:
    """Run one upload in this (fresh) process and print its measurements as JSON."""
    from oneall_push.xmedia import AsyncXMedia, SyncXMedia

    settings = dict(settings)
    use_sync = settings.pop("sync")
    size = os.path.getsize(path)
    before = reset_peak_rss()
    start = time.perf_counter()
    if use_sync:
        with SyncXMedia(bearer_token=TOKEN, base_url=url, **settings) as x:
            media = x.upload(path, wait=False)
    else:

        async def run() -> str:
            async with AsyncXMedia(bearer_token=TOKEN, base_url=url, **settings) as x:
                return (await x.upload(path, wait=False)).id

        media_id = asyncio.run(run())
        del media_id
    elapsed = time.perf_counter() - start
    if use_sync:
        del media
    print(json.dumps({"seconds": elapsed, "rss_growth": peak_rss() - before, "size": size}))


def measure(url: str, path: Path, settings: dict[str, Any]) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", url, str(path), json.dumps(settings)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", default="1G", help="file size: bytes or 64M, 1G (default 1G)")
    parser.add_argument("--rounds", type=int, default=1, help="best of N per mode")
    parser.add_argument(
        "--child", nargs=3, metavar=("URL", "PATH", "SETTINGS"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], json.loads(args.child[2]))
        return
    from oneall_push.xmedia import DEFAULT_CHUNK_SIZE, DEFAULT_MAX_CONCURRENCY

    size = parse_size(args.size)
    print(
        f"X media upload of {size / MiB:.0f} MiB through the sandbox (another process) on "
        f"loopback; defaults: {DEFAULT_CHUNK_SIZE // MiB} MiB chunks, "
        f"max_concurrency={DEFAULT_MAX_CONCURRENCY}; best of {args.rounds}"
    )
    with (
        tempfile.TemporaryDirectory() as tmp,
        server_process("oneall_push.sandbox.xmedia", "--port", "0") as url,
    ):
        path = make_file(tmp, size)
        results: dict[str, dict[str, float]] = {}
        for name, settings in MODES.items():
            runs = [measure(url, path, settings) for _ in range(args.rounds)]
            best = min(runs, key=lambda r: r["seconds"])
            best["rss_growth"] = max(r["rss_growth"] for r in runs)
            results[name] = best
            mbps = size / MiB / best["seconds"]
            print(
                f"  {name:<26} {best['seconds']:7.2f} s  {mbps:8.1f} MiB/s  "
                f"peak RSS growth {best['rss_growth'] / MiB:6.1f} MiB"
            )
    default = results["defaults (async)"]
    sequential = results["sequential 1 MiB (async)"]
    ratio = sequential["seconds"] / default["seconds"]
    rss_ok = (
        default["rss_growth"] <= 64 * MiB and results["defaults (sync)"]["rss_growth"] <= 64 * MiB
    )
    print(f"  throughput ratio defaults / sequential 1 MiB: {ratio:.2f}x (target >= 1.5x)")
    print(f"  RSS growth at defaults <= 64 MiB: {'yes' if rss_ok else 'NO'}")


if __name__ == "__main__":
    main()
