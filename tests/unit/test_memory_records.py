"""The memory store hands out copies: changing a record it answered, at any depth, never
changes what it keeps, and the copy keeps every value it was given."""

from __future__ import annotations

from typing import Any

from tagfake.state.records import copy_json, pack, unpack


def _lead() -> dict[str, Any]:
    return {
        "id": "l1",
        "email": None,
        "score": 1.5,
        "vip": True,
        "metadata": {"plan": "pro", "seats": [1, 2, {"deep": ["x"]}], "big": 2**80},
    }


def test_a_nested_record_comes_back_equal_and_independent() -> None:
    sent = _lead()
    kept = pack(sent)
    sent["metadata"]["seats"][2]["deep"].append("changed by the caller")  # after packing

    first = unpack(kept)
    assert first == _lead()
    first["metadata"]["seats"][2]["deep"].append("changed by a reader")
    first["metadata"]["plan"] = "free"
    first["email"] = "set by a reader"
    assert unpack(kept) == _lead()


def test_a_flat_record_is_copied_too() -> None:
    kept = pack({"id": "t1", "name": "VIP"})
    answer = unpack(kept)
    answer["name"] = "changed"
    assert unpack(kept) == {"id": "t1", "name": "VIP"}


def test_containers_json_does_not_have_are_still_copied_deeply() -> None:
    inner: list[int] = [1]
    value = {"pair": (inner, 2), "set": {1, 2}}
    copied = copy_json(value)
    assert copied == value
    inner.append(99)
    value["set"].add(3)  # type: ignore[attr-defined]
    assert copied == {"pair": ([1], 2), "set": {1, 2}}
