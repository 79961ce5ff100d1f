"""First stop: which vendor a path belongs to. Paths under no vendor prefix pass through."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tagfake.contract.spec import VendorContract
from tagfake.pipeline.call import SCOPE_KEY, Call, bind
from tagfake.pipeline.http import ASGIApp, Receive, Scope, Send
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

    def mount_for(self, path: str) -> Mount | None:
        for m in self.mounts:
            if path == m.prefix or path.startswith(m.prefix + "/") or m.prefix == "":
                return m
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            m = self.mount_for(scope["path"])
            if m is not None and m.prefix == ADMIN_PREFIX and self.ui and is_ui_path(scope["path"]):
                await self.ui(scope, receive, send)
                return
            if m is not None:
                call = Call(
                    runtime=self.runtime,
                    vendor=m.surface,
                    contract=m.contract,
                    mount=m.prefix,
                    backend=m.backend,
                )
                scope[SCOPE_KEY] = call
                bind(call)
        await self.app(scope, receive, send)
