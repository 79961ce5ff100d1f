"""The dashboard over HTTP (no browser): sign-in with the admin token, the cross-site guard on
every control, hostile input, paging of a large tenant, and what it leaves to the vendor routes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from tagfake.app import create_app
from tagfake.server import banner
from tagfake.settings import Settings
from tagfake.ui import UI_PREFIX
from tagfake.ui.security import AUTH_COOKIE, CSRF_COOKIE
from tests.conftest import BASE_URL, World

ORIGIN = BASE_URL
SAME_ORIGIN = {"Origin": ORIGIN, "Sec-Fetch-Site": "same-origin"}


def csrf(http: TestClient, page: str = "/controls") -> str:
    r = http.get(UI_PREFIX + page)
    assert r.status_code == 200
    m = re.search(r'name="csrf_token" value="([^"]+)"', r.text)
    assert m is not None
    assert http.cookies.get(CSRF_COOKIE) == m[1]
    return m[1]


def post(http: TestClient, path: str, data: dict[str, str], **headers: str) -> Any:
    return http.post(
        UI_PREFIX + path, data=data, headers={**SAME_ORIGIN, **headers}, follow_redirects=False
    )


def tags(world: World, vendor: str = "healvi", tenant: str = "acme") -> int:
    with world.runtime.store.read(vendor, tenant) as ns:
        return len(ns.tags)


def add_tag(world: World) -> None:
    r = world.client("healvi").post("/profiles/101/tags", json={"tags": [{"title": "Extra"}]})
    assert r.status_code == 200


def test_every_page_answers_html_with_a_strict_content_security_policy(world: World) -> None:
    for page in ("/", "/state", "/entities", "/journal", "/journal/rows", "/charts", "/controls"):
        r = world.http.get(UI_PREFIX + page)
        assert r.status_code == 200, page
        assert r.headers["content-type"].startswith("text/html")
        assert "script-src 'self'" in r.headers["content-security-policy"]
        assert r.headers["x-frame-options"] == "DENY"
        assert "<script>" not in r.text  # no inline script: the policy would block it


def test_swagger_ui_is_served_per_vendor_with_the_fakes_own_server(world: World) -> None:
    for prefix in ("/healvi/third-party/v1", "/commbox", "/zapini/api/v1", "/nexor/api/public"):
        page = world.http.get(f"{prefix}/ui/")
        assert page.status_code == 200
        assert f"{prefix}/openapi.json" in page.text
        assert "swagger-ui-bundle.js" in page.text
        assert world.http.get(f"{prefix}/ui/swagger-ui-bundle.js").status_code == 200
        assert world.http.get(f"{prefix}/openapi.json").json()["servers"] == [{"url": prefix}]
    assert world.http.get("/__admin/ui/").status_code == 200  # the admin API has the dashboard


def test_a_control_resets_with_a_same_origin_post_and_its_token(world: World) -> None:
    add_tag(world)
    token = csrf(world.http)
    r = post(world.http, "/controls/reset", {"csrf_token": token, "vendor": "healvi"})
    assert r.status_code == 303
    assert "notice=Reset+healvi" in r.headers["location"]
    assert tags(world) == 4


@pytest.mark.parametrize(
    ("headers", "with_token"),
    [
        (SAME_ORIGIN, False),  # no CSRF token in the form
        ({"Origin": "http://attacker.test", "Sec-Fetch-Site": "cross-site"}, True),
        ({"Origin": "http://attacker.test"}, True),  # an older browser: Origin only
        ({"Origin": "null"}, True),  # a sandboxed frame or a data: page
        ({"Origin": ORIGIN, "Sec-Fetch-Site": "same-site"}, True),  # a sibling subdomain
    ],
)
def test_a_control_refuses_a_post_that_may_be_cross_site(
    world: World, headers: dict[str, str], with_token: bool
) -> None:
    add_tag(world)
    token = csrf(world.http)
    data = {"vendor": "healvi", **({"csrf_token": token} if with_token else {})}
    r = world.http.post(
        UI_PREFIX + "/controls/reset", data=data, headers=headers, follow_redirects=False
    )
    assert r.status_code == 403
    assert tags(world) == 5


def test_a_wrong_csrf_token_is_refused(world: World) -> None:
    add_tag(world)
    csrf(world.http)
    r = post(world.http, "/controls/reset", {"csrf_token": "forged", "vendor": "healvi"})
    assert r.status_code == 403
    assert tags(world) == 5


@pytest.mark.parametrize(
    ("path", "form", "message"),
    [
        ("/controls/faults", {"kind": "status", "status": "200"}, "200 is less than"),
        ("/controls/faults", {"kind": "explode"}, "explode"),
        ("/controls/faults", {"kind": "delay", "probability": "often"}, "probability"),
        ("/controls/seed", {"scenario": "healvi/nope"}, "no scenario"),
        ("/controls/seed", {"scenario": "nobody/default"}, "nobody"),
        ("/controls/clock", {"action": "advance", "seconds": "soon"}, "seconds"),
        ("/controls/clock", {"action": "freeze", "at": "yesterday"}, "yesterday"),
        ("/controls/clock", {"action": "explode"}, "freeze, advance or release"),
        ("/controls/faults/no-such-rule/delete", {}, "no-such-rule"),
        ("/controls/reset", {"tenant": "acme"}, "vendor"),
    ],
)
def test_a_bad_control_is_refused_with_a_notice_and_changes_nothing(
    world: World, path: str, form: dict[str, str], message: str
) -> None:
    before = world.snapshot(), world.runtime.faults.rules(), world.runtime.clock.frozen
    r = post(world.http, path, {"csrf_token": csrf(world.http), **form})
    assert r.status_code == 303
    shown = world.http.get(r.headers["location"])
    assert shown.status_code == 200
    notice = re.search(r'<p class="notice error" role="alert">([^<]*)</p>', shown.text)
    assert notice is not None
    assert message in notice[1].replace("&#34;", '"').replace("&#39;", "'")
    assert (world.snapshot(), world.runtime.faults.rules(), world.runtime.clock.frozen) == before


def test_faults_and_the_clock_are_set_from_the_controls(world: World) -> None:
    token = csrf(world.http)
    form = {"csrf_token": token, "vendor": "healvi", "kind": "status", "status": "503"}
    assert post(world.http, "/controls/faults", {**form, "times": "1"}).status_code == 303
    (rule,) = world.runtime.faults.rules()
    assert world.client("healvi").get("/profiles/101").status_code == 503
    assert world.client("healvi").get("/profiles/101").status_code == 200  # times=1
    assert post(world.http, f"/controls/faults/{rule.id}/delete", {"csrf_token": token})
    assert world.runtime.faults.rules() == []

    at = {"csrf_token": token, "action": "freeze", "at": "2030-01-02T03:04:05Z"}
    post(world.http, "/controls/clock", at)
    assert world.runtime.now_iso() == "2030-01-02T03:04:05Z"
    post(world.http, "/controls/clock", {"csrf_token": token, "action": "advance", "seconds": "60"})
    assert world.runtime.now_iso() == "2030-01-02T03:05:05Z"
    post(world.http, "/controls/clock", {"csrf_token": token, "action": "release"})
    assert not world.runtime.clock.frozen


@pytest.mark.parametrize(
    "query",
    [
        "?page=abc",
        "?page=-3",
        "?page=99999999999999999999",
        "?sort=%3Cscript%3E&order=sideways",
        "?q=%00%ff",
        "?vendor=healvi&tenant=acme&q=" + "x" * 5000,
    ],
)
def test_hostile_query_strings_get_a_page_not_an_error(world: World, query: str) -> None:
    for page in ("/state", "/entities", "/journal", "/charts"):
        r = world.http.get(UI_PREFIX + page + query)
        assert r.status_code == 200, (page, query)
        assert "<script>" not in r.text


def test_an_unknown_vendor_or_tenant_is_a_404_page(world: World) -> None:
    for query in ("?vendor=nobody", "?vendor=healvi&tenant=nobody"):
        r = world.http.get(UI_PREFIX + "/state" + query)
        assert r.status_code == 404
        assert "text/html" in r.headers["content-type"]


def test_the_state_page_pages_sorts_and_searches_a_large_tenant(world: World) -> None:
    with world.runtime.store.transaction("healvi", "acme") as ns:
        for i in range(1000, 1120):
            ns.tags[str(i)] = {"id": i, "title": f"bulk {i:04d}"}
    r = world.http.get(UI_PREFIX + "/state?vendor=healvi&tenant=acme&sort=id&order=desc")
    ids = re.findall(r'<tr data-key="(\d+)">', r.text)
    assert ids[:3] == ["1119", "1118", "1117"]
    assert len(ids) == 50
    assert "page 1 of 3" in r.text
    r = world.http.get(UI_PREFIX + "/state?vendor=healvi&tenant=acme&sort=id&page=3")
    assert re.findall(r'<tr data-key="(\d+)">', r.text)[-1] == "1119"
    r = world.http.get(UI_PREFIX + "/state?vendor=healvi&tenant=acme&q=BULK%20111")
    assert sorted(re.findall(r'<tr data-key="(\d+)">', r.text)) == [
        str(i) for i in range(1110, 1120)
    ]
    assert '<span id="matched">10</span> of 124 tags' in r.text


def test_the_live_journal_fragment_sends_only_what_is_new(world: World) -> None:
    healvi = world.client("healvi")
    healvi.get("/profiles/101")
    first = world.http.get(UI_PREFIX + "/journal/rows")
    (newest,) = re.findall(r'data-id="(\d+)"', first.text)
    assert world.http.get(UI_PREFIX + f"/journal/rows?after={newest}").text.strip() == ""
    healvi.get("/profiles/102")
    healvi.get("/profiles/999")
    again = world.http.get(UI_PREFIX + f"/journal/rows?after={newest}&status=4xx")
    assert re.findall(r'data-id="(\d+)"', again.text) == [str(int(newest) + 2)]


@pytest.fixture(scope="module")
def guarded_app() -> object:
    return create_app(Settings(admin_token="s3cret"))


@pytest.fixture
def guarded(guarded_app: object) -> Iterator[TestClient]:
    """tagfake with an admin token, and a browser that has not signed in yet."""
    with TestClient(guarded_app, base_url=BASE_URL) as http:  # type: ignore[arg-type]
        yield http


def test_with_an_admin_token_the_dashboard_asks_for_it(guarded: TestClient) -> None:
    r = guarded.get(UI_PREFIX + "/journal?vendor=healvi", follow_redirects=False)
    assert r.status_code == 303
    assert (
        r.headers["location"]
        == UI_PREFIX + "/login?next=%2F__admin%2Fui%2Fjournal%3Fvendor%3Dhealvi"
    )
    live = guarded.get(UI_PREFIX + "/journal/rows", headers={"X-Tagfake-Live": "1"})
    assert live.status_code == 401
    assert guarded.post(UI_PREFIX + "/controls/reset", headers=SAME_ORIGIN).status_code == 401
    assert guarded.get(UI_PREFIX + "/static/ui.css").status_code == 200  # the login form's
    token = csrf(guarded, "/login")
    wrong = post(guarded, "/login", {"csrf_token": token, "token": "guess"})
    assert wrong.status_code == 401
    assert AUTH_COOKIE not in guarded.cookies
    right = post(
        guarded, "/login", {"csrf_token": token, "token": "s3cret", "next": UI_PREFIX + "/journal"}
    )
    assert right.status_code == 303
    assert right.headers["location"] == UI_PREFIX + "/journal"
    cookie = right.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "s3cret" not in cookie
    assert "Path=/__admin/ui" in cookie
    assert guarded.get(UI_PREFIX + "/journal").status_code == 200
    # The cookie is the dashboard's, not a key to the admin API.
    assert guarded.get("/__admin/journal").status_code == 401
    assert (
        guarded.get("/__admin/journal", headers={"X-Tagfake-Admin-Token": "s3cret"}).status_code
        == 200
    )


def test_a_login_form_post_needs_its_csrf_token_too(guarded: TestClient) -> None:
    csrf(guarded, "/login")
    r = post(guarded, "/login", {"token": "s3cret"})
    assert r.status_code == 403
    assert AUTH_COOKIE not in guarded.cookies


def test_the_token_in_the_first_url_becomes_a_cookie_and_leaves_the_url(
    guarded: TestClient,
) -> None:
    r = guarded.get(UI_PREFIX + "/state?token=s3cret&vendor=zapini", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == f"{ORIGIN}{UI_PREFIX}/state?vendor=zapini"
    assert guarded.get(r.headers["location"]).status_code == 200


def test_a_wrong_token_in_the_url_signs_nobody_in(guarded: TestClient) -> None:
    r = guarded.get(UI_PREFIX + "/?token=nope", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith(UI_PREFIX + "/login")
    assert AUTH_COOKIE not in guarded.cookies
    forged = {"Cookie": f"{AUTH_COOKIE}=s3cret"}  # the token itself is not the cookie's value
    assert guarded.get(UI_PREFIX + "/", headers=forged, follow_redirects=False).status_code == 303


def test_a_proxied_entry_shows_its_violations_and_differences(world: World) -> None:
    """Entries `tagfake proxy` journals carry what the vendor did and how tagfake differed."""
    base = {
        "time": "2026-01-01T00:00:00Z",
        "wall_time": 0.0,
        "vendor": "zapini",
        "tenant": "acme",
        "operation_id": "listTags",
        "method": "GET",
        "path": "/zapini/api/v1/tags",
        "query": "",
        "status": 200,
        "request": {"headers": {}, "body": None},
        "response": {"headers": {}, "body": {"data": {"tags": []}}},
        "violations": [],
        "fault": None,
        "duration_ms": 12.0,
    }
    world.runtime.journal.record({**base, "path": "/zapini/api/v1/tags?clean"})
    world.runtime.journal.record(
        {
            **base,
            "proxy": {
                "upstream": "https://zapini.example/api/v1",
                "forwarded": True,
                "upstream_status": 200,
                "request_violations": [],
                "answer_violations": ['listTags 200: data.tags.0: "color" is a required property'],
                "comparison": {
                    "upstream": {"status": 200},
                    "shadow": {"status": 200},
                    "differences": [
                        {"where": "/data/tags/0/name", "upstream": "VIP", "shadow": "Vip"}
                    ],
                    "rules": ["List all tags for the current tenant"],
                },
            },
        }
    )
    page = world.http.get(UI_PREFIX + "/journal?violations=1").text
    assert len(re.findall(r'<details class="entry', page)) == 1
    assert "proxied → 200" in page and "1 difference" in page
    assert "/data/tags/0/name" in page and "List all tags for the current tenant" in page
    assert "The vendor&#39;s answer breaks the spec" in page


def test_the_start_banner_names_the_dashboard(world: World) -> None:
    text = banner(world.runtime, "http://127.0.0.1:8080")
    assert "dashboard: http://127.0.0.1:8080/__admin/ui/" in text
