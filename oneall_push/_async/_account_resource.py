"""The base of the generated account namespaces (``client.users``, ``client.sharing``, ...)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from .._envelope import _excerpt
from .._io import Timeout
from ..errors import ResponseDecodeError, UnreadableSuccessError
from ._base_client import AsyncBaseClient
from ._paginate import AsyncPaginator

if TYPE_CHECKING:
    from ..endpoints import ApiEndpoint

__all__ = ["AsyncAccountResource", "fetch_row"]

M = TypeVar("M")


class AsyncAccountResource:
    """A group of connection, user, identity or sharing methods bound to one client."""

    __slots__ = ("_client",)

    def __init__(self, client: AsyncBaseClient) -> None:
        self._client = client

    async def _fetch(
        self,
        endpoint: ApiEndpoint,
        path_params: Mapping[str, str],
        parse: Callable[[Any], M],
        *,
        payload: Any = None,
        extra_fields: Mapping[str, Any] | None = None,
        timeout: Timeout | float | None = None,
    ) -> M:
        return await fetch_row(
            self._client,
            endpoint,
            path_params,
            parse,
            payload=payload,
            extra_fields=extra_fields,
            timeout=timeout,
        )

    def _paginate(
        self,
        endpoint: ApiEndpoint,
        parse: Callable[[Any], M],
        *,
        page_size: int,
        order_direction: str,
        start_page: int,
        timeout: Timeout | float | None,
    ) -> AsyncPaginator[M]:
        return AsyncPaginator(
            self._client,
            endpoint,
            parse,
            page_size=page_size,
            order_direction=order_direction,
            start_page=start_page,
            timeout=timeout,
        )


async def fetch_row(
    client: AsyncBaseClient,
    endpoint: ApiEndpoint,
    path_params: Mapping[str, str],
    parse: Callable[[Any], M],
    *,
    payload: Any = None,
    extra_fields: Mapping[str, Any] | None = None,
    query: Mapping[str, str] | None = None,
    timeout: Timeout | float | None = None,
) -> M:
    """Send one row of ``ACCOUNT_ENDPOINTS`` or ``PROVIDER_API_ENDPOINTS`` and parse its data."""
    envelope, data, response = await client._call_account(
        endpoint,
        path_params,
        query=query,
        payload=payload,
        extra_fields=extra_fields,
        timeout=timeout,
    )
    try:
        result = parse(data if data is not None else {})
    except (ValueError, TypeError) as exc:
        # A write that answered 2xx went through even if its body cannot be read.
        error = UnreadableSuccessError if endpoint.method != "GET" else ResponseDecodeError
        raise error(
            f"result of {endpoint.id} cannot be read: {exc}",
            status=response.status,
            body_excerpt=_excerpt(data),
            endpoint=endpoint.id,
        ) from None
    # Results are frozen; the envelope and the answer are attached in place.
    object.__setattr__(result, "envelope", envelope)
    if hasattr(result, "info") and not getattr(result, "info", ""):
        object.__setattr__(result, "info", envelope.status.info)
    if hasattr(result, "http"):
        object.__setattr__(result, "http", response)
    return result
