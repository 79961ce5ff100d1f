"""The data one (vendor, tenant) owns: plain JSON-able records, so any store can serialise them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

Record = dict[str, Any]


class SetChange(NamedTuple):
    """What replacing an entity's tag set did: tag keys added and removed, in order. (A named
    tuple: made on every sync, and a frozen dataclass sets each field the slow way.)"""

    added: list[str]
    removed: list[str]

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)


@dataclass
class Entity:
    """Something tags are put on (a profile, a conversation, a lead, a CommBox object)."""

    attrs: Record
    tags: list[str] = field(default_factory=list)  # tag keys, in the order they were assigned

    def to_dict(self) -> Record:
        return {"attrs": self.attrs, "tags": list(self.tags)}

    @classmethod
    def from_dict(cls, doc: Record) -> Entity:
        return cls(attrs=dict(doc["attrs"]), tags=[str(t) for t in doc["tags"]])


@dataclass
class Namespace:
    """Tags, tag groups and entities of one tenant of one vendor. Keys are strings of the ids."""

    tags: dict[str, Record] = field(default_factory=dict)
    groups: dict[str, Record] = field(default_factory=dict)
    entities: dict[str, dict[str, Entity]] = field(default_factory=dict)

    def kind(self, kind: str) -> dict[str, Entity]:
        return self.entities.setdefault(kind, {})

    def to_dict(self) -> Record:
        return {
            "tags": {k: dict(v) for k, v in self.tags.items()},
            "groups": {k: dict(v) for k, v in self.groups.items()},
            "entities": {
                kind: {k: e.to_dict() for k, e in items.items()}
                for kind, items in self.entities.items()
            },
        }

    @classmethod
    def from_dict(cls, doc: Record) -> Namespace:
        return cls(
            tags={str(k): dict(v) for k, v in doc.get("tags", {}).items()},
            groups={str(k): dict(v) for k, v in doc.get("groups", {}).items()},
            entities={
                kind: {str(k): Entity.from_dict(e) for k, e in items.items()}
                for kind, items in doc.get("entities", {}).items()
            },
        )
