"""Logs, hooks and response metadata around each call, for Push and X.

Written once; the sync twin is generated. Every check that nothing secret shows searches the
whole output for the identity token, the private key and the Authorization value.
"""

from __future__ import annotations

import base64
import logging
import pickle
from typing import Any

import pytest

from oneall_push import (
    AsyncMockTransport,
    AsyncOneAll,
    Credentials,
    Hooks,
    Request,
    RequestEvent,
    Response,
    ResponseEvent,
    RetryEvent,
)
from oneall_push.errors import (
    BadRequestError,
    ConfigurationError,
    OutcomeUnknownError,
    ResponseDecodeError,
)
from oneall_push.xmedia import AsyncXMedia
from tests.support.samples import answer_for, envelope, json_response
from tests.support.x_tokens import X_TOKEN

from .conftest import PRIVATE_KEY, PUBLIC_KEY, ClientFactory

TOKEN = "idtok-5e1f-77c2-SECRET"
ROUTE = "/push/identities/<identity_token>/twitter/post.json"
AUTHORIZATION = base64.b64encode(f"{PUBLIC_KEY}:{PRIVATE_KEY}".encode()).decode()
SECRETS = (TOKEN, PRIVATE_KEY, AUTHORIZATION, X_TOKEN)


def busy_then_ok(busy: int = 1) -> Any:
    """503 with Retry-After ``busy`` times, then a published tweet with a request id."""
    answered = answer_for("PostResult")
    calls: list[int] = []

    def handler(request: Request) -> Response:
        calls.append(1)
        if len(calls) <= busy:
            return Response(503, {"retry-after": "0"}, b"busy")
        ok: Response = answered(request)
        return Response(200, {**ok.headers, "x-request-id": f"req-{len(calls)}"}, ok.body)

    return handler


def all_text(records: list[logging.LogRecord]) -> str:
    return "\n".join(f"{r.getMessage()} {r.__dict__!r}" for r in records)


def assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


async def test_each_attempt_is_one_debug_record_with_its_fields(
    make_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_client(busy_then_ok())
    with caplog.at_level(logging.DEBUG, logger="oneall_push"):
        await client.twitter.publish_tweet(TOKEN, message="hi")
    attempts = [r for r in caplog.records if r.levelno == logging.DEBUG and hasattr(r, "decision")]
    assert [(r.status, r.attempt, r.decision) for r in attempts] == [  # type: ignore[attr-defined]
        (503, 1, "retry"),
        (200, 2, "done"),
    ]
    for record in attempts:
        fields = record.__dict__
        assert fields["endpoint"] == "twitter.publish_tweet"
        assert fields["method"] == "POST"
        assert fields["route"] == ROUTE
        assert fields["product"] == "oneall"
        assert isinstance(fields["duration_ms"], float) and fields["duration_ms"] >= 0
    assert attempts[0].__dict__["retry_delay"] == 0.0
    [retry] = [r for r in caplog.records if r.levelno == logging.INFO]
    assert retry.__dict__["decision"] == "retry" and retry.__dict__["attempt"] == 1
    assert_no_secret(all_text(caplog.records))


async def test_an_unknown_outcome_is_a_warning(
    make_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    def lost(request: Request) -> Response | BaseException:
        return OutcomeUnknownError("timed out waiting", endpoint=request.endpoint)

    client = make_client(lost)
    with (
        caplog.at_level(logging.DEBUG, logger="oneall_push"),
        pytest.raises(OutcomeUnknownError),
    ):
        await client.twitter.publish_tweet(TOKEN, message="hi")
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert "outcome unknown" in warning.getMessage()
    assert warning.__dict__["error_type"] == "OutcomeUnknownError"
    assert warning.__dict__["route"] == ROUTE
    assert_no_secret(all_text(caplog.records))


async def test_quiet_by_default_no_debug_record(
    make_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_client(answer_for("PostResult"))
    with caplog.at_level(logging.INFO, logger="oneall_push"):
        await client.twitter.publish_tweet(TOKEN, message="hi")
    assert caplog.records == []


async def test_hooks_see_every_attempt_in_order(make_client: ClientFactory) -> None:
    seen: list[tuple[str, Any]] = []
    hooks = Hooks(
        on_request=lambda e: seen.append(("request", e)),
        on_response=lambda e: seen.append(("response", e)),
        on_retry=lambda e: seen.append(("retry", e)),
    )
    client = make_client(busy_then_ok(), hooks=hooks)
    await client.twitter.publish_tweet(TOKEN, message="hi")
    assert [(kind, event.attempt) for kind, event in seen] == [
        ("request", 1),
        ("response", 1),
        ("retry", 1),
        ("request", 2),
        ("response", 2),
    ]
    request, response, retry = seen[0][1], seen[1][1], seen[2][1]
    assert isinstance(request, RequestEvent)
    assert (request.product, request.endpoint, request.method, request.route) == (
        "oneall",
        "twitter.publish_tweet",
        "POST",
        ROUTE,
    )
    assert isinstance(response, ResponseEvent) and response.status == 503
    assert response.headers["retry-after"] == "0" and response.elapsed >= 0
    assert isinstance(retry, RetryEvent)
    assert (retry.reason, retry.delay) == ("HTTP 503", 0.0)
    assert seen[4][1].status == 200
    assert_no_secret(repr(seen))


async def test_a_hook_that_raises_does_not_break_the_call(
    make_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(event: object) -> None:
        raise RuntimeError("hook bug")

    client = make_client(answer_for("PostResult"), hooks=Hooks(on_request=broken))
    with caplog.at_level(logging.WARNING, logger="oneall_push"):
        tweet = await client.twitter.publish_tweet(TOKEN, message="hi")
    assert tweet.post_id
    [logged] = caplog.records
    assert "hook on_request raised" in logged.getMessage()
    assert logged.exc_info is not None and "hook bug" in str(logged.exc_info[1])


async def test_a_hook_may_stop_the_call_when_asked(make_client: ClientFactory) -> None:
    def refuse(event: object) -> None:
        raise PermissionError("not now")

    transport = AsyncMockTransport(answer_for("PostResult"))
    client = make_client(transport=transport, hooks=Hooks(on_request=refuse, raise_errors=True))
    with pytest.raises(PermissionError):
        await client.twitter.publish_tweet(TOKEN, message="hi")
    assert transport.requests == []  # refused before anything was sent


@pytest.mark.parametrize(
    "bad",
    [
        {"on_request": "print"},
        {"on_response": 3},
        {"on_retry": object()},
        {"raise_errors": "yes"},
    ],
)
def test_hooks_are_checked_when_made(bad: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError, match=f"Hooks.{next(iter(bad))}"):
        Hooks(**bad)


@pytest.mark.parametrize("bad", [{"hooks": print}, {"tracing": "off"}])
def test_clients_check_hooks_and_tracing(bad: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        AsyncOneAll(subdomain="demo", public_key=PUBLIC_KEY, private_key=PRIVATE_KEY, **bad)
    with pytest.raises(ConfigurationError):
        AsyncXMedia(bearer_token=X_TOKEN, **bad)


async def test_results_keep_their_http_answer(make_client: ClientFactory) -> None:
    client = make_client(busy_then_ok())
    tweet = await client.twitter.publish_tweet(TOKEN, message="hi")
    assert tweet.http is not None
    assert tweet.http.status == 200
    assert tweet.http.header("X-Request-Id") == "req-2"
    assert tweet.http.attempt == 2
    assert tweet.http.elapsed >= 0
    # Not part of the result's value or its repr.
    assert "Response(" not in repr(tweet)


async def test_errors_keep_their_http_answer(make_client: ClientFactory) -> None:
    refused = json_response(
        envelope("/push", code=400, info="bad message"),
        status=400,
        headers={"x-request-id": "req-400"},
    )
    client = make_client(lambda request: refused)
    with pytest.raises(BadRequestError) as caught:
        await client.twitter.publish_tweet(TOKEN, message="hi")
    assert caught.value.http is not None
    assert caught.value.http.status == 400
    assert caught.value.http.header("x-request-id") == "req-400"

    garbled = make_client(lambda request: Response(200, {"x-request-id": "req-html"}, b"<html>"))
    with pytest.raises(ResponseDecodeError) as decoded:
        await garbled.twitter.publish_tweet(TOKEN, message="hi")
    assert decoded.value.http is not None
    assert decoded.value.http.header("x-request-id") == "req-html"


async def test_an_error_before_any_answer_has_no_http(make_client: ClientFactory) -> None:
    def lost(request: Request) -> Response | BaseException:
        return OutcomeUnknownError("broke", endpoint=request.endpoint)

    client = make_client(lost)
    with pytest.raises(OutcomeUnknownError) as caught:
        await client.twitter.publish_tweet(TOKEN, message="hi")
    assert caught.value.http is None


async def test_x_calls_are_observed_too(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[Any] = []
    answer = json_response({"data": {"id": "1880028106020515840", "media_key": "3_1"}})
    transport = AsyncMockTransport(lambda request: answer)
    x = AsyncXMedia(bearer_token=X_TOKEN, transport=transport, hooks=Hooks(on_request=seen.append))
    with caplog.at_level(logging.DEBUG, logger="oneall_push"):
        await x.finalize("1880028106020515840")
    await x.close()
    [event] = seen
    assert (event.product, event.endpoint, event.route) == (
        "x",
        "media.finalize",
        "/2/media/upload/{id}/finalize",
    )
    [record] = [r for r in caplog.records if hasattr(r, "decision")]
    assert record.__dict__["status"] == 200 and record.__dict__["product"] == "x"
    assert_no_secret(all_text(caplog.records))


def _reachable_text(root: object, depth: int = 4, skip: tuple[str, ...] = ()) -> str:
    """repr() of every attribute value reachable from ``root`` (what a debugger shows),
    except the root's attributes named in ``skip``."""
    texts: list[str] = []
    seen: set[int] = set()

    def visit(value: object, level: int) -> None:
        if id(value) in seen or level > depth:
            return
        seen.add(id(value))
        texts.append(repr(value))
        if isinstance(value, (str, bytes, int, float, bool)) or value is None:
            return
        if isinstance(value, dict):
            for item in value.values():
                visit(item, level + 1)
            return
        if isinstance(value, (list, tuple, set)):
            for item in value:
                visit(item, level + 1)
            return
        for name in getattr(value, "__dict__", {}):
            if not (value is root and name in skip):
                visit(getattr(value, name), level + 1)
        for cls in type(value).__mro__:
            for name in getattr(cls, "__slots__", ()):
                if hasattr(value, name):
                    visit(getattr(value, name), level + 1)

    visit(root, 0)
    return "\n".join(texts)


async def test_credentials_are_not_plain_attributes(make_client: ClientFactory) -> None:
    client = make_client(answer_for("PostResult"))
    await client.twitter.publish_tweet(TOKEN, message="hi")
    # The mock transport keeps every request it was given, by design: leave it out.
    text = _reachable_text(client, skip=("_transport",))
    assert PUBLIC_KEY in text  # the walk does reach the credentials
    assert PRIVATE_KEY not in text
    assert AUTHORIZATION not in text
    # Each request still carries the header.
    [sent] = client._transport.requests  # type: ignore[attr-defined]
    assert sent.headers["Authorization"] == f"Basic {AUTHORIZATION}"


def test_credentials_refuse_pickling_and_hide_the_key() -> None:
    credentials = Credentials(PUBLIC_KEY, PRIVATE_KEY)
    assert PRIVATE_KEY not in repr(credentials) + str(credentials.private_key)
    with pytest.raises(TypeError):
        pickle.dumps(credentials)
    with pytest.raises(ConfigurationError, match="private_key"):
        Credentials(PUBLIC_KEY, "")
