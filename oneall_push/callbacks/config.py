"""Callback settings shared by both halves."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import attrs

from .._repr import fields_repr
from ..errors import ConfigurationError

__all__ = ["CallbackConfig"]


def _secrets(value: str | bytes | Sequence[str | bytes]) -> tuple[bytes, ...]:
    items = [value] if isinstance(value, (str, bytes)) else list(value)
    out = tuple(s.encode() if isinstance(s, str) else bytes(s) for s in items)
    if not out or any(len(s) < 16 for s in out):
        raise ConfigurationError("callback secrets must be at least 16 bytes each")
    return out


# An expiry must fit the 12 digits the receiver reads; a century is far below that.
_MAX_TTL = 100 * 365 * 24 * 3600.0


def _lifetime(name: str) -> Any:
    def check(_: object, _attribute: object, value: object) -> None:
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
            or not 0 < value <= _MAX_TTL
        ):
            raise ConfigurationError(
                f"{name} must be a finite, positive number of seconds (at most {_MAX_TTL:g}), "
                f"got {value!r}"
            )

    return check


@attrs.frozen(kw_only=True, repr=False)
class CallbackConfig:
    """Where OneAll can reach this application, and the secrets that sign callback URLs.

    ``secret`` may be one secret or several: the first signs, all verify (rotate by putting
    the new secret first and dropping the old one once pending jobs have completed).

    ``url_ttl``: how long a signed callback URL stays valid (seconds after the POST);
    ``result_ttl``: how long a received result is kept for ``wait``/``poll``. Each defaults to
    ``ttl`` (24 hours), so ``ttl=`` alone sets both.
    """

    __repr__ = fields_repr

    public_url: str = attrs.field()
    secret: tuple[bytes, ...] = attrs.field(converter=_secrets, repr=False)
    # The default of both lifetimes below.
    ttl: float = attrs.field(default=24 * 3600.0, validator=_lifetime("ttl"))
    url_ttl: float = attrs.field(
        default=attrs.Factory(lambda self: self.ttl, takes_self=True),
        validator=_lifetime("url_ttl"),
    )
    result_ttl: float = attrs.field(
        default=attrs.Factory(lambda self: self.ttl, takes_self=True),
        validator=_lifetime("result_ttl"),
    )

    @property
    def record_ttl(self) -> float:
        """How long a job record is kept: until its URL expires, then as long as a result."""
        return self.url_ttl + self.result_ttl

    @public_url.validator
    def _check_url(self, _: object, value: str) -> None:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigurationError(f"public_url must be an absolute http(s) URL, got {value!r}")
        if parts.query or parts.fragment or value.endswith(("?", "#")):
            # Each job's URL is <public_url>/<job_id>?exp=...&sig=...
            raise ConfigurationError(
                f"public_url must not carry a query or fragment, got {value!r}"
            )
