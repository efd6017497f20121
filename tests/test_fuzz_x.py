"""Property-based fuzzing of the X client: whatever a caller passes or X's side of the wire
sends (status, headers, body, processing state), the answer is a result or an error from
``oneall_push.errors``, never a bare Python exception, and an odd optional field in a
successful answer never turns the success into an error.

Same profiles as ``test_fuzz.py`` (fixed seed by default; ``HYPOTHESIS_PROFILE=long`` in
``nox -s fuzz`` searches longer). Findings stay as regression tests in
``test_hardening_x.py``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from oneall_push._io import Request, Response, SyncMockBackend, SyncMockTransport
from oneall_push._xmedia._rate_limit import rate_limit_from_headers
from oneall_push.errors import OneAllPushError
from oneall_push.x import Media, OAuth1, Poll, Post, X, XRetryPolicy
from tests.test_fuzz import anything, header_values, hostile_text, json_values, numbers

FAST = XRetryPolicy(max_retries=1, backoff_initial=0.0, backoff_max=0.0, max_rate_limit_wait=0.0)
TOKEN = "fuzz-bearer-token-0123456789"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _typed(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except OneAllPushError as exc:
        return exc


def _x(handler: Callable[[Request], Response], **kwargs: Any) -> X:
    kwargs.setdefault("retry", FAST)
    return X(
        bearer_token=TOKEN,
        transport=SyncMockTransport(handler),
        backend=SyncMockBackend(),
        **kwargs,
    )


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(
        status, {"content-type": "application/json", **(headers or {})}, json.dumps(body).encode()
    )


def _media_answer(media_id: str = "1880028106020515840", **extra: Any) -> dict[str, Any]:
    return {"data": {"id": media_id, "media_key": "3_" + media_id, **extra}}


def _well_behaved(request: Request) -> Response:
    """An X that accepts every media call (image, no processing) and every post."""
    if request.url.endswith("/2/tweets"):
        return _json(201, {"data": {"id": "1445880548472328192", "text": "hi"}})
    return _json(200, _media_answer())


statuses = st.integers(min_value=100, max_value=599) | st.sampled_from([0, 99, 600, 10**6])
rate_headers = st.dictionaries(
    st.sampled_from(
        [
            "x-rate-limit-limit",
            "x-rate-limit-remaining",
            "x-rate-limit-reset",
            "x-app-limit-24hour-reset",
            "x-user-limit-24hour-remaining",
            "retry-after",
        ]
    ),
    header_values,
    max_size=4,
)
bodies = st.one_of(
    st.binary(max_size=64),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.integers(min_value=1000, max_value=3000).map(lambda n: b"[" * n + b"]" * n),
    st.dictionaries(
        st.sampled_from(
            ["id", "media_key", "size", "expires_after_secs", "processing_info", "text"]
        ),
        json_values,
    ).map(lambda data: json.dumps({"data": data}).encode()),
    st.builds(
        lambda title, detail, kind: json.dumps(
            {"title": title, "detail": detail, "type": kind, "errors": [{"message": detail}]}
        ).encode(),
        json_values,
        json_values,
        st.one_of(json_values, st.just("https://api.twitter.com/2/problems/usage-capped")),
    ),
)


@given(status=statuses, body=bodies, headers=rate_headers)
def test_any_media_answer_is_media_or_a_typed_error(
    status: int, body: bytes, headers: dict[str, str]
) -> None:
    answer = Response(status, {"content-type": "application/json", **headers}, body)
    with _x(lambda request: answer) as x:
        outcome = _typed(lambda: x.media.upload(PNG, media_type="image/png"))
    assert isinstance(outcome, (Media, OneAllPushError))


@given(status=statuses, body=bodies, headers=rate_headers)
def test_any_post_answer_is_a_post_or_a_typed_error(
    status: int, body: bytes, headers: dict[str, str]
) -> None:
    answer = Response(status, {"content-type": "application/json", **headers}, body)
    with _x(lambda request: answer) as x:
        outcome = _typed(lambda: x.posts.create("hello"))
    assert isinstance(outcome, (Post, OneAllPushError))
    if isinstance(outcome, Post):
        assert isinstance(outcome.id, str) and outcome.id


# Python's json reads these tokens; X's answers may be cut or garbled into them.
odd_numbers = st.sampled_from(["NaN", "Infinity", "-Infinity", "1e400", "-1", "9" * 400, "true"])


@given(
    processing=st.dictionaries(
        st.sampled_from(["state", "check_after_secs", "progress_percent", "error"]),
        json_values | st.sampled_from(["pending", "in_progress", "succeeded", "failed"]),
    ),
    odd=st.one_of(
        st.none(), st.tuples(st.sampled_from(["check_after_secs", "progress_percent"]), odd_numbers)
    ),
)
def test_any_processing_info_ends_typed(
    processing: dict[str, Any], odd: tuple[str, str] | None
) -> None:
    body = json.dumps(_media_answer(processing_info=processing))
    if odd is not None:
        processing[odd[0]] = "@ODD@"
        body = json.dumps(_media_answer(processing_info=processing)).replace('"@ODD@"', odd[1])

    def handler(request: Request) -> Response:
        return Response(200, {"content-type": "application/json"}, body.encode())

    with _x(handler, processing_deadline=30.0) as x:
        outcome = _typed(lambda: x.media.upload(PNG, media_type="image/png"))
    assert isinstance(outcome, (Media, OneAllPushError))


@given(
    extra=st.dictionaries(
        st.sampled_from(["size", "expires_after_secs", "media_key", "image", "video"]),
        json_values | odd_numbers.map(lambda token: f"@{token}@"),
        min_size=1,
    )
)
def test_odd_optional_fields_never_spoil_a_successful_upload(extra: dict[str, Any]) -> None:
    body = json.dumps(_media_answer(**extra))
    for token in ["NaN", "Infinity", "-Infinity", "1e400", "-1", "9" * 400, "true"]:
        body = body.replace(f'"@{token}@"', token)

    def handler(request: Request) -> Response:
        return Response(200, {"content-type": "application/json"}, body.encode())

    with _x(handler) as x:
        outcome = _typed(lambda: x.media.upload(PNG, media_type="image/png"))
    assert isinstance(outcome, Media), outcome
    assert outcome.id == "1880028106020515840"


@given(
    extra=st.dictionaries(
        st.sampled_from(["text", "edit_history_tweet_ids", "created_at", "entities"]),
        json_values,
        min_size=1,
    )
)
def test_odd_optional_fields_never_spoil_a_successful_post(extra: dict[str, Any]) -> None:
    def handler(request: Request) -> Response:
        return _json(201, {"data": {"id": "1445880548472328192", **extra}})

    with _x(handler) as x:
        outcome = _typed(lambda: x.posts.create("hello"))
    assert isinstance(outcome, Post), outcome
    assert outcome.id == "1445880548472328192"


post_fields = st.fixed_dictionaries(
    {},
    optional={
        name: anything
        for name in (
            "media",
            "tagged_user_ids",
            "reply_to",
            "exclude_reply_user_ids",
            "quote_post_id",
            "reply_settings",
            "place_id",
            "community_id",
            "for_super_followers_only",
            "nullcast",
            "made_with_ai",
            "paid_partnership",
            "edit_of",
            "card_uri",
            "direct_message_deep_link",
            "share_with_followers",
            "processing_deadline",
        )
    },
)


@given(text=st.one_of(hostile_text, anything), fields=post_fields)
def test_posts_create_takes_anything(text: Any, fields: dict[str, Any]) -> None:
    with _x(_well_behaved) as x:
        outcome = _typed(lambda: x.posts.create(text, **fields))
    assert isinstance(outcome, (Post, OneAllPushError))


@given(options=anything, duration=st.one_of(numbers, anything))
def test_polls_take_anything(options: Any, duration: Any) -> None:
    outcome = _typed(lambda: Poll(options, duration))
    assert isinstance(outcome, (Poll, OneAllPushError))


@given(
    source=st.one_of(st.binary(max_size=32), anything),
    fields=st.fixed_dictionaries(
        {},
        optional={
            name: anything
            for name in (
                "media_type",
                "media_category",
                "target",
                "total_bytes",
                "additional_owners",
                "shared",
                "alt_text",
                "wait",
                "processing_deadline",
            )
        },
    ),
)
def test_upload_takes_anything(source: Any, fields: dict[str, Any]) -> None:
    with _x(_well_behaved) as x:
        outcome = _typed(lambda: x.media.upload(source, **fields))
    assert isinstance(outcome, (Media, OneAllPushError))


@given(
    settings=st.fixed_dictionaries(
        {},
        optional={
            "base_url": st.one_of(
                hostile_text, st.sampled_from(["http://h:99999", "http://u@h/?q#f", "ftp://h"])
            ),
            "bearer_token": st.one_of(hostile_text, anything),
            "timeout": st.one_of(numbers, anything),
            "chunk_size": st.one_of(numbers, anything),
            "max_chunk_size": numbers,
            "max_concurrency": st.one_of(numbers, anything),
            "processing_deadline": numbers,
            "min_poll_interval": numbers,
            "user_agent": st.one_of(hostile_text, anything),
            "proxy": st.one_of(hostile_text, st.sampled_from(["http://u:p@h:3128", "socks5://h"])),
        },
    ),
    retry=st.one_of(st.none(), st.tuples(numbers, numbers, numbers, numbers)),
)
def test_x_construction_takes_anything(settings: dict[str, Any], retry: Any) -> None:
    def build() -> Any:
        policy = FAST
        if retry is not None:
            policy = XRetryPolicy(
                max_retries=retry[0],
                backoff_initial=retry[1],
                backoff_max=retry[2],
                max_rate_limit_wait=retry[3],
            )
        token = settings.pop("bearer_token", TOKEN)
        with X(
            bearer_token=token,
            retry=policy,
            transport=SyncMockTransport(_well_behaved),
            backend=SyncMockBackend(),
            **settings,
        ) as x:
            return x.posts.create("hello")

    outcome = _typed(build)
    assert isinstance(outcome, (Post, OneAllPushError))


@given(parts=st.tuples(anything, anything, anything, anything))
def test_oauth1_credentials_take_anything(parts: tuple[Any, Any, Any, Any]) -> None:
    def sign() -> Any:
        return OAuth1(*parts).headers("POST", "https://api.x.com/2/tweets")

    outcome = _typed(sign)
    assert isinstance(outcome, OneAllPushError) or outcome["Authorization"].startswith("OAuth ")


@given(
    st.dictionaries(st.one_of(hostile_text, st.sampled_from(["X-Rate-Limit-Reset"])), header_values)
)
def test_rate_limit_headers_are_counts_or_none(headers: dict[str, str]) -> None:
    limits = rate_limit_from_headers(headers)
    if limits is None:
        return
    for value in (limits.limit, limits.remaining, limits.reset):
        assert value is None or (isinstance(value, int) and 0 <= value < 10**18)
    reset_at = limits.reset_at
    assert reset_at is None or reset_at.tzinfo is not None
