"""The vendors' rules that rest on the store's indexes, on every engine: uniqueness under
concurrent requests, nothing changed and no id spent by a rejected request, cascades, counts."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from tagfake.clock import Clock
from tagfake.errors import Conflict, Invalid, TagfakeError
from tagfake.state.model import Entity, Namespace
from tagfake.state.store import Store
from tagfake.vendors.nexor.backend import NexorBackend
from tagfake.vendors.zapini.backend import ZapiniBackend

VIP = "550e8400-e29b-41d4-a716-446655440001"
CONV = "550e8400-e29b-41d4-a716-446655440045"
LEADS = [f"00000000-0000-4000-8000-00000000000{i}" for i in range(4)]


def zapini(store: Store) -> ZapiniBackend:
    backend = ZapiniBackend(store, Clock())
    tag = {"id": VIP, "name": "VIP", "color": "#f59e0b", "created_at": "x", "updated_at": "x"}
    ns = Namespace(tags={VIP: tag})
    ns.kind("conversations")[CONV] = Entity(attrs={"id": CONV}, tags=[VIP])
    store.put_tenant("zapini", "acme", ns, ["tok"])
    return backend


def nexor(store: Store) -> NexorBackend:
    backend = NexorBackend(store, Clock())
    ns = Namespace()
    for key in LEADS:
        ns.kind("leads")[key] = Entity(
            attrs={"id": key, "first_name": "L", "email": f"{key}@example.com", "updated_at": "x"}
        )
    store.put_tenant("nexor", "acme", ns, ["key"])
    return backend


def race(n: int, attempt: Callable[[int], object]) -> tuple[int, list[TagfakeError]]:
    """Run `attempt(i)` on n threads released together; (successes, errors raised)."""
    start = threading.Barrier(n)
    won: list[int] = []
    lost: list[TagfakeError] = []

    def go(i: int) -> None:
        start.wait()
        try:
            attempt(i)
            won.append(i)
        except TagfakeError as exc:
            lost.append(exc)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(won), lost


def test_zapini_concurrent_creates_of_one_name_make_one_tag(engine: Store) -> None:
    backend = zapini(engine)
    spellings = ["Urgent", "URGENT", "urgent", "uRgEnT"]
    won, lost = race(
        8, lambda i: backend.create_tag("acme", {"name": spellings[i % 4], "color": "#000000"})
    )
    assert won == 1
    assert all(isinstance(e, Invalid) and "already been taken" in str(e) for e in lost)
    assert [t["name"].casefold() for t in backend.list_tags("acme")].count("urgent") == 1


def test_zapini_rename_onto_a_taken_name_is_refused(engine: Store) -> None:
    backend = zapini(engine)
    other = backend.create_tag("acme", {"name": "Other", "color": "#000000"})
    with pytest.raises(Invalid, match="already been taken"):
        backend.update_tag("acme", other["id"], {"name": "vip"})
    assert backend.get_tag("acme", other["id"])["name"] == "Other"
    renamed = backend.update_tag("acme", VIP, {"name": "vip"})  # its own name, refolded
    assert renamed["name"] == "vip"


def test_a_rejected_create_changes_nothing_and_spends_no_id(engine: Store) -> None:
    backend = zapini(engine)
    engine.reseed(5)
    with pytest.raises(Invalid):
        backend.create_tag("acme", {"name": "vip", "color": "#000000"})
    created = backend.create_tag("acme", {"name": "New", "color": "#000000"})
    engine.reseed(5)
    assert created["id"] == engine.new_uuid()
    assert [t["name"] for t in backend.list_tags("acme")] == ["VIP", "New"]


def test_zapini_counts_are_live_and_a_delete_cascades(engine: Store) -> None:
    backend = zapini(engine)
    new = backend.create_tag("acme", {"name": "New", "color": "#000000"})
    assert backend.update_conversation_tags("acme", CONV, [VIP, new["id"]])
    assert {t["name"]: t["conversations_count"] for t in backend.list_tags("acme")} == {
        "VIP": 1,
        "New": 1,
    }
    backend.delete_tag("acme", VIP)
    assert [t["id"] for t in backend.get_conversation("acme", CONV)["tags"]] == [new["id"]]
    assert backend.get_tag("acme", new["id"])["conversations_count"] == 1


def test_nexor_concurrent_creates_of_one_slug_make_one_tag(engine: Store) -> None:
    backend = nexor(engine)
    won, lost = race(8, lambda i: backend.create_tag("acme", {"name": f"VIP {i}", "slug": "vip"}))
    assert won == 1
    assert all(isinstance(e, Conflict) for e in lost)
    assert [t["slug"] for t in backend.list_tags("acme")] == ["vip"]


def test_nexor_concurrent_syncs_find_or_create_one_tag_per_slug(engine: Store) -> None:
    backend = nexor(engine)
    names = ["Hot Lead", "hot lead", "HOT-LEAD", "Cold"]
    won, lost = race(
        8, lambda i: backend.sync_lead_tags("acme", {"lead_id": LEADS[i % 4], "tags": names})
    )
    assert (won, lost) == (8, [])
    assert sorted(t["slug"] for t in backend.list_tags("acme")) == ["cold", "hot-lead"]
    tags = {t["slug"]: t["id"] for t in backend.list_tags("acme")}
    for lead in LEADS:
        assert [t["id"] for t in backend.get_lead_tags("acme", lead)] == [
            tags["hot-lead"],
            tags["cold"],
        ]


def test_nexor_email_finds_the_earliest_lead_ignoring_case(engine: Store) -> None:
    backend = nexor(engine)
    created = backend.create_leads(
        "acme", {"first_name": "Twin", "email": LEADS[1].upper() + "@EXAMPLE.com"}
    )
    out = backend.sync_lead_tags("acme", {"email": f"{LEADS[1]}@Example.com", "tags": ["A"]})
    assert out["lead_id"] == LEADS[1]
    assert created["lead"]["id"] != LEADS[1]
