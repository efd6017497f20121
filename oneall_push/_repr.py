"""One ``__repr__`` for the package's attrs classes, read from their fields.

attrs would compile a repr for each of the forty-odd classes when the package is imported;
this one is shared and gives the same text (``PostResult(provider='twitter', ...)``): fields
marked ``repr=False`` are left out, a field whose ``repr=`` is a function is shown through it.
"""

from __future__ import annotations

from typing import Any

import attrs

__all__ = ["fields_repr"]


def fields_repr(self: Any) -> str:
    cls = type(self)
    shown = ", ".join(
        f"{field.name}={(field.repr if callable(field.repr) else repr)(getattr(self, field.name))}"
        for field in attrs.fields(cls)
        if field.repr
    )
    return f"{cls.__name__}({shown})"
