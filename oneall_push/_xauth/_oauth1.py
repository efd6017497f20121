"""OAuth 1.0a (RFC 5849) HMAC-SHA1 request signing for X user-context calls.

Signed: the method, the base URL (path ids included) and the query parameters. Never signed:
JSON or multipart bodies (X, requests-oauthlib and x-ruby agree; multipart is not a parameter
source in RFC 5849 section 3.4.1.3).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from .._secret import Secret
from ..errors import ConfigurationError

__all__ = ["OAuth1", "oauth1_header", "percent_encode"]

_UNRESERVED = "-._~"  # with letters and digits: RFC 3986 section 2.3


def percent_encode(value: str) -> str:
    """RFC 3986 percent-encoding of UTF-8 text, as RFC 5849 section 3.6 requires."""
    return quote(value.encode("utf-8"), safe=_UNRESERVED)


def _base_url(url: str) -> tuple[str, list[tuple[str, str]]]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    if port is not None and not (
        (scheme == "http" and port == 80) or (scheme == "https" and port == 443)
    ):
        host = f"{host}:{port}"
    base = f"{scheme}://{host}{parts.path or '/'}"
    return base, parse_qsl(parts.query, keep_blank_values=True)


def oauth1_header(
    method: str,
    url: str,
    *,
    consumer_key: str,
    consumer_secret: str,
    token: str,
    token_secret: str,
    nonce: str,
    timestamp: str,
) -> str:
    """The ``Authorization`` value for one request: HMAC-SHA1 over the method, base URL and
    query parameters with the ``oauth_*`` ones."""
    oauth = {
        "oauth_consumer_key": consumer_key,
        "oauth_nonce": nonce,
        "oauth_signature_method": "HMAC-SHA1",
        "oauth_timestamp": timestamp,
        "oauth_token": token,
        "oauth_version": "1.0",
    }
    base, query = _base_url(url)
    pairs = sorted((percent_encode(k), percent_encode(v)) for k, v in [*query, *oauth.items()])
    normalized = "&".join(f"{k}={v}" for k, v in pairs)
    base_string = "&".join(
        (percent_encode(method.upper()), percent_encode(base), percent_encode(normalized))
    )
    key = f"{percent_encode(consumer_secret)}&{percent_encode(token_secret)}"
    digest = hmac.new(key.encode(), base_string.encode(), hashlib.sha1).digest()
    oauth["oauth_signature"] = base64.b64encode(digest).decode()
    return "OAuth " + ", ".join(
        f'{percent_encode(k)}="{percent_encode(v)}"' for k, v in sorted(oauth.items())
    )


def _key(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"{name} must be a non-empty string")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        # The value is not echoed: this error may be printed or logged.
        raise ConfigurationError(f"{name} holds a control character; nothing was sent")
    return value.strip()


class OAuth1:
    """OAuth 1.0a user context: the app's consumer key and secret with a user's access token
    and secret. Every attempt of every request is signed anew (fresh nonce and timestamp).

    The four values are kept in :class:`~oneall_push._secret.Secret` closures; ``repr`` shows
    none of them.
    """

    __slots__ = ("_clock", "_nonce", "_sign")

    def __init__(
        self,
        consumer_key: str,
        consumer_secret: str,
        access_token: str,
        access_token_secret: str,
        *,
        clock: Callable[[], float] = time.time,
        nonce: Callable[[], str] | None = None,
    ) -> None:
        ck = Secret(_key("consumer_key", consumer_key))
        cs = Secret(_key("consumer_secret", consumer_secret))
        at = Secret(_key("access_token", access_token))
        ats = Secret(_key("access_token_secret", access_token_secret))
        self._clock = clock
        self._nonce = nonce if nonce is not None else (lambda: secrets.token_hex(16))

        def sign(method: str, url: str, nonce: str, timestamp: str) -> str:
            return oauth1_header(
                method,
                url,
                consumer_key=ck.reveal(),
                consumer_secret=cs.reveal(),
                token=at.reveal(),
                token_secret=ats.reveal(),
                nonce=nonce,
                timestamp=timestamp,
            )

        self._sign = sign

    @classmethod
    def from_identity(cls, identity: Any, *, consumer_key: str, consumer_secret: str) -> OAuth1:
        """From a OneAll Twitter identity's ``accessToken`` (``key`` and ``secret``).

        Inferred, not verified: OneAll documents that a Twitter identity carries the user's
        OAuth 1.0a access token and secret; that they were issued to the consumer key given
        here (the app configured in OneAll) is the caller's to ensure.
        """
        token = _find(identity, "access_token", "accessToken")
        key = _find(token, "key")
        secret = _find(token, "secret")
        if not isinstance(key, str) or not isinstance(secret, str):
            raise ConfigurationError(
                "the identity carries no OAuth 1.0a access token (access_token.key / .secret)"
            )
        return cls(consumer_key, consumer_secret, key, secret)

    def headers(self, method: str, url: str) -> Mapping[str, str]:
        value = self._sign(method, url, self._nonce(), str(int(self._clock())))
        return {"Authorization": value}

    def __repr__(self) -> str:
        return "OAuth1(<redacted>)"

    def __reduce__(self) -> Any:
        raise TypeError("OAuth1 credentials cannot be pickled")


def _find(source: Any, *names: str) -> Any:
    for name in names:
        if isinstance(source, Mapping) and name in source:
            return source[name]
        if source is not None and hasattr(source, name):
            return getattr(source, name)
    return None
