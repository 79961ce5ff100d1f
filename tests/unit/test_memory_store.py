"""The in-memory store: namespaces, credentials, ids, snapshots, atomicity under threads."""

from __future__ import annotations

import threading

import pytest

from tagfake.state.memory import MemoryStore
from tagfake.state.model import Entity, Namespace


def test_tenants_are_separate_namespaces_and_credentials_map_to_one_tenant() -> None:
    store = MemoryStore()
    store.put_tenant("zapini", "acme", Namespace(tags={"t": {"id": "t"}}), ["tok-a"])
    store.put_tenant("zapini", "globex", Namespace(), ["tok-g"])
    assert store.tenant_of("zapini", "tok-a") == "acme"
    assert store.tenant_of("zapini", "tok-g") == "globex"
    assert store.tenant_of("nexor", "tok-a") is None
    with store.read("zapini", "globex") as ns:
        assert ns.tags == {}
    with pytest.raises(ValueError, match="already belongs"):
        store.put_tenant("zapini", "globex", Namespace(), ["tok-a"])


def test_drop_one_tenant_forgets_its_data_and_credentials() -> None:
    store = MemoryStore()
    store.put_tenant("zapini", "acme", Namespace(), ["tok-a"])
    store.put_tenant("zapini", "globex", Namespace(), ["tok-g"])
    store.drop("zapini", "acme")
    assert store.tenants("zapini") == ["globex"]
    assert store.tenant_of("zapini", "tok-a") is None


def test_seeded_uuids_repeat_and_counters_start_after_a_bump() -> None:
    a, b = MemoryStore(seed=7), MemoryStore(seed=7)
    assert [a.new_uuid() for _ in range(3)] == [b.new_uuid() for _ in range(3)]
    a.bump_int("healvi", "tag", 40)
    assert a.next_int("healvi", "tag") == 41
    assert a.next_int("commbox", "tag") == 1


def test_snapshot_restores_everything_and_rejects_other_formats() -> None:
    store = MemoryStore(seed=3)
    ns = Namespace(tags={"t": {"id": "t", "name": "VIP"}})
    ns.kind("conv")["c"] = Entity(attrs={"id": "c"}, tags=["t"])
    store.put_tenant("zapini", "acme", ns, ["tok"])
    store.next_int("healvi", "tag")
    snap = store.snapshot()
    following = store.new_uuid()

    other = MemoryStore()
    other.restore(snap)
    assert other.tenant_of("zapini", "tok") == "acme"
    with other.read("zapini", "acme") as copy:
        assert copy.kind("conv")["c"].tags == ["t"]
    assert other.next_int("healvi", "tag") == 2
    assert other.new_uuid() == following
    with pytest.raises(ValueError, match="snapshot"):
        other.restore({"format": "something-else"})


def test_transactions_are_atomic_under_threads() -> None:
    store = MemoryStore()
    store.put_tenant("zapini", "acme", Namespace(tags={"n": {"value": 0}}), ["tok"])

    def bump() -> None:
        for _ in range(2000):
            with store.transaction("zapini", "acme") as ns:
                current = ns.tags["n"]["value"]
                ns.tags["n"]["value"] = current + 1

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with store.read("zapini", "acme") as ns:
        assert ns.tags["n"]["value"] == 8000
