"""What the plugin's sync and async client fixtures share."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .sandbox import Sandbox

__all__ = ["quick_retry_kwargs"]


def quick_retry_kwargs(sandbox: Sandbox) -> dict[str, Any]:
    from . import RetryPolicy

    # Quick retries: injected 429/503 carry short Retry-After values, or none (then backoff).
    return {
        **sandbox.client_kwargs(),
        "retry": RetryPolicy(backoff_initial=0.01, backoff_max=0.05, max_retry_after=5.0),
    }
