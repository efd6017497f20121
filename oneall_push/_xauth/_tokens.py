"""Bearer credentials: an app or user bearer token, and an OAuth 2.0 user token that refreshes."""

from __future__ import annotations

import base64
import logging
import re
import threading
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote, urlencode

import attrs

from .._secret import Secret, sealed_headers
from ..errors import ConfigurationError

__all__ = [
    "REFRESH_SKEW",
    "BearerToken",
    "OAuth2UserToken",
    "TokenSet",
    "TokenUpdateCallback",
    "token_set_from",
]

logger = logging.getLogger("oneall_push.x")

# Seconds before ``expires_at`` at which a call refreshes first: a token that expires while a
# request is in flight would be refused.
REFRESH_SKEW = 60.0

# RFC 6750 section 2.1 ``b64token``. Anything else (a control character, a space, non-ASCII)
# would be refused by the HTTP stack with the header, token included, in its error text.
_B64TOKEN = re.compile(r"\A[A-Za-z0-9._~+/-]+=*\Z")


def check_token(name: str, token: Any) -> str:
    if not isinstance(token, str) or not token.strip():
        raise ConfigurationError(f"{name} must be a non-empty string")
    token = token.strip()
    if not _B64TOKEN.match(token):
        # The token is not echoed: this error may be printed or logged.
        raise ConfigurationError(
            f"{name} holds a character a bearer token cannot have (RFC 6750 allows "
            "letters, digits, - . _ ~ + / and trailing =); nothing was sent"
        )
    return str(token)


class BearerToken:
    """An OAuth 2.0 bearer token: app-only, or a user's (``media.write`` for uploads,
    ``tweet.write`` for posts). Never shown in ``repr``."""

    __slots__ = ("_headers",)

    def __init__(self, token: str, *, _name: str = "token") -> None:
        self._headers = sealed_headers({"Authorization": f"Bearer {check_token(_name, token)}"})

    def headers(self, method: str, url: str) -> Mapping[str, str]:
        return self._headers()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(token=<redacted>)"

    def __reduce__(self) -> Any:
        raise TypeError("credentials cannot be pickled")


@attrs.frozen(repr=False)
class TokenSet:
    """What a refresh returned, handed to ``on_token_update`` to be stored: the new access
    token, the refresh token to use next time (X rotates it), and when the access token
    expires (unix seconds)."""

    access_token: str
    refresh_token: str | None
    expires_at: float | None
    scope: str | None = None

    def __repr__(self) -> str:
        return f"TokenSet(access_token=<redacted>, expires_at={self.expires_at!r})"


TokenUpdateCallback = Callable[[TokenSet], object]


class OAuth2UserToken:
    """An OAuth 2.0 user-context token (authorization code with PKCE).

    With ``refresh_token`` the clients refresh it shortly before ``expires_at`` (unix seconds)
    and once after a 401, one refresh at a time however many calls wait; X rotates refresh
    tokens, so ``on_token_update`` receives every new :class:`TokenSet` to persist. A public
    client sends ``client_id`` in the refresh body; with ``client_secret`` (a confidential
    client) it authenticates with HTTP Basic instead.
    """

    __slots__ = (
        "_access",
        "_client_secret",
        "_generation",
        "_guard",
        "_locks",
        "_refresh",
        "client_id",
        "expires_at",
        "on_token_update",
    )

    def __init__(
        self,
        client_id: str,
        access_token: str,
        refresh_token: str | None = None,
        expires_at: float | None = None,
        client_secret: str | None = None,
        on_token_update: TokenUpdateCallback | None = None,
    ) -> None:
        if not isinstance(client_id, str) or not client_id.strip():
            raise ConfigurationError("client_id must be a non-empty string")
        self.client_id = client_id.strip()
        self._access = BearerToken(access_token, _name="access_token")
        self._refresh = (
            None if refresh_token is None else Secret(check_token("refresh_token", refresh_token))
        )
        if expires_at is not None and (
            isinstance(expires_at, bool) or not isinstance(expires_at, (int, float))
        ):
            raise ConfigurationError("expires_at must be unix seconds (a number) or None")
        self.expires_at = None if expires_at is None else float(expires_at)
        if client_secret is not None and (not isinstance(client_secret, str) or not client_secret):
            raise ConfigurationError("client_secret must be a non-empty string or None")
        self._client_secret = None if client_secret is None else Secret(client_secret)
        if on_token_update is not None and not callable(on_token_update):
            raise ConfigurationError("on_token_update must be callable")
        self.on_token_update = on_token_update
        # Bumped by every refresh: a call that waited for the lock sees whether the token it
        # sent (or found due) was already replaced, and does not refresh it again.
        self._generation = 0
        self._guard = threading.Lock()
        self._locks: dict[object, Any] = {}

    @property
    def can_refresh(self) -> bool:
        return self._refresh is not None

    @property
    def confidential(self) -> bool:
        return self._client_secret is not None

    @property
    def generation(self) -> int:
        """How many times this credential was refreshed."""
        return self._generation

    def due(self, now: float, skew: float = REFRESH_SKEW) -> bool:
        """Whether the access token expires within ``skew`` seconds of ``now`` (and can be
        refreshed)."""
        return self.can_refresh and self.expires_at is not None and now >= self.expires_at - skew

    def headers(self, method: str, url: str) -> Mapping[str, str]:
        return self._access.headers(method, url)

    def flight_lock(self, backend: Any) -> Any:
        """The one lock refreshes of this credential take, per kind of backend (an async
        lock for the async half, a thread lock for the sync one), shared by every client
        that holds the credential."""
        key = getattr(type(backend), "lock", type(backend))
        with self._guard:
            lock = self._locks.get(key)
            if lock is None:
                lock = self._locks[key] = backend.lock()
            return lock

    def refresh_request(self) -> tuple[bytes, dict[str, str]]:
        """The form body and headers of ``POST /2/oauth2/token`` (grant ``refresh_token``)."""
        if self._refresh is None:
            raise ConfigurationError("this OAuth2UserToken has no refresh_token")
        form = {"grant_type": "refresh_token", "refresh_token": self._refresh.reveal()}
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if self._client_secret is None:
            form["client_id"] = self.client_id
        else:
            # RFC 6749 section 2.3.1: each part form-encoded, then Basic.
            pair = (
                f"{quote(self.client_id, safe='')}:{quote(self._client_secret.reveal(), safe='')}"
            )
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        return urlencode(form).encode(), headers

    def apply(self, tokens: TokenSet) -> None:
        """Take a refreshed set (access, rotated refresh, expiry), then hand it to
        ``on_token_update``; a callback that raises is logged and does not fail the call."""
        self._access = BearerToken(tokens.access_token, _name="access_token")
        if tokens.refresh_token is not None:
            self._refresh = Secret(check_token("refresh_token", tokens.refresh_token))
        self.expires_at = tokens.expires_at
        self._generation += 1
        if self.on_token_update is not None:
            try:
                self.on_token_update(tokens)
            except Exception as exc:
                # Only the type: the callback's message may quote the tokens.
                logger.warning(
                    "on_token_update raised %s; the refreshed token is in use but was not "
                    "persisted by the callback",
                    type(exc).__name__,
                )

    def redact(self, text: str) -> str:
        """``text`` with this credential's secrets, if it quotes any, replaced."""
        for secret in (self._refresh, self._client_secret):
            if secret is not None and secret.reveal() in text:
                text = text.replace(secret.reveal(), "<redacted>")
        return text

    def __repr__(self) -> str:
        return f"OAuth2UserToken(client_id={self.client_id!r}, token=<redacted>)"

    def __reduce__(self) -> Any:
        raise TypeError("credentials cannot be pickled")


def token_set_from(document: Any, *, now: float) -> TokenSet | None:
    """The token set of a token endpoint's 2xx JSON, or None when it carries no usable
    ``access_token``. ``expires_in`` (seconds) becomes ``expires_at`` from ``now``."""
    if not isinstance(document, Mapping):
        return None
    access = document.get("access_token")
    access = access.strip() if isinstance(access, str) else ""
    if not _B64TOKEN.match(access):
        return None
    refresh = document.get("refresh_token")
    if refresh is not None and (not isinstance(refresh, str) or not _B64TOKEN.match(refresh)):
        return None
    expires_in = document.get("expires_in")
    expires_at = None
    if isinstance(expires_in, (int, float)) and not isinstance(expires_in, bool):
        expires_at = now + float(expires_in)
    scope = document.get("scope")
    return TokenSet(
        access_token=access,
        refresh_token=refresh,
        expires_at=expires_at,
        scope=scope if isinstance(scope, str) else None,
    )
