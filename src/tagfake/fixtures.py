"""Fixture files: YAML read with line numbers, checked against the vendor's fixture schema.

A bad file is refused with `file:line: what is wrong`, never half loaded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tagfake.contract.schema import CompiledSchema
from tagfake.text import is_storable


class FixtureError(ValueError):
    def __init__(self, file: Path | str, line: int | None, message: str) -> None:
        self.file = str(file)
        self.line = line
        self.message = message
        where = f"{self.file}:{line}" if line is not None else self.file
        super().__init__(f"{where}: {message}")


@dataclass
class FixtureDoc:
    """A parsed fixture with the line of every node, keyed by its path ("tenants.acme.tags.0")."""

    file: Path
    data: dict[str, Any]
    lines: dict[str, int]

    def line_of(self, path: str) -> int | None:
        while True:
            if path in self.lines:
                return self.lines[path]
            if "." not in path:
                return self.lines.get("")
            path = path.rsplit(".", 1)[0]

    def error(self, path: str, message: str) -> FixtureError:
        return FixtureError(self.file, self.line_of(path), f"{path or '(top)'}: {message}")


_SCALARS = yaml.constructor.SafeConstructor()


def _construct(node: yaml.Node, path: str, lines: dict[str, int], file: Path) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = _SCALARS.construct_object(key_node, deep=True)
            if not isinstance(key, str | int):
                raise FixtureError(file, key_node.start_mark.line + 1, "keys must be strings")
            key = str(key)
            if not is_storable(key):
                raise FixtureError(
                    file, key_node.start_mark.line + 1, "an unpaired UTF-16 surrogate in a key"
                )
            if key in out:
                raise FixtureError(file, key_node.start_mark.line + 1, f"duplicate key {key!r}")
            out[key] = _construct(value_node, f"{path}.{key}" if path else key, lines, file)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [
            _construct(item, f"{path}.{i}" if path else str(i), lines, file)
            for i, item in enumerate(node.value)
        ]
    value = _SCALARS.construct_object(node, deep=True)
    if isinstance(value, str) and not is_storable(value):
        raise FixtureError(
            file, node.start_mark.line + 1, "an unpaired UTF-16 surrogate is not UTF-8 text"
        )
    return value


def parse_fixture(file: Path) -> FixtureDoc:
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FixtureError(file, None, f"cannot read: {exc}") from None
    return parse_fixture_text(text, file)


def parse_fixture_text(text: str, file: Path | str = "<inline>") -> FixtureDoc:
    path = Path(file)
    try:
        node = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark else None
        raise FixtureError(path, line, f"not valid YAML: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise FixtureError(path, None, f"not valid YAML: {exc}") from None
    if node is None:
        raise FixtureError(path, 1, "the file is empty")
    lines: dict[str, int] = {}
    try:
        data = _construct(node, "", lines, path)
    except yaml.YAMLError as exc:
        raise FixtureError(path, None, f"not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise FixtureError(path, 1, "the top level must be a mapping")
    return FixtureDoc(path, data, lines)


TENANT_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")


def check_schema(doc: FixtureDoc, vendor: str, tenant_schema: dict[str, Any]) -> None:
    """The shape every fixture shares, with the vendor's tenant schema plugged in."""
    schema = {
        "type": "object",
        "required": ["vendor", "tenants"],
        "additionalProperties": False,
        "properties": {
            "vendor": {"const": vendor},
            "description": {"type": "string"},
            "tenants": {
                "type": "object",
                "minProperties": 1,
                "additionalProperties": tenant_schema,
            },
        },
    }
    compiled = CompiledSchema({}, schema)
    problems = compiled.violations(doc.data, limit=10)
    if problems:
        # Everything wrong at the first place (a typo is both "unexpected" and "missing").
        where = problems[0].path
        raise doc.error(where, "; ".join(p.message for p in problems if p.path == where))
    for name in doc.data["tenants"]:
        if not TENANT_NAME.fullmatch(name):
            raise doc.error(f"tenants.{name}", "tenant names are lowercase letters, digits and -")


def unique(doc: FixtureDoc, items: list[tuple[str, Any]], what: str) -> None:
    """Refuse a repeated id; `items` is (path, value)."""
    seen: dict[Any, str] = {}
    for path, value in items:
        if value in seen:
            raise doc.error(path, f"{what} {value!r} is used twice (first at {seen[value]})")
        seen[value] = path
