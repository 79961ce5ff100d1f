"""First stop: which vendor a path belongs to. Paths under no vendor prefix pass through."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

from tagfake.contract.spec import VendorContract
from tagfake.pipeline.call import SCOPE_KEY, Call, bind
from tagfake.pipeline.http import ASGIApp, Receive, Scope, Send, hands_on
from tagfake.runtime import Runtime
from tagfake.ui import is_ui_path
from tagfake.vendors.base import Surface

ADMIN_PREFIX = "/__admin"


@dataclass(frozen=True)
class Mount:
    prefix: str
    surface: Surface
    contract: VendorContract
    backend: Any


class Guard:
    def __init__(
        self,
        app: ASGIApp,
        *,
        runtime: Runtime,
        mounts: list[Mount],
        ui: ASGIApp | None = None,
    ) -> None:
        self.app = app
        self.runtime = runtime
        #: The dashboard, served under the admin prefix; only admin paths are checked for it.
        self.ui = ui
        # Longest prefix first, so "" (CommBox served alone at the root) is tried last; the
        # admin prefix is longer than "" and so always wins over a root-mounted vendor.
        self.mounts = sorted(mounts, key=lambda m: len(m.prefix), reverse=True)
        self._under = [(m, m.prefix + "/") for m in self.mounts]

    def mount_for(self, path: str) -> Mount | None:
        for m, under in self._under:
            if path.startswith(under) or m.prefix in (path, ""):
                return m
        return None

    @hands_on
    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        if scope["type"] == "http":
            m = self.mount_for(scope["path"])
            if m is not None and m.prefix == ADMIN_PREFIX and self.ui and is_ui_path(scope["path"]):
                return self.ui(scope, receive, send)
            if m is not None:
                # runtime, vendor, contract, mount, backend: by position (keywords cost
                # twice the construction, once per request)
                call = Call(self.runtime, m.surface, m.contract, m.prefix, m.backend)
                scope[SCOPE_KEY] = call
                bind(call)
        return self.app(scope, receive, send)
