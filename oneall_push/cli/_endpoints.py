"""One command per row of the endpoint table: ``oneall-push twitter publish-tweet ...``,
``oneall-push users get --user-token T``, ``oneall-push sharing publish ...``.

Options come from the row's request model (``--message``, ``--attachments A B``, ...), path
parameters become required options (``--board-id``, ``--identity-token``), credentials come
from ONEALL_SUBDOMAIN / ONEALL_PUBLIC_KEY / ONEALL_PRIVATE_KEY / ONEALL_BASE_URL. The result
prints as JSON (a list resource: a JSON array, ``--limit`` items at most; access tokens
redacted).
"""

from __future__ import annotations

import argparse
import collections.abc
import datetime as dt
import json
import sys
import types
import typing
import warnings
from typing import Any, TextIO

import attrs

from .._config import MAX_RETRIES
from .._secret import Secret
from ..endpoints import (
    ACCOUNT_ENDPOINTS,
    ENDPOINTS,
    PROVIDER_API_ENDPOINTS,
    PROVIDERS,
    ApiEndpoint,
    Endpoint,
    account_row,
    by_id,
)
from ..errors import ConfigurationError, OneAllPushError
from ._exit import (
    EXIT_CODES_HELP,
    ExitCode,
    HelpFormatter,
    report_error,
    report_interrupt,
    write_result,
)

__all__ = ["add_parsers", "run"]


def _option(name: str) -> str:
    return "--" + name.replace("_", "-")


def _kind(hint: object) -> str:
    """``list``, ``bool``, ``int`` or ``str`` for a resolved type hint (Optional stripped)."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        present = [a for a in typing.get_args(hint) if a is not type(None)]
        hint = present[0] if len(present) == 1 else hint
    if typing.get_origin(hint) in (tuple, list, collections.abc.Sequence):
        return "list"
    if hint is bool:
        return "bool"
    if hint is int:
        return "int"
    return "str"


def _add_fields(p: argparse.ArgumentParser, request: type[Any], skip: tuple[str, ...]) -> None:
    """One option per field of a request model."""
    hints = typing.get_type_hints(request)
    for field in attrs.fields(request):
        if field.name in skip:
            continue
        required = field.default is attrs.NOTHING
        kind = _kind(hints[field.name])
        dest = f"field__{field.name}"
        if kind == "bool":
            p.add_argument(
                _option(field.name), dest=dest, action=argparse.BooleanOptionalAction, default=None
            )
        elif kind == "list":
            p.add_argument(
                _option(field.name), dest=dest, nargs="+", metavar="ID", required=required
            )
        else:
            p.add_argument(
                _option(field.name),
                dest=dest,
                type=int if kind == "int" else str,
                required=required,
                metavar=field.name.upper(),
            )


def _add_account_endpoint(
    actions: argparse._SubParsersAction[argparse.ArgumentParser], endpoint: ApiEndpoint
) -> None:
    query = "?" + "&".join(f"{k}={v}" for k, v in endpoint.query) if endpoint.query else ""
    p = actions.add_parser(
        endpoint.name.replace("_", "-"),
        help=endpoint.summary,
        description=f"{endpoint.summary}. {endpoint.method} {endpoint.path}{query} "
        f"({endpoint.doc_status}).",
        epilog="Credentials: ONEALL_SUBDOMAIN (or ONEALL_BASE_URL), ONEALL_PUBLIC_KEY, "
        "ONEALL_PRIVATE_KEY.",
    )
    p.set_defaults(account_id=endpoint.id)
    for name in (*endpoint.path_params, *endpoint.positional):
        p.add_argument(_option(name), dest=f"path__{name}", required=True, metavar="TOKEN")
    if endpoint.query_model is not None:
        _add_fields(p, endpoint.query_model, ())
    if endpoint.request is not None:
        _add_fields(p, endpoint.request, endpoint.positional)
        p.add_argument(
            "--extra",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="an undocumented request key (VALUE is JSON if it parses, else a string)",
        )
    if endpoint.paginated:
        p.add_argument(
            "--page-size",
            type=int,
            default=endpoint.default_page_size,
            help="entries per page (≤ 500)",
        )
        if endpoint.family != "pull":
            p.add_argument("--order-direction", choices=["asc", "desc"], default="asc")
        p.add_argument("--limit", type=int, default=None, help="stop after this many items")
    p.add_argument("--timeout", type=float, default=None, help="seconds per request")


def _add_endpoint(
    actions: argparse._SubParsersAction[argparse.ArgumentParser], endpoint: Endpoint
) -> None:
    notes = [f"{endpoint.method} {endpoint.path} (payload {endpoint.doc_status})."]
    if endpoint.deprecated:
        notes.append(f"Deprecated: {endpoint.deprecated}")
    if endpoint.async_callback:
        notes.append(
            "Asynchronous: OneAll answers 'queued' and later POSTs the result to --callback-url."
        )
    p = actions.add_parser(
        endpoint.name.replace("_", "-"),
        help=endpoint.summary,
        description=f"{endpoint.summary}. " + " ".join(notes),
        epilog="Credentials: ONEALL_SUBDOMAIN (or ONEALL_BASE_URL), ONEALL_PUBLIC_KEY, "
        "ONEALL_PRIVATE_KEY.\n\n" + EXIT_CODES_HELP,
        formatter_class=HelpFormatter,
    )
    p.set_defaults(endpoint_id=endpoint.id)
    p.add_argument("--identity", required=True, metavar="TOKEN", help="the identity_token")
    for name in endpoint.path_params[1:]:
        p.add_argument(_option(name), dest=f"path__{name}", required=True, metavar="ID")
    # Resolved hints: field.type may be a string or, once cattrs resolved it, a real type.
    _add_fields(p, endpoint.request, ())
    p.add_argument(
        "--extra",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an undocumented payload key (VALUE is JSON if it parses, else a string)",
    )
    p.add_argument("--timeout", type=float, default=None, help="seconds per request")
    p.add_argument(
        "--retries",
        type=_retries,
        default=None,
        metavar="N",
        help="retries of a request provably not processed (connect failure, 429, 503 with "
        "Retry-After); default 2, 0 to leave them to the script (exit code 5)",
    )
    p.add_argument("--json", action="store_true", help="errors as one JSON object on stderr")


def _retries(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= MAX_RETRIES:
        raise argparse.ArgumentTypeError(f"must be an integer from 0 to {MAX_RETRIES}")
    return value


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    for provider in PROVIDERS:
        p = sub.add_parser(provider, help=f"{provider} Push, Update and Pull endpoints")
        actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
        for endpoint in ENDPOINTS:
            if endpoint.provider == provider:
                _add_endpoint(actions, endpoint)
        # The Update and Pull rows of the same provider.
        for row in PROVIDER_API_ENDPOINTS:
            if row.group == provider:
                _add_account_endpoint(actions, row)
    for group in dict.fromkeys(e.group for e in ACCOUNT_ENDPOINTS):
        p = sub.add_parser(group, help=f"OneAll {group} (not Push)")
        actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
        for row in ACCOUNT_ENDPOINTS:
            if row.group == group:
                _add_account_endpoint(actions, row)


def _extra(items: list[str]) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigurationError(f"--extra takes KEY=VALUE, got {item!r}")
        try:
            extra[key] = json.loads(value)
        except json.JSONDecodeError:
            extra[key] = value
    return extra


def _as_json(result: Any) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for field in attrs.fields(type(result)):
        if field.name in ("envelope", "http"):
            continue
        value = getattr(result, field.name)
        if value is not None:
            data[field.name] = value if isinstance(value, (str, int, float, bool)) else str(value)
    return data


def _plain(value: Any) -> Any:
    """A JSON-ready copy of an account result (access tokens stay redacted)."""
    if isinstance(value, Secret):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if attrs.has(type(value)):
        return {
            f.name: _plain(getattr(value, f.name))
            for f in attrs.fields(type(value))
            if f.name not in ("envelope", "http", "raw") and getattr(value, f.name) is not None
        }
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _run_account(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .. import OneAll

    endpoint = account_row(args.account_id)
    values = vars(args)
    positional = [values[f"path__{n}"] for n in (*endpoint.path_params, *endpoint.positional)]
    kwargs: dict[str, Any] = {
        key.removeprefix("field__"): value
        for key, value in values.items()
        if key.startswith("field__") and value is not None
    }
    try:
        if endpoint.request is not None:
            extra = _extra(args.extra)
            if extra:
                kwargs["extra_fields"] = extra
        with OneAll.from_env() as client:
            method = getattr(getattr(client, endpoint.group), endpoint.name)
            if endpoint.paginated:
                items: list[Any] = []
                paging: dict[str, Any] = {"page_size": args.page_size}
                if endpoint.family != "pull":
                    paging["order_direction"] = args.order_direction
                paginator = method(*positional, **paging, timeout=args.timeout)
                for item in paginator:
                    if args.limit is not None and len(items) >= args.limit:
                        break
                    items.append(_plain(item))
                document: Any = items
            else:
                document = _plain(method(*positional, **kwargs, timeout=args.timeout))
    except OneAllPushError as exc:
        return report_error(err, exc)
    write_result(out, json.dumps(document, indent=2))
    return ExitCode.OK


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    if getattr(args, "account_id", None):
        return _run_account(args, out, err)
    from .. import OneAll, RetryPolicy
    from ..hooks import Hooks, RequestEvent

    endpoint = by_id(args.endpoint_id)
    values = vars(args)
    path_args = [values[f"path__{name}"] for name in endpoint.path_params[1:]]
    kwargs = {
        key.removeprefix("field__"): value
        for key, value in values.items()
        if key.startswith("field__") and value is not None
    }
    sent = False

    def on_request(_: RequestEvent) -> None:
        nonlocal sent
        sent = True

    overrides: dict[str, Any] = {"hooks": Hooks(on_request=on_request)}
    if args.retries is not None:
        overrides["retry"] = RetryPolicy(max_retries=args.retries)
    try:
        extra = _extra(args.extra)
        with OneAll.from_env(**overrides) as client:
            method = getattr(getattr(client, endpoint.provider), endpoint.name)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                answer = method(
                    args.identity,
                    *path_args,
                    **kwargs,
                    extra_fields=extra or None,
                    timeout=args.timeout,
                )
    except OneAllPushError as exc:
        return report_error(err, exc, as_json=args.json)
    except KeyboardInterrupt:
        return report_interrupt(err, sent=sent, as_json=args.json)
    if endpoint.async_callback:
        queued = getattr(answer, "queued", None)
        document: dict[str, Any] = {"job": answer.id}
        if queued is not None:
            document["queued"] = _as_json(queued)
    else:
        document = _as_json(answer)
    write_result(out, json.dumps(document, indent=2))
    return ExitCode.OK
