"""Regressions found by fuzzing (tests/test_fuzz.py): each once escaped the error tree."""

from __future__ import annotations

from typing import Any

import pytest

from oneall_push import OneAll, RetryPolicy, SyncMockTransport
from oneall_push._retry_after import MAX_RETRY_AFTER, parse_retry_after
from oneall_push.callbacks import CallbackConfig
from oneall_push.callbacks.signing import callback_url
from oneall_push.errors import ConfigurationError, RequestValidationError


def _client(**kwargs: Any) -> OneAll:
    kwargs.setdefault("subdomain", "demo")
    kwargs.setdefault("public_key", "pub")
    kwargs.setdefault("private_key", "priv")
    return OneAll(transport=SyncMockTransport(lambda request: ValueError()), **kwargs)


@pytest.mark.parametrize(
    ("base_url", "rule"),
    [
        ("http://[::1", "ASCII"),  # urlsplit raised ValueError
        ("http://example.com:99999", "ASCII"),  # so did .port
        ("http://example.com:0", "port"),
        ("http://example.com/?q=1", "query"),
        ("http://example.com/#frag", "query or fragment"),
        ("ftp://example.com", "absolute http"),
        ("http://exa mple.com", "spaces"),
        ("http://bücher.example", "ASCII"),
        (5, "absolute"),
    ],
)
def test_bad_base_urls_are_configuration_errors(base_url: Any, rule: str) -> None:
    with pytest.raises(ConfigurationError, match=rule):
        _client(base_url=base_url)


def test_credentials_in_a_base_url_are_refused_without_being_shown() -> None:
    with pytest.raises(ConfigurationError) as caught:
        _client(base_url="https://me:hunter2@example.com")
    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize("subdomain", ["bücher", "١٢٣", "-site", "site-", "a" * 64, "a.b", 7])
def test_subdomains_are_ascii_host_labels(subdomain: Any) -> None:
    with pytest.raises(ConfigurationError, match="subdomain"):
        _client(subdomain=subdomain)


@pytest.mark.parametrize("agent", ["bot\r\nX-Injected: 1", "bot\x00", "bot\u2603", 3])
def test_user_agents_must_fit_a_header(agent: Any) -> None:
    with pytest.raises(ConfigurationError, match="user_agent"):
        _client(user_agent=agent)


@pytest.mark.parametrize(
    "key", [{"private_key": "pr\ud800iv"}, {"public_key": "pub\n"}, {"private_key": 5}]
)
def test_credentials_must_fit_a_header(key: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):  # a lone surrogate raised UnicodeEncodeError
        _client(**key)


@pytest.mark.parametrize(
    "field",
    [
        {"max_retries": -1},  # attrs raised a bare ValueError
        {"max_retries": True},
        {"max_retries": 10**6},
        {"backoff_initial": float("nan")},
        {"backoff_max": float("inf")},
        {"max_retry_after": -1.0},
        {"backoff_initial": "1"},
    ],
)
def test_retry_policy_fields_are_checked(field: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError, match=f"RetryPolicy.{next(iter(field))}"):
        RetryPolicy(**field)


def test_a_retry_that_is_not_a_policy_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="retry"):
        _client(retry={"max_retries": 1})


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("٣", None),  # str.isdigit() took Arabic-Indic digits
        ("9" * 400, MAX_RETRY_AFTER),  # float() made it infinite
        ("Fri, 31 Dec 9999 23:59:59 GMT", MAX_RETRY_AFTER),
        ("-5", None),
        ("12", 12.0),
    ],
)
def test_retry_after_is_finite_and_ascii(header: str, expected: float | None) -> None:
    assert parse_retry_after(header, now=0.0) == expected


def test_a_signed_url_is_never_one_that_verify_refuses() -> None:
    config = CallbackConfig(public_url="https://example.com/cb", secret="s" * 32, ttl=600)
    with pytest.raises(ConfigurationError, match="out of range"):
        callback_url(config, "a" * 32, now=10.0**12)
    with pytest.raises(RequestValidationError, match="job_id"):
        callback_url(config, "bad id")


@pytest.mark.parametrize(
    "base_url", ["http://[::1", "https://x.example/?q=1", "https://u:p@x.example"]
)
def test_x_media_takes_the_same_base_url_check(base_url: str) -> None:
    from oneall_push.xmedia import SyncXMedia

    with pytest.raises(ConfigurationError, match="base_url"):
        SyncXMedia(bearer_token="token", base_url=base_url)
