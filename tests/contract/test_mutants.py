"""Proof of strength: each deliberately broken fake fails the suite, naming the broken property,
on each of the three targets — in-process, over a URL to tagfake, and over the vendor's own base
URL with no admin API (as against a sandbox), there for every mutant whose effect the vendor's
API can show. Each run is the check that must catch the mutant (the whole suite runs unbroken in
test_suite.py), so a mutant costs about a second per target."""

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


def targets_of(mutant: Mutant) -> list[str]:
    """Every target, but the vendor's bare URL for a mutant whose effect its API cannot show."""
    return [t for t in TARGETS if not (t == "url-no-admin" and mutant.hidden)]


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
        only={mutant.caught_by.split(".", 1)[1], *(mutant.extra & {"schemathesis"})},
        probes=observations,
        machine="state-machine" in mutant.extra,
        app=app,
        # Against a URL that is not tagfake, a differing observation fails only when asked.
        strict=observations and target == "url-no-admin",
    )


def _runs(mutant: Mutant) -> Iterator[tuple[str, SuiteRun]]:
    app = create_app(settings())
    with inprocess_targets(app, [mutant.vendor]) as targets:
        yield "in-process", run_suite(targets, _options(mutant, "in-process", app))
    # One server for both URL targets: the mutant is applied before its app is built.
    with ThreadedServer(settings()) as server:
        for target in targets_of(mutant)[1:]:
            opts = _options(mutant, target)
            yield target, run_over_url(server.url, mutant.vendor, opts, admin=target == "url")


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.id for m in MUTANTS])
def test_the_suite_catches(mutant: Mutant, monkeypatch: pytest.MonkeyPatch) -> None:
    """On each target the check that must catch the mutant fails, with a one-line message
    (what was documented, what came back) and a reproduction."""
    mutant.apply(monkeypatch)  # before the apps are built: handlers are bound when they are
    missed: list[str] = []
    for target, run in _runs(mutant):
        failed = [r.id for r in run.failed]
        CAUGHT.setdefault(mutant.id, {})[target] = failed
        caught = next((r for r in run.failed if r.id == mutant.caught_by), None)
        if caught is None or not caught.message or not caught.curl:
            missed.append(
                f"{target}: failed {failed}; {[(r.id, r.outcome, r.message) for r in run.results]}"
            )
    assert not missed, f"{mutant.id} ({mutant.broken}) should fail {mutant.caught_by}: {missed}"
