"""The store interface: items and indexes of one (vendor, tenant), never whole namespaces.

A vendor declares its `Layout` once (`Store.declare`): the indexes on its tags and on each
entity kind. A request opens one `transaction` (or `read`) on its tenant and asks the handle for
exactly what it needs — a tag by key or by an index, an entity and its ordered tag set, the
entities carrying a tag and their count — so no operation's cost grows with the tenant's size,
except lists, which are linear in what they return.

Rules every engine keeps (the shared suite in tests/store checks them on each engine):

- A transaction holds its tenant exclusively until it ends: everything a request changes
  happens in one transaction, and other transactions see all of it or none of it.
- A unique index is enforced by the store inside the transaction: a put that would give two
  items one key raises `Clash` and changes nothing, so uniqueness holds under concurrency.
- An exception leaving a transaction undoes every change made in it (an engine rolls back),
  so a store is never left half-changed. Backends still validate the whole request before the
  first change, so a rejected request neither changes anything nor spends ids.
- Referential integrity: an entity carries only tags of its own tenant (`Missing` otherwise);
  deleting a tag takes it off every entity carrying it, in the same transaction.
- Records handed out are the caller's copies: changing one changes nothing stored; `put_*`
  is the only way to change an item.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from tagfake.state.model import Entity, Namespace, Record, SetChange


class StoreError(Exception):
    """A change the store refuses. The change is not made; an error that leaves the
    transaction rolls all of it back."""


class Clash(StoreError):
    """A put would give a second item the same key of a unique index."""

    def __init__(self, index: str, value: str, holder: str) -> None:
        self.index = index
        self.value = value
        #: The key of the item that already holds `value`.
        self.holder = holder
        super().__init__(f"{index} {value!r} is already held by {holder!r}")


class Missing(StoreError):
    """A change names an item that does not exist (an entity, or a tag to carry)."""


class StoreUnavailable(Exception):
    """The store cannot answer now (a network store unreachable or timing out); nothing of the
    call it interrupted was kept. A request gets its vendor's 503."""


#: The index key of a record, or None when the record is not in that index.
IndexKey = Callable[[Record], "str | None"]


@dataclass(frozen=True)
class Index:
    """A secondary index: `key(record)` for every record of its items.

    Unique: at most one item per key, enforced by every put (`Clash`). Not unique: any number
    of items per key, in the order they took that key, earliest first (a put that keeps an
    item's key keeps its place; a put that changes it puts the item last under the new key).
    `*_by` answers the first, `tags_by` all.
    `key` must be a pure function of the record, the same in every process sharing a store.
    """

    name: str
    key: IndexKey
    unique: bool = True


@dataclass(frozen=True)
class Layout:
    """What a vendor declares to the store: the indexes on its tags and on its entity kinds."""

    tag_indexes: tuple[Index, ...] = ()
    entity_indexes: Mapping[str, tuple[Index, ...]] = field(default_factory=dict)


class TenantReader(Protocol):
    """Reads of one tenant. Every method is O(1) unless it says otherwise."""

    # -- tags -------------------------------------------------------------------------------
    def tag(self, key: str) -> Record | None:
        """The tag stored under `key`, or None. O(1)."""

    def has_tag(self, key: str) -> bool:
        """Whether `key` is a tag of this tenant. O(1)."""

    def tag_by(self, index: str, value: str) -> str | None:
        """Key of the tag whose `index` key is `value` (for a non-unique index, the one that
        took it first), or None. O(1)."""

    def tags_by(self, index: str, value: str) -> list[str]:
        """Keys of every tag whose `index` key is `value`, in the order they took it.
        O(answer)."""

    def tag_count(self) -> int:
        """How many tags the tenant has. O(1)."""

    def tags(self) -> list[tuple[str, Record]]:
        """Every tag as (key, record), in the order they were first put. O(answer)."""

    def tags_with_counts(self, kind: str) -> list[tuple[str, Record, int]]:
        """Every tag with how many entities of `kind` carry it, one pass. O(answer)."""

    def tag_records(self) -> list[Record]:
        """Every tag's record, in put order: `tags()` without the keys. O(answer)."""

    def tags_counted(self, kind: str, field: str) -> list[Record]:
        """Every tag's record, in put order, with `field` set to how many entities of `kind`
        carry it (a live count), one pass. O(answer). The answer of a large list: it makes no
        object per tag but the record, which keeps the garbage collector out of the way."""

    def tag_keys(self, limit: int | None = None) -> list[str]:
        """The first `limit` tag keys (all by default), in put order. O(answer)."""

    # -- groups (of tags) -------------------------------------------------------------------
    def group(self, key: str) -> Record | None:
        """The group stored under `key`, or None. O(1)."""

    def groups(self) -> list[tuple[str, Record]]:
        """Every group as (key, record), in the order they were first put. O(answer)."""

    # -- entities ---------------------------------------------------------------------------
    def entity(self, kind: str, key: str) -> Entity | None:
        """The entity of `kind` under `key` (attrs and ordered tag keys), or None.
        O(its tags)."""

    def has_entity(self, kind: str, key: str) -> bool:
        """Whether the tenant has that entity. O(1)."""

    def entity_tags(self, kind: str, key: str) -> list[str] | None:
        """The ordered tag keys the entity carries, or None when there is no such entity.
        O(its tags)."""

    def entity_by(self, kind: str, index: str, value: str) -> str | None:
        """Key of the entity of `kind` whose `index` key is `value` (for a non-unique index,
        the one that took it first), or None. O(1)."""

    def entity_count(self, kind: str) -> int:
        """How many entities of `kind` the tenant has. O(1)."""

    def entities(self, kind: str) -> list[tuple[str, Entity]]:
        """Every entity of `kind` as (key, entity), in put order. O(answer)."""

    def entity_keys(self, kind: str, limit: int | None = None) -> list[str]:
        """The first `limit` entity keys of `kind` (all by default), in put order. O(answer)."""

    def kinds(self) -> list[str]:
        """The entity kinds the tenant was loaded with or has had entities of, in that order
        (a kind whose entities were all deleted stays). O(answer)."""

    def carrying(self, kind: str, tag_key: str) -> list[str]:
        """Keys of the entities of `kind` carrying the tag, in no promised order. O(answer)."""

    def count_carrying(self, kind: str, tag_key: str) -> int:
        """How many entities of `kind` carry the tag (a live count). O(1)."""

    # -- the whole tenant -------------------------------------------------------------------
    def export(self) -> Namespace:
        """The tenant as plain data (for /__admin/state and snapshots). O(tenant)."""


class TenantWriter(TenantReader, Protocol):
    """Reads and writes of one tenant inside its transaction. Each write keeps every index in
    step before it returns; a write that raises has changed nothing."""

    # -- ids, drawn inside the transaction so they commit (or roll back) with it -----------
    def next_int(self, kind: str) -> int:
        """The next integer of this vendor's counter `kind` (shared by its tenants). O(1)."""

    def new_uuid(self) -> str:
        """A version-4 UUID from the store's seeded source. O(1)."""

    # -- tags -------------------------------------------------------------------------------
    def put_tag(self, key: str, record: Record) -> None:
        """Insert the tag, or replace its record (it keeps its place and its carriers).
        Raises `Clash` when a unique index key is held by another tag. O(indexes)."""

    def delete_tag(self, key: str) -> bool:
        """Delete the tag and take it off every entity carrying it (the cascade).
        False when there was no such tag. O(carriers)."""

    # -- groups -----------------------------------------------------------------------------
    def put_group(self, key: str, record: Record) -> None:
        """Insert or replace a group. O(1)."""

    def delete_group(self, key: str) -> bool:
        """Delete a group (its tags are the backend's to delete first). O(1)."""

    # -- entities ---------------------------------------------------------------------------
    def put_entity(self, kind: str, key: str, attrs: Record, tags: list[str] | None = None) -> None:
        """Insert the entity or replace its attrs. `tags` sets its tag set too (duplicates
        dropped, order kept); None keeps the tags it has (none for a new one). Raises `Clash`
        on a unique entity index, `Missing` when a tag is not the tenant's. O(indexes+tags)."""

    def delete_entity(self, kind: str, key: str) -> bool:
        """Delete the entity. False when there was none. O(its tags)."""

    def replace_tags(self, kind: str, key: str, tags: list[str]) -> SetChange:
        """Make the entity's tag set exactly `tags` (first occurrence wins, order kept) and say
        what was added and removed. `Missing` for an unknown entity or tag. O(old+new tags)."""

    def attach(self, kind: str, key: str, tag_key: str) -> bool:
        """Put the tag on the entity (at the end of its set); False when it was there. O(1)."""

    def detach(self, kind: str, key: str, tag_key: str) -> bool:
        """Take the tag off the entity; False when it was not there. O(its tags)."""


class Store(Protocol):
    """Tenants of every vendor, credentials, id counters, a seeded UUID source, snapshots.

    Every method is atomic. Methods outside a transaction must not be called while the calling
    thread holds one (`next_int`/`new_uuid` inside a transaction: use the handle's).
    """

    #: True when operations block on I/O and must be run off the event loop.
    blocking: bool

    def declare(self, vendor: str, layout: Layout) -> None:
        """The vendor's indexes. Called once per vendor before any other call naming it, with
        the same layout in every process sharing the store; an engine builds what it lacks."""

    def transaction(self, vendor: str, tenant: str) -> AbstractContextManager[TenantWriter]:
        """The tenant, held exclusively until the block ends; committed when it ends normally,
        rolled back entirely when it raises. An unknown tenant starts empty."""

    def read(self, vendor: str, tenant: str) -> AbstractContextManager[TenantReader]:
        """A consistent read of the tenant (an unknown tenant reads as empty)."""

    def tenant_of(self, vendor: str, credential: str) -> str | None:
        """The tenant a credential belongs to, or None. O(1)."""

    def tenants(self, vendor: str) -> list[str]:
        """The vendor's tenants, sorted. O(tenants)."""

    def credentials(self, vendor: str, tenant: str) -> list[str]:
        """The tenant's credentials, in the order they were given. O(its credentials)."""

    def put_tenant(
        self, vendor: str, tenant: str, namespace: Namespace, credentials: list[str]
    ) -> None:
        """Replace the tenant's data and credentials in one step. Raises ValueError when a
        credential belongs to another tenant, `Clash`/`Missing` when the data breaks an index
        or names unknown tags; then nothing changed. O(the data)."""

    def drop(self, vendor: str | None = None, tenant: str | None = None) -> None:
        """Forget one tenant, one vendor, or (no arguments) everything incl. counters."""

    def next_int(self, vendor: str, kind: str) -> int:
        """The next integer of the vendor's counter `kind`, from 1. O(1)."""

    def bump_int(self, vendor: str, kind: str, at_least: int) -> None:
        """Make the counter at least `at_least` (so new ids come after fixture ids). O(1)."""

    def new_uuid(self) -> str:
        """A version-4 UUID from the seeded source. O(1)."""

    def reseed(self, seed: int | None) -> None:
        """Restart the UUID source (a seeded run repeats its ids)."""

    @property
    def revision(self) -> int:
        """A number that moves whenever anything may have changed."""

    def snapshot(self) -> dict[str, Any]:
        """Everything, in the `tagfake-state/1` format. O(store)."""

    def restore(self, doc: dict[str, Any]) -> None:
        """Replace everything with a `tagfake-state/1` snapshot. O(snapshot)."""

    def iter_namespaces(self) -> Iterator[tuple[str, str]]:
        """Every (vendor, tenant), sorted."""

    def close(self) -> None:
        """Release files and connections; the store is not used afterwards."""
