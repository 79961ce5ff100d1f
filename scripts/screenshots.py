"""`make screenshots`: the dashboard's pages as PNGs in docs/screenshots/, taken with the same
headless chromium the browser tests use, against a tagfake on a free port of 127.0.0.1 that this
script starts, sends a little traffic (a sync, a lookup, a 404, a 422, a fault) and stops."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import httpx
from playwright.sync_api import Page, sync_playwright

from tagfake.settings import Settings
from tagfake.testing.server import ThreadedServer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.browser.conftest import CHROMIUM_FLAGS, chromium_path  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
HEALVI = "/healvi/third-party/v1"
HEALVI_ACME = {"Authorization": "Bearer healvi-acme-token"}
ZAPINI = "/zapini/api/v1"
ZAPINI_ACME = {"Authorization": "Bearer sk_acme_4f9d2c7b1e8a6035d2b9c4e7f1a8d3b6"}
NEXOR_ACME = {"X-API-Key": "nxr_live_your_api_key"}


def traffic(http: httpx.Client) -> None:
    http.post(
        "/__admin/faults",
        json={
            "id": "slow-tags",
            "match": {"vendor": "zapini"},
            "effect": {"kind": "delay", "delay_ms": 40},
        },
    )
    http.post(
        "/__admin/faults",
        json={
            "id": "flaky-nexor",
            "match": {"vendor": "nexor"},
            "effect": {"kind": "status", "status": 503},
            "times": 2,
        },
    )
    for i in range(40):
        http.post(
            f"{HEALVI}/profiles/{101 + i % 3}/tags",
            json={"tags": [{"id": 1}, {"title": f"Campaign {i % 4}"}]},
            headers=HEALVI_ACME,
        )
        http.get(f"{ZAPINI}/tags", headers=ZAPINI_ACME)
        if i % 5 == 0:
            http.get(f"{HEALVI}/profiles/999", headers=HEALVI_ACME)
            http.post(f"{HEALVI}/profiles/101/tags", json={"tags": "no"}, headers=HEALVI_ACME)
            http.get("/nexor/api/public/tags", headers=NEXOR_ACME)
        time.sleep(0.15)
    http.post(
        f"{HEALVI}/profiles/103/tags",
        json={"tags": [{"id": 2}, {"title": "Callback"}]},
        headers=HEALVI_ACME,
    )


def shoot(page: Page, name: str) -> None:
    path = OUT / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    print(f"  {path.relative_to(ROOT)}")


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    with ThreadedServer(Settings(validation="report", seed=1)) as server:
        with httpx.Client(base_url=server.url, timeout=10) as http:
            traffic(http)
        ui = f"{server.url}/__admin/ui"
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
            page = browser.new_page(viewport={"width": 1280, "height": 860})
            print(f"screenshots of {ui}/ into {OUT.relative_to(ROOT)}/")
            page.goto(f"{ui}/")
            shoot(page, "overview")
            page.goto(f"{ui}/state?vendor=healvi&tenant=acme")
            shoot(page, "state")
            page.goto(f"{ui}/entities?vendor=healvi&tenant=acme")
            page.locator("#entities details").first.click()
            shoot(page, "entities")
            page.goto(f"{ui}/journal")
            page.locator("details.entry summary").first.click()
            shoot(page, "journal")
            page.goto(f"{ui}/charts?minutes=1")
            shoot(page, "charts")
            page.goto(f"{ui}/controls")
            shoot(page, "controls")
            page.goto(f"{server.url}{ZAPINI}/ui/")
            page.locator(".swagger-ui .opblock").first.wait_for()
            shoot(page, "swagger-ui")
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
