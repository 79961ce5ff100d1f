"""Schemathesis over a vendor's spec: every check (negative data rejection and ignored auth
included) and the stateful phase driven by the spec's OpenAPI links, in-process or over HTTP."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tagfake.suite.model import CheckResult
from tagfake.suite.target import VendorTarget

#: The status each vendor answers a request that is schema-valid but breaks a documented rule
#: (a taken name, an unknown id): schemathesis' positive-data check must accept it.
RULE_STATUS = {"zapini": 422, "healvi": 422, "nexor": 400, "commbox": 400}


@dataclass
class FuzzOutcome:
    results: list[CheckResult] = field(default_factory=list)
    requests: int = 0
    notes: list[str] = field(default_factory=list)


def _auth(target: VendorTarget) -> dict[str, Any]:
    schemes = target.contract.document.get("components", {}).get("securitySchemes", {})
    out: dict[str, Any] = {}
    for name, scheme in schemes.items():
        if scheme.get("type") == "apiKey":
            out[name] = {"api_key": target.credential}
        elif scheme.get("scheme") == "bearer":
            out[name] = {"bearer": target.credential}
    return {"openapi": out} if out else {}


def config_for(
    target: VendorTarget, *, examples: int, mode: str, seed: int, over_http: bool
) -> dict[str, Any]:
    """The schemathesis configuration (the TOML's shape) for one vendor."""
    vendor = target.vendor
    checks: dict[str, Any] = {
        "enabled": True,
        "positive_data_acceptance": {
            "expected-statuses": ["2xx", 401, 403, 404, 409, RULE_STATUS[vendor], 429]
        },
        # Needs WFC peers; tenant isolation is the suite's own `tenant-isolation` property.
        "object_level_authorization": {"enabled": False},
    }
    operations: list[dict[str, Any]] = []
    if vendor == "commbox":
        # CommBox documents 501 (not 405) for a method a path does not support.
        checks["unsupported_method"] = {"enabled": False}
        checks["not_a_server_error"] = {"expected-statuses": ["1xx", "2xx", "3xx", "4xx", 501]}
    if vendor == "nexor":
        # GET /leads/tags is GET /leads/{id} with id "tags" (a 404), not an undeclared method.
        operations.append(
            {
                "include-operation-id": "syncLeadTags",
                "checks": {"unsupported_method": {"enabled": False}},
            }
        )
    doc: dict[str, Any] = {
        "seed": seed,
        "base-url": target.base_url,
        "auth": _auth(target),
        "workers": 1,
        "checks": checks,
        "generation": {
            "max-examples": examples,
            "deterministic": True,
            "database": "none",
            "mode": "all",
        },
        "phases": {"stateful": {"max-steps": 8}},
        "request-timeout": 30,
    }
    if over_http:
        doc["rate-limit"] = "auto"
    if mode == "safe":
        doc["phases"]["stateful"]["enabled"] = False
        operations.append({"include-method": "POST", "enabled": False})
        for method in ("PUT", "PATCH", "DELETE"):
            operations.append({"include-method": method, "enabled": False})
    if vendor == "healvi" and target.entities:
        # Every healvi operation needs an existing profile; random ids only ever get 404, and
        # the links (getProfile → syncProfileTags → getProfile) start from a found profile.
        pid = int(target.entities[0])
        doc["parameters"] = {"path.id": pid, "path.profileId": pid}
    if operations:
        doc["operations"] = operations
    return doc


@dataclass
class _Tally:
    """What the engine's events say, per schemathesis check."""

    ran: dict[str, int] = field(default_factory=dict)
    #: Responses each check judged (one request each).
    checked: dict[str, int] = field(default_factory=dict)
    failures: dict[str, list[str]] = field(default_factory=dict)
    first: dict[str, tuple[str, list[str]]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    requests: int = 0
    links_total: int = 0
    links_taken: int = 0

    def scenario(self, rec: Any) -> None:
        self.requests += len(rec.interactions)
        self.links_taken += sum(1 for node in rec.cases.values() if node.transition is not None)
        for case_id, nodes in rec.checks.items():
            for name in {node.name for node in nodes}:
                self.checked[name] = self.checked.get(name, 0) + 1
            for node in nodes:
                self.ran[node.name] = self.ran.get(node.name, 0) + 1
                if str(node.status) == "failure" and node.failure_info is not None:
                    self._failure(rec, case_id, node)

    def _failure(self, rec: Any, case_id: str, node: Any) -> None:
        failure = node.failure_info.failure
        line = f"{rec.label}: {failure.title}"
        bucket = self.failures.setdefault(node.name, [])
        if line in bucket:
            return
        bucket.append(line)
        if node.name in self.first:
            return
        response = rec.find_response(case_id=case_id)
        answer = (
            f"→ {response.status_code} {response.content[:300].decode('utf-8', 'replace')}"
            if response is not None
            else "→ (no answer)"
        )
        message = (failure.message or "").strip().splitlines()
        self.first[node.name] = (
            f"{line}: {message[0]}" if message else line,
            [*node.failure_info.code_sample.splitlines(), answer],
        )

    def results(self, vendor: str, elapsed: float) -> list[CheckResult]:
        out: list[CheckResult] = []
        share = elapsed / max(len(self.ran), 1)
        for name in sorted(self.ran):
            failed = self.failures.get(name, [])
            result = CheckResult(
                vendor,
                f"schemathesis/{name}",
                f"schemathesis check `{name}` over every operation",
                "failed" if failed else "passed",
                examples_run=self.ran[name],
                requests=self.checked.get(name, 0),
                seconds=share,
            )
            if failed:
                line, sample = self.first[name]
                result.message = f"{len(failed)} failing operation(s); first: {line}"
                result.curl = [c for c in sample if c.startswith("curl")]
                result.details = [*failed, *(c for c in sample if not c.startswith("curl"))]
            out.append(result)
        if self.errors:
            out.append(
                CheckResult(
                    vendor,
                    "schemathesis/errors",
                    "schemathesis ran without errors",
                    "error",
                    message=self.errors[0],
                    details=self.errors[:20],
                )
            )
        return out


def run_schemathesis(
    target: VendorTarget,
    *,
    examples: int,
    mode: str = "full",
    seed: int = 1,
    app: Any = None,
    max_requests: int | None = None,
    progress: Callable[[str], None] | None = None,
    every: float = 5.0,
) -> FuzzOutcome:
    """Run the engine; one `CheckResult` per schemathesis check that ran (`schemathesis/<name>`)."""
    import schemathesis
    from schemathesis.config import SchemathesisConfig
    from schemathesis.engine import events, from_schema

    out = FuzzOutcome()
    started = time.perf_counter()
    cfg = SchemathesisConfig.from_dict(
        config_for(target, examples=examples, mode=mode, seed=seed, over_http=app is None)
    )
    schema = schemathesis.openapi.from_dict(copy.deepcopy(target.contract.document), config=cfg)
    if app is not None:
        schema.app = app
    tally = _Tally()
    stopped = False
    vendor = target.vendor
    last_said = time.perf_counter()

    def say(line: str) -> None:
        nonlocal last_said
        last_said = time.perf_counter()
        if progress is not None:
            progress(f"  schemathesis {vendor}: {line}")

    say(f"starting ({mode}, {examples} example(s) per operation)")
    stream = from_schema(schema).execute()
    for event in stream:
        if isinstance(event, events.PhaseStarted):
            if event.payload is not None:
                tally.links_total = getattr(event.payload, "transitions_total", 0)
            say(f"{event.phase.name.value} phase, {tally.requests} requests so far")
        elif isinstance(event, events.ScenarioFinished):
            tally.scenario(event.recorder)
            if time.perf_counter() - last_said >= every:
                failing = sum(1 for f in tally.failures.values() if f)
                say(f"{tally.requests} requests, {failing} check(s) failing so far")
            if max_requests is not None and tally.requests >= max_requests and not stopped:
                stream.stop()
                stopped = True
                out.notes.append(f"schemathesis stopped after {tally.requests} requests (budget)")
        elif isinstance(event, events.NonFatalError):
            tally.errors.append(f"{event.label}: {event.info.message}"[:300])
        elif isinstance(event, events.FatalError):
            tally.errors.append(f"fatal: {event.exception}"[:300])
    out.requests = tally.requests
    say(f"done: {tally.requests} requests in {time.perf_counter() - started:.1f}s")
    out.notes.append(
        f"schemathesis ({mode}): {tally.requests} requests; stateful phase: "
        f"{tally.links_total} link(s) declared, {tally.links_taken} link step(s) taken"
    )
    out.results = tally.results(target.vendor, time.perf_counter() - started)
    return out
