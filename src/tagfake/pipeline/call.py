"""Per-request state shared by the middlewares and the handlers."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tagfake.contract.spec import OperationContract, VendorContract
from tagfake.errors import Invalid
from tagfake.vendors.base import Surface

if TYPE_CHECKING:
    from tagfake.runtime import Runtime

SCOPE_KEY = "tagfake.call"


@dataclass
class Call:
    runtime: Runtime
    vendor: Surface
    contract: VendorContract
    mount: str
    backend: Any
    operation: OperationContract | None = None
    credential: str | None = None
    tenant: str | None = None
    #: The request body as parsed by the request check (None: no body, or not read).
    body: Any = None
    #: The body's schema violations as the vendor words them, left for the backend to report
    #: with its own rules (vendors that validate after route-model binding, as Laravel does).
    pending: Invalid | None = None
    #: The request body as read (journal), when the pipeline got as far as reading it.
    raw_body: bytes | None = None
    #: The answer's body as Respond parsed it to check it, so the journal need not parse again.
    answer: Any = None
    answer_parsed: bool = False
    violations: list[str] = field(default_factory=list)
    #: What a fault rule did to this request; the answer is then not checked against the spec.
    fault: str | None = None
    #: `tagfake proxy` only: what the forwarded call did (journal field "proxy").
    proxy: dict[str, Any] | None = None


_current: contextvars.ContextVar[Call] = contextvars.ContextVar("tagfake_call")


def bind(call: Call) -> None:
    _current.set(call)


def current() -> Call:
    """The call being served; handlers use it to reach the tenant and the backend."""
    return _current.get()
