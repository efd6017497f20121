"""Render ``oneall_push/_async/_resources.py`` and the README's endpoint reference from the table."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable

import attrs

from oneall_push.endpoints import ENDPOINTS, PROVIDERS, Endpoint
from oneall_push.models import requests as request_models

PROVIDER_CLASS = {
    "facebook": "Facebook",
    "linkedin": "LinkedIn",
    "pinterest": "Pinterest",
    "twitter": "Twitter",
    "youtube": "YouTube",
}

# Model annotations that read better as parameter types. A list parameter is a list or a
# tuple, as the model's converter accepts: a bare ``str`` (a Sequence[str] too) is refused by
# type checkers as it is at run time.
PARAM_TYPES = {
    "tuple[str, ...] | None": "list[str] | tuple[str, ...] | None",
    "tuple[str, ...]": "list[str] | tuple[str, ...]",
}


def _param_type(annotation: object) -> str:
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "Any")
    return PARAM_TYPES.get(text, text)


def _aliases_used() -> list[str]:
    """The request module's type aliases (``PrivacyStatus``...) that parameters name."""
    names: set[str] = set()
    for e in ENDPOINTS:
        for f in attrs.fields(e.request):
            for word in re.findall(r"[A-Za-z_]\w*", _param_type(f.type)):
                if word in request_models.__all__ and not isinstance(
                    getattr(request_models, word), type
                ):
                    names.add(word)
    return sorted(names)


def _method(e: Endpoint) -> str:
    fields = attrs.fields(e.request)
    params = ["self"] + [f"{p}: str" for p in e.path_params] + ["*"]
    for f in fields:
        annotation = _param_type(f.type)
        if f.default is attrs.NOTHING:
            params.append(f"{f.name}: {annotation}")
        else:
            params.append(f"{f.name}: {annotation} = {f.default!r}")
    params += [
        "extra_fields: Mapping[str, Any] | None = None",
        "timeout: Timeout | float | None = None",
    ]
    if e.async_callback:
        assert e.callback_result is not None
        returns = f"AsyncJob[{e.callback_result.__name__}]"
        call, cast = "_start_job", e.callback_result.__name__
    else:
        returns = e.result.__name__
        call, cast = "_request", e.result.__name__
    doc = [f"{e.summary}.", ""]
    doc.append(f"``{e.method} {e.path}`` (payload {e.doc_status}).")
    if e.async_callback:
        doc.append(
            "Processed asynchronously: the returned job resolves when OneAll calls back "
            "(a caller-given callback_url leaves the job unmanaged)."
        )
    if e.deprecated:
        doc.append(f"Deprecated: {e.deprecated}")
    if e.doc_status == "inferred":
        doc.append("The payload is inferred, not documented: pass other keys in extra_fields.")
    if e.doc_url:
        doc.append(f"See {e.doc_url}")
    doc_text = "\n".join(textwrap.indent(line, " " * 8) if line else "" for line in doc)
    kwargs = ", ".join(f"{f.name}={f.name}" for f in fields)
    path_map = ", ".join(f'"{p}": {p}' for p in e.path_params)
    lines = []
    if e.deprecated:
        # PEP 702: checkers flag the call; the method itself warns at run time.
        lines.append(f"    @deprecated({f'{e.id} is deprecated: {e.deprecated}'!r})")
    lines += [
        f"    async def {e.name}({', '.join(params)}) -> {returns}:",
        f'        """{doc_text.strip()}\n        """',
    ]
    if e.deprecated:
        lines.append(
            f"        warnings.warn({f'{e.id} is deprecated: {e.deprecated}'!r}, "
            "DeprecationWarning, stacklevel=2)"
        )
    lines += [
        f"        payload = {e.request.__name__}({kwargs})",
        f"        return await self.{call}(",
        f'            _E["{e.id}"], {{{path_map}}}, payload, {cast},',
        "            extra_fields=extra_fields, timeout=timeout,",
        "        )",
    ]
    return "\n".join(lines)


def _provider_class(provider: str, endpoints: Iterable[Endpoint]) -> str:
    from codegen import provider_api

    name = PROVIDER_CLASS[provider]
    methods = "\n\n".join([*(_method(e) for e in endpoints), *provider_api.methods(provider)])
    return (
        f"class Async{name}(AsyncResource):\n"
        f'    """{name} resources of the Push, Update and Pull APIs."""\n\n'
        f"{methods}\n"
    )


def render_resources() -> str:
    requests = sorted({e.request.__name__ for e in ENDPOINTS})
    results = sorted(
        {e.result.__name__ for e in ENDPOINTS if not e.async_callback}
        | {e.callback_result.__name__ for e in ENDPOINTS if e.callback_result}
    )
    classes = "\n\n".join(
        _provider_class(p, [e for e in ENDPOINTS if e.provider == p]) for p in PROVIDERS
    )
    imported = ", ".join(sorted([*requests, *_aliases_used()]))
    from codegen import provider_api

    api_imports = provider_api.imports()
    return f'''"""One class per provider, one method per row of oneall_push.endpoints."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

from .._deprecation import deprecated
from .._io import Timeout
from ..endpoints import ENDPOINTS, PROVIDER_API_ENDPOINTS
from ..models.requests import {imported}
from ..models.results import {", ".join(results)}
{api_imports}
from ._paginate import AsyncPaginator
from ._resource import AsyncResource
from .jobs import AsyncJob

__all__ = [{", ".join(f'"Async{PROVIDER_CLASS[p]}"' for p in PROVIDERS)}]

_E = {{e.id: e for e in ENDPOINTS}}
_A = {{e.id: e for e in PROVIDER_API_ENDPOINTS}}


{classes}'''


def render_reference() -> str:
    """The README's endpoint table (between the endpoints markers)."""
    rows = [
        "| Method | Resource | Payload | Result | Notes |",
        "|---|---|---|---|---|",
    ]
    for e in ENDPOINTS:
        args = ", ".join(["identity_token", *e.path_params[1:], "..."])
        result = (
            f"job → `{e.callback_result.__name__}`"
            if e.callback_result
            else f"`{e.result.__name__}`"
        )
        notes = []
        if e.deprecated:
            notes.append("deprecated")
        if e.async_callback:
            notes.append("async (callback)")
        fields = ", ".join(
            f"{a.name}{'*' if a.default is attrs.NOTHING else ''}" for a in attrs.fields(e.request)
        )
        rows.append(
            f"| `{e.provider}.{e.name}({args})` | `{e.method} {e.path}` "
            f"| {e.doc_status}: {fields} | {result} | {', '.join(notes)} |"
        )
    return (
        "\n".join(rows)
        + "\n\n`*` required. *inferred*: not shown in OneAll's docs; use `extra_fields` for keys not modelled.\n"
    )
