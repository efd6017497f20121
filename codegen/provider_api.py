"""Render the Update and Pull methods of the provider classes in ``_async/_resources.py`` and
their rows of the README's endpoint reference, from ``PROVIDER_API_ENDPOINTS``."""

from __future__ import annotations

import textwrap

import attrs

from codegen.resources import _param_type
from oneall_push.endpoints import PROVIDER_API_ENDPOINTS, ApiEndpoint

__all__ = ["imports", "methods", "render_provider_api_reference"]


def _doc(e: ApiEndpoint) -> str:
    lines = [f"{e.summary}.", ""]
    lines.append(f"``{e.method} {e.path}`` ({e.doc_status}).")
    if e.family == "update":
        kind = "Updated" if e.method == "PUT" else "Deleted"
        lines.append(f"Answers a {kind} confirmation naming {e.path_params[-1]}; never None.")
    if e.paginated:
        lines.append(
            f"Pages (``page``, ``{e.page_param}``) are fetched as iteration reaches them; "
            "``.pages()`` yields the pages."
        )
    if e.token:
        lines.append(f"A 404 raises TokenNotFoundError naming the {e.token} expected.")
    if e.notes:
        lines.append(e.notes)
    if e.doc_url:
        lines.append(f"See {e.doc_url}")
    text = "\n".join(textwrap.indent(line, " " * 8) if line else "" for line in lines)
    return f'        """{text.strip()}\n        """'


def _fields(model: type | None) -> list[str]:
    params = []
    for f in attrs.fields(model) if model is not None else ():
        annotation = _param_type(f.type)
        default = "" if f.default is attrs.NOTHING else f" = {f.default!r}"
        params.append(f"{f.name}: {annotation}{default}")
    return params


def _method(e: ApiEndpoint) -> str:
    params = ["self", *(f"{p}: str" for p in e.path_params), "*"]
    path_map = "{" + ", ".join(f'"{p}": {p}' for p in e.path_params) + "}"
    row = f'_A["{e.id}"]'
    body: list[str] = []
    if e.paginated:
        item = e.result.__name__
        params += [
            f"page_size: int = {e.default_page_size}",
            "start_page: int = 1",
            "timeout: Timeout | float | None = None",
        ]
        head = f"    def {e.name}({', '.join(params)}) -> AsyncPaginator[{item}]:"
        body.append(
            f"        return self._pages({row}, {path_map}, {item}, page_size=page_size, "
            "start_page=start_page, timeout=timeout)"
        )
    elif e.family == "pull":
        assert e.item is not None
        item = e.item.__name__
        params += _fields(e.query_model)
        params.append("timeout: Timeout | float | None = None")
        head = f"    async def {e.name}({', '.join(params)}) -> PullList[{item}]:"
        query = "None"
        if e.query_model is not None:
            kwargs = ", ".join(f"{f.name}={f.name}" for f in attrs.fields(e.query_model))
            body.append(f"        query = {e.query_model.__name__}({kwargs})")
            query = "query.to_query()"
        body.append(
            f"        return await self._pull({row}, {path_map}, {item}, query={query}, "
            "timeout=timeout)"
        )
    else:
        result = e.result.__name__
        params += _fields(e.request)
        payload = ""
        if e.request is not None:
            params.append("extra_fields: Mapping[str, Any] | None = None")
            kwargs = ", ".join(f"{f.name}={f.name}" for f in attrs.fields(e.request))
            body.append(f"        payload = {e.request.__name__}({kwargs})")
            payload = "payload=payload, extra_fields=extra_fields, "
        params.append("timeout: Timeout | float | None = None")
        head = f"    async def {e.name}({', '.join(params)}) -> {result}:"
        body.append(
            f"        return await self._edit({row}, {path_map}, {result}, {payload}"
            "timeout=timeout)"
        )
    return "\n".join([head, _doc(e), *body])


def methods(provider: str) -> list[str]:
    return [_method(e) for e in PROVIDER_API_ENDPOINTS if e.group == provider]


def imports() -> str:
    by_module: dict[str, set[str]] = {}
    for e in PROVIDER_API_ENDPOINTS:
        for cls in (e.result, e.request, e.item, e.query_model):
            if cls is not None:
                by_module.setdefault(cls.__module__.rsplit(".", 1)[1], set()).add(cls.__name__)
    lines = [
        f"from ..models.{module} import {', '.join(sorted(names))}"
        for module, names in sorted(by_module.items())
    ]
    return "\n".join(lines)


def render_provider_api_reference() -> str:
    rows = [
        "Update and Pull (`client.<provider>.<method>`): edit or delete what Push published, "
        "and list what a user may publish to or has published (response shapes of Pull are "
        "inferred):",
        "",
        "| Method | Resource | Status | Result | Notes |",
        "|---|---|---|---|---|",
    ]
    for e in PROVIDER_API_ENDPOINTS:
        args = list(e.path_params)
        model = e.request if e.family == "update" else e.query_model
        if model is not None:
            args.append("...")
        if e.paginated:
            result = f"paginator of `{e.result.__name__}`"
        elif e.item is not None:
            result = f"`PullList[{e.item.__name__}]`"
        else:
            result = f"`{e.result.__name__}`"
        notes = []
        if e.node:
            notes.append(f"body `request.update.{'.'.join(e.node)}`")
        if e.paginated:
            notes.append(f"`page`, `{e.page_param}`")
        if e.query_model is not None:
            notes.append(", ".join(f"`{f.name}`" for f in attrs.fields(e.query_model)))
        if e.notes:
            notes.append(e.notes)
        rows.append(
            f"| `{e.group}.{e.name}({', '.join(args)})` | `{e.method} {e.path}` "
            f"| {e.doc_status} | {result} | {'; '.join(notes)} |"
        )
    return "\n".join(rows) + "\n"
