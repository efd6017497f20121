"""Colour-free checks of the X media clients' arguments and settings, and their limits."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence

from ..errors import ConfigurationError, RequestValidationError
from ._media_types import MAX_SEGMENTS

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_CONCURRENCY",
    "DEFAULT_PROCESSING_DEADLINE",
    "MAX_CONCURRENCY",
    "MIN_CHECK_TIME",
    "cap",
    "check_alt_text",
    "check_deadline",
    "check_media_id",
    "check_segment",
    "check_shared",
    "int_setting",
    "owner_list",
    "seconds_setting",
]

DEFAULT_BASE_URL = "https://api.x.com"
# Appends in flight at once: the knee of the max_concurrency sweep in
# benchmarks/bench_xmedia.py (loopback). X does not document out-of-order appends; each chunk
# carries its segment_index.
DEFAULT_MAX_CONCURRENCY = 3
MAX_CONCURRENCY = 16
DEFAULT_PROCESSING_DEADLINE = 1800.0
# A status check made right at the processing deadline still gets this long to answer.
MIN_CHECK_TIME = 1.0
_MEDIA_ID = re.compile(r"\A[0-9]{1,19}\Z")


def check_media_id(media_id: str) -> str:
    if not isinstance(media_id, str) or not _MEDIA_ID.match(media_id):
        raise RequestValidationError("media_id", "must be 1 to 19 digits (a string)")
    return media_id


def owner_list(additional_owners: Sequence[str]) -> list[str]:
    if isinstance(additional_owners, (str, bytes, bytearray)) or not isinstance(
        additional_owners, Iterable
    ):
        raise RequestValidationError(
            "additional_owners", "must be a list of user ids, not a single value"
        )
    owners = list(additional_owners)
    if len(owners) > 100:
        raise RequestValidationError("additional_owners", "at most 100 user ids")
    for owner in owners:
        if not isinstance(owner, str) or not _MEDIA_ID.match(owner):
            raise RequestValidationError(
                "additional_owners", "user ids are strings of 1 to 19 digits"
            )
    return owners


def check_shared(shared: bool | None) -> None:
    if shared is not None and not isinstance(shared, bool):
        raise RequestValidationError("shared", "must be True, False or None (a real bool)")


def check_alt_text(text: str) -> None:
    if not isinstance(text, str) or not text.strip() or len(text) > 1000:
        raise RequestValidationError("alt_text", "must be 1 to 1000 characters")


def check_deadline(field: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise RequestValidationError(field, "must be a positive number of seconds")
    return float(value)


def int_setting(name: str, value: int, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigurationError(f"{name} must be an integer, not {type(value).__name__}")
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ConfigurationError(f"{name} must be {bound}, got {value}")
    return value


def seconds_setting(name: str, value: float, *, positive: bool) -> float:
    ok = not isinstance(value, bool) and isinstance(value, (int, float)) and not math.isnan(value)
    if not ok or value < 0 or (positive and value == 0):
        rule = "a positive" if positive else "a non-negative"
        raise ConfigurationError(f"{name} must be {rule} number of seconds, got {value!r}")
    return float(value)


def cap(limit: float | None, left: float) -> float:
    """A time limit cut down to the time ``left`` (no limit: all of it)."""
    return left if limit is None else min(limit, left)


def check_segment(segment_index: int, media: bytes) -> None:
    """One chunk of an append: its index (0 to 999) and non-empty bytes."""
    if (
        isinstance(segment_index, bool)
        or not isinstance(segment_index, int)
        or not 0 <= segment_index < MAX_SEGMENTS
    ):
        raise RequestValidationError("segment_index", "must be an integer from 0 to 999")
    if not isinstance(media, (bytes, bytearray, memoryview)) or not media:
        raise RequestValidationError("media", "must be non-empty bytes")
