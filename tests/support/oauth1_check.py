"""OAuth 1.0a signatures checked by an independent implementation: oauthlib's functions."""

from __future__ import annotations

from types import SimpleNamespace
from urllib.parse import unquote, urlsplit

from oauthlib.oauth1.rfc5849 import signature as oauthlib_signature  # type: ignore[import-untyped]
from oauthlib.oauth1.rfc5849.utils import parse_authorization_header  # type: ignore[import-untyped]

CONSUMER_KEY = "ck-3f9a"
CONSUMER_SECRET = "cs-SECRET-a81c"
ACCESS_TOKEN = "1234-at-77d0"
ACCESS_TOKEN_SECRET = "ats-SECRET-e4b2"


def oauth_params(authorization: str) -> dict[str, str]:
    return {k: unquote(v) for k, v in parse_authorization_header(authorization)}


def expected_signature(method: str, url: str, authorization: str) -> str:
    """What oauthlib computes for this request (query and ``oauth_*`` parameters, no body)."""
    params = oauthlib_signature.collect_parameters(
        uri_query=urlsplit(url).query,
        headers={"Authorization": authorization},
        exclude_oauth_signature=True,
    )
    normalized = oauthlib_signature.normalize_parameters(params)
    base_uri = oauthlib_signature.base_string_uri(url)
    base = oauthlib_signature.signature_base_string(method, base_uri, normalized)
    client = SimpleNamespace(
        client_secret=CONSUMER_SECRET, resource_owner_secret=ACCESS_TOKEN_SECRET
    )
    return str(oauthlib_signature.sign_hmac_sha1_with_client(base, client))


def check_signed(method: str, url: str, authorization: str) -> dict[str, str]:
    """Assert the header is a valid HMAC-SHA1 signature; return its oauth parameters."""
    assert authorization.startswith("OAuth ")
    params = oauth_params(authorization)
    assert params["oauth_signature_method"] == "HMAC-SHA1"
    assert params["oauth_consumer_key"] == CONSUMER_KEY
    assert params["oauth_token"] == ACCESS_TOKEN
    assert params["oauth_signature"] == expected_signature(method, url, authorization)
    return params
