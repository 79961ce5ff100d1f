"""What every vendor's part of the suite provides: named properties, a state machine, probes of
the spec's assumptions, set-up (a pool of run-prefixed tags) and clean-up (delete, restore)."""

from __future__ import annotations

import itertools
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine

from tagfake.contract.schema import CompiledSchema
from tagfake.suite.api import Api, auth_headers
from tagfake.suite.model import Deviation, Exchange
from tagfake.suite.target import VendorTarget

#: A probe of one assumption: (what the target did, whether that is what the spec assumes).
Probe = Callable[[], tuple[str, bool | None]]

#: Which targets a check can judge: it reads only the vendor's own API, so a sandbox too...
ANY_TARGET = "any target"
#: ...or it needs state the vendor's API cannot show (tagfake's admin API).
TAGFAKE_ONLY = "tagfake only (reads its admin API)"
#: ...or it judges more on tagfake: the vendor's API shows part, the admin API the rest.
MORE_ON_TAGFAKE = "any target (more through tagfake's admin API)"


#: How far `tick` moves tagfake's clock.
TICK_SECONDS = 3600.0


def moment(text: str) -> datetime:
    """An RFC 3339 timestamp as a datetime (a Deviation when it is none)."""
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        raise Deviation("timestamps in RFC 3339", repr(text)) from None


def same_times(tag: dict[str, Any], before: dict[str, Any], what: str) -> None:
    """created_at and updated_at are as they were."""
    for key in ("created_at", "updated_at"):
        if tag.get(key) != before.get(key):
            raise Deviation(
                f"{what} leaves {key} as it was ({before.get(key)})", f"{key} {tag.get(key)}"
            )


@dataclass(frozen=True)
class Property:
    """One small named check: `run` is called with each generated example (or once, with None)."""

    check: str
    title: str
    run: Callable[[Any], None]
    strategy: st.SearchStrategy[Any] | None = None
    #: What the target must offer: "oracle", "entity", "two-entities", "other-credential",
    #: "email" (nexor: a lead's email is known).
    needs: tuple[str, ...] = ()
    #: Examples for this property, when it should differ from the run's default.
    examples: int | None = None
    #: Which targets it can judge, when not told by `needs` (an "oracle" need: tagfake only).
    on: str | None = None

    @property
    def judges(self) -> str:
        if self.on is not None:
            return self.on
        return TAGFAKE_ONLY if "oracle" in self.needs else ANY_TARGET


@dataclass(frozen=True)
class ErrorCase:
    """A request that must fail with `status`, its body in the vendor's envelope: the schema of
    `operation`'s answer for that status, or of a shared response (`components.responses`)."""

    label: str
    method: str
    path: str
    status: int
    operation: str | None = None
    shared: str | None = None
    raw: bytes | None = None
    content_type: str | None = "application/json"


@dataclass
class Budget:
    """How much each part of the run may try."""

    examples: int = 10
    machine_examples: int = 8
    machine_steps: int = 12
    schemathesis_examples: int = 5
    #: Longest time hypothesis spends shrinking one failure (each step sends requests).
    shrink_seconds: float = 20.0
    #: "full": every phase and check; "safe": read-only operations; "off".
    schemathesis: str = "full"


@dataclass
class RunContext:
    run_id: str
    budget: Budget = field(default_factory=Budget)
    #: Print progress lines (the CLI's console report).
    progress: Callable[[str], None] | None = None
    _counter: itertools.count[int] = field(default_factory=itertools.count)

    @property
    def prefix(self) -> str:
        """Everything the run creates carries this prefix, so it can be found and deleted."""
        return f"tagfake-{self.run_id}-"

    def next(self) -> int:
        return next(self._counter)

    def say(self, line: str) -> None:
        if self.progress is not None:
            self.progress(line)


class VendorSuite(ABC):
    vendor: ClassVar[str]
    #: What the vendor puts tags on, for messages ("conversation", "lead", ...).
    entity: ClassVar[str]
    #: Which targets the state machine can judge.
    machine_judges: ClassVar[str] = ANY_TARGET
    #: Checks that read the vendor's API everywhere and, against tagfake, also what it cannot
    #: show (an entity's stored tags).
    oracle_aided: ClassVar[frozenset[str]] = frozenset()

    def judges(self, prop: Property) -> str:
        if prop.judges == ANY_TARGET and prop.check in self.oracle_aided:
            return MORE_ON_TAGFAKE
        return prop.judges

    def __init__(self, target: VendorTarget, ctx: RunContext) -> None:
        self.t = target
        self.ctx = ctx
        self.api: Api = target.api()
        self.other: Api | None = target.other_api()
        self.notes: list[str] = []
        #: The set-up's requests: a failure's reproduction starts with those that made what it
        #: uses (the pool), since clean-up deletes them.
        self.setup_log: list[Exchange] = []

    # -- helpers ----------------------------------------------------------------------------
    def fresh(self, label: str = "t") -> str:
        """A new run-prefixed name."""
        return f"{self.ctx.prefix}{label}{self.ctx.next()}"

    def ours(self, name: object) -> bool:
        """Made by this run: the name (trimmed or not by the vendor) starts with the prefix."""
        return str(name).strip().lower().startswith(self.ctx.prefix)

    def tick(self) -> None:
        """Let the vendor's clock move on: tagfake's admin clock jumps an hour (no wait); a
        sandbox is waited for (its timestamps have whole seconds)."""
        if self.t.tagfake:
            self.t.http.send(
                "POST", "/__admin/clock", body={"advance_seconds": TICK_SECONDS}, record=False
            )
        else:
            time.sleep(1.1)

    @property
    def tick_seconds(self) -> float:
        """How far the vendor's clock moves at least in one `tick`."""
        return TICK_SECONDS if self.t.tagfake else 1.0

    def moved(self, before: str, after: str, what: str) -> None:
        """`after` is at least one tick later than `before` (both RFC 3339)."""
        if (moment(after) - moment(before)).total_seconds() < self.tick_seconds:
            raise Deviation(
                f"{what}: updated_at moves on with the vendor's clock (≥ {self.tick_seconds:.0f}s "
                f"after {before})",
                f"updated_at {after}",
            )

    def missing(self, needs: tuple[str, ...]) -> str | None:
        """Why a check cannot run on this target, or None when it can."""
        for need in needs:
            if need == "oracle" and self.t.oracle is None:
                return (
                    f"not observable: {self.vendor}'s API has no read of a {self.entity}'s tags "
                    "(checked against tagfake through its admin API)"
                )
            if need == "entity" and not self.t.entities:
                return f"needs a {self.entity} to work on (see `tagfake contract --help`)"
            if need == "two-entities" and len(self.t.entities) < 2:
                return f"needs two {self.entity}s (name a second one)"
            if need == "other-credential" and self.t.other_credential is None:
                return "needs a second tenant's credential (--other-credential)"
            reason = self.extra_missing(need)
            if reason:
                return reason
        return None

    def extra_missing(self, need: str) -> str | None:
        return None

    # -- a body the spec requires ----------------------------------------------------------
    def body_property(self) -> Property:
        return Property(
            "body-required",
            "an operation whose spec requires a request body rejects a request without one",
            self.p_body_required,
            None,
            ("entity",),
        )

    def body_cases(self) -> list[tuple[str, dict[str, Any]]]:
        """(operationId, path parameters naming existing objects) of body-required operations."""
        return []

    def p_body_required(self, example: None) -> None:
        for op_id, params in self.body_cases():
            op = self.t.contract.operations[op_id]
            assert op.body_required, op_id
            r = self.api.call(op_id, params)
            if not 400 <= r.status < 500:
                raise Deviation(
                    f"{op.method.upper()} {op.path} without its required body is rejected (4xx)",
                    r.short(),
                )

    # -- errors in the vendor's envelope ----------------------------------------------------
    def auth_property(self, credential: str = "credential") -> Property:
        return Property(
            "auth-required",
            f"a missing or wrong {credential} gets the documented 401",
            self.p_auth_required,
            None,
            ("entity",),
        )

    @abstractmethod
    def p_auth_required(self, example: None) -> None:
        """No credential, and a wrong one, get the vendor's documented 401."""

    def error_property(self) -> Property:
        return Property(
            "error-envelope",
            "every error answers the documented status in the vendor's own envelope",
            self.p_error_envelope,
            None,
            ("entity",),
        )

    def error_cases(self) -> list[ErrorCase]:
        return []

    def p_error_envelope(self, example: None) -> None:
        contract = self.t.contract
        for case in self.error_cases():
            headers = auth_headers(self.vendor, self.t.credential)
            if case.raw is not None and case.content_type:
                headers["Content-Type"] = case.content_type
            url = self.api.prefix + case.path
            ex = self.t.http.send(case.method, url, raw=case.raw, headers=headers)
            what = f"{case.label} ({case.method} {case.path})"
            if ex.status != case.status:
                raise Deviation(f"{what} → {case.status}", ex.answer())
            schema: CompiledSchema | None
            if case.operation is not None:
                _, schema = contract.operations[case.operation].response_schema(case.status)
            else:
                schema = contract.shared_responses.get(case.shared or "")
            body = ex.json()
            problems = schema.violations(body, limit=2) if schema is not None else []
            if schema is not None and (body is None or problems):
                raise Deviation(
                    f"{what} answers {self.vendor}'s error envelope",
                    f"{'; '.join(map(str, problems)) or 'not JSON'} in {ex.answer(160)}",
                )
            if case.status == 405 and not ex.response_headers.get("allow"):
                raise Deviation(f"{what} sends an Allow header", "none")

    # -- what a vendor provides -------------------------------------------------------------
    @abstractmethod
    def setup(self) -> None:
        """Remember the entities' tags and create the pool of run-prefixed tags."""

    @abstractmethod
    def cleanup(self) -> None:
        """Delete what the run created (where the API can) and restore the entities' tags."""

    @abstractmethod
    def properties(self) -> list[Property]: ...

    @abstractmethod
    def machine(self) -> type[RuleBasedStateMachine]: ...

    @abstractmethod
    def probes(self) -> dict[str, Probe]:
        """Probes keyed by the JSON pointer of the `x-tagfake-assumption` they observe."""

    def plan(self) -> list[str]:
        """What the run will do, for `--dry-run` (no request sent)."""
        return []
