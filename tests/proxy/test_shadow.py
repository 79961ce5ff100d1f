"""`--shadow`: the upstream's answers against tagfake's own, request by request."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tagfake import core
from tagfake.state.model import Namespace
from tagfake.vendors.zapini import rules

from .helpers import ZAPINI_TOKEN, Upstream, running_proxy
from .sessions import nexor_session, sender, zapini_session

Z = {"Authorization": f"Bearer {ZAPINI_TOKEN}"}
BASE = {"zapini": "/api/v1", "nexor": "/api/public"}


def report_of(tmp_path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((tmp_path / "report" / "report.json").read_text())
    return doc


def _case_sensitive_names(
    ns: Namespace, body: Any, errors: dict[str, list[str]], own_key: str | None, pending: Any
) -> None:
    """ZapiniBackend._check with names compared case-sensitively (the spec assumes not)."""
    if "name" not in errors and isinstance(body, dict) and "name" in body:
        name = rules.trim(body["name"])
        clash = core.find_tag(ns, lambda t: t["name"] == name)
        if clash is not None and clash != own_key:
            errors["name"] = [rules.taken("name")]
    if errors:
        raise rules.invalid(rules.ordered(errors, rules.TAG_FIELDS))
    if pending is not None:
        raise pending


def test_upstream_answering_a_rule_differently_is_named_with_both_answers(
    fresh_upstream: Upstream, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Test-only: this upstream compares tag names case-sensitively (the spec assumes not).
    monkeypatch.setattr(fresh_upstream.runtime.backends["zapini"], "_check", _case_sensitive_names)
    with running_proxy("zapini", fresh_upstream.url("zapini"), tmp_path, shadow=True) as proxy:
        same = httpx.post(
            f"{proxy.url}/api/v1/tags", headers=Z, json={"name": "Brand new", "color": "#101010"}
        )
        r = httpx.post(
            f"{proxy.url}/api/v1/tags", headers=Z, json={"name": "vip", "color": "#101010"}
        )
        [entry] = httpx.get(f"{proxy.url}/__admin/journal", params={"limit": "1"}).json()["entries"]
    report = report_of(tmp_path)
    page = (tmp_path / "report" / "report.html").read_text()

    assert same.status_code == 201 and r.status_code == 201  # the app gets the upstream's answer
    assert entry["tenant"] == "acme"  # the shadow's tenant of that credential
    assert report["counts"] == {**report["counts"], "compared": 2, "different": 1}
    [diff] = report["differences"]
    assert diff["operation_id"] == "createTag"
    assert diff["upstream"]["status"] == 201 and diff["shadow"]["status"] == 422
    assert diff["upstream"]["body"]["data"]["tag"]["name"] == "vip"
    assert diff["shadow"]["body"]["error"]["details"]["name"] == [
        "The name has already been taken."
    ]
    assert {"where": "status", "upstream": 201, "shadow": 422} in diff["differences"]
    assert any("createTag (POST /tags)" in rule for rule in diff["rules"])
    assert any(
        "case-insensitively" in rule and "x-tagfake-assumption" in rule for rule in diff["rules"]
    )
    # The journal carries the same comparison, and the HTML report shows both answers.
    assert entry["proxy"]["comparison"]["differences"] == diff["differences"]
    assert "case-insensitively" in page and "The name has already been taken." in page


def test_shadow_imported_through_the_vendors_reads(
    fresh_upstream: Upstream, tmp_path: Path
) -> None:
    # The upstream is not at its fixtures any more: a tag the shadow's fixtures lack, on Maria.
    up = fresh_upstream.url("zapini")
    made = httpx.post(f"{up}/tags", headers=Z, json={"name": "Imported", "color": "#abcdef"}).json()
    imported = made["data"]["tag"]["id"]
    maria = "550e8400-e29b-41d4-a716-446655440045"
    httpx.put(f"{up}/conversations/{maria}/tags", headers=Z, json={"tag_ids": [imported]})
    fresh_upstream.admin("DELETE", "/journal")

    with running_proxy("zapini", up, tmp_path, shadow=True, import_reads=True) as proxy:
        base = f"{proxy.url}/api/v1"
        conversation = httpx.get(f"{base}/conversations/{maria}", headers=Z)
        listed = httpx.get(f"{base}/tags", headers=Z)
        synced = httpx.put(
            f"{base}/conversations/{maria}/tags", headers=Z, json={"tag_ids": [imported]}
        )
        state = httpx.get(f"{proxy.url}/__admin/state/zapini/upstream-1").json()
    report = report_of(tmp_path)
    upstream_saw = [
        (e["method"], e["path"]) for e in fresh_upstream.admin("GET", "/journal").json()["entries"]
    ]

    assert [conversation.status_code, listed.status_code, synced.status_code] == [200, 200, 200]
    assert report["counts"]["compared"] == 3
    assert report["counts"]["different"] == 0, json.dumps(report["differences"])[:3000]
    assert imported in {t["id"] for t in state["tags"]}
    # Besides the app's three, only the documented reads, each once.
    assert upstream_saw == [
        ("GET", "/zapini/api/v1/tags"),  # import: the tenant's tags, once
        ("GET", f"/zapini/api/v1/conversations/{maria}"),  # import: Maria, once
        ("GET", f"/zapini/api/v1/conversations/{maria}"),  # the app's
        ("GET", "/zapini/api/v1/tags"),
        ("PUT", f"/zapini/api/v1/conversations/{maria}/tags"),
    ]


@pytest.mark.parametrize(
    ("vendor", "session"), [("zapini", zapini_session), ("nexor", nexor_session)]
)
def test_imported_shadow_agrees_with_its_upstream_over_a_session(
    fresh_upstream: Upstream, tmp_path: Path, vendor: str, session: Any
) -> None:
    # The shadow starts empty: every tag, conversation and lead it needs comes from the reads.
    with (
        running_proxy(
            vendor, fresh_upstream.url(vendor), tmp_path, shadow=True, import_reads=True
        ) as proxy,
        httpx.Client(timeout=10) as client,
    ):
        session(sender(client, proxy.url + BASE[vendor], vendor), 200, seed=5, aliases=False)
        app_sent = client.get(f"{proxy.url}/__admin/journal").json()["entries"]
    report = report_of(tmp_path)
    upstream_got = fresh_upstream.admin("GET", "/journal").json()["entries"]

    assert report["counts"]["compared"] == 201
    assert report["counts"]["different"] == 0, json.dumps(report["differences"][:2])[:3000]
    # All the proxy sent of its own are reads: the rest is exactly what the app sent.
    assert len(upstream_got) > len(app_sent) == 201
    assert [e["method"] for e in upstream_got if e["method"] != "GET"] == [
        e["method"] for e in app_sent if e["method"] != "GET"
    ]


def test_throttled_or_failed_answers_are_not_compared(
    fresh_upstream: Upstream, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh_upstream.admin(
        "POST",
        "/faults",
        json={"effect": {"kind": "rate_limit", "retry_after": 3}, "match": {}, "times": 1},
    )
    with running_proxy("zapini", fresh_upstream.url("zapini"), tmp_path, shadow=True) as proxy:
        throttled = httpx.get(f"{proxy.url}/api/v1/tags", headers=Z)

        async def broken(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("shadow down")

        assert proxy.session is not None and proxy.session.shadow is not None
        monkeypatch.setattr(proxy.session.shadow, "send", broken)
        answered = httpx.get(f"{proxy.url}/api/v1/tags", headers=Z)
        entries = httpx.get(f"{proxy.url}/__admin/journal").json()["entries"]

    assert throttled.status_code == 429 and throttled.headers["retry-after"] == "3"
    assert answered.status_code == 200  # the app still gets the upstream's answer
    assert entries[0]["proxy"]["shadow"] == "not compared: the upstream answered 429"
    assert "shadow down" in entries[1]["proxy"]["shadow"]
    assert report_of(tmp_path)["counts"]["compared"] == 0
