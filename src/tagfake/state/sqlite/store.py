"""The SQLite store: tenants' items and their indexes as tables of one file (`db.py`).

Every lookup is a primary-key or index probe: a tag by key (`items`), by a unique index key
(`unique_keys`) or a non-unique one (`index_keys`, earliest put first), an entity's ordered tag
set and a tag's carriers (`entity_tags`, by entity and by tag). A transaction is one SQLite
`BEGIN IMMEDIATE` transaction: the whole request commits, or nothing of it; a write method
checks everything before it changes anything, so a `Clash` or `Missing` it raises leaves the
rest of the transaction standing. The seeded UUID source is a counter: the n-th id of seed s
is a function of (s, n), so every worker draws from one sequence.
"""

from __future__ import annotations

import json
import random
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson

from tagfake.state.model import Entity, Namespace, Record, SetChange
from tagfake.state.snapshot import exported_namespaces
from tagfake.state.sqlite.db import Database
from tagfake.state.store import Clash, Index, Layout, Missing

SNAPSHOT_FORMAT = "tagfake-state/1"
TAG = "tag"
GROUP = "group"
_NO_INDEXES: tuple[Index, ...] = ()


def _dump(record: Record) -> str:
    # ASCII escapes: any str, lone surrogates included, is stored and read back as it was.
    return json.dumps(record, separators=(",", ":"))


def _load(doc: str) -> Record:
    try:
        loaded: Record = orjson.loads(doc)  # several times json's speed on long lists
    except orjson.JSONDecodeError:  # a lone surrogate, which only json reads back
        loaded = json.loads(doc)
    return loaded


def _sort(kind: str) -> str:
    return f"e:{kind}"


class _Reader:
    """The reads of one tenant (`TenantReader`) on a connection inside a transaction."""

    def __init__(self, conn: sqlite3.Connection, space: int | None, layout: Layout) -> None:
        self.c = conn
        # None: the tenant does not exist (yet); every read answers empty.
        self.space = space
        self.layout = layout

    def _indexes(self, sort: str) -> tuple[Index, ...]:
        if sort == TAG:
            return self.layout.tag_indexes
        if sort.startswith("e:"):
            return self.layout.entity_indexes.get(sort[2:], _NO_INDEXES)
        return _NO_INDEXES

    def _index_named(self, sort: str, name: str) -> Index:
        for ix in self._indexes(sort):
            if ix.name == name:
                return ix
        raise KeyError(f"no index {name!r}")

    def _doc(self, sort: str, key: str) -> Record | None:
        if self.space is None:
            return None
        row = self.c.execute(
            "SELECT doc FROM items WHERE space = ? AND sort = ? AND key = ?",
            (self.space, sort, key),
        ).fetchone()
        return None if row is None else _load(row[0])

    def _exists(self, sort: str, key: str) -> bool:
        if self.space is None:
            return False
        row = self.c.execute(
            "SELECT 1 FROM items WHERE space = ? AND sort = ? AND key = ?",
            (self.space, sort, key),
        ).fetchone()
        return row is not None

    def _all(self, sort: str, limit: int | None = None) -> list[tuple[str, str]]:
        if self.space is None:
            return []
        sql = "SELECT key, doc FROM items WHERE space = ? AND sort = ? ORDER BY seq"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return list(self.c.execute(sql, (self.space, sort)))

    def _find(self, sort: str, index: str, value: str) -> list[str]:
        ix = self._index_named(sort, index)
        if self.space is None:
            return []
        if ix.unique:
            row = self.c.execute(
                "SELECT key FROM unique_keys WHERE space = ? AND sort = ? AND ix = ? AND value = ?",
                (self.space, sort, index, value),
            ).fetchone()
            return [] if row is None else [row[0]]
        rows = self.c.execute(
            "SELECT key FROM index_keys WHERE space = ? AND sort = ? AND ix = ? AND value = ? "
            "ORDER BY took",
            (self.space, sort, index, value),
        )
        return [key for (key,) in rows]

    def _count(self, sort: str) -> int:
        if self.space is None:
            return 0
        row = self.c.execute(
            "SELECT count(*) FROM items WHERE space = ? AND sort = ?", (self.space, sort)
        ).fetchone()
        return int(row[0])

    # -- tags
    def tag(self, key: str) -> Record | None:
        return self._doc(TAG, key)

    def has_tag(self, key: str) -> bool:
        return self._exists(TAG, key)

    def tag_by(self, index: str, value: str) -> str | None:
        found = self._find(TAG, index, value)
        return found[0] if found else None

    def tags_by(self, index: str, value: str) -> list[str]:
        return self._find(TAG, index, value)

    def tag_count(self) -> int:
        return self._count(TAG)

    def tags(self) -> list[tuple[str, Record]]:
        return [(k, _load(d)) for k, d in self._all(TAG)]

    def tags_with_counts(self, kind: str) -> list[tuple[str, Record, int]]:
        if self.space is None:
            return []
        rows = self.c.execute(
            "SELECT i.key, i.doc, (SELECT count(*) FROM entity_tags t "
            "WHERE t.space = i.space AND t.tag = i.key AND t.kind = ?) "
            "FROM items i WHERE i.space = ? AND i.sort = 'tag' ORDER BY i.seq",
            (kind, self.space),
        )
        return [(k, _load(d), int(n)) for k, d, n in rows]

    def tag_records(self) -> list[Record]:
        return [_load(d) for _, d in self._all(TAG)]

    def tags_counted(self, kind: str, field: str) -> list[Record]:
        out = []
        for _, record, n in self.tags_with_counts(kind):
            record[field] = n
            out.append(record)
        return out

    def tag_keys(self, limit: int | None = None) -> list[str]:
        return [k for k, _ in self._all(TAG, limit)]

    # -- groups
    def group(self, key: str) -> Record | None:
        return self._doc(GROUP, key)

    def groups(self) -> list[tuple[str, Record]]:
        return [(k, _load(d)) for k, d in self._all(GROUP)]

    # -- entities
    def entity(self, kind: str, key: str) -> Entity | None:
        attrs = self._doc(_sort(kind), key)
        if attrs is None:
            return None
        return Entity(attrs=attrs, tags=self._tag_set(kind, key))

    def _tag_set(self, kind: str, key: str) -> list[str]:
        rows = self.c.execute(
            "SELECT tag FROM entity_tags WHERE space = ? AND kind = ? AND entity = ? "
            "ORDER BY position",
            (self.space, kind, key),
        )
        return [tag for (tag,) in rows]

    def has_entity(self, kind: str, key: str) -> bool:
        return self._exists(_sort(kind), key)

    def entity_tags(self, kind: str, key: str) -> list[str] | None:
        if not self._exists(_sort(kind), key):
            return None
        return self._tag_set(kind, key)

    def entity_by(self, kind: str, index: str, value: str) -> str | None:
        found = self._find(_sort(kind), index, value)
        return found[0] if found else None

    def entity_count(self, kind: str) -> int:
        return self._count(_sort(kind))

    def entities(self, kind: str) -> list[tuple[str, Entity]]:
        if self.space is None:
            return []
        sets: dict[str, list[str]] = {}
        for entity, tag in self.c.execute(
            "SELECT entity, tag FROM entity_tags WHERE space = ? AND kind = ? "
            "ORDER BY entity, position",
            (self.space, kind),
        ):
            sets.setdefault(entity, []).append(tag)
        return [
            (k, Entity(attrs=_load(d), tags=sets.get(k, []))) for k, d in self._all(_sort(kind))
        ]

    def entity_keys(self, kind: str, limit: int | None = None) -> list[str]:
        return [k for k, _ in self._all(_sort(kind), limit)]

    def kinds(self) -> list[str]:
        if self.space is None:
            return []
        rows = self.c.execute("SELECT kind FROM kinds WHERE space = ? ORDER BY seq", (self.space,))
        return [kind for (kind,) in rows]

    def carrying(self, kind: str, tag_key: str) -> list[str]:
        if self.space is None:
            return []
        rows = self.c.execute(
            "SELECT entity FROM entity_tags WHERE space = ? AND tag = ? AND kind = ?",
            (self.space, tag_key, kind),
        )
        return [e for (e,) in rows]

    def count_carrying(self, kind: str, tag_key: str) -> int:
        if self.space is None:
            return 0
        row = self.c.execute(
            "SELECT count(*) FROM entity_tags WHERE space = ? AND tag = ? AND kind = ?",
            (self.space, tag_key, kind),
        ).fetchone()
        return int(row[0])

    def export(self) -> Namespace:
        return Namespace(
            tags=dict(self.tags()),
            groups=dict(self.groups()),
            entities={kind: dict(self.entities(kind)) for kind in self.kinds()},
        )


class _Writer(_Reader):
    """Reads and writes of one tenant inside its transaction (`TenantWriter`)."""

    def __init__(self, conn: sqlite3.Connection, store: SqliteStore, vendor: str, tenant: str):
        super().__init__(conn, None, store._layout(vendor))
        self.store = store
        self.vendor = vendor
        self.tenant = tenant
        row = conn.execute(
            "SELECT id FROM spaces WHERE vendor = ? AND tenant = ?", (vendor, tenant)
        ).fetchone()
        self.space = None if row is None else int(row[0])

    def _own_space(self) -> int:
        """The tenant's row, made at its first write (a rolled-back one leaves none)."""
        if self.space is None:
            self.space = _make_space(self.c, self.vendor, self.tenant)
        return self.space

    # -- ids
    def next_int(self, kind: str) -> int:
        return _next_int(self.c, self.vendor, kind)

    def new_uuid(self) -> str:
        return _draw_uuid(self.c)

    # -- items and their indexes
    def _put(self, sort: str, key: str, record: Record) -> None:
        space = self._own_space()
        indexes = self._indexes(sort)
        values = [ix.key(record) for ix in indexes]
        for ix, value in zip(indexes, values, strict=True):
            if value is not None and ix.unique:
                holder = self.c.execute(
                    "SELECT key FROM unique_keys "
                    "WHERE space = ? AND sort = ? AND ix = ? AND value = ?",
                    (space, sort, ix.name, value),
                ).fetchone()
                if holder is not None and holder[0] != key:
                    raise Clash(ix.name, value, holder[0])
        old = self.c.execute(
            "SELECT seq, doc FROM items WHERE space = ? AND sort = ? AND key = ?",
            (space, sort, key),
        ).fetchone()
        if old is None:
            seq = self.c.execute(
                "INSERT INTO items(space, sort, key, doc) VALUES (?, ?, ?, ?)",
                (space, sort, key, _dump(record)),
            ).lastrowid
            assert seq is not None
            old_values: list[str | None] = [None] * len(indexes)
        else:
            seq = int(old[0])
            self.c.execute("UPDATE items SET doc = ? WHERE seq = ?", (_dump(record), seq))
            old_record = _load(old[1])
            old_values = [ix.key(old_record) for ix in indexes]
        for ix, before, after in zip(indexes, old_values, values, strict=True):
            if before != after:
                if before is not None:
                    self._unindex(sort, ix, before, key, seq)
                if after is not None:
                    self._index(sort, ix, after, key, seq)

    def _index(self, sort: str, ix: Index, value: str, key: str, seq: int) -> None:
        if ix.unique:
            self.c.execute(
                "INSERT INTO unique_keys(space, sort, ix, value, key) VALUES (?, ?, ?, ?, ?)",
                (self.space, sort, ix.name, value, key),
            )
        else:  # last under its key: the order items took it
            self.c.execute(
                "INSERT INTO index_keys(space, sort, ix, value, took, key) "
                "SELECT ?1, ?2, ?3, ?4, coalesce(max(took), 0) + 1, ?5 FROM index_keys "
                "WHERE space = ?1 AND sort = ?2 AND ix = ?3 AND value = ?4",
                (self.space, sort, ix.name, value, key),
            )

    def _unindex(self, sort: str, ix: Index, value: str, key: str, seq: int) -> None:
        if ix.unique:
            self.c.execute(
                "DELETE FROM unique_keys WHERE space = ? AND sort = ? AND ix = ? AND value = ?",
                (self.space, sort, ix.name, value),
            )
        else:
            self.c.execute(
                "DELETE FROM index_keys WHERE space = ? AND sort = ? AND ix = ? AND key = ?",
                (self.space, sort, ix.name, key),
            )

    def _delete(self, sort: str, key: str) -> bool:
        if self.space is None:
            return False
        old = self.c.execute(
            "DELETE FROM items WHERE space = ? AND sort = ? AND key = ? RETURNING seq, doc",
            (self.space, sort, key),
        ).fetchone()
        if old is None:
            return False
        record = _load(old[1])
        for ix in self._indexes(sort):
            value = ix.key(record)
            if value is not None:
                self._unindex(sort, ix, value, key, int(old[0]))
        return True

    # -- tags
    def put_tag(self, key: str, record: Record) -> None:
        self._put(TAG, key, record)

    def delete_tag(self, key: str) -> bool:
        if not self._exists(TAG, key):
            return False
        self.c.execute("DELETE FROM entity_tags WHERE space = ? AND tag = ?", (self.space, key))
        return self._delete(TAG, key)

    # -- groups
    def put_group(self, key: str, record: Record) -> None:
        self._put(GROUP, key, record)

    def delete_group(self, key: str) -> bool:
        return self._delete(GROUP, key)

    # -- entities
    def put_entity(self, kind: str, key: str, attrs: Record, tags: list[str] | None = None) -> None:
        if tags is not None:
            self._known_tags(tags)
        self._put(_sort(kind), key, attrs)
        self.c.execute("INSERT OR IGNORE INTO kinds(space, kind) VALUES (?, ?)", (self.space, kind))
        if tags is not None:
            self.replace_tags(kind, key, tags)

    def delete_entity(self, kind: str, key: str) -> bool:
        if not self._exists(_sort(kind), key):
            return False
        self.c.execute(
            "DELETE FROM entity_tags WHERE space = ? AND kind = ? AND entity = ?",
            (self.space, kind, key),
        )
        return self._delete(_sort(kind), key)

    def replace_tags(self, kind: str, key: str, tags: list[str]) -> SetChange:
        current = self._existing_set(kind, key)
        wanted = list(dict.fromkeys(tags))
        self._known_tags(wanted)
        wanted_set, current_set = set(wanted), set(current)
        change = SetChange(
            added=[k for k in wanted if k not in current_set],
            removed=[k for k in current if k not in wanted_set],
        )
        if current == wanted:
            return change
        self.c.execute(
            "DELETE FROM entity_tags WHERE space = ? AND kind = ? AND entity = ?",
            (self.space, kind, key),
        )
        self.c.executemany(
            "INSERT INTO entity_tags(space, kind, entity, tag, position) VALUES (?, ?, ?, ?, ?)",
            [(self.space, kind, key, tag, i) for i, tag in enumerate(wanted)],
        )
        return change

    def attach(self, kind: str, key: str, tag_key: str) -> bool:
        self._require_entity(kind, key)
        self._known_tags((tag_key,))
        done = self.c.execute(
            "INSERT OR IGNORE INTO entity_tags(space, kind, entity, tag, position) "
            "SELECT ?, ?, ?, ?, coalesce(max(position), -1) + 1 FROM entity_tags "
            "WHERE space = ? AND kind = ? AND entity = ?",
            (self.space, kind, key, tag_key, self.space, kind, key),
        )
        return done.rowcount > 0

    def detach(self, kind: str, key: str, tag_key: str) -> bool:
        self._require_entity(kind, key)
        done = self.c.execute(
            "DELETE FROM entity_tags WHERE space = ? AND kind = ? AND entity = ? AND tag = ?",
            (self.space, kind, key, tag_key),
        )
        return done.rowcount > 0

    def _require_entity(self, kind: str, key: str) -> None:
        if not self._exists(_sort(kind), key):
            raise Missing(f"no {kind} {key!r}")

    def _existing_set(self, kind: str, key: str) -> list[str]:
        self._require_entity(kind, key)
        return self._tag_set(kind, key)

    def _known_tags(self, keys: Any) -> None:
        for k in keys:
            if not self._exists(TAG, k):
                raise Missing(f"no tag {k!r}")


def _make_space(conn: sqlite3.Connection, vendor: str, tenant: str) -> int:
    row = conn.execute(
        "INSERT INTO spaces(vendor, tenant) VALUES (?, ?) "
        "ON CONFLICT(vendor, tenant) DO UPDATE SET tenant = tenant RETURNING id",
        (vendor, tenant),
    ).fetchone()
    return int(row[0])


def _next_int(conn: sqlite3.Connection, vendor: str, kind: str) -> int:
    row = conn.execute(
        "INSERT INTO id_counters(name, value) VALUES (?, 1) "
        "ON CONFLICT(name) DO UPDATE SET value = value + 1 RETURNING value",
        (f"{vendor}:{kind}",),
    ).fetchone()
    return int(row[0])


def _meta(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def _set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute(
        "INSERT INTO meta(key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


def _rng_state(conn: sqlite3.Connection) -> dict[str, int]:
    raw = _meta(conn, "uuid_source")
    if raw is None:
        return {"seed": random.getrandbits(63), "draws": 0}
    doc: dict[str, int] = json.loads(raw)
    return doc


def _draw_uuid(conn: sqlite3.Connection) -> str:
    state = _rng_state(conn)
    state["draws"] += 1
    _set_meta(conn, "uuid_source", json.dumps(state))
    bits = random.Random(f"{state['seed']}:{state['draws']}").getrandbits(128)
    return str(uuid.UUID(int=bits, version=4))


class SqliteStore:
    #: Calls run on the event loop. A transaction here is short local-file work (a few SQL
    #: statements, no fsync): inline it costs about half the CPU of a hop to the thread pool
    #: and back (bench/workers.py). A write may wait for another worker's transaction to
    #: commit; every vendor request writes (the journal), so that worker could not answer
    #: meanwhile anyway.
    blocking = False

    def __init__(self, db: Database) -> None:
        self.db = db
        self._layouts: dict[str, Layout] = {}

    def _layout(self, vendor: str) -> Layout:
        return self._layouts.get(vendor) or self._layouts.setdefault(vendor, Layout())

    def declare(self, vendor: str, layout: Layout) -> None:
        self._layouts[vendor] = layout
        shape = json.dumps(
            {
                "tags": [(ix.name, ix.unique) for ix in layout.tag_indexes],
                "entities": {
                    kind: [(ix.name, ix.unique) for ix in indexes]
                    for kind, indexes in sorted(layout.entity_indexes.items())
                },
            }
        )
        from tagfake import __version__

        signature = f"{__version__} {shape}"
        with self.db.write() as tx:
            if _meta(tx, f"layout:{vendor}") == signature:
                return
            # Another tagfake (or another layout) built these indexes: build them again.
            spaces = [
                int(i) for (i,) in tx.execute("SELECT id FROM spaces WHERE vendor = ?", (vendor,))
            ]
            for space in spaces:
                tx.execute("DELETE FROM unique_keys WHERE space = ?", (space,))
                tx.execute("DELETE FROM index_keys WHERE space = ?", (space,))
                for seq, sort, key, doc in list(
                    tx.execute("SELECT seq, sort, key, doc FROM items WHERE space = ?", (space,))
                ):
                    w = _Reader(tx, space, layout)
                    record = _load(doc)
                    for ix in w._indexes(sort):
                        value = ix.key(record)
                        if value is None:
                            continue
                        if ix.unique:
                            tx.execute(
                                "INSERT INTO unique_keys(space, sort, ix, value, key) "
                                "VALUES (?, ?, ?, ?, ?)",
                                (space, sort, ix.name, value, key),
                            )
                        else:
                            tx.execute(
                                "INSERT INTO index_keys(space, sort, ix, value, took, key) "
                                "VALUES (?, ?, ?, ?, ?, ?)",
                                (space, sort, ix.name, value, seq, key),
                            )
            _set_meta(tx, f"layout:{vendor}", signature)

    @contextmanager
    def transaction(self, vendor: str, tenant: str) -> Iterator[_Writer]:
        with self.db.write() as tx:
            yield _Writer(tx, self, vendor, tenant)
            _bump_revision(tx)

    @contextmanager
    def read(self, vendor: str, tenant: str) -> Iterator[_Reader]:
        with self.db.read() as tx:
            row = tx.execute(
                "SELECT id FROM spaces WHERE vendor = ? AND tenant = ?", (vendor, tenant)
            ).fetchone()
            yield _Reader(tx, None if row is None else int(row[0]), self._layout(vendor))

    def tenant_of(self, vendor: str, credential: str) -> str | None:
        row = (
            self.db.connection()
            .execute(
                "SELECT s.tenant FROM credentials c JOIN spaces s ON s.id = c.space "
                "WHERE c.vendor = ? AND c.credential = ?",
                (vendor, credential),
            )
            .fetchone()
        )
        return None if row is None else str(row[0])

    def tenants(self, vendor: str) -> list[str]:
        rows = self.db.connection().execute(
            "SELECT tenant FROM spaces WHERE vendor = ? ORDER BY tenant", (vendor,)
        )
        return [t for (t,) in rows]

    def credentials(self, vendor: str, tenant: str) -> list[str]:
        rows = self.db.connection().execute(
            "SELECT c.credential FROM credentials c JOIN spaces s ON s.id = c.space "
            "WHERE s.vendor = ? AND s.tenant = ? ORDER BY c.position",
            (vendor, tenant),
        )
        return [c for (c,) in rows]

    def put_tenant(
        self, vendor: str, tenant: str, namespace: Namespace, credentials: list[str]
    ) -> None:
        with self.db.write() as tx:
            self._put_tenant(tx, vendor, tenant, namespace, credentials)
            _bump_revision(tx)

    def _put_tenant(
        self,
        tx: sqlite3.Connection,
        vendor: str,
        tenant: str,
        namespace: Namespace,
        credentials: list[str],
    ) -> None:
        for cred in credentials:
            owner = self.tenant_of(vendor, cred)
            if owner is not None and owner != tenant:
                raise ValueError(f"{vendor}: credential already belongs to tenant {owner!r}")
        space = _make_space(tx, vendor, tenant)
        _clear_space(tx, space)
        tx.executemany(
            "INSERT INTO credentials(vendor, credential, space, position) VALUES (?, ?, ?, ?)",
            [(vendor, c, space, i) for i, c in enumerate(dict.fromkeys(credentials))],
        )
        w = _Writer(tx, self, vendor, tenant)
        for key, record in namespace.tags.items():
            w.put_tag(key, record)
        for key, record in namespace.groups.items():
            w.put_group(key, record)
        for kind, items in namespace.entities.items():
            tx.execute("INSERT OR IGNORE INTO kinds(space, kind) VALUES (?, ?)", (space, kind))
            for key, entity in items.items():
                w.put_entity(kind, key, entity.attrs, entity.tags)

    def drop(self, vendor: str | None = None, tenant: str | None = None) -> None:
        with self.db.write() as tx:
            sql, args = "SELECT id FROM spaces", []
            if vendor is not None:
                sql += " WHERE vendor = ?"
                args.append(vendor)
                if tenant is not None:
                    sql += " AND tenant = ?"
                    args.append(tenant)
            elif tenant is not None:
                sql += " WHERE tenant = ?"
                args.append(tenant)
            for (space,) in list(tx.execute(sql, args)):
                _clear_space(tx, int(space))
                tx.execute("DELETE FROM spaces WHERE id = ?", (space,))
            if vendor is None and tenant is None:
                tx.execute("DELETE FROM id_counters")
            _bump_revision(tx)

    def next_int(self, vendor: str, kind: str) -> int:
        with self.db.write() as tx:
            return _next_int(tx, vendor, kind)

    def bump_int(self, vendor: str, kind: str, at_least: int) -> None:
        with self.db.write() as tx:
            tx.execute(
                "INSERT INTO id_counters(name, value) VALUES (?, ?) "
                "ON CONFLICT(name) DO UPDATE SET value = max(value, excluded.value)",
                (f"{vendor}:{kind}", at_least),
            )

    def new_uuid(self) -> str:
        with self.db.write() as tx:
            return _draw_uuid(tx)

    def reseed(self, seed: int | None) -> None:
        state = {"seed": random.getrandbits(63) if seed is None else seed, "draws": 0}
        with self.db.write() as tx:
            _set_meta(tx, "uuid_source", json.dumps(state))

    @property
    def revision(self) -> int:
        row = (
            self.db.connection()
            .execute("SELECT value FROM counters WHERE name = 'revision'")
            .fetchone()
        )
        return 0 if row is None else int(row[0])

    def iter_namespaces(self) -> Iterator[tuple[str, str]]:
        rows = self.db.connection().execute("SELECT vendor, tenant FROM spaces")
        yield from sorted((str(v), str(t)) for v, t in rows)

    def snapshot(self) -> dict[str, Any]:
        with self.db.read() as tx:
            counters = {
                str(n): int(v) for n, v in tx.execute("SELECT name, value FROM id_counters")
            }
            rng = _rng_state(tx)
            namespaces = exported_namespaces(self)
            return {
                "format": SNAPSHOT_FORMAT,
                "revision": self.revision,
                "counters": counters,
                "rng": {"seed": rng["seed"], "draws": rng["draws"]},
                "namespaces": namespaces,
            }

    def restore(self, doc: dict[str, Any]) -> None:
        if doc.get("format") != SNAPSHOT_FORMAT:
            raise ValueError(f"not a {SNAPSHOT_FORMAT} snapshot (format={doc.get('format')!r})")
        with self.db.write() as tx:
            for table in (
                "spaces",
                "credentials",
                "items",
                "unique_keys",
                "index_keys",
                "entity_tags",
                "kinds",
                "id_counters",
            ):
                tx.execute(f"DELETE FROM {table}")
            for n in doc["namespaces"]:
                self._put_tenant(
                    tx,
                    str(n["vendor"]),
                    str(n["tenant"]),
                    Namespace.from_dict(n["data"]),
                    [str(c) for c in n["credentials"]],
                )
            tx.executemany(
                "INSERT INTO id_counters(name, value) VALUES (?, ?)",
                [(str(k), int(v)) for k, v in doc["counters"].items()],
            )
            rng = doc.get("rng")
            if isinstance(rng, dict) and {"seed", "draws"} <= set(rng):
                state = {"seed": int(rng["seed"]), "draws": int(rng["draws"])}
            else:  # another engine's generator: carry on from a fresh seed
                state = {"seed": random.getrandbits(63), "draws": 0}
            _set_meta(tx, "uuid_source", json.dumps(state))
            _bump_revision(tx)

    def close(self) -> None:
        self.db.close()


def _clear_space(tx: sqlite3.Connection, space: int) -> None:
    for table in ("items", "unique_keys", "index_keys", "entity_tags", "kinds", "credentials"):
        tx.execute(f"DELETE FROM {table} WHERE space = ?", (space,))


def _bump_revision(tx: sqlite3.Connection) -> None:
    tx.execute(
        "INSERT INTO counters(name, value) VALUES ('revision', 1) "
        "ON CONFLICT(name) DO UPDATE SET value = value + 1"
    )
