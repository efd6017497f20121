"""How a sandbox starts: credentials, seed, identities, callback timing and fault rules."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs

from ._faults import MAX_SECONDS, FaultRule, seconds

__all__ = ["SandboxConfig"]


def _rules(value: Iterable[FaultRule]) -> tuple[FaultRule, ...]:
    return tuple(value)


def _callback_delay(value: Any) -> float:
    return seconds("callback_delay", value)


def _reorder_window(value: Any) -> float:
    return seconds("reorder_window", value)


@attrs.frozen(kw_only=True)
class SandboxConfig:
    """How a sandbox starts. ``reset()`` returns to exactly this state."""

    public_key: str = "sandbox-public-key"
    private_key: str = "sandbox-private-key"
    seed: int = 0
    identities_per_provider: int = 2
    # Seconds between accepting an async upload and posting its callback.
    callback_delay: float = attrs.field(default=0.2, converter=_callback_delay)
    # How long a "reorder" callback waits for a partner when none has been accepted yet. Once
    # one is accepted it waits for that one, however long it takes.
    reorder_window: float = attrs.field(default=2.0, converter=_reorder_window)
    faults: tuple[FaultRule, ...] = attrs.field(default=(), converter=_rules)

    def __attrs_post_init__(self) -> None:
        if self.reorder_window <= 0:
            raise ValueError(f"reorder_window must be above 0 and at most {MAX_SECONDS:g} seconds")
