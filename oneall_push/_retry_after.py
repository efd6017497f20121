"""The Retry-After header, read tolerantly (a leaf module: answers and errors both need it)."""

from __future__ import annotations

import datetime as dt
import email.utils

__all__ = ["parse_retry_after"]


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date)."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    current = dt.datetime.now(dt.timezone.utc).timestamp() if now is None else now
    return max(0.0, when.timestamp() - current)
