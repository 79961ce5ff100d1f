"""Proof of strength: each deliberately broken fake fails the suite, naming the broken property."""

from __future__ import annotations

from collections import Counter

import pytest

from tagfake.app import create_app
from tagfake.suite.inprocess import inprocess_targets
from tagfake.suite.runner import Options, run_suite

from .harness import settings, small_budget
from .mutants import MUTANTS, Mutant

#: mutant id → the checks that failed (filled as the tests run; printed in the summary).
CAUGHT: dict[str, list[str]] = {}


def test_there_are_enough_mutants() -> None:
    assert len(MUTANTS) >= 12
    assert len({m.id for m in MUTANTS}) == len(MUTANTS)
    per_vendor = Counter(m.vendor for m in MUTANTS)
    assert set(per_vendor) == {"healvi", "commbox", "zapini", "nexor"}, per_vendor


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.id for m in MUTANTS])
def test_the_suite_catches(mutant: Mutant, monkeypatch: pytest.MonkeyPatch) -> None:
    mutant.apply(monkeypatch)
    app = create_app(settings())
    budget = small_budget(
        schemathesis="full" if "schemathesis" in mutant.extra else "off",
        schemathesis_examples=3,
        machine_examples=25,
    )
    opts = Options(
        f"m{abs(hash(mutant.id)) % 10_000:04d}",
        budget,
        probes=False,
        machine="state-machine" in mutant.extra,
        app=app,
    )
    with inprocess_targets(app, [mutant.vendor]) as targets:
        run = run_suite(targets, opts)
    failed = [r.id for r in run.failed]
    CAUGHT[mutant.id] = failed
    assert mutant.caught_by in failed, (
        f"{mutant.id} ({mutant.broken}) should fail {mutant.caught_by}; failed: {failed}"
    )
    caught = next(r for r in run.failed if r.id == mutant.caught_by)
    # The report names what was documented and what came back, and how to reproduce it.
    assert caught.message
    assert caught.curl, caught
