"""The Redis store: every tenant's items and indexes as Redis hashes, sorted sets, sets and
lists under the world's prefix, so any number of tagfake processes share one world.

Layout of one tenant (prefix `d:<vendor>:<len>:<tenant>:`), for each sort of item (`t` tags,
`g` groups, `e:<kind>` entities): `i:<sort>` a hash key -> JSON record, `o:<sort>` a sorted set
of keys in put order, `u:<sort>:<index>` a hash index key -> item key for a unique index,
`x:<sort>:<index>:<value>` a sorted set of item keys for a non-unique one; per entity its
ordered tag keys `s:<kind>:<key>` (a list) and per tag its carriers `c:<kind>:<tag>` (a set);
`kinds` and `seq` (the put-order counter). Every lookup is one field, member or key: no
operation's cost grows with the tenant's size; lists are linear in what they return.

A transaction holds the tenant's lock (`Locks`), reads through a write-back cache (`cache.py`)
and commits everything it changed in one Lua call that first checks nobody else can have
changed the tenant, so other processes see all of a request or none of it, and a process killed
mid-request leaves nothing half-done (its lock expires). A read takes no lock: it registers as a
reader, and no change commits while a read is under way, so a read of several calls sees one
committed state; readers never wait for each other, only for a commit in progress.

Ids are drawn with INCR, shared by every process; a rolled-back transaction gives its ids back
when nobody drew after it. The seeded UUID source is (seed, draws): the n-th id of seed s is a
function of both.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any, TypeVar

import redis

from tagfake.state.model import Entity, Namespace, Record, SetChange
from tagfake.state.redis.cache import Cache
from tagfake.state.redis.conn import OUTAGES, Command, Keys, Locks, RedisOptions, guarded, scan
from tagfake.state.snapshot import exported_namespaces
from tagfake.state.store import Clash, Index, Layout, Missing, StoreUnavailable

SNAPSHOT_FORMAT = "tagfake-state/1"
TAG = "t"
GROUP = "g"
_NO_INDEXES: tuple[Index, ...] = ()

C = TypeVar("C", bound=type)

_GIVE_BACK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2]) end
return 0
"""
#: Tags ARGV[2]..ARGV[3] in put order (KEYS[1]) with their records (KEYS[2]) and the size of
#: their carriers' sets (ARGV[1] + tag key), flat: key, record, count, key, ...
_COUNTED = """
local keys = redis.call('ZRANGE', KEYS[1], ARGV[2], ARGV[3])
if #keys == 0 then return {} end
local docs = redis.call('HMGET', KEYS[2], unpack(keys))
local out = {}
for j, k in ipairs(keys) do
  out[#out + 1] = k
  out[#out + 1] = docs[j] or ''
  out[#out + 1] = redis.call('SCARD', ARGV[1] .. k)
end
return out
"""
#: Tags per call of `_COUNTED`: a short call each, so a long list never meets the timeout.
_COUNTED_STEP = 2000
_BUMP = """
local v = tonumber(redis.call('GET', KEYS[1]) or '0')
if v < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end
return 0
"""


#: Context managers guard their own blocks (a wrapper would see only the manager's creation).
_SELF_GUARDED = frozenset({"transaction", "read"})


def _guard_methods(cls: C) -> C:
    """Every public method of `cls` raising a Redis outage as `StoreUnavailable`."""
    for name, value in list(vars(cls).items()):
        if callable(value) and not name.startswith("_") and name not in _SELF_GUARDED:
            setattr(cls, name, guarded(value))
    return cls


def _dump(record: Record) -> str:
    # ASCII escapes: any str, lone surrogates included, is stored and read back as it was.
    return json.dumps(record, separators=(",", ":"))


def _load(doc: str) -> Record:
    loaded: Record = json.loads(doc)
    return loaded


def _entity_sort(kind: str) -> str:
    return "e:" + kind


def _uuid_of(seed: int, draws: int) -> str:
    bits = random.Random(f"{seed}:{draws}").getrandbits(128)
    return str(uuid.UUID(int=bits, version=4))


@_guard_methods
class RedisTenant:
    """The reads (and, inside a transaction, the writes) of one tenant, through its cache."""

    def __init__(self, store: RedisStore, vendor: str, cache: Cache, layout: Layout) -> None:
        self._store = store
        self._vendor = vendor
        self._c = cache
        self._ns = cache.ns
        self._layout = layout
        #: Ids drawn in this transaction: counter key -> (value before, last drawn).
        self._draws: dict[str, tuple[int, int]] = {}

    # -- keys and the generic table of one sort ---------------------------------------------
    def _items(self, sort: str) -> str:
        return self._ns + "i:" + sort

    def _order(self, sort: str) -> str:
        return self._ns + "o:" + sort

    def _tag_set_key(self, kind: str, key: str) -> str:
        return self._ns + "s:" + kind + ":" + key

    def _carriers_key(self, kind: str, tag_key: str) -> str:
        return self._ns + "c:" + kind + ":" + tag_key

    def _indexes(self, sort: str) -> tuple[Index, ...]:
        if sort == TAG:
            return self._layout.tag_indexes
        if sort.startswith("e:"):
            return self._layout.entity_indexes.get(sort[2:], _NO_INDEXES)
        return _NO_INDEXES

    def _index_named(self, sort: str, name: str) -> Index:
        for ix in self._indexes(sort):
            if ix.name == name:
                return ix
        raise KeyError(f"no index {name!r}")

    def _unique_key(self, sort: str, ix: Index) -> str:
        return self._ns + "u:" + sort + ":" + ix.name

    def _bucket_key(self, sort: str, ix: Index, value: str) -> str:
        return self._ns + "x:" + sort + ":" + ix.name + ":" + value

    def _get(self, sort: str, key: str) -> Record | None:
        doc = self._c.hget(self._items(sort), key)
        return None if doc is None else _load(doc)

    def _exists(self, sort: str, key: str) -> bool:
        return self._c.hget(self._items(sort), key) is not None

    def _find(self, sort: str, index: str, value: str) -> list[str]:
        ix = self._index_named(sort, index)
        if ix.unique:
            hit = self._c.hget(self._unique_key(sort, ix), value)
            return [] if hit is None else [hit]
        return self._c.order(self._bucket_key(sort, ix, value)).list()

    def _find_first(self, sort: str, index: str, value: str) -> str | None:
        ix = self._index_named(sort, index)
        if ix.unique:
            return self._c.hget(self._unique_key(sort, ix), value)
        return self._c.order(self._bucket_key(sort, ix, value)).first()

    def _all(self, sort: str) -> list[tuple[str, Record]]:
        keys = self._c.order(self._order(sort)).list()
        docs = self._c.hmget(self._items(sort), keys)
        return [(k, _load(d)) for k, d in zip(keys, docs, strict=True) if d is not None]

    def _put(self, sort: str, key: str, record: Record) -> None:
        indexes = self._indexes(sort)
        values = [ix.key(record) for ix in indexes]
        for ix, value in zip(indexes, values, strict=True):
            if value is not None and ix.unique:
                holder = self._c.hget(self._unique_key(sort, ix), value)
                if holder is not None and holder != key:
                    raise Clash(ix.name, value, holder)
        old = self._get(sort, key)
        before = [ix.key(old) for ix in indexes] if old is not None else [None] * len(indexes)
        self._c.hset(self._items(sort), key, _dump(record))
        if old is None:
            self._c.order(self._order(sort)).add(key)
        for ix, was, now in zip(indexes, before, values, strict=True):
            if was != now:
                if was is not None:
                    self._unindex(sort, ix, was, key)
                if now is not None:
                    self._index(sort, ix, now, key)

    def _delete(self, sort: str, key: str) -> bool:
        old = self._get(sort, key)
        if old is None:
            return False
        for ix in self._indexes(sort):
            value = ix.key(old)
            if value is not None:
                self._unindex(sort, ix, value, key)
        self._c.hset(self._items(sort), key, None)
        self._c.order(self._order(sort)).remove(key)
        return True

    def _index(self, sort: str, ix: Index, value: str, key: str) -> None:
        if ix.unique:
            self._c.hset(self._unique_key(sort, ix), value, key)
        else:
            self._c.order(self._bucket_key(sort, ix, value)).add(key)

    def _unindex(self, sort: str, ix: Index, value: str, key: str) -> None:
        if ix.unique:
            self._c.hset(self._unique_key(sort, ix), value, None)
        else:
            self._c.order(self._bucket_key(sort, ix, value)).remove(key)

    # -- tags -------------------------------------------------------------------------------
    def tag(self, key: str) -> Record | None:
        return self._get(TAG, key)

    def has_tag(self, key: str) -> bool:
        return self._exists(TAG, key)

    def tag_by(self, index: str, value: str) -> str | None:
        return self._find_first(TAG, index, value)

    def tags_by(self, index: str, value: str) -> list[str]:
        return self._find(TAG, index, value)

    def tag_count(self) -> int:
        return self._c.order(self._order(TAG)).card()

    def tags(self) -> list[tuple[str, Record]]:
        return self._all(TAG)

    def tags_with_counts(self, kind: str) -> list[tuple[str, Record, int]]:
        if not self._c.changed and not self._c.empty:
            # Nothing of ours pending: Redis lists the tags with their counts, a slice a call.
            # (A reader: no change commits between the calls, so they list one state.)
            out: list[tuple[str, Record, int]] = []
            keys = [self._order(TAG), self._items(TAG)]
            carriers = self._ns + "c:" + kind + ":"
            start = 0
            while True:
                stop = start + _COUNTED_STEP - 1
                flat = self._store._counted(keys=keys, args=[carriers, start, stop])
                out += [
                    (str(flat[i]), _load(flat[i + 1]), int(flat[i + 2]))
                    for i in range(0, len(flat), 3)
                    if flat[i + 1]
                ]
                if len(flat) < 3 * _COUNTED_STEP:
                    return out
                start = stop + 1
        tags = self._all(TAG)
        counts = self._c.cards([self._carriers_key(kind, k) for k, _ in tags])
        return [(k, r, n) for (k, r), n in zip(tags, counts, strict=True)]

    def tag_records(self) -> list[Record]:
        return [r for _, r in self._all(TAG)]

    def tags_counted(self, kind: str, field: str) -> list[Record]:
        out = []
        for _, record, n in self.tags_with_counts(kind):
            record[field] = n
            out.append(record)
        return out

    def tag_keys(self, limit: int | None = None) -> list[str]:
        return self._c.order(self._order(TAG)).list(limit)

    # -- groups -----------------------------------------------------------------------------
    def group(self, key: str) -> Record | None:
        return self._get(GROUP, key)

    def groups(self) -> list[tuple[str, Record]]:
        return self._all(GROUP)

    # -- entities ---------------------------------------------------------------------------
    def entity(self, kind: str, key: str) -> Entity | None:
        attrs = self._get(_entity_sort(kind), key)
        if attrs is None:
            return None
        return Entity(attrs=attrs, tags=list(self._c.lget(self._tag_set_key(kind, key))))

    def has_entity(self, kind: str, key: str) -> bool:
        return self._exists(_entity_sort(kind), key)

    def entity_tags(self, kind: str, key: str) -> list[str] | None:
        if not self._exists(_entity_sort(kind), key):
            return None
        return list(self._c.lget(self._tag_set_key(kind, key)))

    def entity_by(self, kind: str, index: str, value: str) -> str | None:
        return self._find_first(_entity_sort(kind), index, value)

    def entity_count(self, kind: str) -> int:
        return self._c.order(self._order(_entity_sort(kind))).card()

    def entities(self, kind: str) -> list[tuple[str, Entity]]:
        found = self._all(_entity_sort(kind))
        sets = self._c.lget_many([self._tag_set_key(kind, k) for k, _ in found])
        return [(k, Entity(attrs=a, tags=list(s))) for (k, a), s in zip(found, sets, strict=True)]

    def entity_keys(self, kind: str, limit: int | None = None) -> list[str]:
        return self._c.order(self._order(_entity_sort(kind))).list(limit)

    def kinds(self) -> list[str]:
        return self._c.order(self._ns + "kinds").list()

    def carrying(self, kind: str, tag_key: str) -> list[str]:
        return self._c.members(self._carriers_key(kind, tag_key)).list()

    def count_carrying(self, kind: str, tag_key: str) -> int:
        return self._c.members(self._carriers_key(kind, tag_key)).card()

    def export(self) -> Namespace:
        return Namespace(
            tags=dict(self.tags()),
            groups=dict(self.groups()),
            entities={kind: dict(self.entities(kind)) for kind in self.kinds()},
        )

    # -- ids --------------------------------------------------------------------------------
    def next_int(self, kind: str) -> int:
        key = self._store.keys("n", self._vendor, kind)
        value = int(self._store.r.incr(key))
        self._drew(key, value)
        return value

    def new_uuid(self) -> str:
        seed, draws = self._store._draw_uuid()
        self._drew(self._store.keys("uuid", "draws"), draws)
        return _uuid_of(seed, draws)

    def _drew(self, key: str, value: int) -> None:
        before = self._draws.get(key, (value - 1, value))[0]
        self._draws[key] = (before, value)

    # -- writes -----------------------------------------------------------------------------
    def put_tag(self, key: str, record: Record) -> None:
        self._put(TAG, key, record)

    def delete_tag(self, key: str) -> bool:
        if not self._exists(TAG, key):
            return False
        for kind in self._c.order(self._ns + "kinds").list():
            for entity_key in self.carrying(kind, key):
                self.detach(kind, entity_key, key)
        return self._delete(TAG, key)

    def put_group(self, key: str, record: Record) -> None:
        self._put(GROUP, key, record)

    def delete_group(self, key: str) -> bool:
        return self._delete(GROUP, key)

    def put_entity(self, kind: str, key: str, attrs: Record, tags: list[str] | None = None) -> None:
        if tags is not None:
            self._known_tags(tags)
        self._put(_entity_sort(kind), key, attrs)
        kinds = self._c.order(self._ns + "kinds")
        if not kinds.contains(kind):
            kinds.add(kind)
        if tags is not None:
            self.replace_tags(kind, key, tags)

    def delete_entity(self, kind: str, key: str) -> bool:
        if not self._exists(_entity_sort(kind), key):
            return False
        self.replace_tags(kind, key, [])
        self._c.lset(self._tag_set_key(kind, key), [])
        return self._delete(_entity_sort(kind), key)

    def replace_tags(self, kind: str, key: str, tags: list[str]) -> SetChange:
        current = self._tag_set(kind, key)
        wanted = list(dict.fromkeys(tags))
        self._known_tags(wanted)
        had = set(current)
        want = set(wanted)
        change = SetChange(
            added=[k for k in wanted if k not in had], removed=[k for k in current if k not in want]
        )
        if current == wanted:
            return change
        for tag_key in change.removed:
            self._c.members(self._carriers_key(kind, tag_key)).remove(key)
        for tag_key in change.added:
            self._c.members(self._carriers_key(kind, tag_key)).add(key)
        self._c.lset(self._tag_set_key(kind, key), wanted)
        return change

    def attach(self, kind: str, key: str, tag_key: str) -> bool:
        current = self._tag_set(kind, key)
        self._known_tags([tag_key])
        if tag_key in current:
            return False
        self._c.lset(self._tag_set_key(kind, key), [*current, tag_key])
        self._c.members(self._carriers_key(kind, tag_key)).add(key)
        return True

    def detach(self, kind: str, key: str, tag_key: str) -> bool:
        current = self._tag_set(kind, key)
        if tag_key not in current:
            return False
        self.replace_tags(kind, key, [k for k in current if k != tag_key])
        return True

    def _tag_set(self, kind: str, key: str) -> list[str]:
        if not self._exists(_entity_sort(kind), key):
            raise Missing(f"no {kind} {key!r}")
        return list(self._c.lget(self._tag_set_key(kind, key)))

    def _known_tags(self, keys: list[str]) -> None:
        if not keys:
            return
        for k, doc in zip(keys, self._c.hmget(self._items(TAG), keys), strict=True):
            if doc is None:
                raise Missing(f"no tag {k!r}")


@_guard_methods
class RedisStore:
    #: Each call waits for Redis (and maybe for another process's lock): off the event loop.
    blocking = True

    def __init__(self, options: RedisOptions, client: redis.Redis | None = None) -> None:
        from tagfake.state.redis.conn import connect

        self.options = options
        self.r = client if client is not None else connect(options)
        self.keys = Keys(options.prefix)
        self.locks = Locks(self.r, options)
        self._layouts: dict[str, Layout] = {}
        self._give_back = self.r.register_script(_GIVE_BACK)
        self._bump = self.r.register_script(_BUMP)
        self._counted = self.r.register_script(_COUNTED)

    # -- layouts ----------------------------------------------------------------------------
    def declare(self, vendor: str, layout: Layout) -> None:
        self._layouts[vendor] = layout
        shape = json.dumps(
            {
                "tags": [[ix.name, ix.unique] for ix in layout.tag_indexes],
                "entities": {
                    kind: [[ix.name, ix.unique] for ix in indexes]
                    for kind, indexes in sorted(layout.entity_indexes.items())
                },
            }
        )
        old = self.r.getset(self.keys("layout", vendor), shape)
        if old is not None and old != shape:
            # Another tagfake wrote this vendor's data with other indexes: build them anew.
            for tenant in self.tenants(vendor):
                with self.read(vendor, tenant) as r:
                    data = r.export()
                self.put_tenant(vendor, tenant, data, self.credentials(vendor, tenant))

    def _layout(self, vendor: str) -> Layout:
        return self._layouts.get(vendor) or self._layouts.setdefault(vendor, Layout())

    # -- transactions -----------------------------------------------------------------------
    @contextmanager
    def transaction(self, vendor: str, tenant: str) -> Iterator[RedisTenant]:
        lock = self.keys.lock(vendor, tenant)
        try:
            with self.locks.held(lock) as held:
                w = RedisTenant(
                    self,
                    vendor,
                    Cache(self.r, self.keys.tenant(vendor, tenant)),
                    self._layout(vendor),
                )
                try:
                    yield w
                except BaseException:
                    self._give_back_draws(w._draws)
                    raise
                commands = w._c.commands()
                commands += self._registered(vendor, tenant)
                held.commit(commands)
        except OUTAGES as exc:
            raise StoreUnavailable(f"redis: {exc or type(exc).__name__}") from None

    @contextmanager
    def read(self, vendor: str, tenant: str) -> Iterator[RedisTenant]:
        lock = self.keys.lock(vendor, tenant)
        try:
            with self.locks.reading(lock):
                yield RedisTenant(
                    self,
                    vendor,
                    Cache(self.r, self.keys.tenant(vendor, tenant)),
                    self._layout(vendor),
                )
        except OUTAGES as exc:
            raise StoreUnavailable(f"redis: {exc or type(exc).__name__}") from None

    def _registered(self, vendor: str, tenant: str) -> list[Command]:
        return [
            ("SADD", self.keys("tenants", vendor), tenant),
            ("SADD", self.keys("vendors"), vendor),
            ("INCR", self.keys("rev")),
        ]

    def _give_back_draws(self, draws: dict[str, tuple[int, int]]) -> None:
        # Best effort: ids go back only when nobody drew after us; a gap is harmless.
        with suppress(*OUTAGES):
            for key, (before, last) in draws.items():
                self._give_back(keys=[key], args=[str(last), str(before)])

    # -- tenants and credentials ------------------------------------------------------------
    def _creds_key(self, vendor: str, tenant: str) -> str:
        return self.keys("creds", vendor, str(len(tenant)), tenant)

    def tenant_of(self, vendor: str, credential: str) -> str | None:
        found = self.r.hget(self.keys("cred", vendor), credential)
        return None if found is None else str(found)

    def tenants(self, vendor: str) -> list[str]:
        return sorted(str(t) for t in self.r.smembers(self.keys("tenants", vendor)))

    def credentials(self, vendor: str, tenant: str) -> list[str]:
        return [str(c) for c in self.r.lrange(self._creds_key(vendor, tenant), 0, -1)]

    def _build(self, vendor: str, tenant: str, namespace: Namespace) -> Cache:
        """A cache holding `namespace` as the tenant's whole data; raises Clash or Missing."""
        cache = Cache(self.r, self.keys.tenant(vendor, tenant), empty=True)
        w = RedisTenant(self, vendor, cache, self._layout(vendor))
        for key, record in namespace.tags.items():
            w.put_tag(key, record)
        for key, record in namespace.groups.items():
            w.put_group(key, record)
        kinds = cache.order(cache.ns + "kinds")
        for kind, items in namespace.entities.items():
            if not kinds.contains(kind):  # a kind loaded empty is kept
                kinds.add(kind)
            for key, entity in items.items():
                w.put_entity(kind, key, entity.attrs, entity.tags)
        return cache

    def put_tenant(
        self, vendor: str, tenant: str, namespace: Namespace, credentials: list[str]
    ) -> None:
        lock = self.keys.lock(vendor, tenant)
        with self.locks.held(lock) as held:
            cred_key = self.keys("cred", vendor)
            for cred in credentials:
                owner = self.r.hget(cred_key, cred)
                if owner is not None and owner != tenant:
                    raise ValueError(f"{vendor}: credential already belongs to tenant {owner!r}")
            built = self._build(vendor, tenant, namespace)
            commands = self._forget(vendor, tenant)
            commands += built.commands()
            if credentials:
                pairs = [x for c in credentials for x in (c, tenant)]
                commands += [
                    ("HSET", cred_key, *pairs),
                    ("RPUSH", self._creds_key(vendor, tenant), *credentials),
                ]
            commands += self._registered(vendor, tenant)
            held.commit(commands)

    def _forget(self, vendor: str, tenant: str) -> list[Command]:
        """Commands deleting the tenant's data keys and credentials (the lock is held)."""
        ns = self.keys.tenant(vendor, tenant)
        commands: list[Command] = [("DEL", k) for k in scan(self.r, self.keys.pattern(ns))]
        creds = self.credentials(vendor, tenant)
        if creds:
            commands.append(("HDEL", self.keys("cred", vendor), *creds))
        commands.append(("DEL", self._creds_key(vendor, tenant)))
        return commands

    def drop(self, vendor: str | None = None, tenant: str | None = None) -> None:
        vendors = (
            [vendor]
            if vendor is not None
            else sorted(map(str, self.r.smembers(self.keys("vendors"))))
        )
        for v in vendors:
            for t in [tenant] if tenant is not None else self.tenants(v):
                with self.locks.held(self.keys.lock(v, t)) as held:
                    commands = self._forget(v, t)
                    commands.append(("SREM", self.keys("tenants", v), t))
                    held.commit(commands)
        if vendor is None and tenant is None:
            doomed: list[str] = []
            for start in ("d:", "n:", "cred:", "creds:", "tenants:"):
                doomed += scan(self.r, self.keys.pattern(self.keys.prefix + start))
            doomed.append(self.keys("vendors"))
            pipe = self.r.pipeline(transaction=True)
            for key in doomed:
                pipe.delete(key)
            pipe.execute()
        self.r.incr(self.keys("rev"))

    # -- ids --------------------------------------------------------------------------------
    def next_int(self, vendor: str, kind: str) -> int:
        return int(self.r.incr(self.keys("n", vendor, kind)))

    def bump_int(self, vendor: str, kind: str, at_least: int) -> None:
        self._bump(keys=[self.keys("n", vendor, kind)], args=[str(at_least)])

    def _draw_uuid(self) -> tuple[int, int]:
        pipe = self.r.pipeline(transaction=True)
        pipe.setnx(self.keys("uuid", "seed"), str(random.getrandbits(63)))
        pipe.incr(self.keys("uuid", "draws"))
        pipe.get(self.keys("uuid", "seed"))
        _, draws, seed = pipe.execute()
        return int(seed), int(draws)

    def new_uuid(self) -> str:
        return _uuid_of(*self._draw_uuid())

    def reseed(self, seed: int | None) -> None:
        self._set_uuid_source(random.getrandbits(63) if seed is None else seed, 0)

    def _set_uuid_source(self, seed: int, draws: int) -> None:
        self.r.mset({self.keys("uuid", "seed"): str(seed), self.keys("uuid", "draws"): str(draws)})

    @property
    def revision(self) -> int:
        try:
            raw = self.r.get(self.keys("rev"))
        except OUTAGES as exc:
            raise StoreUnavailable(f"redis: {exc or type(exc).__name__}") from None
        return 0 if raw is None else int(raw)

    def iter_namespaces(self) -> Iterator[tuple[str, str]]:
        found = [
            (str(v), t) for v in self.r.smembers(self.keys("vendors")) for t in self.tenants(str(v))
        ]
        yield from sorted(found)

    # -- snapshots --------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        start = len(self.keys("n", ""))
        names = scan(self.r, self.keys.pattern(self.keys("n", "")))
        values = self.r.mget(names) if names else []
        counters = {k[start:]: int(v) for k, v in zip(names, values, strict=True) if v is not None}
        seed, draws = self.r.mget([self.keys("uuid", "seed"), self.keys("uuid", "draws")])
        namespaces = exported_namespaces(self)
        return {
            "format": SNAPSHOT_FORMAT,
            "revision": self.revision,
            "counters": counters,
            "rng": {"seed": int(seed or 0), "draws": int(draws or 0)},
            "namespaces": namespaces,
        }

    def restore(self, doc: dict[str, Any]) -> None:
        if doc.get("format") != SNAPSHOT_FORMAT:
            raise ValueError(f"not a {SNAPSHOT_FORMAT} snapshot (format={doc.get('format')!r})")
        spaces = [
            (str(n["vendor"]), str(n["tenant"]), Namespace.from_dict(n["data"]), n["credentials"])
            for n in doc["namespaces"]
        ]
        for vendor, tenant, data, _ in spaces:  # every one checked before anything goes
            self._build(vendor, tenant, data)
        counters = {self.keys("n", str(k)): str(int(v)) for k, v in doc["counters"].items()}
        self.drop()
        for vendor, tenant, data, creds in spaces:
            self.put_tenant(vendor, tenant, data, [str(c) for c in creds])
        if counters:
            self.r.mset(counters)
        rng = doc.get("rng")
        if isinstance(rng, dict) and {"seed", "draws"} <= set(rng):
            self._set_uuid_source(int(rng["seed"]), int(rng["draws"]))
        else:  # another engine's generator: carry on from a fresh seed
            self.reseed(None)

    def close(self) -> None:
        self.locks.close()
        with suppress(*OUTAGES):
            self.r.close()
            self.r.connection_pool.disconnect()
