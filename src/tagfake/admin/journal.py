"""The request journal: every vendor request with its answer, bounded by entries and by bytes.

Entries are kept encoded (their bodies as the bytes that were sent), so what the journal holds
is what it counts: the newest entries fit in `max_bytes`, and a body over `body_limit` bytes is
kept only up to that limit, marked `body_truncated` with its full size in `body_bytes`. Bodies
are decoded when the journal is read, not while requests are served.
"""

from __future__ import annotations

import json
import struct
from typing import Any

from tagfake.state.harness import JournalFilter, JournalRecord, JournalStore, MemoryJournalStore
from tagfake.text import has_lone_surrogate

JournalQuery = JournalFilter

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
        bodies: dict[str, Any] = {}
        kept: list[bytes] = []
        sizes = (None, response_size)
        for side, body, size in zip(
            ("request", "response"), (request_body, response_body), sizes, strict=True
        ):
            raw = body or b""
            full = len(raw) if size is None else max(size, len(raw))
            if full > self.body_limit:
                bodies[side] = full
                raw = raw[: self.body_limit]
            kept.append(raw)
        head = json.dumps({**entry, "_truncated": bodies}, separators=(",", ":")).encode()
        blob = _LENGTHS.pack(len(head), len(kept[0])) + head + kept[0] + kept[1]
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

    def query(self, q: JournalQuery) -> dict[str, Any]:
        page = self.store.query(q)
        return {
            "entries": [decode(i, r.blob) for i, r in page.records],
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
