"""The row types of the endpoint table (:mod:`oneall_push.endpoints` holds the rows)."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import quote

import attrs

from .errors import RequestValidationError
from .models import requests as rq
from .models import results as rs

__all__ = ["ApiEndpoint", "DocStatus", "Family", "HttpMethod", "Provider", "PushEndpoint"]

DocStatus = Literal["verified", "inferred"]
Family = Literal["push", "connection", "user", "identity", "sharing", "update", "pull"]
HttpMethod = Literal["GET", "POST", "PUT", "DELETE"]
# The networks the Push API publishes to, as OneAll names them.
Provider = Literal["facebook", "linkedin", "pinterest", "twitter", "youtube"]

_PLACEHOLDER = re.compile(r"<([a-z_]+)>")


@functools.lru_cache(maxsize=4096)
def _quote_segment(value: str) -> str:
    # Identity tokens repeat from call to call; quoting is a measurable share of a call.
    return quote(value, safe="")


def _snake(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")


class _Path:
    """Path rendering shared by both kinds of row."""

    path: str
    path_params: tuple[str, ...]
    _template: str

    def render_path(self, values: Mapping[str, str]) -> str:
        """Fill the placeholders, refusing empty values, and percent-quote them."""

        filled = {}
        for name in self.path_params:
            value = values.get(name)
            if not isinstance(value, str) or not value.strip():
                raise RequestValidationError(name, "must be a non-empty string")
            if value in (".", ".."):
                raise RequestValidationError(name, "must not be '.' or '..'")
            filled[name] = _quote_segment(value)
        return self._template.format_map(filled)

    def path_pattern(self) -> re.Pattern[str]:
        """A regex matching concrete paths of this endpoint (for the sandbox and receivers)."""
        pattern = re.escape(self.path)
        for name in self.path_params:
            pattern = pattern.replace(re.escape(f"<{name}>"), f"(?P<{name}>[^/]+)")
        return re.compile(f"^/?{pattern}$")


@attrs.frozen
class PushEndpoint(_Path):
    """One Push resource.

    ``path`` uses the docs' ``<placeholder>`` form; each placeholder becomes a positional
    parameter of the generated method. ``root`` is the payload node under ``request.push``.
    """

    provider: Provider
    action: str
    path: str
    root: tuple[str, ...]
    request: type[rq.RequestModel]
    result: type[rs.Result]
    summary: str
    doc_status: DocStatus
    method: str = "POST"
    deprecated: str | None = None
    # True: OneAll answers "queued" and later POSTs the result to callback_url.
    async_callback: bool = False
    callback_result: type[rs.Result] | None = None
    doc_url: str | None = None
    notes: str | None = None
    # Derived once: the method name is the snake_case of the docs' action label
    # (``publish_tweet``); the id is ``provider.name`` (``twitter.publish_tweet``).
    name: str = attrs.field(init=False)
    id: str = attrs.field(init=False)
    path_params: tuple[str, ...] = attrs.field(init=False)
    _template: str = attrs.field(init=False, repr=False, eq=False)

    family: Family = attrs.field(default="push", init=False)
    group: str = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        name = _snake(self.action)
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "id", f"{self.provider}.{name}")
        object.__setattr__(self, "group", self.provider)
        _derive_path(self)


def _derive_path(row: PushEndpoint | ApiEndpoint) -> None:
    object.__setattr__(row, "path_params", tuple(_PLACEHOLDER.findall(row.path)))
    template = _PLACEHOLDER.sub(r"{\1}", row.path.replace("{", "{{").replace("}", "}}"))
    object.__setattr__(row, "_template", template)


@attrs.frozen
class ApiEndpoint(_Path):
    """One resource of the other families (connection, user, identity, sharing).

    ``group`` is the client namespace (``client.users``), ``name`` the method; ``query`` holds
    fixed query parameters (``confirm_deletion=true``); ``root`` the node under ``request``
    (``synchronize``, ``sharing_message``) when the call sends a body, described by
    ``request``; ``paginated`` rows take OneAll's ``page``/``entries_per_page`` and ``list_key``
    names the node of ``result.data`` holding ``pagination`` and ``entries``. ``token`` is
    the kind of token the path expects: a 404 names it.

    Update rows (family ``update``, group a provider) send ``request.update`` with ``node``
    the keys below it (``("post",)``); Pull rows (family ``pull``) take ``query_model``'s
    fields as query parameters, and a paginated one pages with ``page`` and ``page_param``
    (``num_pages``) as its size.
    """

    family: Family
    group: str
    name: str
    method: HttpMethod
    path: str
    result: type[Any]
    summary: str
    doc_status: DocStatus
    query: tuple[tuple[str, str], ...] = ()
    root: str | None = None
    request: type[Any] | None = None
    paginated: bool = False
    list_key: str | None = None
    token: str | None = None
    positional: tuple[str, ...] = ()
    doc_url: str | None = None
    notes: str | None = None
    node: tuple[str, ...] = ()
    query_model: type[Any] | None = None
    # The item model of a Pull row that is not paged (its ``result`` is ``PullList``).
    item: type[Any] | None = None
    page_param: str | None = None
    default_page_size: int = 250
    id: str = attrs.field(init=False)
    path_params: tuple[str, ...] = attrs.field(init=False)
    _template: str = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "id", f"{self.group}.{self.name}")
        _derive_path(self)
