"""Prints which checks caught each mutant on each target at the end of the run (the
proof-of-strength table), and how many mutants of each class each target caught."""

from __future__ import annotations

from collections import Counter

import pytest


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    from .harness import KNOWN_DEVIATIONS, TARGETS
    from .mutants import MUTANTS
    from .test_mutants import CAUGHT

    if not CAUGHT:
        return
    terminalreporter.section("contract suite: mutants and the checks that caught them")
    total: Counter[str] = Counter()
    caught: Counter[tuple[str, str]] = Counter()
    for m in MUTANTS:
        total[m.kind] += 1
        runs = CAUGHT.get(m.id, {})
        for target in TARGETS:
            if m.caught_by in runs.get(target, []):
                caught[(m.kind, target)] += 1
        if not runs:
            continue
        marks = " ".join(
            ("✓" if m.caught_by in runs[t] else "✗")
            if t in runs
            else ("-" if m.hidden and t == "url-no-admin" else "?")
            for t in TARGETS
        )
        others = sorted(
            {c for fs in runs.values() for c in fs if c != m.caught_by} - set(KNOWN_DEVIATIONS)
        )
        line = f"{m.id:36} {m.caught_by:40} {marks}"
        if others:
            line += f" (also {', '.join(others)})"
        terminalreporter.write_line(line)
    terminalreporter.write_line(f"columns: {', '.join(TARGETS)} ('-': its effect is hidden there)")
    for kind, n in total.items():
        per = ", ".join(f"{t} {caught[(kind, t)]}/{n}" for t in TARGETS)
        terminalreporter.write_line(f"  {kind:20} {n:2} mutant(s): caught {per}")
