"""Per-request state shared by the middlewares and the handlers."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tagfake.contract.spec import OperationContract, VendorContract
from tagfake.vendors.base import Vendor

if TYPE_CHECKING:
    from tagfake.runtime import Runtime

SCOPE_KEY = "tagfake.call"


@dataclass
class Call:
    runtime: Runtime
    vendor: Vendor
    contract: VendorContract
    mount: str
    operation: OperationContract | None = None
    tenant: str | None = None
    body: Any = None
    violations: list[str] = field(default_factory=list)
    fault: str | None = None

    @property
    def backend(self) -> Any:
        return self.runtime.backends[self.vendor.slug]


_current: contextvars.ContextVar[Call] = contextvars.ContextVar("tagfake_call")


def bind(call: Call) -> None:
    _current.set(call)


def current() -> Call:
    """The call being served; handlers use it to reach the tenant and the backend."""
    return _current.get()
