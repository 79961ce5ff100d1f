"""The harness state in Redis, one set for every process sharing the world: the journal (a list
with a byte account, trimmed oldest first in the same Lua call that appends), the fault rules
and what they fired (one document changed under a lock), the clock, and rate-limit windows per
(vendor, credential) counted by a Lua call, each expiring with its window."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime, timedelta
from typing import Any

import redis

from tagfake.state.harness import (
    ClockState,
    FaultTable,
    Harness,
    JournalFilter,
    JournalPage,
    JournalRecord,
    _MemoryFaultTable,
)
from tagfake.state.redis.conn import OUTAGES, Keys, Locks, guarded
from tagfake.state.store import StoreUnavailable

# -- clock ----------------------------------------------------------------------------------


def _clock_doc(state: ClockState) -> str:
    return json.dumps(
        {
            "frozen_at": state.frozen_at.isoformat() if state.frozen_at else None,
            "offset_us": round(state.offset / timedelta(microseconds=1)),
        }
    )


def _clock_from(raw: Any) -> ClockState:
    if not raw:
        return ClockState()
    doc = json.loads(raw)
    frozen = doc.get("frozen_at")
    return ClockState(
        frozen_at=datetime.fromisoformat(frozen) if frozen else None,
        offset=timedelta(microseconds=int(doc.get("offset_us", 0))),
    )


class RedisClockStore:
    def __init__(self, client: redis.Redis, keys: Keys, locks: Locks) -> None:
        self.r = client
        self.key = keys("clock")
        self.locks = locks
        self._last = ClockState()

    def get(self) -> ClockState:
        # Asked for every timestamp, error answers included: while Redis is away, the last
        # clock seen stands in, so an outage answers its 503 instead of failing again.
        with suppress(*OUTAGES):
            self._last = _clock_from(self.r.get(self.key))
        return self._last

    @guarded
    def update(self, change: Callable[[ClockState], ClockState]) -> ClockState:
        with self.locks.held(self.key + ":lock") as held:
            state = change(_clock_from(self.r.get(self.key)))
            held.commit([("SET", self.key, _clock_doc(state))])
            self._last = state
            return state


# -- rate windows ---------------------------------------------------------------------------

#: KEYS: the window; ARGV: now (seconds), requests, seconds. Same rule as `window_hit`.
_HIT = """
local now = tonumber(ARGV[1])
local requests = tonumber(ARGV[2])
local seconds = tonumber(ARGV[3])
local w = redis.call('HMGET', KEYS[1], 'start', 'count')
local start = tonumber(w[1]) or now
local count = tonumber(w[2]) or 0
local elapsed = now - start
if elapsed >= seconds or elapsed < 0 then start = now; count = 0; elapsed = 0 end
if count >= requests then
  local wait = math.ceil(seconds - elapsed)
  if wait < 1 then wait = 1 end
  return wait
end
redis.call('HSET', KEYS[1], 'start', tostring(start), 'count', count + 1)
redis.call('EXPIRE', KEYS[1], math.ceil(seconds) + 1)
return 0
"""


class RedisRateWindows:
    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.r = client
        self.keys = keys
        self._hit = client.register_script(_HIT)

    @guarded
    def enabled(self) -> bool:
        return self.r.get(self.keys("rates", "on")) == "1"

    @guarded
    def set_enabled(self, enabled: bool) -> None:
        # A new generation of windows: the old ones expire with their own windows.
        pipe = self.r.pipeline(transaction=True)
        pipe.set(self.keys("rates", "on"), "1" if enabled else "0")
        pipe.incr(self.keys("rates", "generation"))
        pipe.execute()

    @guarded
    def hit(self, vendor: str, credential: str, limit: tuple[int, int], now: datetime) -> int:
        generation = self.r.get(self.keys("rates", "generation")) or "0"
        key = self.keys("rates", str(generation), vendor, credential)
        requests, seconds = limit
        return int(self._hit(keys=[key], args=[repr(now.timestamp()), requests, seconds]))


# -- fault rules ----------------------------------------------------------------------------


class RedisFaultStore:
    """The rules are few and changed together (a count spent, a rule added): one document."""

    def __init__(self, client: redis.Redis, keys: Keys, locks: Locks) -> None:
        self.r = client
        self.key = keys("faults")
        self.count = keys("faults", "count")
        self.locks = locks

    @guarded
    def has_rules(self) -> bool:
        return int(self.r.get(self.count) or 0) > 0

    @contextmanager
    def change(self) -> Iterator[FaultTable]:
        try:
            with self.locks.held(self.key + ":lock") as held:
                raw = self.r.get(self.key)
                doc = json.loads(raw) if raw else {}
                table = _MemoryFaultTable(
                    admin={r["id"]: r for r in doc.get("admin", [])},
                    headers={r["id"]: r for r in doc.get("headers", [])},
                    serial=int(doc.get("serial", 0)),
                )
                yield table
                saved = json.dumps(
                    {
                        "admin": list(table.admin.values()),
                        "headers": list(table.headers.values()),
                        "serial": table.serial,
                    }
                )
                count = len(table.admin) + len(table.headers)
                held.commit([("SET", self.key, saved), ("SET", self.count, str(count))])
        except OUTAGES as exc:
            raise StoreUnavailable(f"redis: {exc or type(exc).__name__}") from None


# -- journal --------------------------------------------------------------------------------

#: KEYS: entries, sizes, bytes, dropped, next id; ARGV: entry (without its id), its size,
#: max entries, max bytes. The id goes first in the stored entry, then a line break.
_APPEND = """
local id = redis.call('INCR', KEYS[5])
redis.call('RPUSH', KEYS[1], id .. '\\n' .. ARGV[1])
redis.call('RPUSH', KEYS[2], ARGV[2])
local bytes = redis.call('INCRBY', KEYS[3], ARGV[2])
local n = redis.call('LLEN', KEYS[1])
local max_entries = tonumber(ARGV[3])
local max_bytes = tonumber(ARGV[4])
local dropped = 0
while n > 0 and (n > max_entries or bytes > max_bytes) do
  redis.call('LPOP', KEYS[1])
  bytes = redis.call('DECRBY', KEYS[3], redis.call('LPOP', KEYS[2]))
  n = n - 1
  dropped = dropped + 1
end
if dropped > 0 then redis.call('INCRBY', KEYS[4], dropped) end
return id
"""

_CHUNK = 200


class RedisJournalStore:
    def __init__(self, binary: redis.Redis, keys: Keys) -> None:
        self.r = binary
        self.k = [keys("journal", name) for name in ("entries", "sizes", "bytes", "dropped", "id")]
        self._append = binary.register_script(_APPEND)

    @guarded
    def append(self, record: JournalRecord, max_entries: int, max_bytes: int) -> None:
        r = record
        head = json.dumps([r.vendor, r.tenant, r.operation, r.method, r.path, r.status])
        blob = r.blob
        entry = head.encode() + b"\n" + blob
        self._append(keys=self.k, args=[entry, len(blob), max_entries, max_bytes])

    @guarded
    def query(self, f: JournalFilter) -> JournalPage:
        entries, _, size_key, dropped_key, _ = self.k
        found: list[tuple[int, JournalRecord]] = []
        # Newest first, a chunk at a time: a limited query reads only as far as it needs.
        pipe = self.r.pipeline(transaction=True)
        pipe.llen(entries)
        pipe.get(size_key)
        pipe.get(dropped_key)
        pipe.lrange(entries, -_CHUNK, -1)
        total, size, dropped, chunk = pipe.execute()
        end = -1
        while chunk:
            complete = len(chunk) < _CHUNK
            for raw in reversed(chunk):
                number, head, blob = raw.split(b"\n", 2)
                vendor, tenant, operation, method, path, status = json.loads(head)
                rec = JournalRecord(vendor, tenant, operation, method, path, int(status), blob)
                if f.accepts(rec):
                    found.append((int(number), rec))
            if (f.limit is not None and len(found) >= f.limit) or complete:
                break
            end -= _CHUNK
            older: list[bytes] = self.r.lrange(entries, end - _CHUNK + 1, end)  # type: ignore[assignment]
            # Entries appended meanwhile shift the list; ids keep the answer free of repeats.
            seen = {n for n, _ in found}
            chunk = [c for c in older if int(c.split(b"\n", 1)[0]) not in seen]
        found.sort(key=lambda item: item[0])
        if f.limit is not None:
            found = found[-f.limit :]
        return JournalPage(found, int(total), int(dropped or 0), int(size or 0))

    @guarded
    def clear(self) -> int:
        pipe = self.r.pipeline(transaction=True)
        pipe.llen(self.k[0])
        for key in self.k[:4]:
            pipe.delete(key)
        return int(pipe.execute()[0])


def redis_harness(
    client: redis.Redis, binary: redis.Redis, keys: Keys, locks: Locks, rate_limits: bool
) -> Harness:
    rates = RedisRateWindows(client, keys)
    with suppress(*OUTAGES):
        # The first process of a world sets the mode; the others join it.
        client.set(keys("rates", "on"), "1" if rate_limits else "0", nx=True)
    return Harness(
        journal=RedisJournalStore(binary, keys),
        faults=RedisFaultStore(client, keys, locks),
        clock=RedisClockStore(client, keys, locks),
        rates=rates,
    )
