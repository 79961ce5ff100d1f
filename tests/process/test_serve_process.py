"""`tagfake serve` as a user starts it: banner with URLs and credentials, one answer per vendor,
a clean exit on SIGTERM; a bad fixture refused at start with file and line."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.process

REQUESTS = {
    "healvi": (
        "/healvi/third-party/v1/profiles/101",
        {"Authorization": "Bearer healvi-acme-token"},
    ),
    "commbox": ("/commbox/tags", {"Authorization": "Bearer commbox-acme-token"}),
    "zapini": (
        "/zapini/api/v1/tags",
        {"Authorization": "Bearer sk_acme_4f9d2c7b1e8a6035d2b9c4e7f1a8d3b6"},
    ),
    "nexor": ("/nexor/api/public/tags", {"X-API-Key": "nxr_live_your_api_key"}),
}


def start(*args: str) -> tuple[subprocess.Popen[str], str, list[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tagfake.cli", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    url = ""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip())
        m = re.search(r"tagfake serving .* at (http://127\.0\.0\.1:\d+)", line)
        if m:
            url = m.group(1)
        if line.startswith("validation:"):
            return proc, url, lines
    proc.kill()
    raise AssertionError("no banner:\n" + "\n".join(lines))


def get(url: str, headers: dict[str, str]) -> tuple[int, object]:
    request = urllib.request.Request(url, headers=headers)
    deadline = time.monotonic() + 10
    while True:
        try:
            with urllib.request.urlopen(request, timeout=5) as r:
                return r.status, json.loads(r.read())
        except (ConnectionError, urllib.error.URLError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_serve_answers_every_vendor_and_exits_cleanly_on_sigterm() -> None:
    proc, url, banner = start()
    try:
        text = "\n".join(banner)
        for vendor, (path, headers) in REQUESTS.items():
            status, _ = get(url + path, headers)
            assert status == 200, vendor
            assert (
                f"{url}{path.split('/')[1] and '/' + path.split('/')[1]}" in text or vendor in text
            )
        # the banner names credentials a new user can copy into a curl line
        for credential in ("healvi-acme-token", "nxr_live_your_api_key"):
            assert credential in text
    finally:
        proc.send_signal(signal.SIGTERM)
        started = time.monotonic()
        code = proc.wait(timeout=10)
        assert proc.stdout is not None
        proc.stdout.close()
    assert code == 0
    assert time.monotonic() - started < 2.5


def test_serve_one_vendor_at_its_own_base_path() -> None:
    proc, url, _ = start("--vendor", "zapini")
    try:
        status, body = get(url + "/api/v1/tags", REQUESTS["zapini"][1])
        assert status == 200
        assert isinstance(body, dict)
        assert body["success"] is True
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
        assert proc.stdout is not None
        proc.stdout.close()


def test_a_bad_fixture_is_refused_at_start_with_file_and_line(tmp_path: Path) -> None:
    folder = tmp_path / "zapini"
    folder.mkdir()
    (folder / "default.yaml").write_text("vendor: zapini\ntenants:\n  acme:\n    credentials: 5\n")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "tagfake.cli",
            "serve",
            "--port",
            "0",
            "--vendor",
            "zapini",
            "--fixtures",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert proc.returncode == 2
    assert f"{folder / 'default.yaml'}:4:" in proc.stderr
    assert "credentials" in proc.stderr
