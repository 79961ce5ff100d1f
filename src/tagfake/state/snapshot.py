"""The `tagfake-state/1` snapshot: what `/__admin/state` exports and imports.

`problems(doc)` checks a snapshot whole before anything is replaced: its shape, and that every
reference in it holds — an entity carries only tags of its own tenant, a tag's group exists,
a credential belongs to one tenant, an entity's tag set names each tag once — so an import that
would leave reads failing is refused instead, naming the first problem.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from tagfake.settings import VENDORS
from tagfake.state.store import Store
from tagfake.text import has_lone_surrogate

SNAPSHOT_FORMAT = "tagfake-state/1"
FORMAT_FAMILY = SNAPSHOT_FORMAT.rsplit("/", 1)[0] + "/"
#: Fields by which a vendor's tag names its group (CommBox's `groupId`); 0 or null: none.
GROUP_FIELDS = ("groupId", "group_id")


class SnapshotError(ValueError):
    """The snapshot cannot be imported; `str()` is the first problem (and how many more)."""


def check(doc: Any) -> None:
    """Raise SnapshotError unless `doc` is a snapshot this tagfake can import as it is."""
    if not isinstance(doc, dict):
        raise SnapshotError("a snapshot is a JSON object")
    fmt = doc.get("format")
    if fmt != SNAPSHOT_FORMAT:
        if isinstance(fmt, str) and fmt.startswith(FORMAT_FAMILY):
            raise SnapshotError(f"format {fmt!r} is not one this tagfake reads ({SNAPSHOT_FORMAT})")
        raise SnapshotError(f'"format" is {fmt!r}, not {SNAPSHOT_FORMAT!r}')
    if has_lone_surrogate(doc):
        raise SnapshotError("it holds an unpaired UTF-16 surrogate, which is not UTF-8 text")
    found = list(problems(doc))
    if found:
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise SnapshotError(f"{found[0]}{more}")


def problems(doc: dict[str, Any]) -> Iterator[str]:
    counters = doc.get("counters", {})
    if not isinstance(counters, dict):
        yield '"counters" must be an object'
    elif not all(isinstance(v, int) and not isinstance(v, bool) for v in counters.values()):
        yield 'every value of "counters" must be an integer'
    spaces = doc.get("namespaces")
    if not isinstance(spaces, list):
        yield '"namespaces" must be a list'
        return
    seen: set[tuple[str, str]] = set()
    owners: dict[tuple[str, str], str] = {}
    for i, space in enumerate(spaces):
        where = f"namespaces[{i}]"
        if not isinstance(space, dict):
            yield f"{where} must be an object"
            continue
        vendor, tenant = space.get("vendor"), space.get("tenant")
        if not isinstance(vendor, str) or not isinstance(tenant, str):
            yield f'{where} needs string "vendor" and "tenant"'
            continue
        where = f"{where} ({vendor}/{tenant})"
        if vendor not in VENDORS:
            yield f"{where}: unknown vendor {vendor!r}"
        if (vendor, tenant) in seen:
            yield f"{where} appears twice"
        seen.add((vendor, tenant))
        creds = space.get("credentials")
        if not isinstance(creds, list) or not all(isinstance(c, str) for c in creds):
            yield f'{where}: "credentials" must be a list of strings'
        else:
            for cred in creds:
                owner = owners.setdefault((vendor, cred), tenant)
                if owner != tenant:
                    yield f"{where}: a credential of tenant {owner!r} is given to it too"
        data = space.get("data")
        if not isinstance(data, dict):
            yield f'{where}: "data" must be an object'
            continue
        yield from _data_problems(where, data)


def _data_problems(where: str, data: dict[str, Any]) -> Iterable[str]:
    shapes_ok = True
    for key in ("tags", "groups", "entities"):
        if key in data and not isinstance(data[key], dict):
            yield f'{where}: "data.{key}" must be an object'
            shapes_ok = False
    if not shapes_ok:
        return
    tags: dict[str, Any] = data.get("tags", {})
    groups: dict[str, Any] = data.get("groups", {})
    group_ids = {str(g.get("id", k)) for k, g in groups.items() if isinstance(g, dict)}
    group_ids |= set(groups)
    for key, record in tags.items():
        if not isinstance(record, dict):
            yield f"{where}: tag {key!r} must be an object"
            continue
        for field in GROUP_FIELDS:
            group = record.get(field)
            if group not in (None, 0, "0", "") and str(group) not in group_ids:
                yield f"{where}: tag {key!r} is in group {group!r}, which does not exist"
    for key, record in groups.items():
        if not isinstance(record, dict):
            yield f"{where}: group {key!r} must be an object"
    entities: dict[str, Any] = data.get("entities", {})
    for kind, items in entities.items():
        if not isinstance(items, dict):
            yield f'{where}: "data.entities.{kind}" must be an object'
            continue
        for key, entity in items.items():
            if not isinstance(entity, dict) or not isinstance(entity.get("attrs"), dict):
                yield f'{where}: {kind} {key!r} needs an object "attrs"'
                continue
            carried = entity.get("tags")
            if not isinstance(carried, list) or not all(isinstance(t, str) for t in carried):
                yield f'{where}: {kind} {key!r}: "tags" must be a list of tag keys'
                continue
            unknown = [t for t in carried if t not in tags]
            if unknown:
                yield f"{where}: {kind} {key!r} carries tag {unknown[0]!r}, which does not exist"
            if len(set(carried)) != len(carried):
                yield f"{where}: {kind} {key!r} carries a tag twice"


def saved_vendors(doc: dict[str, Any]) -> set[str]:
    """The vendors a snapshot speaks for (their tenants, or none left, are the saved state)."""
    named = set(doc.get("vendors") or ())
    return named | {str(space["vendor"]) for space in doc["namespaces"]}


def exported_namespaces(store: Store) -> list[dict[str, Any]]:
    """Every tenant as a snapshot holds it, read one tenant at a time through the store (for
    engines whose tenants live outside the process)."""
    namespaces = []
    for vendor, tenant in list(store.iter_namespaces()):
        with store.read(vendor, tenant) as r:
            data = r.export().to_dict()
        namespaces.append(
            {
                "vendor": vendor,
                "tenant": tenant,
                "credentials": store.credentials(vendor, tenant),
                "data": data,
            }
        )
    return namespaces
