"""The chaos soak: many Push publish calls through the :mod:`tests.support.chaos` proxy.

Each half (async, sync) runs ``calls`` publish calls (tweets and Facebook page posts, each with
a text of its own) against a fresh sandbox through the proxy, with short timeouts and retries
on, then checks what the issue promises:

* every call ends with a result or an error from ``oneall_push.errors``, never anything else,
  and no error (its text, repr, attributes or chain) shows the private key or the
  Authorization value;
* no double post: a success has exactly one record in the sandbox (with the post id it
  reported), an unknown outcome at most one, any other error none (so records never exceed
  successes plus unknown outcomes);
* descriptors, client sockets and (async) tasks are back to their baseline once the client is
  closed; no ResourceWarning;
* no call outlives its bound: every attempt's connect and read limits plus the retry waits,
  with a generous slack (the proxy holds a stalled connection far longer).

``naive_retry=True`` runs a deliberately wrong caller that sends a call again after an unknown
outcome: the records check must catch it. ``python -m tests.support.soak --calls 5000``
prints the figures (the ``soak`` nox session).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import collections
import concurrent.futures
import contextlib
import gc
import json
import os
import sys
import threading
import time
import traceback
import warnings
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import attrs

from oneall_push import AsyncOneAll, OneAll, RetryPolicy, Timeout, errors
from oneall_push._outcomes import is_retryable, is_unknown_outcome
from oneall_push.models.results import PostResult
from oneall_push.sandbox import Sandbox, SandboxThread
from tests.support.chaos import ChaosProxy

__all__ = ["SoakReport", "run_soak", "soak_async", "soak_sync"]

T = TypeVar("T")

CONNECT_TIMEOUT = 2.0
READ_TIMEOUT = 0.5
MAX_RETRIES = 2
# Retry-After from the proxy is at most 1 s, backoff at most 0.05 s.
LONGEST_WAIT = 1.0
SLACK = 15.0
CALL_BOUND = (MAX_RETRIES + 1) * (CONNECT_TIMEOUT + READ_TIMEOUT) + MAX_RETRIES * LONGEST_WAIT
CALL_BOUND += SLACK

ENDPOINTS = ("twitter.publish_tweet", "facebook.publish_page_post")


@attrs.define
class SoakReport:
    half: str
    calls: int
    faults: dict[str, int] = attrs.Factory(dict)
    forwarded: int = 0
    connections: int = 0
    # success / unknown (may have been processed) / retryable (provably not) / failed.
    outcomes: collections.Counter[str] = attrs.Factory(collections.Counter)
    errors: collections.Counter[str] = attrs.Factory(collections.Counter)
    untyped: list[str] = attrs.Factory(list)
    # Errors whose text, repr or chain shows the private key or the Authorization value.
    leaks: list[str] = attrs.Factory(list)
    records: int = 0
    unknown_published: int = 0
    double_posts: list[str] = attrs.Factory(list)
    # Successes whose result is another call's (an answer read off the wrong request).
    wrong_answers: list[str] = attrs.Factory(list)
    fds: tuple[int, int] = (0, 0)
    sockets: tuple[int, int] = (0, 0)
    client_sockets_after: int = 0
    tasks: tuple[int, int] = (0, 0)
    threads: tuple[int, int] = (0, 0)
    resource_warnings: list[str] = attrs.Factory(list)
    overruns: list[str] = attrs.Factory(list)
    longest_call: float = 0.0
    proxy_errors: list[str] = attrs.Factory(list)

    @property
    def successes(self) -> int:
        return self.outcomes["success"]

    @property
    def unknown(self) -> int:
        return self.outcomes["unknown"]

    def problems(self) -> list[str]:
        """Every broken promise, one line each (empty: the soak passed)."""
        found = [f"untyped: {u}" for u in self.untyped[:5]]
        found += [f"secret shown: {leak}" for leak in self.leaks[:5]]
        if self.records > self.successes + self.unknown:
            found.append(
                f"{self.records} records > {self.successes} successes + {self.unknown} unknown"
            )
        found += [f"double post: {d}" for d in self.double_posts[:5]]
        found += [f"wrong answer: {w}" for w in self.wrong_answers[:5]]
        if self.fds[1] > self.fds[0]:
            found.append(f"descriptors {self.fds[0]} -> {self.fds[1]}")
        if self.sockets[1] > self.sockets[0] or self.client_sockets_after:
            found.append(
                f"sockets {self.sockets[0]} -> {self.sockets[1]} "
                f"({self.client_sockets_after} client sockets to the proxy still open)"
            )
        if self.tasks[1] > self.tasks[0]:
            found.append(f"tasks {self.tasks[0]} -> {self.tasks[1]}")
        if self.threads[1] > self.threads[0]:
            found.append(f"threads {self.threads[0]} -> {self.threads[1]}")
        found += [f"ResourceWarning: {w}" for w in self.resource_warnings[:5]]
        found += [f"past its bound: {o}" for o in self.overruns[:5]]
        found += [f"proxy: {e}" for e in self.proxy_errors[:5]]
        return found

    def figures(self) -> dict[str, Any]:
        return {
            "half": self.half,
            "calls": self.calls,
            "faults": self.faults,
            "forwarded": self.forwarded,
            "connections": self.connections,
            "outcomes": dict(sorted(self.outcomes.items())),
            "errors": dict(sorted(self.errors.items())),
            "records": self.records,
            "successes + unknown": self.successes + self.unknown,
            "unknown but published": self.unknown_published,
            "wrong answers": len(self.wrong_answers),
            "fds before/after": list(self.fds),
            "sockets before/after": list(self.sockets),
            "tasks before/after": list(self.tasks),
            "threads before/after": list(self.threads),
            "longest call (s)": round(self.longest_call, 2),
            "call bound (s)": CALL_BOUND,
            "problems": self.problems(),
        }


# --- what the process holds ------------------------------------------------------------------


def _fd_targets() -> list[str]:
    targets = []
    for name in os.listdir("/proc/self/fd"):
        # OSError: the descriptor listdir itself used, or one closed meanwhile.
        with contextlib.suppress(OSError):
            targets.append(os.readlink(f"/proc/self/fd/{name}"))
    return targets


def _fds_and_sockets() -> tuple[int, int]:
    targets = _fd_targets()
    return len(targets), sum(t.startswith("socket:") for t in targets)


def _client_sockets(port: int) -> int:
    """This process's TCP sockets connected *to* ``port`` (the client's side of the proxy)."""
    inodes = set()
    for table in ("/proc/self/net/tcp", "/proc/self/net/tcp6"):
        try:
            with open(table) as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if int(fields[2].rsplit(":", 1)[1], 16) == port:
                inodes.add(fields[9])
    mine = {t[len("socket:[") : -1] for t in _fd_targets() if t.startswith("socket:")}
    return len(inodes & mine)


# --- one call, classified --------------------------------------------------------------------


@attrs.define
class _Call:
    index: int
    endpoint: str
    message: str
    outcome: str = ""
    error: str = ""
    # The post id a success reported: it must be its own record's.
    post_id: str | None = None
    elapsed: float = 0.0


def _shown(exc: BaseException) -> str:
    """What a log with ``exc_info`` or a debugger shows of an error and its whole chain."""
    parts = traceback.format_exception(exc)
    seen: BaseException | None = exc
    while seen is not None:
        parts += [repr(seen), repr(getattr(seen, "__dict__", ""))]
        seen = seen.__cause__ or seen.__context__
    return "\n".join(parts)


def _classify(
    call: _Call, exc: BaseException | None, report: SoakReport, secrets: tuple[str, ...]
) -> None:
    if exc is not None and any(secret in _shown(exc) for secret in secrets):
        report.leaks.append(f"call {call.index}: {type(exc).__name__}")
    if exc is None:
        call.outcome = "success"
    elif not isinstance(exc, errors.OneAllPushError):
        call.outcome = "untyped"
        report.untyped.append(f"call {call.index}: {type(exc).__module__}.{type(exc).__name__}")
    elif is_unknown_outcome(exc):
        call.outcome = "unknown"
    elif is_retryable(exc):
        call.outcome = "retryable"
    else:
        call.outcome = "failed"
    if exc is not None:
        call.error = type(exc).__name__
        report.errors[call.error] += 1
    report.outcomes[call.outcome] += 1
    report.longest_call = max(report.longest_call, call.elapsed)
    if call.elapsed > CALL_BOUND:
        report.overruns.append(f"call {call.index} took {call.elapsed:.1f} s ({call.error})")


def _plan(calls: int, half: str) -> list[_Call]:
    return [
        _Call(i, ENDPOINTS[i % len(ENDPOINTS)], f"soak {half} {i}: {os.urandom(4).hex()}")
        for i in range(calls)
    ]


def _check_records(sandbox: Sandbox, plan: list[_Call], report: SoakReport) -> None:
    records = sandbox.records()
    report.records = len(records)
    per_message = collections.Counter(str(r["payload"].get("message")) for r in records)
    post_ids = {str(r["payload"].get("message")): r["result"].get("post_id") for r in records}
    allowed = {"success": (1, 1), "unknown": (0, 1)}
    for call in plan:
        found = per_message[call.message]
        low, high = allowed.get(call.outcome, (0, 0))
        if call.outcome == "unknown" and found:
            report.unknown_published += 1
        if not low <= found <= high:
            report.double_posts.append(
                f"call {call.index} ({call.endpoint}) ended {call.outcome} {call.error} "
                f"with {found} records"
            )
        elif call.outcome == "success" and post_ids[call.message] != call.post_id:
            report.wrong_answers.append(
                f"call {call.index} ({call.endpoint}) got post {call.post_id}, "
                f"its record has {post_ids[call.message]}"
            )


def _secrets(sandbox: Sandbox) -> tuple[str, ...]:
    pair = f"{sandbox.config.public_key}:{sandbox.config.private_key}"
    return (sandbox.config.private_key, base64.b64encode(pair.encode()).decode())


def _client_kwargs(sandbox: Sandbox, proxy: ChaosProxy) -> dict[str, Any]:
    return {
        **sandbox.client_kwargs(),
        "base_url": proxy.url,
        "timeout": Timeout(connect=CONNECT_TIMEOUT, read=READ_TIMEOUT),
        "retry": RetryPolicy(
            max_retries=MAX_RETRIES, backoff_initial=0.01, backoff_max=0.05, max_retry_after=5.0
        ),
        "trust_env": False,
    }


@contextmanager
def _watched(report: SoakReport) -> Iterator[list[warnings.WarningMessage]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught
        gc.collect()
    report.resource_warnings = [
        f"{w.category.__name__}: {w.message}"
        for w in caught
        if issubclass(w.category, ResourceWarning)
    ]


def _settle(report: SoakReport, proxy: ChaosProxy, before: tuple[int, int]) -> None:
    """Let the proxy and the sandbox close their sides, then take the 'after' figures."""
    proxy.wait_idle(10)
    report.client_sockets_after = _client_sockets(proxy.port)
    after = _fds_and_sockets()
    for _ in range(100):
        if after[0] <= before[0] and after[1] <= before[1]:
            break
        time.sleep(0.05)
        gc.collect()
        after = _fds_and_sockets()
    report.fds = (before[0], after[0])
    report.sockets = (before[1], after[1])
    report.faults = proxy.faults()
    report.forwarded = proxy.forwarded
    report.connections = proxy.connections
    report.proxy_errors = list(proxy.errors)


# --- the two halves --------------------------------------------------------------------------


async def _publish_async(client: AsyncOneAll, sandbox: Sandbox, call: _Call) -> PostResult:
    if call.endpoint == "twitter.publish_tweet":
        return await client.twitter.publish_tweet(sandbox.token("twitter"), message=call.message)
    return await client.facebook.publish_page_post(
        sandbox.token("facebook"), id="soak-page", message=call.message
    )


def _publish_sync(client: OneAll, sandbox: Sandbox, call: _Call) -> PostResult:
    if call.endpoint == "twitter.publish_tweet":
        return client.twitter.publish_tweet(sandbox.token("twitter"), message=call.message)
    return client.facebook.publish_page_post(
        sandbox.token("facebook"), id="soak-page", message=call.message
    )


async def _naively_async(send: Callable[[], Awaitable[T]]) -> T:
    # WRONG ON PURPOSE: sends again after an unknown outcome (the detector must catch it).
    for _ in range(2):
        try:
            return await send()
        except errors.OutcomeUnknownError:
            pass
    return await send()


def _naively_sync(send: Callable[[], T]) -> T:
    # WRONG ON PURPOSE: sends again after an unknown outcome (the detector must catch it).
    for _ in range(2):
        try:
            return send()
        except errors.OutcomeUnknownError:
            pass
    return send()


async def soak_async(
    sandbox: Sandbox,
    proxy: ChaosProxy,
    calls: int,
    *,
    concurrency: int = 16,
    naive_retry: bool = False,
) -> SoakReport:
    """The async half: ``calls`` calls, ``concurrency`` at a time, in the running loop."""
    sandbox.reset()
    proxy.reset_counts()
    report = SoakReport("async", calls)
    plan = _plan(calls, "async")
    secrets = _secrets(sandbox)
    current = asyncio.current_task()
    tasks_before = len(asyncio.all_tasks() - {current})
    before = _fds_and_sockets()
    with _watched(report):
        client = AsyncOneAll(**_client_kwargs(sandbox, proxy))
        gate = asyncio.Semaphore(concurrency)

        async def one(call: _Call) -> None:
            async with gate:
                started = time.monotonic()
                failure: BaseException | None = None
                try:
                    if naive_retry:
                        sent = _naively_async(lambda: _publish_async(client, sandbox, call))
                        result = await asyncio.wait_for(sent, 3 * CALL_BOUND)
                    else:
                        result = await asyncio.wait_for(
                            _publish_async(client, sandbox, call), CALL_BOUND
                        )
                    call.post_id = result.post_id
                except asyncio.TimeoutError:
                    failure = None
                    report.overruns.append(f"call {call.index} hung (cancelled at the bound)")
                    call.outcome = "hung"
                    report.outcomes["hung"] += 1
                except Exception as exc:
                    failure = exc
                call.elapsed = time.monotonic() - started
                if call.outcome != "hung":
                    _classify(call, failure, report, secrets)

        try:
            await asyncio.gather(*(one(call) for call in plan))
        finally:
            await client.close()
        # aiohttp closes transports on the next loop iterations.
        for _ in range(20):
            await asyncio.sleep(0.01)
        report.tasks = (tasks_before, len(asyncio.all_tasks() - {current}))
    _settle(report, proxy, before)
    _check_records(sandbox, plan, report)
    return report


def soak_sync(
    sandbox: Sandbox,
    proxy: ChaosProxy,
    calls: int,
    *,
    concurrency: int = 4,
    naive_retry: bool = False,
) -> SoakReport:
    """The sync half: ``calls`` calls from ``concurrency`` threads sharing one client."""
    sandbox.reset()
    proxy.reset_counts()
    report = SoakReport("sync", calls)
    plan = _plan(calls, "sync")
    secrets = _secrets(sandbox)
    threads_before = threading.active_count()
    before = _fds_and_sockets()
    lock = threading.Lock()
    with _watched(report):
        client = OneAll(**_client_kwargs(sandbox, proxy))

        def one(call: _Call) -> None:
            started = time.monotonic()
            failure: BaseException | None = None
            try:
                if naive_retry:
                    result = _naively_sync(lambda: _publish_sync(client, sandbox, call))
                else:
                    result = _publish_sync(client, sandbox, call)
                call.post_id = result.post_id
            except Exception as exc:
                failure = exc
            call.elapsed = time.monotonic() - started
            with lock:
                _classify(call, failure, report, secrets)

        try:
            with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
                list(pool.map(one, plan))
        finally:
            client.close()
    _settle(report, proxy, before)
    report.threads = (threads_before, threading.active_count())
    _check_records(sandbox, plan, report)
    return report


def run_soak(
    calls: int, *, seed: int = 0, halves: tuple[str, ...] = ("async", "sync")
) -> list[SoakReport]:
    """Both halves against one sandbox and one proxy (the nox session's entry point)."""
    reports = []
    with (
        SandboxThread(Sandbox()) as sandbox,
        ChaosProxy(sandbox.base_url or "", seed=seed) as proxy,
    ):
        if "async" in halves:
            reports.append(asyncio.run(soak_async(sandbox, proxy, calls)))
        if "sync" in halves:
            reports.append(soak_sync(sandbox, proxy, calls))
    return reports


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=int(os.environ.get("SOAK_CALLS", "5000")))
    parser.add_argument("--seed", type=int, default=int(os.environ.get("SOAK_SEED", "0")))
    parser.add_argument("--half", choices=("async", "sync", "both"), default="both")
    args = parser.parse_args(argv)
    halves = ("async", "sync") if args.half == "both" else (args.half,)
    started = time.monotonic()
    reports = run_soak(args.calls, seed=args.seed, halves=halves)
    failed = False
    for report in reports:
        print(json.dumps(report.figures(), indent=2))
        failed = failed or bool(report.problems())
    print(
        f"soak: {len(reports)} half/halves, {time.monotonic() - started:.0f} s, "
        f"{'FAILED' if failed else 'clean'}"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
