"""Everything a running tagfake owns, framework-free: settings, store, clock, vendors, contracts."""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tagfake.admin.faults import FaultBook
from tagfake.admin.journal import Journal
from tagfake.admin.ratelimit import RateLimiter
from tagfake.clock import Clock, rfc3339
from tagfake.contract.spec import SpecError, VendorContract, compile_contract
from tagfake.fixtures import FixtureDoc, FixtureError, check_schema, parse_fixture
from tagfake.settings import Settings
from tagfake.state.memory import MemoryStore
from tagfake.state.model import Namespace
from tagfake.state.store import Store
from tagfake.vendors.base import Vendor

log = logging.getLogger("tagfake")


def load_vendor(slug: str) -> Vendor:
    module = importlib.import_module(f"tagfake.vendors.{slug}.vendor")
    vendor: Vendor = module.VENDOR
    return vendor


@dataclass
class Runtime:
    settings: Settings
    store: Store
    clock: Clock = field(default_factory=Clock)
    vendors: dict[str, Vendor] = field(default_factory=dict)
    contracts: dict[str, VendorContract] = field(default_factory=dict)
    backends: dict[str, Any] = field(default_factory=dict)
    journal: Journal = field(default_factory=lambda: Journal(1000))
    faults: FaultBook = field(default_factory=FaultBook)
    limiter: RateLimiter = field(default_factory=lambda: RateLimiter(False))
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @classmethod
    def build(cls, settings: Settings, store: Store | None = None) -> Runtime:
        rt = cls(
            settings=settings,
            store=store or MemoryStore(settings.seed),
            journal=Journal(settings.journal_size),
            limiter=RateLimiter(settings.rate_limits),
        )
        if not settings.specs_dir.is_dir():
            raise SpecError(settings.specs_dir, None, "is not a directory of <vendor>.openapi.yaml")
        for slug in settings.vendors:
            vendor = load_vendor(slug)
            rt.vendors[slug] = vendor
            rt.contracts[slug] = compile_contract(slug, spec_path(settings, slug))
            rt.backends[slug] = vendor.make_backend(rt)
        return rt

    def fixture_file(self, vendor: str, scenario: str = "default") -> Path:
        return self.settings.fixtures_dir / vendor / f"{scenario}.yaml"

    def read_fixture(self, vendor: str, scenario: str = "default") -> FixtureDoc:
        path = self.fixture_file(vendor, scenario)
        if not path.is_file():
            raise FixtureError(path, None, f"no fixture file for {vendor} scenario {scenario!r}")
        return self.check_fixture(vendor, parse_fixture(path))

    def check_fixture(self, vendor: str, doc: FixtureDoc) -> FixtureDoc:
        v = self.vendors[vendor]
        check_schema(doc, vendor, v.tenant_schema())
        # Build every tenant once up front so a bad reference is refused before anything loads.
        for tenant in doc.data["tenants"]:
            v.load_tenant(doc, tenant, self)
        return doc

    def apply_fixture(self, vendor: str, doc: FixtureDoc, tenant: str | None = None) -> list[str]:
        """Replace the named tenants (all in the document by default) with the fixture's."""
        v = self.vendors[vendor]
        built: list[tuple[str, Namespace, list[str]]] = []
        for name in doc.data["tenants"]:
            if tenant is None or name == tenant:
                ns, creds = v.load_tenant(doc, name, self)
                built.append((name, ns, creds))
        for name, ns, creds in built:
            self.store.put_tenant(vendor, name, ns, creds)
        return [name for name, _, _ in built]

    def load_fixtures(self) -> None:
        """Start state: every served vendor's default fixture (all checked before any loads)."""
        docs = {slug: self.read_fixture(slug) for slug in self.vendors}
        for slug, doc in docs.items():
            self.apply_fixture(slug, doc)

    def reset(self, vendor: str | None = None, tenant: str | None = None) -> None:
        """Back to the default fixtures: everything, one vendor, or one tenant."""
        slugs = [vendor] if vendor else list(self.vendors)
        docs = {slug: self.read_fixture(slug) for slug in slugs}
        if vendor is None and tenant is None:
            self.store.drop()
            self.store.reseed(self.settings.seed)
        for slug, doc in docs.items():
            if tenant is None:
                self.store.drop(slug)
            elif tenant not in doc.data["tenants"]:
                self.store.drop(slug, tenant)
                continue
            self.apply_fixture(slug, doc, tenant)

    def reset_harness(self) -> None:
        """Journal, fault rules, clock and rate-limit windows back to their start."""
        self.journal.clear()
        self.faults.clear()
        self.clock.unfreeze()
        self.limiter.set_enabled(self.settings.rate_limits)

    def now_iso(self) -> str:
        return rfc3339(self.clock.now())


def spec_path(settings: Settings, vendor: str) -> Path:
    return settings.specs_dir / f"{vendor}.openapi.yaml"
