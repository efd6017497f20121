"""Connections, users, identities and sharing against the mock transport: every row's wire
format, pagination, validation, 404s naming the token, and access-token redaction."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from oneall_push import (
    NotFoundError,
    Request,
    RequestValidationError,
    Response,
    TokenNotFoundError,
    UnreadableSuccessError,
)
from oneall_push.endpoints import ACCOUNT_ENDPOINTS, ApiEndpoint, account_row
from oneall_push.models.accounts import Identity, User
from tests.support.account_samples import (
    ACCESS_SECRET,
    ACCESS_TOKEN,
    ACCOUNT_SAMPLES,
    IDENTITY,
    LIST_ITEMS,
    USER,
    user_node,
)
from tests.support.samples import envelope, json_response

from .conftest import ClientFactory

SINGLE = [e for e in ACCOUNT_ENDPOINTS if not e.paginated]
PAGINATED = [e for e in ACCOUNT_ENDPOINTS if e.paginated]


def method_of(client: Any, endpoint: ApiEndpoint) -> Any:
    return getattr(getattr(client, endpoint.group), endpoint.name)


def query_of(request: Request) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(request.url).query))


def answer(data: Any, code: int = 200, info: str = "ok") -> Response:
    return json_response(envelope("/x.json", code=code, info=info, data=data), status=code)


def test_every_account_row_has_a_sample() -> None:
    assert {e.id for e in SINGLE} == set(ACCOUNT_SAMPLES)
    assert {e.id for e in PAGINATED} == set(LIST_ITEMS)


@pytest.mark.parametrize("endpoint", SINGLE, ids=lambda e: e.id)
async def test_every_row_sends_the_documented_request(
    make_client: ClientFactory, endpoint: ApiEndpoint
) -> None:
    args, kwargs, data, path, query, body = ACCOUNT_SAMPLES[endpoint.id]
    client = make_client(lambda request: answer(data, info="done"))
    result = await method_of(client, endpoint)(*args, **kwargs)

    [request] = client._transport.requests  # type: ignore[attr-defined]
    assert request.method == endpoint.method
    assert urlsplit(request.url).path == path
    assert request.url.startswith("https://demo.api.oneall.com/")
    assert query_of(request) == query
    assert request.route == endpoint.path
    if body is None:
        assert request.body is None
    else:
        assert request.body is not None
        assert json.loads(request.body) == {"request": body}
    assert isinstance(result, endpoint.result)
    assert result.envelope.status.info == "done"


@pytest.mark.parametrize("endpoint", [e for e in SINGLE if e.token], ids=lambda e: e.id)
async def test_a_404_names_the_token_the_endpoint_expected(
    make_client: ClientFactory, endpoint: ApiEndpoint
) -> None:
    args, kwargs, *_ = ACCOUNT_SAMPLES[endpoint.id]
    info = f"No {endpoint.group} has been found for the specified token"
    client = make_client(lambda request: answer(None, code=404, info=info))
    with pytest.raises(TokenNotFoundError) as caught:
        await method_of(client, endpoint)(*args, **kwargs)
    assert isinstance(caught.value, NotFoundError)
    assert caught.value.token_kind == endpoint.token
    assert f"expects a {endpoint.token}" in str(caught.value)
    assert caught.value.status == 404


async def test_a_connection_resolves_to_its_user_and_identity(make_client: ClientFactory) -> None:
    client = make_client(lambda request: answer(ACCOUNT_SAMPLES["connections.get"][2]))
    connection = await client.connections.get("c0nn-0001")
    assert connection.connection_token == "c0nn-0001"
    assert connection.plugin == "social_login"
    assert connection.user_token == USER
    assert connection.identity is not None
    assert connection.identity.identity_token == IDENTITY
    assert connection.identity.provider == "twitter"
    assert connection.date is not None and connection.date.year == 2017


@pytest.mark.parametrize("shape", ["list", "wrapped"])
async def test_users_get_reads_both_shapes_of_identities(
    make_client: ClientFactory, shape: str
) -> None:
    client = make_client(lambda request: answer({"user": user_node(shape)}))
    user = await client.users.get(USER)
    assert isinstance(user, User)
    assert [i.provider for i in user.identities] == ["twitter", "facebook"]
    assert all(i.user_token == USER for i in user.identities)
    assert [i.identity_token for i in user.by_provider("facebook")] == ["2d1a0f4c-ident-0002"]


async def test_identity_access_tokens_stay_out_of_str_repr_raw_and_logs(
    make_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="oneall_push")
    client = make_client(lambda request: answer(ACCOUNT_SAMPLES["identities.get"][2]))
    identity = await client.identities.get(IDENTITY)
    assert isinstance(identity, Identity)
    assert identity.access_token is not None and identity.access_token_secret is not None
    assert identity.access_token.reveal() == ACCESS_TOKEN
    assert identity.access_token_secret.reveal() == ACCESS_SECRET
    shown = " ".join([str(identity), repr(identity), repr(identity.raw), caplog.text])
    for secret in (ACCESS_TOKEN, ACCESS_SECRET):
        assert secret not in shown
    assert identity.raw["source"]["access_token"] == {"key": "***", "secret": "***"}
    assert identity.email == "ada@example.com"


async def test_sharing_half_failing_is_data_not_an_exception(make_client: ClientFactory) -> None:
    _, kwargs, data, *_ = ACCOUNT_SAMPLES["sharing.publish"]
    client = make_client(lambda request: answer(data))
    message = await client.sharing.publish(**kwargs)
    assert message.sharing_message_token == "share-msg-0001"
    assert [(p.provider, p.ok, p.code) for p in message.publications] == [
        ("twitter", True, 200),
        ("facebook", False, 403),
    ]
    [failed] = message.failed()
    assert failed.message == "Permission denied" and failed.flag == "error"
    assert [p.provider for p in message.succeeded()] == ["twitter"]


async def test_a_publish_answer_without_its_token_is_an_unknown_outcome(
    make_client: ClientFactory,
) -> None:
    client = make_client(lambda request: answer({"sharing_message": {}}))
    with pytest.raises(UnreadableSuccessError):
        await client.sharing.publish(identity_token=IDENTITY, text="Hi")


async def test_extra_fields_join_the_request_node_but_not_over_documented_ones(
    make_client: ClientFactory,
) -> None:
    client = make_client(lambda request: answer(ACCOUNT_SAMPLES["identities.get"][2]))
    await client.identities.synchronize(IDENTITY, extra_fields={"future": 1})
    [request] = client._transport.requests  # type: ignore[attr-defined]
    assert request.body is not None
    assert json.loads(request.body)["request"]["synchronize"]["future"] == 1
    with pytest.raises(RequestValidationError, match="documented field"):
        await client.identities.synchronize(IDENTITY, extra_fields={"force_token_update": True})


BAD_SHARES: list[tuple[dict[str, Any], str]] = [
    ({"text": "Hi"}, "user_token"),
    ({"identity_token": IDENTITY, "user_token": USER, "providers": ["twitter"], "text": "Hi"},
     "identity_token"),
    ({"user_token": USER, "text": "Hi"}, "providers"),
    ({"user_token": USER, "providers": [], "text": "Hi"}, "providers"),
    ({"user_token": USER, "providers": "twitter", "text": "Hi"}, "providers"),
    ({"user_token": USER, "providers": ["myspace"], "text": "Hi"}, "providers"),
    ({"user_token": USER, "providers": ["twitter", "twitter"], "text": "Hi"}, "providers"),
    ({"user_token": " ", "providers": ["twitter"], "text": "Hi"}, "user_token"),
    ({"identity_token": IDENTITY}, "text"),
    ({"identity_token": IDENTITY, "text": "  "}, "text"),
    ({"identity_token": IDENTITY, "picture_url": "/relative.png"}, "picture_url"),
    ({"identity_token": IDENTITY, "video_url": "ftp://example.com/v.mp4"}, "video_url"),
    ({"identity_token": IDENTITY, "link_url": "example.com"}, "link_url"),
    ({"identity_token": IDENTITY, "text": "Hi", "link_name": "A"}, "link_url"),
    ({"identity_token": IDENTITY, "text": "Hi", "enable_tracking": 1}, "enable_tracking"),
]  # fmt: skip


@pytest.mark.parametrize(("kwargs", "field"), BAD_SHARES)
async def test_sharing_rules_are_checked_before_sending(
    make_client: ClientFactory, kwargs: dict[str, Any], field: str
) -> None:
    client = make_client(lambda request: answer({}))
    with pytest.raises(RequestValidationError) as caught:
        await client.sharing.publish(**kwargs)
    assert caught.value.field == field
    assert client._transport.requests == []  # type: ignore[attr-defined]


async def test_republish_and_relink_and_synchronize_check_their_input(
    make_client: ClientFactory,
) -> None:
    client = make_client(lambda request: answer({}))
    with pytest.raises(RequestValidationError):
        await client.sharing.republish("m", user_token=USER)
    with pytest.raises(RequestValidationError):
        await client.identities.relink(IDENTITY, "")
    with pytest.raises(RequestValidationError):
        await client.identities.synchronize(IDENTITY, update_user_data="yes")  # type: ignore[arg-type]
    with pytest.raises(RequestValidationError):
        await client.users.get("")
    assert client._transport.requests == []  # type: ignore[attr-defined]


def paged(endpoint: ApiEndpoint, total: int) -> Any:
    """A handler serving ``total`` items in pages, as OneAll does."""
    make_item = LIST_ITEMS[endpoint.id]

    def handler(request: Request) -> Response:
        query = query_of(request)
        page, size = int(query["page"]), int(query["entries_per_page"])
        pages = max(1, -(-total // size))
        items = [make_item(n) for n in range((page - 1) * size, min(page * size, total))]
        node = {
            "pagination": {"current_page": page, "total_pages": pages, "entries_per_page": size,
                           "total_entries": total, "order": {"field": "date_creation",
                                                             "direction": query["order_direction"]}},
            "entries": items,
        }  # fmt: skip
        return answer({endpoint.list_key: node})

    return handler


@pytest.mark.parametrize("endpoint", PAGINATED, ids=lambda e: e.id)
async def test_lists_iterate_across_page_boundaries(
    make_client: ClientFactory, endpoint: ApiEndpoint
) -> None:
    client = make_client(paged(endpoint, 5))
    items = [item async for item in method_of(client, endpoint)(page_size=2)]
    assert len(items) == 5
    assert isinstance(items[0], endpoint.result)
    requests = client._transport.requests  # type: ignore[attr-defined]
    assert [query_of(r)["page"] for r in requests] == ["1", "2", "3"]
    assert {query_of(r)["entries_per_page"] for r in requests} == {"2"}
    assert all(urlsplit(r.url).path == endpoint.path for r in requests)


async def test_pages_are_fetched_only_when_iteration_reaches_them(
    make_client: ClientFactory,
) -> None:
    endpoint = account_row("users.list")
    client = make_client(paged(endpoint, 10))
    paginator = client.users.list(page_size=3, order_direction="desc")
    assert client._transport.requests == []  # type: ignore[attr-defined]
    seen = []
    async for user in paginator:
        seen.append(user.user_token)
        if len(seen) == 4:
            break
    assert seen == ["u-0", "u-1", "u-2", "u-3"]
    assert len(client._transport.requests) == 2  # type: ignore[attr-defined]


async def test_pages_carry_the_pagination_totals(make_client: ClientFactory) -> None:
    client = make_client(paged(account_row("identities.list"), 5))
    pages = [page async for page in client.identities.list(page_size=2, start_page=2).pages()]
    assert [p.current_page for p in pages] == [2, 3]
    assert [len(p.entries) for p in pages] == [2, 1]
    assert pages[0].total_pages == 3 and pages[0].total_entries == 5
    assert pages[0].entries_per_page == 2 and pages[0].order_direction == "asc"
    assert pages[-1].is_last and not pages[0].is_last


async def test_an_empty_list_is_one_request(make_client: ClientFactory) -> None:
    client = make_client(lambda request: answer({"users": {"pagination": {}, "entries": []}}))
    assert [u async for u in client.users.list()] == []
    assert len(client._transport.requests) == 1  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"page_size": 0}, "page_size"),
        ({"page_size": 501}, "page_size"),
        ({"page_size": True}, "page_size"),
        ({"order_direction": "up"}, "order_direction"),
        ({"start_page": 0}, "start_page"),
    ],
)
async def test_list_arguments_are_checked_when_the_paginator_is_made(
    make_client: ClientFactory, kwargs: dict[str, Any], field: str
) -> None:
    client = make_client(lambda request: answer({}))
    with pytest.raises(RequestValidationError) as caught:
        client.connections.list(**kwargs)
    assert caught.value.field == field
