"""The base of the generated provider groups (``client.twitter``, ``client.facebook``, ...)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import attrs

from .._io import Timeout
from ..endpoints import ApiEndpoint, Endpoint
from ..models.pull import PulledItem, PullList
from ..models.requests import RequestModel
from ..models.results import Result
from ..models.update import Deleted, Updated
from ._account_resource import fetch_row
from ._base_client import AsyncBaseClient
from ._paginate import AsyncPaginator
from .jobs import AsyncJob

__all__ = ["AsyncResource"]

R = TypeVar("R", bound=Result)
C = TypeVar("C", Updated, Deleted)
I = TypeVar("I", bound=PulledItem)  # noqa: E741


class AsyncResource:
    """A group of endpoint methods bound to one client."""

    __slots__ = ("_client",)

    def __init__(self, client: AsyncBaseClient) -> None:
        self._client = client

    async def _request(
        self,
        endpoint: Endpoint,
        path_params: Mapping[str, str],
        payload: RequestModel,
        result_type: type[R],
        *,
        extra_fields: Mapping[str, Any] | None,
        timeout: Timeout | float | None,
    ) -> R:
        return await self._client._call(
            endpoint, path_params, payload, result_type, extra_fields=extra_fields, timeout=timeout
        )

    async def _start_job(
        self,
        endpoint: Endpoint,
        path_params: Mapping[str, str],
        payload: RequestModel,
        result_type: type[R],
        *,
        extra_fields: Mapping[str, Any] | None,
        timeout: Timeout | float | None,
    ) -> AsyncJob[R]:
        return await self._client._start_job(
            endpoint, path_params, payload, result_type, extra_fields=extra_fields, timeout=timeout
        )

    async def _edit(
        self,
        endpoint: ApiEndpoint,
        path_params: Mapping[str, str],
        confirmation: type[C],
        *,
        payload: RequestModel | None = None,
        extra_fields: Mapping[str, Any] | None = None,
        timeout: Timeout | float | None,
    ) -> C:
        """An Update API call: a typed confirmation naming the object edited or deleted."""
        result = await fetch_row(
            self._client,
            endpoint,
            path_params,
            confirmation.from_data,
            payload=payload,
            extra_fields=extra_fields,
            timeout=timeout,
        )
        status = result.envelope.status
        return attrs.evolve(
            result,
            id=path_params[endpoint.path_params[-1]],
            status=status.code,
            info=status.info,
            resource=result.envelope.resource,
            envelope=result.envelope,
            http=result.http,
        )

    async def _pull(
        self,
        endpoint: ApiEndpoint,
        path_params: Mapping[str, str],
        item: type[I],
        *,
        query: Mapping[str, str] | None = None,
        timeout: Timeout | float | None,
    ) -> PullList[I]:
        """A Pull API list that is not paged."""
        key = endpoint.list_key or ""
        return await fetch_row(
            self._client,
            endpoint,
            path_params,
            lambda data: PullList.read(data, key, item),
            query=query,
            timeout=timeout,
        )

    def _pages(
        self,
        endpoint: ApiEndpoint,
        path_params: Mapping[str, str],
        item: type[I],
        *,
        page_size: int,
        start_page: int,
        timeout: Timeout | float | None,
    ) -> AsyncPaginator[I]:
        """A paged Pull API list: pages are asked for as iteration reaches them."""
        return AsyncPaginator(
            self._client,
            endpoint,
            item.from_data,
            page_size=page_size,
            order_direction=None,
            start_page=start_page,
            timeout=timeout,
            path_params=path_params,
        )
