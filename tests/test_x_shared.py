"""Colour-free X pieces: OAuth 1.0a signing, credentials and rate-limit headers."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oneall_push._xauth import BearerToken, OAuth1, OAuth2UserToken, percent_encode
from oneall_push._xmedia._rate_limit import rate_limit_from_headers
from oneall_push.errors import ConfigurationError
from tests.support.oauth1_check import (
    ACCESS_TOKEN,
    ACCESS_TOKEN_SECRET,
    CONSUMER_KEY,
    CONSUMER_SECRET,
    check_signed,
)


def creds() -> OAuth1:
    return OAuth1(CONSUMER_KEY, CONSUMER_SECRET, ACCESS_TOKEN, ACCESS_TOKEN_SECRET)


@pytest.mark.parametrize(
    "url",
    [
        "https://api.x.com/2/tweets",
        "https://API.X.com:443/2/tweets/1880028106020515840",
        "http://127.0.0.1:8080/2/media/upload?media_id=1&command=STATUS",
        "https://api.x.com/2/users/search?query=caf%C3%A9%20%26%20%2B&max_results=10&a=",
        "https://api.x.com/2/x?b=2&a=2&a=1",
    ],
)
def test_signature_matches_oauthlib(url: str) -> None:
    for method in ("GET", "POST", "DELETE"):
        check_signed(method, url, creds().headers(method, url)["Authorization"])


@given(st.text(min_size=0, max_size=20), st.text(min_size=1, max_size=20))
def test_any_query_value_signs_like_oauthlib(key: str, value: str) -> None:
    url = f"https://api.x.com/2/q?{percent_encode(key or 'k')}={percent_encode(value)}"
    check_signed("GET", url, creds().headers("GET", url)["Authorization"])


def test_percent_encoding_is_rfc3986() -> None:
    assert percent_encode("a b+c~d*é") == "a%20b%2Bc~d%2A%C3%A9"


def test_credentials_never_show_their_secrets() -> None:
    for cred in (
        creds(),
        BearerToken("tok-SECRET-1"),
        OAuth2UserToken(
            "cid", "tok-SECRET-2", refresh_token="ref-SECRET-3", client_secret="cs-SECRET"
        ),
    ):
        assert "SECRET" not in repr(cred) and "SECRET" not in str(cred)
        assert "SECRET" not in repr(getattr(cred, "__dict__", {}))
        with pytest.raises(TypeError):
            pickle.dumps(cred)


def test_oauth1_refuses_empty_or_control_characters_without_echoing() -> None:
    with pytest.raises(ConfigurationError, match="consumer_secret"):
        OAuth1(CONSUMER_KEY, "", ACCESS_TOKEN, ACCESS_TOKEN_SECRET)
    with pytest.raises(ConfigurationError) as info:
        OAuth1(CONSUMER_KEY, CONSUMER_SECRET, "tok-SECRET\r\nX: 1", ACCESS_TOKEN_SECRET)
    assert "SECRET" not in str(info.value)


def test_from_identity_reads_the_access_token() -> None:
    identity = {"accessToken": {"key": ACCESS_TOKEN, "secret": ACCESS_TOKEN_SECRET}}
    cred = OAuth1.from_identity(
        identity, consumer_key=CONSUMER_KEY, consumer_secret=CONSUMER_SECRET
    )
    url = "https://api.x.com/2/tweets"
    check_signed("POST", url, cred.headers("POST", url)["Authorization"])
    with pytest.raises(ConfigurationError, match="access token"):
        OAuth1.from_identity({}, consumer_key=CONSUMER_KEY, consumer_secret=CONSUMER_SECRET)


def test_rate_limit_all_windows() -> None:
    info = rate_limit_from_headers(
        {
            "X-Rate-Limit-Limit": "100",
            "x-rate-limit-remaining": "7",
            "x-rate-limit-reset": "1700000900",
            "x-app-limit-24hour-limit": "10000",
            "x-app-limit-24hour-remaining": "9000",
            "x-app-limit-24hour-reset": "1700080000",
            "x-user-limit-24hour-remaining": "0",
        }
    )
    assert info is not None
    assert (info.limit, info.remaining, info.reset) == (100, 7, 1700000900)
    assert info.reset_at is not None and info.reset_at.year == 2023
    assert info.app_24h is not None and info.app_24h.limit == 10000
    assert info.user_24h is not None and info.user_24h.remaining == 0
    assert info.user_24h.reset is None
    assert rate_limit_from_headers({"content-type": "application/json"}) is None


@pytest.mark.parametrize("garbage", ["", "abc", "-1", "1.5", "٣", "9" * 40, " 12x"])
def test_rate_limit_garbage_is_none(garbage: str) -> None:
    info = rate_limit_from_headers(
        {"x-rate-limit-remaining": garbage, "x-rate-limit-reset": garbage}
    )
    assert info is not None and info.remaining is None and info.reset is None


def test_rate_limit_far_reset_has_no_datetime() -> None:
    info = rate_limit_from_headers({"x-rate-limit-reset": "999999999999999999"})
    assert info is not None and info.reset_at is None


@given(
    st.dictionaries(
        st.sampled_from(["x-rate-limit-reset", "x-app-limit-24hour-limit", "x"]), st.text()
    )
)
def test_rate_limit_never_raises(headers: dict[str, str]) -> None:
    info = rate_limit_from_headers(headers)
    if info is not None:
        _ = info.reset_at
