"""Nexor's slug rule and the sync's field search, without HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from tagfake.vendors.nexor.search import find_fields
from tagfake.vendors.nexor.slug import slugify

FIELDS = ("lead_id", "email", "tags")


def nest(inner: Any, levels: int) -> dict[str, Any]:
    """`inner` wrapped in `levels` objects (`{"n": {"n": … inner}}`), built without recursion."""
    doc: Any = inner
    for _ in range(levels):
        doc = {"n": doc}
    assert isinstance(doc, dict)
    return doc


# -- slugify ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "slug"),
    [
        # The docs' examples.
        ("VIP", "vip"),
        ("Follow-up", "follow-up"),
        ("VIP Client", "vip-client"),
        ("Hot Lead", "hot-lead"),
        # The rule: ASCII transliteration, lowercase, runs outside [a-z0-9] → one "-", trimmed.
        ("  --Hot   Lead!! ", "hot-lead"),
        ("a_b.c/d", "a-b-c-d"),
        ("Q3 2026", "q3-2026"),
        ("María", "maria"),
        ("Über", "uber"),
        ("Ñandú", "nandu"),
        ("Straße Øst", "strasse-ost"),
        ("already-a-slug", "already-a-slug"),
    ],
)
def test_slugify_follows_the_documented_examples_and_rule(name: str, slug: str) -> None:
    assert slugify(name) == slug


@pytest.mark.parametrize("name", ["", "!!!", " - ", "…—…"])
def test_slugify_name_without_letter_or_digit_is_empty(name: str) -> None:
    assert slugify(name) == ""


def test_slugify_long_and_repeated_names_follow_the_same_rule() -> None:
    long = "Über Größe! " * 40  # past the names whose slugs are kept
    assert slugify(long) == "-".join(["uber-grosse"] * 40)
    assert [slugify("Hot Lead") for _ in range(3)] == ["hot-lead"] * 3


def test_slugify_names_differing_in_case_and_punctuation_share_a_slug() -> None:
    assert slugify("VIP") == slugify("vip") == slugify(" Vip! ")


# -- find_fields ------------------------------------------------------------------------------
def test_find_fields_top_level() -> None:
    body = {"lead_id": "L", "email": "e@x", "tags": ["VIP"]}
    assert find_fields(body, FIELDS, 32) == body


def test_find_fields_nested_in_objects_and_arrays() -> None:
    body = {"event": "x", "payload": [{"lead": {"email": "e@x", "tags": []}}]}
    assert find_fields(body, FIELDS, 32) == {"email": "e@x", "tags": []}


def test_find_fields_shallowest_wins_over_earlier_deeper() -> None:
    # Depth-first would find "deep" first (it comes first in the document).
    body = {"a": {"b": {"email": "deep"}}, "c": {"email": "shallow"}}
    assert find_fields(body, FIELDS, 32) == {"email": "shallow"}


def test_find_fields_top_level_beats_nested_even_when_later() -> None:
    body = {"payload": {"lead_id": "nested"}, "lead_id": "top"}
    assert find_fields(body, FIELDS, 32)["lead_id"] == "top"


def test_find_fields_tie_goes_to_first_in_document_order() -> None:
    body = {"a": {"email": "first"}, "b": {"email": "second"}}
    assert find_fields(body, FIELDS, 32) == {"email": "first"}
    listed = {"items": [{"email": "first"}, {"email": "second"}]}
    assert find_fields(listed, FIELDS, 32) == {"email": "first"}


def test_find_fields_null_counts_as_absent() -> None:
    body = {"lead_id": None, "lead": {"lead_id": "nested"}}
    assert find_fields(body, FIELDS, 32) == {"lead_id": "nested"}


def test_find_fields_takes_non_null_values_as_they_are() -> None:
    body = {"tags": "VIP", "email": 5, "deeper": {"tags": ["VIP"]}}
    assert find_fields(body, FIELDS, 32) == {"tags": "VIP", "email": 5}


def test_find_fields_each_name_found_at_its_own_depth() -> None:
    body = {"tags": ["VIP"], "a": {"b": {"lead_id": "L"}}}
    assert find_fields(body, FIELDS, 32) == {"tags": ["VIP"], "lead_id": "L"}


def test_find_fields_keys_only_not_string_values() -> None:
    assert find_fields({"list": ["lead_id", "email"], "name": "tags"}, FIELDS, 32) == {}


@pytest.mark.parametrize("doc", [None, "lead_id", 5, [], {}])
def test_find_fields_nothing_to_find(doc: Any) -> None:
    assert find_fields(doc, FIELDS, 32) == {}


def test_find_fields_respects_the_depth_bound() -> None:
    # The root object is level 1, so the object holding lead_id is level 4.
    body = nest({"lead_id": "L"}, 3)
    assert find_fields(body, FIELDS, 4) == {"lead_id": "L"}
    assert find_fields(body, FIELDS, 3) == {}


def test_find_fields_10000_levels_deep_without_recursion_error() -> None:
    body = nest({"lead_id": "bottom"}, 10_000)
    assert find_fields(body, FIELDS, 32) == {}
    assert find_fields(body, FIELDS, 20_000) == {"lead_id": "bottom"}


def test_find_fields_10000_levels_of_arrays_without_recursion_error() -> None:
    doc: Any = [{"email": "bottom"}]
    for _ in range(10_000):
        doc = [doc]
    assert find_fields(doc, FIELDS, 32) == {}
    assert find_fields(doc, FIELDS, 20_000) == {"email": "bottom"}
