"""The contract suite: sync semantics as properties, a state machine per vendor, schemathesis
over the specs and observations of the specs' assumptions — one suite, run in-process against
the fake (`inprocess_targets`) or against any base URL (`remote.url_targets`, the CLI).

    with inprocess_targets(app) as targets:
        run = run_suite(targets, Options(run_id="local"))

The names below load on first use: `tagfake serve` registers the `contract` command from
`tagfake.suite.cli` without needing hypothesis or schemathesis (the `contract` extra).
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "Budget": "tagfake.suite.base",
    "inprocess_targets": "tagfake.suite.inprocess",
    "CheckResult": "tagfake.suite.model",
    "Observation": "tagfake.suite.model",
    "SuiteRun": "tagfake.suite.model",
    "VendorRun": "tagfake.suite.model",
    "Options": "tagfake.suite.runner",
    "run_suite": "tagfake.suite.runner",
}

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


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
