"""Every hand-written async/sync twin of the I/O seam offers the same public surface.

The generated halves are twins by construction; the pairs written by hand in ``oneall_push/_io``
(and the callback servers) are compared here: the same public methods, with the same
parameters, the async ones coroutine functions where the sync ones are plain.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

import pytest

import oneall_push._io as io
from oneall_push.callbacks.receivers import AsyncCallbackServer, SyncCallbackServer

# Context-manager dunders map onto each other; other dunders are not compared.
DUNDERS = {"__aenter__": "__enter__", "__aexit__": "__exit__"}


def _pairs() -> list[tuple[str, Any, Any]]:
    pairs = [
        (name, getattr(io, name), getattr(io, "Sync" + name[5:]))
        for name in io.__all__
        if name.startswith("Async")
    ]
    pairs.append(("AsyncCallbackServer", AsyncCallbackServer, SyncCallbackServer))
    return pairs


def test_every_async_primitive_of_the_seam_has_a_sync_twin() -> None:
    unpaired = [
        name
        for name in io.__all__
        if name.startswith("Async") and "Sync" + name[5:] not in io.__all__
    ]
    assert unpaired == []


def _surface(obj: Any) -> dict[str, Any]:
    """Public callables (and the context-manager dunders) of a class, by sync name."""
    if not inspect.isclass(obj):
        return {"__call__": obj}
    found = {}
    for name in dir(obj):
        if name.startswith("_") and name not in DUNDERS and name not in DUNDERS.values():
            continue
        value = inspect.getattr_static(obj, name)
        if isinstance(value, (staticmethod, classmethod)):
            value = value.__func__
        if isinstance(value, property):
            found[name] = "property"
        elif callable(value):
            found[DUNDERS.get(name, name)] = value
    return found


def _annotation(text: Any) -> str:
    text = str(text)
    text = re.sub(r"\bAwaitable\[(.*)\]", r"\1", text)
    text = re.sub(r"\bAsyncIterator\b", "Iterator", text)
    return re.sub(r"\bAsync([A-Z])", r"Sync\1", text)


def _parameters(fn: Any) -> list[tuple[str, Any, Any, str]]:
    return [
        (p.name, p.kind, p.default, _annotation(p.annotation))
        for p in inspect.signature(fn).parameters.values()
    ]


@pytest.mark.parametrize(
    ("name", "async_obj", "sync_obj"), [pytest.param(*pair, id=pair[0]) for pair in _pairs()]
)
def test_twins_have_the_same_methods_and_signatures(
    name: str, async_obj: Any, sync_obj: Any
) -> None:
    a, s = _surface(async_obj), _surface(sync_obj)
    assert sorted(a) == sorted(s), f"{name}: methods differ"
    for method, fn in a.items():
        twin = s[method]
        if fn == "property" or twin == "property":
            assert fn == twin, f"{name}.{method}: a property in one twin only"
            continue
        assert _parameters(fn) == _parameters(twin), f"{name}.{method}: signatures differ"
        assert not inspect.iscoroutinefunction(twin), f"sync {name}.{method} is a coroutine"


def test_the_comparison_notices_a_differing_signature() -> None:
    class AsyncThing:
        async def send(self, request: int, *, timeout: float = 1.0) -> None: ...

    class SyncThing:
        def send(self, request: int, *, timeout: float = 2.0) -> None: ...

    a, s = _surface(AsyncThing), _surface(SyncThing)
    assert sorted(a) == sorted(s) == ["send"]
    assert _parameters(a["send"]) != _parameters(s["send"])
    assert inspect.iscoroutinefunction(a["send"]) and not inspect.iscoroutinefunction(s["send"])
