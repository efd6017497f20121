"""Client settings shared by both halves: credentials, retry policy, environment."""

from __future__ import annotations

import base64
import os
import random
from collections.abc import Mapping
from urllib.parse import urlsplit

import attrs

from ._repr import fields_repr
from ._retry_after import parse_retry_after
from ._secret import Secret
from ._version import __version__
from .errors import ConfigurationError

__all__ = ["USER_AGENT", "Credentials", "RetryPolicy", "parse_retry_after", "settings_from_env"]

# Sent by both products' clients unless the caller gives its own.
USER_AGENT = f"oneall-push-python/{__version__}"

ENV_SUBDOMAIN = "ONEALL_SUBDOMAIN"
ENV_PUBLIC_KEY = "ONEALL_PUBLIC_KEY"
ENV_PRIVATE_KEY = "ONEALL_PRIVATE_KEY"
ENV_BASE_URL = "ONEALL_BASE_URL"


def _non_empty(name: str, value: object) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigurationError(f"{name} must be a non-empty string")
    return value


def _public_key(value: object) -> str:
    key = _non_empty("public_key", value)
    if ":" in key:
        raise ConfigurationError("public_key must not contain ':' (HTTP Basic user)")
    return key


def _private_key(value: object) -> Secret:
    if isinstance(value, Secret):
        return value
    return Secret(_non_empty("private_key", value))


@attrs.frozen(repr=False)
class Credentials:
    """A OneAll site's API key pair. The private key is kept in a :class:`Secret`: it never
    shows in ``repr``, and the Authorization header is built per request from it, never
    stored on the client."""

    __repr__ = fields_repr

    public_key: str = attrs.field(converter=_public_key)
    private_key: Secret = attrs.field(repr=False, converter=_private_key)

    def authorization(self) -> str:
        # Built by hand: aiohttp 3.14 deprecated BasicAuth, and urllib3 has no equivalent.
        pair = f"{self.public_key}:{self.private_key.reveal()}"
        return f"Basic {base64.b64encode(pair.encode()).decode()}"


def resolve_base_url(subdomain: str | None, base_url: str | None) -> str:
    if base_url:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigurationError(f"base_url must be an absolute http(s) URL, got {base_url!r}")
        return base_url.rstrip("/")
    if not subdomain:
        raise ConfigurationError("give subdomain= (your OneAll site) or base_url=")
    if not all(c.isalnum() or c == "-" for c in subdomain):
        raise ConfigurationError(f"subdomain must be letters, digits and '-', got {subdomain!r}")
    return f"https://{subdomain}.api.oneall.com"


def settings_from_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Read ONEALL_SUBDOMAIN / _PUBLIC_KEY / _PRIVATE_KEY / _BASE_URL (unset ones left out)."""
    env = os.environ if environ is None else environ
    names = {
        "subdomain": ENV_SUBDOMAIN,
        "public_key": ENV_PUBLIC_KEY,
        "private_key": ENV_PRIVATE_KEY,
        "base_url": ENV_BASE_URL,
    }
    found = {key: env[var] for key, var in names.items() if env.get(var)}
    missing = [names[k] for k in ("public_key", "private_key") if k not in found]
    if missing:
        raise ConfigurationError(f"missing environment variable(s): {', '.join(missing)}")
    return found


@attrs.frozen(kw_only=True, repr=False)
class RetryPolicy:
    """When a failed Push call is sent again.

    Push POSTs are not idempotent: a retry could publish twice. So only failures that prove
    nothing was processed are retried: connect failures, 429, and 503 carrying Retry-After.
    Read timeouts and disconnects after sending are never retried.
    """

    __repr__ = fields_repr

    max_retries: int = attrs.field(default=2, validator=attrs.validators.ge(0))
    backoff_initial: float = 0.5
    backoff_max: float = 8.0
    # A Retry-After longer than this is not waited for: the RateLimitError is raised instead.
    max_retry_after: float = 60.0

    @classmethod
    def disabled(cls) -> RetryPolicy:
        return cls(max_retries=0)

    def backoff(self, attempt: int) -> float:
        """Full-jitter exponential backoff for retry number ``attempt`` (1-based)."""
        ceiling = min(self.backoff_max, self.backoff_initial * (2 ** (attempt - 1)))
        return random.uniform(ceiling / 2, ceiling)

    def delay_for_status(
        self, status: int, retry_after: float | None, attempt: int
    ) -> float | None:
        """Seconds to wait before retry ``attempt`` after an HTTP status, or None: don't retry."""
        if attempt > self.max_retries:
            return None
        if status == 429:
            if retry_after is None:
                return self.backoff(attempt)
        elif status != 503 or retry_after is None:
            return None
        if retry_after > self.max_retry_after:
            return None
        return retry_after

    def delay_for_connect_error(self, attempt: int) -> float | None:
        if attempt > self.max_retries:
            return None
        return self.backoff(attempt)


def check_network(
    transport: object, proxy: str | None, trust_env: bool, ssl_context: object
) -> None:
    """``proxy=``, ``trust_env=`` and ``ssl_context=`` build the default transport: refuse them
    beside a caller-given ``transport=``, which they would silently not reach."""
    if transport is not None and (proxy is not None or not trust_env or ssl_context is not None):
        raise ConfigurationError(
            "proxy=, trust_env= and ssl_context= configure the default transport; "
            "set them on the transport= you pass instead"
        )
