"""A vendor's spec, loaded and compiled once at start: operations, parameters, bodies, responses."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from tagfake.contract.schema import CompiledSchema, deref

# libyaml when PyYAML was built with it: the specs are parsed at every app start.
SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


@dataclass(frozen=True)
class Param:
    name: str
    location: str  # path | query | header
    required: bool
    schema: CompiledSchema

    @property
    def type(self) -> str:
        t = self.schema.json_schema.get("type", "string")
        if isinstance(t, list):
            t = next((x for x in t if x != "null"), "string")
        return str(t)


@dataclass
class OperationContract:
    operation_id: str
    method: str
    path: str
    params: list[Param]
    body: CompiledSchema | None
    body_required: bool
    body_media: list[str]
    responses: dict[str, CompiledSchema | None]
    raw: dict[str, Any] = field(repr=False, default_factory=dict)

    def response_schema(self, status: int) -> tuple[bool, CompiledSchema | None]:
        """(documented?, schema or None when the status has no JSON body)."""
        for key in (str(status), f"{str(status)[0]}XX", "default"):
            if key in self.responses:
                return True, self.responses[key]
        return False, None


@dataclass
class VendorContract:
    vendor: str
    path: Path
    document: dict[str, Any]
    operations: dict[str, OperationContract]
    shared_responses: dict[str, CompiledSchema | None]
    _routes: list[tuple[re.Pattern[str], dict[str, str]]]

    def methods_for(self, path: str) -> list[str] | None:
        """The methods a concrete path supports, or None when no path of the spec matches it.
        Concrete paths match before templated ones (OpenAPI: `/leads/tags` before
        `/leads/{id}`), so the answer is that of the path the request names."""
        route = self.route_for(path)
        return None if route is None else sorted(m.upper() for m in route)

    def route_for(self, path: str) -> dict[str, str] | None:
        """Method → operationId of the most concrete spec path matching `path`."""
        for pattern, by_method in self._routes:
            if pattern.fullmatch(path):
                return by_method
        return None

    def assumptions(self) -> list[tuple[str, str]]:
        """Every `x-tagfake-assumption` in the spec, as (JSON pointer, text)."""
        found: list[tuple[str, str]] = []
        stack: list[tuple[str, Any]] = [("", self.document)]
        while stack:
            where, node = stack.pop()
            if isinstance(node, dict):
                text = node.get("x-tagfake-assumption")
                if isinstance(text, str):
                    found.append((where or "/", text))
                stack.extend((f"{where}/{k}", v) for k, v in node.items())
            elif isinstance(node, list):
                stack.extend((f"{where}/{i}", v) for i, v in enumerate(node))
        return sorted(found)


def _media_schema(root: dict[str, Any], content: dict[str, Any]) -> tuple[list[str], Any]:
    media = list(content)
    for name in media:
        if "json" in name:
            return media, content[name].get("schema")
    return media, None


def _compile_response(root: dict[str, Any], resp: Any) -> CompiledSchema | None:
    resp = deref(root, resp)
    _, schema = _media_schema(root, resp.get("content") or {})
    return CompiledSchema(root, schema) if schema is not None else None


def _path_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}/]+\})", template)
    body = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(body.rstrip("/") + "/?" if body != "/" else "/?")


def compile_contract(vendor: str, path: Path) -> VendorContract:
    root = load_document(path)
    operations: dict[str, OperationContract] = {}
    routes: list[tuple[re.Pattern[str], dict[str, str]]] = []
    for template, item in (root.get("paths") or {}).items():
        shared_params = item.get("parameters", [])
        by_method: dict[str, str] = {}
        for method in HTTP_METHODS:
            op = item.get(method)
            if op is None:
                continue
            op_id = op["operationId"]
            by_method[method] = op_id
            merged: dict[tuple[str, str], Any] = {}
            for ref in [*shared_params, *op.get("parameters", [])]:
                p = deref(root, ref)
                merged[(p["name"], p["in"])] = p
            params = [
                Param(
                    name=p["name"],
                    location=p["in"],
                    required=bool(p.get("required", p["in"] == "path")),
                    schema=CompiledSchema(root, p.get("schema", {})),
                )
                for p in merged.values()
            ]
            body = None
            body_required = False
            body_media: list[str] = []
            if "requestBody" in op:
                rb = deref(root, op["requestBody"])
                body_required = bool(rb.get("required", False))
                body_media, schema = _media_schema(root, rb.get("content") or {})
                body = CompiledSchema(root, schema) if schema is not None else None
            responses = {
                str(code): _compile_response(root, resp)
                for code, resp in (op.get("responses") or {}).items()
            }
            operations[op_id] = OperationContract(
                op_id, method, template, params, body, body_required, body_media, responses, op
            )
        routes.append((_path_regex(template), by_method))
    shared = {
        name: _compile_response(root, resp)
        for name, resp in ((root.get("components") or {}).get("responses") or {}).items()
    }
    # Fewest template parameters first: a concrete path wins over a templated one.
    routes.sort(key=lambda route: route[0].pattern.count("[^/]+"))
    return VendorContract(vendor, path, root, operations, shared, routes)


@cache
def _load_cached(path: Path, mtime: float) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        doc = yaml.load(fh, Loader=SAFE_LOADER)
    if not isinstance(doc, dict):
        raise ValueError(f"{path}: not an OpenAPI document")
    return doc


def load_document(path: Path) -> dict[str, Any]:
    """Parsed once per file version; callers must not mutate the result."""
    return _load_cached(path.resolve(), path.stat().st_mtime)
