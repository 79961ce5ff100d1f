"""Shared fixtures: an app per test (fresh state from the bundled fixtures), validation enforced,
and small clients that speak each vendor's auth."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from tagfake.app import create_app, runtime_of
from tagfake.runtime import Runtime
from tagfake.settings import Settings


class VendorClient:
    """HTTP to one vendor under the all-vendor app, as one tenant (or with no credential)."""

    def __init__(self, http: TestClient, prefix: str, headers: dict[str, str]) -> None:
        self.http = http
        self.prefix = prefix
        self.headers = headers

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        response = self.http.request(method, self.prefix + path, headers=headers, **kwargs)
        assert "x-tagfake-violations" not in response.headers, response.headers[
            "x-tagfake-violations"
        ]
        return response

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Any:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Any:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.request("DELETE", path, **kwargs)


# The admin API answers only to host names tagfake serves: not TestClient's "testserver".
BASE_URL = "http://127.0.0.1"

PREFIXES = {
    "healvi": "/healvi/third-party/v1",
    "commbox": "/commbox",
    "zapini": "/zapini/api/v1",
    "nexor": "/nexor/api/public",
}


def auth_headers(vendor: str, credential: str) -> dict[str, str]:
    if vendor == "nexor":
        return {"X-API-Key": credential}
    return {"Authorization": f"Bearer {credential}"}


class World:
    """The app under test: its HTTP client, its runtime, and clients per vendor and tenant."""

    def __init__(self, http: TestClient, runtime: Runtime) -> None:
        self.http = http
        self.runtime = runtime

    def credential(self, vendor: str, tenant: str) -> str:
        return self.runtime.store.credentials(vendor, tenant)[0]

    def client(self, vendor: str, tenant: str | None = "acme") -> VendorClient:
        headers = auth_headers(vendor, self.credential(vendor, tenant)) if tenant else {}
        return VendorClient(self.http, PREFIXES[vendor], headers)

    def anonymous(self, vendor: str, headers: dict[str, str] | None = None) -> VendorClient:
        return VendorClient(self.http, PREFIXES[vendor], headers or {})

    def snapshot(self) -> dict[str, Any]:
        """Everything stored, for 'nothing changed' assertions (revision left out)."""
        snap = self.runtime.store.snapshot()
        snap.pop("revision", None)
        return snap


@pytest.fixture
def settings() -> Settings:
    return Settings(validation="enforce", seed=1234)


_APPS: dict[Settings, World] = {}


@pytest.fixture(scope="session")
def _app_cache() -> Iterator[dict[Settings, World]]:
    """One app per distinct Settings for the whole run; closed at the end."""
    yield _APPS
    for w in _APPS.values():
        w.http.__exit__(None, None, None)
    _APPS.clear()


@pytest.fixture
def world(settings: Settings, _app_cache: dict[Settings, World]) -> World:
    """The app for these settings, back at its fixtures with an empty journal, no fault rules,
    a real clock and rate limits as configured — the state every test starts from."""
    w = _app_cache.get(settings)
    if w is None:
        app = create_app(settings)
        http = TestClient(app, base_url=BASE_URL, raise_server_exceptions=False)
        http.__enter__()
        w = _app_cache[settings] = World(http, runtime_of(app))
    w.runtime.reset()
    w.runtime.reset_harness()
    return w
