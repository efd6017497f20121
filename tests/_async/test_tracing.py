"""OpenTelemetry spans, captured with the SDK's in-memory exporter. Written once; the sync twin
is generated."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence

import pytest
from opentelemetry import context as otel_context
from opentelemetry.trace import SpanKind, StatusCode

from oneall_push import AsyncMockTransport, Request, Response
from oneall_push.errors import BadRequestError, MediaUploadAbortedError, OutcomeUnknownError
from oneall_push.xmedia import AsyncXMedia
from tests.support.samples import answer_for, envelope, json_response
from tests.support.tracing import ReadableSpan, captured_spans
from tests.support.x_tokens import X_TOKEN

from .conftest import PRIVATE_KEY, PUBLIC_KEY, ClientFactory

TOKEN = "idtok-9c4b-SECRET-0a1d"
ROUTE = "/push/identities/<identity_token>/twitter/post.json"
SECRETS = (
    TOKEN,
    PRIVATE_KEY,
    base64.b64encode(f"{PUBLIC_KEY}:{PRIVATE_KEY}".encode()).decode(),
    X_TOKEN,
)
MEDIA_ID = "1880028106020515840"


def assert_no_secret(spans: Sequence[ReadableSpan]) -> None:
    text = "\n".join(span.to_json() for span in spans)
    for secret in SECRETS:
        assert secret not in text


async def test_one_span_per_call_with_an_event_per_attempt(make_client: ClientFactory) -> None:
    spans = captured_spans()
    answered = answer_for("PostResult")
    calls: list[int] = []

    def busy_once(request: Request) -> Response:
        calls.append(1)
        return Response(503, {"retry-after": "0"}, b"") if len(calls) == 1 else answered(request)

    client = make_client(busy_once)
    await client.twitter.publish_tweet(TOKEN, message="traced")
    [span] = spans.get_finished_spans()
    assert span.name == "oneall twitter.publish_tweet"
    assert span.kind is SpanKind.CLIENT
    attributes = dict(span.attributes or {})
    assert attributes["http.request.method"] == "POST"
    assert attributes["url.template"] == ROUTE
    assert attributes["server.address"] == "demo.api.oneall.com"
    assert attributes["server.port"] == 443
    assert attributes["http.response.status_code"] == 200
    assert attributes["oneall_push.attempts"] == 2
    assert attributes["http.request.resend_count"] == 1
    assert "error.type" not in attributes
    assert [(e.name, dict(e.attributes or {})["decision"]) for e in span.events] == [
        ("attempt", "retry"),
        ("attempt", "done"),
    ]
    assert [dict(e.attributes or {})["http.response.status_code"] for e in span.events] == [
        503,
        200,
    ]
    assert span.status.status_code is not StatusCode.ERROR
    assert_no_secret([span])


async def test_a_failed_call_records_its_error_type(make_client: ClientFactory) -> None:
    spans = captured_spans()
    refused = json_response(envelope("/push", code=400, info="no"), status=400)
    client = make_client(lambda request: refused)
    with pytest.raises(BadRequestError):
        await client.twitter.publish_tweet(TOKEN, message="refused")
    [span] = spans.get_finished_spans()
    assert dict(span.attributes or {})["error.type"] == "BadRequestError"
    assert dict(span.attributes or {})["http.response.status_code"] == 400
    assert span.status.status_code is StatusCode.ERROR
    assert_no_secret([span])


async def test_an_unknown_outcome_ends_its_span_too(make_client: ClientFactory) -> None:
    spans = captured_spans()

    def lost(request: Request) -> Response | BaseException:
        return OutcomeUnknownError("broke", endpoint=request.endpoint)

    client = make_client(lost)
    with pytest.raises(OutcomeUnknownError):
        await client.twitter.publish_tweet(TOKEN, message="lost")
    [span] = spans.get_finished_spans()
    assert dict(span.attributes or {})["error.type"] == "OutcomeUnknownError"
    [event] = span.events
    assert dict(event.attributes or {})["decision"] == "raise"


async def test_http_instrumentation_is_quiet_inside_a_call(make_client: ClientFactory) -> None:
    """Generic aiohttp/urllib3 instrumentation would record the URL, token included."""
    captured_spans()
    quiet: list[object] = []
    answered = answer_for("PostResult")

    def handler(request: Request) -> Response:
        key = otel_context._SUPPRESS_HTTP_INSTRUMENTATION_KEY
        quiet.append(otel_context.get_value(key))
        result: Response = answered(request)
        return result

    client = make_client(handler)
    await client.twitter.publish_tweet(TOKEN, message="quiet")
    assert quiet == [True]
    # Only inside the call: the caller's context is as it was.
    assert otel_context.get_value(otel_context._SUPPRESS_HTTP_INSTRUMENTATION_KEY) is None


async def test_tracing_off_makes_no_span(make_client: ClientFactory) -> None:
    spans = captured_spans()
    client = make_client(answer_for("PostResult"), tracing=False)
    await client.twitter.publish_tweet(TOKEN, message="untraced")
    assert spans.get_finished_spans() == ()


async def test_x_calls_have_spans_named_by_endpoint() -> None:
    spans = captured_spans()
    answer = json_response({"data": {"id": MEDIA_ID, "media_key": "3_1"}})
    async with AsyncXMedia(
        bearer_token=X_TOKEN, transport=AsyncMockTransport(lambda request: answer)
    ) as x:
        await x.finalize(MEDIA_ID)
    [span] = spans.get_finished_spans()
    assert span.name == "x media.finalize"
    attributes = dict(span.attributes or {})
    assert attributes["url.template"] == "/2/media/upload/{id}/finalize"
    assert attributes["server.address"] == "api.x.com"
    assert MEDIA_ID not in json.dumps(dict(attributes))
    assert_no_secret([span])


def _x_upload_handler(request: Request) -> Response:
    if request.endpoint == "media.initialize":
        return json_response({"data": {"id": MEDIA_ID, "expires_after_secs": 3600}})
    if request.endpoint == "media.append":
        return Response(204, {}, b"")
    return json_response({"data": {"id": MEDIA_ID, "media_key": "3_1", "size": 3000}})


async def test_an_upload_is_one_span_over_its_calls() -> None:
    spans = captured_spans()
    async with AsyncXMedia(
        bearer_token=X_TOKEN,
        transport=AsyncMockTransport(_x_upload_handler),
        chunk_size=1024,
    ) as x:
        await x.upload(b"\x89PNG\r\n\x1a\n" + bytes(2992), media_category="tweet_image")
    finished = spans.get_finished_spans()
    [upload] = [span for span in finished if span.name == "x media.upload"]
    attributes = dict(upload.attributes or {})
    assert attributes["oneall_push.upload.bytes"] == 3000
    assert attributes["oneall_push.upload.segments"] == 3
    assert attributes["oneall_push.upload.chunk_size"] == 1024
    assert attributes["oneall_push.upload.media_type"] == "image/png"
    assert upload.kind is SpanKind.INTERNAL
    children = [span for span in finished if span is not upload]
    assert sorted(span.name for span in children) == [
        "x media.append",
        "x media.append",
        "x media.append",
        "x media.finalize",
        "x media.initialize",
    ]
    assert upload.context is not None
    for child in children:
        assert child.parent is not None
        assert child.parent.span_id == upload.context.span_id
    assert_no_secret(finished)


async def test_a_failed_upload_span_carries_the_error_type() -> None:
    spans = captured_spans()

    def refuse_appends(request: Request) -> Response:
        if request.endpoint == "media.append":
            return json_response({"title": "Invalid Request", "detail": "no"}, status=400)
        return _x_upload_handler(request)

    x = AsyncXMedia(
        bearer_token=X_TOKEN, transport=AsyncMockTransport(refuse_appends), chunk_size=1024
    )
    try:
        with pytest.raises(MediaUploadAbortedError):
            await x.upload(b"\x89PNG\r\n\x1a\n" + bytes(2992), media_category="tweet_image")
    finally:
        await x.close()
    [upload] = [s for s in spans.get_finished_spans() if s.name == "x media.upload"]
    assert dict(upload.attributes or {})["error.type"] == "MediaUploadAbortedError"
    assert upload.status.status_code is StatusCode.ERROR


async def test_an_upload_without_tracing_makes_no_span() -> None:
    spans = captured_spans()
    async with AsyncXMedia(
        bearer_token=X_TOKEN, transport=AsyncMockTransport(_x_upload_handler), tracing=False
    ) as x:
        await x.upload(b"\x89PNG\r\n\x1a\n" + bytes(100), media_category="tweet_image")
    assert spans.get_finished_spans() == ()
