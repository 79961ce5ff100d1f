"""Making two answers comparable: ids mapped between the worlds, timestamps and order ignored."""

from __future__ import annotations

from pathlib import Path

from tagfake.contract.spec import compile_contract
from tagfake.proxy.compare import IdMap, differences, is_id_key, normalise, rules_for

SPECS = Path(__file__).resolve().parents[2] / "specs"


def test_id_fields() -> None:
    for key in ("id", "tag_ids", "tagId", "lead_id", "groupId", "Tag Group Id", "added", "removed"):
        assert is_id_key(key), key
    for key in ("name", "conversations_count", "type", "video"):
        assert not is_id_key(key), key


def test_new_ids_are_paired_where_both_answers_show_them_and_translated() -> None:
    ids = IdMap()
    ids.learn({"data": {"id": 10, "name": "x"}}, {"data": {"id": 5, "name": "x"}})
    assert ids.to_shadow == {"10": "5"}
    # Requests to the shadow: upstream → shadow, at id fields only (not at a count of 10).
    assert ids.translate({"tags": [{"id": 10}], "count": 10}, ids.to_shadow) == {
        "tags": [{"id": 5}],
        "count": 10,
    }
    # CommBox answers integer ids as strings: the type of each side is kept.
    assert ids.translate({"data": {"id": "5"}}, ids.to_upstream) == {"data": {"id": "10"}}
    # Lists of unequal length pair nothing; a known id is never paired twice.
    ids.learn({"added": [1, 2]}, {"added": [3]})
    ids.learn({"id": 10}, {"id": 7})
    assert ids.to_shadow == {"10": "5"}


def test_timestamps_and_undefined_order_are_ignored() -> None:
    a = {"data": [{"id": 1, "created_at": "2026-01-01T00:00:00Z"}, {"id": 2}], "response_time": "x"}
    b = {
        "data": [{"id": 2}, {"id": 1, "created_at": "2026-12-01T10:00:00.5Z"}],
        "response_time": "y",
    }
    assert normalise(a, False) == normalise(b, False)
    assert normalise(a, True) != normalise(b, True)  # where the vendor defines the order


def test_differences_are_pointed_at() -> None:
    found = differences({"data": {"tags": [1, 2], "n": 1}}, {"data": {"tags": [1, 3]}, "x": 0})
    assert {"where": "/data/tags/1", "upstream": 2, "shadow": 3} in found
    assert {"where": "/data/n", "upstream": 1, "shadow": "(absent)"} in found
    assert {"where": "/x", "upstream": "(absent)", "shadow": 0} in found


def test_rules_name_the_operation_and_its_assumptions_field_first() -> None:
    contract = compile_contract("zapini", SPECS / "zapini.openapi.yaml")
    rules = rules_for(contract, contract.operations["createTag"], {"status"}, (201, 422))
    assert rules[0].startswith("createTag (POST /tags): Create a new tag")
    assert "case-insensitively" in rules[1]
