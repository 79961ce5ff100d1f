"""One run of the suite: per vendor, set up, properties, the state machine, the assumption
probes, clean-up and restore, then schemathesis — each outcome a `CheckResult`."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tagfake.suite.base import Budget, RunContext, VendorSuite
from tagfake.suite.engine import run_machine, run_property
from tagfake.suite.fuzz import run_schemathesis
from tagfake.suite.model import (
    BudgetExhausted,
    CheckResult,
    Deviation,
    NotObservable,
    Observation,
    Outcome,
    SuiteRun,
    VendorRun,
)
from tagfake.suite.reproduce import script, story
from tagfake.suite.target import VendorTarget
from tagfake.suite.vendors import suite_class

#: Hook for tests: wraps each vendor's suite object before it runs (never set by the CLI).
SuiteHook = Callable[[VendorSuite], None]


@dataclass
class Options:
    run_id: str
    budget: Budget = field(default_factory=Budget)
    #: Run only these checks (ids like "sync-sets-exact", "state-machine", "schemathesis");
    #: None: all of them.
    only: set[str] | None = None
    probes: bool = True
    #: Run the vendor's state machine.
    machine: bool = True
    progress: Callable[[str], None] | None = None
    seed: int = 1
    #: The ASGI app, when the target is in-process (schemathesis calls it directly).
    app: Any = None
    #: An observation that differs from the spec's assumption fails the run. Always so against
    #: tagfake (its behaviour is what the spec assumes); against a sandbox only when asked.
    strict: bool = False
    #: Progress lines of the schemathesis phase (the CLI's console).
    fuzz_progress: Callable[[str], None] | None = None


def _wanted(opts: Options, check: str) -> bool:
    return opts.only is None or check in opts.only


def run_suite(targets: list[VendorTarget], opts: Options) -> SuiteRun:
    started = time.perf_counter()
    run = SuiteRun(run_id=opts.run_id, target=", ".join(t.base_url for t in targets))
    for target in targets:
        run.vendors.append(run_vendor(target, opts))
    run.seconds = time.perf_counter() - started
    return run


def _say(opts: Options, line: str) -> None:
    if opts.progress is not None:
        opts.progress(line)


def _report(opts: Options, result: CheckResult) -> None:
    mark = {
        "passed": "PASS",
        "failed": "FAIL",
        "skipped": "skip",
        "error": "ERR ",
        "incomplete": "part",
    }
    line = f"  {mark[result.outcome]} {result.vendor:8} {result.check:28} "
    line += f"{result.examples_run:4} ex {result.requests:5} req {result.seconds:6.2f}s"
    if result.outcome != "passed" and result.message:
        line += f"\n       {result.message}"
    _say(opts, line)


def run_vendor(target: VendorTarget, opts: Options) -> VendorRun:
    ctx = RunContext(opts.run_id, opts.budget, opts.progress)
    suite = suite_class(target.vendor)(target, ctx)
    vr = VendorRun(target.vendor, target.base_url)
    http = target.http
    sent = http.sent
    _say(opts, f"{target.vendor}: {target.base_url}")

    def add(result: CheckResult) -> None:
        vr.results.append(result)
        _report(opts, result)

    try:
        set_up = _setup(suite, add)
        if set_up:
            for prop in suite.properties():
                if _wanted(opts, prop.check):
                    add(run_property(suite, prop))
            if opts.machine and _wanted(opts, "state-machine"):
                add(run_machine(suite))
            if opts.probes and (opts.only is None or "observations" in opts.only):
                started, before = time.perf_counter(), http.sent
                vr.observations = observe(suite)
                verdict = judge_observations(suite, vr.observations, opts.strict)
                if verdict is not None:
                    verdict.requests = http.sent - before
                    verdict.seconds = time.perf_counter() - started
                    add(verdict)
    finally:
        with http.unbudgeted():
            try:
                suite.cleanup()
            except Exception as exc:
                suite.notes.append(f"clean-up failed: {type(exc).__name__}: {exc}")
    vr.requests = http.sent - sent
    mode = opts.budget.schemathesis
    if mode != "off" and _wanted(opts, "schemathesis"):
        left = None if http.max_requests is None else max(0, http.max_requests - http.sent)
        if left == 0:
            add(
                CheckResult(
                    target.vendor,
                    "schemathesis",
                    "schemathesis",
                    "incomplete",
                    "--max-requests used up before schemathesis",
                )
            )
        else:
            fuzz = run_schemathesis(
                target,
                examples=opts.budget.schemathesis_examples,
                mode=mode,
                seed=opts.seed,
                app=opts.app,
                max_requests=left,
                progress=opts.fuzz_progress,
            )
            for result in fuzz.results:
                add(result)
            vr.notes += fuzz.notes
            if http.max_requests is not None:
                http.sent += fuzz.requests
            vr.requests += fuzz.requests
    vr.notes = suite.notes + vr.notes
    return vr


def _setup(suite: VendorSuite, add: Callable[[CheckResult], None]) -> bool:
    started, sent = time.perf_counter(), suite.t.http.sent
    suite.t.http.start_example()
    try:
        suite.setup()
        suite.setup_log = list(suite.t.http.log)
    except (Deviation, BudgetExhausted) as exc:
        outcome: Outcome = "incomplete" if isinstance(exc, BudgetExhausted) else "failed"
        add(
            CheckResult(
                suite.vendor,
                "setup",
                "set-up: read the entities, create the pool",
                outcome,
                getattr(exc, "line", str(exc)),
                example=story(suite.t.http.log),
                curl=script(suite.t.http.log, None, suite.t.secrets, suite.ctx.prefix),
                requests=suite.t.http.sent - sent,
                seconds=time.perf_counter() - started,
            )
        )
        return False
    except Exception as exc:
        add(CheckResult(suite.vendor, "setup", "set-up", "error", f"{type(exc).__name__}: {exc}"))
        return False
    return True


def observe(suite: VendorSuite) -> list[Observation]:
    """Every assumption in the spec, with what the target did where a probe exists."""
    probes = suite.probes()
    http = suite.t.http
    found: list[Observation] = []
    skipped = 0
    why = f"--max-requests {http.max_requests} used up"
    for pointer, text in suite.t.contract.assumptions():
        probe = probes.get(pointer)
        if probe is not None and http.exhausted:
            skipped += 1
            probe = None
        if probe is None:
            found.append(Observation(suite.vendor, pointer, text, None, None))
            continue
        http.start_example()
        observed: str | None
        note = ""
        try:
            observed, as_assumed = probe()
        except BudgetExhausted as exc:
            skipped += 1
            observed, as_assumed = None, None
            why = str(exc)
        except NotObservable as exc:
            observed, as_assumed, note = None, None, str(exc)
        except Exception as exc:  # a probe that breaks is itself an observation
            observed, as_assumed = f"probe failed: {type(exc).__name__}: {exc}"[:300], None
        curl = script(http.log, suite.setup_log, suite.t.secrets, suite.ctx.prefix)
        found.append(Observation(suite.vendor, pointer, text, observed, as_assumed, note, curl))
    if skipped:
        suite.notes.append(f"{skipped} assumption probe(s) not run: {why}")
    return found


def judge_observations(
    suite: VendorSuite, observations: list[Observation], strict: bool
) -> CheckResult | None:
    """Against tagfake (or with `--strict`) a probe whose result differs from the spec's
    assumption is a failure; against a sandbox it stays an observation in the report."""
    differ = [o for o in observations if o.as_assumed is False]
    probed = [o for o in observations if o.observed is not None]
    title = "every probed `x-tagfake-assumption` is as the spec assumes"
    enforced = strict or suite.t.tagfake
    if differ and not enforced:
        suite.notes.append(
            f"{len(differ)} observation(s) differ from the spec's assumptions (see below); "
            "a vendor may decide what its docs leave open: `--strict` makes them fail the run"
        )
        return None
    result = CheckResult(
        suite.vendor,
        "observations",
        title,
        "failed" if differ else "passed",
        examples_run=len(probed),
        judges="any target (fails against tagfake, or with --strict)",
    )
    if differ:
        first = differ[0]
        result.message = (
            f"{len(differ)} assumption(s) differ; first: documented: {first.assumption}; "
            f"got: {first.observed} ({first.pointer})"
        )
        result.curl = first.curl
        result.details = [f"{o.pointer}: {o.observed}" for o in differ]
    return result
