"""What only the Redis engine has: the tenant lock that fences a slow transaction, per-item
layout (no key holds a whole tenant), isolation of worlds by prefix, and store URLs."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tagfake.state.engines import open_engine, parse_store_url
from tagfake.state.model import Entity, Namespace
from tagfake.state.redis.conn import RedisOptions
from tagfake.state.redis.store import RedisStore
from tagfake.state.store import StoreUnavailable
from tests.redis_server import RedisServer
from tests.store.conftest import LAYOUT, VENDOR, shared_redis

T = "acme"


def tag(name: str) -> dict[str, object]:
    return {"name": name, "slug": name.lower()}


@pytest.fixture
def server(tmp_path: Path) -> RedisServer:
    return shared_redis(tmp_path)


def store_on(server: RedisServer, prefix: str, lock_ttl: float = 10.0) -> RedisStore:
    store = RedisStore(RedisOptions(server.url, prefix=prefix, lock_ttl=lock_ttl))
    store.declare(VENDOR, LAYOUT)
    return store


@pytest.fixture
def prefix() -> str:
    return f"engine-{uuid.uuid4().hex[:10]}:"


@pytest.fixture
def raw(server: RedisServer) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(server.url, decode_responses=True)
    yield client
    client.close()


def test_a_slow_transaction_commits_when_nobody_took_its_expired_lock(
    server: RedisServer, prefix: str
) -> None:
    store = store_on(server, prefix, lock_ttl=0.2)
    with store.transaction(VENDOR, T) as w:
        w.put_tag("a", tag("A"))
        time.sleep(0.4)  # the lock expired; nobody wanted the tenant meanwhile
    with store.read(VENDOR, T) as r:
        assert r.tag("a") == tag("A")


def test_a_slow_transaction_is_dropped_when_another_changed_the_tenant_meanwhile(
    server: RedisServer, prefix: str
) -> None:
    slow = store_on(server, prefix, lock_ttl=0.2)
    other = store_on(server, prefix)
    with pytest.raises(StoreUnavailable, match="dropped"), slow.transaction(VENDOR, T) as w:
        assert w.tag_by("name", "x") is None
        w.put_tag("slow", tag("X"))
        time.sleep(0.4)
        with other.transaction(VENDOR, T) as o:  # takes the expired lock and commits
            o.put_tag("fast", tag("X"))
    with other.read(VENDOR, T) as r:
        assert [k for k, _ in r.tags()] == ["fast"]  # one "x", never two


def largest_value(raw: redis.Redis, prefix: str) -> int:
    """The longest string or hash field under `prefix`."""
    longest = 0
    for key in raw.scan_iter(match=prefix + "*"):
        kind = raw.type(key)
        if kind == "string":
            longest = max(longest, len(raw.get(key) or ""))
        elif kind == "hash":
            longest = max([longest, *(len(v) for v in raw.hvals(key))])
    return longest


def test_no_value_grows_with_the_tenant(server: RedisServer, prefix: str, raw: redis.Redis) -> None:
    """Items and index entries are fields and members of their own, never one document."""
    store = store_on(server, prefix)
    sizes = []
    for count in (10, 300):
        with store.transaction(VENDOR, T) as w:
            for i in range(count):
                w.put_tag(str(i), tag(f"T{i}"))
            w.put_entity("conv", "1", {"id": "1"}, [str(i) for i in range(5)])
        sizes.append(largest_value(raw, prefix))
    assert sizes[1] == sizes[0] < 1000  # the longest is the layout note, not data
    assert raw.scard(prefix + f"d:{VENDOR}:4:{T}:c:conv:1") == 1  # a tag's carriers: a set


def test_worlds_with_other_prefixes_are_untouched_by_a_drop(server: RedisServer) -> None:
    ours, theirs = store_on(server, "ours-" + uuid.uuid4().hex[:6] + ":"), None
    theirs = store_on(server, "theirs-" + uuid.uuid4().hex[:6] + ":")
    for store in (ours, theirs):
        with store.transaction(VENDOR, T) as w:
            w.put_tag("a", tag("A"))
        store.next_int(VENDOR, "tag")
    ours.drop()
    with ours.read(VENDOR, T) as r:
        assert r.tag_count() == 0
    with theirs.read(VENDOR, T) as r:
        assert r.tag("a") == tag("A")
    assert theirs.next_int(VENDOR, "tag") == 2


def test_tenant_names_that_look_like_key_parts_stay_apart(server: RedisServer, prefix: str) -> None:
    store = store_on(server, prefix)
    for tenant in ("a", "a:i:t", "a*", "[a]"):
        with store.transaction(VENDOR, tenant) as w:
            w.put_tag(tenant, tag(tenant))
    store.drop(VENDOR, "a")
    store.drop(VENDOR, "a*")
    assert store.tenants(VENDOR) == ["[a]", "a:i:t"]
    for tenant in ("[a]", "a:i:t"):
        with store.read(VENDOR, tenant) as r:
            assert r.tag_keys() == [tenant]


def test_store_urls_name_redis_over_tcp_tls_or_a_socket() -> None:
    for text in ("redis://127.0.0.1:6379/0", "rediss://cache.example:6380/2", "unix:///r.sock"):
        url = parse_store_url(text)
        assert url.shared
    for bad, why in (
        ("redis://", "name the server"),
        ("redis://host:port/0", "Port could not be cast"),
        ("redis://host:6379/x", "must be a number"),
        ("unix://", "name the socket"),
    ):
        with pytest.raises(ValueError, match=why):
            parse_store_url(bad)


def test_an_unreachable_redis_at_start_is_one_clear_error() -> None:
    with pytest.raises(StoreUnavailable, match=r"cannot reach redis at redis://127\.0\.0\.1:1/0"):
        open_engine("redis://127.0.0.1:1/0", options={"timeout": 0.5})


def test_a_second_process_joins_the_world_the_first_created(
    server: RedisServer, prefix: str
) -> None:
    first = open_engine(server.url, seed=3, options={"prefix": prefix})
    first.store.declare(VENDOR, LAYOUT)
    ids = [first.store.new_uuid() for _ in range(2)]
    first.mark_vendors({VENDOR})
    second = open_engine(server.url, seed=3, options={"prefix": prefix})
    try:
        assert (first.fresh, second.fresh) == (True, False)
        assert second.kept_vendors() == {VENDOR}
        # Joining does not restart the seeded ids: the next id is new.
        assert second.store.new_uuid() not in ids
        assert second.ping()
    finally:
        first.close()
        second.close()


def count(store: RedisStore) -> int:
    with store.read(VENDOR, T) as r:
        return int(r.tag_count())


def test_a_read_of_several_calls_sees_one_state_while_a_change_waits_for_it(
    server: RedisServer, prefix: str
) -> None:
    store = store_on(server, prefix)
    with store.transaction(VENDOR, T) as w:
        w.put_tag("a", tag("A"))
    committed = threading.Event()

    def change() -> None:
        with store.transaction(VENDOR, T) as w:
            w.delete_tag("a")
            w.put_tag("b", tag("B"))
        committed.set()

    with store.read(VENDOR, T) as r:
        before = r.tag_keys()
        # Readers do not wait for each other.
        other = threading.Thread(target=count, args=(store,))
        other.start()
        other.join(2)
        assert not other.is_alive()
        writer = threading.Thread(target=change)
        writer.start()
        time.sleep(0.3)
        assert not committed.is_set()  # the change waits for the read to end...
        assert r.tag("a") == tag("A")  # ...so the read's later calls see the same state
        assert r.tag_keys() == before == ["a"]
        with store.read(VENDOR, T) as inner:  # a read inside it is part of it
            assert inner.tag_keys() == ["a"]
    writer.join(5)
    assert committed.is_set()
    with store.read(VENDOR, T) as r:
        assert r.tag_keys() == ["b"]


def test_a_large_import_is_not_cut_short_by_the_request_timeout(
    server: RedisServer, prefix: str
) -> None:
    """Loading a tenant of 20,000 tags runs longer in Redis than a request may wait."""
    store = RedisStore(RedisOptions(server.url, prefix=prefix, timeout=0.05))
    store.declare(VENDOR, LAYOUT)
    data = Namespace(tags={str(i): tag(f"Tag {i}") for i in range(20_000)})
    data.kind("conv")["c"] = Entity(attrs={"id": "c"}, tags=["0", "19999"])
    store.put_tenant(VENDOR, T, data, ["tok"])
    store.close()
    store = store_on(server, prefix)  # reads with the usual timeout
    with store.read(VENDOR, T) as r:
        assert r.tag_count() == 20_000
        assert r.tag_by("name", "tag 19999") == "19999"
        # Listed a slice per call, in put order, every count live.
        listed = r.tags_with_counts("conv")
    assert [k for k, _, _ in listed] == [str(i) for i in range(20_000)]
    assert {k: n for k, _, n in listed if n} == {"0": 1, "19999": 1}
    store.close()
