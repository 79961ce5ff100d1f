"""Operations on one namespace. They assume the caller holds the store's transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from tagfake.errors import NotFound
from tagfake.state.model import Entity, Namespace, Record


@dataclass(frozen=True)
class SetChange:
    added: list[str]
    removed: list[str]

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)


def dedupe(keys: Iterable[str]) -> list[str]:
    """First occurrence wins, order kept: a sync names a set, not a list."""
    return list(dict.fromkeys(keys))


def entity(ns: Namespace, kind: str, key: str, what: str) -> Entity:
    found = ns.kind(kind).get(key)
    if found is None:
        raise NotFound(what)
    return found


def replace_set(ns: Namespace, kind: str, key: str, tag_keys: Iterable[str]) -> SetChange:
    """Make the entity's tag set exactly `tag_keys`; report what was added and removed."""
    target = entity(ns, kind, key, kind)
    wanted = dedupe(tag_keys)
    wanted_set = set(wanted)
    before = set(target.tags)
    change = SetChange(
        added=[k for k in wanted if k not in before],
        removed=[k for k in target.tags if k not in wanted_set],
    )
    target.tags = wanted
    return change


def attach(ns: Namespace, kind: str, key: str, tag_key: str) -> bool:
    target = entity(ns, kind, key, kind)
    if tag_key in target.tags:
        return False
    target.tags.append(tag_key)
    return True


def detach(ns: Namespace, kind: str, key: str, tag_key: str) -> bool:
    target = entity(ns, kind, key, kind)
    if tag_key not in target.tags:
        return False
    target.tags.remove(tag_key)
    return True


def delete_tags(ns: Namespace, doomed: Iterable[str]) -> list[str]:
    """Delete tags and take them off every entity of every kind (the documented cascades)."""
    gone = [k for k in dedupe(doomed) if k in ns.tags]
    if not gone:
        return []
    gone_set = set(gone)
    for k in gone:
        del ns.tags[k]
    for items in ns.entities.values():
        for e in items.values():
            if gone_set.intersection(e.tags):
                e.tags = [t for t in e.tags if t not in gone_set]
    return gone


def count_carrying(ns: Namespace, kind: str, tag_key: str) -> int:
    """Live count, derived on read so it can never go stale."""
    return sum(1 for e in ns.kind(kind).values() if tag_key in e.tags)


def find_tag(ns: Namespace, predicate: Callable[[Record], bool]) -> str | None:
    for key, rec in ns.tags.items():
        if predicate(rec):
            return key
    return None
