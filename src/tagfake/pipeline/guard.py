"""First stop: which vendor a path belongs to. Paths under no vendor prefix pass through."""

from __future__ import annotations

from tagfake.pipeline.call import SCOPE_KEY, Call, bind
from tagfake.pipeline.http import ASGIApp, Receive, Scope, Send
from tagfake.runtime import Runtime

ADMIN_PREFIX = "/__admin"


class Guard:
    def __init__(self, app: ASGIApp, *, runtime: Runtime, mounts: dict[str, str]) -> None:
        self.app = app
        self.runtime = runtime
        # Longest prefix first, so "" (CommBox served alone at the root) is tried last.
        self.mounts = sorted(mounts.items(), key=lambda kv: len(kv[0]), reverse=True)

    def vendor_for(self, path: str) -> tuple[str, str] | None:
        if path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/"):
            return None
        for prefix, slug in self.mounts:
            if path == prefix or path.startswith(prefix + "/") or prefix == "":
                return prefix, slug
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            found = self.vendor_for(scope["path"])
            if found is not None:
                prefix, slug = found
                call = Call(
                    runtime=self.runtime,
                    vendor=self.runtime.vendors[slug],
                    contract=self.runtime.contracts[slug],
                    mount=prefix,
                )
                scope[SCOPE_KEY] = call
                bind(call)
        await self.app(scope, receive, send)
