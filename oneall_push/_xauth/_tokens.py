"""Bearer credentials: an app or user bearer token, and an OAuth 2.0 user token that refreshes."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from .._secret import Secret, sealed_headers
from ..errors import ConfigurationError

__all__ = ["BearerToken", "OAuth2UserToken", "TokenSet", "TokenUpdateCallback"]

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

    @property
    def can_refresh(self) -> bool:
        return self._refresh is not None

    @property
    def confidential(self) -> bool:
        return self._client_secret is not None

    def headers(self, method: str, url: str) -> Mapping[str, str]:
        return self._access.headers(method, url)

    def __repr__(self) -> str:
        return f"OAuth2UserToken(client_id={self.client_id!r}, token=<redacted>)"

    def __reduce__(self) -> Any:
        raise TypeError("credentials cannot be pickled")
