"""Finding named fields anywhere in a JSON body, as Nexor's sync does ("the three fields … may
also be nested anywhere inside the request body — the server will find them automatically")."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def find_fields(doc: Any, names: Iterable[str], max_depth: int) -> dict[str, Any]:
    """The shallowest non-null value of each of `names` found as an object key inside `doc`.

    Objects and arrays are visited breadth-first in document order; the root container is level
    1 and nothing below level `max_depth` is looked into. For each name the shallowest
    occurrence wins and ties go to the first in document order; a null value counts as absent.
    Iterative (a queue, no recursion), so any nesting is safe. Names not found are left out.
    """
    wanted = set(names)
    found: dict[str, Any] = {}
    level, nodes = 1, [doc]
    # Level by level, each a list in document order: the breadth-first order of a queue,
    # without a (node, level) pair made per container.
    while nodes and len(found) < len(wanted):
        below: list[Any] = []
        for node in nodes:
            if isinstance(node, dict):
                children: Iterable[Any] = node.values()
                for key, value in node.items():
                    if key in wanted and key not in found and value is not None:
                        found[key] = value
                if len(found) == len(wanted):
                    return found
            elif isinstance(node, list):
                children = node
            else:
                continue
            if level < max_depth:
                for child in children:
                    if isinstance(child, _CONTAINERS):
                        below.append(child)
        nodes, level = below, level + 1
    return found


_CONTAINERS = (dict, list)  # a tuple: `dict | list` would make a union object each time
