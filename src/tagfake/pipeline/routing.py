"""Routing compiled from the specs at start.

A concrete spec path (`/tags`, `/leads/tags`) is one dict lookup on the full request path; a
templated one (`/tags/{uuid}`) one regular expression per spec path, in the spec's order, with
the path values typed as connexion's router types them. Only a full match (path and method)
is decided here; everything else (a known path with another method, trailing slashes, unknown
paths) goes through connexion's router (`tagfake.app_connexion`), and RouteCheck reads both
the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from tagfake.contract.spec import VendorContract
from tagfake.pipeline.http import Scope
from tagfake.pipeline.routes import CONCRETE, ROUTING_CONTEXT

Route = dict[str, tuple[str, str]]  # METHOD → (mount prefix, operationId)

# connexion's path convertors (connexion.frameworks.starlette): regex and conversion per type.
_TYPED: dict[str, tuple[str, Callable[[str], Any]]] = {
    "integer": (r"[+-]?[0-9]+", int),
    "number": (r"[+-]?[0-9]*(?:\.[0-9]*)?", float),
}
_STRING = (r"[^/]+", str)
_PARAM = re.compile(r"\{([^}/]+)\}")


@dataclass(frozen=True)
class Template:
    pattern: re.Pattern[str]
    names: tuple[str, ...]
    converters: tuple[Callable[[str], Any], ...]
    route: Route


@dataclass(frozen=True)
class RouteTable:
    concrete: dict[str, Route]
    templates: tuple[Template, ...]

    def find(self, path: str, method: str) -> tuple[str, str, dict[str, Any]] | None:
        """(prefix, operationId, path values) of the operation a request names, or None. A
        concrete path's operation comes with no path values (a template has at least one)."""
        route = self.concrete.get(path)
        if route is not None:
            found = route.get(method)
            return None if found is None else (found[0], found[1], {})
        for t in self.templates:
            found = t.route.get(method)
            if found is None:
                continue
            match = t.pattern.fullmatch(path)
            if match is None:
                continue
            try:
                values = {
                    n: convert(v)
                    for n, convert, v in zip(t.names, t.converters, match.groups(), strict=True)
                }
            except ValueError:
                return None  # connexion's router decides (`/profiles/.`)
            return found[0], found[1], values
        return None


def compile_routes(mounts: Iterable[tuple[str, VendorContract]]) -> RouteTable:
    concrete: dict[str, Route] = {}
    templated: dict[str, tuple[Template, Route]] = {}
    for prefix, contract in mounts:
        for op in contract.operations.values():
            key = (op.method.upper(), op.operation_id)
            full = prefix + op.path
            if "{" not in op.path:
                concrete.setdefault(full, {})[key[0]] = (prefix, key[1])
                continue
            if full not in templated:
                types = {
                    p.name: p.type for p in op.params if p.location == "path"
                }  # shared by the path's operations
                names = tuple(_PARAM.findall(full))
                typed = [_TYPED.get(types.get(n, "string"), _STRING) for n in names]
                regex = "".join(
                    f"({typed[i // 2][0]})" if i % 2 else re.escape(part)
                    for i, part in enumerate(_PARAM.split(full))
                )
                route: Route = {}
                template = Template(re.compile(regex), names, tuple(c for _, c in typed), route)
                templated[full] = (template, route)
            templated[full][1][key[0]] = (prefix, key[1])
    return RouteTable(concrete, tuple(t for t, _ in templated.values()))


def route(scope: Scope, table: RouteTable) -> bool:
    """Name the request's operation in its scope as connexion's router would; False when the
    table has none for it."""
    found = table.find(scope["path"], scope["method"])
    if found is None:
        return False
    prefix, op_id, values = found
    extensions = scope.setdefault("extensions", {})
    extensions[ROUTING_CONTEXT] = {"api_base_path": prefix, "operation_id": op_id}
    path_params = scope.setdefault("path_params", {})
    if values:
        path_params.update(values)
    else:
        # A concrete spec path, which the route check need not look up again.
        extensions[ROUTING_CONTEXT][CONCRETE] = True
    return True
