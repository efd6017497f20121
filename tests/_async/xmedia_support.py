"""What the X media tests share: sample media, fake clocks and scripted answers for the mock
transport. Written once; the sync twin is generated."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from typing import Any

from oneall_push._io import (
    AsyncBackend,
    AsyncMockTransport,
    AsyncSignal,
    Request,
    Response,
)
from oneall_push.sandbox.xmedia import XMediaSandbox
from oneall_push.xmedia import (
    AsyncXMedia,
    XRetryPolicy,
)
from tests.support.x_tokens import X_TOKEN

MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
PNG_HEAD = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
FAST_RETRY = XRetryPolicy(backoff_initial=0.001, backoff_max=0.005)

XFactory = Callable[..., AsyncXMedia]


def video_bytes(size: int) -> bytes:
    return MP4_HEAD + os.urandom(size - len(MP4_HEAD))


def uploaded_crc(sandbox: XMediaSandbox, media_id: str) -> int:
    return sandbox.uploads[media_id].crc32()


def finalized(sandbox: XMediaSandbox) -> bool:
    """Whether any finalize request reached the sandbox."""
    return any(path.endswith("/finalize") for _, path, _ in sandbox.log)


def chunk_sizes(total: int, chunk: int) -> list[int]:
    return [min(chunk, total - start) for start in range(0, total, chunk)]


def rate_limit_wait_bounds(clock: AsyncFakeClock, reset_in: float) -> tuple[float, float]:
    """The range of the wait for a sandbox 429 sent ``reset_in`` s before its reset: the
    sandbox rounds the reset up to whole seconds from its real clock, which ran on since
    ``clock`` was made; the client adds 1 s of slack."""
    ran_on = time.time() - clock.start_wall
    return reset_in + 1 - 0.001, reset_in + 2 + ran_on


def segment_of(request: Request) -> int:
    found = re.search(rb'name="segment_index"\r\n\r\n([0-9]+)\r\n', request.body or b"")
    assert found is not None
    return int(found[1])


class AsyncFakeClock(AsyncBackend):
    """Sleeping takes no time; monotonic and wall clocks advance by what was slept.

    Its signals wait on this clock too (see the clock signal below); with ``hold_waits`` they
    really wait, at most 5 s, for someone to set them.
    """

    def __init__(self, *, wall: float = 1_700_001_000.0) -> None:
        self.now = 1_000.0
        self.start_wall = wall
        self.slept: list[float] = []
        self.signals: list[AsyncClockSignal] = []
        self.hold_waits = False
        self.waiting = AsyncSignal()  # set when a held wait begins
        self.held: list[tuple[float, bool]] = []  # (timeout, woken by the signal)

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def monotonic(self) -> float:
        return self.now

    def wall_clock(self) -> float:
        return self.start_wall + self.now - 1_000.0

    def signal(self) -> AsyncClockSignal:
        signal = AsyncClockSignal(self)
        self.signals.append(signal)
        return signal


class AsyncClockSignal(AsyncSignal):
    """A wait takes no time (a sleep on the fake clock) and ends early only if the signal is
    already set; with ``clock.hold_waits`` it really waits for the signal instead."""

    def __init__(self, clock: AsyncFakeClock) -> None:
        super().__init__()
        self.clock = clock

    async def wait(self, timeout: float) -> bool:
        if self.clock.hold_waits:
            self.clock.waiting.set()
            woken = await super().wait(5.0)
            self.clock.held.append((timeout, woken))
            return woken
        if self.is_set():
            return True
        await self.clock.sleep(timeout)
        return self.is_set()


def answer(status: int = 200, document: Any = None, **headers: str) -> Response:
    body = b"" if document is None else json.dumps(document).encode()
    return Response(status=status, headers=headers, body=body)


MEDIA = {"id": "42", "media_key": "7_42", "expires_after_secs": 86400}


def processing(state: str, check: float | None = None, **extra: Any) -> Response:
    info: dict[str, Any] = {"state": state, **extra}
    if check is not None:
        info["check_after_secs"] = check
    return answer(document={"data": {**MEDIA, "processing_info": info}})


Script = dict[str, list["Response | BaseException"]]


def script_handler(script: Script) -> Callable[[Request], Response | BaseException]:
    def handle(request: Request) -> Response | BaseException:
        queue = script[request.endpoint or ""]
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return handle


def mock_client(script: Script, clock: AsyncFakeClock, **kwargs: Any) -> AsyncXMedia:
    kwargs.setdefault("retry", XRetryPolicy())
    return AsyncXMedia(
        bearer_token=X_TOKEN,
        transport=AsyncMockTransport(script_handler(script)),
        backend=clock,
        **kwargs,
    )
