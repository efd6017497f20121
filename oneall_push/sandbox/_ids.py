"""Realistic, deterministic ids and locations for the sandbox's results.

Every id comes from a seeded generator and a virtual clock, so a sandbox started with the same
seed and fed the same requests issues the same ids. Each ``stream`` has its own generator:
identities added at run time draw from theirs, never shifting the ids of published results.
"""

from __future__ import annotations

import random
import string
import uuid

__all__ = ["IdFactory", "identity_token"]

# Twitter's snowflake epoch (2010-11-04T01:42:54.657Z), in milliseconds.
_TWITTER_EPOCH_MS = 1288834974657
# The virtual clock starts on 2024-01-01T00:00:00Z.
_CLOCK_START_MS = 1704067200000
_B64URL = string.ascii_letters + string.digits + "-_"
_TOKEN_NAMESPACE = uuid.UUID("0a11a11d-5a4d-4b0c-8e7e-000000000000")


def identity_token(provider: str, index: int) -> str:
    """The stable token of sandbox identity ``index`` of ``provider`` (seed-independent)."""
    return str(uuid.uuid5(_TOKEN_NAMESPACE, f"oneall-push-sandbox/{provider}/{index}"))


class IdFactory:
    def __init__(self, seed: int, *, stream: str = "ids") -> None:
        self._rng = random.Random(f"oneall-push-sandbox-{stream}/{seed}")
        self._clock_ms = _CLOCK_START_MS

    def _tick(self) -> int:
        self._clock_ms += self._rng.randint(1, 5000)
        return self._clock_ms

    def digits(self, n: int) -> str:
        first = str(self._rng.randint(1, 9))
        return first + "".join(str(self._rng.randint(0, 9)) for _ in range(n - 1))

    def snowflake(self) -> str:
        """A 19-digit Twitter-style id: timestamp, worker and sequence bits."""
        stamp = self._tick() - _TWITTER_EPOCH_MS
        return str((stamp << 22) | self._rng.getrandbits(22))

    def base64url(self, n: int) -> str:
        return "".join(self._rng.choice(_B64URL) for _ in range(n))

    def uuid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))
