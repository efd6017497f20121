"""Helpers shared by the benchmarks: a server subprocess and best-of-N timing."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def server_process(module: str, *args: str) -> Iterator[str]:
    """Start ``python -m module`` and yield its base URL once it prints ``PORT n``."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", module, *args],
        stdout=subprocess.PIPE,
        stdin=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
    )
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("PORT "):
                yield f"http://127.0.0.1:{int(line.split()[1])}"
                break
        else:
            raise RuntimeError(f"{module} did not start")
    finally:
        proc.terminate()
        proc.wait(10)


def best_of(rounds: int, fn: Callable[[], float]) -> float:
    return min(fn() for _ in range(rounds))


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start
