"""PEP 702's ``@deprecated`` for the generated methods, without wrapping them.

Type checkers read the marker and flag each call. At run time it only records
``__deprecated__``: the method warns by itself, so an async method stays a coroutine function
(``typing_extensions.deprecated`` would hide that behind a plain wrapper before Python 3.12).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["deprecated"]

if TYPE_CHECKING:
    from typing_extensions import deprecated
else:

    def deprecated(message: str) -> Any:
        def mark(fn: Any) -> Any:
            fn.__deprecated__ = message
            return fn

        return mark
