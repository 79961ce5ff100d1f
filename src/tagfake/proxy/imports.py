"""`--import-reads`: the shadow's state, read from the upstream with the vendor's own GETs.

The only requests the proxy sends that the app did not, and only when the user asks for them:
a new credential → the tenant's lists (Zapini and Nexor `GET /tags`; CommBox `GET /tags/groups`
and `GET /tags`; healvi has none); the first request about an entity → its read (Zapini
`GET /conversations/{uuid}`, Nexor `GET /leads/{id}`, healvi `GET /profiles/{id}`; CommBox
objects have none). Each is sent once, with the app's credential header and nothing else.
The upstream's answers then keep the picture current (world.py), so what a vendor cannot read
(healvi's tags, a lead known only by email) is learnt from the traffic, from the next request on."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tagfake.fixtures import FixtureDoc, FixtureError
from tagfake.pipeline.call import Call
from tagfake.pipeline.http import Scope, headers_dict
from tagfake.proxy.upstream import UpstreamFailed
from tagfake.proxy.world import Exchange, World, shallowest

if TYPE_CHECKING:
    from tagfake.proxy.shadow import Shadow


def _parse(raw: bytes) -> Any:
    from tagfake.proxy.shadow import parse

    return parse(raw)


log = logging.getLogger("tagfake.proxy")

#: The reads that fill a new tenant, as (operationId, path).
TENANT_READS = {
    "zapini": [("listTags", "/tags")],
    "nexor": [("listTags", "/tags")],
    "commbox": [("getTagsGroups", "/tags/groups"), ("getTags", "/tags")],
    "healvi": [],
}
_CREDENTIAL_HEADERS = (b"authorization", b"x-api-key")


def entity_reads(
    vendor: str, op: str, params: dict[str, Any], body: Any
) -> list[tuple[str, str, dict[str, str]]]:
    """(operationId, path, path params) of the read of the entity a request is about."""
    if vendor == "zapini" and op in {"getConversation", "updateConversationTags"}:
        uuid = str(params.get("uuid", ""))
        return [("getConversation", f"/conversations/{uuid}", {"uuid": uuid})]
    if vendor == "nexor":
        lead = params.get("leadId") if op in {"getLeadTags", "assignLeadTags"} else None
        if op == "getLead":
            lead = params.get("id")
        if op == "syncLeadTags":
            found = shallowest(body, "lead_id")
            lead = found if isinstance(found, str) else None
        if lead:
            return [("getLead", f"/leads/{lead}", {"id": str(lead)})]
    if vendor == "healvi" and op in {"getProfile", "syncProfileTags"}:
        profile = str(params.get("id", params.get("profileId", "")))
        return [("getProfile", f"/profiles/{profile}", {"id": profile})]
    return []


class Importer:
    def __init__(self, shadow: Shadow) -> None:
        self.shadow = shadow
        self.vendor = shadow.vendor.slug
        self.world = World(self.vendor)
        #: Credential → the shadow tenant made for it (each credential is its own tenant: the
        #: proxy cannot know that two credentials are one account upstream).
        self.tenants: dict[str, str] = {}
        self.refused: set[str] = set()
        self._read: set[tuple[str, str]] = set()
        self._merged: dict[str, int] = {}
        self._lock = asyncio.Lock()

    def _tenant(self, call: Call, scope: Scope) -> tuple[str | None, str | None]:
        credential = self.shadow.vendor.credential(headers_dict(scope))
        if credential is None:
            return None, None
        return credential, self.tenants.get(credential)

    async def prepare(self, call: Call, scope: Scope, raw: bytes) -> None:
        # One at a time: two first requests of a credential must not both make its tenant.
        async with self._lock:
            await self._prepare(call, scope)

    async def _prepare(self, call: Call, scope: Scope) -> None:
        credential, name = self._tenant(call, scope)
        if credential is None or credential in self.refused:
            return
        reads: list[tuple[str, str, dict[str, str]]] = []
        new = name is None
        if name is None:
            name = f"upstream-{len(self.tenants) + len(self.refused) + 1}"
            reads += [(op, path, {}) for op, path in TENANT_READS[self.vendor]]
        op = call.operation.operation_id if call.operation else ""
        params = {k: str(v) for k, v in scope.get("path_params", {}).items()}
        reads += entity_reads(self.vendor, op, params, call.body)
        if self.vendor == "commbox" and "OBJECT_ID" in params:
            t = self.world.tenant(name)
            t.tag_sets.setdefault(f"{params.get('STREAM_ID')}/{params['OBJECT_ID']}", [])
            self.world.version += 1
        credential_headers = [
            (k, v) for k, v in scope.get("headers", []) if k.lower() in _CREDENTIAL_HEADERS
        ]
        imported: list[dict[str, Any]] = []
        upstream = self.shadow.upstream
        assert upstream is not None
        for read_op, path, read_params in reads:
            # Upstream ids the shadow knows by another id are the shadow's own already.
            if (credential, path) in self._read or any(
                v in self.shadow.ids.to_shadow for v in read_params.values()
            ):
                continue
            self._read.add((credential, path))
            try:
                answer = await upstream.send(
                    "GET", upstream.url(path, b""), credential_headers, b""
                )
            except UpstreamFailed as exc:  # an import that fails leaves the shadow as it is
                imported.append({"read": f"GET {path}", "error": str(exc)})
                continue
            imported.append({"read": f"GET {path}", "status": answer.status})
            if new and answer.status in {401, 403}:
                # Not a credential of the upstream: no tenant, so the shadow refuses it too.
                self.refused.add(credential)
                if call.proxy is not None:
                    call.proxy["imported"] = imported
                return
            self.world.observe(
                name,
                Exchange(read_op, "GET", read_params, "", None, answer.status, _parse(answer.body)),
            )
        if new:
            name = self.world.named(name)
        self.tenants[credential] = name
        if imported and call.proxy is not None:
            call.proxy["imported"] = imported
        if self._merged.get(name) != self.world.version:
            self._merge(name, credential)
            self._merged[name] = self.world.version

    def learned(self, call: Call, scope: Scope, upstream_doc: Any, status: int) -> None:
        """The upstream's answer keeps the picture current for the next merge."""
        credential, name = self._tenant(call, scope)
        if credential is None or name is None or call.operation is None:
            return
        if status == 401:
            # No read told (healvi has none for a tenant): the upstream does not know it.
            self.shadow.runtime.store.drop(self.vendor, name)
            del self.tenants[credential]
            self.refused.add(credential)
            return
        params = {k: str(v) for k, v in scope.get("path_params", {}).items()}
        query = scope.get("query_string", b"").decode("latin-1")
        self.world.observe(
            name,
            Exchange(
                call.operation.operation_id,
                scope["method"].upper(),
                params,
                query,
                call.body,
                status,
                upstream_doc,
            ),
        )

    def _merge(self, name: str, credential: str) -> None:
        """What the picture has and the shadow lacks goes into the shadow (nothing is replaced)."""
        rt = self.shadow.runtime
        skip = set(self.shadow.ids.to_shadow)
        data = {
            "vendor": self.vendor,
            "tenants": {name: self.world.tenant_fixture(name, [credential], skip)},
        }
        doc = FixtureDoc(Path("<imported from the upstream>"), data, {})
        try:
            rt.check_fixture(self.vendor, doc)
        except (FixtureError, ValueError) as exc:
            log.warning("shadow import for %s: %s", name, exc)
            return
        if name not in rt.store.tenants(self.vendor):
            rt.apply_fixture(self.vendor, doc)
            return
        fresh, _ = rt.vendors[self.vendor].load_tenant(doc, name, rt)
        with rt.store.transaction(self.vendor, name) as live:
            for key, tag in fresh.tags.items():
                live.tags.setdefault(key, tag)
            for key, group in fresh.groups.items():
                live.groups.setdefault(key, group)
            for kind, items in fresh.entities.items():
                into = live.kind(kind)
                for key, entity in items.items():
                    into.setdefault(key, entity)
