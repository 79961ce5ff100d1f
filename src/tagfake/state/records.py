"""How the memory store keeps records so that none it hands out aliases a stored one.

A record of plain values is kept as its own dict and copied in and out (a shallow copy is a
fast C loop); a record holding containers (a lead's metadata) is kept with the names of the
fields that hold them, and those fields are copied deeply both ways (the rest shallowly), so
changing an answer never changes the store. Records hold JSON
values, so the deep copy walks dicts and lists alone (`copy.deepcopy`'s memo and dispatch cost
several times more); any other mutable container still goes through `copy.deepcopy`.
"""

from __future__ import annotations

import copy
from typing import Any

from tagfake.state.model import Record

#: A record (plain values), or (record, the fields holding containers).
Packed = Record | tuple[Record, tuple[str, ...]]


_IMMUTABLE = (str, int, float, bool, type(None), bytes)
_CONTAINERS = (dict, list)  # a tuple: `dict | list` would make a union object each time


def copy_json(value: Any) -> Any:
    """A deep copy of a JSON value: new dicts and lists all the way down."""
    kind = type(value)
    if kind is dict:
        return {k: copy_json(v) for k, v in value.items()}
    if kind is list:
        return [copy_json(v) for v in value]
    if isinstance(value, _IMMUTABLE):
        return value
    return copy.deepcopy(value)


def pack(record: Record) -> Packed:
    kept = dict(record)
    nested = tuple(k for k, v in kept.items() if isinstance(v, _CONTAINERS))
    if not nested:
        return kept
    for name in nested:
        kept[name] = copy_json(kept[name])
    return kept, nested


def unpack(packed: Packed) -> Record:
    if type(packed) is dict:
        return dict(packed)
    assert isinstance(packed, tuple)
    kept, nested = packed
    copied = dict(kept)
    for name in nested:
        copied[name] = copy_json(copied[name])
    return copied
