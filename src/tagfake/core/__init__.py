"""Vendor-neutral tag model: tags, entity→tag sets, replace-set, cascades, live counts."""

from tagfake.core.tags import (
    SetChange,
    attach,
    count_carrying,
    dedupe,
    delete_tags,
    detach,
    entity,
    find_tag,
    replace_set,
)

__all__ = [
    "SetChange",
    "attach",
    "count_carrying",
    "dedupe",
    "delete_tags",
    "detach",
    "entity",
    "find_tag",
    "replace_set",
]
