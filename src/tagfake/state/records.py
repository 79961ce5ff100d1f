"""How the memory store keeps records so that none it hands out aliases a stored one.

A record of plain values is kept as its own dict and copied in and out (a shallow copy is a
fast C loop); a record holding containers (a lead's metadata) is kept as `(NESTED, record)`
and copied deeply both ways, so changing an answer never changes the store. Records hold JSON
values, so the deep copy walks dicts and lists alone (`copy.deepcopy`'s memo and dispatch cost
several times more); any other mutable container still goes through `copy.deepcopy`.
"""

from __future__ import annotations

import copy
from typing import Any

from tagfake.state.model import Record

NESTED = object()

#: A record (plain values), or (NESTED, record) when some value is a container.
Packed = Record | tuple[Any, Record]


_IMMUTABLE = (str, int, float, bool, type(None), bytes)


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
    for value in record.values():
        if isinstance(value, dict | list):
            return (NESTED, copy_json(record))
    return dict(record)


def unpack(packed: Packed) -> Record:
    if type(packed) is dict:
        return dict(packed)
    assert isinstance(packed, tuple)
    copied: Record = copy_json(packed[1])
    return copied
