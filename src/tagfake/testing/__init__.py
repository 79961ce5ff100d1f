"""Helpers for users' own tests: the pytest plugin, an admin client over HTTP, and tagfake in a
background thread. Names are loaded on first use, so loading the plugin stays cheap."""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "AdminClient": "tagfake.testing.client",
    "AdminError": "tagfake.testing.client",
    "ThreadedServer": "tagfake.testing.server",
}

__all__ = ["AdminClient", "AdminError", "ThreadedServer"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'tagfake.testing' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
