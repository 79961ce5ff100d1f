"""Fault rules: which requests misbehave (vendor, operationId, method, path, tenant) and how
(delay, a status, the vendor's 429, a dropped connection, a malformed body), for the first N
matches or with a seeded probability. The same by request header: `X-Tagfake-Fault`."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import Any

from tagfake.state.harness import FaultStore, MemoryFaultStore

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
    #: The random draws so far, from `rng_seed`: the state a worker hands to the next.
    draws: int = 0
    rng_seed: int | None = None
    #: The delay this application of the rule chose (a delay_ms..delay_max_ms range).
    chosen_delay_ms: int = 0
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
        if self.rng_seed is None:
            self.rng_seed = self.seed if self.seed is not None else random.getrandbits(63)

    def matches(self, t: Target) -> bool:
        m = self.match
        return (
            ("vendor" not in m or m["vendor"] == t.vendor)
            and ("operation" not in m or m["operation"] == t.operation)
            and ("method" not in m or m["method"].upper() == t.method)
            and ("tenant" not in m or m["tenant"] == t.tenant)
            and (self._path is None or self._path.search(t.path) is not None)
        )

    def _rng(self) -> random.Random:
        """The generator of the next draw: a function of (seed, draw number) only, so the
        sequence is the same whichever worker draws next."""
        self.draws += 1
        return random.Random(f"{self.rng_seed}:{self.draws}")

    def fire(self) -> bool:
        """Count a match and decide, reproducibly, whether the fault applies this time."""
        self.matched += 1
        if self.times is not None and self.applied >= self.times:
            return False
        if self.probability is not None and self._rng().random() >= self.probability:
            return False
        self.applied += 1
        low = int(self.effect.get("delay_ms", 0))
        high = self.effect.get("delay_max_ms")
        self.chosen_delay_ms = low if high is None else self._rng().randint(low, int(high))
        return True

    def delay_seconds(self) -> float:
        return self.chosen_delay_ms / 1000

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

    def to_doc(self) -> dict[str, Any]:
        """Everything a store keeps of the rule, counts and random state included."""
        return {**self.to_dict(), "draws": self.draws, "rng_seed": self.rng_seed}

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> FaultRule:
        return cls(
            id=doc["id"],
            effect=dict(doc["effect"]),
            match=dict(doc.get("match") or {}),
            matched=doc.get("matched", 0),
            applied=doc.get("applied", 0),
            draws=doc.get("draws", 0),
            rng_seed=doc.get("rng_seed"),
            **_limits(doc),
        )


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
    per vendor, tenant and header value, so `times=1` counts across a client's retries).

    The rules and their counts live in a `FaultStore`: every worker of a server sees the same
    rules, and a rule's `times` counts every worker's matches."""

    def __init__(self, store: FaultStore | None = None) -> None:
        self.store: FaultStore = store or MemoryFaultStore()

    def add(self, spec: dict[str, Any]) -> FaultRule:
        with self.store.change() as table:
            serial = table.next_serial()
            rule = FaultRule(
                id=spec.get("id") or f"fault-{serial}",
                effect=dict(spec["effect"]),
                match=dict(spec.get("match") or {}),
                **_limits(spec),
            )
            table.put(rule.to_doc())
            return rule

    def has_rules(self) -> bool:
        return self.store.has_rules()

    def rules(self) -> list[FaultRule]:
        if not self.store.has_rules():
            return []
        with self.store.change() as table:
            return [FaultRule.from_doc(doc) for doc in table.every()]

    def remove(self, rule_id: str) -> FaultRule | None:
        with self.store.change() as table:
            doc = table.remove(rule_id)
            return None if doc is None else FaultRule.from_doc(doc)

    def clear(self) -> int:
        with self.store.change() as table:
            # ids repeat per test after a reset: fault-1, fault-2, ...
            return table.clear()

    def pick(self, target: Target, header: str | None) -> FaultRule | None:
        """The fault this request gets: its header's first, else the first matching rule."""
        spec = parse_header(header) if header is not None else None
        with self.store.change() as table:
            if header is not None and spec is not None:
                key = f"header:{target.vendor}:{target.tenant}:{header.strip()}"
                doc = table.header_rule(key)
                if doc is None:
                    rule = FaultRule(id=key, effect=spec["effect"], **_limits(spec))
                else:
                    rule = FaultRule.from_doc(doc)
                fired = rule.fire()
                table.put(rule.to_doc(), from_header=True)
                if fired:
                    return rule
            for doc in table.rules():
                rule = FaultRule.from_doc(doc)
                if rule.matches(target):
                    fired = rule.fire()
                    table.put(rule.to_doc())
                    if fired:
                        return rule
            return None


def _limits(spec: dict[str, Any]) -> dict[str, Any]:
    return {k: spec[k] for k in ("times", "probability", "seed") if spec.get(k) is not None}
