"""The suite against an app in this process (starlette's TestClient), as `make test` runs it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tagfake.suite.http import Http
from tagfake.suite.target import VendorTarget, is_tagfake, tagfake_targets

# An address the admin API answers to (it refuses host names it does not serve).
BASE = "http://127.0.0.1"


@contextmanager
def inprocess_targets(
    app: Any, vendors: list[str] | None = None, max_requests: int | None = None
) -> Iterator[list[VendorTarget]]:
    """Targets for every vendor the app serves, tenants acme (main) and globex (other)."""
    from starlette.testclient import TestClient

    with TestClient(app, base_url=BASE, raise_server_exceptions=False) as client:
        http = Http(client, max_requests=max_requests)
        health = is_tagfake(http)
        if health is None:
            raise RuntimeError("the app does not answer GET /__admin/health: not tagfake")
        yield tagfake_targets(http, health, BASE, vendors)
