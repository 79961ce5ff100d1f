"""`tagfake proxy` as a process: banner, forwarding, report written at SIGTERM, exit 0."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tagfake.cli import main

from .helpers import ZAPINI_TOKEN, Upstream


def test_proxy_process_forwards_and_reports_at_stop(upstream: Upstream, tmp_path: Path) -> None:
    env = {**os.environ, "TAGFAKE_UPSTREAM_ZAPINI": upstream.url("zapini")}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tagfake",
            "proxy",
            "--vendor",
            "zapini",
            "--port",
            "0",
            "--report-dir",
            str(tmp_path),
            "--record",
            str(tmp_path / "rec"),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        found = re.search(r"at (http://127\.0\.0\.1:\d+)/api/v1", first)
        assert found, first
        r = httpx.get(
            f"{found[1]}/api/v1/tags",
            headers={"Authorization": f"Bearer {ZAPINI_TOKEN}"},
            timeout=10,
        )
        assert r.status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert "1 requests, 1 forwarded" in out
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["counts"]["forwarded"] == 1
    [har] = (tmp_path / "rec").glob("zapini-*.har")
    assert len(json.loads(har.read_text())["log"]["entries"]) == 1
    assert ZAPINI_TOKEN not in har.read_text() + out + err


def test_proxy_without_an_upstream_says_how_to_name_one(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TAGFAKE_UPSTREAM_HEALVI", raising=False)
    assert main(["proxy", "--vendor", "healvi"]) == 2
    assert "TAGFAKE_UPSTREAM_HEALVI" in capsys.readouterr().err
