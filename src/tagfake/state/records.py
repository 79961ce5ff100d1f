"""Records packed small for the memory store: a tuple of values behind a shared field shape.

A dict per record costs about three times the tuple of its values; records of one vendor share
a handful of shapes (field names in order), each stored once. Values that are containers are
copied in and out, so a record handed out never aliases the stored one.
"""

from __future__ import annotations

import copy
from typing import Any

from tagfake.state.model import Record

#: (shape, value, value, ...): the shape is an interned `_Shape`.
Packed = tuple[Any, ...]


class _Shape:
    __slots__ = ("names", "nested")

    def __init__(self, names: tuple[str, ...], nested: bool) -> None:
        self.names = names
        #: Some value is a container: copy values deeply in and out.
        self.nested = nested


_SHAPES: dict[tuple[tuple[str, ...], bool], _Shape] = {}


def pack(record: Record) -> Packed:
    values = tuple(record.values())
    nested = any(isinstance(v, dict | list) for v in values)
    names = tuple(record)
    shape = _SHAPES.get((names, nested))
    if shape is None:
        shape = _SHAPES.setdefault((names, nested), _Shape(names, nested))
    if nested:
        values = copy.deepcopy(values)
    return (shape, *values)


def unpack(packed: Packed) -> Record:
    shape: _Shape = packed[0]
    record = dict(zip(shape.names, packed[1:], strict=True))
    return copy.deepcopy(record) if shape.nested else record
