"""Every table row, the wire format, validation, errors, retries and redaction (mock transport)."""

from __future__ import annotations

import base64
import datetime as dt
import logging
import warnings
from typing import Any

import attrs
import pytest

from oneall_push import (
    ENDPOINTS,
    AsyncMockBackend,
    AsyncMockTransport,
    AsyncOneAll,
    ConfigurationError,
    ConnectError,
    OutcomeUnknownError,
    PublishedButIncompleteError,
    RateLimitError,
    Request,
    RequestValidationError,
    Response,
    ResponseDecodeError,
    RetryPolicy,
    ServerError,
    Timeout,
    UnreadableSuccessError,
    errors,
    models,
)
from oneall_push.endpoints import Endpoint
from tests.support.samples import RESULT_DATA, SAMPLES, answer_for, body_of, envelope, json_response

from .conftest import PRIVATE_KEY, PUBLIC_KEY, ClientFactory

TOKEN = "923843ec-1749-4cc1-988f-d6963f3b1baa"


def sent(client: AsyncOneAll) -> list[Request]:
    transport = client._transport
    assert isinstance(transport, AsyncMockTransport)
    return transport.requests


def slept(client: AsyncOneAll) -> list[float]:
    backend = client._backend
    assert isinstance(backend, AsyncMockBackend)
    return backend.slept


async def call(client: AsyncOneAll, endpoint: Endpoint, **overrides: Any) -> Any:
    path_args, kwargs = SAMPLES[endpoint.id]
    method = getattr(getattr(client, endpoint.provider), endpoint.name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return await method(TOKEN, *path_args, **{**kwargs, **overrides})


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.id)
async def test_every_row_sends_the_documented_request(
    make_client: ClientFactory, endpoint: Endpoint
) -> None:
    result_name = "QueuedResult" if endpoint.async_callback else endpoint.result.__name__
    client = make_client(answer_for(result_name, provider=endpoint.provider))
    result = await call(client, endpoint)

    [request] = sent(client)
    path_args, kwargs = SAMPLES[endpoint.id]
    expected_path = endpoint.render_path(
        {"identity_token": TOKEN, **dict(zip(endpoint.path_params[1:], path_args, strict=True))}
    )
    assert request.method == "POST"
    assert request.url == "https://demo.api.oneall.com" + expected_path
    assert request.headers["Content-Type"] == "application/json"
    user, _, password = (
        base64.b64decode(request.headers["Authorization"][6:]).decode().partition(":")
    )
    assert (user, password) == (PUBLIC_KEY, PRIVATE_KEY)
    node = body_of(request)["request"]["push"]
    for key in endpoint.root:
        node = node[key]
    for name, value in kwargs.items():
        wire = attrs.fields_dict(endpoint.request)[name].metadata.get("wire", name)
        assert node[wire] == (list(value) if isinstance(value, list) else value)
    # Unset optional fields are not sent at all.
    assert set(node) == {
        attrs.fields_dict(endpoint.request)[n].metadata.get("wire", n) for n in kwargs
    }
    if endpoint.async_callback:
        assert result.queued.result.startswith("The video has been added")
    else:
        assert isinstance(result, endpoint.result)
        for key, value in RESULT_DATA[endpoint.result.__name__].items():
            if key != "date_creation":
                assert getattr(result, key) == value
            assert result.envelope.status.code == 200


async def test_extra_fields_are_merged_and_may_not_shadow_documented_ones(
    make_client: ClientFactory,
) -> None:
    client = make_client(answer_for("PinResult"))
    await client.pinterest.publish_pin(
        TOKEN, "b1", picture="https://e.com/p.jpg", extra_fields={"board": "me/recipes"}
    )
    assert body_of(sent(client)[0])["request"]["push"]["pin"]["board"] == "me/recipes"
    with pytest.raises(RequestValidationError) as info:
        await client.twitter.publish_tweet(TOKEN, message="x", extra_fields={"message": "y"})
    assert info.value.field == "extra_fields.message"
    assert len(sent(client)) == 1


async def test_ids_are_sent_as_strings_even_when_given_as_int(make_client: ClientFactory) -> None:
    client = make_client(answer_for("PostResult"))
    big = 10213097336001811  # above 2**53: a float would corrupt it
    await client.facebook.publish_page_post(TOKEN, id=4563453, message="m", attachments=[big])  # type: ignore[arg-type, list-item]
    node = body_of(sent(client)[0])["request"]["push"]["page"]
    assert node["id"] == "4563453"
    assert node["attachments"] == ["10213097336001811"]


INVALID: list[tuple[str, dict[str, Any], str, str]] = [
    ("twitter.publish_tweet", {"message": ""}, "message", "blank"),
    (
        "twitter.publish_tweet",
        {"message": "x", "attachments": ["1"] * 5},
        "attachments",
        "at most 4",
    ),
    (
        "twitter.publish_tweet",
        {"message": "x", "attachments": "123"},
        "attachments",
        "not a single string",
    ),
    (
        "twitter.publish_tweet",
        {"message": "x", "attachments": ["a b"]},
        "attachments",
        "without spaces",
    ),
    ("twitter.upload_picture", {"url": "ftp://e.com/a.png"}, "url", "absolute http(s) URL"),
    ("twitter.upload_picture", {"url": "/relative.png"}, "url", "absolute http(s) URL"),
    ("twitter.upload_picture", {"url": "https://e.com/a.svg"}, "url", "file format .svg"),
    ("twitter.upload_video", {"video_url": "https://e.com/v.mkv"}, "video_url", "file format .mkv"),
    (
        "twitter.upload_video",
        {"video_url": "https://e.com/v.mp4", "callback_url": "nope"},
        "callback_url",
        "absolute",
    ),
    (
        "facebook.publish_page_post",
        {"id": "1", "message": "m", "link": "https://a.b", "attachments": ["2"]},
        "link/attachments",
        "not both",
    ),
    ("facebook.publish_page_post", {"id": "", "message": "m"}, "id", "non-empty id"),
    ("facebook.publish_page_post", {"id": "1/2", "message": "m"}, "id", "slashes"),
    (
        "facebook.upload_user_picture",
        {"url": "https://e.com/a.png", "create_post": "yes"},
        "create_post",
        "true or false",
    ),
    ("facebook.publish_group_post", {"id": "1"}, "message/link/attachments", "at least one"),
    ("linkedin.publish_user_post", {"title": "t"}, "message/link", "at least one"),
    (
        "linkedin.publish_company_post",
        {"company": "1", "message": "m", "picture": "x.png"},
        "picture",
        "absolute",
    ),
    ("pinterest.publish_board", {"name": "  "}, "name", "blank"),
    (
        "youtube.upload_video",
        {"video_url": "https://e.com/v.mp4", "title": "t" * 101},
        "title",
        "at most 100",
    ),
    (
        "youtube.create_playlist",
        {"title": "t", "privacy_status": "secret"},
        "privacy_status",
        "one of public",
    ),
    ("youtube.add_video_to_playlist", {"id": "v", "position": -1}, "position", "non-negative"),
    ("twitter.publish_tweet", {"message": "x", "attachments": 5}, "attachments", "not int"),
    ("twitter.publish_tweet", {"message": "x", "attachments": True}, "attachments", "not bool"),
    (
        "twitter.publish_tweet",
        {"message": "x", "attachments": {"1": "2"}},
        "attachments",
        "not dict",
    ),
    ("twitter.publish_tweet", {"message": "x", "attachments": [-5]}, "attachments", "string id"),
    ("youtube.add_channel_section", {"type": "t", "playlists": 7}, "playlists", "not int"),
    ("twitter.upload_picture", {"url": "https://e.com/a b.png"}, "url", "without spaces"),
    ("twitter.upload_picture", {"url": "https://e.com/a.png\nX"}, "url", "control"),
    ("twitter.publish_tweet", {"message": "x", "timeout": -1}, "timeout.connect", "positive"),
    ("twitter.publish_tweet", {"message": "x", "timeout": "5"}, "timeout.connect", "not str"),
    ("twitter.publish_tweet", {"message": "x", "timeout": 0}, "timeout.connect", "positive"),
    (
        "twitter.publish_tweet",
        {"message": "x", "extra_fields": {"when": dt.datetime(2020, 1, 1)}},
        "extra_fields.when",
        "JSON",
    ),
    (
        "twitter.publish_tweet",
        {"message": "x", "extra_fields": {"ratio": float("nan")}},
        "extra_fields.ratio",
        "JSON",
    ),
]


# Formats are checked only where OneAll documents them; elsewhere any http(s) URL goes.
UNDOCUMENTED_FORMATS: list[tuple[str, dict[str, Any]]] = [
    ("facebook.upload_page_video", {"id": "1", "url": "https://e.com/v.mkv"}),
    ("facebook.upload_group_picture", {"id": "1", "url": "https://e.com/p.webp"}),
    ("pinterest.publish_pin", {"picture": "https://e.com/p.webp"}),
    ("youtube.upload_video", {"video_url": "https://e.com/v.mkv", "title": "t"}),
]


@pytest.mark.parametrize(("endpoint_id", "kwargs"), UNDOCUMENTED_FORMATS)
async def test_formats_are_not_enforced_where_undocumented(
    make_client: ClientFactory, endpoint_id: str, kwargs: dict[str, Any]
) -> None:
    endpoint = next(e for e in ENDPOINTS if e.id == endpoint_id)
    result_name = "QueuedResult" if endpoint.async_callback else endpoint.result.__name__
    client = make_client(answer_for(result_name))
    await call(client, endpoint, **kwargs)
    [request] = sent(client)
    node = body_of(request)["request"]["push"]
    while len(node) == 1 and isinstance(next(iter(node.values())), dict):
        node = next(iter(node.values()))
    assert set(kwargs.values()) <= set(node.values())


@pytest.mark.parametrize(("endpoint_id", "kwargs", "field", "rule"), INVALID)
async def test_invalid_input_is_refused_before_sending(
    make_client: ClientFactory, endpoint_id: str, kwargs: dict[str, Any], field: str, rule: str
) -> None:
    endpoint = next(e for e in ENDPOINTS if e.id == endpoint_id)
    client = make_client(answer_for("PostResult"))
    method = getattr(getattr(client, endpoint.provider), endpoint.name)
    path_args = SAMPLES[endpoint_id][0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with pytest.raises(RequestValidationError) as info:
            await method(TOKEN, *path_args, **kwargs)
    assert info.value.field == field
    assert rule in info.value.rule
    assert field in str(info.value)
    assert sent(client) == []


async def test_missing_required_keyword_is_a_type_error(make_client: ClientFactory) -> None:
    client = make_client(answer_for("PostResult"))
    with pytest.raises(TypeError):
        await client.twitter.publish_tweet(TOKEN)  # type: ignore[call-arg]
    assert sent(client) == []


@pytest.mark.parametrize("token", ["", "   "])
async def test_empty_path_parameters_are_refused(make_client: ClientFactory, token: str) -> None:
    client = make_client(answer_for("PinResult"))
    with pytest.raises(RequestValidationError) as info:
        await client.pinterest.publish_pin(TOKEN, token, picture="https://e.com/p.png")
    assert info.value.field == "board_id"
    with pytest.raises(RequestValidationError) as info:
        await client.twitter.publish_tweet(token, message="m")
    assert info.value.field == "identity_token"
    assert sent(client) == []


@pytest.mark.parametrize("token", [".", ".."])
async def test_dot_segments_are_refused_as_path_parameters(
    make_client: ClientFactory, token: str
) -> None:
    client = make_client(answer_for("PostResult"))
    with pytest.raises(RequestValidationError) as info:
        await client.twitter.publish_tweet(token, message="m")
    assert info.value.field == "identity_token"
    assert sent(client) == []


async def test_path_parameters_are_percent_quoted(make_client: ClientFactory) -> None:
    client = make_client(answer_for("PinResult"))
    await client.pinterest.publish_pin(TOKEN, "me/board one", picture="https://e.com/p.png")
    assert sent(client)[0].url.endswith("/pinterest/board/me%2Fboard%20one/pin.json")


async def test_deprecated_endpoints_warn(make_client: ClientFactory) -> None:
    client = make_client(answer_for("PostResult"))
    with pytest.warns(DeprecationWarning, match="2018-08-01"):
        await client.facebook.publish_user_post(TOKEN, message="hi")


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, errors.BadRequestError),
        (401, errors.AuthenticationError),
        (403, errors.PermissionDeniedError),
        (404, errors.NotFoundError),
        (409, errors.ConflictError),
        (429, errors.RateLimitError),
        (500, errors.ServerError),
        (502, errors.ServerError),
        (503, errors.ServiceUnavailableError),
        (418, errors.APIError),
    ],
)
async def test_error_statuses_map_to_classes(
    make_client: ClientFactory, status: int, cls: type[errors.APIError]
) -> None:
    info = f"Refused with {status}"
    client = make_client(
        lambda r: json_response(envelope("/push/x.json", code=status, info=info), status),
        retry=RetryPolicy.disabled(),
    )
    with pytest.raises(cls) as caught:
        await client.twitter.publish_tweet(TOKEN, message="m")
    assert type(caught.value) is cls
    assert caught.value.status == status
    assert caught.value.info == info
    assert caught.value.endpoint == "twitter.publish_tweet"
    assert caught.value.resource == "/push/x.json"
    assert info in str(caught.value)


async def test_error_flag_with_http_200_is_an_error(make_client: ClientFactory) -> None:
    document = envelope("/push/x.json", info="The request cannot be processed.")
    document["response"]["request"]["status"]["flag"] = "error"
    document["response"]["request"]["status"]["code"] = 400
    client = make_client(lambda r: json_response(document, 200))
    with pytest.raises(errors.BadRequestError, match="cannot be processed"):
        await client.twitter.publish_tweet(TOKEN, message="m")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty response body"),
        (b"<html>oops</html>", "not JSON"),
        (b'{"response": {"request": {"status"', "truncated JSON"),
        (b'{"unexpected": true}', "not a OneAll envelope"),
        (b"[" * 40000, "nested too deeply"),
        (b"1" * 5000, "number too long"),
        (b'{"response": {"request": {"status": {"flag": "ok", "code": 1e999}}}}', "envelope"),
        (b'{"response": {"request": {"status": {"code": NaN}}}}', "not a OneAll envelope"),
    ],
    ids=[
        "empty",
        "html",
        "truncated",
        "not-envelope",
        "nested-40000",
        "5000-digits",
        "code-1e999",
        "code-nan",
    ],
)
async def test_bad_bodies_give_a_clear_error(
    make_client: ClientFactory, body: bytes, message: str
) -> None:
    client = make_client(lambda r: Response(200, {}, body))
    with pytest.raises(ResponseDecodeError, match=message) as info:
        await client.twitter.publish_tweet(TOKEN, message="m")
    assert info.value.status == 200
    assert info.value.endpoint == "twitter.publish_tweet"


async def test_non_json_error_body_keeps_the_status_class(make_client: ClientFactory) -> None:
    client = make_client(lambda r: Response(502, {}, b"<html>Bad Gateway</html>"))
    with pytest.raises(ServerError) as info:
        await client.twitter.publish_tweet(TOKEN, message="m")
    assert info.value.status == 502
    assert "not JSON" in info.value.info


async def test_json_error_body_that_is_not_an_envelope_keeps_the_status_class(
    make_client: ClientFactory,
) -> None:
    client = make_client(lambda r: Response(404, {}, b'{"error": "no such route"}'))
    with pytest.raises(errors.NotFoundError) as info:
        await client.twitter.publish_tweet(TOKEN, message="m")
    assert info.value.status == 404
    assert "not a OneAll envelope" in info.value.info


async def test_an_unreadable_date_in_a_success_is_none_not_an_error(
    make_client: ClientFactory,
) -> None:
    # The post is live: failing the call would invite a retry and a double post.
    data = {**RESULT_DATA["VideoResult"], "date_creation": "23/04/2019"}
    client = make_client(lambda r: json_response(envelope("/push/x.json", data=data)))
    result = await client.facebook.upload_page_video(TOKEN, id="1", url="https://e.com/v.mp4")
    assert result.video_id == data["video_id"]
    assert result.date_creation is None
    assert result.envelope.raw["response"]["result"]["data"]["date_creation"] == "23/04/2019"
    strict = make_client(
        lambda r: json_response(envelope("/push/x.json", data=data)), strict_results=True
    )
    with pytest.raises(ResponseDecodeError, match="date_creation"):
        await strict.facebook.upload_page_video(TOKEN, id="1", url="https://e.com/v.mp4")


async def test_an_unreadable_published_id_is_published_but_incomplete(
    make_client: ClientFactory,
) -> None:
    """It went out: a decode error would read as "safe to retry" and publish it twice."""
    document = envelope("/push/x.json", data={"post_id": ["not", "an", "id"]})
    client = make_client(lambda r: json_response(document))
    with pytest.raises(PublishedButIncompleteError) as caught:
        await client.twitter.publish_tweet(TOKEN, message="m")
    assert caught.value.missing == ("post_id",)


async def test_an_odd_optional_field_leaves_the_success_a_success(
    make_client: ClientFactory,
) -> None:
    document = envelope("/push/x.json", data={"post_id": "17", "post_location": {"no": 1}})
    client = make_client(lambda r: json_response(document))
    tweet = await client.twitter.publish_tweet(TOKEN, message="m")
    assert (tweet.post_id, tweet.post_location) == ("17", None)
    assert tweet.envelope.raw["response"]["result"]["data"]["post_location"] == {"no": 1}


async def test_an_unreadable_success_is_an_unknown_outcome(make_client: ClientFactory) -> None:
    cut = json_response(envelope("/push/x.json", data={"post_id": "17"})).body[:-9]
    client = make_client(lambda r: Response(200, {"content-type": "application/json"}, cut))
    with pytest.raises(UnreadableSuccessError) as caught:
        await client.twitter.publish_tweet(TOKEN, message="m")
    assert isinstance(caught.value, OutcomeUnknownError)
    assert isinstance(caught.value, ResponseDecodeError)
    assert caught.value.status == 200 and "truncated JSON" in str(caught.value)


INCOMPLETE_ROWS = [e for e in ENDPOINTS if models.required_ids(e.result)]


@pytest.mark.parametrize("endpoint", INCOMPLETE_ROWS, ids=lambda e: e.id)
@pytest.mark.parametrize("blank", [None, "", "  ", "absent"])
async def test_a_success_without_the_published_id_is_published_but_incomplete(
    make_client: ClientFactory, endpoint: Endpoint, blank: str | None
) -> None:
    (key,) = models.required_ids(endpoint.result)
    data = dict(RESULT_DATA[endpoint.result.__name__])
    if blank == "absent":
        del data[key]
    else:
        data[key] = blank
    document = envelope("/push/x.json", data=data)
    client = make_client(lambda r: json_response(document))
    with pytest.raises(errors.PublishedButIncompleteError) as info:
        await call(client, endpoint)
    assert len(sent(client)) == 1  # it went out: never retried
    assert info.value.missing == (key,)
    assert info.value.endpoint == endpoint.id
    assert info.value.status == 200
    assert info.value.envelope.raw == document
    assert info.value.data == data
    assert "do not retry" in str(info.value) and key in str(info.value)
    assert not isinstance(info.value, (errors.APIError, ResponseDecodeError))


def test_documented_ids_are_required_and_undocumented_shapes_stay_optional() -> None:
    assert models.required_ids(models.PostResult) == ("post_id",)
    assert models.required_ids(models.PictureResult) == ("picture_id",)
    assert models.required_ids(models.VideoResult) == ("video_id",)
    assert models.required_ids(models.PinResult) == ("pin_id",)
    assert models.required_ids(models.BoardResult) == ("board_id",)
    assert models.required_ids(models.PlaylistResult) == ("playlist_id",)
    assert models.required_ids(models.QueuedResult) == ()
    assert models.required_ids(models.PlaylistVideoResult) == ()
    assert models.required_ids(models.ChannelSectionResult) == ()
    with pytest.raises(TypeError, match="post_id"):
        models.PostResult()  # type: ignore[call-arg]
    built = models.PostResult(post_id="1")
    assert built.envelope.status.code == 0  # built by hand: no answer behind it
    assert built.envelope.raw == {}


@pytest.mark.parametrize(
    "date", ["Thu, 21 Sep 2017 15:56:59 +0200", "Thu, 21 Sep 2017 15:56:59  0200"]
)
async def test_both_documented_date_forms_parse(make_client: ClientFactory, date: str) -> None:
    document = envelope("/push/x.json", data=RESULT_DATA["PostResult"], date=date)
    client = make_client(lambda r: json_response(document))
    result = await client.twitter.publish_tweet(TOKEN, message="m")
    expected = dt.datetime(2017, 9, 21, 15, 56, 59, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert result.envelope.date == expected
    assert result.envelope.raw == document


async def test_strict_results_refuse_unknown_fields(make_client: ClientFactory) -> None:
    data = {**RESULT_DATA["PostResult"], "surprise": 1}
    lenient = make_client(lambda r: json_response(envelope("/p", data=data)))
    assert (await lenient.twitter.publish_tweet(TOKEN, message="m")).post_id
    strict = make_client(lambda r: json_response(envelope("/p", data=data)), strict_results=True)
    with pytest.raises(ResponseDecodeError, match="surprise"):
        await strict.twitter.publish_tweet(TOKEN, message="m")


# --- retries ------------------------------------------------------------------------------


def scripted(*outcomes: Response | BaseException) -> Any:
    queue = list(outcomes)

    def handler(request: Request) -> Response | BaseException:
        return queue.pop(0)

    return handler


OK = json_response(envelope("/p", data=RESULT_DATA["PostResult"]))


def status(code: int, headers: dict[str, str] | None = None) -> Response:
    return json_response(envelope("/p", code=code, info="slow down"), code, headers)


async def test_connect_errors_are_retried(make_client: ClientFactory) -> None:
    client = make_client(scripted(ConnectError("refused"), ConnectError("refused"), OK))
    result = await client.twitter.publish_tweet(TOKEN, message="m")
    assert result.post_id == RESULT_DATA["PostResult"]["post_id"]
    assert len(sent(client)) == 3
    assert len(slept(client)) == 2


async def test_connect_errors_give_up_after_max_retries(make_client: ClientFactory) -> None:
    client = make_client(
        lambda r: ConnectError("refused"), retry=RetryPolicy(max_retries=3, backoff_initial=0.01)
    )
    with pytest.raises(ConnectError):
        await client.twitter.publish_tweet(TOKEN, message="m")
    assert len(sent(client)) == 4


async def test_429_is_retried_honouring_retry_after(make_client: ClientFactory) -> None:
    client = make_client(scripted(status(429, {"retry-after": "3"}), OK))
    await client.twitter.publish_tweet(TOKEN, message="m")
    assert len(sent(client)) == 2
    assert slept(client) == [3.0]


async def test_503_is_retried_only_with_retry_after(make_client: ClientFactory) -> None:
    client = make_client(scripted(status(503, {"retry-after": "1"}), OK))
    await client.twitter.publish_tweet(TOKEN, message="m")
    assert len(sent(client)) == 2

    client = make_client(scripted(status(503), OK))
    with pytest.raises(errors.ServiceUnavailableError):
        await client.twitter.publish_tweet(TOKEN, message="m")
    assert len(sent(client)) == 1


@pytest.mark.parametrize("code", [500, 502, 504])
async def test_server_errors_are_not_retried(make_client: ClientFactory, code: int) -> None:
    client = make_client(scripted(status(code, {"retry-after": "1"}), OK))
    with pytest.raises(ServerError):
        await client.twitter.publish_tweet(TOKEN, message="m")
    assert len(sent(client)) == 1


async def test_a_post_is_not_retried_after_a_read_timeout(make_client: ClientFactory) -> None:
    client = make_client(scripted(OutcomeUnknownError("read timed out"), OK))
    with pytest.raises(OutcomeUnknownError, match="read timed out"):
        await client.twitter.publish_tweet(TOKEN, message="m")
    assert len(sent(client)) == 1
    assert slept(client) == []


async def test_retry_after_beyond_the_limit_raises_with_the_hint(
    make_client: ClientFactory,
) -> None:
    client = make_client(
        scripted(status(429, {"retry-after": "3600"}), OK),
        retry=RetryPolicy(max_retry_after=60),
    )
    with pytest.raises(RateLimitError) as info:
        await client.twitter.publish_tweet(TOKEN, message="m")
    assert info.value.retry_after == 3600
    assert len(sent(client)) == 1


async def test_retries_can_be_switched_off(make_client: ClientFactory) -> None:
    client = make_client(scripted(ConnectError("refused"), OK), retry=RetryPolicy.disabled())
    with pytest.raises(ConnectError):
        await client.twitter.publish_tweet(TOKEN, message="m")
    assert len(sent(client)) == 1


async def test_retries_are_bounded_for_429(make_client: ClientFactory) -> None:
    client = make_client(lambda r: status(429), retry=RetryPolicy(max_retries=2))
    with pytest.raises(RateLimitError):
        await client.twitter.publish_tweet(TOKEN, message="m")
    assert len(sent(client)) == 3


# --- timeouts, configuration, secrets -----------------------------------------------------


async def test_timeouts_per_client_and_per_call(make_client: ClientFactory) -> None:
    client = make_client(answer_for("PostResult"), timeout=Timeout(connect=2, read=20))
    await client.twitter.publish_tweet(TOKEN, message="m")
    await client.twitter.publish_tweet(TOKEN, message="m", timeout=5)
    await client.twitter.publish_tweet(TOKEN, message="m", timeout=Timeout(connect=1, read=90))
    assert [r.timeout for r in sent(client)] == [
        Timeout(connect=2, read=20),
        Timeout(connect=5, read=5),
        Timeout(connect=1, read=90),
    ]


async def test_base_url_overrides_the_subdomain(make_client: ClientFactory) -> None:
    client = make_client(answer_for("PostResult"), base_url="http://127.0.0.1:9/")
    await client.twitter.publish_tweet(TOKEN, message="m")
    assert sent(client)[0].url.startswith("http://127.0.0.1:9/push/identities/")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"subdomain": None},
        {"subdomain": "bad domain"},
        {"base_url": "ftp://x"},
        {"private_key": ""},
        {"public_key": "a:b"},
    ],
)
async def test_bad_configuration_is_refused(kwargs: dict[str, Any]) -> None:
    settings: dict[str, Any] = {
        "subdomain": "demo",
        "public_key": "p",
        "private_key": "k",
        **kwargs,
    }
    with pytest.raises(ConfigurationError):
        AsyncOneAll(**settings)


async def test_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONEALL_SUBDOMAIN", "envsite")
    monkeypatch.setenv("ONEALL_PUBLIC_KEY", "envpub")
    monkeypatch.setenv("ONEALL_PRIVATE_KEY", "envpriv")
    monkeypatch.delenv("ONEALL_BASE_URL", raising=False)
    client = AsyncOneAll.from_env(transport=AsyncMockTransport(answer_for("PostResult")))
    assert client.base_url == "https://envsite.api.oneall.com"
    monkeypatch.setenv("ONEALL_BASE_URL", "http://127.0.0.1:8787")
    assert AsyncOneAll.from_env().base_url == "http://127.0.0.1:8787"
    monkeypatch.delenv("ONEALL_PRIVATE_KEY")
    with pytest.raises(ConfigurationError, match="ONEALL_PRIVATE_KEY"):
        AsyncOneAll.from_env()
    await client.close()


async def test_secrets_never_appear_in_reprs_errors_or_logs(
    make_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="oneall_push")
    encoded = base64.b64encode(f"{PUBLIC_KEY}:{PRIVATE_KEY}".encode()).decode()
    client = make_client(
        scripted(ConnectError("refused"), status(429), status(401)),
    )
    with pytest.raises(errors.AuthenticationError) as info:
        await client.twitter.publish_tweet(TOKEN, message="m")
    texts = [
        repr(client),
        str(info.value),
        repr(info.value),
        repr(client._credentials),
        repr(sent(client)[0]),
        caplog.text,
    ]
    assert caplog.records, "the retries should have been logged"
    for text in texts:
        assert PRIVATE_KEY not in text
        assert encoded not in text


async def test_models_are_exported() -> None:
    assert models.TwitterPost(message="x").message == "x"
    assert issubclass(errors.RateLimitError, errors.APIError)
