"""Property-based fuzzing: whatever a caller passes or a server sends, the library answers with
a result or an error from ``oneall_push.errors``, never a bare Python exception.

The default run uses a fixed seed and few examples; ``HYPOTHESIS_PROFILE=long`` (``nox -s
fuzz``) searches far longer. Findings stay as explicit regression tests in ``test_hardening.py``.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import warnings
from collections.abc import Callable
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oneall_push import (
    ENDPOINTS,
    AsyncJob,
    AsyncMockTransport,
    AsyncOneAll,
    OneAll,
    Request,
    Response,
    RetryPolicy,
    SyncJob,
    SyncMockTransport,
    Timeout,
)
from oneall_push._dates import parse_date
from oneall_push._retry_after import parse_retry_after
from oneall_push.callbacks import CallbackConfig
from oneall_push.callbacks.outcome import parse_callback_body
from oneall_push.callbacks.signing import callback_url, verify
from oneall_push.errors import OneAllPushError
from oneall_push.models.results import Result
from tests.support.samples import RESULT_DATA, envelope, json_response

settings.register_profile(
    "default",
    derandomize=True,
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "long", max_examples=3000, deadline=None, suppress_health_check=list(HealthCheck)
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# Text as hostile as Python allows: control characters, lone surrogates, non-ASCII digits.
hostile_text = st.text(
    alphabet=st.characters(codec=None, exclude_categories=()), min_size=0, max_size=40
) | st.sampled_from(
    ["", " ", "\x00", "\ud800", "١٢٣", "\U0001d7e1", "http://", "https://[::1", "..", "."]
)
numbers = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
)
leaves = st.one_of(st.none(), hostile_text, numbers, st.binary(max_size=8))
anything = st.recursive(
    leaves,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(hostile_text, inner, max_size=4)
        | st.tuples(inner)
    ),
    max_leaves=12,
)
json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**40), max_value=10**40),
        st.floats(allow_nan=False, allow_infinity=False),
        hostile_text,
    ),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(hostile_text, inner, max_size=4),
    max_leaves=16,
)


def _typed(call: Callable[[], Any]) -> Any:
    """Run ``call``; a OneAllPushError is an answer, anything else fails the property."""
    try:
        return call()
    except OneAllPushError as exc:
        return exc


def _success(request: Request) -> Response:
    return json_response(envelope("/push", data={"provider": "twitter", **_any_ids()}))


def _any_ids() -> dict[str, Any]:
    ids: dict[str, Any] = {}
    for data in RESULT_DATA.values():
        ids.update(data)
    return ids


def _sync_client(**kwargs: Any) -> OneAll:
    kwargs.setdefault("transport", SyncMockTransport(_success))
    return OneAll(subdomain="demo", public_key="pub", private_key="priv", **kwargs)


def _endpoint_calls() -> st.SearchStrategy[tuple[str, list[Any], dict[str, Any]]]:
    def for_endpoint(index: int) -> st.SearchStrategy[tuple[str, list[Any], dict[str, Any]]]:
        endpoint = ENDPOINTS[index]
        fields = attrs.fields(endpoint.request)
        # The signature's own rules (a required keyword, the number of path parameters) are
        # the type checker's business: every call here has them, with any values at all.
        required = {a.name: anything for a in fields if a.default is attrs.NOTHING}
        optional = {a.name: anything for a in fields if a.default is not attrs.NOTHING}
        kwargs = st.fixed_dictionaries(required, optional=optional)
        count = len(endpoint.path_params)
        params = st.lists(hostile_text, min_size=count, max_size=count)
        return st.tuples(st.just(endpoint.id), params, kwargs)

    return st.integers(min_value=0, max_value=len(ENDPOINTS) - 1).flatmap(for_endpoint)


def _method(client: Any, endpoint_id: str) -> Any:
    group, name = endpoint_id.split(".")
    return getattr(getattr(client, group), name)


@given(_endpoint_calls(), st.one_of(st.none(), st.dictionaries(hostile_text, anything)))
def test_every_sync_method_takes_anything(
    call: tuple[str, list[Any], dict[str, Any]], extra: dict[str, Any] | None
) -> None:
    endpoint_id, params, kwargs = call
    with warnings.catch_warnings(), _sync_client() as client:
        warnings.simplefilter("ignore", DeprecationWarning)  # the facebook.*_user_* rows
        outcome = _typed(
            lambda: _method(client, endpoint_id)(*params, extra_fields=extra, **kwargs)
        )
    assert isinstance(outcome, (Result, OneAllPushError, SyncJob))


@given(_endpoint_calls())
def test_every_async_method_takes_anything(call: tuple[str, list[Any], dict[str, Any]]) -> None:
    endpoint_id, params, kwargs = call

    async def run() -> Any:
        async with AsyncOneAll(
            subdomain="demo",
            public_key="pub",
            private_key="priv",
            transport=AsyncMockTransport(_success),
        ) as client:
            try:
                return await _method(client, endpoint_id)(*params, **kwargs)
            except OneAllPushError as exc:
                return exc

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        outcome = asyncio.run(run())
    assert isinstance(outcome, (Result, OneAllPushError, AsyncJob))


@given(
    subdomain=st.one_of(st.none(), hostile_text),
    base_url=st.one_of(
        st.none(), hostile_text, st.sampled_from(["http://h:99999", "http://u@h/?q#f"])
    ),
    user_agent=st.one_of(st.none(), hostile_text),
    public_key=hostile_text,
    private_key=hostile_text,
    timeout=st.one_of(st.none(), numbers),
    retry=st.one_of(st.none(), st.builds(lambda *a: a, numbers, numbers, numbers, numbers)),
)
def test_client_construction_takes_anything(
    subdomain: Any,
    base_url: Any,
    user_agent: Any,
    public_key: Any,
    private_key: Any,
    timeout: Any,
    retry: Any,
) -> None:
    def build() -> Any:
        policy = None
        if retry is not None:
            policy = RetryPolicy(
                max_retries=retry[0],
                backoff_initial=retry[1],
                backoff_max=retry[2],
                max_retry_after=retry[3],
            )
        client = OneAll(
            subdomain=subdomain,
            base_url=base_url,
            user_agent=user_agent,
            public_key=public_key,
            private_key=private_key,
            timeout=timeout,
            retry=policy,
            transport=SyncMockTransport(_success),
        )
        with client:
            return client.twitter.publish_tweet("tok", message="hi")

    outcome = _typed(build)
    assert isinstance(outcome, (Result, OneAllPushError))


statuses = st.integers(min_value=100, max_value=599) | st.sampled_from([0, 99, 600, 10**6])
header_values = hostile_text | st.sampled_from(["1e400", "-5", "99999999999999999999", "NaN"])


@given(
    status=statuses,
    body=st.one_of(
        st.binary(max_size=64),
        json_values.map(lambda v: json.dumps(v).encode()),
        st.builds(
            lambda data, code: json.dumps(envelope("/push", code=code, data=data)).encode(),
            st.dictionaries(st.sampled_from([*sorted(_any_ids()), "date_creation"]), json_values),
            statuses,
        ),
        st.integers(min_value=1000, max_value=3000).map(lambda n: b"[" * n + b"]" * n),
    ),
    retry_after=st.one_of(st.none(), header_values),
)
def test_any_answer_is_a_result_or_a_typed_error(
    status: int, body: bytes, retry_after: str | None
) -> None:
    headers = {"content-type": "application/json"}
    if retry_after is not None:
        headers["retry-after"] = retry_after
    answer = Response(status, headers, body)
    client = _sync_client(
        transport=SyncMockTransport(lambda request: answer),
        retry=RetryPolicy(max_retries=1, backoff_initial=0.0, backoff_max=0.0, max_retry_after=0.0),
    )
    with client:
        outcome = _typed(lambda: client.twitter.publish_tweet("tok", message="hi"))
    assert isinstance(outcome, (Result, OneAllPushError))


@given(st.one_of(st.none(), header_values))
def test_retry_after_is_a_finite_delay_or_none(value: str | None) -> None:
    delay = parse_retry_after(value)
    assert delay is None or (math.isfinite(delay) and delay >= 0)


@given(st.one_of(st.none(), hostile_text, numbers))
def test_dates_parse_or_are_refused_with_value_error(value: Any) -> None:
    try:
        parsed = parse_date(value)
    except ValueError:
        return
    assert parsed is None or parsed.tzinfo is not None


@given(
    body=st.one_of(
        st.binary(max_size=64),
        json_values.map(lambda v: json.dumps(v).encode()),
        st.builds(
            lambda data, code: json.dumps(envelope("/callback", code=code, data=data)).encode(),
            st.dictionaries(st.sampled_from(["video_id", "date_creation", "post_id"]), json_values),
            statuses,
        ),
    ),
    endpoint=st.one_of(st.none(), st.sampled_from([e.id for e in ENDPOINTS]), hostile_text),
)
def test_callback_bodies_parse_or_are_malformed(body: bytes, endpoint: str | None) -> None:
    outcome = _typed(lambda: parse_callback_body(body, endpoint_id=endpoint))
    assert isinstance(outcome, OneAllPushError) or outcome.status >= 100


SECRET = "fuzz-secret-0123456789abcdef0123"


@given(
    job_id=hostile_text,
    query=st.one_of(
        hostile_text,
        st.dictionaries(
            st.sampled_from(["exp", "sig", "x"]), hostile_text | st.lists(hostile_text)
        ),
    ),
)
def test_signed_callback_urls_verify_or_are_refused(job_id: str, query: Any) -> None:
    config = CallbackConfig(public_url="https://example.com/cb", secret=SECRET)
    outcome = _typed(lambda: verify(config, job_id, query))
    assert outcome is None or isinstance(outcome, OneAllPushError)


@given(st.integers(min_value=0, max_value=2**40))
def test_a_signed_url_verifies_until_it_expires(now: int) -> None:
    config = CallbackConfig(public_url="https://example.com/cb", secret=SECRET, ttl=600)
    made = _typed(lambda: callback_url(config, "a" * 32, now=float(now)))
    if isinstance(made, OneAllPushError):
        assert now + 600 >= 10**12  # only past what verify() reads (the year 33658)
        return
    url: str = made
    query = url.split("?", 1)[1]
    job_id = url.split("?", 1)[0].rsplit("/", 1)[1]
    verify(config, job_id, query, now=float(now))  # raises when refused
    refused = _typed(lambda: verify(config, job_id, query, now=float(now) + 601))
    assert isinstance(refused, OneAllPushError)


def test_timeouts_refuse_odd_numbers() -> None:
    for bad in (float("nan"), float("inf"), -1, True, "5"):
        with pytest.raises(OneAllPushError):
            Timeout(connect=bad)
