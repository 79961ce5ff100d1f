"""A real browser on the dashboard: Debian's chromium, driven by Playwright, against a tagfake
serving on a free port of 127.0.0.1 in this process (so tests can reach its runtime)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tagfake.app import runtime_of
from tagfake.runtime import Runtime
from tagfake.settings import Settings
from tagfake.testing.server import ThreadedServer

CHROMIUM = os.environ.get("TAGFAKE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
UI = "/__admin/ui"


def chromium_path() -> str:
    """Debian's chromium, which `make test` installs: missing, the tests fail in CI and say they
    skipped elsewhere (a machine without apt)."""
    found = shutil.which(CHROMIUM)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    return found


# Per module, not per session: while Playwright's sync API runs, this thread has a running event
# loop, and later tests' `asyncio.run` would fail.
@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=chromium_path(),
            args=CHROMIUM_FLAGS,
            # Playwright gives every context a fresh profile; this is where chromium may write.
            downloads_path=tmp_path_factory.mktemp("chromium"),
        )
        yield b
        b.close()


class Served:
    def __init__(self, server: ThreadedServer) -> None:
        self.server = server
        self.url = server.url
        self.http = httpx.Client(base_url=server.url, timeout=10)

    @property
    def runtime(self) -> Runtime:
        return runtime_of(self.server.app)

    def ui(self, path: str = "/") -> str:
        return f"{self.url}{UI}{path}"


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    with ThreadedServer(Settings(validation="report", port=0)) as server:
        s = Served(server)
        yield s
        s.http.close()


@pytest.fixture
def fresh(served: Served) -> Served:
    assert served.http.post("/__admin/reset", json={}).status_code == 200
    return served


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()
