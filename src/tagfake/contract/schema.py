"""Turn OpenAPI 3.0 schemas into JSON Schema 2020-12 and compile them once with jsonschema_rs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jsonschema_rs

DIALECT = "https://json-schema.org/draft/2020-12/schema"
# OpenAPI-only keywords with no JSON Schema meaning.
_DROP = {"nullable", "example", "examples", "discriminator", "xml", "externalDocs", "deprecated"}


def resolve_ref(root: dict[str, Any], ref: str) -> Any:
    if not ref.startswith("#/"):
        raise ValueError(f"only local references are supported: {ref}")
    node: Any = root
    for part in ref[2:].split("/"):
        try:
            node = node[part.replace("~1", "/").replace("~0", "~")]
        except (KeyError, TypeError):
            raise ValueError(f"$ref {ref} points at nothing") from None
    return node


def deref(root: dict[str, Any], node: Any) -> Any:
    """Follow `$ref` chains at the top of a node (parameters, responses, request bodies)."""
    seen: set[str] = set()
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if ref in seen:
            raise ValueError(f"circular reference {ref}")
        seen.add(ref)
        node = resolve_ref(root, ref)
    return node


def to_json_schema(root: dict[str, Any], schema: Any, _depth: int = 0) -> Any:
    """Inline references and translate `nullable`; our specs have no recursive schemas."""
    if _depth > 64:
        raise ValueError("schema nesting too deep (recursive $ref?)")
    if isinstance(schema, list):
        return [to_json_schema(root, s, _depth + 1) for s in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        return to_json_schema(root, resolve_ref(root, schema["$ref"]), _depth + 1)
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _DROP or key.startswith("x-"):
            continue
        if key in {"properties", "patternProperties"}:
            out[key] = {k: to_json_schema(root, v, _depth + 1) for k, v in value.items()}
        elif key in {"items", "not", "additionalProperties"} or key in {"allOf", "anyOf", "oneOf"}:
            out[key] = to_json_schema(root, value, _depth + 1)
        else:
            out[key] = value
    if schema.get("nullable") is True:
        if "type" in out:
            types = out["type"] if isinstance(out["type"], list) else [out["type"]]
            out["type"] = [*types, "null"]
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
        if "type" not in out and "enum" not in out:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


@dataclass(frozen=True)
class Violation:
    """One schema failure: where in the instance (dotted path) and what is wrong."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path or '(root)'}: {self.message}"


class CompiledSchema:
    def __init__(self, root: dict[str, Any], schema: Any) -> None:
        self.source = schema
        doc = to_json_schema(root, schema)
        if isinstance(doc, dict):
            doc = {"$schema": DIALECT, **doc}
        self.json_schema = doc
        self._validator = jsonschema_rs.validator_for(doc, validate_formats=True)

    def is_valid(self, instance: Any) -> bool:
        return bool(self._validator.is_valid(instance))

    def violations(self, instance: Any, limit: int = 20) -> list[Violation]:
        if self._validator.is_valid(instance):  # most documents: half the cost of iter_errors
            return []
        found: list[Violation] = []
        for err in self._validator.iter_errors(instance):
            found.append(Violation(".".join(str(p) for p in err.instance_path), err.message))
            if len(found) >= limit:
                break
        return found
