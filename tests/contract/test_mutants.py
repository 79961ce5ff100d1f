"""Proof of strength: each deliberately broken fake fails the suite, naming the broken property,
on each of the three targets — in-process, over a URL to tagfake, and over the vendor's own base
URL with no admin API (as against a sandbox), there for every mutant whose effect the vendor's
API can show. In-process the whole vendor suite runs (every other check it fails is listed in
the summary); over a URL only the check that must catch it, to keep the run short."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from tagfake.app import create_app
from tagfake.suite.inprocess import inprocess_targets
from tagfake.suite.model import SuiteRun
from tagfake.suite.runner import Options, run_suite
from tagfake.testing.server import ThreadedServer

from .harness import TARGETS, run_over_url, settings, small_budget
from .mutants import KINDS, MUTANTS, Mutant

#: mutant id → target → the checks that failed (filled as the tests run; printed in the summary).
CAUGHT: dict[str, dict[str, list[str]]] = {}


def cases() -> Iterator[object]:
    for m in MUTANTS:
        for target in TARGETS:
            if target == "url-no-admin" and m.hidden:
                continue  # listed in the summary with its reason; see test_hidden_mutants
            yield pytest.param(m, target, id=f"{m.id}-{target}")


def test_there_are_enough_mutants() -> None:
    assert len({m.id for m in MUTANTS}) == len(MUTANTS)
    per_vendor = Counter(m.vendor for m in MUTANTS)
    assert set(per_vendor) == {"healvi", "commbox", "zapini", "nexor"}, per_vendor
    per_kind = Counter(m.kind for m in MUTANTS)
    assert per_kind["original"] == 22, per_kind
    for kind in KINDS:
        assert per_kind[kind] >= 3, (kind, per_kind)


def test_hidden_mutants_are_few_and_say_why() -> None:
    """A mutant not run against the vendor's bare URL is one its API truly cannot show."""
    hidden = [m for m in MUTANTS if m.hidden]
    assert len(hidden) <= 3, [m.id for m in hidden]
    for m in hidden:
        assert m.vendor in ("healvi", "commbox") or "clock" in (m.hidden or ""), m


def _options(mutant: Mutant, target: str, app: object = None) -> Options:
    budget = small_budget(
        schemathesis="full" if "schemathesis" in mutant.extra else "off",
        schemathesis_examples=3,
        machine_examples=25,
    )
    observations = "observations" in mutant.extra
    return Options(
        f"m{abs(hash((mutant.id, target))) % 10_000:04d}",
        budget,
        # In-process: every property (a smoke of the whole vendor suite); over a URL: only the
        # check that must catch the mutant.
        only=None if target == "in-process" else {mutant.caught_by.split(".", 1)[1]},
        probes=observations,
        machine="state-machine" in mutant.extra,
        app=app,
        # Against a URL that is not tagfake, a differing observation fails only when asked.
        strict=observations and target == "url-no-admin",
    )


def _run(mutant: Mutant, target: str) -> SuiteRun:
    if target == "in-process":
        app = create_app(settings())
        with inprocess_targets(app, [mutant.vendor]) as targets:
            return run_suite(targets, _options(mutant, target, app))
    with ThreadedServer(settings()) as server:
        return run_over_url(
            server.url, mutant.vendor, _options(mutant, target), admin=target == "url"
        )


@pytest.mark.parametrize(("mutant", "target"), list(cases()))
def test_the_suite_catches(mutant: Mutant, target: str, monkeypatch: pytest.MonkeyPatch) -> None:
    mutant.apply(monkeypatch)  # before the app is built: handlers are bound when it is
    run = _run(mutant, target)
    failed = [r.id for r in run.failed]
    CAUGHT.setdefault(mutant.id, {})[target] = failed
    assert mutant.caught_by in failed, (
        f"{mutant.id} ({mutant.broken}) should fail {mutant.caught_by} on {target}; "
        f"failed: {failed}; {[(r.id, r.outcome, r.message) for r in run.results]}"
    )
    caught = next(r for r in run.failed if r.id == mutant.caught_by)
    # The report names what was documented and what came back, and how to reproduce it.
    assert caught.message
    assert caught.curl, caught
