"""Hooks: your functions, called around every HTTP attempt of both products' clients.

Events carry the call's table name (``twitter.publish_tweet``, ``media.append``), method,
templated route and attempt number, never a URL, header or body that could hold a token.
Hooks are plain functions in both halves (in the async client they run on the event loop, so
keep them short). A hook that raises is logged and ignored unless ``raise_errors=True``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal

import attrs

from .errors import ConfigurationError

__all__ = ["Hooks", "RequestEvent", "ResponseEvent", "RetryEvent"]

Product = Literal["oneall", "x"]


@attrs.frozen(kw_only=True)
class RequestEvent:
    """An attempt is about to be sent."""

    product: Product
    endpoint: str
    method: str
    route: str
    attempt: int


@attrs.frozen(kw_only=True)
class ResponseEvent(RequestEvent):
    """An answer arrived (any status; before the retry rules or the parser look at it)."""

    status: int
    headers: Mapping[str, str] = attrs.field(repr=False)
    elapsed: float


@attrs.frozen(kw_only=True)
class RetryEvent(RequestEvent):
    """The attempt failed and the client will send again after ``delay`` seconds.

    ``reason`` is the log's wording (``HTTP 503``, ``connect failed``); ``error`` the type name
    of what failed (``ConnectError``, or ``HTTPStatus`` for a retried answer).
    """

    reason: str
    delay: float
    error: str


def _optional_callable(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not callable(value):
        raise ConfigurationError(f"Hooks.{attribute.name} must be a function or None")


def _flag(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, bool):
        raise ConfigurationError(f"Hooks.{attribute.name} must be True or False")


@attrs.frozen(kw_only=True)
class Hooks:
    """Functions called for every attempt: ``on_request`` before sending, ``on_response`` when
    an answer arrives, ``on_retry`` before the wait that precedes a retry, in that order.

    With ``raise_errors=True`` an exception from a hook ends the call (before sending, for
    ``on_request``); by default it is logged and the call goes on.
    """

    on_request: Callable[[RequestEvent], object] | None = attrs.field(
        default=None, validator=_optional_callable
    )
    on_response: Callable[[ResponseEvent], object] | None = attrs.field(
        default=None, validator=_optional_callable
    )
    on_retry: Callable[[RetryEvent], object] | None = attrs.field(
        default=None, validator=_optional_callable
    )
    raise_errors: bool = attrs.field(default=False, validator=_flag)
