"""The chaos soak, short: both halves through the fault-injecting proxy (tests/support/chaos.py).

``nox -s soak`` runs the long version (5,000 calls a half) and prints its figures. Here: a few
hundred calls a half, the detector's own tests (a naive retry, a crossed answer, a leaked
socket and a leaked secret must be caught), one call per fault kind with what the client must
make of it, and the regressions the soak's proxy found.
"""

from __future__ import annotations

import asyncio
import socket
import warnings
from collections.abc import Iterator

import pytest

from oneall_push import AsyncOneAll, OneAll, errors
from oneall_push.sandbox import Sandbox, SandboxThread
from tests.support.chaos import RANDOM_FAULTS, ChaosProxy, chaos_proxy
from tests.support.soak import (
    SoakReport,
    _Call,
    _classify,
    _client_kwargs,
    _client_sockets,
    _secrets,
    _watched,
    soak_async,
    soak_sync,
)

CALLS = 200
SEED = 20261203
# Rarer kinds drawn more often than in the long run, so 200 calls meet every kind: which
# connection a request takes varies with scheduling, and so do the draws.
SHORT_WEIGHTS = {"none": 0.4, **dict.fromkeys(RANDOM_FAULTS, 0.06)}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with SandboxThread(Sandbox()) as served:
        yield served


@pytest.fixture
def proxy(sandbox: Sandbox) -> Iterator[ChaosProxy]:
    assert sandbox.base_url is not None
    with chaos_proxy(sandbox.base_url, seed=SEED, weights=SHORT_WEIGHTS) as started:
        yield started


def _assert_clean(report: SoakReport) -> None:
    assert report.problems() == [], report.figures()
    assert sum(report.outcomes.values()) == report.calls
    # The run met faults of every kind, and both kinds of ending.
    assert all(report.faults[kind] > 0 for kind in RANDOM_FAULTS), report.faults
    assert report.outcomes["success"] > 0 and report.outcomes["unknown"] > 0


async def test_async_soak_is_clean(sandbox: Sandbox, proxy: ChaosProxy) -> None:
    _assert_clean(await soak_async(sandbox, proxy, CALLS))


def test_sync_soak_is_clean(sandbox: Sandbox, proxy: ChaosProxy) -> None:
    _assert_clean(soak_sync(sandbox, proxy, CALLS))


# --- the detector detects ---------------------------------------------------------------------

# Half the requests lose their answer after the sandbox processed them.
LOSSY = {"none": 0.5, "close_after": 0.5}


@pytest.mark.parametrize("half", ["async", "sync"])
def test_a_naive_retry_after_an_unknown_outcome_is_caught(sandbox: Sandbox, half: str) -> None:
    assert sandbox.base_url is not None
    with chaos_proxy(sandbox.base_url, seed=SEED, weights=LOSSY) as lossy:
        if half == "async":
            report = asyncio.run(soak_async(sandbox, lossy, 60, naive_retry=True))
        else:
            report = soak_sync(sandbox, lossy, 60, naive_retry=True)
    assert report.double_posts, report.figures()
    assert any("double post" in p for p in report.problems())


@pytest.mark.parametrize("half", ["async", "sync"])
def test_an_answer_read_off_another_request_is_caught(sandbox: Sandbox, half: str) -> None:
    # A copy of an answer sent late crosses the client's next request on that connection:
    # no client can tell, so it takes the copy as its answer; the check must see that.
    assert sandbox.base_url is not None
    crossing = {"none": 0.6, "replay_late": 0.4}
    with chaos_proxy(sandbox.base_url, seed=SEED, weights=crossing) as proxy:
        if half == "async":
            report = asyncio.run(soak_async(sandbox, proxy, 60))
        else:
            report = soak_sync(sandbox, proxy, 60)
    assert report.wrong_answers, report.figures()


def test_a_secret_in_an_error_chain_is_caught(sandbox: Sandbox) -> None:
    report = SoakReport("probe", 1)
    secrets = _secrets(sandbox)
    try:
        try:
            raise ValueError(f"sent Authorization: Basic {secrets[1]}")
        except ValueError:
            raise errors.OutcomeUnknownError("broke") from None
    except errors.OutcomeUnknownError as exc:  # from None hides it, the chain still has it
        _classify(_Call(0, "twitter.publish_tweet", "m"), exc, report, secrets)
    assert report.leaks and any("secret shown" in p for p in report.problems())


def test_a_leaked_socket_is_caught() -> None:
    report = SoakReport("probe", 0)
    with _watched(report):
        leaked = socket.socket()
        del leaked
    assert report.resource_warnings and "ResourceWarning" in report.resource_warnings[0]


# --- one call per fault kind --------------------------------------------------------------------

# What the client must raise (None: a result), the records the sandbox keeps, and the client
# connections the call and one more after it took: a connection that broke is closed and
# dropped, never handed to the next call, and a healthy one (after a 429/503) is reused.
EXPECTED: dict[str, tuple[type[Exception] | None, int, int]] = {
    "refuse": (errors.OutcomeUnknownError, 0, 2),
    "close_after": (errors.OutcomeUnknownError, 1, 2),
    "stall": (errors.OutcomeUnknownError, 1, 2),
    "stall_body": (errors.OutcomeUnknownError, 1, 2),
    "truncate": (errors.OutcomeUnknownError, 1, 2),
    "reset": (errors.OutcomeUnknownError, 1, 2),
    "truncate_unframed": (errors.OutcomeUnknownError, 1, 2),
    "status_429": (None, 1, 1),  # retried after Retry-After: 0
    "status_503": (None, 1, 1),
    "status_503:-": (errors.ServiceUnavailableError, 0, 1),  # no Retry-After: not retried
}


def _check(kind: str, sandbox: Sandbox, outcome: BaseException | None, open_after: int) -> None:
    expected, records, _ = EXPECTED[kind]
    if expected is None:
        assert outcome is None, repr(outcome)
    else:
        assert isinstance(outcome, expected), repr(outcome)
    assert len(sandbox.records()) == records
    if expected is errors.OutcomeUnknownError:
        # The broken connection is closed as soon as the call ends, not when the client is.
        assert open_after == 0


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_sync_fault(sandbox: Sandbox, kind: str) -> None:
    sandbox.reset()
    assert sandbox.base_url is not None
    with (
        warnings.catch_warnings(),
        chaos_proxy(sandbox.base_url, weights={"none": 1}, script=[kind]) as proxy,
        OneAll(**_client_kwargs(sandbox, proxy)) as client,
    ):
        warnings.simplefilter("error")
        outcome: BaseException | None = None
        try:
            client.twitter.publish_tweet(sandbox.token("twitter"), message=f"sync {kind}")
        except errors.OneAllPushError as exc:
            outcome = exc
        _check(kind, sandbox, outcome, _client_sockets(proxy.port))
        # The client goes on: the next call gets a working connection.
        client.twitter.publish_tweet(sandbox.token("twitter"), message=f"sync {kind} again")
        assert proxy.connections == EXPECTED[kind][2]


@pytest.mark.parametrize("kind", list(EXPECTED))
async def test_async_fault(sandbox: Sandbox, kind: str) -> None:
    sandbox.reset()
    assert sandbox.base_url is not None
    with chaos_proxy(sandbox.base_url, weights={"none": 1}, script=[kind]) as proxy:
        async with AsyncOneAll(**_client_kwargs(sandbox, proxy)) as client:
            outcome: BaseException | None = None
            try:
                await client.twitter.publish_tweet(
                    sandbox.token("twitter"), message=f"async {kind}"
                )
            except errors.OneAllPushError as exc:
                outcome = exc
            await asyncio.sleep(0)  # aiohttp closes a broken transport on the next iteration
            _check(kind, sandbox, outcome, _client_sockets(proxy.port))
            await client.twitter.publish_tweet(
                sandbox.token("twitter"), message=f"async {kind} again"
            )
            assert proxy.connections == EXPECTED[kind][2]


# --- found by the soak's proxy ------------------------------------------------------------------


def test_sync_an_answer_that_arrived_while_pooled_is_not_the_next_calls(sandbox: Sandbox) -> None:
    sandbox.reset()
    assert sandbox.base_url is not None
    token = sandbox.token("twitter")
    with (
        chaos_proxy(sandbox.base_url, weights={"none": 1}, script=["replay_late"]) as proxy,
        OneAll(**_client_kwargs(sandbox, proxy)) as client,
    ):
        first = client.twitter.publish_tweet(token, message="sync first")
        assert proxy.replayed.wait(10)
        second = client.twitter.publish_tweet(token, message="sync second")
        assert second.post_id != first.post_id
        (record,) = sandbox.records(endpoint="twitter.publish_tweet")[1:]
        assert record["result"]["post_id"] == second.post_id
        assert proxy.connections == 2  # the connection with the stray answer was dropped


async def test_async_an_answer_that_arrived_while_pooled_is_not_the_next_calls(
    sandbox: Sandbox,
) -> None:
    # aiohttp parsed the stray copy on the idle pooled connection and handed it to the next
    # request as its answer: a success with another post's id, the real answer never read.
    sandbox.reset()
    assert sandbox.base_url is not None
    token = sandbox.token("twitter")
    with chaos_proxy(sandbox.base_url, weights={"none": 1}, script=["replay_late"]) as proxy:
        async with AsyncOneAll(**_client_kwargs(sandbox, proxy)) as client:
            first = await client.twitter.publish_tweet(token, message="async first")
            assert await asyncio.to_thread(proxy.replayed.wait, 10)
            for _ in range(5):  # let the loop read the copy off the socket
                await asyncio.sleep(0)
            second = await client.twitter.publish_tweet(token, message="async second")
            assert second.post_id != first.post_id
            (record,) = sandbox.records(endpoint="twitter.publish_tweet")[1:]
            assert record["result"]["post_id"] == second.post_id
            assert proxy.connections == 2
