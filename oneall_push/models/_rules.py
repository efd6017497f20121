"""Field rules shared by the request models (and so by the client and the sandbox).

Every rule raises :class:`~oneall_push.errors.RequestValidationError` naming the field and the rule.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

import attrs

from ..errors import RequestValidationError

Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]

PICTURE_FORMATS: dict[str, frozenset[str]] = {
    "jpeg": frozenset({".jpg", ".jpeg", ".jpe"}),
    "bmp": frozenset({".bmp"}),
    "png": frozenset({".png"}),
    "gif": frozenset({".gif"}),
    "tiff": frozenset({".tif", ".tiff"}),
}
VIDEO_FORMATS: dict[str, frozenset[str]] = {
    "3gpp": frozenset({".3gp", ".3gpp"}),
    "avi": frozenset({".avi"}),
    "flv": frozenset({".flv"}),
    "mov": frozenset({".mov", ".qt"}),
    "mpeg4": frozenset({".mp4", ".m4v", ".mpeg4"}),
    "mpegps": frozenset({".mpg", ".mpeg", ".ps", ".vob"}),
    "webm": frozenset({".webm"}),
    "wmv": frozenset({".wmv"}),
}


def _fail(inst: Any, attribute: attrs.Attribute[Any], rule: str) -> None:
    raise RequestValidationError(attribute.name, rule, model=type(inst).__name__)


def text(*, required: bool = True, max_length: int | None = None) -> Validator:
    """A string; when required, not blank."""

    def check(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None:
            if required:
                _fail(inst, attribute, "is required")
            return
        if not isinstance(value, str):
            _fail(inst, attribute, f"must be a string, not {type(value).__name__}")
        if required and not value.strip():
            _fail(inst, attribute, "must not be blank")
        if max_length is not None and len(value) > max_length:
            _fail(inst, attribute, f"must be at most {max_length} characters (got {len(value)})")

    return check


def identifier(*, required: bool = True) -> Validator:
    """An id kept as a string (OneAll's ids exceed 2**53): no blanks, no slashes."""

    def check(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None:
            if required:
                _fail(inst, attribute, "is required")
            return
        _check_id(inst, attribute, value, attribute.name)

    return check


def _check_id(inst: Any, attribute: attrs.Attribute[Any], value: Any, label: str) -> None:
    if not isinstance(value, str):
        _fail(inst, attribute, f"{label} must be a string id, not {type(value).__name__}")
    if not value or value in (".", "..") or any(c.isspace() or c == "/" for c in value):
        _fail(inst, attribute, f"{label} must be a non-empty id without spaces or slashes")


def id_list(*, max_items: int | None = None) -> Validator:
    """An optional list of ids."""

    def check(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None:
            return
        if isinstance(value, (str, bytes)):
            _fail(inst, attribute, "must be a list of ids, not a single string")
        if not isinstance(value, tuple):
            _fail(inst, attribute, f"must be a list of ids, not {type(value).__name__}")
        if max_items is not None and len(value) > max_items:
            _fail(inst, attribute, f"accepts at most {max_items} items (got {len(value)})")
        for i, item in enumerate(value):
            _check_id(inst, attribute, item, f"item {i}")

    return check


def http_url(
    *, required: bool = True, formats: dict[str, frozenset[str]] | None = None
) -> Validator:
    """An absolute http(s) URL; with ``formats``, a file extension, if any, must be one of them."""

    def check(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None:
            if required:
                _fail(inst, attribute, "is required")
            return
        if not isinstance(value, str):
            _fail(inst, attribute, f"must be a URL string, not {type(value).__name__}")
        if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in value):
            _fail(inst, attribute, "must be a URL without spaces or control characters")
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            _fail(inst, attribute, "must be an absolute http(s) URL")
        if formats:
            ext = posixpath.splitext(parts.path)[1].lower()
            allowed = frozenset().union(*formats.values())
            if ext and ext not in allowed:
                names = ", ".join(formats)
                _fail(inst, attribute, f"file format {ext} is not accepted (accepted: {names})")

    return check


def choice(options: Sequence[str], *, required: bool = False) -> Validator:
    def check(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None:
            if required:
                _fail(inst, attribute, "is required")
            return
        if value not in options:
            _fail(inst, attribute, f"must be one of {', '.join(options)} (got {value!r})")

    return check


def non_negative_int() -> Validator:
    def check(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            _fail(inst, attribute, "must be a non-negative integer")

    return check


def boolean() -> Validator:
    def check(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is not None and not isinstance(value, bool):
            _fail(inst, attribute, "must be true or false")

    return check


def to_id(value: Any) -> Any:
    """Accept non-negative ints for ids but keep them as strings on the wire."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    return value


def to_id_tuple(value: Any) -> Any:
    # Only real sequences become tuples: a bare string, a number or a mapping is left as it
    # is for ``id_list`` to refuse (not split into characters or silently reduced to keys).
    if isinstance(value, (list, tuple)):
        return tuple(to_id(v) for v in value)
    return value


def one_of_required(inst: Any, *names: str) -> None:
    if all(getattr(inst, n) in (None, "", ()) for n in names):
        raise RequestValidationError(
            "/".join(names),
            f"at least one of {', '.join(names)} is required",
            model=type(inst).__name__,
        )


def not_both(inst: Any, first: str, second: str) -> None:
    if getattr(inst, first) not in (None, "", ()) and getattr(inst, second) not in (None, "", ()):
        raise RequestValidationError(
            f"{first}/{second}",
            f"give either {first} or {second}, not both",
            model=type(inst).__name__,
        )
