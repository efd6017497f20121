"""Regressions found by fuzzing the X client (tests/test_fuzz_x.py): each once escaped the
error tree or turned a successful answer into an error."""

from __future__ import annotations

import json
from typing import Any

import pytest

from oneall_push._io import Response, SyncMockBackend, SyncMockTransport
from oneall_push._xmedia._wire import media_from_document, parse_document, parse_rate_limit
from oneall_push.errors import ConfigurationError, RequestValidationError
from oneall_push.x import Media, X, XRetryPolicy

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
MEDIA_ID = "1880028106020515840"


def _media(raw: str) -> Media:
    return media_from_document(json.loads(raw), status=200, endpoint="media.initialize")


def test_json_nested_thousands_deep_reads_as_not_json() -> None:
    # Deep enough to exceed the recursion limit on every supported Python (3.13 reads 3,000).
    assert parse_document(b"[" * 100_000 + b"]" * 100_000) is None  # was a RecursionError


@pytest.mark.parametrize("token", ["Infinity", "-Infinity", "NaN", "1e400", "9" * 400])
def test_odd_numbers_in_optional_media_fields_are_unknown(token: str) -> None:
    # int(Infinity) raised OverflowError; float(9...9) too.
    media = _media(
        f'{{"data": {{"id": "{MEDIA_ID}", "size": {token}, '
        f'"processing_info": {{"state": "pending", "check_after_secs": {token}}}}}}}'
    )
    assert media.id == MEDIA_ID
    assert media.processing_info is not None
    check = media.processing_info.check_after_secs
    assert check is None


@pytest.mark.parametrize("value", ["true", "-5", "86401"])
def test_check_after_secs_outside_a_day_is_unknown(value: str) -> None:
    media = _media(
        f'{{"data": {{"id": "{MEDIA_ID}", "processing_info": '
        f'{{"state": "in_progress", "check_after_secs": {value}}}}}}}'
    )
    assert media.processing_info is not None
    assert media.processing_info.check_after_secs is None


@pytest.mark.parametrize(
    ("value", "kept"), [("0", None), ("-1", None), ("9" * 40, None), ("86400", 86400)]
)
def test_session_lifetimes_are_positive_and_bounded(value: str, kept: int | None) -> None:
    # expires_after_secs 0 failed a healthy upload as "session expired"; a huge one overflowed.
    assert (
        _media(
            f'{{"data": {{"id": "{MEDIA_ID}", "expires_after_secs": {value}}}}}'
        ).expires_after_secs
        == kept
    )


@pytest.mark.parametrize("expires", ["0", "9" * 400])
def test_an_upload_survives_an_odd_session_lifetime(expires: str) -> None:
    body = f'{{"data": {{"id": "{MEDIA_ID}", "expires_after_secs": {expires}}}}}'.encode()
    answer = Response(200, {"content-type": "application/json"}, body)
    with X(
        bearer_token="fuzz-bearer-token-0123456789",
        transport=SyncMockTransport(lambda request: answer),
        backend=SyncMockBackend(),
    ) as x:
        media = x.media.upload(PNG, media_type="image/png")
    assert media.id == MEDIA_ID


def test_rate_limit_headers_with_non_ascii_digits_are_unknown() -> None:
    # int() reads Arabic-Indic digits as a number: a garbled header must not become a wait.
    zero, seventeen = "\u0660", "\u0661\u0667"
    info = parse_rate_limit(
        {"x-rate-limit-remaining": zero, "x-rate-limit-reset": seventeen + zero * 8}
    )
    assert info is None  # no window readable: no wait computed from it
    info = parse_rate_limit({"x-rate-limit-remaining": zero, "x-rate-limit-reset": "1700000000"})
    assert info is not None
    assert info.remaining is None and info.reset == 1700000000


@pytest.mark.parametrize("field", ["backoff_initial", "backoff_max", "max_rate_limit_wait"])
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -1.0, "5", True, 10**9])
def test_x_retry_policy_numbers_are_configuration_errors(field: str, bad: Any) -> None:
    with pytest.raises(ConfigurationError, match=rf"XRetryPolicy\.{field}"):
        XRetryPolicy(**{field: bad})


@pytest.mark.parametrize("bad", [-1, 101, 2.0, True, "3"])
def test_x_retry_policy_counts_are_configuration_errors(bad: Any) -> None:
    with pytest.raises(ConfigurationError, match=r"XRetryPolicy\.max_retries"):
        XRetryPolicy(max_retries=bad)


@pytest.mark.parametrize(
    ("field", "value"),
    [("media_type", []), ("media_category", {}), ("target", ["tweet"])],
)
def test_unhashable_choices_are_validation_errors(field: str, value: Any) -> None:
    # A list as media_type raised TypeError (unhashable) from the set lookup.
    with (
        X(
            bearer_token="fuzz-bearer-token-0123456789",
            transport=SyncMockTransport(lambda request: Response(500, {}, b"")),
            backend=SyncMockBackend(),
        ) as x,
        pytest.raises(RequestValidationError) as raised,
    ):
        x.media.upload(PNG, **{field: value})
    assert raised.value.field == field
