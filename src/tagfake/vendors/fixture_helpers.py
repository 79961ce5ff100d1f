"""Building a tenant's namespace from a fixture: the part every vendor shares."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tagfake.fixtures import FixtureDoc, unique
from tagfake.state.model import Entity, Namespace, Record


def credential_list(doc: FixtureDoc, tenant: str) -> list[str]:
    creds = [str(c) for c in doc.data["tenants"][tenant]["credentials"]]
    every = [
        (f"tenants.{t}.credentials.{i}", str(c))
        for t, body in doc.data["tenants"].items()
        for i, c in enumerate(body["credentials"])
    ]
    unique(doc, every, "credential")
    return creds


def all_ids(
    doc: FixtureDoc, section: str, key: Callable[[Any], str] = str
) -> list[tuple[str, str]]:
    """(path, id) of every record in `section` of every tenant: ids are unique across the file."""
    return [
        (f"tenants.{t}.{section}.{i}.id", key(rec["id"]))
        for t, body in doc.data["tenants"].items()
        for i, rec in enumerate(body.get(section, []))
    ]


def tags_of(
    doc: FixtureDoc,
    tenant: str,
    to_record: Callable[[Record, str], Record],
    key: Callable[[Any], str] = str,
) -> dict[str, Record]:
    """The tenant's tags as records keyed by id; `to_record(raw, path)` fills in vendor fields."""
    unique(doc, all_ids(doc, "tags", key), "tag id")
    out: dict[str, Record] = {}
    for i, raw in enumerate(doc.data["tenants"][tenant].get("tags", [])):
        out[key(raw["id"])] = to_record(dict(raw), f"tenants.{tenant}.tags.{i}")
    return out


def entities_of(
    doc: FixtureDoc,
    tenant: str,
    section: str,
    tags: dict[str, Record],
    to_attrs: Callable[[Record], Record],
    key: Callable[[Any], str] = str,
    tag_key: Callable[[Any], str] = str,
) -> dict[str, Entity]:
    """Entities of one kind; every tag they carry must be a tag of the same tenant."""
    unique(doc, all_ids(doc, section, key), f"{section} id")
    out: dict[str, Entity] = {}
    for i, raw in enumerate(doc.data["tenants"][tenant].get(section, [])):
        path = f"tenants.{tenant}.{section}.{i}"
        carried: list[str] = []
        for j, t in enumerate(raw.get("tags", [])):
            if tag_key(t) not in tags:
                raise doc.error(f"{path}.tags.{j}", f"{t!r} is not a tag of tenant {tenant!r}")
            carried.append(tag_key(t))
        attrs = {k: v for k, v in raw.items() if k != "tags"}
        out[key(raw["id"])] = Entity(attrs=to_attrs(attrs), tags=list(dict.fromkeys(carried)))
    return out


def namespace(
    tags: dict[str, Record],
    entities: dict[str, dict[str, Entity]],
    groups: dict[str, Record] | None = None,
) -> Namespace:
    return Namespace(tags=tags, groups=groups or {}, entities=entities)


def strings(item: dict[str, Any] | None = None, **props: Any) -> dict[str, Any]:
    """A closed object schema (fixture typos are refused, not ignored)."""
    return {"type": "object", "additionalProperties": False, "properties": props, **(item or {})}


def tenant(**lists: dict[str, Any]) -> dict[str, Any]:
    """A tenant's schema: its credentials, and a list of records per section (tags, entities)."""
    return strings(
        {"required": ["credentials"]},
        credentials=CREDENTIALS_SCHEMA,
        **{name: {"type": "array", "items": item} for name, item in lists.items()},
    )


def timestamps(raw: Record, now: str) -> Record:
    """`created_at` and `updated_at` of a fixture record: as written, else the start time."""
    created = raw.get("created_at", now)
    return {"created_at": created, "updated_at": raw.get("updated_at", created)}


CREDENTIALS_SCHEMA: dict[str, Any] = {
    "type": "array",
    "minItems": 1,
    "items": {"type": "string", "minLength": 1, "pattern": "^[\\x21-\\x7e]+$"},
}
UUID: dict[str, Any] = {"type": "string", "format": "uuid"}
TIMESTAMP: dict[str, Any] = {"type": "string", "format": "date-time"}
