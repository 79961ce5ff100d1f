"""Finding named fields anywhere in a JSON body, as Nexor's sync does ("the three fields … may
also be nested anywhere inside the request body — the server will find them automatically")."""

from __future__ import annotations

from collections import deque
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
    queue: deque[tuple[Any, int]] = deque([(doc, 1)])
    while queue and len(found) < len(wanted):
        node, level = queue.popleft()
        if isinstance(node, dict):
            children: Iterable[Any] = node.values()
            for key, value in node.items():
                if key in wanted and key not in found and value is not None:
                    found[key] = value
        elif isinstance(node, list):
            children = node
        else:
            continue
        if level < max_depth:
            below = level + 1
            for child in children:
                if isinstance(child, dict | list):
                    queue.append((child, below))
    return found
