"""What importing the package costs, in fresh processes, against baselines of the same run.

    python benchmarks/bench_import.py [--rounds 30]

Each command runs ``--rounds`` times in a fresh interpreter, the commands interleaved round by
round so machine noise falls on all of them alike; the best time of each is kept.

1. ``import oneall_push; oneall_push.OneAll`` against ``import attrs, cattrs, urllib3`` (the
   sync client's own dependencies). Target: at most 1.3x.
2. The pytest plugin: ``import pytest, oneall_push.testing`` less ``import pytest``. Target:
   at most 20 ms.
3. ``oneall-push --version`` less ``python -c pass``. Target: at most 150 ms more.

Also shown, for the record: ``import oneall_push`` alone, and building a sync client.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-c", "import sys; from oneall_push.cli import main; sys.exit(main())"]

COMMANDS: dict[str, list[str]] = {
    "pass": [sys.executable, "-c", "pass"],
    "deps": [sys.executable, "-c", "import attrs, cattrs, urllib3"],
    "package": [sys.executable, "-c", "import oneall_push"],
    "client class": [sys.executable, "-c", "import oneall_push; oneall_push.OneAll"],
    "client built": [
        sys.executable,
        "-c",
        "import oneall_push; oneall_push.OneAll(subdomain='s', public_key='p', private_key='k')",
    ],
    "pytest": [sys.executable, "-c", "import pytest"],
    "pytest + plugin": [sys.executable, "-c", "import pytest, oneall_push.testing"],
    "cli --version": [*CLI, "--version"],
}


def measure(rounds: int) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    best = dict.fromkeys(COMMANDS, float("inf"))
    for _ in range(rounds):
        for name, command in COMMANDS.items():
            start = time.perf_counter()
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env, cwd=ROOT)
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    best = measure(args.rounds)
    ms = {name: seconds * 1000 for name, seconds in best.items()}
    print(f"python {sys.version.split()[0]}, best of {args.rounds} fresh processes each (ms):")
    for name, value in ms.items():
        print(f"  {name:<16} {value:7.1f}")
    ratio = best["client class"] / best["deps"]
    plugin = ms["pytest + plugin"] - ms["pytest"]
    cli = ms["cli --version"] - ms["pass"]
    print(f"import oneall_push; OneAll / import attrs, cattrs, urllib3: {ratio:.2f}x (<= 1.3x)")
    print(f"pytest plugin import: {plugin:+.1f} ms (<= 20 ms)")
    print(f"oneall-push --version over python -c pass: {cli:+.1f} ms (<= 150 ms)")


if __name__ == "__main__":
    main()
