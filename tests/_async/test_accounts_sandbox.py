"""Connections, users, identities and sharing end to end against the sandbox (both halves)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from oneall_push import (
    AsyncOneAll,
    BadRequestError,
    NotFoundError,
    RetryPolicy,
    TokenNotFoundError,
)
from oneall_push.models.accounts import Identity
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


async def test_a_login_resolves_to_a_user_and_identity_tokens(
    oneall_sandbox_fresh: Sandbox, sandbox_client: ClientMaker
) -> None:
    client = sandbox_client()
    connection_token = oneall_sandbox_fresh.login("twitter")
    connection = await client.connections.get(connection_token)
    assert connection.plugin == "social_login"
    assert connection.identity is not None and connection.identity.provider == "twitter"
    assert connection.user_token is not None
    user = await client.users.get(connection.user_token)
    assert [i.identity_token for i in user.identities] == [connection.identity.identity_token]
    # The identity token publishes through Push.
    result = await client.twitter.publish_tweet(
        connection.identity.identity_token, message="from a login"
    )
    assert result.post_id
    # Social Link: a second network joins the same user.
    linked = oneall_sandbox_fresh.login("facebook", user_token=user.user_token)
    link = await client.connections.get(linked)
    assert link.plugin == "social_link" and link.user_token == user.user_token
    again = await client.users.get(user.user_token)
    assert sorted(i.provider or "" for i in again.identities) == ["facebook", "twitter"]


async def test_a_deleted_identity_is_gone_for_push_too(
    oneall_sandbox_fresh: Sandbox, sandbox_client: ClientMaker
) -> None:
    client = sandbox_client()
    token = oneall_sandbox_fresh.token("twitter")
    await client.twitter.publish_tweet(token, message="before")
    deletion = await client.identities.delete(token)
    assert deletion.deleted
    with pytest.raises(NotFoundError):
        await client.twitter.publish_tweet(token, message="after")
    with pytest.raises(TokenNotFoundError) as caught:
        await client.identities.get(token)
    assert caught.value.token_kind == "identity_token"


async def test_a_user_token_where_an_identity_token_belongs_says_so(
    oneall_sandbox_fresh: Sandbox, sandbox_client: ClientMaker
) -> None:
    client = sandbox_client()
    user_token = (await client.connections.get(oneall_sandbox_fresh.login("twitter"))).user_token
    assert user_token is not None
    with pytest.raises(TokenNotFoundError, match="expects a identity_token"):
        await client.identities.synchronize(user_token)


async def test_synchronize_updates_dates_and_can_rotate_the_access_token(
    oneall_sandbox_fresh: Sandbox, sandbox_client: ClientMaker
) -> None:
    client = sandbox_client()
    token = oneall_sandbox_fresh.token("youtube")
    before = await client.identities.get(token)
    meta = oneall_sandbox_fresh.state.accounts.identity_meta[token]
    meta.date_last_update = "Mon, 01 Jan 2024 00:00:00 +0000"
    kept = await client.identities.synchronize(token)
    assert kept.date_last_update is not None and kept.date_last_update.year > 2024
    assert kept.access_token == before.access_token
    rotated = await client.identities.synchronize(token, force_token_update=True)
    assert rotated.access_token != before.access_token
    assert rotated.identity_token == token  # "the identity_token remains unchanged"
    assert meta.synchronized == 2


async def test_relink_moves_an_identity_and_users_delete_removes_all(
    oneall_sandbox_fresh: Sandbox, sandbox_client: ClientMaker
) -> None:
    client = sandbox_client()
    first = await client.connections.get(oneall_sandbox_fresh.login("twitter"))
    second = await client.connections.get(oneall_sandbox_fresh.login("pinterest"))
    assert first.identity is not None and second.user_token is not None
    moved = await client.identities.relink(first.identity.identity_token, second.user_token)
    assert moved.user_token == second.user_token
    owner = await client.users.get(second.user_token)
    assert len(owner.identities) == 2
    with pytest.raises(TokenNotFoundError):
        await client.identities.relink(first.identity.identity_token, "no-such-user")
    await client.users.delete(second.user_token)
    with pytest.raises(TokenNotFoundError):
        await client.users.get(second.user_token)
    with pytest.raises(NotFoundError):
        await client.twitter.publish_tweet(first.identity.identity_token, message="gone")


async def test_contacts_of_users_and_identities(
    oneall_sandbox_fresh: Sandbox, sandbox_client: ClientMaker
) -> None:
    client = sandbox_client()
    user = await client.connections.get(oneall_sandbox_fresh.login("twitter"))
    assert user.user_token is not None and user.identity is not None
    assert len(await client.users.contacts(user.user_token)) == 1
    contacts = await client.identities.contacts(user.identity.identity_token)
    assert contacts.contacts[0].name is not None


async def test_lists_page_through_the_sandbox(
    oneall_sandbox_fresh: Sandbox, sandbox_client: ClientMaker
) -> None:
    client = sandbox_client()
    for _ in range(7):
        oneall_sandbox_fresh.login("twitter")
    connections = [c async for c in client.connections.list(page_size=3)]
    assert len(connections) == 7
    users = [u.user_token async for u in client.users.list(page_size=2, order_direction="desc")]
    assert len(users) == len(set(users)) == 8  # seven logins and the configured identities' user
    identities = [i async for i in client.identities.list(page_size=500)]
    assert all(isinstance(i, Identity) for i in identities)
    assert {i.identity_token for i in identities} >= set(oneall_sandbox_fresh.tokens("twitter"))
    pages = [p async for p in client.connections.list(page_size=3).pages()]
    assert [len(p.entries) for p in pages] == [3, 3, 1]
    assert pages[0].total_entries == 7 and pages[0].total_pages == 3
    list_requests = oneall_sandbox_fresh.requests(endpoint="connections.list")
    assert len(list_requests) == 6


async def test_sharing_publishes_to_each_identity_and_one_provider_can_fail(
    oneall_sandbox_fresh: Sandbox, sandbox_client: ClientMaker
) -> None:
    client = sandbox_client()
    sandbox = oneall_sandbox_fresh
    user = await client.connections.get(sandbox.login("twitter"))
    assert user.user_token is not None
    sandbox.login("linkedin", user_token=user.user_token)
    sandbox.add_fault(endpoint="sharing.publish", provider="linkedin", status=403, times=1)
    message = await client.sharing.publish(
        user_token=user.user_token,
        providers=["twitter", "linkedin"],
        text="One message, two networks",
        link_url="https://example.com/post",
    )
    assert sorted((p.provider, p.ok) for p in message.publications) == [
        ("linkedin", False),
        ("twitter", True),
    ]
    [failed] = message.failed()
    assert failed.code == 403 and failed.provider == "linkedin"
    records = sandbox.records(endpoint="sharing.publish")
    assert sorted((r["provider"], r["status"]) for r in records) == [
        ("linkedin", "failed"),
        ("twitter", "published"),
    ]
    # The rule fired once: a re-publish reaches both networks.
    again = await client.sharing.republish(
        message.sharing_message_token, user_token=user.user_token, providers=["linkedin"]
    )
    assert [(p.provider, p.ok) for p in again.publications] == [
        ("twitter", True),
        ("linkedin", False),
        ("linkedin", True),
    ]
    read = await client.sharing.get(message.sharing_message_token)
    assert len(read.publications) == 3
    listed = [m.sharing_message_token async for m in client.sharing.list()]
    assert listed == [message.sharing_message_token]
    await client.sharing.delete(message.sharing_message_token)
    with pytest.raises(TokenNotFoundError) as caught:
        await client.sharing.get(message.sharing_message_token)
    assert caught.value.token_kind == "sharing_message_token"


async def test_sharing_for_one_identity(
    oneall_sandbox_fresh: Sandbox, sandbox_client: ClientMaker
) -> None:
    client = sandbox_client()
    token = oneall_sandbox_fresh.token("facebook")
    message = await client.sharing.publish(identity_token=token, picture_url="https://e.x/p.png")
    [publication] = message.publications
    assert publication.identity_token == token and publication.ok


async def test_a_provider_fault_rule_leaves_other_providers_push_calls_alone(
    oneall_sandbox_fresh: Sandbox, sandbox_client: ClientMaker
) -> None:
    client = sandbox_client()
    oneall_sandbox_fresh.add_fault(provider="linkedin", status=503, times=1)
    await client.twitter.publish_tweet(oneall_sandbox_fresh.token("twitter"), message="fine")
    assert oneall_sandbox_fresh.faults()[0]["fired"] == 0


async def test_the_sandbox_refuses_what_oneall_would(
    oneall_sandbox_fresh: Sandbox, sandbox_client: ClientMaker
) -> None:
    client = sandbox_client()
    token = oneall_sandbox_fresh.token("twitter")
    # A raw list call beyond OneAll's 500 per page (the client refuses it before sending).
    paginator = client.users.list(page_size=500)
    paginator.page_size = 501
    with pytest.raises(BadRequestError):
        await paginator.page(1)
    with pytest.raises(TokenNotFoundError):
        await client.connections.get("no-such-connection")
    await client.identities.get(token)
