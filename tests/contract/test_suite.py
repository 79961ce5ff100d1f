"""The whole suite in-process against the fake: it passes (but for the deviations it found and
that are listed in harness.KNOWN_DEVIATIONS), cleans up after itself and writes its reports."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from tagfake.app import create_app
from tagfake.settings import VENDORS
from tagfake.suite.base import RunContext
from tagfake.suite.http import Http, retry_after_seconds
from tagfake.suite.inprocess import inprocess_targets
from tagfake.suite.model import SuiteRun, Throttled
from tagfake.suite.report import html_report, junit_xml, summary
from tagfake.suite.runner import Options, run_suite
from tagfake.suite.target import VendorTarget, contract_of
from tagfake.suite.vendors import suite_class
from tests.conftest import BASE_URL

from .harness import KNOWN_DEVIATIONS, run_inprocess, settings, small_budget


def only_known(run: SuiteRun) -> bool:
    """Nothing failed but the deviations of the fake listed in harness.KNOWN_DEVIATIONS."""
    return {r.id for r in run.failed} <= set(KNOWN_DEVIATIONS)


def check_known(run: SuiteRun) -> None:
    failed = {r.id: r for r in run.failed}
    unexpected = {
        k: f"{v.message} | {v.example} | {v.curl}"
        for k, v in failed.items()
        if k not in KNOWN_DEVIATIONS
    }
    assert not unexpected, summary(run)
    gone = [k for k in KNOWN_DEVIATIONS if k not in failed]
    assert not gone, f"fixed, remove from harness.KNOWN_DEVIATIONS: {gone}"


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self.tags.append(tag)


def check_reports(run: SuiteRun, tmp_path: Path) -> None:
    junit, page = tmp_path / "junit.xml", tmp_path / "report.html"
    junit.write_bytes(junit_xml(run))
    page.write_text(html_report(run), encoding="utf-8")
    root = ET.parse(junit).getroot()
    assert root.tag == "testsuites"
    cases = root.findall("testsuite/testcase")
    assert len(cases) == len(run.results)
    assert int(root.get("failures", "0")) == sum(r.outcome == "failed" for r in run.results)
    names = {f"{c.get('classname')}.{c.get('name')}" for c in cases}
    assert {f"contract.{r.id}" for r in run.results} == names
    observations = [p for p in root.iter("property") if p.get("name", "").startswith("observ")]
    assert observations
    parser = _Html()
    parser.feed(page.read_text(encoding="utf-8"))
    assert "table" in parser.tags and "script" not in parser.tags and "link" not in parser.tags


def test_the_fake_passes_the_whole_suite(tmp_path: Path) -> None:
    run = run_inprocess(budget=small_budget(schemathesis="full", schemathesis_examples=5))
    print(summary(run))
    assert {v.vendor for v in run.vendors} == set(VENDORS)
    for v in run.vendors:
        checks = {r.check for r in v.results}
        assert {
            "sync-isolated",
            "tenant-isolation",
            "auth-required",
            "state-machine",
            "error-envelope",
            "rejected-changes-nothing",
        } <= checks
        assert any(c.startswith("schemathesis/") for c in checks)
        assert not [r for r in v.results if r.outcome == "skipped"], v.results
        probed = [o for o in v.observations if o.observed is not None]
        assert len(probed) >= 8, v.observations
        assert not [o for o in v.observations if o.as_assumed is False], v.observations
        assert any("link step(s) taken" in n and " 0 link step" not in n for n in v.notes)
    check_known(run)
    check_reports(run, tmp_path)


def _state(http: TestClient) -> dict[str, Any]:
    """Every vendor's and tenant's tags (id → name) and each entity's tag set."""
    out: dict[str, Any] = {}
    for vendor in VENDORS:
        for tenant in ("acme", "globex"):
            doc = http.get(f"/__admin/state/{vendor}/{tenant}").json()
            tags = {str(t["id"]): t.get("name", t.get("title")) for t in doc["tags"]}
            out[f"{vendor}/{tenant}/tags"] = tags
            out[f"{vendor}/{tenant}/groups"] = {str(g["id"]): g["name"] for g in doc["groups"]}
            for kind, items in doc["entities"].items():
                for e in items:
                    out[f"{vendor}/{tenant}/{kind}/{e['id']}"] = sorted(e["tags"])
    return out


def test_a_run_restores_what_it_touched_and_deletes_what_it_made() -> None:
    app = create_app(settings())
    with TestClient(app, base_url=BASE_URL) as http:
        before = _state(http)
        run = run_inprocess(app, budget=small_budget(machine_examples=6))
        after = _state(http)
    assert only_known(run), summary(run)
    prefix = f"tagfake-{run.run_id}-"
    for key, value in before.items():
        if key.startswith("healvi/") and key.endswith("/tags"):
            # healvi cannot delete tags: the run's stay, detached, and nothing else changes.
            extra = {k: v for k, v in after[key].items() if k not in value}
            assert all(str(v).startswith(prefix) for v in extra.values()), extra
            assert {k: after[key][k] for k in value} == value
        else:
            assert after[key] == value, key
    # Only against tagfake, leads are created (POST /leads is observed, and a state-machine
    # rule); the API cannot delete them, so they stay, without tags.
    new = set(after) - set(before)
    assert all(k.startswith("nexor/acme/leads/") and after[k] == [] for k in new), new
    assert not set(before) - set(after)


def test_every_probe_observes_an_assumption_of_its_spec() -> None:
    for vendor in VENDORS:
        target = VendorTarget(
            vendor, Http(TestClient(create_app(settings()))), "", "x", "c", entities=[1, 2]
        )
        suite = suite_class(vendor)(target, RunContext("x"))
        pointers = {p for p, _ in contract_of(vendor).assumptions()}
        assert set(suite.probes()) <= pointers, set(suite.probes()) - pointers


def test_the_request_budget_stops_testing_but_not_the_clean_up() -> None:
    app = create_app(settings())
    with TestClient(app, base_url=BASE_URL) as http:
        before = _state(http)
        run = run_inprocess(app, vendors=["zapini"], max_requests=150, probes=False)
        after = _state(http)
    outcomes = {r.check: r.outcome for r in run.results}
    assert "incomplete" in outcomes.values(), outcomes
    assert only_known(run), summary(run)
    assert after == before


class _Throttling:
    """A client answering 429 with Retry-After before every other answer."""

    def __init__(self, retry_after: str) -> None:
        self.calls = 0
        self.retry_after = retry_after

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        import httpx

        self.calls += 1
        req = httpx.Request(method, "http://x" + url)
        if self.calls % 2:
            return httpx.Response(429, headers={"Retry-After": self.retry_after}, request=req)
        return httpx.Response(200, json={"ok": True}, request=req)


def test_429_with_retry_after_is_waited_for() -> None:
    waits: list[float] = []
    http = Http(_Throttling("3"), sleep=waits.append)
    ex = http.send("GET", "/tags")
    assert ex.status == 200 and waits == [3.0] and http.sent == 2 and http.throttled == 1
    patient = Http(_Throttling("600"), sleep=waits.append, max_wait=60)
    with pytest.raises(Throttled, match=r"throttled — incomplete.*exceeds --max-wait 60s"):
        patient.send("GET", "/tags")  # too long to wait: the check is incomplete, not failed
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=0) is not None
    assert retry_after_seconds("soon") is None


def test_the_fakes_own_rate_limit_is_honoured() -> None:
    """zapini's documented limit (100 requests / 15 min), on; waiting advances the fake's clock."""
    app = create_app(settings())
    with inprocess_targets(app, ["zapini"]) as targets:
        http = targets[0].http
        http.send("POST", "/__admin/clock", body={"freeze": True}, record=False)
        http.send("POST", "/__admin/rate-limits", body={"enabled": True}, record=False)

        def wait(seconds: float) -> None:  # the fake's clock, not ours
            http.send("POST", "/__admin/clock", body={"advance_seconds": seconds}, record=False)

        http.sleep = wait
        http.max_wait = 900  # zapini's window is 15 minutes
        only = {"sync-sets-exact", "roundtrip", "unique"}
        run = run_suite(targets, Options("rl", small_budget(examples=25), only=only))
    assert http.throttled >= 1
    assert run.ok, summary(run)


@pytest.mark.parametrize("vendor", VENDORS)
def test_each_vendor_alone(vendor: str) -> None:
    """A vendor served alone keeps its own base path; the suite finds it through the admin API."""
    app = create_app(settings().replace(vendors=(vendor,), single_vendor=True))
    run = run_inprocess(app, budget=small_budget(examples=3, machine_examples=2), probes=False)
    assert [v.vendor for v in run.vendors] == [vendor]
    assert only_known(run), summary(run)
