"""Which function answers an operation: `tagfake.<vendor>.handlers.<snake_case operationId>`."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from tagfake.admin.surface import SURFACE as ADMIN
from tagfake.contract.spec import SpecError, line_of
from tagfake.pipeline.guard import Mount
from tagfake.vendors.common import snake


def handlers_module(m: Mount) -> str:
    if m.surface is ADMIN:
        return "tagfake.admin.handlers"
    return f"tagfake.vendors.{m.surface.slug}.handlers"


def handler_lookup(module_name: str) -> Callable[[str], Callable[..., Any]]:
    module = importlib.import_module(module_name)

    def resolve(operation_id: str) -> Callable[..., Any]:
        fn: Callable[..., Any] = getattr(module, snake(operation_id))
        return fn

    return resolve


def check_handlers(m: Mount) -> None:
    """Every operationId of the spec has its handler; else the spec is refused at start (as
    one line), not when the first request names it."""
    module = importlib.import_module(handlers_module(m))
    for op in m.contract.operations.values():
        if not callable(getattr(module, snake(op.operation_id), None)):
            where = ["paths", op.path, op.method, "operationId"]
            raise SpecError(
                m.contract.path,
                line_of(m.contract.path, where),
                f"operationId {op.operation_id!r} is no operation tagfake implements for "
                f"{m.surface.slug}",
            )
