"""Prints which checks caught each mutant at the end of the run (the proof-of-strength table)."""

from __future__ import annotations

import pytest


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    from .harness import KNOWN_DEVIATIONS
    from .mutants import MUTANTS
    from .test_mutants import CAUGHT

    if not CAUGHT:
        return
    terminalreporter.section("contract suite: mutants and the checks that caught them")
    for m in MUTANTS:
        if m.id in CAUGHT:
            others = [c for c in CAUGHT[m.id] if c != m.caught_by and c not in KNOWN_DEVIATIONS]
            line = f"{m.id:36} {m.caught_by:44}"
            if others:
                line += f" (also {', '.join(others)})"
            terminalreporter.write_line(line)
