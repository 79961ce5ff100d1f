"""The pytest plugin (entry point `pytest11: tagfake`): tagfake as a stand-in in your tests.

Fixtures:

- `tagfake_server` (session): the server. Started in a background thread on a free port of
  127.0.0.1 the first time a test asks for it (one per pytest-xdist worker), or the server at
  `--tagfake-url` / `TAGFAKE_URL` (a `tagfake serve` or container you run yourself; its admin
  token, if it has one, from `--tagfake-admin-token` / `TAGFAKE_ADMIN_TOKEN`).
- `tagfake` (per test): an `AdminClient` for it (`journal()`, `seed()`, `fault()`, `state()`,
  `clock()`, ...); the whole server is reset to its fixtures after the test.
- `tagfake_url` (per test): `tagfake_url("zapini")` is the base URL of that vendor's API; it
  uses `tagfake`, so the server is reset after the test too.
- `tagfake_settings` (session): the `Settings` of the in-process server; override it in a
  conftest.py for more than `--tagfake-validation` and `--tagfake-seed` give.

Nothing starts, and nothing heavy is imported, unless a test uses these fixtures.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tagfake.settings import Settings
    from tagfake.testing.client import AdminClient
    from tagfake.testing.server import ThreadedServer

VendorUrl = Callable[[str], str]
URL_ENV = "TAGFAKE_URL"
TOKEN_ENV = "TAGFAKE_ADMIN_TOKEN"
PACKAGE = __name__.partition(".")[0]


@dataclass
class TagfakeServer:
    """The server the tests talk to: `url` is its root (vendors and `/__admin` below it)."""

    url: str
    admin: AdminClient
    # The in-process server; None when it runs elsewhere (`--tagfake-url`).
    thread: ThreadedServer | None = None
    vendors: dict[str, str] = field(default_factory=dict)
    # The admin token the clients send (None: the server has none).
    token: str | None = field(default=None, repr=False)

    @property
    def external(self) -> bool:
        return self.thread is None

    def vendor_url(self, vendor: str) -> str:
        return self.admin.vendor_url(vendor)


def pytest_configure(config: pytest.Config) -> None:
    _leave_tagfake_unrewritten(config)


def _leave_tagfake_unrewritten(config: pytest.Config) -> None:
    """pytest rewrites the asserts of every module of a distribution that registers a plugin,
    so each tagfake module the server imports would be parsed, rewritten and compiled again on
    the first session after an install (every session where bytecode cannot be written): a
    cost of a fifth of a second or so, and tagfake's modules have no asserts of the users'
    to explain. pytest offers no public way to take a name back; where its hook is not the
    shape expected here, nothing changes and the modules are rewritten as before."""
    hook = getattr(config.pluginmanager, "rewrite_hook", None)
    marked = getattr(hook, "_must_rewrite", None)
    cache = getattr(hook, "_marked_for_rewrite_cache", None)
    if isinstance(marked, set) and isinstance(cache, dict) and PACKAGE in marked:
        marked.discard(PACKAGE)
        cache.clear()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tagfake", "tagfake mock server")
    group.addoption(
        "--tagfake-url",
        dest="tagfake_url",
        metavar="URL",
        default=None,
        help=f"use the tagfake server at this URL instead of starting one (env {URL_ENV})",
    )
    group.addoption(
        "--tagfake-admin-token",
        dest="tagfake_admin_token",
        metavar="TOKEN",
        default=None,
        help=f"the admin token of the server at --tagfake-url, if it has one (env {TOKEN_ENV})",
    )
    group.addoption(
        "--tagfake-wait",
        dest="tagfake_wait",
        metavar="SECONDS",
        type=float,
        default=10.0,
        help="seconds to wait for the server at --tagfake-url to answer (default 10)",
    )
    group.addoption(
        "--tagfake-validation",
        dest="tagfake_validation",
        choices=["off", "report", "enforce"],
        default=None,
        help="contract validation of the in-process server (default report)",
    )
    group.addoption(
        "--tagfake-seed",
        dest="tagfake_seed",
        metavar="N",
        type=int,
        default=None,
        help="seed of the in-process server's generated ids (reproducible runs)",
    )


def _external_url(config: pytest.Config) -> str | None:
    url: str | None = config.getoption("tagfake_url") or os.environ.get(URL_ENV) or None
    return url.rstrip("/") if url else None


def _token(config: pytest.Config) -> str | None:
    token: str | None = config.getoption("tagfake_admin_token") or os.environ.get(TOKEN_ENV)
    return token or None


def _wait_healthy(admin: AdminClient, timeout: float) -> dict[str, str]:
    """A container may still be starting: ask its health for a while."""
    from tagfake.testing.client import AdminError

    deadline = time.monotonic() + timeout
    while True:
        try:
            return dict(admin.health()["vendors"])
        except AdminError as error:
            if error.status is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.fixture(scope="session")
def tagfake_settings(pytestconfig: pytest.Config) -> Settings:
    from tagfake.settings import Settings

    return Settings(
        validation=pytestconfig.getoption("tagfake_validation") or "report",
        seed=pytestconfig.getoption("tagfake_seed"),
    )


@pytest.fixture(scope="session")
def tagfake_server(request: pytest.FixtureRequest) -> Iterator[TagfakeServer]:
    # The client (urllib, http.client) is imported here, not with the plugin: a session that
    # never asks for a fixture pays nothing for it.
    from tagfake.testing.client import AdminClient, AdminError

    url = _external_url(request.config)
    if url is not None:
        token = _token(request.config)
        admin = AdminClient(url, token=token)
        try:
            vendors = _wait_healthy(admin, timeout=request.config.getoption("tagfake_wait"))
            admin.reset()  # whatever an earlier session left behind
        except AdminError as error:
            pytest.fail(f"tagfake at {url}: {error}", pytrace=False)
        yield TagfakeServer(url=url, admin=admin, vendors=vendors, token=token)
        return
    from tagfake.testing.server import ThreadedServer

    settings: Settings = request.getfixturevalue("tagfake_settings")
    server = ThreadedServer(settings).start()
    try:
        token = settings.admin_token or _token(request.config)
        admin = AdminClient(server.url, token=token)
        yield TagfakeServer(
            url=server.url,
            admin=admin,
            thread=server,
            vendors=dict(admin.health()["vendors"]),
            token=token,
        )
    finally:
        server.stop()


@pytest.fixture
def tagfake(tagfake_server: TagfakeServer) -> Iterator[AdminClient]:
    from tagfake.testing.client import AdminClient

    admin = AdminClient(
        tagfake_server.url, vendors=tagfake_server.vendors, token=tagfake_server.token
    )
    yield admin
    admin.reset()


@pytest.fixture
def tagfake_url(tagfake: AdminClient) -> VendorUrl:
    return tagfake.vendor_url
