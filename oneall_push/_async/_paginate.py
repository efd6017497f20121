"""Lazy iteration over OneAll's list resources (``page`` / ``entries_per_page``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from .._io import Timeout
from ..errors import RequestValidationError
from ..models.accounts import Page, page_totals
from ._base_client import AsyncBaseClient

if TYPE_CHECKING:
    from ..endpoints import ApiEndpoint

__all__ = ["MAX_PAGE_SIZE", "AsyncPaginator", "check_page_args"]

M = TypeVar("M")
MAX_PAGE_SIZE = 500


def check_page_args(page_size: object, order_direction: object, start_page: object) -> None:
    """OneAll's limits, checked before the first page is asked for (a Pull paginator has no
    order direction: None)."""
    if not isinstance(page_size, int) or isinstance(page_size, bool):
        raise RequestValidationError("page_size", "must be a whole number")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise RequestValidationError("page_size", f"must be between 1 and {MAX_PAGE_SIZE}")
    if order_direction is not None and order_direction not in ("asc", "desc"):
        raise RequestValidationError("order_direction", "must be 'asc' or 'desc'")
    if not isinstance(start_page, int) or isinstance(start_page, bool) or start_page < 1:
        raise RequestValidationError("start_page", "must be a whole number of at least 1")


class AsyncPaginator(Generic[M]):
    """Iterate the items of a list resource, asking for each page only when it is reached.

    Iterating the paginator yields items; ``paginator.pages()`` yields
    :class:`~oneall_push.models.accounts.Page` objects with OneAll's pagination totals.
    """

    def __init__(
        self,
        client: AsyncBaseClient,
        endpoint: ApiEndpoint,
        parse: Callable[[Any], M],
        *,
        page_size: int,
        order_direction: str | None,
        start_page: int,
        timeout: Timeout | float | None,
        path_params: Mapping[str, str] | None = None,
    ) -> None:
        check_page_args(page_size, order_direction, start_page)
        # A Pull row's identity token (and page or group id) are checked before any page.
        endpoint.render_path(path_params or {})
        self._path_params = dict(path_params or {})
        self._client = client
        self._endpoint = endpoint
        self._parse = parse
        self.page_size = page_size
        self.order_direction = order_direction
        self.start_page = start_page
        self._timeout = timeout

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self._endpoint.id}, page_size={self.page_size}, "
            f"order_direction={self.order_direction!r})"
        )

    def __aiter__(self) -> AsyncIterator[M]:
        return self._items()

    async def _items(self) -> AsyncIterator[M]:
        async for page in self.pages():
            for item in page.entries:  # noqa: UP028, RUF100 (the sync twin could yield from)
                yield item

    async def pages(self) -> AsyncIterator[Page[M]]:
        """Each page in turn, from ``start_page`` to the last."""
        number = self.start_page
        while True:
            page = await self.page(number)
            yield page
            if page.is_last or page.current_page < number:
                return
            number += 1

    async def page(self, number: int) -> Page[M]:
        """One page (numbered from 1)."""
        if not isinstance(number, int) or isinstance(number, bool) or number < 1:
            raise RequestValidationError("page", "must be a whole number of at least 1")
        query = {
            "page": str(number),
            self._endpoint.page_param or "entries_per_page": str(self.page_size),
        }
        if self.order_direction is not None:
            query["order_direction"] = self.order_direction
        envelope, data, _ = await self._client._call_account(
            self._endpoint, self._path_params, query=query, timeout=self._timeout
        )
        return self._read(envelope, data, number)

    def _read(self, envelope: Any, data: Any, number: int) -> Page[M]:
        key = self._endpoint.list_key or ""
        node: Any = data.get(key) if isinstance(data, Mapping) else None
        if isinstance(node, list):
            node = {"entries": node}
        if not isinstance(node, Mapping):
            node = {}
        raw_entries = node.get("entries", [])
        if not isinstance(raw_entries, list):
            raw_entries = []
        entries = []
        for raw in raw_entries:
            try:
                entries.append(self._parse(raw))
            except ValueError:
                continue  # an entry without its token cannot be used
        totals = page_totals(node, page=number, size=self.page_size, count=len(entries))
        if "pagination" not in node and self._endpoint.family == "pull":
            # Pull answers' paging is inferred: without totals, a full page may have a next.
            full = len(raw_entries) >= self.page_size
            totals["total_pages"] = number + 1 if full else number
        return Page(entries=tuple(entries), envelope=envelope, **totals)
