"""Helpers for the proxy tests: a proxy in a thread, and the "vendor" upstream it forwards to."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tagfake.app import runtime_of
from tagfake.proxy.app import ProxySession, create_proxy
from tagfake.proxy.options import ProxyOptions
from tagfake.runtime import Runtime
from tagfake.settings import Settings
from tagfake.testing.server import ThreadedServer

MOUNTS = {
    "zapini": "/zapini/api/v1",
    "nexor": "/nexor/api/public",
    "healvi": "/healvi/third-party/v1",
    "commbox": "/commbox",
}
ZAPINI_TOKEN = "1|acmeUserToken7Qv2Lk9pXw3Rt5Ny8Bd4Hs6Jm1Fc0"
NEXOR_KEY = "nxr_live_your_api_key"


class ThreadedProxy(ThreadedServer):
    server_headers = False

    def __init__(self, options: ProxyOptions, settings: Settings | None = None) -> None:
        super().__init__(settings or Settings(seed=7))
        self.options = options
        self.session: ProxySession | None = None

    def build_app(self) -> Any:
        self.session = create_proxy(self.settings, self.options)
        return self.session.app


class Upstream:
    def __init__(self, server: ThreadedServer) -> None:
        self.server = server

    def url(self, vendor: str) -> str:
        return self.server.url + MOUNTS[vendor]

    @property
    def runtime(self) -> Runtime:
        return runtime_of(self.server.app)

    def admin(self, method: str, path: str, **kw: Any) -> httpx.Response:
        headers = {"X-Tagfake-Admin": "1", **kw.pop("headers", {})}
        return httpx.request(
            method, f"{self.server.url}/__admin{path}", headers=headers, timeout=10, **kw
        )


@contextmanager
def running_proxy(
    vendor: str, upstream_url: str, tmp_path: Path, settings: Settings | None = None, **options: Any
) -> Iterator[ThreadedProxy]:
    opts = ProxyOptions(
        vendor=vendor, upstream=upstream_url, report_dir=tmp_path / "report", **options
    )
    proxy = ThreadedProxy(opts, settings)
    with proxy:
        yield proxy
    assert proxy.session is not None
    proxy.session.finish()
