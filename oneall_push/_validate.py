"""Checks of caller-given durations, shared by both halves."""

from __future__ import annotations

import math
from typing import Any, Literal, overload

from .errors import RequestValidationError

__all__ = ["seconds"]


@overload
def seconds(
    value: Any, field: str, *, optional: Literal[True], zero: bool = ...
) -> float | None: ...
@overload
def seconds(
    value: Any, field: str, *, optional: Literal[False] = ..., zero: bool = ...
) -> float: ...
def seconds(value: Any, field: str, *, optional: bool = False, zero: bool = False) -> float | None:
    """``value`` as a finite, positive number of seconds (``zero``: or 0; ``optional``: or None).

    Anything else raises :class:`RequestValidationError` naming ``field``.
    """
    if value is None and optional:
        return None
    accepted = f"a {'non-negative' if zero else 'positive'} number of seconds" + (
        " or None" if optional else ""
    )
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RequestValidationError(field, f"must be {accepted}, not {type(value).__name__}")
    if not math.isfinite(value) or value < 0 or (value == 0 and not zero):
        raise RequestValidationError(field, f"must be {accepted} (got {value!r})")
    return float(value)
