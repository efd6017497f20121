"""A string kept out of sight: reprs, ``str()``, locals dumps and pickles never show it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import NoReturn

__all__ = ["Secret", "sealed_headers"]


def _sealed(value: str) -> Callable[[], str]:
    def reveal() -> str:
        return value

    return reveal


def sealed_headers(headers: Mapping[str, str]) -> Callable[[], dict[str, str]]:
    """A function returning a fresh copy of ``headers`` (an Authorization among them), which
    stay in its closure rather than in an attribute anyone can print."""
    kept = dict(headers)

    def fresh() -> dict[str, str]:
        return kept.copy()

    return fresh


class Secret:
    """Holds a credential. Debuggers, ``pytest --showlocals`` and error trackers that dump an
    object's attributes see a function, not the value: it lives in that function's closure."""

    __slots__ = ("_reveal",)

    def __init__(self, value: str) -> None:
        self._reveal = _sealed(value)

    def reveal(self) -> str:
        """The value itself: for building a request, never for display."""
        return self._reveal()

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other.reveal() == self.reveal()

    def __hash__(self) -> int:
        return hash(self.reveal())

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Secret cannot be pickled")
