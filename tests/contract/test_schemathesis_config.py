"""`st run --checks all` with the shipped contract/schemathesis.toml against a served tagfake,
for every vendor, at a small budget: no failure but CommBox's documented 501 for a method a path
does not support, no error, every operation tested.

The four runs go to one server at once (each vendor has its own prefix and state), as a user runs
them: `schemathesis --config-file contract/schemathesis.toml run specs/<vendor>.openapi.yaml
--url <server>/<prefix> --checks all`."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tagfake.settings import Settings
from tagfake.testing import ThreadedServer
from tests.conftest import PREFIXES

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "contract" / "schemathesis.toml"
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
VENDORS = ("healvi", "commbox", "zapini", "nexor")
#: What a run may report: CommBox answers 501 (documented), not 405, to an undeclared method.
DOCUMENTED = {"commbox": {"ST204"}}
BUDGET = ["--max-examples", "3", "--seed", "1", "--request-timeout", "20"]


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, dict[str, Any]]]:
    out = tmp_path_factory.mktemp("schemathesis")
    with ThreadedServer(Settings(validation="enforce", seed=1)) as server:
        runs = {
            vendor: subprocess.Popen(
                [
                    str(SCHEMATHESIS),
                    "--config-file",
                    str(CONFIG),
                    "run",
                    str(ROOT / "specs" / f"{vendor}.openapi.yaml"),
                    "--url",
                    f"{server.url}{PREFIXES[vendor]}",
                    "--checks",
                    "all",
                    *BUDGET,
                    "--report",
                    "json",
                    "--report-json-path",
                    str(out / f"{vendor}.json"),
                ],
                cwd=out,  # no schemathesis.toml here: only the shipped one is read
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for vendor in VENDORS
        }
        logs = {vendor: run.communicate(timeout=240)[0] for vendor, run in runs.items()}
    yield {
        vendor: {
            "log": logs[vendor],
            **json.loads((out / f"{vendor}.json").read_text(encoding="utf-8")),
        }
        for vendor in VENDORS
    }


@pytest.mark.parametrize("vendor", VENDORS)
def test_st_run_with_the_shipped_config_finds_only_documented_behaviour(
    reports: dict[str, dict[str, Any]], vendor: str
) -> None:
    report = reports[vendor]
    log = report["log"][-4000:]
    assert report["complete"], log
    assert report["errors"] == [], log
    assert report["operations"]["tested"] == report["operations"]["total"] > 0, log
    codes = {failure["code"] for failure in report["failures"]}
    assert codes <= DOCUMENTED.get(vendor, set()), log
    assert report["test_cases"]["generated"] > 0


def test_the_documented_exception_is_the_501_for_undeclared_methods(
    reports: dict[str, dict[str, Any]],
) -> None:
    failures = reports["commbox"]["failures"]
    assert all(f["type"] == "UnsupportedMethodResponse" for f in failures)
    assert "returned 501, expected 405" in reports["commbox"]["log"] or not failures


def test_the_runs_used_the_shipped_config(reports: dict[str, dict[str, Any]]) -> None:
    for vendor in VENDORS:
        assert f"Configuration:    {CONFIG}" in reports[vendor]["log"]
