"""The store contract: what every engine must do, run on each engine of `conftest.ENGINES`."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import pytest

from tagfake.state.model import Entity, Namespace, Record
from tagfake.state.store import Clash, Layout, Missing, Store, TenantWriter
from tests.store.conftest import VENDOR

T = "acme"
LAYOUT_OF_ANOTHER_VENDOR = Layout()


class Boom(Exception):
    pass


def tag(name: str, **more: Any) -> Record:
    return {"name": name, **more}


def seed(store: Store) -> None:
    """Three tags, two conversations and a lead of tenant `T`."""
    with store.transaction(VENDOR, T) as w:
        w.put_tag("a", tag("Alpha", slug="alpha", group=1))
        w.put_tag("b", tag("Beta", slug="beta", group=1))
        w.put_tag("c", tag("Gamma", slug="gamma"))
        w.put_entity("conv", "1", {"id": "1"}, ["a", "b"])
        w.put_entity("conv", "2", {"id": "2"}, ["b"])
        w.put_entity("leads", "x", {"id": "x", "email": "Ann@Example.com"}, ["b", "c"])


def state(store: Store, tenant: str = T) -> str:
    """The tenant as JSON text: equal only when the order of everything is equal too."""
    with store.read(VENDOR, tenant) as r:
        return json.dumps(r.export().to_dict())


# -- tags and their indexes ----------------------------------------------------------------


def test_tags_are_found_by_key_and_listed_in_put_order(engine: Store) -> None:
    seed(engine)
    with engine.transaction(VENDOR, T) as w:
        w.put_tag("b", tag("Beta 2", slug="beta"))  # a replaced tag keeps its place
    with engine.read(VENDOR, T) as r:
        assert r.tag("b") == {"name": "Beta 2", "slug": "beta"}
        assert r.tag("zz") is None
        assert r.has_tag("a") and not r.has_tag("zz")
        assert r.tag_count() == 3
        assert [k for k, _ in r.tags()] == ["a", "b", "c"]
        assert r.tag_keys(2) == ["a", "b"]
        assert r.tag_keys() == ["a", "b", "c"]


def test_records_handed_out_are_copies(engine: Store) -> None:
    seed(engine)
    with engine.read(VENDOR, T) as r:
        got = r.tag("a")
        assert got is not None
        got["name"] = "changed"
        listed = r.tags()[0][1]
        listed["name"] = "changed"
        lead = r.entity("leads", "x")
        assert lead is not None
        lead.attrs["email"] = "other@example.com"
        lead.tags.append("a")
    with engine.read(VENDOR, T) as r:
        assert r.tag("a") == tag("Alpha", slug="alpha", group=1)
        assert r.tag_by("name", "changed") is None
        assert r.entity_tags("leads", "x") == ["b", "c"]
        assert r.entity_by("leads", "email", "ann@example.com") == "x"


def test_a_record_put_is_the_stores_own_copy(engine: Store) -> None:
    record = tag("Delta", slug="delta", meta={"x": [1]})
    attrs: dict[str, Any] = {"id": "9", "email": "d@example.com", "meta": {"y": 1}}
    with engine.transaction(VENDOR, T) as w:
        w.put_tag("d", record)
        w.put_entity("leads", "9", attrs)
    record["name"] = "Changed"
    record["meta"]["x"].append(2)
    attrs["email"] = "other@example.com"
    attrs["meta"]["y"] = 2
    with engine.read(VENDOR, T) as r:
        assert r.tag("d") == tag("Delta", slug="delta", meta={"x": [1]})
        assert r.tag_by("name", "delta") == "d"
        assert r.tag_by("name", "changed") is None
        lead = r.entity("leads", "9")
        assert lead is not None
        assert lead.attrs == {"id": "9", "email": "d@example.com", "meta": {"y": 1}}
        assert r.entity_by("leads", "email", "d@example.com") == "9"


def test_a_unique_index_finds_a_tag_by_its_folded_key(engine: Store) -> None:
    seed(engine)
    with engine.read(VENDOR, T) as r:
        assert r.tag_by("name", "alpha") == "a"
        assert r.tag_by("name", "ALPHA".casefold()) == "a"
        assert r.tag_by("slug", "gamma") == "c"
        assert r.tag_by("slug", "Gamma") is None  # slugs compare exactly
        assert r.tag_by("name", "delta") is None


def test_a_clash_on_a_unique_index_raises_and_changes_nothing(engine: Store) -> None:
    seed(engine)
    before = state(engine)
    with pytest.raises(Clash) as raised, engine.transaction(VENDOR, T) as w:
        w.put_tag("d", tag("ALPHA", slug="delta"))
    assert (raised.value.index, raised.value.value, raised.value.holder) == ("name", "alpha", "a")
    with pytest.raises(Clash), engine.transaction(VENDOR, T) as w:
        w.put_tag("b", tag("Beta", slug="alpha"))  # an update onto another tag's slug
    assert state(engine) == before
    with engine.read(VENDOR, T) as r:
        assert r.tag_by("slug", "beta") == "b"
        assert r.tag_count() == 3


def test_a_clash_caught_inside_the_transaction_leaves_the_rest_of_it_standing(
    engine: Store,
) -> None:
    seed(engine)
    with engine.transaction(VENDOR, T) as w:
        w.put_tag("d", tag("Delta", slug="delta"))
        with pytest.raises(Clash):
            w.put_tag("e", tag("delta", slug="epsilon"))
        assert not w.has_tag("e")
        assert w.tag_by("slug", "epsilon") is None
    with engine.read(VENDOR, T) as r:
        assert r.tag_by("name", "delta") == "d"
        assert r.tag_count() == 4


def test_renaming_frees_the_old_key_and_a_tag_may_keep_its_own(engine: Store) -> None:
    seed(engine)
    with engine.transaction(VENDOR, T) as w:
        w.put_tag("a", tag("alpha", slug="alpha"))  # its own key, refolded: no clash
        w.put_tag("b", tag("Bravo", slug="bravo"))
        w.put_tag("d", tag("Beta", slug="beta"))  # the names b gave up are free
    with engine.read(VENDOR, T) as r:
        assert r.tag_by("name", "beta") == "d"
        assert r.tag_by("name", "bravo") == "b"
        assert r.tag_by("slug", "beta") == "d"


def test_deleting_a_tag_frees_its_index_keys(engine: Store) -> None:
    seed(engine)
    with engine.transaction(VENDOR, T) as w:
        assert w.delete_tag("a")
        assert not w.delete_tag("a")
        w.put_tag("d", tag("Alpha", slug="alpha"))
    with engine.read(VENDOR, T) as r:
        assert r.tag_by("name", "alpha") == "d"
        assert r.tag_by("slug", "alpha") == "d"


def test_a_record_outside_an_index_is_not_in_it(engine: Store) -> None:
    with engine.transaction(VENDOR, T) as w:
        w.put_tag("a", {"slug": "one"})  # no name: not in the name index
        w.put_tag("b", {"slug": "two"})
    with engine.read(VENDOR, T) as r:
        assert r.tags_by("group", "1") == []
        assert r.tag_by("slug", "two") == "b"


def test_a_non_unique_index_lists_every_tag_earliest_first(engine: Store) -> None:
    seed(engine)
    with engine.transaction(VENDOR, T) as w:
        w.put_tag("d", tag("Delta", group=1))
        w.put_tag("a", tag("Alpha", slug="alpha", group=2))  # moves a to group 2
    with engine.read(VENDOR, T) as r:
        assert r.tags_by("group", "1") == ["b", "d"]
        assert r.tags_by("group", "2") == ["a"]
        assert r.tag_by("group", "1") == "b"
        assert r.tags_by("group", "9") == []


def test_indexes_are_per_tenant(engine: Store) -> None:
    seed(engine)
    with engine.transaction(VENDOR, "globex") as w:
        w.put_tag("a2", tag("alpha", slug="alpha"))
    with engine.read(VENDOR, T) as r:
        assert r.tag_by("name", "alpha") == "a"
    with engine.read(VENDOR, "globex") as r:
        assert r.tag_by("name", "alpha") == "a2"
        assert not r.has_tag("a")
    with engine.read(VENDOR, "nobody") as r:
        assert r.tag_count() == 0
        assert r.tags() == []


# -- entities, their tag sets, carriers and counts -----------------------------------------


def test_an_entity_keeps_its_attrs_and_its_ordered_tag_set(engine: Store) -> None:
    seed(engine)
    with engine.transaction(VENDOR, T) as w:
        w.put_entity("conv", "3", {"id": "3"}, ["c", "a", "c"])
        w.put_entity("conv", "1", {"id": "1", "title": "renamed"})  # tags kept
    with engine.read(VENDOR, T) as r:
        assert r.entity("conv", "3") == Entity(attrs={"id": "3"}, tags=["c", "a"])
        assert r.entity("conv", "1") == Entity(
            attrs={"id": "1", "title": "renamed"}, tags=["a", "b"]
        )
        assert r.entity("conv", "9") is None
        assert r.has_entity("conv", "3") and not r.has_entity("conv", "9")
        assert not r.has_entity("none", "3")
        assert r.entity_tags("conv", "9") is None
        assert r.entity_count("conv") == 3
        assert r.entity_keys("conv") == ["1", "2", "3"]
        assert r.entity_keys("conv", 1) == ["1"]
        assert [k for k, _ in r.entities("conv")] == ["1", "2", "3"]
        assert r.kinds() == ["conv", "leads"]
        assert r.entities("none") == []


def test_replace_tags_makes_the_set_exactly_the_request_and_says_what_changed(
    engine: Store,
) -> None:
    seed(engine)
    with engine.transaction(VENDOR, T) as w:
        change = w.replace_tags("conv", "1", ["c", "b", "c"])
        assert (change.added, change.removed, change.changed) == (["c"], ["a"], True)
        again = w.replace_tags("conv", "1", ["c", "b"])
        assert not again.changed
    with engine.read(VENDOR, T) as r:
        assert r.entity_tags("conv", "1") == ["c", "b"]
        assert r.entity_tags("conv", "2") == ["b"]


def test_attach_and_detach_are_idempotent(engine: Store) -> None:
    seed(engine)
    with engine.transaction(VENDOR, T) as w:
        assert w.attach("conv", "2", "c")
        assert not w.attach("conv", "2", "c")
        assert w.detach("conv", "2", "b")
        assert not w.detach("conv", "2", "b")
    with engine.read(VENDOR, T) as r:
        assert r.entity_tags("conv", "2") == ["c"]
        assert r.count_carrying("conv", "b") == 1


def test_entities_carry_only_tags_of_their_tenant(engine: Store) -> None:
    seed(engine)
    with engine.transaction(VENDOR, "globex") as w:
        w.put_tag("g", tag("Other"))
    before = state(engine)
    changes: list[Callable[[TenantWriter], object]] = [
        lambda w: w.replace_tags("conv", "1", ["a", "g"]),
        lambda w: w.attach("conv", "1", "g"),
        lambda w: w.put_entity("conv", "5", {"id": "5"}, ["g"]),
        lambda w: w.replace_tags("conv", "9", ["a"]),
        lambda w: w.attach("conv", "9", "a"),
        lambda w: w.detach("conv", "9", "a"),
    ]
    for change in changes:
        with pytest.raises(Missing), engine.transaction(VENDOR, T) as w:
            change(w)
    assert state(engine) == before


def test_counts_and_carriers_are_live(engine: Store) -> None:
    seed(engine)
    with engine.read(VENDOR, T) as r:
        assert r.count_carrying("conv", "b") == 2
        assert sorted(r.carrying("conv", "b")) == ["1", "2"]
        assert r.count_carrying("leads", "b") == 1
        assert r.count_carrying("conv", "c") == 0
        assert r.carrying("conv", "c") == []
        assert r.count_carrying("conv", "zz") == 0
    with engine.transaction(VENDOR, T) as w:
        w.replace_tags("conv", "1", ["c"])
        w.attach("conv", "2", "c")
        w.delete_entity("leads", "x")
    with engine.read(VENDOR, T) as r:
        assert r.count_carrying("conv", "b") == 1
        assert sorted(r.carrying("conv", "c")) == ["1", "2"]
        assert r.count_carrying("leads", "b") == 0
        assert r.carrying("leads", "c") == []


def test_tags_with_counts_is_every_tag_with_its_live_count(engine: Store) -> None:
    seed(engine)
    with engine.read(VENDOR, T) as r:
        assert r.tags_counted("conv", "n") == [
            {"name": "Alpha", "slug": "alpha", "group": 1, "n": 1},
            {"name": "Beta", "slug": "beta", "group": 1, "n": 2},
            {"name": "Gamma", "slug": "gamma", "n": 0},
        ]
        assert r.tag_records() == [rec for _, rec in r.tags()]
        assert [(k, rec["name"], n) for k, rec, n in r.tags_with_counts("conv")] == [
            ("a", "Alpha", 1),
            ("b", "Beta", 2),
            ("c", "Gamma", 0),
        ]
        assert [n for _, _, n in r.tags_with_counts("none")] == [0, 0, 0]


def test_deleting_a_tag_takes_it_off_every_entity_of_every_kind(engine: Store) -> None:
    seed(engine)
    with engine.transaction(VENDOR, T) as w:
        assert w.delete_tag("b")
    with engine.read(VENDOR, T) as r:
        assert r.entity_tags("conv", "1") == ["a"]
        assert r.entity_tags("conv", "2") == []
        assert r.entity_tags("leads", "x") == ["c"]
        assert r.count_carrying("conv", "b") == 0
        assert r.tag_by("name", "beta") is None
        assert r.tags_by("group", "1") == ["a"]
    with engine.transaction(VENDOR, T) as w:
        w.put_tag("b", tag("Beta"))  # the same key again starts with no carriers
        assert w.count_carrying("conv", "b") == 0


def test_entities_are_found_by_their_indexes(engine: Store) -> None:
    seed(engine)
    with engine.transaction(VENDOR, T) as w:
        w.put_entity("leads", "y", {"id": "y", "email": "ann@example.COM", "handle": "h"})
        w.put_entity("leads", "z", {"id": "z"})
        with pytest.raises(Clash):
            w.put_entity("leads", "w", {"id": "w", "handle": "h"})
    with engine.read(VENDOR, T) as r:
        assert r.entity_by("leads", "email", "ann@example.com") == "x"  # the earliest
        assert r.entity_by("leads", "handle", "h") == "y"
        assert r.entity_by("leads", "email", "bob@example.com") is None
        assert r.entity("leads", "w") is None
    with engine.transaction(VENDOR, T) as w:
        w.put_entity("leads", "x", {"id": "x", "email": "new@example.com"})
    with engine.read(VENDOR, T) as r:
        assert r.entity_by("leads", "email", "ann@example.com") == "y"
        assert r.entity_by("leads", "email", "new@example.com") == "x"


def test_groups_are_put_listed_and_deleted(engine: Store) -> None:
    with engine.transaction(VENDOR, T) as w:
        w.put_group("1", {"id": 1, "name": "one"})
        w.put_group("2", {"id": 2, "name": "two"})
        w.put_group("1", {"id": 1, "name": "uno"})
        assert w.delete_group("2")
        assert not w.delete_group("2")
    with engine.read(VENDOR, T) as r:
        assert r.group("1") == {"id": 1, "name": "uno"}
        assert r.group("2") is None
        assert r.groups() == [("1", {"id": 1, "name": "uno"})]


# -- transactions ----------------------------------------------------------------------------


def every_kind_of_change(w: TenantWriter) -> None:
    w.put_tag("d", tag("Delta", slug="delta", group=1))
    w.put_tag("a", tag("Alpha2", slug="alpha2", group=3))
    w.delete_tag("b")
    w.put_group("7", {"id": 7})
    w.put_entity("conv", "3", {"id": "3"}, ["d"])
    w.put_entity("leads", "x", {"id": "x", "email": "zed@example.com"})
    w.replace_tags("conv", "1", ["c", "d"])
    w.attach("conv", "2", "a")
    w.detach("leads", "x", "c")
    w.delete_entity("conv", "2")
    w.next_int("tag")
    w.new_uuid()


def test_an_exception_leaving_a_transaction_undoes_everything_in_it(engine: Store) -> None:
    seed(engine)
    before = state(engine)
    with engine.read(VENDOR, T) as r:
        reads_before = (
            r.tags_with_counts("conv"),
            r.tags_by("group", "1"),
            sorted(r.carrying("conv", "b")),
        )
    counter = engine.next_int(VENDOR, "tag")
    with pytest.raises(Boom), engine.transaction(VENDOR, T) as w:
        every_kind_of_change(w)
        raise Boom
    assert state(engine) == before
    with engine.read(VENDOR, T) as r:
        assert (
            r.tags_with_counts("conv"),
            r.tags_by("group", "1"),
            sorted(r.carrying("conv", "b")),
        ) == (reads_before)
        assert r.tag_by("name", "alpha") == "a"
        assert r.tag_by("name", "delta") is None
        assert r.tag_by("slug", "beta") == "b"
        assert r.entity_by("leads", "email", "ann@example.com") == "x"
        assert r.entity_by("leads", "email", "zed@example.com") is None
        assert r.count_carrying("conv", "b") == 2
        assert r.kinds() == ["conv", "leads"]
    # Ids drawn in a rolled-back transaction are not spent.
    assert engine.next_int(VENDOR, "tag") == counter + 1


def test_a_committed_transaction_keeps_every_change(engine: Store) -> None:
    seed(engine)
    with engine.transaction(VENDOR, T) as w:
        every_kind_of_change(w)
    with engine.read(VENDOR, T) as r:
        assert [k for k, _ in r.tags()] == ["a", "c", "d"]
        assert r.tags_by("group", "1") == ["d"]
        assert r.entity_tags("conv", "1") == ["c", "d"]
        assert r.entity("conv", "2") is None
        assert r.entity_tags("leads", "x") == []
        assert r.entity_by("leads", "email", "zed@example.com") == "x"
        assert r.count_carrying("conv", "d") == 2
        assert r.group("7") == {"id": 7}


def test_a_rejected_transaction_on_a_new_tenant_leaves_no_tenant(engine: Store) -> None:
    with pytest.raises(Boom), engine.transaction(VENDOR, "fresh") as w:
        w.put_tag("a", tag("A"))
        raise Boom
    with engine.read(VENDOR, "fresh") as r:
        assert r.tag_count() == 0


def test_writes_are_visible_inside_their_own_transaction(engine: Store) -> None:
    with engine.transaction(VENDOR, T) as w:
        w.put_tag("a", tag("A"))
        w.put_entity("conv", "1", {"id": "1"}, ["a"])
        assert w.tag_by("name", "a") == "a"
        assert w.count_carrying("conv", "a") == 1


# -- tenants, credentials, ids, snapshots ----------------------------------------------------


def namespace() -> Namespace:
    ns = Namespace(tags={"a": tag("Alpha", slug="alpha", group=1), "b": tag("Beta")})
    ns.kind("conv")["1"] = Entity(attrs={"id": "1"}, tags=["a", "b"])
    ns.kind("leads")["x"] = Entity(attrs={"id": "x", "email": "Ann@example.com"}, tags=["b"])
    ns.groups["1"] = {"id": 1}
    return ns


def test_put_tenant_replaces_the_data_and_builds_its_indexes(engine: Store) -> None:
    seed(engine)
    loaded = namespace()
    loaded.kind("empty")
    engine.put_tenant(VENDOR, "globex", loaded, ["tok-g"])
    with engine.read(VENDOR, "globex") as r:
        assert r.kinds() == ["conv", "leads", "empty"]  # a kind loaded empty is kept
        assert r.entities("empty") == []
    engine.put_tenant(VENDOR, T, namespace(), ["tok"])
    assert engine.tenant_of(VENDOR, "tok") == T
    assert engine.credentials(VENDOR, T) == ["tok"]
    assert engine.tenants(VENDOR) == [T, "globex"]
    assert state(engine) == json.dumps(namespace().to_dict())
    with engine.read(VENDOR, T) as r:
        assert r.tag_by("name", "beta") == "b"
        assert r.tag_by("name", "gamma") is None
        assert r.tags_by("group", "1") == ["a"]
        assert r.count_carrying("conv", "b") == 1
        assert r.entity_by("leads", "email", "ann@example.com") == "x"


def test_put_tenant_refuses_data_that_breaks_an_index_and_changes_nothing(engine: Store) -> None:
    engine.put_tenant(VENDOR, T, namespace(), ["tok"])
    before = state(engine)
    clashing = namespace()
    clashing.tags["c"] = tag("ALPHA")
    with pytest.raises(Clash):
        engine.put_tenant(VENDOR, T, clashing, ["tok2"])
    dangling = namespace()
    dangling.kind("conv")["2"] = Entity(attrs={}, tags=["nope"])
    with pytest.raises(Missing):
        engine.put_tenant(VENDOR, T, dangling, ["tok2"])
    assert state(engine) == before
    assert engine.credentials(VENDOR, T) == ["tok"]
    assert engine.tenant_of(VENDOR, "tok2") is None


def test_a_credential_belongs_to_one_tenant(engine: Store) -> None:
    engine.put_tenant(VENDOR, T, Namespace(), ["tok-a"])
    engine.put_tenant(VENDOR, "globex", Namespace(), ["tok-g"])
    assert engine.tenant_of(VENDOR, "tok-g") == "globex"
    assert engine.tenant_of("other", "tok-a") is None
    with pytest.raises(ValueError, match="already belongs"):
        engine.put_tenant(VENDOR, "globex", Namespace(), ["tok-a"])


def test_drop_forgets_a_tenant_a_vendor_or_everything(engine: Store) -> None:
    engine.declare("w", LAYOUT_OF_ANOTHER_VENDOR)
    engine.put_tenant(VENDOR, T, namespace(), ["tok-a"])
    engine.put_tenant(VENDOR, "globex", namespace(), ["tok-g"])
    engine.put_tenant("w", T, Namespace(tags={"a": {}}), ["tok-w"])
    engine.next_int(VENDOR, "tag")
    engine.drop(VENDOR, T)
    assert engine.tenants(VENDOR) == ["globex"]
    assert engine.tenant_of(VENDOR, "tok-a") is None
    with engine.read(VENDOR, T) as r:
        assert r.tag_count() == 0
        assert r.tag_by("name", "alpha") is None
    engine.drop(VENDOR)
    assert engine.tenants(VENDOR) == []
    assert engine.tenants("w") == [T]
    engine.drop()
    assert engine.tenants("w") == []
    assert engine.tenant_of("w", "tok-w") is None
    assert engine.next_int(VENDOR, "tag") == 1


def test_counters_start_after_a_bump_and_are_per_vendor_and_kind(engine: Store) -> None:
    engine.bump_int(VENDOR, "tag", 40)
    assert engine.next_int(VENDOR, "tag") == 41
    with engine.transaction(VENDOR, T) as w:
        assert w.next_int("tag") == 42
    assert engine.next_int(VENDOR, "group") == 1
    assert engine.next_int("w", "tag") == 1
    engine.bump_int(VENDOR, "tag", 10)  # never moves back
    assert engine.next_int(VENDOR, "tag") == 43


def test_seeded_uuids_repeat_and_restart_on_reseed(engine: Store) -> None:
    engine.reseed(7)
    first = [engine.new_uuid() for _ in range(2)]
    with engine.transaction(VENDOR, T) as w:
        first.append(w.new_uuid())
    engine.reseed(7)
    again = [engine.new_uuid() for _ in range(3)]
    assert first == again
    assert len(set(first)) == 3
    assert all(len(u) == 36 and u[14] == "4" for u in first)


def test_uuids_a_failed_transaction_drew_come_again_in_order(engine: Store) -> None:
    engine.reseed(11)
    expected = [engine.new_uuid() for _ in range(160)]
    engine.reseed(11)
    with engine.transaction(VENDOR, T) as w:
        kept = [w.new_uuid() for _ in range(30)]
    for spent in (1, 70, 130):  # within what was drawn ahead, and well past it
        with pytest.raises(Boom), engine.transaction(VENDOR, T) as w:
            assert [w.new_uuid() for _ in range(spent)] == expected[30 : 30 + spent]
            raise Boom
    rest = [engine.new_uuid() for _ in range(130)]
    assert kept + rest == expected


def test_a_snapshot_taken_after_many_draws_goes_on_with_the_next_id(engine: Store) -> None:
    engine.reseed(5)
    ids = [engine.new_uuid() for _ in range(200)]
    engine.reseed(5)
    for _ in range(97):
        engine.new_uuid()
    snap = engine.snapshot()
    engine.new_uuid()
    engine.restore(snap)
    assert [engine.new_uuid() for _ in range(103)] == ids[97:]


def test_a_snapshot_restores_data_indexes_credentials_counters_and_ids(engine: Store) -> None:
    engine.put_tenant(VENDOR, T, namespace(), ["tok"])
    engine.next_int(VENDOR, "tag")
    snap = engine.snapshot()
    assert snap["format"] == "tagfake-state/1"
    following = engine.new_uuid()
    engine.drop()
    engine.restore(snap)
    assert engine.tenant_of(VENDOR, "tok") == T
    assert state(engine) == json.dumps(namespace().to_dict())
    with engine.read(VENDOR, T) as r:
        assert r.tag_by("name", "alpha") == "a"
        assert r.count_carrying("conv", "a") == 1
    assert engine.next_int(VENDOR, "tag") == 2
    assert engine.new_uuid() == following
    assert list(engine.iter_namespaces()) == [(VENDOR, T)]
    with pytest.raises(ValueError, match="snapshot"):
        engine.restore({"format": "something-else"})


def test_the_revision_moves_with_every_change(engine: Store) -> None:
    seen = engine.revision
    with engine.transaction(VENDOR, T) as w:
        w.put_tag("a", tag("A"))
    assert engine.revision != seen


# -- concurrency -----------------------------------------------------------------------------


def test_uniqueness_holds_under_concurrent_creates(engine: Store) -> None:
    """Threads race to create one name (the check-then-put a backend does): one wins."""
    winners: list[str] = []
    clashes: list[str] = []
    start = threading.Barrier(8)

    def create(who: int) -> None:
        start.wait()
        for round_ in range(25):
            key = f"{who}-{round_}"
            try:
                with engine.transaction(VENDOR, T) as w:
                    if w.tag_by("name", f"name {round_}") is not None:
                        clashes.append(key)
                        continue
                    w.put_tag(key, tag(f"Name {round_}"))
                winners.append(key)
            except Clash:
                clashes.append(key)

    threads = [threading.Thread(target=create, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 25
    assert len(clashes) == 8 * 25 - 25
    with engine.read(VENDOR, T) as r:
        assert r.tag_count() == 25
        assert sorted(r.tag_by("name", f"name {i}") or "" for i in range(25)) == sorted(winners)


def test_concurrent_read_modify_writes_lose_nothing(engine: Store) -> None:
    with engine.transaction(VENDOR, T) as w:
        w.put_tag("n", {"value": 0})

    def bump() -> None:
        for _ in range(200):
            with engine.transaction(VENDOR, T) as w:
                current = w.tag("n")
                assert current is not None
                w.put_tag("n", {"value": current["value"] + 1})

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with engine.read(VENDOR, T) as r:
        assert r.tag("n") == {"value": 800}


def test_concurrent_counters_never_repeat(engine: Store) -> None:
    got: list[int] = []

    def draw() -> None:
        for _ in range(100):
            with engine.transaction(VENDOR, T) as w:
                got.append(w.next_int("tag"))

    threads = [threading.Thread(target=draw) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == list(range(1, 401))
