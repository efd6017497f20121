"""Fault injection: rules set by the inspection API or CLI flags, deterministic under a seed.

A rule matches every endpoint (``endpoint=None``) or one table id (``twitter.publish_tweet``,
``sharing.publish``), and with ``provider=`` only that provider's calls: a Push row's, or one
publication of a sharing message (the others of the same message still succeed). When a
request matches, the rule rolls its own seeded generator; if the roll is below ``probability``
the rule *fires* and all its effects apply. ``times`` limits how often a rule fires (``None``: forever). Rules are evaluated in the order they were added.

Each rule is rolled at one point of a request's life, its *phase*:

``connection``  rules with only ``latency`` and/or ``reset=before``: rolled for every request
                that reaches a Push route, before the credentials are checked (the network does
                not know who is calling);
``request``     rules with a ``status``, ``reset=after`` or a mix of effects: rolled once the
                credentials are good, so an unauthenticated request cannot use up ``times``;
``callback``    rules with only ``callback``: rolled when an asynchronous upload is accepted.

Spec strings (CLI ``--fault``, API ``{"spec": ...}``) are comma-separated ``key=value`` pairs::

    status=503,p=0.2                          # a fifth of all requests answer 503
    endpoint=twitter.publish_tweet,status=429,retry_after=1,times=1
    latency=0.3                               # every request waits 300 ms
    reset=after,p=0.1                         # processed and stored, then the connection drops
    callback=duplicate                        # every upload callback is sent twice
    callback=delay,callback_delay=5           # callbacks 5 s late
    callback=reorder                          # callbacks delivered pairwise in reverse order
    callback=never                            # callbacks are never sent
    callback=fail                             # the upload fails: an error callback is sent

The API and ``Sandbox.add_fault`` also take the keys themselves, alone or next to a ``spec``;
the two are merged, and a key given twice with different values is refused. Seconds
(``latency``, ``retry_after``, ``callback_delay``) are finite, from 0 to 3600; ``probability``
from 0 to 1; ``times`` and ``status`` are integers.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from typing import Any, Literal

import attrs

from ..endpoints import ACCOUNT_ENDPOINTS, PROVIDER_API_ENDPOINTS, PROVIDERS, by_id

_ACCOUNT_IDS = frozenset(e.id for e in (*ACCOUNT_ENDPOINTS, *PROVIDER_API_ENDPOINTS))

__all__ = [
    "CALLBACK_MODES",
    "FAULT_STATUSES",
    "MAX_SECONDS",
    "FaultDecision",
    "FaultRule",
    "FaultSet",
]

ResetMode = Literal["before", "after"]
Phase = Literal["connection", "request", "callback"]
CallbackMode = Literal["duplicate", "delay", "reorder", "never", "fail"]
CALLBACK_MODES: tuple[str, ...] = ("duplicate", "delay", "reorder", "never", "fail")
# Every error status OneAll documents.
FAULT_STATUSES: tuple[int, ...] = (400, 401, 403, 404, 409, 429, 500, 502, 503)
# The longest latency, Retry-After or callback delay a rule may ask for (one hour).
MAX_SECONDS = 3600.0

_ALIASES = {"p": "probability", "prob": "probability", "delay": "latency", "code": "status"}


def _key(raw: str) -> str:
    key = raw.strip().lower().replace("-", "_")
    return _ALIASES.get(key, key)


def _integer(name: str, value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise ValueError(f"{name} must be an integer, not {value!r}")


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"{name} must be a number, not {value!r}")
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{name} must be a number, not {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number, not {value!r}")
    return number


def seconds(name: str, value: Any) -> float:
    """``value`` as finite seconds from 0 to MAX_SECONDS; ValueError naming ``name`` if not."""
    number = _number(name, value)
    if not 0.0 <= number <= MAX_SECONDS:
        raise ValueError(f"{name} must be between 0 and {MAX_SECONDS:g} seconds")
    return number


# Named converters (attrs' mypy plugin reads only named functions).
def _probability(value: Any) -> float:
    return _number("probability", value)


def _times(value: Any) -> int | None:
    return None if value is None else _integer("times", value)


def _status(value: Any) -> int | None:
    return None if value is None else _integer("status", value)


def _latency(value: Any) -> float:
    return seconds("latency", value)


def _retry_after(value: Any) -> float | None:
    return None if value is None else seconds("retry_after", value)


def _callback_delay(value: Any) -> float:
    return seconds("callback_delay", value)


def _check_endpoint(_: object, __: object, value: str | None) -> None:
    if value is not None and value not in _ACCOUNT_IDS:
        by_id(value)  # KeyError lists the known ids


def _check_provider(_: object, __: object, value: str | None) -> None:
    if value is not None and value not in PROVIDERS:
        raise ValueError(f"unknown provider {value!r}; known: {', '.join(PROVIDERS)}")


def _check_status(_: object, __: object, value: int | None) -> None:
    if value is not None and value not in FAULT_STATUSES:
        raise ValueError(f"status must be one of {', '.join(map(str, FAULT_STATUSES))}")


def _check_times(_: object, __: object, value: int | None) -> None:
    if value is not None and value < 1:
        raise ValueError("times must be at least 1")


def _check_reset(_: object, __: object, value: str | None) -> None:
    if value is not None and value not in ("before", "after"):
        raise ValueError("reset must be 'before' or 'after'")


def _check_callback(_: object, __: object, value: str | None) -> None:
    if value is not None and value not in CALLBACK_MODES:
        raise ValueError(f"callback must be one of {', '.join(CALLBACK_MODES)}")


def _check_probability(_: object, __: object, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError("probability must be between 0 and 1")


def _show(value: object) -> str:
    if isinstance(value, float):
        short = f"{value:g}"
        return short if float(short) == value else repr(value)
    return str(value)


@attrs.frozen(kw_only=True)
class FaultRule:
    """One fault rule. Numbers are checked here: finite, in range, integers where counted."""

    endpoint: str | None = attrs.field(default=None, validator=_check_endpoint)
    # Only calls for this provider: a Push row's, or one publication of a sharing message.
    provider: str | None = attrs.field(default=None, validator=_check_provider)
    probability: float = attrs.field(
        default=1.0, converter=_probability, validator=_check_probability
    )
    times: int | None = attrs.field(default=None, converter=_times, validator=_check_times)
    latency: float = attrs.field(default=0.0, converter=_latency)
    status: int | None = attrs.field(default=None, converter=_status, validator=_check_status)
    retry_after: float | None = attrs.field(default=None, converter=_retry_after)
    reset: ResetMode | None = attrs.field(default=None, validator=_check_reset)
    callback: CallbackMode | None = attrs.field(default=None, validator=_check_callback)
    callback_delay: float = attrs.field(default=0.0, converter=_callback_delay)

    def __attrs_post_init__(self) -> None:
        if not (self.latency or self.status or self.reset or self.callback):
            raise ValueError("a fault needs an effect: latency, status, reset or callback")

    @property
    def affects_requests(self) -> bool:
        return bool(self.latency or self.status or self.reset)

    @property
    def phase(self) -> Phase:
        """When the rule is rolled (see the module docstring)."""
        if self.status is None and self.reset != "after" and self.callback is None:
            return "connection"
        if self.callback is not None and not self.affects_requests:
            return "callback"
        return "request"

    @classmethod
    def parse(cls, spec: str) -> FaultRule:
        """Build a rule from ``"status=503,p=0.2"``; ValueError explains what is wrong."""
        return cls.from_dict({"spec": spec})

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FaultRule:
        """Build a rule from keys (JSON or keywords), a ``spec`` string, or both.

        The keys of ``spec`` and the other keys are merged; a key given twice with different
        values is refused, as is any unknown key.
        """
        known = {a.name for a in attrs.fields(cls)}
        merged: dict[str, Any] = {}
        given: dict[str, str] = {}  # key -> how it was spelled, for error messages

        def put(raw_key: str, value: Any, where: str) -> None:
            key = _key(raw_key)
            if key not in known:
                raise ValueError(
                    f"unknown fault key {raw_key!r}; known: {', '.join(sorted(known))}"
                )
            if value is None or value == "":
                return
            if key in merged and _canonical(key, merged[key]) != _canonical(key, value):
                raise ValueError(
                    f"fault key {key} given twice with different values "
                    f"({given[key]}: {merged[key]!r}, {where}: {value!r})"
                )
            merged[key], given[key] = value, where

        for raw_key, value in data.items():
            if raw_key == "spec":
                continue
            put(str(raw_key), value, "key")
        spec = data.get("spec")
        if spec is not None:
            if not isinstance(spec, str):
                raise ValueError(f"fault spec must be a string, not {spec!r}")
            for part in spec.split(","):
                part = part.strip()
                if not part:
                    continue
                key, sep, value = part.partition("=")
                if not sep:
                    raise ValueError(f"fault {spec!r}: expected key=value, got {part!r}")
                put(key, value.strip(), "spec")
        try:
            return cls(**merged)
        except (TypeError, KeyError) as exc:
            raise ValueError(str(exc).strip("'\"")) from None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in attrs.asdict(self).items() if v is not None}

    def spec(self) -> str:
        """The rule as a spec string, non-default keys only (``FaultRule.parse`` reads it)."""
        return ",".join(
            f"{a.name}={_show(getattr(self, a.name))}"
            for a in attrs.fields(FaultRule)
            if getattr(self, a.name) != a.default
        )


def _canonical(key: str, value: Any) -> Any:
    """A value as the rule would store it, so ``"503"`` and ``503`` are the same value."""
    attribute = getattr(attrs.fields(FaultRule), key)
    convert = attribute.converter
    try:
        return convert(value) if callable(convert) else value
    except ValueError:
        return value


@attrs.frozen
class FaultDecision:
    """What the rules decided for one request."""

    latency: float = 0.0
    status: int | None = None
    retry_after: float | None = None
    reset: ResetMode | None = None
    callback: CallbackMode | None = None
    callback_delay: float = 0.0
    fired: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return "; ".join(self.fired)

    def then(self, later: FaultDecision) -> FaultDecision:
        """This decision followed by a later one: latencies add, the first of each effect wins."""
        callback, callback_delay = self.callback, self.callback_delay
        if callback is None:
            callback, callback_delay = later.callback, later.callback_delay
        status, retry_after = self.status, self.retry_after
        if status is None:
            status, retry_after = later.status, later.retry_after
        return FaultDecision(
            latency=self.latency + later.latency,
            status=status,
            retry_after=retry_after,
            reset=self.reset or later.reset,
            callback=callback,
            callback_delay=callback_delay,
            fired=self.fired + later.fired,
        )


class _Slot:
    def __init__(self, rule: FaultRule, seed: int, serial: int) -> None:
        self.rule = rule
        self.serial = serial
        self.fired = 0
        self.rng = random.Random(f"oneall-push-sandbox-fault/{seed}/{serial}/{rule.spec()}")


class FaultSet:
    """The active rules. Not thread-safe on its own: the sandbox state holds the lock."""

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._serial = 0
        self._slots: list[_Slot] = []

    def add(self, rule: FaultRule) -> int:
        self._serial += 1
        self._slots.append(_Slot(rule, self._seed, self._serial))
        return self._serial

    def remove(self, serial: int) -> bool:
        before = len(self._slots)
        self._slots = [s for s in self._slots if s.serial != serial]
        return len(self._slots) != before

    def clear(self) -> None:
        self._slots.clear()

    def describe(self) -> list[dict[str, Any]]:
        return [
            {"id": s.serial, "spec": s.rule.spec(), "fired": s.fired, **s.rule.to_dict()}
            for s in self._slots
        ]

    def decide(
        self,
        endpoint_id: str,
        *,
        phase: Phase,
        async_upload: bool,
        provider: str | None = None,
        provider_rules_only: bool = False,
    ) -> FaultDecision:
        """Roll the rules of ``phase`` that match ``endpoint_id`` (and ``provider``: a rule
        naming a provider matches only calls for it; ``provider_rules_only`` skips the others,
        for the per-provider publications of one sharing message)."""
        decision = FaultDecision()
        for slot in self._slots:
            rule = slot.rule
            if rule.endpoint is not None and rule.endpoint != endpoint_id:
                continue
            if rule.provider is not None and rule.provider != provider:
                continue
            if provider_rules_only and rule.provider is None:
                continue
            if rule.phase != phase or (phase == "callback" and not async_upload):
                continue
            if rule.times is not None and slot.fired >= rule.times:
                continue
            # Always roll, so one rule's decisions do not depend on the others'.
            if slot.rng.random() >= rule.probability:
                continue
            slot.fired += 1
            decision = decision.then(
                FaultDecision(
                    latency=rule.latency,
                    status=rule.status,
                    retry_after=rule.retry_after,
                    reset=rule.reset,
                    # A callback effect means something for asynchronous uploads only.
                    callback=rule.callback if async_upload else None,
                    callback_delay=rule.callback_delay,
                    fired=(f"#{slot.serial} {rule.spec()}",),
                )
            )
        return decision
