"""Running the contract suite in-process, as the tests need it."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import httpx

from tagfake.app import create_app
from tagfake.settings import Settings
from tagfake.suite.base import Budget
from tagfake.suite.http import Http
from tagfake.suite.inprocess import inprocess_targets
from tagfake.suite.model import SuiteRun
from tagfake.suite.remote import Named, url_targets
from tagfake.suite.runner import Options, run_suite

#: Checks the fake is known to fail against its own spec, as check id -> why. Empty: the suite's
#: one finding (an absent body accepted where the spec requires one) is fixed. A new finding
#: goes here only with its reason; the full-suite test fails once it no longer fails.
KNOWN_DEVIATIONS: dict[str, str] = {}


def settings() -> Settings:
    # "report" (the default mode): the suite sees what the fake answers, not a 500 in its place.
    return Settings(validation="report", seed=4242)


def small_budget(**changes: Any) -> Budget:
    base = Budget(
        examples=10, machine_examples=10, machine_steps=12, schemathesis="off", shrink_seconds=5
    )
    for key, value in changes.items():
        setattr(base, key, value)
    return base


def run_inprocess(
    app: Any = None,
    *,
    vendors: list[str] | None = None,
    only: set[str] | None = None,
    budget: Budget | None = None,
    probes: bool = True,
    max_requests: int | None = None,
    run_id: str = "t3st01",
) -> SuiteRun:
    app = app if app is not None else create_app(settings())
    with inprocess_targets(app, vendors, max_requests=max_requests) as targets:
        opts = Options(run_id, budget or small_budget(), only=only, probes=probes, app=app)
        return run_suite(targets, opts)


#: The three ways the suite meets a server: in this process (starlette's TestClient), over a URL
#: to tagfake (the admin API answers), and over a vendor's own base URL (no admin API: what a
#: run against a sandbox can see).
TARGETS = ("in-process", "url", "url-no-admin")


def _admin(url: str, path: str) -> Any:
    with urllib.request.urlopen(f"{url}/__admin{path}", timeout=10) as r:
        return json.loads(r.read())


def named_for(url: str, vendor: str) -> tuple[str, Named]:
    """The vendor's base URL and what a user would name on the command line for it (read here
    from the admin API, as a user reads their sandbox's ids from its UI)."""
    mount = _admin(url, "/health")["vendors"][vendor]
    main, other = (_admin(url, f"/state/{vendor}/{t}") for t in ("acme", "globex"))
    named = Named(
        vendors=[vendor],
        credential=main["credentials"][0],
        other_credential=other["credentials"][0],
    )
    entities = main["entities"]
    if vendor == "zapini":
        named.conversation_ids = [e["id"] for e in entities["conversations"]][:3]
    elif vendor == "healvi":
        named.profile_ids = [int(e["id"]) for e in entities["profiles"]][:3]
    elif vendor == "nexor":
        named.lead_emails = [e["attrs"]["email"] for e in entities["leads"]][:3]
    else:
        named.objects = [e["id"] for e in entities["objects"]][:3]
    return url + mount, named


def run_over_url(url: str, vendor: str, opts: Options, *, admin: bool) -> SuiteRun:
    """The suite against a live server: tagfake's root (`admin`) or the vendor's base URL."""
    base, named = (url, Named(vendors=[vendor])) if admin else named_for(url, vendor)
    with httpx.Client(base_url=base, timeout=30.0) as client:
        http = Http(client)
        targets, health = url_targets(http, base, named)
        assert (health is not None) == admin, health
        return run_suite(targets, opts)
