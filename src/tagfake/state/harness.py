"""What the test harness keeps besides the data, as small interfaces an engine implements.

The journal, the fault rules (and what they have fired), the clock and the rate-limit windows
are shared by every worker of a server, so they live in the store's engine, never in module
globals or in the runtime of one process. Each has a memory implementation here (one process)
and an SQLite one (`state/sqlite/harness.py`, every worker on the file).
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

# -- clock ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClockState:
    """Frozen at a moment, or running with an offset from the machine's clock."""

    frozen_at: datetime | None = None
    offset: timedelta = timedelta()


class ClockStore(Protocol):
    def get(self) -> ClockState: ...

    def update(self, change: Callable[[ClockState], ClockState]) -> ClockState:
        """Apply `change` atomically; what it raises leaves the state as it was."""
        ...


class MemoryClockStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state = ClockState()

    def get(self) -> ClockState:
        return self._state

    def update(self, change: Callable[[ClockState], ClockState]) -> ClockState:
        with self._lock:
            self._state = change(self._state)
            return self._state


# -- rate-limit windows ---------------------------------------------------------------------


class RateWindows(Protocol):
    """Fixed windows per (vendor, credential), and whether rate-limit mode is on."""

    def enabled(self) -> bool: ...

    def set_enabled(self, enabled: bool) -> None:
        """Switch the mode; every window starts afresh."""
        ...

    def hit(self, vendor: str, credential: str, limit: tuple[int, int], now: datetime) -> int:
        """Count one request: 0 when it may pass, else the seconds until the window reopens."""
        ...


def window_hit(
    window: tuple[datetime, int] | None, limit: tuple[int, int], now: datetime
) -> tuple[int, tuple[datetime, int] | None]:
    """(seconds to wait, the window to keep; None: keep it as it was) for one request."""
    requests, seconds = limit
    start, count = window or (now, 0)
    elapsed = (now - start).total_seconds()
    if elapsed >= seconds or elapsed < 0:
        start, count, elapsed = now, 0, 0
    if count >= requests:
        return max(1, math.ceil(seconds - elapsed)), None
    return 0, (start, count + 1)


class MemoryRateWindows:
    def __init__(self, enabled: bool) -> None:
        self._lock = threading.Lock()
        self._enabled = enabled
        self._windows: dict[tuple[str, str], tuple[datetime, int]] = {}

    def enabled(self) -> bool:
        return self._enabled

    def set_enabled(self, enabled: bool) -> None:
        with self._lock:
            self._enabled = enabled
            self._windows.clear()

    def hit(self, vendor: str, credential: str, limit: tuple[int, int], now: datetime) -> int:
        with self._lock:
            wait, window = window_hit(self._windows.get((vendor, credential)), limit, now)
            if window is not None:
                self._windows[(vendor, credential)] = window
            return wait


# -- fault rules ----------------------------------------------------------------------------


class FaultTable(Protocol):
    """The rules inside one atomic change. A rule is its JSON document (`FaultRule.to_doc`)."""

    def rules(self) -> list[dict[str, Any]]:
        """Rules added through the admin API, in the order they were added."""
        ...

    def header_rule(self, key: str) -> dict[str, Any] | None: ...

    def every(self) -> list[dict[str, Any]]:
        """Admin rules, then header-born ones."""
        ...

    def put(self, doc: dict[str, Any], *, from_header: bool = False) -> None:
        """Insert or replace; a header-born rule's doc says when it was last `used`."""
        ...

    def forget_headers(self, used_before: float, keep: int) -> None:
        """Drop header-born rules last used before `used_before`, then all but the `keep`
        most recently used."""
        ...

    def remove(self, rule_id: str) -> dict[str, Any] | None: ...

    def clear(self) -> int: ...

    def next_serial(self) -> int: ...


class FaultStore(Protocol):
    def has_rules(self) -> bool:
        """Cheap: asked on every vendor request."""
        ...

    def change(self) -> AbstractContextManager[FaultTable]:
        """The rules, exclusively, until the block ends; kept only if it does not raise."""
        ...


@dataclass
class _MemoryFaultTable:
    admin: dict[str, dict[str, Any]] = field(default_factory=dict)
    headers: dict[str, dict[str, Any]] = field(default_factory=dict)
    serial: int = 0

    def rules(self) -> list[dict[str, Any]]:
        return list(self.admin.values())

    def header_rule(self, key: str) -> dict[str, Any] | None:
        return self.headers.get(key)

    def every(self) -> list[dict[str, Any]]:
        return [*self.admin.values(), *self.headers.values()]

    def put(self, doc: dict[str, Any], *, from_header: bool = False) -> None:
        if from_header:
            self.headers.pop(doc["id"], None)  # to the end: the most recently used
            self.headers[doc["id"]] = doc
        else:
            self.admin[doc["id"]] = doc

    def forget_headers(self, used_before: float, keep: int) -> None:
        for key in list(self.headers):  # least recently used first
            if len(self.headers) > keep or self.headers[key].get("used", 0) < used_before:
                del self.headers[key]

    def remove(self, rule_id: str) -> dict[str, Any] | None:
        return self.admin.pop(rule_id, None) or self.headers.pop(rule_id, None)

    def clear(self) -> int:
        n = len(self.admin) + len(self.headers)
        self.admin.clear()
        self.headers.clear()
        self.serial = 0
        return n

    def next_serial(self) -> int:
        self.serial += 1
        return self.serial


class MemoryFaultStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._table = _MemoryFaultTable()

    def has_rules(self) -> bool:
        return bool(self._table.admin or self._table.headers)

    @contextmanager
    def change(self) -> Iterator[FaultTable]:
        with self._lock:
            # Documents are replaced whole by put(), never edited in place, so a copy of the
            # three containers is enough to undo a change that raised.
            saved = (dict(self._table.admin), dict(self._table.headers), self._table.serial)
            try:
                yield self._table
            except BaseException:
                self._table.admin, self._table.headers, self._table.serial = saved
                raise


# -- journal --------------------------------------------------------------------------------


class JournalRecord:
    """One journaled request: what queries filter on, and the encoded entry (`admin.journal`).

    The entry may be given as a function that encodes it, with the bytes it holds until then:
    the memory store keeps it so, and the entry is encoded when it is first read (stores that
    persist entries encode them as they take them, off the event loop)."""

    __slots__ = ("_blob", "method", "operation", "path", "size", "status", "tenant", "vendor")

    def __init__(
        self,
        vendor: str,
        tenant: str | None,
        operation: str | None,
        method: str,
        path: str,
        status: int,
        blob: bytes | Callable[[], bytes],
        size: int | None = None,
    ) -> None:
        self.vendor, self.tenant, self.operation = vendor, tenant, operation
        self.method, self.path, self.status = method, path, status
        self._blob = blob
        if isinstance(blob, bytes):
            size = len(blob)
        elif size is None:  # else it would slip past every byte bound
            raise TypeError("a journal record encoded on read needs the size it holds")
        #: What keeping it costs, fixed when it is made (what a store's byte bound counts).
        self.size = size

    @property
    def blob(self) -> bytes:
        blob = self._blob
        if not isinstance(blob, bytes):
            # Two readers may both encode it; they make the same bytes.
            blob = self._blob = blob()
        return blob


@dataclass(frozen=True)
class JournalFilter:
    vendor: str | None = None
    tenant: str | None = None
    operation: str | None = None
    method: str | None = None
    path: str | None = None
    status: int | None = None
    limit: int | None = None

    def accepts(self, r: JournalRecord) -> bool:
        return (
            (self.vendor is None or r.vendor == self.vendor)
            and (self.tenant is None or r.tenant == self.tenant)
            and (self.operation is None or r.operation == self.operation)
            and (self.method is None or r.method == self.method.upper())
            and (self.path is None or self.path in r.path)
            and (self.status is None or r.status == self.status)
        )


@dataclass(frozen=True)
class JournalPage:
    records: list[tuple[int, JournalRecord]]  # (id, record), oldest first
    total: int
    dropped: int
    bytes: int


class JournalStore(Protocol):
    """Bounded by entries and by bytes (the sum of the records' sizes); oldest dropped first."""

    def append(self, record: JournalRecord, max_entries: int, max_bytes: int) -> None: ...

    def query(self, f: JournalFilter) -> JournalPage: ...

    def clear(self) -> int: ...


class MemoryJournalStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: deque[tuple[int, JournalRecord]] = deque()
        self._next_id = 1
        self._bytes = 0
        self._dropped = 0

    def append(self, record: JournalRecord, max_entries: int, max_bytes: int) -> None:
        with self._lock:
            self._records.append((self._next_id, record))
            self._next_id += 1
            self._bytes += record.size
            while self._records and (len(self._records) > max_entries or self._bytes > max_bytes):
                _, old = self._records.popleft()
                self._bytes -= old.size
                self._dropped += 1

    def query(self, f: JournalFilter) -> JournalPage:
        with self._lock:
            found = [(i, r) for i, r in self._records if f.accepts(r)]
            total, dropped, size = len(self._records), self._dropped, self._bytes
        if f.limit is not None:
            found = found[-f.limit :]
        return JournalPage(found, total, dropped, size)

    def clear(self) -> int:
        with self._lock:
            n = len(self._records)
            self._records.clear()
            self._bytes = 0
            self._dropped = 0
            return n


# -- all of it --------------------------------------------------------------------------------


@dataclass
class Harness:
    """The harness state of one engine."""

    journal: JournalStore
    faults: FaultStore
    clock: ClockStore
    rates: RateWindows


def memory_harness(rate_limits: bool = False) -> Harness:
    return Harness(
        journal=MemoryJournalStore(),
        faults=MemoryFaultStore(),
        clock=MemoryClockStore(),
        rates=MemoryRateWindows(rate_limits),
    )
