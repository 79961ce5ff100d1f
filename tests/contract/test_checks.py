"""What the suite's checks cover and how they judge: every documented operation is a step of
its vendor's state machine; a differing observation is a failure against tagfake and only a
note against a vendor (unless `--strict`); a long Retry-After leaves checks incomplete, not
failed; schemathesis reports its progress and real request counts."""

from __future__ import annotations

from typing import Any

import pytest

from tagfake.app import create_app
from tagfake.settings import VENDORS
from tagfake.suite.base import RunContext
from tagfake.suite.engine import run_machine
from tagfake.suite.fuzz import run_schemathesis
from tagfake.suite.inprocess import inprocess_targets
from tagfake.suite.runner import Options, run_suite
from tagfake.suite.vendors import suite_class
from tagfake.testing.server import ThreadedServer

from .harness import run_over_url, settings, small_budget
from .mutants import MUTANTS


@pytest.mark.parametrize("vendor", VENDORS)
def test_every_documented_operation_is_a_state_machine_step(vendor: str) -> None:
    app = create_app(settings())
    with inprocess_targets(app, [vendor]) as targets:
        target = targets[0]
        suite = suite_class(vendor)(
            target, RunContext("mach1ne", small_budget(machine_examples=20))
        )
        suite.setup()
        http = target.http
        http.send("DELETE", "/__admin/journal", record=False)
        try:
            result = run_machine(suite)
        finally:
            journal = http.send("GET", f"/__admin/journal?vendor={vendor}", record=False).json()
            suite.cleanup()
    assert result.outcome == "passed", result
    assert journal["dropped"] == 0, journal["total"]
    called = {e["operation_id"] for e in journal["entries"]}
    assert set(target.contract.operations) <= called, set(target.contract.operations) - called


def _observation_mutant(monkeypatch: pytest.MonkeyPatch) -> None:
    next(m for m in MUTANTS if m.id == "zapini-details-unindexed").apply(monkeypatch)


def test_a_differing_observation_fails_against_tagfake(monkeypatch: pytest.MonkeyPatch) -> None:
    _observation_mutant(monkeypatch)
    app = create_app(settings())
    with inprocess_targets(app, ["zapini"]) as targets:
        run = run_suite(targets, Options("obs1", small_budget(), only={"observations"}))
    (result,) = run.results
    assert result.outcome == "failed" and "details ['tag_ids']" in result.message, result
    assert result.curl, result


@pytest.mark.parametrize("strict", [False, True])
def test_against_a_vendor_a_differing_observation_fails_only_with_strict(
    monkeypatch: pytest.MonkeyPatch, strict: bool
) -> None:
    _observation_mutant(monkeypatch)
    with ThreadedServer(settings()) as server:
        opts = Options("obs2", small_budget(), only={"observations"}, strict=strict)
        run = run_over_url(server.url, "zapini", opts, admin=False)
    vendor = run.vendors[0]
    differ = [o for o in vendor.observations if o.as_assumed is False]
    assert differ, vendor.observations
    assert run.ok is not strict, [(r.id, r.outcome) for r in run.results]
    if not strict:
        assert any("--strict" in n for n in vendor.notes), vendor.notes


def test_a_retry_after_beyond_max_wait_is_incomplete_not_failed() -> None:
    app = create_app(settings())
    with inprocess_targets(app, ["zapini"]) as targets:
        http = targets[0].http
        http.send("POST", "/__admin/rate-limits", body={"enabled": True}, record=False)
        http.max_wait = 1  # zapini's window is 15 minutes: its Retry-After is far longer
        only = {"sync-sets-exact", "sync-idempotent", "roundtrip", "count-live"}
        run = run_suite(targets, Options("thr0ttle", small_budget(examples=40), only=only))
    outcomes = {r.check: (r.outcome, r.message) for r in run.results}
    assert not run.failed, outcomes
    throttled = [m for o, m in outcomes.values() if o == "incomplete"]
    assert throttled and all("throttled — incomplete" in m for m in throttled), outcomes


def test_schemathesis_reports_progress_and_its_requests() -> None:
    lines: list[str] = []
    app = create_app(settings())
    with inprocess_targets(app, ["zapini"]) as targets:
        out = run_schemathesis(
            targets[0], examples=1, mode="safe", app=app, progress=lines.append, every=0.0
        )
    assert out.requests > 0
    assert lines[0].startswith("  schemathesis zapini: starting"), lines
    assert any("phase" in line for line in lines) and "done:" in lines[-1], lines
    checked: Any = [r for r in out.results if r.check.startswith("schemathesis/")]
    assert checked and all(0 < r.requests <= out.requests for r in checked), checked
