"""Fault injection: rules set by the inspection API or CLI flags, deterministic under a seed.

A rule matches every Push endpoint (``endpoint=None``) or one table id
(``twitter.publish_tweet``). When a request matches, the rule rolls its own seeded generator; if
the roll is below ``probability`` the rule *fires* and all its effects apply. ``times`` limits how
often a rule fires (``None``: forever). Rules are evaluated in the order they were added.

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
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any, Literal

import attrs

from ..endpoints import by_id

__all__ = ["CALLBACK_MODES", "FAULT_STATUSES", "FaultDecision", "FaultRule", "FaultSet"]

ResetMode = Literal["before", "after"]
Phase = Literal["connection", "request", "callback"]
CallbackMode = Literal["duplicate", "delay", "reorder", "never", "fail"]
CALLBACK_MODES: tuple[str, ...] = ("duplicate", "delay", "reorder", "never", "fail")
# Every error status OneAll documents.
FAULT_STATUSES: tuple[int, ...] = (400, 401, 403, 404, 409, 429, 500, 502, 503)

_ALIASES = {"p": "probability", "prob": "probability", "delay": "latency", "code": "status"}


def _check_endpoint(_: object, __: object, value: str | None) -> None:
    if value is not None:
        by_id(value)  # KeyError lists the known ids


def _check_status(_: object, __: object, value: int | None) -> None:
    if value is not None and value not in FAULT_STATUSES:
        raise ValueError(f"status must be one of {', '.join(map(str, FAULT_STATUSES))}")


def _check_reset(_: object, __: object, value: str | None) -> None:
    if value is not None and value not in ("before", "after"):
        raise ValueError("reset must be 'before' or 'after'")


def _check_callback(_: object, __: object, value: str | None) -> None:
    if value is not None and value not in CALLBACK_MODES:
        raise ValueError(f"callback must be one of {', '.join(CALLBACK_MODES)}")


def _check_probability(_: object, __: object, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError("probability must be between 0 and 1")


def _check_non_negative(_: object, attribute: attrs.Attribute[Any], value: float | None) -> None:
    if value is not None and value < 0:
        raise ValueError(f"{attribute.name} must not be negative")


@attrs.frozen(kw_only=True)
class FaultRule:
    endpoint: str | None = attrs.field(default=None, validator=_check_endpoint)
    probability: float = attrs.field(default=1.0, converter=float, validator=_check_probability)
    times: int | None = attrs.field(default=None)
    latency: float = attrs.field(default=0.0, converter=float, validator=_check_non_negative)
    status: int | None = attrs.field(default=None, validator=_check_status)
    retry_after: float | None = attrs.field(default=None, validator=_check_non_negative)
    reset: ResetMode | None = attrs.field(default=None, validator=_check_reset)
    callback: CallbackMode | None = attrs.field(default=None, validator=_check_callback)
    callback_delay: float = attrs.field(default=0.0, converter=float, validator=_check_non_negative)

    def __attrs_post_init__(self) -> None:
        if self.times is not None and self.times < 1:
            raise ValueError("times must be at least 1")
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
        values: dict[str, str] = {}
        for part in spec.split(","):
            part = part.strip()
            if not part:
                continue
            key, sep, value = part.partition("=")
            if not sep:
                raise ValueError(f"fault {spec!r}: expected key=value, got {part!r}")
            key = key.strip().lower().replace("-", "_")
            values[_ALIASES.get(key, key)] = value.strip()
        return cls.from_dict(values)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FaultRule:
        if "spec" in data:
            return cls.parse(str(data["spec"]))
        known = {a.name for a in attrs.fields(cls)}
        kwargs: dict[str, Any] = {}
        for raw_key, value in data.items():
            key = _ALIASES.get(raw_key, raw_key)
            if key not in known:
                raise ValueError(
                    f"unknown fault key {raw_key!r}; known: {', '.join(sorted(known))}"
                )
            if value is None or value == "":
                continue
            try:
                if key in ("times", "status"):
                    kwargs[key] = int(value)
                elif key in ("retry_after", "probability", "latency", "callback_delay"):
                    kwargs[key] = float(value)
                else:
                    kwargs[key] = str(value)
            except (TypeError, ValueError):
                raise ValueError(f"fault key {key}: bad value {value!r}") from None
        try:
            return cls(**kwargs)
        except (TypeError, KeyError) as exc:
            raise ValueError(str(exc).strip("'\"")) from None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in attrs.asdict(self).items() if v is not None}

    def spec(self) -> str:
        defaults = FaultRule.__attrs_attrs__
        parts = []
        for a in defaults:
            value = getattr(self, a.name)
            if value != a.default:
                parts.append(
                    f"{a.name}={value:g}" if isinstance(value, float) else f"{a.name}={value}"
                )
        return ",".join(parts)


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
        """This decision followed by a later phase's: latencies add, the first effect wins."""
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

    def decide(self, endpoint_id: str, *, phase: Phase, async_upload: bool) -> FaultDecision:
        """Roll the rules of ``phase`` that match ``endpoint_id``."""
        latency = 0.0
        status: int | None = None
        retry_after: float | None = None
        reset: ResetMode | None = None
        callback: CallbackMode | None = None
        callback_delay = 0.0
        fired: list[str] = []
        for slot in self._slots:
            rule = slot.rule
            if rule.endpoint is not None and rule.endpoint != endpoint_id:
                continue
            if rule.phase != phase or (phase == "callback" and not async_upload):
                continue
            if rule.times is not None and slot.fired >= rule.times:
                continue
            # Always roll, so one rule's decisions do not depend on the others'.
            if slot.rng.random() >= rule.probability:
                continue
            slot.fired += 1
            fired.append(f"#{slot.serial} {rule.spec()}")
            latency += rule.latency
            if status is None and rule.status is not None:
                status, retry_after = rule.status, rule.retry_after
            if reset is None and rule.reset is not None:
                reset = rule.reset
            if async_upload and callback is None and rule.callback is not None:
                callback = rule.callback
                callback_delay = rule.callback_delay
        return FaultDecision(
            latency=latency,
            status=status,
            retry_after=retry_after,
            reset=reset,
            callback=callback,
            callback_delay=callback_delay,
            fired=tuple(fired),
        )
