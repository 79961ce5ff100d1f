"""Renders docs/contract-report.png: the HTML report of a contract run against a deliberately
broken zapini (two of the suite's mutants), screenshotted by headless Chromium.

    make report-screenshot        # installs Debian's chromium if missing
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser.conftest import CHROMIUM_FLAGS  # noqa: E402
from tests.contract.harness import run_over_url, settings, small_budget  # noqa: E402
from tests.contract.mutants import MUTANTS  # noqa: E402

from tagfake.suite.report import html_report  # noqa: E402
from tagfake.suite.runner import Options  # noqa: E402
from tagfake.testing.server import ThreadedServer  # noqa: E402

BROKEN = ("zapini-sync-appends", "zapini-delete-no-cascade")
FLAGS = [*CHROMIUM_FLAGS, "--hide-scrollbars"]


def main() -> int:
    out = ROOT / "docs" / "contract-report.png"
    page = ROOT / "reports" / "contract" / "screenshot.html"
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        print("chromium is not installed (make report-screenshot installs it)", file=sys.stderr)
        return 2
    with pytest.MonkeyPatch.context() as mp:
        for m in MUTANTS:
            if m.id in BROKEN:
                m.apply(mp)
        with ThreadedServer(settings()) as server:
            opts = Options(
                "d0cs",
                small_budget(examples=5),
                only={"sync-sets-exact", "sync-empty-clears", "delete-cascades", "roundtrip"},
                probes=True,
            )
            run = run_over_url(server.url, "zapini", opts, admin=True)
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(html_report(run), encoding="utf-8")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                browser,
                *FLAGS,
                f"--user-data-dir={profile}",
                f"--screenshot={out}",
                "--window-size=1280,2000",
                page.as_uri(),
            ],
            check=True,
            timeout=120,
            capture_output=True,
        )
    print(f"{out} from {page}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
