"""The suite against a base URL: a tagfake server (found through `GET /__admin/health`, every
served vendor, tenants acme and globex) or one vendor's own API (a sandbox), as named by flags."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tagfake.suite.http import Http
from tagfake.suite.target import (
    Lead,
    Oracle,
    VendorTarget,
    _admin_state,
    _entities,
    is_tagfake,
    tagfake_targets,
    tenant_of,
)

TENANTS = ("acme", "globex")


@dataclass
class Named:
    """What the user named on the command line."""

    vendors: list[str] = field(default_factory=list)
    credential: str | None = None
    other_credential: str | None = None
    lead_emails: list[str] = field(default_factory=list)
    lead_ids: list[str] = field(default_factory=list)
    conversation_ids: list[str] = field(default_factory=list)
    profile_ids: list[int] = field(default_factory=list)
    stream: int | None = None
    objects: list[str] = field(default_factory=list)
    #: healvi: tag ids to give back per profile id ("*": every profile).
    restore_tags: dict[str, list[int]] | None = None

    def entities(self, vendor: str) -> list[Any]:
        if vendor == "zapini":
            return list(self.conversation_ids)
        if vendor == "healvi":
            return list(self.profile_ids)
        if vendor == "nexor":
            return [Lead(id=x) for x in self.lead_ids] + [Lead(email=x) for x in self.lead_emails]
        pairs: list[tuple[int, int]] = []
        for raw in self.objects:
            if "/" in raw:
                stream, obj = raw.split("/", 1)
                pairs.append((int(stream), int(obj)))
            elif self.stream is not None:
                pairs.append((self.stream, int(raw)))
            else:
                raise ValueError(f"--object {raw}: give --stream, or write STREAM/OBJECT")
        return pairs


class TargetError(Exception):
    """The targets cannot be built from what was named."""


def url_targets(
    http: Http, base_url: str, named: Named
) -> tuple[list[VendorTarget], dict[str, Any] | None]:
    """The targets, and tagfake's health document when the base URL is a tagfake server."""
    health = is_tagfake(http)
    if health is not None:
        if named.credential is None:
            targets = tagfake_targets(http, health, base_url, named.vendors or None, TENANTS)
            if not targets:
                raise TargetError("the tagfake server has none of the named vendors")
            for t in targets:
                t.restore_tags = named.restore_tags
            return targets, health
        if len(named.vendors) != 1:
            raise TargetError("--credential needs exactly one --vendor")
        vendor = named.vendors[0]
        mount = health["vendors"].get(vendor)
        if mount is None:
            raise TargetError(f"the tagfake server does not serve {vendor}")
        tenant = tenant_of(http, vendor, named.credential, TENANTS)
        state = _admin_state(http, vendor, tenant) if tenant else None
        target = VendorTarget(
            vendor=vendor,
            http=http,
            prefix=str(mount).rstrip("/"),
            base_url=base_url.rstrip("/") + str(mount),
            credential=named.credential,
            other_credential=named.other_credential,
            entities=named.entities(vendor) or (_entities(vendor, state) if state else []),
            oracle=Oracle(http, vendor, tenant) if tenant else None,
            restore_tags=named.restore_tags,
            tagfake=True,
        )
        return [target], health
    if len(named.vendors) != 1:
        raise TargetError(
            f"{base_url} is not a tagfake server (no /__admin/health): name its --vendor"
        )
    if named.credential is None:
        raise TargetError("--credential is required against a vendor's API")
    vendor = named.vendors[0]
    return [
        VendorTarget(
            vendor=vendor,
            http=http,
            prefix="",
            base_url=base_url.rstrip("/"),
            credential=named.credential,
            other_credential=named.other_credential,
            entities=named.entities(vendor),
            restore_tags=named.restore_tags,
        )
    ], None
