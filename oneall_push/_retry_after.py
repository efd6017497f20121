"""The Retry-After header, read tolerantly (a leaf module: answers and errors both need it)."""

from __future__ import annotations

import datetime as dt
import email.utils

__all__ = ["MAX_RETRY_AFTER", "parse_retry_after"]

# Ten years: any Retry-After beyond is treated as this (a server's typo, or hostile).
MAX_RETRY_AFTER = 10 * 365 * 86_400.0


def parse_retry_after(value: object, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date)."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if value.isdigit():
        # ASCII digits only (str.isdigit also takes "١٢" and "²"); an absurd value is capped,
        # still far above any wait a client accepts, so it reads as "not now", not as absent.
        return min(float(value), MAX_RETRY_AFTER) if value.isascii() else None
    try:
        when = email.utils.parsedate_to_datetime(value)
        stamp = when.timestamp()
    except (TypeError, ValueError, OverflowError, OSError, IndexError):
        return None
    current = dt.datetime.now(dt.timezone.utc).timestamp() if now is None else now
    return min(max(0.0, stamp - current), MAX_RETRY_AFTER)
