"""The table is the single description of the API: both halves and the seeds agree with it."""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterable
from pathlib import Path

import attrs
import pytest

from oneall_push import ENDPOINTS, AsyncOneAll, OneAll
from oneall_push._convert import strict_converter
from oneall_push.endpoints import (
    ACCOUNT_ENDPOINTS,
    PROVIDER_API_ENDPOINTS,
    PROVIDERS,
    TABLE,
    ApiEndpoint,
    by_id,
)
from oneall_push.models import results
from tests.support.samples import RESULT_DATA

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
SEED_COPY = Path(__file__).resolve().parent / "fixtures" / "seed_resources.txt"
PROVIDER_NAMES = {"Facebook", "LinkedIn", "Pinterest", "Twitter", "YouTube"}
ROW = re.compile(r"^(\w+) · (.+?) (/push/identities/\S+) (.+)$")


def resource_rows(lines: Iterable[str]) -> set[tuple[str, str, str, str]]:
    """(provider, summary, path, action label) of every resource-list line."""
    rows: set[tuple[str, str, str, str]] = set()
    for line in lines:
        match = ROW.match(line.strip())
        if match and match.group(1) in PROVIDER_NAMES:
            provider, summary, path, label = match.groups()
            rows.add((provider.lower(), summary, path, label))
    return rows


def seed_resource_list() -> set[tuple[str, str, str, str]]:
    """The 20-row resource list as the newest seed pages print it."""
    rows = set()
    for seed in sorted(SEEDS.glob("*.txt")):
        rows |= resource_rows(seed.read_text().splitlines())
    # The oldest seed lists a shorter menu with the labels cut to one word; keep the full one.
    return {row for row in rows if len(row[3].split()) >= 2}


def test_table_matches_the_documented_resource_list() -> None:
    documented = resource_rows(SEED_COPY.read_text().splitlines())
    table = {(e.provider, e.summary, e.path, e.action) for e in ENDPOINTS}
    assert len(ENDPOINTS) == 20
    assert documented == table


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the shared seeds sit beside the repository")
def test_the_copied_resource_list_matches_the_seeds() -> None:
    assert resource_rows(SEED_COPY.read_text().splitlines()) == seed_resource_list()


def client_pairs() -> list[tuple[object, object, str]]:
    async_client = AsyncOneAll(subdomain="s", public_key="p", private_key="k")
    sync_client = OneAll(subdomain="s", public_key="p", private_key="k")
    pairs = []
    for e in ENDPOINTS:
        pairs.append(
            (
                getattr(getattr(async_client, e.provider), e.name),
                getattr(getattr(sync_client, e.provider), e.name),
                e.id,
            )
        )
    sync_client.close()
    return pairs


@pytest.mark.parametrize(("async_method", "sync_method", "endpoint_id"), client_pairs())
def test_both_halves_expose_every_row_with_equal_signatures(
    async_method: object, sync_method: object, endpoint_id: str
) -> None:
    assert inspect.iscoroutinefunction(async_method)
    assert not inspect.iscoroutinefunction(sync_method)
    assert callable(async_method) and callable(sync_method)
    a = inspect.signature(async_method)
    s = inspect.signature(sync_method)
    assert list(a.parameters) == list(s.parameters)
    for name, param in a.parameters.items():
        twin = s.parameters[name]
        assert (param.kind, param.default, param.annotation) == (
            twin.kind,
            twin.default,
            twin.annotation,
        )
    assert str(a.return_annotation).replace("Async", "Sync") == str(s.return_annotation)
    endpoint = by_id(endpoint_id)
    positional = [
        n for n, p in a.parameters.items() if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    ]
    assert positional == list(endpoint.path_params)
    fields = {f.name for f in attrs.fields(endpoint.request)}
    assert set(a.parameters) == set(endpoint.path_params) | fields | {"extra_fields", "timeout"}


def test_providers_are_client_attributes() -> None:
    client = OneAll(subdomain="s", public_key="p", private_key="k")
    assert sorted(PROVIDERS) == ["facebook", "linkedin", "pinterest", "twitter", "youtube"]
    for provider in PROVIDERS:
        group = getattr(client, provider)
        names = {e.name for e in ENDPOINTS if e.provider == provider}
        names |= {e.name for e in PROVIDER_API_ENDPOINTS if e.group == provider}
        public = {n for n in dir(group) if not n.startswith("_")}
        assert public == names
    client.close()


@pytest.mark.parametrize("name", sorted(RESULT_DATA))
def test_sample_results_fit_the_models_strictly(name: str) -> None:
    cls = getattr(results, name)
    data = {"provider": "twitter", "object": "post", **RESULT_DATA[name]}
    assert strict_converter.structure(data, cls) is not None


def test_table_rows_are_well_formed() -> None:
    for e in ENDPOINTS:
        assert e.path.startswith("/push/identities/<identity_token>/")
        assert e.path.endswith(".json")
        assert e.doc_status in ("verified", "inferred")
        assert re.fullmatch(r"[a-z_]+", e.name)
        if e.doc_status == "verified":
            assert e.doc_url, f"{e.id}: a verified row names its doc page"
    deprecated = {e.id for e in ENDPOINTS if e.deprecated}
    assert deprecated == {
        "facebook.publish_user_post",
        "facebook.upload_user_picture",
        "facebook.upload_user_video",
    }
    assert {e.id for e in ENDPOINTS if e.async_callback} == {
        "twitter.upload_video",
        "youtube.upload_video",
    }


REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"
# The connection, user, identity and sharing resources as the research notes list them
# (oneall-beyond-push-and-x-posting.md §1.1), with OneAll's <token> placeholders.
DOCUMENTED_ACCOUNT_ROUTES = {
    ("GET", "/connections.json"),
    ("GET", "/connections/<connection_token>.json"),
    ("GET", "/users.json"),
    ("GET", "/users/<user_token>.json"),
    ("DELETE", "/users/<user_token>.json"),
    ("GET", "/users/<user_token>/contacts.json"),
    ("GET", "/identities.json"),
    ("GET", "/identities/<identity_token>.json"),
    ("DELETE", "/identities/<identity_token>.json"),
    ("PUT", "/identities/<identity_token>/link.json"),
    ("PUT", "/identities/<identity_token>/synchronize.json"),
    ("GET", "/identities/<identity_token>/contacts.json"),
    ("GET", "/sharing/messages.json"),
    ("POST", "/sharing/messages.json"),
    ("GET", "/sharing/messages/<sharing_message_token>.json"),
    ("POST", "/sharing/messages/<sharing_message_token>.json"),
    ("DELETE", "/sharing/messages/<sharing_message_token>.json"),
}


def test_account_rows_are_the_documented_routes() -> None:
    assert {(e.method, e.path) for e in ACCOUNT_ENDPOINTS} == DOCUMENTED_ACCOUNT_ROUTES
    assert (*ENDPOINTS, *ACCOUNT_ENDPOINTS, *PROVIDER_API_ENDPOINTS) == TABLE
    assert {e.family for e in TABLE} == {
        *("push", "connection", "user", "identity", "sharing"),
        *("update", "pull"),
    }
    assert {e.id for e in ACCOUNT_ENDPOINTS if e.paginated} == {
        "connections.list",
        "users.list",
        "identities.list",
        "sharing.list",
    }
    deletes = {e.id: dict(e.query) for e in ACCOUNT_ENDPOINTS if e.method == "DELETE"}
    assert deletes["users.delete"] == {"confirm_deletion": "true"}
    assert deletes["identities.delete"] == {"confirm_deletion": "true"}
    for e in ACCOUNT_ENDPOINTS:
        assert e.doc_status in ("verified", "inferred")
        assert e.doc_status == "inferred" or e.doc_url, f"{e.id}: a verified row names its page"


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="the shared notes sit beside the repository")
def test_the_account_routes_appear_in_the_research_notes() -> None:
    notes = (REFERENCE / "oneall-beyond-push-and-x-posting.md").read_text()
    for family in ("/connections", "/users", "/identities", "/sharing/messages"):
        assert f"`GET {family}" in notes or f"GET/POST {family}" in notes


@pytest.mark.parametrize("endpoint", ACCOUNT_ENDPOINTS, ids=lambda e: e.id)
def test_both_halves_expose_every_account_row_alike(endpoint: ApiEndpoint) -> None:
    async_client = AsyncOneAll(subdomain="s", public_key="p", private_key="k")
    sync_client = OneAll(subdomain="s", public_key="p", private_key="k")
    a_method = getattr(getattr(async_client, endpoint.group), endpoint.name)
    s_method = getattr(getattr(sync_client, endpoint.group), endpoint.name)
    sync_client.close()
    assert inspect.iscoroutinefunction(a_method) is not endpoint.paginated
    assert not inspect.iscoroutinefunction(s_method)
    a, s = inspect.signature(a_method), inspect.signature(s_method)
    assert list(a.parameters) == list(s.parameters)
    positional = [
        n for n, p in a.parameters.items() if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    ]
    assert positional == [*endpoint.path_params, *endpoint.positional]
    assert str(a.return_annotation).replace("AsyncPaginator", "Paginator") == str(
        s.return_annotation
    )


def test_account_namespaces_hold_exactly_their_rows() -> None:
    client = OneAll(subdomain="s", public_key="p", private_key="k")
    for group in ("connections", "users", "identities", "sharing"):
        public = {n for n in dir(getattr(client, group)) if not n.startswith("_")}
        assert public == {e.name for e in ACCOUNT_ENDPOINTS if e.group == group}
    client.close()


# The Update API's resources as the docs list them (oneall-push-api.md §1.6) and the Pull
# resources of the docs' menu and OneAll's PHP SDK (oneall-beyond-push §1.1).
DOCUMENTED_UPDATE_ROUTES = {
    ("PUT", "/facebook/page/<page_id>/post/<post_id>.json"),
    ("DELETE", "/facebook/page/<page_id>/post/<post_id>.json"),
    ("DELETE", "/facebook/page/<page_id>/picture/<picture_id>.json"),
    ("DELETE", "/facebook/page/<page_id>/video/<video_id>.json"),
    ("PUT", "/pinterest/pin/<pin_id>.json"),
    ("DELETE", "/pinterest/pin/<pin_id>.json"),
    ("DELETE", "/twitter/post/<post_id>.json"),
    ("PUT", "/youtube/channel/section/<section_id>.json"),
    ("DELETE", "/youtube/channel/section/<section_id>.json"),
    ("PUT", "/youtube/playlist/<playlist_id>.json"),
    ("DELETE", "/youtube/playlist/<playlist_id>.json"),
    ("DELETE", "/youtube/playlist/<playlist_id>/video/<video_id>.json"),
}
DOCUMENTED_PULL_PATHS = {
    *("/facebook/likes.json", "/facebook/posts.json", "/facebook/groups.json"),
    *("/facebook/pages.json", "/facebook/group/<group_id>/posts.json"),
    *("/facebook/page/<page_id>/posts.json", "/linkedin/user/posts.json"),
    *("/linkedin/companies.json", "/linkedin/company/<company_id>/posts.json"),
    *("/pinterest/boards.json", "/pinterest/board/<board_id>/pins.json", "/pinterest/pins.json"),
    *("/twitter/tweets.json", "/youtube/videos.json"),
}


def test_update_and_pull_rows_are_the_documented_routes() -> None:
    update = {
        (e.method, e.path.removeprefix("/update/identities/<identity_token>"))
        for e in PROVIDER_API_ENDPOINTS
        if e.family == "update"
    }
    assert update == DOCUMENTED_UPDATE_ROUTES
    pull = [e for e in PROVIDER_API_ENDPOINTS if e.family == "pull"]
    assert {e.path.removeprefix("/pull/identities/<identity_token>") for e in pull} == (
        DOCUMENTED_PULL_PATHS
    )
    assert {e.method for e in pull} == {"GET"}
    # No public copy shows a Pull answer: every Pull row says its shape is inferred.
    assert {e.doc_status for e in pull} == {"inferred"}
    for e in PROVIDER_API_ENDPOINTS:
        assert e.family == "pull" or e.doc_url, f"{e.id}: an Update row names its page"
        assert (e.root == "update") == (e.method == "PUT")


@pytest.mark.parametrize("endpoint", PROVIDER_API_ENDPOINTS, ids=lambda e: e.id)
def test_both_halves_expose_every_update_and_pull_row_alike(endpoint: ApiEndpoint) -> None:
    async_client = AsyncOneAll(subdomain="s", public_key="p", private_key="k")
    sync_client = OneAll(subdomain="s", public_key="p", private_key="k")
    a_method = getattr(getattr(async_client, endpoint.group), endpoint.name)
    s_method = getattr(getattr(sync_client, endpoint.group), endpoint.name)
    sync_client.close()
    assert inspect.iscoroutinefunction(a_method) is not endpoint.paginated
    assert not inspect.iscoroutinefunction(s_method)
    a, s = inspect.signature(a_method), inspect.signature(s_method)
    assert list(a.parameters) == list(s.parameters)
    positional = [
        n for n, p in a.parameters.items() if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    ]
    assert positional == list(endpoint.path_params)
