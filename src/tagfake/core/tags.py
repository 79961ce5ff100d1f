"""Vendor-neutral helpers over a tenant handle of the store (`TenantReader`/`TenantWriter`).

The store does the work — indexes, tag sets, carriers, cascades; these helpers turn a missing
item into the domain's NotFound and name a request's set the way every vendor does.
"""

from __future__ import annotations

from collections.abc import Iterable

from tagfake.errors import NotFound
from tagfake.state.model import Entity, Record, SetChange
from tagfake.state.store import TenantReader

__all__ = ["SetChange", "dedupe", "entity", "require_entity", "require_tag", "tag"]


def dedupe(keys: Iterable[str]) -> list[str]:
    """First occurrence wins, order kept: a sync names a set, not a list."""
    return list(dict.fromkeys(keys))


def entity(r: TenantReader, kind: str, key: str, what: str) -> Entity:
    """The entity, or NotFound(`what`)."""
    found = r.entity(kind, key)
    if found is None:
        raise NotFound(what)
    return found


def require_entity(r: TenantReader, kind: str, key: str, what: str) -> str:
    """`key` when the entity exists, else NotFound(`what`); O(1), nothing copied."""
    if not r.has_entity(kind, key):
        raise NotFound(what)
    return key


def tag(r: TenantReader, key: str, what: str = "Tag") -> Record:
    """The tag's record, or NotFound(`what`)."""
    found = r.tag(key)
    if found is None:
        raise NotFound(what)
    return found


def require_tag(r: TenantReader, key: str, what: str = "Tag") -> str:
    """`key` when it is a tag of the tenant, else NotFound(`what`)."""
    if not r.has_tag(key):
        raise NotFound(what)
    return key
