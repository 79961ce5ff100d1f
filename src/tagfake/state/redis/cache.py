"""What one holder of a tenant's lock has read and changed: a write-back cache of the Redis
hashes, ordered sets, sets and lists it touched.

Reads go to Redis once per key or field and are kept; writes change only the cache. Since the
holder has the tenant to itself, the cache stays true until it ends, and its writes reach Redis
as one list of commands the holder applies atomically with its lock (`Locks.commit`), or never.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable

import redis

from tagfake.state.redis.conn import Command, chunks

#: Arguments per command the cache emits (a Lua call takes at most a few thousand).
_CHUNK = 500


class Cache:
    def __init__(self, client: redis.Redis, ns: str, *, empty: bool = False) -> None:
        self.r = client
        self.ns = ns
        #: The tenant is known to hold nothing (it is being built afresh): no reads needed.
        self.empty = empty
        self._hashes: dict[str, dict[str, str | None]] = {}
        self._dirty_hashes: dict[str, set[str]] = {}
        self._orders: dict[str, Order] = {}
        self._sets: dict[str, Members] = {}
        self._lists: dict[str, list[str]] = {}
        self._dirty_lists: set[str] = set()
        self._seq: int | None = None

    # -- hashes -----------------------------------------------------------------------------
    def hget(self, key: str, field: str) -> str | None:
        seen = self._hashes.setdefault(key, {})
        if field not in seen:
            seen[field] = None if self.empty else self.r.hget(key, field)  # type: ignore[assignment]
        return seen[field]

    def hmget(self, key: str, fields: list[str]) -> list[str | None]:
        seen = self._hashes.setdefault(key, {})
        missing = [f for f in dict.fromkeys(fields) if f not in seen]
        if missing:
            got = [None] * len(missing) if self.empty else self.r.hmget(key, missing)
            seen.update(zip(missing, got, strict=True))  # type: ignore[arg-type]
        return [seen[f] for f in fields]

    def hset(self, key: str, field: str, value: str | None) -> None:
        self._hashes.setdefault(key, {})[field] = value
        self._dirty_hashes.setdefault(key, set()).add(field)

    # -- ordered sets (members in put order), sets, lists -----------------------------------
    def order(self, key: str) -> Order:
        found = self._orders.get(key)
        if found is None:
            found = self._orders[key] = Order(self, key)
        return found

    def members(self, key: str) -> Members:
        found = self._sets.get(key)
        if found is None:
            found = self._sets[key] = Members(self, key)
        return found

    def cards(self, keys: list[str]) -> list[int]:
        """The sizes of many sets in one round trip."""
        unknown = [k for k in keys if k not in self._sets or self._sets[k].base is None]
        if unknown and not self.empty:
            pipe = self.r.pipeline(transaction=False)
            for k in unknown:
                pipe.scard(k)
            for k, n in zip(unknown, pipe.execute(), strict=True):
                self.members(k).base = int(n)
        return [self.members(k).card() for k in keys]

    def lget(self, key: str) -> list[str]:
        if key not in self._lists:
            self._lists[key] = [] if self.empty else list(self.r.lrange(key, 0, -1))  # type: ignore[arg-type]
        return self._lists[key]

    def lget_many(self, keys: list[str]) -> list[list[str]]:
        unknown = [k for k in keys if k not in self._lists]
        if unknown and not self.empty:
            pipe = self.r.pipeline(transaction=False)
            for k in unknown:
                pipe.lrange(k, 0, -1)
            for k, items in zip(unknown, pipe.execute(), strict=True):
                self._lists[k] = list(items)
        return [self.lget(k) for k in keys]

    def lset(self, key: str, items: list[str]) -> None:
        self._lists[key] = list(items)
        self._dirty_lists.add(key)

    def next_seq(self) -> int:
        """The put-order number of the next new item of the tenant."""
        if self._seq is None:
            raw = None if self.empty else self.r.get(self.ns + "seq")
            self._seq = int(raw) if raw is not None else 0
        self._seq += 1
        return self._seq

    @property
    def changed(self) -> bool:
        """Whether anything was written (reads may then bypass the cache)."""
        return bool(
            self._dirty_hashes
            or self._dirty_lists
            or any(o.added or o.removed for o in self._orders.values())
            or any(m.added or m.removed for m in self._sets.values())
        )

    # -- the change -------------------------------------------------------------------------
    def commands(self) -> builtins.list[Command]:
        out: builtins.list[Command] = []
        for key, fields in self._dirty_hashes.items():
            seen = self._hashes[key]
            gone = [f for f in fields if seen[f] is None]
            kept = [(f, v) for f in fields if (v := seen[f]) is not None]
            for part in chunks(gone, _CHUNK):
                out.append(("HDEL", key, *part))
            for pairs in chunks(kept, _CHUNK // 2):
                out.append(("HSET", key, *[x for pair in pairs for x in pair]))
        for order in self._orders.values():
            out += order.commands()
        for members in self._sets.values():
            out += members.commands()
        for key in self._dirty_lists:
            out.append(("DEL", key))
            for part in chunks(self._lists[key], _CHUNK):
                out.append(("RPUSH", key, *part))
        if self._seq is not None:
            out.append(("SET", self.ns + "seq", str(self._seq)))
        return out


class Order:
    """A sorted set of members scored by put order, seen through what the holder changed.

    Members leave only when present and arrive only when absent (the store's own bookkeeping
    guarantees both), so the size is the stored size plus arrivals minus departures."""

    def __init__(self, cache: Cache, key: str) -> None:
        self.c = cache
        self.key = key
        self.base: int | None = None
        #: New members and their scores, in the order they came (all after the stored ones).
        self.added: dict[str, int] = {}
        #: Stored members that left (and may have come back, to the end, in `added`).
        self.removed: set[str] = set()
        self._known: dict[str, bool] = {}

    def contains(self, member: str) -> bool:
        if member in self.added:
            return True
        if member in self.removed:
            return False
        if member not in self._known:
            self._known[member] = not self.c.empty and self.c.r.zscore(self.key, member) is not None
        return self._known[member]

    def add(self, member: str) -> None:
        self.added[member] = self.c.next_seq()

    def remove(self, member: str) -> None:
        if member in self.added:
            del self.added[member]
        else:
            self.removed.add(member)

    def card(self) -> int:
        if self.base is None:
            self.base = 0 if self.c.empty else int(self.c.r.zcard(self.key))
        return self.base - len(self.removed) + len(self.added)

    def list(self, limit: int | None = None) -> builtins.list[str]:
        if limit is not None and limit <= 0:
            return []
        if self.c.empty:
            stored: list[str] = []
        else:
            stop = -1 if limit is None else limit + len(self.removed) - 1
            stored = list(self.c.r.zrange(self.key, 0, stop))  # type: ignore[arg-type]
        # Fewer stored members than asked for means every stored one is here: new ones follow.
        out = [m for m in stored if m not in self.removed]
        out += self.added
        return out if limit is None else out[:limit]

    def first(self) -> str | None:
        found = self.list(1)
        return found[0] if found else None

    def commands(self) -> builtins.list[Command]:
        out: builtins.list[Command] = []
        for part in chunks(sorted(self.removed), _CHUNK):
            out.append(("ZREM", self.key, *part))
        scored = [x for m, s in self.added.items() for x in (str(s), m)]
        for part in chunks(scored, _CHUNK):
            out.append(("ZADD", self.key, *part))
        return out


class Members:
    """A set (a tag's carriers), seen through what the holder changed; same rules as `Order`."""

    def __init__(self, cache: Cache, key: str) -> None:
        self.c = cache
        self.key = key
        self.base: int | None = None
        self.added: set[str] = set()
        self.removed: set[str] = set()

    def add(self, member: str) -> None:
        if member in self.removed:
            self.removed.discard(member)
        else:
            self.added.add(member)

    def remove(self, member: str) -> None:
        if member in self.added:
            self.added.discard(member)
        else:
            self.removed.add(member)

    def card(self) -> int:
        if self.base is None:
            self.base = 0 if self.c.empty else int(self.c.r.scard(self.key))
        return self.base - len(self.removed) + len(self.added)

    def list(self) -> builtins.list[str]:
        stored: Iterable[str] = () if self.c.empty else self.c.r.smembers(self.key)  # type: ignore[assignment]
        return [m for m in stored if m not in self.removed] + sorted(self.added)

    def commands(self) -> builtins.list[Command]:
        out: builtins.list[Command] = []
        for part in chunks(sorted(self.removed), _CHUNK):
            out.append(("SREM", self.key, *part))
        for part in chunks(sorted(self.added), _CHUNK):
            out.append(("SADD", self.key, *part))
        return out
