"""The vendor-neutral tag core on a bare namespace."""

from __future__ import annotations

import pytest

from tagfake import core
from tagfake.errors import NotFound
from tagfake.state.model import Entity, Namespace


def make_ns() -> Namespace:
    ns = Namespace(tags={k: {"id": k} for k in ("a", "b", "c")})
    ns.kind("conv")["1"] = Entity(attrs={"id": "1"}, tags=["a", "b"])
    ns.kind("conv")["2"] = Entity(attrs={"id": "2"}, tags=["b"])
    ns.kind("lead")["x"] = Entity(attrs={"id": "x"}, tags=["b", "c"])
    return ns


def test_replace_set_makes_the_set_exactly_the_request_and_reports_the_differences() -> None:
    ns = make_ns()
    change = core.replace_set(ns, "conv", "1", ["c", "b", "c"])
    assert ns.kind("conv")["1"].tags == ["c", "b"]
    assert change.added == ["c"]
    assert change.removed == ["a"]


def test_replace_set_twice_changes_nothing_the_second_time() -> None:
    ns = make_ns()
    core.replace_set(ns, "conv", "1", ["c"])
    again = core.replace_set(ns, "conv", "1", ["c"])
    assert not again.changed
    assert ns.kind("conv")["1"].tags == ["c"]


def test_replace_set_with_nothing_clears_and_touches_no_other_entity() -> None:
    ns = make_ns()
    change = core.replace_set(ns, "conv", "1", [])
    assert ns.kind("conv")["1"].tags == []
    assert change.removed == ["a", "b"]
    assert ns.kind("conv")["2"].tags == ["b"]
    assert ns.kind("lead")["x"].tags == ["b", "c"]


def test_replace_set_on_an_unknown_entity_is_not_found() -> None:
    with pytest.raises(NotFound):
        core.replace_set(make_ns(), "conv", "9", ["a"])


def test_attach_and_detach_are_idempotent() -> None:
    ns = make_ns()
    assert core.attach(ns, "conv", "2", "c") is True
    assert core.attach(ns, "conv", "2", "c") is False
    assert core.detach(ns, "conv", "2", "c") is True
    assert core.detach(ns, "conv", "2", "c") is False
    assert ns.kind("conv")["2"].tags == ["b"]


def test_delete_tags_cascades_to_every_entity_of_every_kind() -> None:
    ns = make_ns()
    assert core.delete_tags(ns, ["b", "zzz"]) == ["b"]
    assert "b" not in ns.tags
    assert ns.kind("conv")["1"].tags == ["a"]
    assert ns.kind("conv")["2"].tags == []
    assert ns.kind("lead")["x"].tags == ["c"]


def test_count_carrying_is_live() -> None:
    ns = make_ns()
    assert core.count_carrying(ns, "conv", "b") == 2
    core.detach(ns, "conv", "1", "b")
    assert core.count_carrying(ns, "conv", "b") == 1
    assert core.count_carrying(ns, "lead", "b") == 1


def test_find_tag_returns_the_first_match_or_none() -> None:
    ns = make_ns()
    assert core.find_tag(ns, lambda t: t["id"] in {"b", "c"}) == "b"
    assert core.find_tag(ns, lambda t: False) is None


def test_dedupe_keeps_first_occurrence_order() -> None:
    assert core.dedupe(["b", "a", "b", "c", "a"]) == ["b", "a", "c"]
