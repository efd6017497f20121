"""The base of the generated provider groups (``client.twitter``, ``client.facebook``, ...)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from .._io import Timeout
from ..endpoints import Endpoint
from ..models.requests import RequestModel
from ..models.results import Result
from ._base_client import AsyncBaseClient
from .jobs import AsyncJob

__all__ = ["AsyncResource"]

R = TypeVar("R", bound=Result)


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
