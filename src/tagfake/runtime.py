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
from tagfake.state.engines import Engine, open_engine, parse_store_url
from tagfake.state.harness import memory_harness
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

    engine: Engine | None = None

    @classmethod
    def build(
        cls, settings: Settings, store: Store | None = None, *, primary: bool = True
    ) -> Runtime:
        """The runtime of `settings`: its store engine opened (`primary`: by the process that
        starts the server, not by a worker it spawned), its vendors compiled."""
        if store is not None:
            engine = Engine(parse_store_url("memory"), store, memory_harness(settings.rate_limits))
        else:
            engine = open_engine(
                settings.store,
                seed=settings.seed,
                rate_limits=settings.rate_limits,
                primary=primary,
                options={
                    "prefix": settings.store_prefix,
                    "timeout": settings.store_timeout,
                    "workers": settings.workers,
                },
            )
        harness = engine.harness
        rt = cls(
            settings=settings,
            store=engine.store,
            engine=engine,
            clock=Clock(harness.clock),
            journal=Journal(
                settings.journal_size,
                harness.journal,
                max_bytes=settings.journal_bytes,
                body_limit=settings.journal_body_bytes,
            ),
            faults=FaultBook(harness.faults),
            limiter=RateLimiter(settings.rate_limits, harness.rates),
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

    def start_state(self) -> str:
        """The state a server starts from: what its store kept, and the default fixtures of
        every served vendor the store holds nothing of yet. Says which, for the banner."""
        engine = self.engine
        kept = engine.kept_vendors() if engine else set()
        fresh = [slug for slug in self.vendors if slug not in kept]
        docs = {slug: self.read_fixture(slug) for slug in fresh}  # all checked before any loads
        for slug, doc in docs.items():
            self.apply_fixture(slug, doc)
        if engine is not None:
            engine.mark_vendors(kept | set(self.vendors))
        where = engine.summary if engine else "memory"
        if not kept:
            return f"{where} (started from the fixtures)"
        loaded = sum(1 for v, _ in self.store.iter_namespaces() if v in kept)
        text = f"{where} (kept {loaded} tenant(s)"
        return text + (f"; {', '.join(fresh)} from the fixtures)" if fresh else ")")

    def close(self) -> None:
        if self.engine is not None:
            self.engine.close()

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
