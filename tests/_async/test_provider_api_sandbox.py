"""Update and Pull against the sandbox (both halves): Pull lists what Push published, newest
first, honouring its parameters and paging; Update edits by the publish's rules or deletes
(a second delete is a 404); fault rules apply to the new rows."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from oneall_push import (
    AsyncOneAll,
    NotFoundError,
    OutcomeUnknownError,
    RetryPolicy,
    ServiceUnavailableError,
    TokenNotFoundError,
)
from oneall_push.models.update import Deleted, Updated
from oneall_push.sandbox import Sandbox

QUICK = RetryPolicy(backoff_initial=0.01, backoff_max=0.02)
ClientMaker = Callable[..., AsyncOneAll]


@pytest.fixture
async def sandbox_client(oneall_sandbox_fresh: Sandbox) -> AsyncIterator[ClientMaker]:
    made: list[AsyncOneAll] = []

    def make(**kwargs: Any) -> AsyncOneAll:
        client = AsyncOneAll(**{**oneall_sandbox_fresh.client_kwargs(), "retry": QUICK, **kwargs})
        made.append(client)
        return client

    yield make
    for client in made:
        await client.close()


async def test_pull_lists_tweets_newest_first_with_its_parameters(
    oneall_sandbox_fresh: Sandbox, sandbox_client: ClientMaker
) -> None:
    client = sandbox_client()
    token = oneall_sandbox_fresh.token("twitter")
    other = oneall_sandbox_fresh.token("twitter", 1)
    posted = [
        (await client.twitter.publish_tweet(token, message=f"tweet {n}")).post_id for n in range(4)
    ]
    await client.twitter.publish_tweet(other, message="someone else's")
    tweets = await client.twitter.list_tweets(token)
    assert [t.id for t in tweets] == posted[::-1]
    assert [t.text for t in tweets] == [f"tweet {n}" for n in (3, 2, 1, 0)]
    assert all(t.date_creation is not None for t in tweets)
    assert [t.id for t in await client.twitter.list_tweets(token, num_tweets=2)] == [
        posted[3],
        posted[2],
    ]
    newer = await client.twitter.list_tweets(token, after_tweet_id=posted[1])
    assert [t.id for t in newer] == [posted[3], posted[2]]
    only = await client.twitter.list_tweets(token, only_tweet_id=posted[0])
    assert [t.text for t in only] == ["tweet 0"]


async def test_a_deleted_tweet_leaves_pull_and_a_second_delete_is_a_404(
    oneall_sandbox_fresh: Sandbox, sandbox_client: ClientMaker
) -> None:
    client = sandbox_client()
    token = oneall_sandbox_fresh.token("twitter")
    kept = await client.twitter.publish_tweet(token, message="keep me")
    gone = await client.twitter.publish_tweet(token, message="take me down")
    deleted = await client.twitter.delete_tweet(token, gone.post_id)
    assert isinstance(deleted, Deleted) and deleted.deleted
    assert deleted.id == gone.post_id and deleted.status == 200
    assert [t.id for t in await client.twitter.list_tweets(token)] == [kept.post_id]
    with pytest.raises(NotFoundError) as caught:
        await client.twitter.delete_tweet(token, gone.post_id)
    assert not isinstance(caught.value, TokenNotFoundError)
    assert gone.post_id in caught.value.info
    [record] = oneall_sandbox_fresh.records(endpoint="twitter.publish_tweet", identity_token=token)[
        1:
    ]
    assert record["status"] == "deleted"
    # A deleted tweet's text may be tweeted again (it is no longer a duplicate).
    again = await client.twitter.publish_tweet(token, message="take me down")
    assert again.post_id != gone.post_id


async def test_a_page_post_is_listed_edited_by_the_publish_rules_and_deleted(
    oneall_sandbox_fresh: Sandbox, sandbox_client: ClientMaker
) -> None:
    client = sandbox_client()
    token = oneall_sandbox_fresh.token("facebook")
    pages = [p async for p in client.facebook.list_pages(token)]
    assert len(pages) == 3 and all(p.name for p in pages)
    page = pages[0].id
    post = await client.facebook.publish_page_post(token, id=page, message="Helo")
    await client.facebook.publish_page_post(token, id=pages[1].id, message="other page")
    listed = [p async for p in client.facebook.list_page_posts(token, page)]
    assert [(p.id, p.message) for p in listed] == [(post.post_id, "Helo")]

    updated = await client.facebook.update_page_post(token, page, post.post_id, message="Hello")
    assert isinstance(updated, Updated) and updated.id == post.post_id
    [after] = [p async for p in client.facebook.list_page_posts(token, page)]
    assert after.message == "Hello"
    # The sandbox applies the publish's rule too (link xor attachments), whatever the client.
    bad = {"link": "https://example.com/", "attachments": ["1"]}
    status, info = _raw_put(
        oneall_sandbox_fresh, f"{token}/facebook/page/{page}/post/{post.post_id}", bad
    )
    assert status == 400 and "request->update->post" in info and "link/attachments" in info
    await client.facebook.delete_page_post(token, page, post.post_id)
    assert [p async for p in client.facebook.list_page_posts(token, page)] == []
    with pytest.raises(NotFoundError):
        await client.facebook.update_page_post(token, page, post.post_id, message="late")


def _raw_put(sandbox: Sandbox, path: str, node: dict[str, Any]) -> tuple[int, str]:
    """A PUT past the client's checks (the client refuses this payload before sending)."""
    body = json.dumps({"request": {"update": {"post": node}}}).encode()
    url = f"{sandbox.base_url}/update/identities/{path}.json"
    auth = base64.b64encode(f"{sandbox.config.public_key}:{sandbox.config.private_key}".encode())
    request = urllib.request.Request(
        url, data=body, method="PUT", headers={"Authorization": "Basic " + auth.decode()}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            status, text = answer.status, answer.read()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read()
    info = json.loads(text)["response"]["request"]["status"]["info"]
    return status, str(info)


async def test_paged_pull_honours_page_and_size(
    oneall_sandbox_fresh: Sandbox, sandbox_client: ClientMaker
) -> None:
    client = sandbox_client()
    token = oneall_sandbox_fresh.token("facebook")
    page = (await client.facebook.list_pages(token).page(1)).entries[0].id
    for n in range(5):
        await client.facebook.publish_page_post(token, id=page, message=f"post {n}")
    paginator = client.facebook.list_page_posts(token, page, page_size=2)
    pages = [p async for p in paginator.pages()]
    assert [len(p.entries) for p in pages] == [2, 2, 1]
    assert pages[0].total_entries == 5 and pages[0].total_pages == 3
    assert [e.message for p in pages for e in p.entries] == [f"post {n}" for n in (4, 3, 2, 1, 0)]
    requests = oneall_sandbox_fresh.requests(endpoint="facebook.list_page_posts")
    assert [r["path"].endswith("/posts.json") for r in requests] == [True] * 3


async def test_pins_boards_playlists_and_sections_round_trip(
    oneall_sandbox_fresh: Sandbox, sandbox_client: ClientMaker
) -> None:
    client = sandbox_client()
    pin_token = oneall_sandbox_fresh.token("pinterest")
    boards = await client.pinterest.list_boards(pin_token)
    board = boards[0].id
    pin = await client.pinterest.publish_pin(
        pin_token, board, picture="https://example.com/p.png", description="soup"
    )
    assert [p.id for p in await client.pinterest.list_board_pins(pin_token, board)] == [pin.pin_id]
    await client.pinterest.update_pin(pin_token, pin.pin_id, description="better soup")
    [edited] = await client.pinterest.list_pins(pin_token)
    assert edited.description == "better soup"
    await client.pinterest.delete_pin(pin_token, pin.pin_id)
    assert len(await client.pinterest.list_pins(pin_token)) == 0

    yt = oneall_sandbox_fresh.token("youtube")
    playlist = await client.youtube.create_playlist(yt, title="Talks")
    await client.youtube.update_playlist(yt, playlist.playlist_id, title="Talks 2026")
    added = await client.youtube.add_video_to_playlist(yt, playlist.playlist_id, id="vid123")
    await client.youtube.delete_playlist_video(yt, playlist.playlist_id, added.video_id or "")
    with pytest.raises(NotFoundError):
        await client.youtube.delete_playlist_video(yt, playlist.playlist_id, "vid123")
    await client.youtube.delete_playlist(yt, playlist.playlist_id)
    section = await client.youtube.add_channel_section(yt, type="singlePlaylist")
    await client.youtube.update_channel_section(yt, section.section_id or "", position=1)
    await client.youtube.delete_channel_section(yt, section.section_id or "")
    records = oneall_sandbox_fresh.records(identity_token=yt)
    assert [r["status"] for r in records] == ["deleted", "deleted", "deleted"]
    assert records[0]["payload"]["title"] == "Talks 2026" and records[0]["edits"] == 1


async def test_pull_checks_the_identity(
    oneall_sandbox_fresh: Sandbox, sandbox_client: ClientMaker
) -> None:
    client = sandbox_client()
    with pytest.raises(TokenNotFoundError) as caught:
        await client.twitter.list_tweets("no-such-identity")
    assert caught.value.token_kind == "identity_token"
    with pytest.raises(TokenNotFoundError):
        await client.linkedin.list_companies(oneall_sandbox_fresh.token("twitter"))


async def test_fault_rules_apply_to_update_and_pull_rows(
    oneall_sandbox_fresh: Sandbox, sandbox_client: ClientMaker
) -> None:
    client = sandbox_client(retry=RetryPolicy.disabled())
    token = oneall_sandbox_fresh.token("twitter")
    tweet = await client.twitter.publish_tweet(token, message="fault me")
    oneall_sandbox_fresh.add_fault(endpoint="twitter.list_tweets", status=503, times=1)
    with pytest.raises(ServiceUnavailableError):
        await client.twitter.list_tweets(token)
    assert len(await client.twitter.list_tweets(token)) == 1
    # Processed, answer lost: the delete happened although the client could not know. (A
    # transport may re-send an idempotent DELETE on a dropped keep-alive connection, which then
    # meets the 404 of a second delete: either way the tweet is gone.)
    oneall_sandbox_fresh.add_fault("reset=after,provider=twitter", endpoint="twitter.delete_tweet")
    with pytest.raises((OutcomeUnknownError, NotFoundError)):
        await client.twitter.delete_tweet(token, tweet.post_id)
    assert len(await client.twitter.list_tweets(token)) == 0
    outcomes = [
        r["outcome"] for r in oneall_sandbox_fresh.requests(endpoint="twitter.delete_tweet")
    ]
    assert outcomes[0] == "reset-after" and set(outcomes[1:]) <= {"rejected"}
