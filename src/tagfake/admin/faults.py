"""Fault rules: which requests misbehave (vendor, operationId, method, path, tenant) and how
(delay, a status, the vendor's 429, a dropped connection, a malformed body), for the first N
matches or with a seeded probability. The same by request header: `X-Tagfake-Fault`."""

from __future__ import annotations

import random
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

KINDS = ("delay", "status", "rate_limit", "drop", "malformed")
HEADER = "x-tagfake-fault"


class FaultSpecError(ValueError):
    pass


@dataclass(frozen=True)
class Target:
    """What a request is, for matching."""

    vendor: str
    operation: str | None
    method: str
    path: str
    tenant: str | None


@dataclass
class FaultRule:
    id: str
    effect: dict[str, Any]
    match: dict[str, str] = field(default_factory=dict)
    times: int | None = None
    probability: float | None = None
    seed: int | None = None
    matched: int = 0
    applied: int = 0
    _rng: random.Random = field(init=False, repr=False)
    _path: re.Pattern[str] | None = field(init=False, repr=False, default=None)

    def __post_init__(self) -> None:
        check_spec({"effect": self.effect, "times": self.times, "probability": self.probability})
        if "path" in self.match:
            try:
                self._path = re.compile(self.match["path"])
            except re.error as exc:
                raise FaultSpecError(f"match.path is not a regular expression: {exc}") from None
        self._rng = random.Random(self.seed)

    def matches(self, t: Target) -> bool:
        m = self.match
        return (
            ("vendor" not in m or m["vendor"] == t.vendor)
            and ("operation" not in m or m["operation"] == t.operation)
            and ("method" not in m or m["method"].upper() == t.method)
            and ("tenant" not in m or m["tenant"] == t.tenant)
            and (self._path is None or self._path.search(t.path) is not None)
        )

    def fire(self) -> bool:
        """Count a match and decide, reproducibly, whether the fault applies this time."""
        self.matched += 1
        if self.times is not None and self.applied >= self.times:
            return False
        if self.probability is not None and self._rng.random() >= self.probability:
            return False
        self.applied += 1
        return True

    def delay_seconds(self) -> float:
        low = int(self.effect.get("delay_ms", 0))
        high = self.effect.get("delay_max_ms")
        ms = low if high is None else self._rng.randint(low, int(high))
        return ms / 1000

    def describe(self) -> str:
        e = self.effect
        kind = e["kind"]
        if kind == "delay":
            detail = f"delay={e.get('delay_ms')}ms"
        elif kind == "status":
            detail = f"status={e.get('status')}"
        elif kind == "rate_limit":
            detail = f"rate_limit retry_after={e.get('retry_after', 1)}"
        else:
            detail = kind
        return f"{self.id}: {detail}"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "match": dict(self.match),
            "effect": dict(self.effect),
            "matched": self.matched,
            "applied": self.applied,
        }
        for key in ("times", "probability", "seed"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out


# The limits of a fault rule, the same for the admin API and the header (the admin spec's
# schema repeats them; tests/unit/test_fault_spec.py keeps the two equal).
STATUS_RANGE = (400, 599)
MAX_DELAY_MS = 60_000
MAX_RETRY_AFTER = 86_400
MAX_HEADER_LENGTH = 256
_WHOLE = re.compile(r"[0-9]+")
_SIGNED = re.compile(r"-?[0-9]+")
_DECIMAL = re.compile(r"[0-9]*\.?[0-9]+([eE][-+]?[0-9]{1,3})?")
_HEADER_SYNTAX = (
    "status=N, delay=MS or delay=MS-MS, drop, malformed or rate_limit; "
    "then optionally retry_after=S, times=N, probability=P, seed=N"
)


def check_spec(spec: dict[str, Any]) -> None:
    """The rule's effect and limits, as both the admin API and the header must obey them."""
    effect = spec.get("effect") or {}
    kind = effect.get("kind")
    if kind not in KINDS:
        raise FaultSpecError(f"effect.kind must be one of {', '.join(KINDS)}")
    if kind == "status" and "status" not in effect:
        raise FaultSpecError("a status fault needs effect.status")
    if kind == "delay" and "delay_ms" not in effect:
        raise FaultSpecError("a delay fault needs effect.delay_ms")
    _within("status", effect.get("status"), *STATUS_RANGE)
    _within("delay", effect.get("delay_ms"), 0, MAX_DELAY_MS, " ms")
    _within("delay_max_ms", effect.get("delay_max_ms"), 0, MAX_DELAY_MS, " ms")
    low, high = effect.get("delay_ms", 0), effect.get("delay_max_ms")
    if high is not None and high < low:
        raise FaultSpecError("the delay's upper bound must not be below its lower bound")
    _within("retry_after", effect.get("retry_after"), 0, MAX_RETRY_AFTER, " s")
    times = spec.get("times")
    if times is not None and (not isinstance(times, int) or times < 1):
        raise FaultSpecError("times must be a whole number of at least 1")
    p = spec.get("probability")
    if p is not None and not (isinstance(p, int | float) and 0 <= p <= 1):
        raise FaultSpecError("probability must be a number from 0 to 1")


def _within(name: str, value: Any, low: int, high: int, unit: str = "") -> None:
    if value is None:
        return
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise FaultSpecError(f"{name} must be a whole number from {low} to {high}{unit}")


def _number(name: str, arg: str, pattern: re.Pattern[str]) -> str:
    if not pattern.fullmatch(arg):
        raise FaultSpecError(
            f"{name} needs a number, not {arg!r}" if arg else f"{name}= needs a value"
        )
    return arg


def parse_header(value: str) -> dict[str, Any]:
    """`status=503; times=1`, `delay=200`, `delay=100-300`, `drop`, `malformed`,
    `rate_limit; retry_after=2`, with optional `times`, `probability`, `seed`: the same rule
    spec the admin API takes, checked by the same `check_spec`."""
    if len(value) > MAX_HEADER_LENGTH:
        raise FaultSpecError(f"the value is longer than {MAX_HEADER_LENGTH} characters")
    effect: dict[str, Any] = {}
    rule: dict[str, Any] = {}
    seen: set[str] = set()
    for raw in value.split(";"):
        part = raw.strip()
        if not part:
            continue
        key, eq, arg = (s.strip() for s in part.partition("="))
        key = key.lower()
        if key in seen:
            raise FaultSpecError(f"{key} is given twice")
        seen.add(key)
        if key in KINDS and "kind" in effect:
            raise FaultSpecError(f"name one effect, not {effect['kind']} and {key}")
        if key in {"drop", "malformed", "rate_limit"}:
            if eq:
                raise FaultSpecError(f"{key} takes no value")
            effect["kind"] = key
        elif key == "status":
            effect.update(kind="status", status=int(_number(key, arg, _WHOLE)))
        elif key == "delay":
            low, dash, high = (s.strip() for s in arg.partition("-"))
            effect.update(kind="delay", delay_ms=int(_number(key, low, _WHOLE)))
            if dash:
                effect["delay_max_ms"] = int(_number(key, high, _WHOLE))
        elif key == "retry_after":
            effect["retry_after"] = int(_number(key, arg, _WHOLE))
        elif key == "times":
            rule["times"] = int(_number(key, arg, _SIGNED))
        elif key == "probability":
            rule["probability"] = float(_number(key, arg, _DECIMAL))
        elif key == "seed":
            rule["seed"] = int(_number(key, arg, _SIGNED))
        else:
            raise FaultSpecError(f"unknown part {part[:40]!r}; expected {_HEADER_SYNTAX}")
    if "kind" not in effect:
        raise FaultSpecError(f"name an effect: {_HEADER_SYNTAX}")
    spec = {"effect": effect, **rule}
    check_spec(spec)
    return spec


class HeaderRules:
    """The rules born from `X-Tagfake-Fault` values, kept so `times=N` counts across a client's
    retries: at most `capacity` of them, least recently used dropped first, and each forgotten
    `ttl` seconds (monotonic time) after its last use, so any number of distinct values keeps
    memory flat."""

    def __init__(
        self,
        capacity: int = 1024,
        ttl: float = 600.0,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.capacity = capacity
        self.ttl = ttl
        self._now = now
        self._rules: OrderedDict[str, tuple[FaultRule, float]] = OrderedDict()

    def get(self, key: str, spec: dict[str, Any]) -> FaultRule:
        """The rule for this key, made from `spec` when it is new or has expired."""
        now = self._now()
        self._expire(now)
        held = self._rules.pop(key, None)
        rule = (
            held[0]
            if held is not None
            else FaultRule(id=key, effect=spec["effect"], **_limits(spec))
        )
        self._rules[key] = (rule, now)
        while len(self._rules) > self.capacity:
            self._rules.popitem(last=False)
        return rule

    def _expire(self, now: float) -> None:
        while self._rules:
            _, (_, used) = next(iter(self._rules.items()))
            if now - used < self.ttl:
                break
            self._rules.popitem(last=False)

    def values(self) -> list[FaultRule]:
        self._expire(self._now())
        return [rule for rule, _ in self._rules.values()]

    def pop(self, key: str) -> FaultRule | None:
        held = self._rules.pop(key, None)
        return held[0] if held is not None else None

    def clear(self) -> None:
        self._rules.clear()

    def __len__(self) -> int:
        return len(self._rules)


class FaultBook:
    """Rules added through the admin API, and rules born from `X-Tagfake-Fault` headers (one
    per vendor, tenant and header value, so `times=1` counts across a client's retries)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: dict[str, FaultRule] = {}
        self._from_headers = HeaderRules()
        self._serial = 0

    def add(self, spec: dict[str, Any]) -> FaultRule:
        with self._lock:
            self._serial += 1
            rule = FaultRule(
                id=spec.get("id") or f"fault-{self._serial}",
                effect=dict(spec["effect"]),
                match=dict(spec.get("match") or {}),
                **_limits(spec),
            )
            self._rules[rule.id] = rule
            return rule

    def rules(self) -> list[FaultRule]:
        with self._lock:
            return [*self._rules.values(), *self._from_headers.values()]

    def remove(self, rule_id: str) -> FaultRule | None:
        with self._lock:
            return self._rules.pop(rule_id, None) or self._from_headers.pop(rule_id)

    def clear(self) -> int:
        with self._lock:
            n = len(self._rules) + len(self._from_headers)
            self._rules.clear()
            self._from_headers.clear()
            self._serial = 0  # ids repeat per test after a reset: fault-1, fault-2, ...
            return n

    def pick(self, target: Target, header: str | None) -> FaultRule | None:
        """The fault this request gets: its header's first, else the first matching rule."""
        with self._lock:
            if header is not None:
                spec = parse_header(header)
                key = f"header:{target.vendor}:{target.tenant}:{header.strip()}"
                rule = self._from_headers.get(key, spec)
                if rule.fire():
                    return rule
            for rule in self._rules.values():
                if rule.matches(target) and rule.fire():
                    return rule
            return None


def _limits(spec: dict[str, Any]) -> dict[str, Any]:
    return {k: spec[k] for k in ("times", "probability", "seed") if spec.get(k) is not None}
