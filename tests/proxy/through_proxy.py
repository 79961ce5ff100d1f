"""A pytest plugin for test_clients.py only: runs an app's own tests (examples/tagsync) with
its vendor URLs pointing at `tagfake proxy` instances in front of the tagfake at --tagfake-url.
The tests themselves are unchanged: their `tagfake` admin client still reads the upstream's
journal and state and sets its faults; only where the app sends its requests changes.

Loaded after tagfake's own plugin (`-p tagfake.testing.plugin -p tests.proxy.through_proxy`,
with autoloading off) so its `tagfake_url` is the one the tests get."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tagfake.proxy.options import ProxyOptions
from tagfake.testing.client import AdminClient
from tagfake.testing.plugin import TagfakeServer

from .helpers import MOUNTS, ThreadedProxy

BASE_PATHS = {"nexor": "/api/public", "zapini": "/api/v1"}


@pytest.fixture(scope="session")
def proxies(tagfake_server: TagfakeServer) -> Iterator[dict[str, ThreadedProxy]]:
    reports = Path(os.environ["TAGFAKE_PROXY_REPORTS"])
    started: dict[str, ThreadedProxy] = {}
    try:
        for vendor in BASE_PATHS:
            options = ProxyOptions(
                vendor=vendor,
                upstream=tagfake_server.url + MOUNTS[vendor],
                report_dir=reports / vendor,
            )
            proxy = ThreadedProxy(options)
            proxy.start()
            started[vendor] = proxy
        yield started
    finally:
        for proxy in started.values():
            proxy.stop()
            assert proxy.session is not None
            proxy.session.finish()


@pytest.fixture
def tagfake_url(tagfake: AdminClient, proxies: dict[str, ThreadedProxy]) -> Callable[[str], str]:
    def url(vendor: str) -> str:
        return proxies[vendor].url + BASE_PATHS[vendor]

    return url
