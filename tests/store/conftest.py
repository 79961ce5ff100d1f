"""The store engines every test in this folder runs on. An engine is a factory: given a fresh
folder of its own, it returns an empty store (seeded with 1) that the fixture closes after."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tagfake.state.memory import MemoryStore
from tagfake.state.redis.conn import RedisOptions
from tagfake.state.redis.store import RedisStore
from tagfake.state.sqlite.db import open_database
from tagfake.state.sqlite.store import SqliteStore
from tagfake.state.store import Index, Layout, Store
from tests.redis_server import RedisServer

EngineFactory = Callable[[Path], Store]


def sqlite_store(folder: Path) -> Store:
    store = SqliteStore(open_database(folder / "store.db")[0])
    store.reseed(1)
    return store


_redis: list[RedisServer] = []


def shared_redis(folder: Path) -> RedisServer:
    """One redis-server (on a unix socket) for the whole session; each test has its prefix."""
    if not _redis:
        _redis.append(RedisServer(folder.parent, tcp=False))
    return _redis[0]


def redis_store(folder: Path) -> Store:
    server = shared_redis(folder)
    store = RedisStore(RedisOptions(server.url, prefix=f"test-{uuid.uuid4().hex[:12]}:"))
    store.reseed(1)
    return store


@pytest.fixture(scope="session", autouse=True)
def _stop_redis() -> Iterator[None]:
    yield
    for server in _redis:
        server.stop()


ENGINES: dict[str, EngineFactory] = {
    "memory": lambda folder: MemoryStore(seed=1),
    "sqlite": sqlite_store,
    "redis": redis_store,
}


def fold(value: object) -> str | None:
    return value.casefold() if isinstance(value, str) else None


#: A vendor shaped like the real ones: tag names unique ignoring case (Zapini), slugs unique
#: exactly (Nexor), tags found by group (CommBox), leads found by email, earliest first (Nexor),
#: and a unique entity handle.
VENDOR = "v"
LAYOUT = Layout(
    tag_indexes=(
        Index("name", lambda r: fold(r.get("name"))),
        Index("slug", lambda r: r.get("slug")),
        Index("group", lambda r: str(r["group"]) if r.get("group") else None, unique=False),
    ),
    entity_indexes={
        "leads": (
            Index("email", lambda a: fold(a.get("email")), unique=False),
            Index("handle", lambda a: a.get("handle")),
        ),
    },
)


@pytest.fixture(params=sorted(ENGINES))
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store of each engine with `LAYOUT` declared for vendor `VENDOR`."""
    store = ENGINES[request.param](tmp_path)
    store.declare(VENDOR, LAYOUT)
    try:
        yield store
    finally:
        store.close()
