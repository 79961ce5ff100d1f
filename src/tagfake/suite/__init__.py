"""The contract suite: sync semantics as properties, a state machine per vendor, schemathesis
over the specs and observations of the specs' assumptions — one suite, run in-process against
the fake (`inprocess_targets`) or against any base URL (`remote.url_targets`, the CLI).

    with inprocess_targets(app) as targets:
        run = run_suite(targets, Options(run_id="local"))
"""

from __future__ import annotations

from tagfake.suite.base import Budget
from tagfake.suite.inprocess import inprocess_targets
from tagfake.suite.model import CheckResult, Observation, SuiteRun, VendorRun
from tagfake.suite.runner import Options, run_suite

__all__ = [
    "Budget",
    "CheckResult",
    "Observation",
    "Options",
    "SuiteRun",
    "VendorRun",
    "inprocess_targets",
    "run_suite",
]
