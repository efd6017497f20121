"""One HTTP answer (a leaf module: results and errors keep the answer they were read from)."""

from __future__ import annotations

import functools
from collections.abc import Mapping

import attrs

from .._repr import fields_repr
from .._retry_after import parse_retry_after

__all__ = ["Response"]


@attrs.frozen(repr=False)
class Response:
    """One HTTP answer. Results and errors keep the one they came from as ``.http``."""

    __repr__ = fields_repr

    status: int
    # Looked up case-insensitively by header(): lower-case keys, or a case-insensitive mapping.
    headers: Mapping[str, str] = attrs.field(factory=dict)
    body: bytes = attrs.field(default=b"", repr=False)
    # Set by the client once the answer is in: seconds from sending to the whole body, and
    # which attempt of the call this answer ended (1 unless it was retried).
    elapsed: float = attrs.field(default=0.0, eq=False)
    attempt: int = attrs.field(default=1, eq=False)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @functools.cached_property
    def retry_after(self) -> float | None:
        """The Retry-After header in seconds (parsed once), or None when absent or unreadable."""
        return parse_retry_after(self.header("retry-after"))
