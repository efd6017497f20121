"""Client settings shared by both halves: credentials, retry policy, environment."""

from __future__ import annotations

import base64
import math
import os
import random
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import attrs

from ._repr import fields_repr
from ._retry_after import parse_retry_after
from ._secret import Secret
from ._version import __version__
from .errors import ConfigurationError

__all__ = [
    "USER_AGENT",
    "Credentials",
    "RetryPolicy",
    "check_base_url",
    "check_user_agent",
    "parse_retry_after",
    "settings_from_env",
]

# Sent by both products' clients unless the caller gives its own.
USER_AGENT = f"oneall-push-python/{__version__}"

ENV_SUBDOMAIN = "ONEALL_SUBDOMAIN"
ENV_PUBLIC_KEY = "ONEALL_PUBLIC_KEY"
ENV_PRIVATE_KEY = "ONEALL_PRIVATE_KEY"
ENV_BASE_URL = "ONEALL_BASE_URL"


def _header_text(name: str, value: object) -> str:
    """Text that can go into an HTTP header: no control characters, no lone surrogates."""
    if not isinstance(value, str) or not value:
        raise ConfigurationError(f"{name} must be a non-empty string")
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ConfigurationError(f"{name} must not contain control characters")
    try:
        value.encode()
    except UnicodeEncodeError:
        raise ConfigurationError(f"{name} must be valid Unicode (no lone surrogates)") from None
    return value


def _public_key(value: object) -> str:
    key = _header_text("public_key", value)
    if ":" in key:
        raise ConfigurationError("public_key must not contain ':' (HTTP Basic user)")
    return key


def _private_key(value: object) -> Secret:
    if isinstance(value, Secret):
        return value
    return Secret(_header_text("private_key", value))


def check_user_agent(value: object) -> str | None:
    """None (the library's own) or text a server accepts in a header (latin-1, no controls)."""
    if value is None:
        return None
    agent = _header_text("user_agent", value)
    try:
        agent.encode("latin-1")
    except UnicodeEncodeError:
        raise ConfigurationError("user_agent must be latin-1 text (HTTP header)") from None
    return agent


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


def resolve_base_url(subdomain: object, base_url: object) -> str:
    """The API's root URL from ``base_url`` (checked) or the site's ``subdomain``."""
    if base_url is not None and base_url != "":
        return check_base_url(base_url)
    if subdomain is None or subdomain == "":
        raise ConfigurationError("give subdomain= (your OneAll site) or base_url=")
    if not isinstance(subdomain, str) or not _SUBDOMAIN.fullmatch(subdomain):
        raise ConfigurationError(
            "subdomain must be 1-63 ASCII letters, digits and '-', not starting or ending "
            f"with '-', got {subdomain!r}"
        )
    return f"https://{subdomain}.api.oneall.com"


_SUBDOMAIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


def check_base_url(value: object) -> str:
    """An absolute http(s) URL with a host (and a valid port), without query, fragment or
    credentials; returned without its trailing slash."""
    rule = "must be an absolute http(s) URL"
    if not isinstance(value, str):
        raise ConfigurationError(f"base_url {rule}, not {type(value).__name__}")
    shown = repr(value[:80])
    if any(ord(c) <= 32 or ord(c) == 127 for c in value):
        raise ConfigurationError(f"base_url must not contain spaces or control characters: {shown}")
    try:
        value.encode("ascii")
        parts = urlsplit(value)
        port = parts.port  # ValueError when out of range or not a number
    except (UnicodeEncodeError, ValueError):
        raise ConfigurationError(
            f"base_url {rule} in ASCII (IDNA for hosts), got {shown}"
        ) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"base_url {rule}, got {shown}")
    if port == 0:
        raise ConfigurationError(f"base_url port must be 1-65535, got {shown}")
    if parts.query or parts.fragment or "?" in value or "#" in value:
        raise ConfigurationError(f"base_url must not have a query or fragment, got {shown}")
    if parts.username is not None or parts.password is not None:
        # Never echoed: it would show the credentials.
        raise ConfigurationError("base_url must not carry credentials (user:password@)")
    return value.rstrip("/")


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


MAX_RETRIES = 100
MAX_DELAY = 86_400.0


def check_retries(policy: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """attrs validator: a retry count, an int from 0 to MAX_RETRIES."""
    name = f"{type(policy).__name__}.{attribute.name}"
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigurationError(f"{name} must be an int")
    if not 0 <= value <= MAX_RETRIES:
        raise ConfigurationError(f"{name} must be between 0 and {MAX_RETRIES}, got {value}")


def check_delay(policy: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """attrs validator: finite, non-negative seconds up to MAX_DELAY."""
    name = f"{type(policy).__name__}.{attribute.name}"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigurationError(f"{name} must be a number of seconds")
    if not (math.isfinite(value) and 0 <= value <= MAX_DELAY):
        raise ConfigurationError(
            f"{name} must be finite seconds between 0 and {MAX_DELAY:g}, got {value!r}"
        )


@attrs.frozen(kw_only=True, repr=False)
class RetryPolicy:
    """When a failed Push call is sent again.

    Push POSTs are not idempotent: a retry could publish twice. So only failures that prove
    nothing was processed are retried: connect failures, 429, and 503 carrying Retry-After.
    Read timeouts and disconnects after sending are never retried.
    """

    __repr__ = fields_repr

    max_retries: int = attrs.field(default=2, validator=check_retries)
    backoff_initial: float = attrs.field(default=0.5, validator=check_delay)
    backoff_max: float = attrs.field(default=8.0, validator=check_delay)
    # A Retry-After longer than this is not waited for: the RateLimitError is raised instead.
    max_retry_after: float = attrs.field(default=60.0, validator=check_delay)

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
