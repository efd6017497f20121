"""One ``__repr__`` for the payload and result models, read from their attrs fields.

attrs would compile a repr for each of the thirty-odd classes when the package is imported;
this one is shared and gives the same text (``PostResult(provider='twitter', ...)``), leaving
out the fields marked ``repr=False``.
"""

from __future__ import annotations

from typing import Any

import attrs

__all__ = ["fields_repr"]


def fields_repr(self: Any) -> str:
    cls = type(self)
    shown = ", ".join(
        f"{field.name}={getattr(self, field.name)!r}" for field in attrs.fields(cls) if field.repr
    )
    return f"{cls.__name__}({shown})"
