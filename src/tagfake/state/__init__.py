"""State: the store interface, namespaced by (vendor, tenant), and its in-memory implementation."""

from tagfake.state.memory import MemoryStore
from tagfake.state.model import Entity, Namespace, Record
from tagfake.state.store import Store

__all__ = ["Entity", "MemoryStore", "Namespace", "Record", "Store"]
