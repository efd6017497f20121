"""X media upload: peak memory and throughput through the sandbox on loopback.

    python benchmarks/bench_xmedia.py                    # sweep at 256 MiB, then 1 GiB runs
    python benchmarks/bench_xmedia.py --size 256M        # shorter
    python benchmarks/bench_xmedia.py --sweep ""         # no concurrency sweep
    python benchmarks/bench_xmedia.py --baseline main    # also the code of main, same run
    python benchmarks/bench_xmedia.py --auth oauth1      # also signed with OAuth 1.0a

The sandbox runs in another process. Each measurement runs in a fresh client process, which
reports its peak RSS (absolute, ``VmHWM``) and its growth during the upload (the peak is reset
to the current RSS first through ``/proc/self/clear_refs``; without it, growth is reported as
unmeasured) and MiB/s.

1. A sweep of ``max_concurrency`` at the default chunk size (``--sweep``, on ``--sweep-size``),
   async and sync: where the default comes from. Each level's throughput is also shown as a
   ratio to ``max_concurrency=1`` measured in the same run (added to the levels if missing).
2. The defaults, 1 MiB chunks and sequential 1 MiB chunks (what tweepy and
   node-twitter-api-v2 do; the 1000-segment rule raises the chunk above 1 MiB for files over
   1000 MiB, and the label says so), async and sync, and the defaults with OAuth 1.0a
   signing every request (with ``--auth oauth1``; the sandbox verifies every signature).
   Targets: RSS growth <= (max_concurrency + 1) x chunk_size + 8 MiB (what is in flight);
   defaults >= 1.5x the sequential 1 MiB throughput; OAuth 1.0a / bearer >= 0.95x, with the
   signing cost per request timed directly. With ``--baseline REF``, each bearer measurement
   also runs with ``oneall_push`` as of ``REF`` (interleaved, same run): throughput >= 0.95x.
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


def _auth(settings: dict[str, Any]) -> dict[str, Any]:
    """The client's credentials: the bearer token, or OAuth 1.0a keys (``"auth": "oauth1"``)."""
    if settings.pop("auth", "bearer") != "oauth1":
        return {"bearer_token": TOKEN}
    from benchmarks import _xmedia_server as keys
    from oneall_push.x import OAuth1

    signer = OAuth1(
        keys.CONSUMER_KEY, keys.CONSUMER_SECRET, keys.ACCESS_TOKEN, keys.ACCESS_TOKEN_SECRET
    )
    return {"auth": signer}


def child(url: str, path: str, settings: dict[str, Any], code: str | None) -> None:
    """Run one upload in this (fresh) process and print its measurements as JSON.

    ``code``: import ``oneall_push`` from there (the baseline's tree) instead of this one.
    """
    if code:
        sys.path.insert(0, code)
    import oneall_push
    from oneall_push.xmedia import AsyncXMedia, XMedia

    settings = dict(settings)
    use_sync = settings.pop("sync")
    credentials = _auth(settings)
    if not use_sync:
        # The async transport imports aiohttp when the first client is built: a one-time cost
        # (about 0.13 s) that is not upload throughput, so it is paid before the clock starts.
        import aiohttp  # noqa: F401
    size = os.path.getsize(path)
    before = reset_peak_rss()
    start = time.perf_counter()
    if use_sync:
        with XMedia(base_url=url, **credentials, **settings) as x:
            x.upload(path, wait=False)
    else:

        async def run() -> None:
            async with AsyncXMedia(base_url=url, **credentials, **settings) as x:
                await x.upload(path, wait=False)

        asyncio.run(run())
    elapsed = time.perf_counter() - start
    peak = peak_rss()
    growth = None if before is None else peak - before
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "peak_rss": peak,
                "rss_growth": growth,
                "size": size,
                "code": os.path.dirname(os.path.dirname(oneall_push.__file__)),
            }
        )
    )


def run_child(url: str, path: Path, settings: dict[str, Any], code: str | None) -> dict[str, Any]:
    """One upload in a fresh process (so its RSS is its own)."""
    command = [sys.executable, __file__, "--child", url, str(path), json.dumps(settings)]
    if code:
        command += ["--code", code]
    out = subprocess.run(
        command,
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The best time of the runs; the worst peak and growth among them."""
    found: dict[str, Any] = dict(min(runs, key=lambda r: r["seconds"]))
    found["peak_rss"] = max(r["peak_rss"] for r in runs)
    growths = [r["rss_growth"] for r in runs]
    found["rss_growth"] = None if None in growths else max(growths)
    found["mibps"] = found["size"] / MiB / found["seconds"]
    return found


def measure(url: str, path: Path, settings: dict[str, Any], rounds: int) -> dict[str, Any]:
    """Best time of ``rounds`` fresh processes; the worst peak and growth among them."""
    return best([run_child(url, path, settings, None) for _ in range(rounds)])


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


def rss_bound(size: int, settings: dict[str, Any]) -> int:
    """(max_concurrency + 1) x the planned chunk size + 8 MiB: what may be in flight."""
    from oneall_push._xmedia._media_types import DEFAULT_MAX_CHUNK_SIZE, plan_chunks
    from oneall_push.xmedia import DEFAULT_CHUNK_SIZE, DEFAULT_MAX_CONCURRENCY

    chunk = plan_chunks(
        size, settings.get("chunk_size", DEFAULT_CHUNK_SIZE), DEFAULT_MAX_CHUNK_SIZE
    ).chunk_size
    concurrency = int(settings.get("max_concurrency", DEFAULT_MAX_CONCURRENCY))
    return (concurrency + 1) * chunk + 8 * MiB


def signing_cost(url: str, calls: int = 20_000) -> float:
    """Microseconds per ``OAuth1.headers()`` call, signing an append URL."""
    from benchmarks import _xmedia_server as keys
    from oneall_push.x import OAuth1

    signer = OAuth1(
        keys.CONSUMER_KEY, keys.CONSUMER_SECRET, keys.ACCESS_TOKEN, keys.ACCESS_TOKEN_SECRET
    )
    target = f"{url}/2/media/upload/1880028106020515840/append"
    timings = []
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(calls):
            signer.headers("POST", target)
        timings.append((time.perf_counter() - start) / calls * 1e6)
    return min(timings)


def baseline_tree(ref: str, directory: str) -> str:
    """``oneall_push`` as of git ``ref``, extracted under ``directory``."""
    tree = Path(directory) / "baseline"
    tree.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref, "oneall_push"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return str(tree)


def compare(
    url: str, path: Path, rounds: int, baseline: str | None, ref: str | None, oauth1: bool
) -> None:
    from oneall_push._xmedia._media_types import plan_chunks
    from oneall_push.xmedia import DEFAULT_CHUNK_SIZE, DEFAULT_MAX_CONCURRENCY

    size = path.stat().st_size
    one_mib = plan_chunks(size, MiB, 4 * MiB).chunk_size
    label_1m = "1 MiB chunks" + (
        f" (raised to {one_mib} B: 1000 segments)" if one_mib != MiB else ""
    )
    modes: dict[str, dict[str, Any]] = {
        "defaults": {},
        label_1m: {"chunk_size": MiB},
        "sequential " + label_1m: {"chunk_size": MiB, "max_concurrency": 1},
    }
    print(
        f"X media upload of {size / MiB:.0f} MiB through the sandbox (another process) on "
        f"loopback; defaults: {DEFAULT_CHUNK_SIZE // MiB} MiB chunks, "
        f"max_concurrency={DEFAULT_MAX_CONCURRENCY}; best of {rounds}, each run a fresh process"
        + (f"; baseline: oneall_push at {ref}, measured in the same run" if ref else "")
    )
    # (label, settings, code): every round runs each once, so drift hits them alike.
    runs: list[tuple[str, dict[str, Any], str | None]] = []
    for flavour, sync in (("async", False), ("sync", True)):
        for mode, settings in modes.items():
            runs.append((f"{mode} ({flavour})", {"sync": sync, **settings}, None))
            if baseline:
                runs.append(
                    (f"{mode} ({flavour}) @ baseline", {"sync": sync, **settings}, baseline)
                )
        if oauth1:
            for mode in ("defaults", label_1m):
                signed = {"sync": sync, "auth": "oauth1", **modes[mode]}
                runs.append((f"{mode}, OAuth 1.0a ({flavour})", signed, None))
    collected: dict[str, list[dict[str, Any]]] = {label: [] for label, _, _ in runs}
    for _ in range(rounds):
        for label, settings, code in runs:
            collected[label].append(run_child(url, path, settings, code))
    results = {label: best(found) for label, found in collected.items()}
    for label, result in results.items():
        print(line(label, result))
    print("RSS growth against (max_concurrency + 1) x chunk_size + 8 MiB:")
    for flavour in ("async", "sync"):
        for mode, settings in modes.items():
            if mode.startswith("sequential"):
                continue
            result = results[f"{mode} ({flavour})"]
            bound = rss_bound(size, settings)
            growth = result["rss_growth"]
            verdict = "unmeasured" if growth is None else ("yes" if growth <= bound else "NO")
            shown = "unmeasured" if growth is None else f"{growth / MiB:.1f} MiB"
            old = results.get(f"{mode} ({flavour}) @ baseline")
            before = ""
            if old is not None and old["rss_growth"] is not None:
                before = f"; baseline {old['rss_growth'] / MiB:.1f} MiB"
            print(f"  {mode} ({flavour}): {shown} <= {bound / MiB:.1f} MiB: {verdict}{before}")
    if baseline:
        print("Throughput against the baseline (same run; target >= 0.95x):")
        for label in [lb for lb in results if lb + " @ baseline" in results]:
            ratio = results[label]["mibps"] / results[label + " @ baseline"]["mibps"]
            print(f"  {label}: {ratio:.3f}x ({'yes' if ratio >= 0.95 else 'NO'})")
    for flavour in ("async", "sync"):
        default = results[f"defaults ({flavour})"]
        seq = results[f"sequential {label_1m} ({flavour})"]
        ratio = seq["seconds"] / default["seconds"]
        print(
            f"  {flavour}: defaults / sequential {label_1m}: {ratio:.2f}x "
            f"(target >= {RATIO_TARGET}x: {'yes' if ratio >= RATIO_TARGET else 'NO'})"
        )
    if not oauth1:
        return
    segments = plan_chunks(size, DEFAULT_CHUNK_SIZE, 4 * MiB).segments
    cost = signing_cost(url)
    print(
        f"OAuth 1.0a: {cost:.1f} us per signed request (OAuth1.headers(), timed directly); "
        f"{segments + 2} requests per upload at the defaults = {cost * (segments + 2) / 1000:.1f} ms"
    )
    for flavour in ("async", "sync"):
        for mode in ("defaults", label_1m):
            signed = results[f"{mode}, OAuth 1.0a ({flavour})"]["mibps"]
            ratio = signed / results[f"{mode} ({flavour})"]["mibps"]
            print(
                f"  {flavour}, {mode}: throughput OAuth 1.0a / bearer: {ratio:.3f}x "
                f"(target >= 0.95x: {'yes' if ratio >= 0.95 else 'NO'})"
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
        "--baseline",
        default="",
        metavar="GIT_REF",
        help="also run every bearer measurement with oneall_push as of this git ref, "
        "interleaved in the same run (e.g. main, HEAD~1)",
    )
    parser.add_argument(
        "--child", nargs=3, metavar=("URL", "PATH", "SETTINGS"), help=argparse.SUPPRESS
    )
    parser.add_argument(
        "--auth",
        choices=("bearer", "oauth1"),
        default="bearer",
        help="oauth1: also upload with OAuth 1.0a signing every request (the sandbox checks "
        "each signature); prints the signing cost per request and OAuth 1.0a / bearer",
    )
    parser.add_argument("--code", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], json.loads(args.child[2]), args.code)
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
        baseline = baseline_tree(args.baseline, tmp) if args.baseline else None
        compare(url, path, args.rounds, baseline, args.baseline or None, args.auth == "oauth1")


if __name__ == "__main__":
    main()
