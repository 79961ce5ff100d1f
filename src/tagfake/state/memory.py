"""In-memory store: one re-entrant lock makes every transaction atomic within the process.

Each tenant keeps its items with their indexes beside them (`memory_table.Table`): a dict per
unique index, an insertion-ordered bucket per key of a non-unique index, and per entity kind the
carriers of every tag (tag key → entity keys), so lookups, live counts and cascades never scan
the tenant. Every change a transaction makes logs how to undo it; an exception leaving the
transaction replays that log backwards (`memory_tenant.Writer`), so a failed request leaves
items and indexes exactly as they were.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from typing import Any

from tagfake.state.memory_table import Unlogged
from tagfake.state.memory_tenant import TenantData, View, Writer
from tagfake.state.model import Namespace
from tagfake.state.store import Layout
from tagfake.state.uuid_draws import UuidDraws

SNAPSHOT_FORMAT = "tagfake-state/1"


class MemoryStore:
    blocking = False

    def __init__(self, seed: int | None = None) -> None:
        self._lock = threading.RLock()
        self._layouts: dict[str, Layout] = {}
        self._spaces: dict[tuple[str, str], TenantData] = {}
        self._creds: dict[tuple[str, str], str] = {}  # (vendor, credential) -> tenant
        self._creds_of: dict[tuple[str, str], list[str]] = {}  # (vendor, tenant) -> credentials
        #: The id counters and the UUID source; the tenants' writers draw from them.
        self.counters: dict[str, int] = {}
        self.uuids = UuidDraws(random.Random(seed))
        self._revision = 0

    def declare(self, vendor: str, layout: Layout) -> None:
        with self._lock:
            if self._layouts.get(vendor) == layout:
                return
            self._layouts[vendor] = layout
            for (v, t), space in list(self._spaces.items()):
                if v == vendor:
                    self._spaces[(v, t)] = self._build(vendor, View(space).export())

    def _layout(self, vendor: str) -> Layout:
        return self._layouts.get(vendor) or self._layouts.setdefault(vendor, Layout())

    def transaction(self, vendor: str, tenant: str) -> _Transaction:
        return _Transaction(self, vendor, tenant)

    def read(self, vendor: str, tenant: str) -> _Read:
        return _Read(self, vendor, tenant)

    def tenant_of(self, vendor: str, credential: str) -> str | None:
        return self._creds.get((vendor, credential))

    def tenants(self, vendor: str) -> list[str]:
        with self._lock:
            return sorted({t for (v, t) in self._spaces if v == vendor})

    def credentials(self, vendor: str, tenant: str) -> list[str]:
        with self._lock:
            return list(self._creds_of.get((vendor, tenant), ()))

    def put_tenant(
        self, vendor: str, tenant: str, namespace: Namespace, credentials: list[str]
    ) -> None:
        with self._lock:
            for cred in credentials:
                owner = self._creds.get((vendor, cred))
                if owner is not None and owner != tenant:
                    raise ValueError(f"{vendor}: credential already belongs to tenant {owner!r}")
            space = self._build(vendor, namespace)
            self._forget_credentials(vendor, tenant)
            self._spaces[(vendor, tenant)] = space
            for cred in credentials:
                self._creds[(vendor, cred)] = tenant
            self._creds_of[(vendor, tenant)] = list(credentials)
            self._revision += 1

    def _build(self, vendor: str, namespace: Namespace) -> TenantData:
        """A tenant holding `namespace`, every index built; raises Clash or Missing."""
        space = TenantData(self._layout(vendor))
        writer = Writer(space, self, vendor, Unlogged())
        for key, record in namespace.tags.items():
            writer.put_tag(key, record)
        for key, record in namespace.groups.items():
            writer.put_group(key, record)
        for kind, items in namespace.entities.items():
            space.kind(kind)
            for key, entity in items.items():
                writer.put_entity(kind, key, entity.attrs, entity.tags)
        return space

    def drop(self, vendor: str | None = None, tenant: str | None = None) -> None:
        with self._lock:
            doomed = [
                key
                for key in self._spaces
                if (vendor is None or key[0] == vendor) and (tenant is None or key[1] == tenant)
            ]
            for v, t in doomed:
                del self._spaces[(v, t)]
                self._forget_credentials(v, t)
            if vendor is None and tenant is None:
                self._creds.clear()
                self._creds_of.clear()
                self.counters.clear()
            self._revision += 1

    def _forget_credentials(self, vendor: str, tenant: str) -> None:
        for cred in self._creds_of.pop((vendor, tenant), ()):
            del self._creds[(vendor, cred)]

    def next_int(self, vendor: str, kind: str) -> int:
        with self._lock:
            name = f"{vendor}:{kind}"
            self.counters[name] = self.counters.get(name, 0) + 1
            return self.counters[name]

    def bump_int(self, vendor: str, kind: str, at_least: int) -> None:
        with self._lock:
            name = f"{vendor}:{kind}"
            self.counters[name] = max(self.counters.get(name, 0), at_least)

    def new_uuid(self) -> str:
        with self._lock:
            return self.uuids.draw()

    def reseed(self, seed: int | None) -> None:
        with self._lock:
            self.uuids = UuidDraws(random.Random(seed))

    @property
    def revision(self) -> int:
        return self._revision

    def iter_namespaces(self) -> Iterator[tuple[str, str]]:
        with self._lock:
            keys = sorted(self._spaces)
        yield from keys

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "format": SNAPSHOT_FORMAT,
                "revision": self._revision,
                "counters": dict(self.counters),
                "rng": _encode_rng(self.uuids),
                "namespaces": [
                    {
                        "vendor": v,
                        "tenant": t,
                        "credentials": self.credentials(v, t),
                        "data": View(space).export().to_dict(),
                    }
                    for (v, t), space in sorted(self._spaces.items())
                ],
            }

    def restore(self, doc: dict[str, Any]) -> None:
        if doc.get("format") != SNAPSHOT_FORMAT:
            raise ValueError(f"not a {SNAPSHOT_FORMAT} snapshot (format={doc.get('format')!r})")
        with self._lock:
            spaces = {
                (str(n["vendor"]), str(n["tenant"])): self._build(
                    str(n["vendor"]), Namespace.from_dict(n["data"])
                )
                for n in doc["namespaces"]
            }
            creds_of = {
                (str(n["vendor"]), str(n["tenant"])): [str(c) for c in n["credentials"]]
                for n in doc["namespaces"]
            }
            self._spaces = spaces
            self._creds_of = creds_of
            self._creds = {(v, c): t for (v, t), cs in creds_of.items() for c in cs}
            self.counters = {str(k): int(v) for k, v in doc["counters"].items()}
            self.uuids = UuidDraws(_decode_rng(doc.get("rng")))
            self._revision += 1

    def close(self) -> None:
        return None


def _encode_rng(uuids: UuidDraws) -> list[Any]:
    version, state, gauss = uuids.state()
    return [version, list(state), gauss]


def _decode_rng(doc: Any) -> random.Random:
    rng = random.Random()
    if doc:
        version, state, gauss = doc
        rng.setstate((version, tuple(state), gauss))
    return rng


# The two blocks every request runs, as classes: `contextlib.contextmanager`'s generator and
# wrapper cost a request more than the lock they hold.
class _Read:
    """A view of the tenant under the store's lock (an unknown tenant reads as empty)."""

    __slots__ = ("_key", "_store")

    def __init__(self, store: MemoryStore, vendor: str, tenant: str) -> None:
        self._store = store
        self._key = (vendor, tenant)

    def __enter__(self) -> View:
        store = self._store
        store._lock.acquire()
        try:
            space = store._spaces.get(self._key)
            return View(space if space is not None else TenantData(store._layout(self._key[0])))
        except BaseException:
            store._lock.release()
            raise

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        self._store._lock.release()


class _Transaction(_Read):
    """The tenant's writer under the store's lock; the writer's changes undone if the block
    raises (and a tenant that was only made for it dropped again)."""

    __slots__ = ("_space", "_writer")

    def __enter__(self) -> Writer:
        store, key = self._store, self._key
        store._lock.acquire()
        try:
            space = store._spaces.get(key)
            if space is None:
                space = store._spaces[key] = TenantData(store._layout(key[0]))
            self._space = space
            self._writer = Writer(space, store, key[0])
        except BaseException:
            store._lock.release()
            raise
        return self._writer

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        store = self._store
        try:
            if kind is not None:
                self._writer._rollback()
                if self._space.empty() and not store._creds_of.get(self._key):
                    del store._spaces[self._key]
        finally:
            store._revision += 1
            store._lock.release()
