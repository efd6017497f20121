"""X's rate-limit headers read tolerantly: a garbled value is None, never an exception."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import attrs

__all__ = ["RateLimit", "RateLimitWindow", "header_count", "rate_limit_from_headers"]

_MAX_DIGITS = 18  # anything longer is not a count or a unix time


@attrs.frozen
class RateLimitWindow:
    """One window: its ``limit``, the calls ``remaining`` and when it resets (unix seconds)."""

    limit: int | None = None
    remaining: int | None = None
    reset: int | None = None

    @property
    def reset_at(self) -> dt.datetime | None:
        """``reset`` as an aware UTC datetime (None when absent or out of range)."""
        if self.reset is None:
            return None
        try:
            return dt.datetime.fromtimestamp(self.reset, tz=dt.timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None


@attrs.frozen
class RateLimit:
    """What X's headers said about the call's limits: the endpoint's 15-minute window
    (``limit``, ``remaining``, ``reset``) and, when sent, the 24-hour app and user windows."""

    limit: int | None = None
    remaining: int | None = None
    reset: int | None = None
    app_24h: RateLimitWindow | None = None
    user_24h: RateLimitWindow | None = None

    @property
    def reset_at(self) -> dt.datetime | None:
        return RateLimitWindow(self.limit, self.remaining, self.reset).reset_at


def header_count(value: str | None) -> int | None:
    """A count or unix time from a header: ASCII digits only, else None."""
    if value is None:
        return None
    text = value.strip()
    if not text or len(text) > _MAX_DIGITS or not (text.isascii() and text.isdigit()):
        return None
    return int(text)


def _window(lower: Mapping[str, str], prefix: str) -> RateLimitWindow | None:
    names = ("limit", "remaining", "reset")
    if not any(prefix + n in lower for n in names):
        return None
    return RateLimitWindow(*(header_count(lower.get(prefix + n)) for n in names))


def rate_limit_from_headers(headers: Mapping[str, str]) -> RateLimit | None:
    """The limits an answer reported, or None when it sent no rate-limit header at all."""
    try:
        lower = {str(k).lower(): str(v) for k, v in headers.items()}
    except Exception:  # a broken mapping from a custom transport: no limits known
        return None
    main = _window(lower, "x-rate-limit-")
    app = _window(lower, "x-app-limit-24hour-")
    user = _window(lower, "x-user-limit-24hour-")
    if main is None and app is None and user is None:
        return None
    main = main or RateLimitWindow()
    return RateLimit(main.limit, main.remaining, main.reset, app, user)
