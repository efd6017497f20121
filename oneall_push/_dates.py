"""OneAll's dates: RFC 2822 as documented, with the docs' own quirks tolerated."""

from __future__ import annotations

import datetime as dt
import email.utils
import re
from typing import Any

__all__ = ["parse_date"]

# The docs print "Thu, 21 Sep 2017 15:56:59  0200": the "+" of the offset got lost.
_LOST_PLUS = re.compile(r"\s+(\d{4})$")


def parse_date(value: Any) -> dt.datetime | None:
    """Parse OneAll's RFC 2822 dates, tolerating the docs' ``"15:56:59  0200"`` form."""
    if value is None or isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str):
        raise ValueError(f"expected a date string, got {type(value).__name__}")
    text = value.strip()
    fixed = _LOST_PLUS.sub(r" +\1", text)
    try:
        return email.utils.parsedate_to_datetime(fixed)
    except (TypeError, ValueError):
        pass
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"unrecognised date {value!r}") from None
