"""Who may use /__admin: Host names tagfake serves, the admin token when one is set, no page of
another origin, and state changes only with a JSON body or a custom header. Every refusal is
problem+json and changes nothing."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from tagfake.app import create_app, runtime_of
from tagfake.pipeline.admin_guard import (
    FORM_POST_KEY,
    POLICY_KEY,
    AdminGuard,
    AdminPolicy,
    split_host,
)
from tagfake.pipeline.http import Receive, Scope, Send
from tagfake.server import exposure_warning
from tagfake.settings import Settings
from tests.conftest import BASE_URL, World

TOKEN = "s3cret-admin-token_42"
ZAPINI = {"Authorization": "Bearer sk_acme_4f9d2c7b1e8a6035d2b9c4e7f1a8d3b6"}
MARKER = {"effect": {"kind": "status", "status": 503}, "match": {"path": "^/never$"}, "id": "m"}


def problem(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert not [h for h in r.headers if h.lower().startswith("access-control-")]
    body: dict[str, Any] = r.json()
    assert body["status"] == status and body["detail"]
    return body


def marked(http: TestClient, **headers: str) -> bool:
    faults = http.get("/__admin/faults", headers=headers).json()["faults"]
    return any(f["id"] == "m" for f in faults)


@pytest.fixture
def marker(world: World) -> World:
    """A fault rule that any reset removes: its presence shows no reset happened."""
    r = world.http.post("/__admin/faults", json=MARKER)
    assert r.status_code == 201, r.text
    return world


@pytest.fixture(scope="module")
def locked() -> Iterator[TestClient]:
    """tagfake with an admin token and one extra allowed host."""
    settings = Settings(validation="enforce", admin_token=TOKEN, allowed_hosts=("tagfake",))
    with TestClient(create_app(settings), base_url=BASE_URL) as http:
        yield http


# -- Host ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1:8080", "localhost", "LOCALHOST:9", "app.localhost", "[::1]:8080", "10.1.2.3"],
)
def test_the_admin_api_answers_to_loopback_names_and_ip_addresses(world: World, host: str) -> None:
    assert world.http.get("/__admin/health", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize(
    "host", ["attacker.example", "attacker.example:8080", "tagfake", "localhost.attacker.example"]
)
def test_a_rebound_host_name_is_refused_and_changes_nothing(marker: World, host: str) -> None:
    http = marker.http
    for method, path in [
        ("GET", "/__admin/state/zapini/acme"),
        ("GET", "/__admin/openapi.json"),
        ("GET", "/__admin/health"),
        ("POST", "/__admin/reset"),
        ("GET", "/__admin/ui/"),
    ]:
        r = http.request(method, path, headers={"Host": host}, json={})
        assert "does not answer to the host" in problem(r, 403)["detail"]
        assert "sk_acme" not in r.text
    assert marked(http)


def test_vendor_routes_answer_to_any_host_name(world: World) -> None:
    # Apps in containers reach tagfake by their service name (`http://tagfake:8080`).
    r = world.http.get("/zapini/api/v1/tags", headers={"Host": "tagfake:8080", **ZAPINI})
    assert r.status_code == 200


def test_two_host_headers_are_refused(world: World) -> None:
    r = world.http.get("/__admin/health", headers=[("Host", "127.0.0.1"), ("Host", "evil.test")])
    problem(r, 403)


def test_configured_hosts_are_served_exactly_by_suffix_or_all() -> None:
    policy = AdminPolicy(allowed_hosts=["tagfake", ".corp.example"], bound_host="my-box.lan")
    assert policy.host_allowed("tagfake") and policy.host_allowed("my-box.lan")
    assert policy.host_allowed("corp.example") and policy.host_allowed("ci.corp.example")
    assert not policy.host_allowed("tagfake.attacker.example")
    assert not policy.host_allowed("evilcorp.example")
    assert AdminPolicy(allowed_hosts=["*"]).host_allowed("anything.example")


def test_an_allowed_host_is_served_with_the_token(locked: TestClient) -> None:
    ok = locked.get(
        "/__admin/health", headers={"Host": "tagfake:8080", "X-Tagfake-Admin-Token": TOKEN}
    )
    assert ok.status_code == 200
    problem(
        locked.get("/__admin/health", headers={"Host": "other", "X-Tagfake-Admin-Token": TOKEN}),
        403,
    )


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("Example.COM.:80", ("example.com", 80)),
        ("[::1]", ("::1", None)),
        ("[::1]:8080", ("::1", 8080)),
        ("a:b", None),
        ("[::1", None),
        ("x:99999", None),
        ("", None),
        ("a b", None),
    ],
)
def test_host_headers_are_parsed_strictly(value: str, parsed: Any) -> None:
    assert split_host(value) == parsed


# -- the admin token -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Tagfake-Admin-Token": "wrong"},
        {"X-Tagfake-Admin-Token": TOKEN[:-1]},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": "Bearer wrong"},
        {"X-Tagfake-Admin-Token": TOKEN, "Authorization": "Bearer wrong"},
    ],
)
def test_with_a_token_set_every_admin_call_needs_it(
    locked: TestClient, headers: dict[str, str]
) -> None:
    locked.post("/__admin/faults", json=MARKER, headers={"X-Tagfake-Admin-Token": TOKEN})
    for method, path in [
        ("GET", "/__admin/health"),
        ("GET", "/__admin/state/zapini/acme"),
        ("GET", "/__admin/journal"),
        ("GET", "/__admin/openapi.json"),
        ("POST", "/__admin/reset"),
        ("DELETE", "/__admin/faults"),
    ]:
        r = locked.request(method, path, headers={"Content-Type": "application/json", **headers})
        problem(r, 401)
        assert r.headers["www-authenticate"].startswith("Bearer")
        assert TOKEN not in r.text
    assert marked(locked, **{"X-Tagfake-Admin-Token": TOKEN})


@pytest.mark.parametrize(
    "headers", [{"X-Tagfake-Admin-Token": TOKEN}, {"Authorization": f"bearer {TOKEN}"}]
)
def test_the_right_token_in_either_header_is_served(
    locked: TestClient, headers: dict[str, str]
) -> None:
    assert locked.get("/__admin/state/zapini/acme", headers=headers).status_code == 200
    assert locked.post("/__admin/reset", headers=headers).status_code == 200


def test_the_token_is_not_needed_on_vendor_routes(locked: TestClient) -> None:
    assert locked.get("/zapini/api/v1/tags", headers=ZAPINI).status_code == 200


def test_the_token_never_shows_in_answers_journal_or_logs(
    locked: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    auth = {"X-Tagfake-Admin-Token": TOKEN}
    with caplog.at_level(logging.DEBUG):
        locked.post("/__admin/reset", headers=auth)
        # An app that sends it to a vendor by mistake: the journal hides it as it hides keys.
        locked.get("/zapini/api/v1/tags", headers={**ZAPINI, **auth})
        answers = [
            locked.get(f"/__admin{p}", headers=auth).text
            for p in ("/health", "/state/zapini/acme", "/journal", "/faults", "/clock")
        ]
        locked.get("/__admin/health", headers={"X-Tagfake-Admin-Token": "wrong"})
    assert not [a for a in answers if TOKEN in a]
    journal = locked.get("/__admin/journal", headers=auth).json()["entries"]
    assert journal[-1]["request"]["headers"]["x-tagfake-admin-token"] == "***"
    assert TOKEN not in caplog.text
    assert TOKEN not in repr(Settings(admin_token=TOKEN))


# -- browsers: other origins ------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},  # another port of the same host
        {"Origin": "http://127.0.0.1:9999"},
        {"Origin": "http://localhost"},
        {"Origin": "https://127.0.0.1"},
        {"Origin": "null"},
        {"Origin": "http://127.0.0.1", "Sec-Fetch-Site": "cross-site"},
    ],
)
def test_a_page_of_another_origin_can_neither_read_nor_change(
    marker: World, headers: dict[str, str]
) -> None:
    http = marker.http
    for method, path in [
        ("GET", "/__admin/state/zapini/acme"),
        ("GET", "/__admin/journal"),
        ("OPTIONS", "/__admin/reset"),
        ("POST", "/__admin/reset"),
    ]:
        r = http.request(method, path, json={}, headers={"X-Tagfake-Admin": "1", **headers})
        assert "another origin" in problem(r, 403)["detail"]
        assert "sk_acme" not in r.text
    assert marked(http)


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "same-origin", "Origin": "http://127.0.0.1"},
        {"Sec-Fetch-Site": "none"},
        {"Origin": "http://127.0.0.1:80"},
    ],
)
def test_tagfakes_own_origin_is_served(world: World, headers: dict[str, str]) -> None:
    r = world.http.get("/__admin/state/zapini/acme", headers=headers)
    assert r.status_code == 200
    assert "access-control-allow-origin" not in r.headers
    r = world.http.post("/__admin/reset", json={}, headers=headers)
    assert r.status_code == 200


# -- state changes need JSON or a custom header --------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "headers", "body"),
    [
        ("POST", "/__admin/reset", {}, None),
        ("POST", "/__admin/reset", {"Content-Type": "text/plain"}, b"{}"),
        ("POST", "/__admin/reset", {"Content-Type": "application/x-www-form-urlencoded"}, b"a=b"),
        ("POST", "/__admin/seed", {"Content-Type": "multipart/form-data; boundary=x"}, b"--x--"),
        ("POST", "/__admin/reset", {"Content-Type": "application/jsonp"}, b"{}"),
        ("DELETE", "/__admin/faults", {}, None),
        ("DELETE", "/__admin/journal", {"Authorization": "Basic dXNlcjpwYXNz"}, None),
        ("PUT", "/__admin/reset", {}, None),
    ],
)
def test_a_state_change_without_json_or_a_custom_header_is_refused(
    marker: World, method: str, path: str, headers: dict[str, str], body: bytes | None
) -> None:
    before = marker.snapshot()
    r = marker.http.request(method, path, headers=headers, content=body)
    assert "X-Tagfake-Admin" in problem(r, 403)["detail"]
    assert marked(marker.http)
    assert marker.snapshot() == before


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Tagfake-Admin": "1"},
        {"Content-Type": "application/json"},
        {"Content-Type": "Application/JSON ; charset=utf-8"},
        {"Authorization": "Bearer anything"},
    ],
)
def test_json_or_a_custom_header_lets_the_state_change_through(
    marker: World, headers: dict[str, str]
) -> None:
    r = marker.http.request("DELETE", "/__admin/faults", headers=headers)
    assert r.status_code == 200, r.text
    assert not marked(marker.http)


def test_reads_need_no_custom_header(world: World) -> None:
    assert world.http.get("/__admin/state/zapini/acme").status_code == 200


# -- the dashboard's same-origin form posts -------------------------------------------------------


async def _dashboard(scope: Scope, receive: Receive, send: Send) -> None:
    """A stand-in for the dashboard: acts on a form post only with a valid CSRF token."""
    policy: AdminPolicy = scope[POLICY_KEY]
    token = dict(scope.get("headers", [])).get(b"x-csrf-probe", b"").decode()
    ok = not scope.get(FORM_POST_KEY) or policy.csrf_ok(token)
    status = 200 if ok else 400
    await send({"type": "http.response.start", "status": status, "headers": []})
    await send({"type": "http.response.body", "body": b""})


@pytest.fixture
def dashboard() -> tuple[TestClient, AdminPolicy]:
    policy = AdminPolicy()
    return TestClient(AdminGuard(_dashboard, policy=policy), base_url=BASE_URL), policy


def test_a_same_origin_form_post_reaches_the_dashboard_which_checks_csrf(
    dashboard: tuple[TestClient, AdminPolicy],
) -> None:
    http, policy = dashboard
    form = {"Content-Type": "application/x-www-form-urlencoded", "Origin": "http://127.0.0.1"}
    token = policy.csrf_token()
    good = http.post("/__admin/ui/reset", content=b"x=1", headers={**form, "X-Csrf-Probe": token})
    assert good.status_code == 200
    assert http.post("/__admin/ui/reset", content=b"x=1", headers=form).status_code == 400
    assert policy.csrf_ok(policy.csrf_token("s1"), "s1")
    assert not policy.csrf_ok(policy.csrf_token("s1"), "s2")
    assert not AdminPolicy().csrf_ok(token)  # another server's token


def test_a_form_post_from_another_origin_or_outside_the_dashboard_is_refused(
    dashboard: tuple[TestClient, AdminPolicy],
) -> None:
    http, policy = dashboard
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    csrf = {"X-Csrf-Probe": policy.csrf_token()}
    other = {**form, **csrf, "Origin": "http://127.0.0.1:9999"}
    problem(http.post("/__admin/ui/reset", content=b"x=1", headers=other), 403)
    # No browser said it is same-origin: not a dashboard form.
    problem(http.post("/__admin/ui/reset", content=b"x=1", headers={**form, **csrf}), 403)
    same = {**form, **csrf, "Origin": "http://127.0.0.1"}
    problem(http.post("/__admin/reset", content=b"x=1", headers=same), 403)


# -- settings and the start warning -------------------------------------------------------------


def test_token_and_allowed_hosts_come_from_the_environment() -> None:
    env = {"TAGFAKE_ADMIN_TOKEN": TOKEN, "TAGFAKE_ALLOWED_HOSTS": "tagfake, .corp.example"}
    s = Settings.from_env(env)
    assert s.admin_token == TOKEN
    assert s.allowed_hosts == ("tagfake", ".corp.example")


@pytest.mark.parametrize(
    "changes",
    [
        {"admin_token": ""},
        {"admin_token": "two words"},
        {"admin_token": "caf\u00e9"},
        {"allowed_hosts": ("tagfake:8080",)},
        {"allowed_hosts": ("http://tagfake",)},
    ],
)
def test_bad_token_or_host_settings_are_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"admin token|allowed host"):
        Settings(**changes)


@pytest.mark.parametrize(
    ("host", "token", "warns"),
    [
        ("0.0.0.0", None, True),
        ("", None, True),
        ("::", None, True),
        ("192.168.1.20", None, True),
        ("my-box.lan", None, True),
        ("0.0.0.0", TOKEN, False),
        ("127.0.0.1", None, False),
        ("127.0.0.2", None, False),
        ("::1", None, False),
        ("localhost", None, False),
    ],
)
def test_start_warns_once_when_the_admin_api_is_open_to_other_machines(
    host: str, token: str | None, warns: bool
) -> None:
    warning = exposure_warning(Settings(host=host, admin_token=token), 8080)
    assert (warning is not None) == warns
    if warning is not None:
        assert "\n" not in warning and "TAGFAKE_ADMIN_TOKEN" in warning


def test_the_policy_is_built_from_the_settings() -> None:
    app = create_app(Settings(admin_token=TOKEN, host="my-box.lan"))
    with TestClient(app, base_url="http://my-box.lan") as http:
        problem(http.get("/__admin/health"), 401)
        assert http.get("/__admin/health", headers={"X-Tagfake-Admin-Token": TOKEN}).is_success
    assert runtime_of(app).settings.admin_token == TOKEN


def test_serve_takes_the_token_and_allowed_hosts_as_flags(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import argparse

    from tagfake.cli import _serve_parser, settings_from

    monkeypatch.delenv("TAGFAKE_ADMIN_TOKEN", raising=False)
    parser = argparse.ArgumentParser()
    _serve_parser(parser.add_subparsers())
    args = parser.parse_args(["serve", "--admin-token", TOKEN, "--allowed-hosts", "tagfake, ci"])
    s = settings_from(args)
    assert (s.admin_token, s.allowed_hosts) == (TOKEN, ("tagfake", "ci"))


def test_serve_refuses_a_bad_allowed_host_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    from tagfake.cli import main

    assert main(["serve", "--allowed-hosts", "tagfake:8080"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tagfake: allowed host 'tagfake:8080'") and err.count("\n") == 1
