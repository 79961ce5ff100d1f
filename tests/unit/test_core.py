"""The vendor-neutral helpers over a store's tenant handle."""

from __future__ import annotations

import pytest

from tagfake import core
from tagfake.errors import NotFound
from tagfake.state.memory import MemoryStore
from tagfake.state.model import Entity, Namespace


def store() -> MemoryStore:
    s = MemoryStore()
    ns = Namespace(tags={k: {"id": k} for k in ("a", "b")})
    ns.kind("conv")["1"] = Entity(attrs={"id": "1"}, tags=["b", "a"])
    s.put_tenant("v", "t", ns, ["tok"])
    return s


def test_found_items_are_returned_and_missing_ones_are_the_named_not_found() -> None:
    with store().read("v", "t") as r:
        assert core.entity(r, "conv", "1", "Conversation") == Entity({"id": "1"}, ["b", "a"])
        assert core.require_entity(r, "conv", "1", "Conversation") == "1"
        assert core.tag(r, "a") == {"id": "a"}
        assert core.require_tag(r, "b") == "b"
        for missing in (
            lambda: core.entity(r, "conv", "2", "Conversation"),
            lambda: core.require_entity(r, "conv", "2", "Conversation"),
            lambda: core.entity(r, "lead", "1", "Conversation"),
        ):
            with pytest.raises(NotFound, match="Conversation"):
                missing()
        with pytest.raises(NotFound, match="Tag"):
            core.tag(r, "zz")
        with pytest.raises(NotFound, match="Label"):
            core.require_tag(r, "zz", "Label")


def test_dedupe_keeps_first_occurrence_order() -> None:
    assert core.dedupe(["b", "a", "b", "c", "a"]) == ["b", "a", "c"]
