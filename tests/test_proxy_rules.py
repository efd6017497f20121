"""Which proxy a URL gets: the environment's variables, NO_PROXY, redaction (colour-free)."""

from __future__ import annotations

import pytest

from oneall_push._io._proxy import proxy_for, redact_proxy


@pytest.mark.parametrize(
    ("url", "no_proxy", "expected"),
    [
        ("https://api.x.com/2/media", "", "http://corp:3128"),
        ("http://mysite.api.oneall.com/push", "", "http://plain:8080"),
        ("https://api.x.com/2/media", "x.com", None),
        ("https://api.x.com/2/media", ".x.com", None),
        ("https://evilx.com/", "x.com", "http://corp:3128"),
        ("http://127.0.0.1:8080/", "127.0.0.1:8080", None),
        ("http://127.0.0.1:9090/", "127.0.0.1:8080", "http://plain:8080"),
        ("http://[::1]:80/", "::1", None),
        ("https://anything.example/", "*", None),
    ],
)
def test_the_environment_decides_per_url(
    monkeypatch: pytest.MonkeyPatch, url: str, no_proxy: str, expected: str | None
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://corp:3128")
    monkeypatch.setenv("HTTP_PROXY", "plain:8080")  # no scheme: http:// is meant
    monkeypatch.setenv("NO_PROXY", no_proxy)
    assert proxy_for(url, proxy=None, trust_env=True) == expected
    assert proxy_for(url, proxy=None, trust_env=False) is None
    assert proxy_for(url, proxy="http://given:1", trust_env=True) == "http://given:1"


def test_credentials_in_a_proxy_url_are_redacted() -> None:
    assert redact_proxy("http://me:s3cret@proxy:3128") == "http://me:***@proxy:3128"
    assert redact_proxy("http://proxy:3128") == "http://proxy:3128"
