"""Real clients through the proxy, unchanged: the example app's own test suite, and the contract
suite as against a vendor's sandbox. The upstream is a tagfake, so what it answers keeps the
spec: the proxy must report no violation of an answer but the faults a test injects, and forward
every request it can buffer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tagfake.cli import main

from .helpers import NEXOR_KEY, ZAPINI_TOKEN, Upstream, running_proxy

ROOT = Path(__file__).resolve().parents[2]


def test_example_app_suite_passes_through_the_proxy(upstream: Upstream, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
        "TAGFAKE_PROXY_REPORTS": str(tmp_path),
    }
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "examples/tagsync",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "tagfake.testing.plugin",
            "-p",
            "tests.proxy.through_proxy",
            "--tagfake-url",
            upstream.server.url,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert " passed" in run.stdout and "skipped" not in run.stdout
    for vendor in ("nexor", "zapini"):
        report = json.loads((tmp_path / vendor / "report.json").read_text())
        counts = report["counts"]
        assert counts["requests"] > 3
        # Every request reached the upstream, except those the upstream cut off (a dropped
        # connection is the app's 502, a retry follows).
        assert counts["forwarded"] == counts["requests"] - counts["upstream_errors"]
        # The only answers breaking the spec: the 503s a test injected on the upstream.
        found = {text for v in report["violations"] for text in v["violations"]}
        assert found <= {
            "updateConversationTags 503: status 503 is not documented for this operation"
        }
    assert (
        json.loads((tmp_path / "zapini" / "report.json").read_text())["counts"]["with_violations"]
        == 3
    )


CONTRACT_TARGETS = {
    "zapini": (
        "/api/v1",
        ZAPINI_TOKEN,
        ["--conversation-id", "550e8400-e29b-41d4-a716-446655440046"],
    ),
    "nexor": ("/api/public", NEXOR_KEY, ["--lead-email", "john.smith@example.com"]),
}


@pytest.mark.parametrize("vendor", list(CONTRACT_TARGETS))
def test_contract_suite_passes_through_the_proxy(
    upstream: Upstream, tmp_path: Path, vendor: str
) -> None:
    upstream.admin("POST", "/reset")
    base, credential, entities = CONTRACT_TARGETS[vendor]
    with running_proxy(vendor, upstream.url(vendor), tmp_path) as proxy:
        code = main(
            [
                "contract",
                "--vendor",
                vendor,
                "--base-url",
                f"{proxy.url}{base}",
                "--credential",
                credential,
                *entities,
                "--examples",
                "3",
                "--machine-examples",
                "2",
                "--machine-steps",
                "6",
                "--schemathesis",
                "off",
                "--max-requests",
                "400",
                "--report-dir",
                str(tmp_path / "contract"),
                "--quiet",
            ]
        )
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert code == 0
    assert report["counts"]["requests"] > 20
    counts = report["counts"]
    # The suite's oversized body is the only request the proxy answers itself (413).
    assert counts["forwarded"] == counts["requests"] - counts["refused"]
    assert counts["refused"] <= 1
    answer_violations = [
        v
        for v in report["violations"]
        if not all(t.startswith("request ") for t in v["violations"])
    ]
    assert answer_violations == []
