"""The request journal: every vendor request with its answer, bounded, oldest dropped first."""

from __future__ import annotations

import itertools
import threading
from collections import deque
from dataclasses import dataclass
from typing import Any


def breaks_contract(entry: dict[str, Any]) -> bool:
    """An answer that broke the spec, or (`tagfake proxy`) a request or upstream answer that did,
    or an upstream answer the fake's differs from."""
    if entry["violations"]:
        return True
    proxy = entry.get("proxy") or {}
    return bool(
        proxy.get("request_violations")
        or proxy.get("answer_violations")
        or (proxy.get("comparison") or {}).get("differences")
    )


@dataclass(frozen=True)
class JournalQuery:
    vendor: str | None = None
    tenant: str | None = None
    operation: str | None = None
    method: str | None = None
    path: str | None = None
    status: int | None = None
    limit: int | None = None
    #: Only entries recorded after this id (a live view asking for what is new).
    after: int | None = None
    #: A status class: 2 for 2xx, 4 for 4xx, 0 for dropped connections.
    status_class: int | None = None
    violations_only: bool = False

    def accepts(self, entry: dict[str, Any]) -> bool:
        return (
            (self.after is None or entry["id"] > self.after)
            and (self.status_class is None or entry["status"] // 100 == self.status_class)
            and (not self.violations_only or breaks_contract(entry))
            and (self.vendor is None or entry["vendor"] == self.vendor)
            and (self.tenant is None or entry["tenant"] == self.tenant)
            and (self.operation is None or entry["operation_id"] == self.operation)
            and (self.method is None or entry["method"] == self.method.upper())
            and (self.path is None or self.path in entry["path"])
            and (self.status is None or entry["status"] == self.status)
        )


class Journal:
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._entries: deque[dict[str, Any]] = deque(maxlen=capacity)
        self._ids = itertools.count(1)
        self._dropped = 0
        self._lock = threading.Lock()

    def record(self, entry: dict[str, Any]) -> None:
        with self._lock:
            if len(self._entries) == self.capacity:
                self._dropped += 1
            self._entries.append({"id": next(self._ids), **entry})

    def query(self, q: JournalQuery) -> dict[str, Any]:
        with self._lock:
            found = [e for e in self._entries if q.accepts(e)]
            total, dropped = len(self._entries), self._dropped
        if q.limit is not None:
            found = found[-q.limit :]
        return {"entries": found, "total": total, "dropped": dropped, "capacity": self.capacity}

    def clear(self) -> int:
        with self._lock:
            n = len(self._entries)
            self._entries.clear()
            self._dropped = 0
            return n
