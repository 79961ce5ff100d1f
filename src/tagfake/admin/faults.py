"""Fault rules: which requests misbehave (vendor, operationId, method, path, tenant) and how
(delay, a status, the vendor's 429, a dropped connection, a malformed body), for the first N
matches or with a seeded probability. The same by request header: `X-Tagfake-Fault`."""

from __future__ import annotations

import random
import re
import threading
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
        kind = self.effect.get("kind")
        if kind not in KINDS:
            raise FaultSpecError(f"effect.kind must be one of {', '.join(KINDS)}")
        if kind == "status" and "status" not in self.effect:
            raise FaultSpecError("a status fault needs effect.status")
        if kind == "delay" and "delay_ms" not in self.effect:
            raise FaultSpecError("a delay fault needs effect.delay_ms")
        low, high = self.effect.get("delay_ms", 0), self.effect.get("delay_max_ms")
        if high is not None and high < low:
            raise FaultSpecError("effect.delay_max_ms must not be below effect.delay_ms")
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


def parse_header(value: str) -> dict[str, Any]:
    """`status=503; times=1`, `delay=200`, `delay=100-300`, `drop`, `malformed`,
    `rate_limit; retry_after=2`, with optional `times`, `probability`, `seed`."""
    effect: dict[str, Any] = {}
    rule: dict[str, Any] = {}
    for raw in value.split(";"):
        part = raw.strip()
        if not part:
            continue
        key, _, arg = (s.strip() for s in part.partition("="))
        key = key.lower()
        try:
            if key in {"drop", "malformed", "rate_limit"} and not arg:
                effect["kind"] = key
            elif key == "status":
                effect.update(kind="status", status=int(arg))
            elif key == "delay":
                low, _, high = arg.partition("-")
                effect.update(kind="delay", delay_ms=int(low))
                if high:
                    effect["delay_max_ms"] = int(high)
            elif key == "retry_after":
                effect["retry_after"] = int(arg)
            elif key == "times":
                rule["times"] = int(arg)
            elif key == "probability":
                rule["probability"] = float(arg)
            elif key == "seed":
                rule["seed"] = int(arg)
            else:
                raise FaultSpecError(f"unknown part {part!r}")
        except ValueError as exc:
            raise FaultSpecError(f"{part!r}: {exc}") from None
    if "kind" not in effect:
        raise FaultSpecError("name an effect: status=N, delay=MS, drop, malformed or rate_limit")
    status = effect.get("status")
    if status is not None and not 400 <= status <= 599:
        raise FaultSpecError("status must be 400..599")
    return {"effect": effect, **rule}


class FaultBook:
    """Rules added through the admin API, and rules born from `X-Tagfake-Fault` headers (one
    per vendor, tenant and header value, so `times=1` counts across a client's retries)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: dict[str, FaultRule] = {}
        self._from_headers: dict[str, FaultRule] = {}
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
            return self._rules.pop(rule_id, None) or self._from_headers.pop(rule_id, None)

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
                rule = self._from_headers.get(key)
                if rule is None:
                    rule = FaultRule(id=key, effect=spec["effect"], **_limits(spec))
                    self._from_headers[key] = rule
                if rule.fire():
                    return rule
            for rule in self._rules.values():
                if rule.matches(target) and rule.fire():
                    return rule
            return None


def _limits(spec: dict[str, Any]) -> dict[str, Any]:
    return {k: spec[k] for k in ("times", "probability", "seed") if spec.get(k) is not None}
