"""The suite's records: what was sent and answered, what deviated, and each check's outcome."""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

Outcome = Literal["passed", "failed", "skipped", "error", "incomplete"]


@dataclass
class Exchange:
    """One request and its answer, as sent (credentials kept; masking happens when rendered)."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None
    status: int
    response_headers: dict[str, str]
    response_body: bytes
    elapsed_ms: float = 0.0

    def json(self) -> Any:
        try:
            return json.loads(self.response_body) if self.response_body else None
        except ValueError:
            return None

    def curl(self, secrets: dict[str, str] | None = None) -> str:
        """A curl line that replays the request; each secret value becomes `${NAME}`."""
        parts = ["curl", "-sS", "-X", self.method, shlex.quote(self.url)]
        for name, value in self.headers.items():
            line = f"{name}: {value}"
            masked = mask_secrets(line, secrets)
            parts += ["-H", f'"{masked}"' if masked != line else shlex.quote(line)]
        if self.body is not None:
            text = self.body.decode("utf-8", "backslashreplace")
            parts += ["--data-raw", shlex.quote(text)]
        return " ".join(parts)

    def answer(self, limit: int = 300) -> str:
        text = self.response_body.decode("utf-8", "backslashreplace")
        if len(text) > limit:
            text = text[:limit] + "…"
        return f"{self.status} {text}"


def mask_secrets(text: str, secrets: dict[str, str] | None) -> str:
    for name, value in (secrets or {}).items():
        if value:
            text = text.replace(value, "${" + name + "}")
    return text


def sent_json(value: Any) -> str:
    """A body (or part of one) as it goes on the wire, for messages: `{"tag_ids": []}`."""
    return json.dumps(value, ensure_ascii=False)


#: Called with each Deviation as it is made: the engine keeps the requests of that moment, so
#: a failure that does not fail again on replay (flaky) still shows the attempt that failed.
DEVIATION_HOOKS: list[Callable[[Deviation], None]] = []


class Deviation(AssertionError):
    """The target did something other than documented: one line says what, and what came back."""

    def __init__(self, documented: str, got: str) -> None:
        super().__init__(f"documented: {documented}; got: {got}")
        self.documented = documented
        self.got = got
        for hook in DEVIATION_HOOKS:
            hook(self)

    @property
    def line(self) -> str:
        return f"documented: {self.documented}; got: {self.got}"


class BudgetExhausted(Exception):
    """`--max-requests` is used up; the rest of the run is skipped (cleanup still runs)."""


class Throttled(BudgetExhausted):
    """A 429 whose Retry-After is longer than `--max-wait` (or too many 429s in a row): the
    target is throttling, not breaking its contract; the check is incomplete."""


class NotObservable(Exception):
    """The target's API offers no way to observe what the check needs."""


@dataclass
class CheckResult:
    """The outcome of one named check (a property, a state machine, schemathesis) for a vendor."""

    vendor: str
    check: str
    title: str
    outcome: Outcome
    message: str = ""
    example: str = ""
    curl: list[str] = field(default_factory=list)
    examples_run: int = 0
    requests: int = 0
    seconds: float = 0.0
    details: list[str] = field(default_factory=list)
    #: Which targets this check can judge ("any target", "tagfake only …").
    judges: str = "any target"

    @property
    def id(self) -> str:
        return f"{self.vendor}.{self.check}"


@dataclass
class Observation:
    """What the target did where the spec records an assumption (`x-tagfake-assumption`)."""

    vendor: str
    pointer: str
    assumption: str
    observed: str | None
    as_assumed: bool | None  # None: not probed, or no verdict
    #: Why it was not probed.
    note: str = ""
    #: The probe's requests, replayable.
    curl: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        if self.observed is None:
            return f"not probed ({self.note})" if self.note else "not probed"
        if self.as_assumed is None:
            return "observed"
        return "as assumed" if self.as_assumed else "differs from the assumption"


@dataclass
class VendorRun:
    vendor: str
    base_url: str
    results: list[CheckResult] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    requests: int = 0


@dataclass
class SuiteRun:
    run_id: str
    target: str
    vendors: list[VendorRun] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def results(self) -> list[CheckResult]:
        return [r for v in self.vendors for r in v.results]

    @property
    def failed(self) -> list[CheckResult]:
        return [r for r in self.results if r.outcome in ("failed", "error")]

    @property
    def ok(self) -> bool:
        return not self.failed
