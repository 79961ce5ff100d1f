"""`X-Tagfake-Fault` takes what the admin API takes and nothing else: one parser, one set of
limits, errors in tagfake's words (never Python's) in the vendor's envelope. The rules that
count a header value's retries are bounded and expire, so distinct values cannot grow memory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tagfake.admin import faults
from tagfake.admin.faults import FaultSpecError, HeaderRules, parse_header
from tagfake.settings import Settings
from tests.conftest import World
from tests.envelopes import error_envelope_ok, leaks_nothing

VENDOR_PATHS = {
    "healvi": "/profiles/101",
    "commbox": "/tags",
    "zapini": "/tags",
    "nexor": "/tags",
}
REFUSED = [
    ("probability=2; status=503", "probability must be a number from 0 to 1"),
    ("probability=-1; status=503", "probability needs a number"),
    ("probability=nan; status=503", "probability needs a number"),
    ("status=503; times=0", "times must be a whole number of at least 1"),
    ("status=503; times=-1", "times must be a whole number of at least 1"),
    ("status=503; times=", "times= needs a value"),
    ("status=503; times=x", "times needs a number, not 'x'"),
    ("delay=99999999999", "delay must be a whole number from 0 to 60000 ms"),
    ("delay=60001", "delay must be a whole number from 0 to 60000 ms"),
    ("delay=500-100", "upper bound must not be below"),
    ("delay=1-60001", "delay_max_ms must be a whole number from 0 to 60000 ms"),
    ("status=200", "status must be a whole number from 400 to 599"),
    ("status=", "status= needs a value"),
    ("rate_limit; retry_after=86401", "retry_after must be a whole number from 0 to 86400 s"),
    ("drop; malformed", "name one effect"),
    ("status=500; status=503", "status is given twice"),
    ("drop=1", "drop takes no value"),
    ("times=1", "name an effect"),
    ("explode", "unknown part 'explode'"),
    ("status=503; " + "x" * 300, "longer than 256 characters"),
]


@pytest.mark.parametrize("vendor", list(VENDOR_PATHS))
@pytest.mark.parametrize(("value", "text"), REFUSED, ids=[v[:30] for v, _ in REFUSED])
def test_a_header_outside_the_limits_is_the_vendors_400_in_tagfakes_words(
    world: World, vendor: str, value: str, text: str
) -> None:
    before = world.snapshot()
    r = world.client(vendor).get(VENDOR_PATHS[vendor], headers={"X-Tagfake-Fault": value})
    assert r.status_code == 400, r.text
    error_envelope_ok(vendor, r)
    assert leaks_nothing(r.text), r.text
    if vendor in {"nexor", "zapini"}:  # the two envelopes that carry the text
        assert text in r.text and "X-Tagfake-Fault: " in r.text, r.text
    assert world.snapshot() == before
    assert world.http.get("/__admin/faults").json()["faults"] == []


@pytest.mark.parametrize(
    ("spec", "text"),
    [
        ({"effect": {"kind": "status", "status": 503}, "probability": 2}, "probability"),
        ({"effect": {"kind": "status", "status": 503}, "times": 0}, "times"),
        ({"effect": {"kind": "delay", "delay_ms": 99999999999}}, "delay_ms"),
        ({"effect": {"kind": "status", "status": 200}}, "status"),
    ],
)
def test_the_admin_api_refuses_the_same(world: World, spec: dict[str, Any], text: str) -> None:
    r = world.http.post("/__admin/faults", json=spec)
    assert r.status_code == 422, r.text
    error_envelope_ok("admin", r)
    assert text in r.text


def test_the_admin_spec_states_the_same_limits() -> None:
    doc = yaml.safe_load(Path(Settings().specs_dir / "admin.openapi.yaml").read_text())
    schemas = doc["components"]["schemas"]
    effect = schemas["FaultEffect"]["properties"]
    assert (effect["status"]["minimum"], effect["status"]["maximum"]) == faults.STATUS_RANGE
    assert effect["delay_ms"]["maximum"] == effect["delay_max_ms"]["maximum"] == faults.MAX_DELAY_MS
    assert effect["retry_after"]["maximum"] == faults.MAX_RETRY_AFTER
    rule = schemas["FaultRuleInput"]["properties"]
    assert rule["times"]["minimum"] == 1
    assert (rule["probability"]["minimum"], rule["probability"]["maximum"]) == (0, 1)


@pytest.mark.parametrize(
    ("value", "spec"),
    [
        ("status=503; times=1", {"effect": {"kind": "status", "status": 503}, "times": 1}),
        (" DELAY = 100-300 ", {"effect": {"kind": "delay", "delay_ms": 100, "delay_max_ms": 300}}),
        ("rate_limit; retry_after=0", {"effect": {"kind": "rate_limit", "retry_after": 0}}),
        (
            "drop; probability=.5; seed=-7",
            {"effect": {"kind": "drop"}, "probability": 0.5, "seed": -7},
        ),
        ("malformed;", {"effect": {"kind": "malformed"}}),
    ],
)
def test_good_headers_parse_to_the_admin_apis_rule_spec(value: str, spec: dict[str, Any]) -> None:
    assert parse_header(value) == spec


def test_header_rules_are_capped_least_recently_used_first() -> None:
    rules = HeaderRules(capacity=3, ttl=100, now=lambda: 0.0)
    spec = parse_header("status=503; times=1")
    first = rules.get("a", spec)
    assert first.fire()
    for key in ("b", "c"):
        rules.get(key, spec)
    rules.get("a", spec)  # used again: now the most recent
    rules.get("d", spec)  # evicts b, the least recently used
    assert len(rules) == 3
    assert rules.get("a", spec) is first and not first.fire()  # still counted: no second fault
    assert {r.id for r in rules.values()} == {"a", "c", "d"}


def test_header_rules_expire_after_their_ttl() -> None:
    now = [0.0]
    rules = HeaderRules(capacity=10, ttl=60, now=lambda: now[0])
    spec = parse_header("status=503; times=1")
    assert rules.get("a", spec).fire()
    now[0] = 59.0
    assert not rules.get("a", spec).fire()  # within the TTL: the retry passes
    now[0] = 59.0 + 60
    assert rules.values() == []  # idle for a whole TTL: forgotten
    assert rules.get("a", spec).fire()  # a new series


def test_distinct_header_values_do_not_grow_the_rule_book(world: World) -> None:
    book = world.runtime.faults
    capacity = book._from_headers.capacity  # the bound under test
    zapini = world.client("zapini")
    for i in range(capacity + 200):
        r = zapini.get("/tags", headers={"X-Tagfake-Fault": f"delay=0; seed={i}"})
        assert r.status_code == 200
    listed = world.http.get("/__admin/faults").json()["faults"]
    assert len(listed) == capacity
    ids = {f["id"] for f in listed}
    assert f"header:zapini:acme:delay=0; seed={capacity + 199}" in ids  # the newest is kept
    assert "header:zapini:acme:delay=0; seed=0" not in ids  # the oldest made room


def test_times_still_counts_across_retries(world: World) -> None:
    zapini = world.client("zapini")
    h = {"X-Tagfake-Fault": "status=503; times=2"}
    assert [zapini.get("/tags", headers=h).status_code for _ in range(3)] == [503, 503, 200]


def test_parse_errors_are_fault_spec_errors_not_value_errors_from_python() -> None:
    for value, _ in REFUSED:
        with pytest.raises(FaultSpecError) as info:
            parse_header(value)
        assert leaks_nothing(str(info.value)), str(info.value)
