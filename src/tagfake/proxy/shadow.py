"""`--shadow`: each forwarded request is also answered by a tagfake of the same vendor, in
process, from its own state, and the two answers are compared (compare.py).

The shadow's store is the proxy runtime's, so `/__admin/state/<vendor>/<tenant>` on the proxy
shows the shadow world. It starts from the fixtures (`--fixtures`: e.g. a scenario made by
`tagfake fixtures from-har`), or, with `--import-reads`, empty and filled from the upstream
through the vendor's own reads (imports.py) — the only requests the proxy ever sends itself."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import httpx

from tagfake.app import create_app
from tagfake.pipeline.call import Call
from tagfake.pipeline.http import Scope
from tagfake.proxy.compare import ORDERED, IdMap, differences, normalise, rules_for
from tagfake.proxy.options import ProxyOptions
from tagfake.proxy.upstream import HOP_BY_HOP, Answer, Upstream, end_to_end
from tagfake.redact import PLAIN
from tagfake.runtime import Runtime
from tagfake.settings import Settings

if TYPE_CHECKING:
    from tagfake.proxy.imports import Importer


#: Fields an imported shadow cannot know (see compare()).
IMPORT_BLIND = frozenset({"conversations_count"})


def parse(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return raw.decode("utf-8", "replace")


class Shadow:
    def __init__(self, options: ProxyOptions, runtime: Runtime, app: Any) -> None:
        self.options = options
        self.runtime = runtime
        self.vendor = runtime.vendors[options.vendor]
        self.contract = runtime.contracts[options.vendor]
        self.ids = IdMap()
        self.upstream: Upstream | None = None
        self._app = app
        self._client: httpx.AsyncClient | None = None
        self.importer: Importer | None = None
        if options.import_reads:
            from tagfake.proxy.imports import Importer

            self.importer = Importer(self)

    @classmethod
    def build(cls, settings: Settings, options: ProxyOptions, proxy: Runtime) -> Shadow:
        runtime = Runtime.build(settings, store=proxy.store)
        if not options.import_reads:
            runtime.load_fixtures()
        return cls(options, runtime, create_app(settings, runtime))

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=self._app), base_url="http://shadow"
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def send(
        self, method: str, path: str, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> Answer:
        request = httpx.Request(
            method,
            f"http://shadow{path}",
            headers=end_to_end(headers, HOP_BY_HOP),
            content=body or None,
        )
        response = await self._http().send(request)
        return Answer(response.status_code, list(response.headers.raw), response.content)

    def _shadow_path(self, scope: Scope, mount: str) -> str:
        raw = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
        below = raw[len(mount) :]
        parts = [str(self.ids.shadow_id(p)) if p else p for p in below.split("/")]
        query = scope.get("query_string", b"").decode("latin-1")
        return mount + "/".join(parts) + (f"?{query}" if query else "")

    async def prepare(self, call: Call, scope: Scope, raw: bytes) -> None:
        """Before the request goes upstream: import what it is about, as it is before."""
        if self.importer is not None:
            await self.importer.prepare(call, scope, raw)

    async def compare(self, call: Call, scope: Scope, raw: bytes, answer: Answer) -> dict[str, Any]:
        if answer.status == 429 or answer.status >= 500:
            # The upstream did not (or may not have) done it: nothing to apply or compare.
            return {"shadow": f"not compared: the upstream answered {answer.status}"}
        sent = parse(raw)
        body = (
            json.dumps(self.ids.translate(sent, self.ids.to_shadow)).encode()
            if raw and not isinstance(sent, str)
            else raw
        )
        method = scope["method"].upper()
        got = await self.send(
            method, self._shadow_path(scope, call.mount), list(scope.get("headers", [])), body
        )
        upstream_doc, shadow_doc = parse(answer.body), parse(got.body)
        if method != "GET" and answer.status < 300 and got.status < 300:
            self.ids.learn(upstream_doc, shadow_doc)
        if self.importer is not None:
            self.importer.learned(call, scope, upstream_doc, answer.status)
        shadow_doc = self.ids.translate(shadow_doc, self.ids.to_upstream)
        op_id = call.operation.operation_id if call.operation else ""
        ordered = (self.vendor.slug, op_id) in ORDERED
        found = differences(normalise(upstream_doc, ordered), normalise(shadow_doc, ordered))
        if self.importer is not None:
            # Derived from every entity of the tenant, of which an imported shadow knows only
            # those read: not comparable (Zapini lists no conversations).
            found = [d for d in found if d["where"].rsplit("/", 1)[-1] not in IMPORT_BLIND]
        if answer.status != got.status:
            found.insert(0, {"where": "status", "upstream": answer.status, "shadow": got.status})
        keys = {d["where"].rsplit("/", 1)[-1] for d in found}
        return {
            "comparison": {
                "upstream": {"status": answer.status, "body": PLAIN.json(upstream_doc)},
                "shadow": {"status": got.status, "body": PLAIN.json(shadow_doc)},
                "differences": found,
                "rules": (
                    rules_for(self.contract, call.operation, keys, (answer.status, got.status))
                    if found
                    else []
                ),
            }
        }
