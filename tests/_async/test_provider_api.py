"""The Update and Pull rows against the mock transport: each row's method, path, query and
body, typed confirmations, tolerant Pull items, paging, and validation before sending."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from oneall_push import NotFoundError, Request, RequestValidationError, Response
from oneall_push.endpoints import PROVIDER_API_ENDPOINTS, ApiEndpoint, account_row
from oneall_push.models.pull import PulledItem, PulledPage, PulledTweet, PullList
from oneall_push.models.update import Deleted, Updated
from tests.support.provider_api_samples import PAGED, SAMPLES, T
from tests.support.samples import envelope, json_response

from .conftest import ClientFactory

SINGLE = [e for e in PROVIDER_API_ENDPOINTS if not e.paginated]
PAGINATED = [e for e in PROVIDER_API_ENDPOINTS if e.paginated]


def method_of(client: Any, endpoint: ApiEndpoint) -> Any:
    return getattr(getattr(client, endpoint.group), endpoint.name)


def query_of(request: Request) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(request.url).query))


def answer(data: Any, code: int = 200, info: str = "done", resource: str = "/x.json") -> Response:
    return json_response(envelope(resource, code=code, info=info, data=data), status=code)


def test_every_provider_row_has_a_sample() -> None:
    assert {e.id for e in SINGLE} == set(SAMPLES)
    assert {e.id for e in PAGINATED} == set(PAGED)


@pytest.mark.parametrize("endpoint", SINGLE, ids=lambda e: e.id)
async def test_every_row_sends_the_documented_request(
    make_client: ClientFactory, endpoint: ApiEndpoint
) -> None:
    args, kwargs, data, path, query, body = SAMPLES[endpoint.id]
    client = make_client(lambda request: answer(data, resource=urlsplit(request.url).path))
    result = await method_of(client, endpoint)(*args, **kwargs)

    [request] = client._transport.requests  # type: ignore[attr-defined]
    assert request.method == endpoint.method
    assert urlsplit(request.url).path == path
    assert query_of(request) == query
    assert request.route == endpoint.path
    if body is None:
        assert request.body is None
    else:
        assert request.body is not None
        assert json.loads(request.body) == {"request": body}
    assert result.envelope.status.info == "done"
    if endpoint.family == "update":
        expected = Updated if endpoint.method == "PUT" else Deleted
        assert type(result) is expected
        assert result.id == args[-1]
        assert result.status == 200 and result.info == "done"
        assert result.resource == path
        assert result.http is not None and result.http.status == 200
    else:
        assert isinstance(result, PullList)
        assert len(result) == 1
        assert isinstance(result[0], endpoint.item)  # type: ignore[arg-type]
        assert result[0].raw  # the item as received stays reachable


@pytest.mark.parametrize("endpoint", PAGINATED, ids=lambda e: e.id)
async def test_paged_rows_walk_the_pages(make_client: ClientFactory, endpoint: ApiEndpoint) -> None:
    args, path, item = PAGED[endpoint.id]
    seen: list[dict[str, str]] = []

    def handler(request: Request) -> Response:
        assert urlsplit(request.url).path == path
        query = query_of(request)
        seen.append(query)
        page = int(query["page"])
        entries = [dict(item, **{"id": f"{page}-{n}"}) for n in range(2 if page < 3 else 1)]
        node = {"entries": entries}
        return answer({endpoint.list_key: node})

    client = make_client(handler)
    items = [i async for i in method_of(client, endpoint)(*args, page_size=2)]
    assert len(items) == 5
    assert all(isinstance(i, endpoint.result) for i in items)
    assert [q["page"] for q in seen] == ["1", "2", "3"]
    assert all(q[endpoint.page_param or ""] == "2" for q in seen)
    assert all("order_direction" not in q for q in seen)


async def test_pages_follow_pull_pagination_totals(make_client: ClientFactory) -> None:
    def handler(request: Request) -> Response:
        page = int(query_of(request)["page"])
        node = {
            "pagination": {"current_page": page, "total_pages": 2, "total_entries": 3},
            "entries": [{"page_id": f"p{page}"}],
        }
        return answer({"pages": node})

    client = make_client(handler)
    pages = [p async for p in client.facebook.list_pages(T, page_size=1).pages()]
    assert [p.total_pages for p in pages] == [2, 2]
    assert [[e.id for e in p.entries] for p in pages] == [["p1"], ["p2"]]
    assert all(isinstance(e, PulledPage) for p in pages for e in p.entries)


async def test_pull_items_are_tolerant_and_keep_raw(make_client: ClientFactory) -> None:
    data = {
        "tweets": [
            {"tweet_id": 1, "message": "as int id", "extra": {"x": 1}},
            {"text": "no id: skipped"},
            "not an object",
            {"id": "3", "date_creation": "not a date"},
        ]
    }
    client = make_client(lambda request: answer(data))
    tweets = await client.twitter.list_tweets(T)
    assert [t.id for t in tweets] == ["1", "3"]
    first = tweets[0]
    assert isinstance(first, PulledTweet) and first.text == "as int id"
    assert first.raw["extra"] == {"x": 1}
    assert tweets[1].date_creation is None
    assert isinstance(tweets.items[0], PulledItem)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (
            lambda c: c.facebook.update_page_post(
                T, "1", "1_2", message="m", link="https://e.x/", attachments=["9"]
            ),
            "link/attachments",
        ),
        (lambda c: c.facebook.update_page_post(T, "1", "1_2"), "message/link/attachments"),
        (lambda c: c.twitter.delete_tweet(T, ""), "post_id"),
        (lambda c: c.twitter.delete_tweet("", "1"), "identity_token"),
        (lambda c: c.facebook.delete_page_video(T, "1", ".."), "video_id"),
        (lambda c: c.pinterest.update_pin(T, "5"), "board/description/link"),
        (lambda c: c.youtube.update_playlist(T, "PL", title=""), "title"),
        (
            lambda c: c.youtube.update_playlist(T, "PL", title="t", privacy_status="secret"),
            "privacy_status",
        ),
        (lambda c: c.twitter.list_tweets(T, num_tweets=0), "num_tweets"),
        (lambda c: c.twitter.list_tweets(T, only_tweet_id=" "), "only_tweet_id"),
    ],
)
async def test_bad_input_is_refused_before_sending(
    make_client: ClientFactory, call: Any, field: str
) -> None:
    client = make_client(lambda request: answer(None))
    with pytest.raises(RequestValidationError) as caught:
        await call(client)
    assert caught.value.field == field
    assert client._transport.requests == []  # type: ignore[attr-defined]


async def test_a_bad_paging_argument_is_refused_before_any_page(
    make_client: ClientFactory,
) -> None:
    client = make_client(lambda request: answer(None))
    with pytest.raises(RequestValidationError):
        client.facebook.list_page_posts(T, "", page_size=10)
    with pytest.raises(RequestValidationError):
        client.facebook.list_pages(T, page_size=0)
    assert client._transport.requests == []  # type: ignore[attr-defined]


async def test_a_second_delete_is_a_not_found_error_not_a_token_error(
    make_client: ClientFactory,
) -> None:
    client = make_client(lambda request: answer(None, code=404, info="post not found"))
    with pytest.raises(NotFoundError) as caught:
        await client.twitter.delete_tweet(T, "1")
    assert type(caught.value) is NotFoundError


async def test_update_extra_fields_reach_the_node(make_client: ClientFactory) -> None:
    client = make_client(lambda request: answer(None))
    await client.youtube.update_channel_section(
        T, "S", title="x", extra_fields={"channels": ["UC2"]}
    )
    [request] = client._transport.requests  # type: ignore[attr-defined]
    assert request.body is not None
    node = json.loads(request.body)["request"]["update"]["channel"]["section"]
    assert node == {"title": "x", "channels": ["UC2"]}
    assert account_row("youtube.update_channel_section").doc_status == "inferred"
