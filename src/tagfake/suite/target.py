"""What the suite runs against: per vendor, where its API is, which credentials to use, which
entities it may touch and, when the target is tagfake itself, a state oracle (the admin API)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from tagfake.contract.spec import VendorContract, compile_contract
from tagfake.settings import VENDORS, Settings
from tagfake.suite.api import Api
from tagfake.suite.http import Http

ADMIN = "/__admin"


@cache
def contract_of(vendor: str) -> VendorContract:
    return compile_contract(vendor, Settings().specs_dir / f"{vendor}.openapi.yaml")


@dataclass(frozen=True)
class Lead:
    """A nexor lead, named by id, by email, or both."""

    id: str | None = None
    email: str | None = None


class Oracle:
    """tagfake's admin API, read-only: a tenant's stored tags and each entity's tag keys.

    Used only where the vendor's own API cannot show a state (healvi profiles' and CommBox
    objects' tags); its reads are counted but not shown in curl lines."""

    def __init__(self, http: Http, vendor: str, tenant: str) -> None:
        self.http = http
        self.vendor = vendor
        self.tenant = tenant

    def state(self) -> dict[str, Any]:
        ex = self.http.send("GET", f"{ADMIN}/state/{self.vendor}/{self.tenant}", record=False)
        if ex.status != 200:
            raise RuntimeError(f"admin state {self.vendor}/{self.tenant}: {ex.answer()}")
        doc: dict[str, Any] = ex.json()
        return doc

    def entity_tags(self, kind: str, key: str) -> list[str]:
        for item in self.state()["entities"].get(kind, []):
            if item["id"] == key:
                return [str(t) for t in item["tags"]]
        raise KeyError(f"{self.vendor} {kind} {key} is not in the admin state")

    def tag_keys(self) -> set[str]:
        return {str(t["id"]).lower() for t in self.state()["tags"]}


@dataclass
class VendorTarget:
    vendor: str
    http: Http
    #: Path prefix of the vendor's routes on the client's base URL ("" for a vendor's own URL).
    prefix: str
    base_url: str
    credential: str
    other_credential: str | None = None
    #: The entities the suite may change (and restores): ids, `Lead`s or (stream, object) pairs.
    entities: list[Any] = field(default_factory=list)
    oracle: Oracle | None = None
    #: Ids of tags of the other tenant, when known (healvi cannot create one another way).
    other_tags: list[Any] = field(default_factory=list)
    #: healvi: the tags to give back to the profiles at the end (there is no read of them).
    restore_tags: dict[str, list[int]] | None = None
    #: The target is a tagfake server (its admin API answered).
    tagfake: bool = False
    #: Write credentials as `${VENDOR_CREDENTIAL}` in curl lines (not for tagfake's fixtures).
    mask: bool = True

    @property
    def contract(self) -> VendorContract:
        return contract_of(self.vendor)

    def api(self) -> Api:
        return Api(self.vendor, self.http, self.contract, self.prefix, self.credential)

    def other_api(self) -> Api | None:
        if self.other_credential is None:
            return None
        return Api(self.vendor, self.http, self.contract, self.prefix, self.other_credential)

    @property
    def secrets(self) -> dict[str, str]:
        if self.tagfake or not self.mask:
            return {}
        found = {f"{self.vendor.upper()}_CREDENTIAL": self.credential}
        if self.other_credential:
            found[f"{self.vendor.upper()}_OTHER_CREDENTIAL"] = self.other_credential
        return found


# -- discovery: a tagfake server describes itself ---------------------------------------------
def is_tagfake(http: Http) -> dict[str, Any] | None:
    """The admin health document when the base URL is a tagfake server, else None."""
    ex = http.send("GET", f"{ADMIN}/health", record=False)  # no answer at all: raised
    body = ex.json()
    if ex.status == 200 and isinstance(body, dict) and isinstance(body.get("vendors"), dict):
        return body
    return None


def _entities(vendor: str, state: dict[str, Any], limit: int = 3) -> list[Any]:
    ents = state.get("entities", {})
    if vendor == "zapini":
        return [e["id"] for e in ents.get("conversations", [])][:limit]
    if vendor == "healvi":
        return [int(e["id"]) for e in ents.get("profiles", [])][:limit]
    if vendor == "nexor":
        leads = ents.get("leads", [])
        return [Lead(e["id"], e["attrs"].get("email")) for e in leads][:limit]
    objects = []
    for e in ents.get("objects", []):
        stream, obj = str(e["id"]).split("/", 1)
        objects.append((int(stream), int(obj)))
    return objects[:limit]


def tagfake_targets(
    http: Http,
    health: dict[str, Any],
    base_url: str,
    vendors: list[str] | None = None,
    tenants: tuple[str, str] = ("acme", "globex"),
) -> list[VendorTarget]:
    """One target per served vendor, credentials and entities read from the admin state."""
    found: list[VendorTarget] = []
    for vendor, mount in health["vendors"].items():
        if vendor not in VENDORS or (vendors and vendor not in vendors):
            continue
        main, other = tenants
        state = _admin_state(http, vendor, main)
        if state is None or not state.get("credentials"):
            continue
        other_state = _admin_state(http, vendor, other)
        found.append(
            VendorTarget(
                vendor=vendor,
                http=http,
                prefix=str(mount).rstrip("/"),
                base_url=base_url.rstrip("/") + str(mount),
                credential=state["credentials"][0],
                other_credential=(other_state or {}).get("credentials", [None])[0],
                entities=_entities(vendor, state),
                oracle=Oracle(http, vendor, main),
                other_tags=[t["id"] for t in (other_state or {}).get("tags", [])],
                tagfake=True,
            )
        )
    return found


def tenant_of(http: Http, vendor: str, credential: str, tenants: tuple[str, ...]) -> str | None:
    for tenant in tenants:
        state = _admin_state(http, vendor, tenant)
        if state is not None and credential in state.get("credentials", []):
            return tenant
    return None


def _admin_state(http: Http, vendor: str, tenant: str) -> dict[str, Any] | None:
    ex = http.send("GET", f"{ADMIN}/state/{vendor}/{tenant}", record=False)
    body = ex.json()
    return body if ex.status == 200 and isinstance(body, dict) else None
