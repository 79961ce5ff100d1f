"""How the memory store keeps records so that none it hands out aliases a stored one.

A record of plain values is kept as its own dict and copied in and out (a shallow copy is a
fast C loop); a record holding containers (a lead's metadata) is kept as `(NESTED, record)`
and copied deeply both ways, so changing an answer never changes the store.
"""

from __future__ import annotations

import copy
from typing import Any

from tagfake.state.model import Record

NESTED = object()

#: A record (plain values), or (NESTED, record) when some value is a container.
Packed = Record | tuple[Any, Record]


def pack(record: Record) -> Packed:
    for value in record.values():
        if isinstance(value, dict | list):
            return (NESTED, copy.deepcopy(record))
    return dict(record)


def unpack(packed: Packed) -> Record:
    if type(packed) is dict:
        return dict(packed)
    assert isinstance(packed, tuple)
    return copy.deepcopy(packed[1])
