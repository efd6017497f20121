"""Running fan-out targets with bounded concurrency, overall and per provider."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import attrs

from .._io import AsyncBackend
from ..fanout import (
    FanOutEntry,
    FanOutReport,
    Target,
    check_fan_out,
    entry_for,
    skipped_keys,
)

if TYPE_CHECKING:
    from ._base_client import AsyncBaseClient

__all__ = ["run_fan_out"]


async def run_fan_out(
    backend: AsyncBackend,
    targets: Iterable[Target[Any]],
    *,
    concurrency: int,
    per_provider: int | dict[str, int] | None,
    skip: FanOutReport | Iterable[FanOutEntry] | None,
    on_entry: Callable[[FanOutEntry], object] | None,
    reconcile_with: AsyncBaseClient | None = None,
) -> FanOutReport:
    """Call every target once; its error is data in its entry, never a retry of its own."""
    items = list(targets)
    limits = check_fan_out(items, concurrency, per_provider)
    if on_entry is not None and not callable(on_entry):
        from ..errors import ConfigurationError

        raise ConfigurationError("on_entry must be callable")
    done = skipped_keys(skip)
    semaphores: dict[str, Any] = {}
    for item in items:
        limit = limits if isinstance(limits, int) else (limits or {}).get(item.provider)
        if limit is not None and item.provider not in semaphores:
            semaphores[item.provider] = backend.semaphore(limit)
    entries: list[FanOutEntry | None] = [None] * len(items)

    # ``concurrency`` workers pull from one shared iterator (next() on a list iterator is
    # atomic, also across the sync half's threads): no task, slot or wake-up per target.
    pending = iter([(i, item) for i, item in enumerate(items) if item.key not in done])

    async def worker() -> None:
        for index, item in pending:
            semaphore = semaphores.get(item.provider)
            if semaphore is None:
                entry = await _call(item, reconcile_with)
            else:
                async with semaphore:
                    entry = await _call(item, reconcile_with)
            entries[index] = entry
            if on_entry is not None:
                on_entry(entry)

    for index, item in enumerate(items):
        if item.key in done:
            entries[index] = FanOutEntry(
                key=item.key,
                endpoint=item.endpoint,
                provider=item.provider,
                outcome="skipped",
                target=item,
            )
    workers = min(concurrency, len(items) - len(done & {t.key for t in items}))
    if workers > 0:
        async with backend.task_pool(workers) as pool:
            for _ in range(workers):
                await pool.submit(worker)
    return FanOutReport(tuple(e for e in entries if e is not None))


async def _call(item: Target[Any], reconcile_with: AsyncBaseClient | None) -> FanOutEntry:
    try:
        result = await item.call(*item.args, **item.kwargs)
    except Exception as exc:
        entry = entry_for(item, error=exc)
        if reconcile_with is not None and entry.outcome == "unknown":
            from .reconcile import reconcile

            # Reading back only: the verdict says whether it is safe to run again.
            entry = attrs.evolve(entry, verdict=await reconcile(reconcile_with, exc))
        return entry
    return entry_for(item, result=result)
