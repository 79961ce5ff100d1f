"""Running properties and state machines with hypothesis, programmatically, and turning the
outcome into a `CheckResult`: the failing example shrunk, its requests as curl lines."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Flaky
from hypothesis.reporting import with_reporter
from hypothesis.stateful import RuleBasedStateMachine, run_state_machine_as_test

from tagfake.suite.base import Property, VendorSuite
from tagfake.suite.model import (
    DEVIATION_HOOKS,
    BudgetExhausted,
    CheckResult,
    Deviation,
    Exchange,
    NotObservable,
)
from tagfake.suite.reproduce import script, story


def hypothesis_settings(max_examples: int, **extra: Any) -> settings:
    return settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        derandomize=True,
        report_multiple_bugs=False,
        print_blob=False,
        suppress_health_check=list(HealthCheck),
        phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink),
        **extra,
    )


@contextmanager
def shrink_limit(seconds: float) -> Iterator[None]:
    """Bound hypothesis' shrinking time (an engine constant, 300 s by default)."""
    from hypothesis.internal.conjecture import engine

    old = getattr(engine, "MAX_SHRINKING_SECONDS", None)
    if old is None:  # pragma: no cover - another hypothesis version
        yield
        return
    engine.MAX_SHRINKING_SECONDS = seconds  # type: ignore[assignment]
    try:
        yield
    finally:
        engine.MAX_SHRINKING_SECONDS = old


def _find(exc: BaseException, kind: type[BaseException]) -> BaseException | None:
    """The first exception of `kind` in `exc`, its groups, causes and contexts."""
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack:
        cur = stack.pop(0)
        if id(cur) in seen:
            continue
        seen.add(id(cur))
        if isinstance(cur, kind):
            return cur
        if isinstance(cur, BaseExceptionGroup):
            stack.extend(cur.exceptions)
        for nxt in (cur.__cause__, cur.__context__):
            if nxt is not None:
                stack.append(nxt)
    return None


def _noise(text: str) -> bool:
    """Hypothesis' own output that means nothing to a QA engineer: tracebacks, Python reprs."""
    return (
        "Traceback (most recent call last)" in text
        or '\n  File "' in text
        or text.lstrip().startswith(
            ("Falsifying", "Failing test case", "state = ", "state.", "Trying example")
        )
        or "example=" in text
        or "PLEASE REPORT" in text
    )


def _execute(
    suite: VendorSuite,
    check: str,
    title: str,
    fn: Callable[[], None],
    runs: Callable[[], int],
    judges: str,
) -> CheckResult:
    http = suite.t.http
    started, sent = time.perf_counter(), http.sent
    reports: list[str] = []
    result = CheckResult(suite.vendor, check, title, "passed", judges=judges)
    seen: list[tuple[Deviation, list[Exchange]]] = []

    def note(value: object) -> None:
        text = str(value)
        if "working to shrink" in text:  # our own shrink_limit, not a hypothesis problem
            text = f"(shrinking stopped after {suite.ctx.budget.shrink_seconds:.0f}s)"
        elif _noise(text):
            return
        reports.append(text)

    def record(deviation: Deviation) -> None:
        seen.append((deviation, list(http.log)))

    try:
        DEVIATION_HOOKS.append(record)
        with with_reporter(note), shrink_limit(suite.ctx.budget.shrink_seconds):
            fn()
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # every outcome is reported, none escapes
        _classify(result, exc)
        log = http.log
        deviation = _find(exc, Deviation)
        if seen and (result.outcome != "failed" or _find(exc, Flaky) is not None):
            # Shrinking ran out of budget, or the last replay passed (flaky): report the last
            # attempt that failed, with its own requests.
            last, log = seen[-1]
            why = result.message if result.outcome != "failed" else ""
            result.outcome = "failed"
            result.message = last.line + (f" ({why})" if why else "")
            if _find(exc, Flaky) is not None:
                result.message += " (did not fail again on replay: flaky)"
        elif deviation is not None:
            log = next((lg for d, lg in reversed(seen) if d is deviation), log)
        result.example = story(log)
        notes = [n for n in getattr(exc, "__notes__", []) if n.strip() and not _noise(n)]
        result.details = [*notes, *reports][:40]
        result.curl = script(log, suite.setup_log, suite.t.secrets, suite.ctx.prefix)
        result.details += [f"→ {ex.answer(400)}" for ex in log[-3:]]
    finally:
        DEVIATION_HOOKS.remove(record)
    result.examples_run = runs()
    result.requests = http.sent - sent
    result.seconds = time.perf_counter() - started
    return result


def _classify(result: CheckResult, exc: BaseException) -> None:
    budget = _find(exc, BudgetExhausted)
    deviation = _find(exc, Deviation)
    unobservable = _find(exc, NotObservable)
    if budget is not None:
        result.outcome, result.message = "incomplete", str(budget)
    elif isinstance(deviation, Deviation):
        result.outcome = "failed"
        result.message = deviation.line
    elif unobservable is not None:
        result.outcome, result.message = "skipped", str(unobservable)
    else:
        result.outcome = "error"
        result.message = f"{type(exc).__name__}: {exc}"[:500]


def run_property(suite: VendorSuite, prop: Property) -> CheckResult:
    missing = suite.missing(prop.needs)
    if missing:
        return CheckResult(
            suite.vendor, prop.check, prop.title, "skipped", missing, judges=suite.judges(prop)
        )
    http = suite.t.http
    box = {"runs": 0}

    def body(example: Any) -> None:
        http.start_example()
        box["runs"] += 1
        prop.run(example)

    if prop.strategy is None:

        def fn() -> None:
            body(None)
    else:
        n = prop.examples if prop.examples is not None else suite.ctx.budget.examples
        fn = hypothesis_settings(n)(given(prop.strategy)(body))

    return _execute(suite, prop.check, prop.title, fn, lambda: box["runs"], suite.judges(prop))


def run_machine(suite: VendorSuite) -> CheckResult:
    budget = suite.ctx.budget
    machine = suite.machine()
    title = f"creates, syncs, deletes and reads interleaved agree with a model of {suite.vendor}"
    runs = {"n": 0}
    original_init = machine.__init__

    def counting_init(self: RuleBasedStateMachine) -> None:
        runs["n"] += 1
        suite.t.http.start_example()
        original_init(self)

    counted = type(machine.__name__, (machine,), {"__init__": counting_init})

    def fn() -> None:
        run_state_machine_as_test(
            counted,
            settings=hypothesis_settings(
                budget.machine_examples, stateful_step_count=budget.machine_steps
            ),
        )

    return _execute(suite, "state-machine", title, fn, lambda: runs["n"], suite.machine_judges)
