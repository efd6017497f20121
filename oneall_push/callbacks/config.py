"""Callback settings shared by both halves."""

from __future__ import annotations

from collections.abc import Sequence
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


@attrs.frozen(kw_only=True, repr=False)
class CallbackConfig:
    """Where OneAll can reach this application, and the secrets that sign callback URLs.

    ``secret`` may be one secret or several: the first signs, all verify (rotate by putting
    the new secret first and dropping the old one once pending jobs have completed).
    """

    __repr__ = fields_repr

    public_url: str = attrs.field()
    secret: tuple[bytes, ...] = attrs.field(converter=_secrets, repr=False)
    # How long a signed callback URL stays valid, and how long results are kept.
    ttl: float = 24 * 3600.0

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
