"""State: the store interface (items and declared indexes of one vendor's tenant) and its
in-memory engine."""

from tagfake.state.memory import MemoryStore
from tagfake.state.model import Entity, Namespace, Record, SetChange
from tagfake.state.store import (
    Clash,
    Index,
    Layout,
    Missing,
    Store,
    StoreError,
    TenantReader,
    TenantWriter,
)

__all__ = [
    "Clash",
    "Entity",
    "Index",
    "Layout",
    "MemoryStore",
    "Missing",
    "Namespace",
    "Record",
    "SetChange",
    "Store",
    "StoreError",
    "TenantReader",
    "TenantWriter",
]
