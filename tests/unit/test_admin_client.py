"""AdminClient against a live server in a thread (the plugin's `tagfake` fixture)."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request

import pytest

from tagfake.testing.client import AdminClient, AdminError, Fault
from tagfake.testing.plugin import TagfakeServer
from tagfake.testing.server import ServerStartError, ThreadedServer

ZAPINI_TOKEN = "sk_acme_4f9d2c7b1e8a6035d2b9c4e7f1a8d3b6"
MARIA = "550e8400-e29b-41d4-a716-446655440045"
VIP = "550e8400-e29b-41d4-a716-446655440001"


def list_tags(tagfake: AdminClient, tenant_token: str = ZAPINI_TOKEN) -> int:
    request = urllib.request.Request(
        f"{tagfake.vendor_url('zapini')}/tags",
        headers={"Authorization": f"Bearer {tenant_token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        error.close()
        return int(error.code)


def test_health_and_vendor_urls(tagfake: AdminClient, tagfake_server: TagfakeServer) -> None:
    health = tagfake.health()
    assert health["status"] == "ok"
    assert set(health["vendors"]) == {"healvi", "commbox", "zapini", "nexor"}
    assert tagfake.vendor_url("zapini") == f"{tagfake_server.url}/zapini/api/v1"
    with pytest.raises(AdminError, match="'acme' is not served here") as raised:
        tagfake.vendor_url("acme")
    assert raised.value.status == 404


def test_vendor_url_asks_the_server_once() -> None:
    admin = AdminClient("http://127.0.0.1:9/", vendors={"zapini": "/api/v1"})
    assert admin.base_url == "http://127.0.0.1:9"
    assert admin.vendor_url("zapini") == "http://127.0.0.1:9/api/v1"  # no request made


def test_state_seed_and_reset(tagfake: AdminClient) -> None:
    state = tagfake.state("zapini", "acme")
    assert state["vendor"] == "zapini" and ZAPINI_TOKEN in state["credentials"]
    assert tagfake.seed("zapini", scenario="default", tenant="globex") == ["globex"]
    tagfake.seed(
        "zapini",
        document={
            "vendor": "zapini",
            "tenants": {"initech": {"credentials": ["sk_initech_0123456789abcdef0123456789ab"]}},
        },
    )
    assert tagfake.state("zapini", "initech")["tags"] == []

    assert tagfake.reset("zapini", "initech") == {
        "reset": {"vendor": "zapini", "tenant": "initech"}
    }
    with pytest.raises(AdminError) as raised:
        tagfake.state("zapini", "initech")  # not in the fixtures: gone
    assert raised.value.status == 404
    assert raised.value.problem["title"] == "Not Found"
    assert str(raised.value) == "404 Not Found: zapini has no tenant 'initech'"


def test_seed_takes_a_scenario_or_a_document(tagfake: AdminClient) -> None:
    with pytest.raises(ValueError, match="scenario or a document"):
        tagfake.seed("zapini")
    with pytest.raises(ValueError, match="scenario or a document"):
        tagfake.seed("zapini", scenario="default", document={})


def test_problem_fields_in_the_message(tagfake: AdminClient) -> None:
    with pytest.raises(AdminError) as raised:
        tagfake.seed("zapini", document={"vendor": "zapini", "tenants": {"x": {"tags": 3}}})
    error = raised.value
    assert error.status == 422
    assert error.problem["errors"]
    assert str(error).startswith("422 Unprocessable Content: ")
    assert "\n" not in str(error)


def test_journal_filters(tagfake: AdminClient) -> None:
    assert list_tags(tagfake) == 200
    assert list_tags(tagfake, "sk_wrong") == 401

    assert [e["status"] for e in tagfake.journal()] == [200, 401]
    assert [e["status"] for e in tagfake.journal(vendor="zapini", status=401)] == [401]
    assert [e["tenant"] for e in tagfake.journal(tenant="acme")] == ["acme"]
    assert len(tagfake.journal(method="get", path="/tags", operation="listTags")) == 2
    assert [e["status"] for e in tagfake.journal(limit=1)] == [401]
    assert tagfake.journal(vendor="nexor") == []
    page = tagfake.journal_page(status=200)
    assert (len(page["entries"]), page["total"], page["dropped"]) == (1, 2, 0)

    assert tagfake.clear_journal() == 2
    assert tagfake.journal() == []


def test_fault_rules(tagfake: AdminClient) -> None:
    rule = tagfake.fault("status", status=503, vendor="zapini", operation="listTags", times=1)
    assert isinstance(rule, Fault) and isinstance(rule, str)
    assert rule.startswith("fault-")
    assert rule.rule["match"] == {"vendor": "zapini", "operation": "listTags"}

    assert list_tags(tagfake) == 503
    assert list_tags(tagfake) == 200
    assert rule.info()["applied"] == 1 and rule.info()["matched"] == 2
    assert [f["id"] for f in tagfake.faults()] == [rule]

    named = tagfake.fault(
        effect={"kind": "delay", "delay_ms": 1, "delay_max_ms": 5},
        match={"method": "GET"},
        probability=1.0,
        seed=3,
        id="jitter",
    )
    assert named == "jitter"
    assert named.rule["seed"] == 3
    assert tagfake.delete_fault("jitter")["id"] == "jitter"
    assert tagfake.clear_faults() == 1
    assert tagfake.faults() == []


def test_fault_as_a_context_manager(tagfake: AdminClient) -> None:
    with tagfake.fault("rate_limit", retry_after=4, vendor="zapini") as rule:
        assert list_tags(tagfake) == 429
        [entry] = tagfake.journal(status=429)
        assert entry["fault"] is not None and entry["response"]["headers"]["retry-after"] == "4"
    assert tagfake.faults() == []
    assert list_tags(tagfake) == 200

    with tagfake.fault("drop") as rule:
        tagfake.reset()  # removed the rule already: leaving the block is still quiet
    with pytest.raises(AdminError, match="no fault rule"):
        rule.info()


def test_fault_needs_its_argument(tagfake: AdminClient) -> None:
    with pytest.raises(ValueError, match="needs a kind"):
        tagfake.fault()
    with pytest.raises(ValueError, match="status="):
        tagfake.fault("status")
    with pytest.raises(ValueError, match="delay_ms="):
        tagfake.fault("delay")
    with pytest.raises(AdminError) as raised:
        tagfake.fault("status", status=200)
    assert raised.value.status == 422


def test_clock(tagfake: AdminClient) -> None:
    assert tagfake.clock()["frozen"] is False
    frozen = tagfake.clock(at="2030-01-01T00:00:00Z")
    assert frozen == {"now": "2030-01-01T00:00:00Z", "frozen": True}
    assert tagfake.clock(advance=90)["now"] == "2030-01-01T00:01:30Z"
    assert tagfake.clock(release=True)["frozen"] is False
    assert tagfake.clock(freeze=True)["frozen"] is True


def test_rate_limits(tagfake: AdminClient) -> None:
    assert tagfake.rate_limits()["enabled"] is False
    assert tagfake.rate_limits(True)["enabled"] is True
    assert tagfake.rate_limits(enabled=False)["enabled"] is False


def test_unreachable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        with pytest.raises(AdminError) as raised:
            AdminClient(url, timeout=2).health()
    assert raised.value.status is None
    assert str(raised.value).startswith(f"cannot reach tagfake at {url}: ")


def test_not_json_error_body(tagfake: AdminClient) -> None:
    # An admin route that does not exist still answers problem+json; a foreign server may not.
    with pytest.raises(AdminError) as raised:
        tagfake._call("GET", "/nope")
    assert raised.value.status == 404
    payload = json.dumps(raised.value.problem)
    assert "Not Found" in payload


def test_threaded_server_start_and_stop() -> None:
    server = ThreadedServer()
    with server:
        assert server.running
        assert server.url == f"http://127.0.0.1:{server.port}"
        assert server.startup_seconds is not None and server.startup_seconds > 0
        assert AdminClient(server.url).health()["validation"] == "report"
        with pytest.raises(ServerStartError, match="started already"):
            server.start()
    assert not server.running
    with pytest.raises(AdminError):
        AdminClient(server.url, timeout=2).health()
