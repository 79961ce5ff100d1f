"""Our CommBox contract covers exactly the tag operations of CommBox's own published spec.

The two specs must agree on the (path, method) pairs, on the parameters of every operation
(path-level and operation-level, `$ref`s resolved) and on the request-body field names. Ours may
accept a few body fields beyond the published spec, each one documented elsewhere by the vendor
(listed in `EXTRA_BODY_FIELDS`); every published field, including the update's `"Tag Group Id"`
spelled with spaces, must be accepted by ours.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
OURS_PATH = ROOT / "specs" / "commbox.openapi.yaml"
OFFICIAL_PATH = ROOT / "specs" / "sources" / "commbox-official-openapi-tags.json"

HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})

Spec = dict[str, Any]
Operation = tuple[str, str]  # (method, path)

# Body fields ours accepts beyond the published spec, as dotted paths, each from the vendor's docs.
EXTRA_BODY_FIELDS: dict[Operation, frozenset[str]] = {
    # The "Create a Tag" page (help.commbox.io, 2025) adds `Type`; the May 2025 spec lacks it.
    ("post", "/tags"): frozenset({"data.Type"})
    # The published spec spells the update's group field with spaces; create takes that spelling
    # for each of its fields too (one rule for both operations).
    | frozenset({"data.Tag Group Id", "data.Object Tag", "data.User Tag", "data.Child Tag"}),
    # The help site spells the group field `TagGroupId`; the published spec says "Tag Group Id".
    ("post", "/tags/{TAG_ID}"): frozenset({"data.TagGroupId"}),
}


def _load(path: Path) -> Spec:
    text = path.read_text(encoding="utf-8")
    loaded = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    assert isinstance(loaded, dict), f"{path} is not a mapping"
    return loaded


@cache
def ours() -> Spec:
    """Our contract, `specs/commbox.openapi.yaml`."""
    return _load(OURS_PATH)


@cache
def official() -> Spec:
    """The copy of CommBox's published spec (tag operations only)."""
    return _load(OFFICIAL_PATH)


def _pointer(spec: Spec, ref: str) -> Any:
    """Follow one local JSON pointer such as `#/components/parameters/TAG_ID/schema`."""
    assert ref.startswith("#/"), f"only local $refs are expected, got {ref!r}"
    node: Any = spec
    for raw in ref[2:].split("/"):
        key = raw.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and key in node, f"dangling $ref {ref!r}"
        node = node[key]
    return node


def resolve(spec: Spec, node: Any) -> Any:
    """Resolve `node` while it is a `$ref`, guarding against cycles."""
    seen: set[str] = set()
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert isinstance(ref, str) and ref not in seen, f"cyclic or bad $ref {ref!r}"
        seen.add(ref)
        node = _pointer(spec, ref)
    return node


def operations(spec: Spec) -> dict[Operation, tuple[Spec, Spec]]:
    """Every operation as (method, path) -> (path item, operation)."""
    found: dict[Operation, tuple[Spec, Spec]] = {}
    for path, raw_item in spec.get("paths", {}).items():
        item = resolve(spec, raw_item)
        for method, operation in item.items():
            if method in HTTP_METHODS:
                found[(method, path)] = (item, operation)
    return found


def parameters(spec: Spec, operation: Operation) -> set[tuple[str, str]]:
    """The (location, name) of every parameter, path-level and operation-level."""
    item, op = operations(spec)[operation]
    names: set[tuple[str, str]] = set()
    for raw in [*item.get("parameters", []), *op.get("parameters", [])]:
        parameter = resolve(spec, raw)
        names.add((parameter["in"], parameter["name"]))
    return names


def _schema_fields(spec: Spec, raw: Any, prefix: str, depth: int = 0) -> Iterator[str]:
    """Dotted names of every property a schema declares (through allOf/anyOf/oneOf and items)."""
    assert depth < 32, f"schema nesting too deep at {prefix!r}"
    schema = resolve(spec, raw)
    if not isinstance(schema, dict):
        return
    for name, sub in schema.get("properties", {}).items():
        dotted = f"{prefix}.{name}" if prefix else name
        yield dotted
        yield from _schema_fields(spec, sub, dotted, depth + 1)
    for keyword in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(keyword, []):
            yield from _schema_fields(spec, sub, prefix, depth + 1)
    if "items" in schema:
        yield from _schema_fields(spec, schema["items"], f"{prefix}[]", depth + 1)


def body_fields(spec: Spec, operation: Operation) -> set[str] | None:
    """The JSON request body's field names, or None when the operation takes no body."""
    _, op = operations(spec)[operation]
    if "requestBody" not in op:
        return None
    body = resolve(spec, op["requestBody"])
    media = body["content"]["application/json"]
    return set(_schema_fields(spec, media["schema"], ""))


OFFICIAL_OPERATIONS = sorted(operations(official()))


def _op_id(operation: Operation) -> str:
    method, path = operation
    return f"{method.upper()} {path}"


def test_paths_and_methods_are_exactly_the_official_ones() -> None:
    assert set(operations(ours())) == set(operations(official()))


@pytest.mark.parametrize("operation", OFFICIAL_OPERATIONS, ids=_op_id)
def test_parameter_names_match_official(operation: Operation) -> None:
    assert parameters(ours(), operation) == parameters(official(), operation)


@pytest.mark.parametrize("operation", OFFICIAL_OPERATIONS, ids=_op_id)
def test_request_body_fields_match_official(operation: Operation) -> None:
    published = body_fields(official(), operation)
    accepted = body_fields(ours(), operation)
    if published is None:
        assert accepted is None, "the published operation takes no request body"
        return
    assert accepted is not None, "the published operation takes a request body"
    assert published - accepted == set(), "published fields ours does not accept"
    assert accepted - published == EXTRA_BODY_FIELDS.get(operation, frozenset())


def test_update_tag_accepts_both_spellings_of_the_group_field() -> None:
    accepted = body_fields(ours(), ("post", "/tags/{TAG_ID}"))
    assert accepted is not None
    assert {"data.Tag Group Id", "data.TagGroupId"} <= accepted


@pytest.mark.parametrize("operation", OFFICIAL_OPERATIONS, ids=_op_id)
def test_response_statuses_include_the_official_ones(operation: Operation) -> None:
    """The published spec lists 501 (and its other statuses) on every operation; so do we."""
    published = set(operations(official())[operation][1]["responses"])
    assert published <= set(operations(ours())[operation][1]["responses"])


def test_extra_body_fields_name_real_operations() -> None:
    assert set(EXTRA_BODY_FIELDS) <= set(OFFICIAL_OPERATIONS)
