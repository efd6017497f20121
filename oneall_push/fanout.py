"""Fan-out: one piece of content to many identities, with a report entry per target.

Build each target with :func:`target` from a bound client method and its arguments (mypy
checks them against the method), then run them with ``client.fan_out(targets)``. An unknown
outcome is never retried; :meth:`FanOutReport.to_retry` gives exactly the targets that are
safe to run again, and a report (or the entries ``on_entry`` journaled) passed as ``skip=``
to a later run keeps what was done or may have been done from being sent twice.
"""

from __future__ import annotations

import hashlib
import inspect
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Generic, Literal, ParamSpec, TypeVar

import attrs

from ._outcomes import is_retryable, is_unknown_outcome
from .errors import ConfigurationError
from .reconcile import NotPublished, Verdict, verdict_from_dict

__all__ = [
    "FanOutEntry",
    "FanOutReport",
    "Outcome",
    "Target",
    "check_fan_out",
    "entry_for",
    "skipped_keys",
    "target",
]

P = ParamSpec("P")
R = TypeVar("R")

Outcome = Literal["succeeded", "failed", "unknown", "skipped"]
# Outcomes a later run must not send again: done, or perhaps done.
_DONE: frozenset[str] = frozenset({"succeeded", "unknown"})
MAX_CONCURRENCY = 1024


@attrs.frozen(eq=False)
class Target(Generic[R]):
    """One bound call: ``call(*args, **kwargs)``. ``key`` names it across runs (by default a
    digest of the endpoint and the arguments; set your own with :meth:`with_key`)."""

    call: Callable[..., R] = attrs.field(repr=False)
    args: tuple[Any, ...] = attrs.field(repr=False)
    kwargs: Mapping[str, Any] = attrs.field(repr=False)
    endpoint: str
    provider: str
    key: str

    def with_key(self, key: str) -> Target[R]:
        if not isinstance(key, str) or not key:
            raise ConfigurationError("a target key must be a non-empty string")
        return attrs.evolve(self, key=key)


def _group_of(call: Callable[..., Any]) -> str:
    """``twitter`` for ``client.twitter.publish_tweet`` (class AsyncTwitter or Twitter)."""
    owner = getattr(call, "__self__", None) if inspect.ismethod(call) else None
    if owner is None or isinstance(owner, type):
        raise ConfigurationError(
            "a fan-out target is a bound client method, such as client.twitter.publish_tweet"
        )
    name = type(owner).__name__
    for prefix in ("Async", "Sync"):
        name = name.removeprefix(prefix)
    return name.lower()


def _digest(endpoint: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> str:
    text = json.dumps([endpoint, list(args), dict(kwargs)], sort_keys=True, default=repr)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:24]


def target(call: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> Target[R]:
    """A fan-out target: ``target(client.twitter.publish_tweet, token, message="Hi")``."""
    if not callable(call):
        raise ConfigurationError("a fan-out target needs a client method to call")
    provider = _group_of(call)
    endpoint = f"{provider}.{getattr(call, '__name__', 'call')}"
    return Target(
        call=call,
        args=tuple(args),
        kwargs=dict(kwargs),
        endpoint=endpoint,
        provider=provider,
        key=_digest(endpoint, tuple(args), kwargs),
    )


@attrs.frozen(eq=False)
class FanOutEntry:
    """What became of one target.

    ``outcome``: ``succeeded`` (``result``), ``failed`` (``error``; ``retryable`` when it was
    provably not processed), ``unknown`` (``error``: it may have been published; never
    retried), or ``skipped`` (done in an earlier run, per ``skip=``). With
    ``fan_out(..., reconcile=True)`` an unknown entry carries the ``verdict`` of
    ``client.reconcile``: a ``NotPublished`` one is safe to run again (``to_retry``).
    """

    key: str
    endpoint: str
    provider: str
    outcome: Outcome
    retryable: bool = False
    result: Any = attrs.field(default=None, repr=False)
    error: BaseException | None = None
    target: Target[Any] | None = attrs.field(default=None, repr=False)
    verdict: Verdict | None = None

    @property
    def safe_to_retry(self) -> bool:
        """Provably not processed, or reconciled to not published."""
        if self.outcome == "failed":
            return self.retryable
        return self.outcome == "unknown" and isinstance(self.verdict, NotPublished)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: key, endpoint, provider, outcome, retryable, and the error's type,
        status and message (never the arguments, which hold identity tokens)."""
        document: dict[str, Any] = {
            "key": self.key,
            "endpoint": self.endpoint,
            "provider": self.provider,
            "outcome": self.outcome,
            "retryable": self.retryable,
        }
        if self.error is not None:
            status = getattr(self.error, "status", None)
            document["error"] = {
                "type": type(self.error).__name__,
                "status": status if isinstance(status, int) else None,
                "message": " ".join(str(self.error).split()),
            }
        post_id = getattr(self.result, "post_id", None)
        if isinstance(post_id, str):
            document["post_id"] = post_id
        if self.verdict is not None:
            document["verdict"] = self.verdict.to_dict()
        return document

    @classmethod
    def from_dict(cls, document: Mapping[str, Any]) -> FanOutEntry:
        """An entry read back from :meth:`to_dict` (without result, error object or target)."""
        try:
            outcome = document["outcome"]
            if outcome not in ("succeeded", "failed", "unknown", "skipped"):
                raise ValueError(outcome)
            return cls(
                key=str(document["key"]),
                endpoint=str(document["endpoint"]),
                provider=str(document["provider"]),
                outcome=outcome,
                retryable=bool(document.get("retryable", False)),
                verdict=verdict_from_dict(document.get("verdict")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigurationError(f"not a fan-out report entry: {exc}") from None


def entry_for(
    item: Target[Any], *, result: Any = None, error: BaseException | None = None
) -> FanOutEntry:
    """The entry of a target that returned ``result`` or raised ``error``."""
    if error is None:
        outcome: Outcome = "succeeded"
    elif is_unknown_outcome(error):
        outcome = "unknown"
    else:
        outcome = "failed"
    return FanOutEntry(
        key=item.key,
        endpoint=item.endpoint,
        provider=item.provider,
        outcome=outcome,
        retryable=outcome == "failed" and error is not None and is_retryable(error),
        result=result,
        error=error,
        target=item,
    )


@attrs.frozen(eq=False)
class FanOutReport:
    """One entry per target, in the order the targets were given."""

    entries: tuple[FanOutEntry, ...]

    def succeeded(self) -> list[FanOutEntry]:
        return [e for e in self.entries if e.outcome == "succeeded"]

    def failed(self) -> list[FanOutEntry]:
        return [e for e in self.entries if e.outcome == "failed"]

    def unknown(self) -> list[FanOutEntry]:
        return [e for e in self.entries if e.outcome == "unknown"]

    def to_retry(self) -> list[Target[Any]]:
        """The targets safe to run again: failed provably unprocessed, or unknown and
        reconciled to not published."""
        return [e.target for e in self.entries if e.safe_to_retry and e.target is not None]

    def to_dict(self) -> dict[str, Any]:
        counts = {o: 0 for o in ("succeeded", "failed", "unknown", "skipped")}
        for entry in self.entries:
            counts[entry.outcome] += 1
        return {"counts": counts, "entries": [e.to_dict() for e in self.entries]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, document: Mapping[str, Any]) -> FanOutReport:
        entries = document.get("entries") if isinstance(document, Mapping) else None
        if not isinstance(entries, list):
            raise ConfigurationError("not a fan-out report: no entries list")
        return cls(tuple(FanOutEntry.from_dict(e) for e in entries))


def skipped_keys(skip: FanOutReport | Iterable[FanOutEntry] | None) -> frozenset[str]:
    """Keys of the targets an earlier run finished or may have finished."""
    if skip is None:
        return frozenset()
    entries = skip.entries if isinstance(skip, FanOutReport) else skip
    keys: set[str] = set()
    for entry in entries:
        if not isinstance(entry, FanOutEntry):
            raise ConfigurationError("skip= takes a FanOutReport or FanOutEntry objects")
        if (entry.outcome in _DONE or entry.outcome == "skipped") and not entry.safe_to_retry:
            keys.add(entry.key)
    return frozenset(keys)


def check_fan_out(
    targets: list[Any], concurrency: object, per_provider: object
) -> dict[str, int] | int | None:
    """Validate fan_out's arguments; ``per_provider`` as given (an int for every provider, a
    mapping for some), checked."""
    for index, item in enumerate(targets):
        if not isinstance(item, Target):
            raise ConfigurationError(
                f"targets[{index}] is not a Target: build it with oneall_push.fanout.target()"
            )
    keys = [t.key for t in targets]
    if len(set(keys)) != len(keys):
        raise ConfigurationError("two targets have the same key: give one with_key()")
    _limit("concurrency", concurrency)
    if per_provider is None:
        return None
    if isinstance(per_provider, Mapping):
        return {str(k): _limit(f"per_provider[{k!r}]", v) for k, v in per_provider.items()}
    return _limit("per_provider", per_provider)


def _limit(name: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_CONCURRENCY:
        raise ConfigurationError(f"{name} must be an integer from 1 to {MAX_CONCURRENCY}")
    return value
