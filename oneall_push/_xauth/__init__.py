"""X credentials, colour-free: app or user bearer tokens, OAuth 1.0a user keys, OAuth 2.0 user tokens.

Each supplies ``headers(method, url)`` for one attempt of one request; the clients call it again
for every retry, so an OAuth 1.0a signature always has a fresh nonce and timestamp.
"""

from __future__ import annotations

from ._oauth1 import OAuth1, oauth1_header, percent_encode
from ._tokens import (
    REFRESH_SKEW,
    BearerToken,
    OAuth2UserToken,
    TokenSet,
    TokenUpdateCallback,
    token_set_from,
)

__all__ = [
    "REFRESH_SKEW",
    "BearerToken",
    "OAuth1",
    "OAuth2UserToken",
    "TokenSet",
    "TokenUpdateCallback",
    "oauth1_header",
    "percent_encode",
    "token_set_from",
]
