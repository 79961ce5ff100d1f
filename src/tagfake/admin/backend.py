"""What the admin operations do, on the runtime (no HTTP here)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tagfake import __version__
from tagfake.admin import browse
from tagfake.admin.faults import FaultSpecError
from tagfake.admin.journal import JournalQuery
from tagfake.clock import ClockRangeError, rfc3339
from tagfake.errors import Invalid, NotFound
from tagfake.fixtures import FixtureDoc, FixtureError

if TYPE_CHECKING:
    from tagfake.runtime import Runtime


def _fixture_problem(exc: FixtureError) -> Invalid:
    return Invalid(str(exc), {"document": [exc.message]})


class AdminBackend:
    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime

    def _vendor(self, slug: str) -> None:
        if slug not in self.rt.vendors:
            raise NotFound("Vendor", f"vendor {slug!r} is not served here")

    def health(self) -> dict[str, Any]:
        rt = self.rt
        now = datetime.now(UTC)
        return {
            "status": "ok",
            "version": __version__,
            "vendors": {
                slug: v.mount_path(rt.settings.single_vendor) for slug, v in rt.vendors.items()
            },
            "store": type(rt.store).__name__.removesuffix("Store").lower(),
            "state_file": str(rt.settings.state_file) if rt.settings.state_file else None,
            "seed": rt.settings.seed,
            "validation": rt.settings.validation,
            "started_at": rfc3339(rt.started_at),
            "uptime_seconds": round((now - rt.started_at).total_seconds(), 3),
        }

    def reset(self, vendor: str | None, tenant: str | None) -> dict[str, Any]:
        if vendor is not None:
            self._vendor(vendor)
        elif tenant is not None:
            raise Invalid("Name the vendor of the tenant.", {"vendor": ["required with tenant"]})
        self.rt.reset(vendor, tenant)
        if vendor is None:
            self.rt.reset_harness()
        return {"reset": {"vendor": vendor, "tenant": tenant}}

    def seed(self, body: dict[str, Any]) -> dict[str, Any]:
        vendor = body["vendor"]
        self._vendor(vendor)
        try:
            if "scenario" in body:
                if not self.rt.fixture_file(vendor, body["scenario"]).is_file():
                    raise NotFound("Scenario", f"no scenario {body['scenario']!r} for {vendor}")
                doc = self.rt.read_fixture(vendor, body["scenario"])
            else:
                inline = FixtureDoc(file="<document>", data=body["document"], lines={})  # type: ignore[arg-type]
                doc = self.rt.check_fixture(vendor, inline)
            tenant = body.get("tenant")
            if tenant is not None and tenant not in doc.data["tenants"]:
                raise NotFound("Tenant", f"no tenant {tenant!r} in that fixture")
            loaded = self.rt.apply_fixture(vendor, doc, tenant)
        except FixtureError as exc:
            raise _fixture_problem(exc) from None
        except ValueError as exc:  # a credential another tenant already holds
            raise Invalid(str(exc), {"document": [str(exc)]}) from None
        return {"vendor": vendor, "tenants": loaded}

    def state(self, vendor: str, tenant: str) -> dict[str, Any]:
        self._vendor(vendor)
        if tenant not in self.rt.store.tenants(vendor):
            raise NotFound("Tenant", f"{vendor} has no tenant {tenant!r}")
        with self.rt.store.read(vendor, tenant) as ns:
            return {
                "vendor": vendor,
                "tenant": tenant,
                "credentials": self.rt.store.credentials(vendor, tenant),
                "tags": [dict(t) for t in ns.tags.values()],
                "groups": [dict(g) for g in ns.groups.values()],
                "entities": {
                    kind: [
                        {"id": key, "attrs": dict(e.attrs), "tags": list(e.tags)}
                        for key, e in items.items()
                    ]
                    for kind, items in ns.entities.items()
                },
            }

    def overview(self) -> dict[str, Any]:
        """What the dashboard's first page shows: health, and per vendor its tenants and counts."""
        rt = self.rt
        vendors: dict[str, Any] = {}
        for slug, v in rt.vendors.items():
            tenants = []
            for tenant in sorted(rt.store.tenants(slug)):
                with rt.store.read(slug, tenant) as ns:
                    entities = {kind: len(items) for kind, items in ns.entities.items()}
                    tags = len(ns.tags)
                tenants.append(
                    {
                        "tenant": tenant,
                        "credentials": rt.store.credentials(slug, tenant),
                        "tags": tags,
                        "entities": entities,
                    }
                )
            vendors[slug] = {
                "mount": v.mount_path(rt.settings.single_vendor),
                "tenants": tenants,
                "scenarios": self.scenarios(slug),
                "operations": sorted(rt.contracts[slug].operations),
            }
        return {**self.health(), "vendors": vendors, **self.faults(), "clock": self.clock()}

    def scenarios(self, vendor: str) -> list[str]:
        self._vendor(vendor)
        folder = self.rt.settings.fixtures_dir / vendor
        return sorted(p.stem for p in folder.glob("*.yaml"))

    def _tenant(self, vendor: str, tenant: str) -> None:
        self._vendor(vendor)
        if tenant not in self.rt.store.tenants(vendor):
            raise NotFound("Tenant", f"{vendor} has no tenant {tenant!r}")

    def tag_page(self, vendor: str, tenant: str, q: browse.PageQuery) -> dict[str, Any]:
        """One page of a tenant's tags, each with how many entities carry it."""
        self._tenant(vendor, tenant)
        with self.rt.store.read(vendor, tenant) as ns:
            total = len(ns.tags)
            matched, wanted = browse.page_keys(ns.tags, q)
        # A second, short read for the page itself: the sort above may have waited for no one.
        with self.rt.store.read(vendor, tenant) as ns:
            page = [(k, dict(ns.tags[k])) for k in wanted if k in ns.tags]
            carried = browse.carriers(ns, {k for k, _ in page})
        return {
            "vendor": vendor,
            "tenant": tenant,
            "total": total,
            "matched": matched,
            "columns": browse.columns([t for _, t in page]),
            "tags": [{**t, "_key": k, "_carriers": carried[k]} for k, t in page],
        }

    def entity_page(
        self, vendor: str, tenant: str, q: browse.PageQuery, tag: str | None = None
    ) -> dict[str, Any]:
        """One page of a tenant's entities (of every kind), optionally only those carrying `tag`,
        each with its tags as (key, label)."""
        self._tenant(vendor, tenant)
        with self.rt.store.read(vendor, tenant) as ns:
            found = browse.ordered_entities(ns.entities, q, tag)
            entities = []
            for kind, key in found[q.offset : q.offset + q.limit]:
                e = ns.entities[kind][key]
                labels = [(t, browse.label(ns.tags[t]) if t in ns.tags else t) for t in e.tags]
                entities.append({"kind": kind, "id": key, "attrs": dict(e.attrs), "tags": labels})
            tag_label = browse.label(ns.tags[tag]) if tag is not None and tag in ns.tags else None
        return {
            "vendor": vendor,
            "tenant": tenant,
            "tag": tag,
            "tag_label": tag_label,
            "matched": len(found),
            "entities": entities,
        }

    def journal(self, query: JournalQuery) -> dict[str, Any]:
        return self.rt.journal.query(query)

    def clear_journal(self) -> dict[str, Any]:
        return {"cleared": self.rt.journal.clear()}

    def faults(self) -> dict[str, Any]:
        return {"faults": [r.to_dict() for r in self.rt.faults.rules()]}

    def add_fault(self, spec: dict[str, Any]) -> dict[str, Any]:
        try:
            return self.rt.faults.add(spec).to_dict()
        except FaultSpecError as exc:
            raise Invalid(str(exc), {"effect": [str(exc)]}) from None

    def delete_fault(self, rule_id: str) -> dict[str, Any]:
        rule = self.rt.faults.remove(rule_id)
        if rule is None:
            raise NotFound("Fault", f"no fault rule {rule_id!r}")
        return rule.to_dict()

    def clear_faults(self) -> dict[str, Any]:
        return {"cleared": self.rt.faults.clear()}

    def clock(self) -> dict[str, Any]:
        return {"now": rfc3339(self.rt.clock.now()), "frozen": self.rt.clock.frozen}

    def set_clock(self, body: dict[str, Any]) -> dict[str, Any]:
        at = None
        if "at" in body:
            try:
                at = datetime.fromisoformat(body["at"].replace("Z", "+00:00"))
            except ValueError:
                raise Invalid(
                    "at is not an RFC 3339 date-time.", {"at": ["not a date-time"]}
                ) from None
        advance = body.get("advance_seconds")
        try:
            self.rt.clock.set(
                release=bool(body.get("release")),
                freeze=bool(body.get("freeze")),
                at=at,
                advance_seconds=None if advance is None else float(advance),
            )
        except ClockRangeError as exc:
            field = "advance_seconds" if advance is not None else "at"
            raise Invalid(f"Out of range: {exc}.", {field: [str(exc)]}) from None
        return self.clock()

    def rate_limits(self) -> dict[str, Any]:
        return {
            "enabled": self.rt.limiter.enabled,
            "limits": {
                slug: {"requests": v.rate_limit[0], "seconds": v.rate_limit[1]}
                for slug, v in self.rt.vendors.items()
                if v.rate_limit is not None
            },
        }

    def set_rate_limits(self, enabled: bool) -> dict[str, Any]:
        self.rt.limiter.set_enabled(enabled)
        return self.rate_limits()
