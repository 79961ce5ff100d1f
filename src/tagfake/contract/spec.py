"""A vendor's spec, loaded and compiled once at start: operations, parameters, bodies, responses."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from tagfake.contract import parsed_cache
from tagfake.contract.schema import CompiledSchema, deref

# libyaml when PyYAML was built with it: the specs are parsed at every app start.
SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


class SpecError(ValueError):
    """A spec that cannot be served, as one line: `file:line: what is wrong`."""

    def __init__(self, file: Path | str, line: int | None, message: str) -> None:
        self.file = str(file)
        self.line = line
        self.message = message
        where = f"{self.file}:{line}" if line is not None else self.file
        super().__init__(f"{where}: {message}")


def line_of(path: Path, where: list[str]) -> int | None:
    """The line of the node at `where` (keys from the top) in a YAML file, or of the deepest
    node found on the way; None when the file cannot be read again."""
    try:
        node = yaml.compose(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    if node is None:
        return 1
    line: int = node.start_mark.line + 1
    for key in where:
        if isinstance(node, yaml.MappingNode):
            match = next((kv for kv in node.value if str(kv[0].value) == key), None)
            if match is None:
                break
            line, node = match[0].start_mark.line + 1, match[1]
        elif isinstance(node, yaml.SequenceNode) and key.isdigit() and int(key) < len(node.value):
            node = node.value[int(key)]
            line = node.start_mark.line + 1
        else:
            break
    return line


def _problem(exc: Exception) -> str:
    """What is wrong, in the spec's terms (never a Python message)."""
    if isinstance(exc, KeyError):
        return f"{exc.args[0]!r} is missing or does not resolve"
    if isinstance(exc, ValueError) and str(exc):
        return str(exc).split("\n", 1)[0]
    return "not shaped as OpenAPI 3 requires here"


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
    #: What `response_schema` found for each status answered so far (a few per operation).
    _by_status: dict[int, tuple[bool, CompiledSchema | None]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def response_schema(self, status: int) -> tuple[bool, CompiledSchema | None]:
        """(documented?, schema or None when the status has no JSON body)."""
        found = self._by_status.get(status)
        if found is None:
            found = self._by_status[status] = self._response_schema(status)
        return found

    def _response_schema(self, status: int) -> tuple[bool, CompiledSchema | None]:
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
    """The vendor's compiled contract; a spec that cannot be read or compiled is a SpecError."""
    root = load_document(path)
    where: list[str] = []
    try:
        return _compile(vendor, path, root, where)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        pointer = ".".join(where) or "(top)"
        raise SpecError(path, line_of(path, where), f"{pointer}: {_problem(exc)}") from None


def _compile(vendor: str, path: Path, root: dict[str, Any], where: list[str]) -> VendorContract:
    operations: dict[str, OperationContract] = {}
    routes: list[tuple[re.Pattern[str], dict[str, str]]] = []
    for template, item in (root.get("paths") or {}).items():
        where[:] = ["paths", template]
        shared_params = item.get("parameters", [])
        by_method: dict[str, str] = {}
        for method in HTTP_METHODS:
            op = item.get(method)
            if op is None:
                continue
            where[:] = ["paths", template, method]
            op_id = op.get("operationId")
            if not isinstance(op_id, str) or not op_id:
                raise ValueError("every operation needs an operationId")
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
                where[:] = ["paths", template, method, "requestBody"]
                rb = deref(root, op["requestBody"])
                body_required = bool(rb.get("required", False))
                body_media, schema = _media_schema(root, rb.get("content") or {})
                body = CompiledSchema(root, schema) if schema is not None else None
            responses: dict[str, CompiledSchema | None] = {}
            for code, resp in (op.get("responses") or {}).items():
                where[:] = ["paths", template, method, "responses", str(code)]
                responses[str(code)] = _compile_response(root, resp)
            operations[op_id] = OperationContract(
                op_id, method, template, params, body, body_required, body_media, responses, op
            )
        routes.append((_path_regex(template), by_method))
    where[:] = ["components", "responses"]
    shared = {
        name: _compile_response(root, resp)
        for name, resp in ((root.get("components") or {}).get("responses") or {}).items()
    }
    # Fewest template parameters first: a concrete path wins over a templated one.
    routes.sort(key=lambda route: route[0].pattern.count("[^/]+"))
    return VendorContract(vendor, path, root, operations, shared, routes)


@cache
def _load_cached(path: Path, mtime: float) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(path, None, f"not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise SpecError(path, None, f"cannot be read ({exc.strerror or exc})") from None
    doc = parsed_cache.get(raw)
    if doc is None:
        doc = _parse_yaml(path, text)
        parsed_cache.put(raw, doc)
    if not isinstance(doc, dict) or not isinstance(doc.get("paths"), dict):
        raise SpecError(path, 1, "not an OpenAPI document (no `paths` mapping)")
    if not str(doc.get("openapi", "")).startswith("3."):
        raise SpecError(path, line_of(path, ["openapi"]), "not OpenAPI 3 (no `openapi: 3.x`)")
    return doc


def _parse_yaml(path: Path, text: str) -> Any:
    try:
        return yaml.load(text, Loader=SAFE_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise SpecError(
            path, mark.line + 1 if mark else None, f"not valid YAML: {exc.problem}"
        ) from None
    except yaml.YAMLError as exc:
        raise SpecError(path, None, f"not valid YAML: {exc}") from None


def load_document(path: Path) -> dict[str, Any]:
    """Parsed once per file version; callers must not mutate the result."""
    try:
        mtime = path.stat().st_mtime
    except OSError as exc:
        raise SpecError(path, None, f"cannot be read ({exc.strerror or exc})") from None
    if not path.is_file():
        raise SpecError(path, None, "is not a file")
    return _load_cached(path.resolve(), mtime)
