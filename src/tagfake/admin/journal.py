"""The request journal: every vendor request with its answer, bounded by entries and by bytes.

A request is kept as the pipeline saw it (`Exchange`: references to its headers and bodies) and
made into its entry when the journal is first read, or encoded at once by a store that persists
it; bodies are kept as the bytes that were sent. What the journal holds is what it counts: the
newest entries fit in `max_bytes`, and a body over `body_limit` bytes is kept only up to that
limit, marked `body_truncated` with its full size in `body_bytes`. Bodies are decoded when the
journal is read, not while requests are served.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import struct
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tagfake.clock import rfc3339
from tagfake.pipeline.http import dumps
from tagfake.redact import PLAIN
from tagfake.state.harness import JournalFilter, JournalRecord, JournalStore, MemoryJournalStore
from tagfake.text import has_lone_surrogate


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
        """The filters a store does not apply itself, on a decoded entry."""
        return (
            (self.after is None or entry["id"] > self.after)
            and (self.status_class is None or entry["status"] // 100 == self.status_class)
            and (not self.violations_only or breaks_contract(entry))
        )

    def for_store(self) -> JournalFilter:
        """What the store filters on; the limit too, unless decoded entries are filtered after."""
        rest = self.after is not None or self.status_class is not None or self.violations_only
        return JournalFilter(
            self.vendor,
            self.tenant,
            self.operation,
            self.method,
            self.path,
            self.status,
            None if rest else self.limit,
        )


# Not frozen: a frozen dataclass sets each of its fields through object.__setattr__, and one
# is made for every request.
@dataclass(slots=True)
class Exchange:
    """One vendor request and its answer as the pipeline saw them: references to what it
    already holds (header lists as sent, bodies as read), made into an entry only on demand."""

    moment: datetime  # the fake's clock
    wall: float  # wall-clock seconds: what the dashboard's per-second charts are drawn on
    vendor: str
    tenant: str | None
    operation_id: str | None
    method: str
    path: str
    query_string: bytes
    status: int  # 0: the connection was dropped (a fault) before any answer
    request_headers: list[tuple[bytes, bytes]]
    response_headers: list[tuple[bytes, bytes]]
    violations: list[str]
    fault: str | None
    duration: float  # seconds; rounded to the entry's milliseconds when it is made
    worker: int  # which process answered, when several workers serve one port
    request_body: bytes | None
    response_body: bytes
    response_size: int
    #: `tagfake proxy`: the upstream's answer, request violations, differences.
    proxy: dict[str, Any] | None = None

    def entry(self) -> dict[str, Any]:
        """The journal entry (JSON-able, without bodies), credentials masked."""
        entry: dict[str, Any] = {
            "time": rfc3339(self.moment),
            "wall_time": round(self.wall, 3),
            "vendor": self.vendor,
            "tenant": self.tenant,
            "operation_id": self.operation_id,
            "method": self.method,
            "path": self.path,
            "query": PLAIN.query(self.query_string.decode("latin-1")),
            "status": self.status,
            "request": {"headers": _headers(self.request_headers)},
            "response": {"headers": _headers(self.response_headers)},
            "violations": self.violations,
            "fault": self.fault,
            "duration_ms": round(self.duration * 1000, 3),
            "worker": self.worker,
        }
        if self.proxy is not None:
            entry["proxy"] = self.proxy
        return entry


def _headers(pairs: list[tuple[bytes, bytes]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in pairs:
        name = bytes(k).decode("latin-1").lower()
        out[name] = PLAIN.header(name, bytes(v).decode("latin-1"))
    return out


def _encoded(
    entry: dict[str, Any], bodies: tuple[bytes, bytes], full: tuple[int, int], limit: int
) -> bytes:
    """The entry and its bodies (each cut to `limit`) as one blob: the JSON head, then bodies."""
    truncated: dict[str, int] = {}
    kept: list[bytes] = []
    for side, raw, size in zip(("request", "response"), bodies, full, strict=True):
        if size > limit:
            truncated[side] = size
        kept.append(raw[:limit] if size > limit else raw)
    head = dumps({**entry, "_truncated": truncated})
    return _LENGTHS.pack(len(head), len(kept[0])) + head + kept[0] + kept[1]


def _full_sizes(request: bytes, response: bytes, response_size: int | None) -> tuple[int, int]:
    """Both bodies' whole sizes: a streamed answer may be kept only from its start."""
    whole = len(response) if response_size is None else max(response_size, len(response))
    return len(request), whole


def _encoded_exchange(ex: Exchange, full: tuple[int, int], limit: int) -> bytes:
    bodies = (ex.request_body or b"", ex.response_body)
    return _encoded(ex.entry(), bodies, full, limit)


# What an exchange holds beyond its bytes: the object, its clock reading, lists and strings;
# and each header pair's tuple and two bytes objects.
_EXCHANGE_OVERHEAD = 1024
_PAIR_OVERHEAD = 130


def _held(ex: Exchange) -> int:
    """The memory an exchange kept for its entry holds, near enough for the journal's bound."""
    held = _EXCHANGE_OVERHEAD + len(ex.request_body or b"") + len(ex.response_body)
    # Plain loops: a generator per sum would cost more than the sums, once per request.
    for pairs in (ex.request_headers, ex.response_headers):
        held += _PAIR_OVERHEAD * len(pairs)
        for k, v in pairs:
            held += len(k) + len(v)
    for text in ex.violations:
        held += len(text)
    return held


DEFAULT_BYTES = 64 * 1024 * 1024
DEFAULT_BODY_LIMIT = 256 * 1024
_MAX_TEXT = 64 * 1024
_LENGTHS = struct.Struct(">II")


class Journal:
    def __init__(
        self,
        capacity: int,
        store: JournalStore | None = None,
        *,
        max_bytes: int = DEFAULT_BYTES,
        body_limit: int = DEFAULT_BODY_LIMIT,
    ) -> None:
        self.capacity = capacity
        self.max_bytes = max_bytes
        self.body_limit = body_limit
        self.store: JournalStore = store or MemoryJournalStore()

    def record(
        self,
        entry: dict[str, Any],
        request_body: bytes | None = None,
        response_body: bytes | None = None,
        *,
        response_size: int | None = None,
    ) -> None:
        """Keep `entry` (JSON-able, without bodies) with the raw bodies of the exchange.

        `response_size`: the whole answer's size, when `response_body` is only its start."""
        request, response = request_body or b"", response_body or b""
        full = _full_sizes(request, response, response_size)
        blob = _encoded(entry, (request, response), full, self.body_limit)
        self.store.append(
            JournalRecord(
                vendor=entry["vendor"],
                tenant=entry.get("tenant"),
                operation=entry.get("operation_id"),
                method=entry["method"],
                path=entry["path"],
                status=entry["status"],
                blob=blob,
            ),
            self.capacity,
            self.max_bytes,
        )

    def record_exchange(self, ex: Exchange) -> None:
        """Keep a request the pipeline served. Its entry is made from the exchange when first
        read, or by a store that persists it as it takes it: not while the request is answered
        (an answer through `tagfake proxy`, which the proxy's report extends, is made now)."""
        if ex.proxy is not None:
            self.record(
                ex.entry(), ex.request_body, ex.response_body, response_size=ex.response_size
            )
            return
        limit = self.body_limit
        request = ex.request_body or b""
        full = _full_sizes(request, ex.response_body, ex.response_size)
        if len(request) > limit:  # held no longer than the journal would keep it
            ex = dataclasses.replace(ex, request_body=request[:limit])
        self.store.append(
            JournalRecord(
                ex.vendor,
                ex.tenant,
                ex.operation_id,
                ex.method,
                ex.path,
                ex.status,
                functools.partial(_encoded_exchange, ex, full, limit),
                _held(ex),
            ),
            self.capacity,
            self.max_bytes,
        )

    def query(self, q: JournalQuery) -> dict[str, Any]:
        page = self.store.query(q.for_store())
        entries = [e for e in (decode(i, r.blob) for i, r in page.records) if q.accepts(e)]
        if q.limit is not None:
            entries = entries[-q.limit :]
        return {
            "entries": entries,
            "total": page.total,
            "dropped": page.dropped,
            "capacity": self.capacity,
            "bytes": page.bytes,
            "max_bytes": self.max_bytes,
        }

    def clear(self) -> int:
        return self.store.clear()


def decode(entry_id: int, blob: bytes) -> dict[str, Any]:
    head_len, request_len = _LENGTHS.unpack_from(blob)
    start = _LENGTHS.size
    head: dict[str, Any] = json.loads(blob[start : start + head_len])
    truncated: dict[str, int] = head.pop("_truncated", {})
    request = blob[start + head_len : start + head_len + request_len]
    response = blob[start + head_len + request_len :]
    for side, raw in (("request", request), ("response", response)):
        part = dict(head.get(side) or {})
        if side in truncated:
            part["body"] = raw.decode("utf-8", "replace")
            part["body_truncated"] = True
            part["body_bytes"] = truncated[side]
        else:
            part["body"] = _decoded(raw)
        head[side] = part
    return {"id": entry_id, **head}


def _decoded(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError):
        doc = None
    else:
        # A refused body may spell a lone surrogate: kept as its text, the journal can answer.
        if not has_lone_surrogate(doc):
            return doc
    return raw[:_MAX_TEXT].decode("utf-8", "replace")
