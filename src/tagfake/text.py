"""Text tagfake can store and answer: every string must encode as UTF-8. JSON's `\\uD800`-style
escapes and YAML's `"\\uDFFF"` can spell an unpaired UTF-16 surrogate, which cannot; every way
into the store (request bodies, fixtures, the state file) refuses them with this check."""

from __future__ import annotations

import re
from typing import Any

_SURROGATE = re.compile("[\ud800-\udfff]")


def is_storable(text: str) -> bool:
    return _SURROGATE.search(text) is None


def has_lone_surrogate(doc: Any) -> bool:
    """True when a string or key anywhere in `doc` holds a code point UTF-8 cannot encode."""
    stack = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            if _SURROGATE.search(node):
                return True
        elif isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False
