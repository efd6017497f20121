"""What importing the package costs, in fresh processes, against baselines of the same run.

    python benchmarks/bench_import.py [--rounds 30]

Each command runs ``--rounds`` times in a fresh interpreter, the commands interleaved round by
round so machine noise falls on all of them alike; the best time of each is kept. The targets
are judged on CPU time (user + system, from ``wait4``): wall time is shown too, but on a shared
machine whose page cache is small it mostly measures disk waits. Bytecode is cached as an
installed package's is (pip compiles it at install): the children write it under a temporary
``PYTHONPYCACHEPREFIX`` in a first, unmeasured round, even where ``PYTHONDONTWRITEBYTECODE``
is set, so every command, dependencies included, runs from cached bytecode.

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
import tempfile
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


def run_once(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one fresh process."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, env=env, cwd=ROOT)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise subprocess.CalledProcessError(proc.returncode, command)
    return wall, usage.ru_utime + usage.ru_stime


def measure(rounds: int, cache: str) -> tuple[dict[str, float], dict[str, float]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONPYCACHEPREFIX": cache}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    for command in COMMANDS.values():  # writes the bytecode; not measured
        run_once(command, env)
    wall = dict.fromkeys(COMMANDS, float("inf"))
    cpu = dict.fromkeys(COMMANDS, float("inf"))
    for _ in range(rounds):
        for name, command in COMMANDS.items():
            took, used = run_once(command, env)
            wall[name] = min(wall[name], took)
            cpu[name] = min(cpu[name], used)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cache:
        wall, best = measure(args.rounds, cache)
    ms = {name: seconds * 1000 for name, seconds in best.items()}
    print(f"python {sys.version.split()[0]}, best of {args.rounds} fresh processes each:")
    print(f"  {'':<16} {'CPU ms':>7} {'wall ms':>8}")
    for name, value in ms.items():
        print(f"  {name:<16} {value:7.1f} {wall[name] * 1000:8.1f}")
    print("on CPU time:")
    ratio = best["client class"] / best["deps"]
    plugin = ms["pytest + plugin"] - ms["pytest"]
    cli = ms["cli --version"] - ms["pass"]
    print(f"import oneall_push; OneAll / import attrs, cattrs, urllib3: {ratio:.2f}x (<= 1.3x)")
    print(f"pytest plugin import: {plugin:+.1f} ms (<= 20 ms)")
    print(f"oneall-push --version over python -c pass: {cli:+.1f} ms (<= 150 ms)")


if __name__ == "__main__":
    main()
