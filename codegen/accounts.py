"""Render ``oneall_push/_async/_accounts.py`` (connections, users, identities, sharing) and
their rows of the README's endpoint reference from ``ACCOUNT_ENDPOINTS``."""

from __future__ import annotations

import textwrap

import attrs

from codegen.resources import _param_type
from oneall_push.endpoints import ACCOUNT_ENDPOINTS, ApiEndpoint

GROUP_CLASS = {
    "connections": "Connections",
    "users": "Users",
    "identities": "Identities",
    "sharing": "Sharing",
}
GROUP_DOC = {
    "connections": "Connections: one per login through Social Login or Social Link.",
    "users": "Users and the identities linked to them.",
    "identities": "Identities: one social network account each, with its access token.",
    "sharing": "Social Sharing: one message published to several networks at once.",
}


def _annotation(text: str) -> str:
    # ``list`` is a method name in these classes: the builtin is named through ``builtins``.
    return text.replace("list[", "builtins.list[")


def _doc(e: ApiEndpoint) -> str:
    lines = [f"{e.summary}.", ""]
    query = "?" + "&".join(f"{k}={v}" for k, v in e.query) if e.query else ""
    lines.append(f"``{e.method} {e.path}{query}`` ({e.doc_status}).")
    if e.paginated:
        lines.append(
            "Pages are fetched as iteration reaches them (page_size at most 500); "
            "``.pages()`` yields the pages with their totals."
        )
    if e.token:
        lines.append(f"A 404 raises TokenNotFoundError naming the {e.token} expected.")
    if e.doc_status == "inferred" and e.request is not None:
        lines.append("The payload is inferred, not documented: pass other keys in extra_fields.")
    if e.doc_url:
        lines.append(f"See {e.doc_url}")
    text = "\n".join(textwrap.indent(line, " " * 8) if line else "" for line in lines)
    return f'        """{text.strip()}\n        """'


def _method(e: ApiEndpoint) -> str:
    result = e.result.__name__
    params = ["self", *(f"{p}: str" for p in e.path_params)]
    fields = attrs.fields(e.request) if e.request is not None else ()
    params += [f"{name}: str" for name in e.positional]
    params.append("*")
    for f in fields:
        if f.name in e.positional:
            continue
        annotation = _annotation(_param_type(f.type))
        default = "" if f.default is attrs.NOTHING else f" = {f.default!r}"
        params.append(f"{f.name}: {annotation}{default}")
    path_map = "{" + ", ".join(f'"{p}": {p}' for p in e.path_params) + "}"
    row = f'_E["{e.id}"]'
    if e.paginated:
        params += [
            "page_size: int = 250",
            'order_direction: Literal["asc", "desc"] = "asc"',
            "start_page: int = 1",
            "timeout: Timeout | float | None = None",
        ]
        return "\n".join(
            [
                f"    def {e.name}({', '.join(params)}) -> AsyncPaginator[{result}]:",
                _doc(e),
                "        return self._paginate(",
                f"            {row}, {result}.from_data, page_size=page_size,",
                "            order_direction=order_direction, start_page=start_page, timeout=timeout,",
                "        )",
            ]
        )
    if e.request is not None:
        params.append("extra_fields: Mapping[str, Any] | None = None")
    params.append("timeout: Timeout | float | None = None")
    body = []
    if e.request is not None:
        kwargs = ", ".join(f"{f.name}={f.name}" for f in fields)
        body.append(f"        payload = {e.request.__name__}({kwargs})")
        extra = "payload=payload, extra_fields=extra_fields, "
    else:
        extra = ""
    body += [
        "        return await self._fetch(",
        f"            {row}, {path_map}, {result}.from_data, {extra}timeout=timeout",
        "        )",
    ]
    return "\n".join([f"    async def {e.name}({', '.join(params)}) -> {result}:", _doc(e), *body])


def _group_class(group: str) -> str:
    rows = [e for e in ACCOUNT_ENDPOINTS if e.group == group]
    methods = "\n\n".join(_method(e) for e in rows)
    name = GROUP_CLASS[group]
    return f'class Async{name}(AsyncAccountResource):\n    """{GROUP_DOC[group]}"""\n\n{methods}\n'


def render_accounts() -> str:
    groups = list(dict.fromkeys(e.group for e in ACCOUNT_ENDPOINTS))
    results = sorted({e.result.__name__ for e in ACCOUNT_ENDPOINTS})
    requests = sorted({e.request.__name__ for e in ACCOUNT_ENDPOINTS if e.request is not None})
    by_module: dict[str, list[str]] = {}
    for cls in {e.result for e in ACCOUNT_ENDPOINTS} | {
        e.request for e in ACCOUNT_ENDPOINTS if e.request is not None
    }:
        by_module.setdefault(cls.__module__.rsplit(".", 1)[1], []).append(cls.__name__)
    imports = "\n".join(
        f"from ..models.{module} import {', '.join(sorted(names))}"
        for module, names in sorted(by_module.items())
    )
    del results, requests
    classes = "\n\n".join(_group_class(g) for g in groups)
    return f'''"""One class per account namespace, one method per row of oneall_push.endpoints."""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import Any, Literal

from .._io import Timeout
from ..endpoints import ACCOUNT_ENDPOINTS
{imports}
from ._account_resource import AsyncAccountResource
from ._paginate import AsyncPaginator

__all__ = [{", ".join(f'"Async{GROUP_CLASS[g]}"' for g in groups)}]

_E = {{e.id: e for e in ACCOUNT_ENDPOINTS}}


{classes}'''


def render_account_reference() -> str:
    rows = [
        "Connections, users, identities and Social Sharing (`client.<namespace>.<method>`; "
        "a 404 for a token raises `TokenNotFoundError`):",
        "",
        "| Method | Resource | Status | Result | Notes |",
        "|---|---|---|---|---|",
    ]
    for e in ACCOUNT_ENDPOINTS:
        args = [*e.path_params, *e.positional]
        if e.request is not None:
            args.append("...")
        query = "?" + "&".join(f"{k}={v}" for k, v in e.query) if e.query else ""
        result = f"paginator of `{e.result.__name__}`" if e.paginated else f"`{e.result.__name__}`"
        notes = []
        if e.root:
            notes.append(f"body `request.{e.root}`")
        if e.paginated:
            notes.append("page_size ≤ 500")
        if e.notes:
            notes.append(e.notes)
        rows.append(
            f"| `{e.group}.{e.name}({', '.join(args)})` | `{e.method} {e.path}{query}` "
            f"| {e.doc_status} | {result} | {'; '.join(notes)} |"
        )
    return "\n".join(rows) + "\n"
