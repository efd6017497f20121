"""The one cattrs converter: wire names, unset fields omitted, tolerant dates, strict mode."""

from __future__ import annotations

import datetime as dt
import email.utils
from typing import Any, Optional, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from ._dates import parse_date
from .models.results import Envelope, Result

__all__ = ["make_converter", "parse_date", "converter", "strict_converter"]

T = TypeVar("T")


def _wire_name(a: attrs.Attribute[Any]) -> str:
    return str(a.metadata.get("wire", a.name))


def make_converter(*, strict: bool = False) -> cattrs.Converter:
    """Build the converter. ``strict`` (used by tests) refuses unknown keys and bad dates."""
    c = cattrs.Converter(forbid_extra_keys=strict)

    def _date(value: Any, _: Any) -> dt.datetime | None:
        try:
            return parse_date(value)
        except ValueError:
            if strict:
                raise
            # The call already succeeded (a post may be live): an odd date must not turn it
            # into an error that invites a retry. The text stays in ``result.envelope.raw``.
            return None

    c.register_structure_hook(dt.datetime, _date)
    c.register_unstructure_hook(dt.datetime, email.utils.format_datetime)

    def _id_str(value: Any, _: Any) -> str:
        if value.__class__ is str:  # the common case first: this runs for every field
            return value
        # Ids arrive as strings in the docs, but tolerate numbers without losing digits.
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise ValueError(f"expected an id string, got {type(value).__name__}")
        return str(value)

    def _optional_id_str(value: Any, _: Any) -> str | None:
        if value is None:
            return None
        try:
            return _id_str(value, None)
        except ValueError:
            if strict:
                raise
            # As for dates: an odd optional field must not fail a call that published.
            return None

    c.register_structure_hook(str, _id_str)
    c.register_structure_hook(
        Optional[str],  # noqa: UP045 - the hook is keyed on this exact type object
        _optional_id_str,
    )

    def structure_factory(cls: type[Any]) -> Any:
        overrides: dict[str, Any] = {
            a.name: override(rename=_wire_name(a)) for a in attrs.fields(cls)
        }
        if issubclass(cls, Result):
            overrides["envelope"] = overrides["http"] = override(omit=True)
        return make_dict_structure_fn(cls, c, _cattrs_forbid_extra_keys=strict, **overrides)

    def unstructure_factory(cls: type[Any]) -> Any:
        overrides: dict[str, Any] = {
            a.name: override(rename=_wire_name(a), omit_if_default=True) for a in attrs.fields(cls)
        }
        if issubclass(cls, Result):
            overrides["envelope"] = overrides["http"] = override(omit=True)
        return make_dict_unstructure_fn(cls, c, **overrides)

    c.register_structure_hook_factory(
        lambda t: attrs.has(t) and t is not Envelope, structure_factory
    )
    c.register_unstructure_hook_factory(
        lambda t: attrs.has(t) and t is not Envelope, unstructure_factory
    )
    return c


converter = make_converter()
strict_converter = make_converter(strict=True)
