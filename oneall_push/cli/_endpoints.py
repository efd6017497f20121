"""One command per row of the endpoint table: ``oneall-push twitter publish-tweet ...``.

Options come from the row's request model (``--message``, ``--attachments A B``, ...), path
parameters become required options (``--board-id``), credentials come from ONEALL_SUBDOMAIN /
ONEALL_PUBLIC_KEY / ONEALL_PRIVATE_KEY / ONEALL_BASE_URL. The result prints as JSON.
"""

from __future__ import annotations

import argparse
import collections.abc
import json
import sys
import types
import typing
import warnings
from typing import Any, TextIO

import attrs

from .._config import MAX_RETRIES
from ..endpoints import ENDPOINTS, PROVIDERS, Endpoint, by_id
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
    hints = typing.get_type_hints(endpoint.request)
    for field in attrs.fields(endpoint.request):
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
        p = sub.add_parser(provider, help=f"{provider} Push endpoints")
        actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
        for endpoint in ENDPOINTS:
            if endpoint.provider == provider:
                _add_endpoint(actions, endpoint)


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


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
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
