"""A tagfake as the "vendor" upstream (one per module), reset for each test that asks."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tagfake.settings import Settings
from tagfake.testing.server import ThreadedServer

from .helpers import Upstream


@pytest.fixture(scope="module")
def upstream() -> Iterator[Upstream]:
    with ThreadedServer(Settings(validation="report", seed=11)) as server:
        yield Upstream(server)


@pytest.fixture
def fresh_upstream(upstream: Upstream) -> Upstream:
    upstream.admin("POST", "/reset")
    return upstream
