"""The dashboard in headless chromium: every page opens on tagfake's own assets, the journal is
live, entries expand, filters work, a tenant resets from its page, cross-site posts are refused."""

from __future__ import annotations

import re
import shlex
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, Request, expect

from tagfake.settings import Settings
from tagfake.testing.server import ThreadedServer
from tagfake.vendors.zapini.backend import ZapiniBackend
from tests.browser.conftest import Served

pytestmark = pytest.mark.browser

HEALVI = "/healvi/third-party/v1"
HEALVI_ACME = {"Authorization": "Bearer healvi-acme-token"}
ZAPINI_ACME = {"Authorization": "Bearer sk_acme_4f9d2c7b1e8a6035d2b9c4e7f1a8d3b6"}


def only_own_assets(page: Page, served: Served) -> list[str]:
    """Every URL the page asks for that is not this server's (a CDN, a font service...)."""
    foreign: list[str] = []

    def seen(request: Request) -> None:
        if not request.url.startswith(served.url) and not request.url.startswith("data:"):
            foreign.append(request.url)

    page.on("request", seen)
    return foreign


def console_errors(page: Page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def test_every_page_opens_and_uses_only_tagfakes_own_assets(fresh: Served, page: Page) -> None:
    foreign, errors = only_own_assets(page, fresh), console_errors(page)
    page.goto(fresh.ui("/"))
    expect(page.locator("h1")).to_have_text("Overview")
    expect(page.locator("#vendor-healvi")).to_contain_text(f"{fresh.url}{HEALVI}")
    expect(page.locator("#vendor-nexor td").first).to_have_text("acme")
    # Credentials are masked on the page, the whole one is what the button copies.
    secret = page.locator("#vendor-healvi button.secret").first
    assert secret.get_attribute("data-copy") == "healvi-acme-token"
    assert "healvi-acme-token" not in secret.inner_text()

    page.click("nav >> text=State")
    expect(page.locator("h1")).to_have_text("State: healvi / acme")
    expect(page.locator("#tags tbody tr")).to_have_count(4)
    with fresh.runtime.store.read("healvi", "acme") as ns:
        carrying_vip = sorted(k for k, e in ns.kind("profiles").items() if "1" in e.tags)
    page.click("#tags tr[data-key='1'] >> text=/entities/")
    expect(page.locator("h1")).to_contain_text("carrying “VIP”")
    expect(page.locator("#entities tbody tr td:nth-child(2)")).to_have_text(carrying_vip)

    page.click("nav >> text=Journal")
    expect(page.locator("h1")).to_have_text("Journal")
    page.click("nav >> text=Charts")
    expect(page.locator("section.vendor-charts")).to_have_count(4)
    expect(page.locator("svg.chart")).to_have_count(8)
    page.click("nav >> text=Controls")
    expect(page.locator("#faults h2")).to_have_text("Faults")

    page.goto(fresh.ui("/"))
    page.click("#vendor-zapini >> text=Swagger UI")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    # "Try it out" is pointed at this fake: the server list is the vendor's mount here.
    expect(page.locator(".servers select")).to_contain_text("/zapini/api/v1")
    assert foreign == [], foreign
    assert errors == [], errors


def test_a_sync_appears_in_the_journal_without_a_reload_and_expands(
    fresh: Served, page: Page
) -> None:
    page.goto(fresh.ui("/journal"))
    page.evaluate("window.stillTheSamePage = true")
    expect(page.locator("details.entry")).to_have_count(0)

    r = fresh.http.post(
        f"{HEALVI}/profiles/103/tags",
        json={"tags": [{"id": 2}, {"title": "Callback"}]},
        headers=HEALVI_ACME,
    )
    assert r.status_code == 200

    entry = page.locator("details.entry").first
    expect(entry).to_contain_text("POST")
    expect(entry).to_contain_text(f"{HEALVI}/profiles/103/tags")
    expect(entry.locator(".status")).to_have_text("200")
    assert page.evaluate("window.stillTheSamePage") is True

    entry.locator("summary").click()
    request_body = entry.locator(".pair section").nth(0).locator("pre.body")
    expect(request_body).to_contain_text('"title": "Callback"')  # pretty-printed JSON
    expect(entry.locator(".pair section").nth(1)).to_contain_text("content-type")
    expect(entry.locator("table.headers").first).to_contain_text("authorization")
    expect(entry.locator("table.headers").first).to_contain_text("***")

    # "Copy as curl" holds a command that sends the same request again, credential included.
    command = entry.locator("button.copy-curl").get_attribute("data-copy")
    assert command is not None
    again = replay(command)
    assert again.status_code == 200
    titles = [t["title"] for t in r.json()["data"]]
    assert [t["title"] for t in again.json()["data"]] == titles == ["Newsletter", "Callback"]
    expect(page.locator("details.entry")).to_have_count(2)  # the replay, journaled too


def replay(command: str) -> httpx.Response:
    args = shlex.split(command)
    assert args[:2] == ["curl", "-X"]
    method, url, rest = args[2], args[3], args[4:]
    headers: dict[str, str] = {}
    data = None
    while rest:
        flag, value, rest = rest[0], rest[1], rest[2:]
        if flag == "-H":
            name, _, v = value.partition(": ")
            headers[name] = v
        else:
            assert flag == "--data-raw"
            data = value.encode()
    return httpx.request(method, url, headers=headers, content=data, timeout=10)


@pytest.fixture
def colourless_zapini_tags(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fake with a bug: Zapini tags lose their colour, which the spec requires."""
    original = ZapiniBackend.list_tags

    def list_tags(self: ZapiniBackend, tenant: str) -> list[dict[str, Any]]:
        return [{k: v for k, v in t.items() if k != "color"} for t in original(self, tenant)]

    monkeypatch.setattr(ZapiniBackend, "list_tags", list_tags)


@pytest.mark.usefixtures("colourless_zapini_tags")
def test_violations_filter_shows_only_broken_answers_with_the_spec_path(
    fresh: Served, page: Page
) -> None:
    assert fresh.http.get("/zapini/api/v1/tags", headers=ZAPINI_ACME).status_code == 200
    assert fresh.http.get(f"{HEALVI}/profiles/101", headers=HEALVI_ACME).status_code == 200
    page.goto(fresh.ui("/journal"))
    expect(page.locator("details.entry")).to_have_count(2)

    page.check("input[name=violations]")  # submits the filter form by itself
    expect(page).to_have_url(re.compile(r"violations=1"))
    expect(page.locator("details.entry")).to_have_count(1)
    entry = page.locator("details.entry.violating")
    expect(entry).to_contain_text("/zapini/api/v1/tags")
    entry.locator("summary").click()
    expect(entry.locator(".spec-path").first).to_have_text("paths./tags.get.responses.200")
    expect(entry.locator(".violations")).to_contain_text('"color" is a required property')

    # Still live under the filter: a new violating answer comes in, a clean one does not.
    fresh.http.get(f"{HEALVI}/profiles/101", headers=HEALVI_ACME)
    fresh.http.get("/zapini/api/v1/tags", headers=ZAPINI_ACME)
    expect(page.locator("details.entry")).to_have_count(2)
    expect(page.locator("details.entry:not(.violating)")).to_have_count(0)


def tag_titles(served: Served) -> list[str]:
    with served.runtime.store.read("healvi", "acme") as ns:
        return sorted(t["title"] for t in ns.tags.values())


def test_a_tenant_resets_from_its_state_page(fresh: Served, page: Page) -> None:
    r = fresh.http.post(
        f"{HEALVI}/profiles/101/tags", json={"tags": [{"title": "Added"}]}, headers=HEALVI_ACME
    )
    assert r.status_code == 200
    page.goto(fresh.ui("/state?vendor=healvi&tenant=acme"))
    expect(page.locator("#tags")).to_contain_text("Added")
    expect(page.locator("#matched")).to_have_text("5")

    page.once("dialog", lambda d: d.accept())
    page.click("#reset-tenant")
    expect(page.locator(".notice")).to_have_text("Reset healvi / acme to the fixtures.")
    expect(page.locator("#matched")).to_have_text("4")
    expect(page.locator("#tags")).not_to_contain_text("Added")
    assert "Added" not in tag_titles(fresh)


ATTACKER = "http://attacker.test"


def test_controls_refuse_a_cross_origin_post(fresh: Served, page: Page) -> None:
    fresh.http.post(
        f"{HEALVI}/profiles/101/tags", json={"tags": [{"title": "Keep"}]}, headers=HEALVI_ACME
    )
    # The user has the dashboard open (so holds its cookies), then visits a hostile page.
    page.goto(fresh.ui("/state"))
    csrf = page.locator("input[name=csrf_token]").first.get_attribute("value")
    target = fresh.ui("/controls/reset")
    hostile = f"""<html><body><form id="f" method="post" action="{target}">
        <input name="csrf_token" value="{csrf}"><input name="vendor" value="healvi">
        </form><script>document.getElementById('f').submit()</script></body></html>"""
    page.route(
        f"{ATTACKER}/**", lambda route: route.fulfill(body=hostile, content_type="text/html")
    )

    with page.expect_response(target) as answer:
        page.goto(f"{ATTACKER}/")
    assert answer.value.status == 403
    assert "another origin" in answer.value.json()["detail"]
    assert "Keep" in tag_titles(fresh)


def test_a_form_without_its_csrf_token_is_refused_even_from_the_dashboards_origin(
    fresh: Served, page: Page
) -> None:
    """The guard lets a same-origin form through; the dashboard still wants its CSRF token (a
    page injected into tagfake's origin cannot read it: the cookie is HttpOnly)."""
    fresh.http.post(
        f"{HEALVI}/profiles/101/tags", json={"tags": [{"title": "Keep"}]}, headers=HEALVI_ACME
    )
    page.goto(fresh.ui("/controls"))
    page.evaluate("document.querySelector('#reset input[name=csrf_token]').value = 'guessed'")
    page.select_option("#reset select[name=vendor]", "healvi")
    with page.expect_response(fresh.ui("/controls/reset")) as answer:
        page.click("#reset button[type=submit]")
    assert answer.value.status == 403
    expect(page.locator("#refused")).to_contain_text("CSRF token")
    assert "Keep" in tag_titles(fresh)


def test_with_an_admin_token_the_browser_signs_in_once(browser: Browser) -> None:
    with ThreadedServer(Settings(validation="report", admin_token="s3cret")) as server:
        context = browser.new_context()
        page = context.new_page()
        page.goto(f"{server.url}/__admin/ui/journal")
        expect(page.locator("h1")).to_have_text("Sign in")
        page.fill("input[name=token]", "wrong")
        page.click("button:has-text('Sign in')")
        expect(page.locator(".notice.error")).to_contain_text("not the admin token")
        page.fill("input[name=token]", "s3cret")
        page.click("button:has-text('Sign in')")
        expect(page.locator("h1")).to_have_text("Journal")  # back where it was going
        (cookie,) = [c for c in context.cookies() if c["name"] == "tagfake_ui"]
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
        assert cookie["value"] != "s3cret"

        # Live updates keep working with the cookie alone.
        httpx.get(f"{server.url}{HEALVI}/profiles/101", headers=HEALVI_ACME, timeout=10)
        expect(page.locator("details.entry")).to_have_count(1)
        page.click("button:has-text('Sign out')")
        expect(page.locator("h1")).to_have_text("Sign in")
        page.goto(f"{server.url}/__admin/ui/?token=s3cret")  # Jupyter's way: the URL, once
        expect(page.locator("h1")).to_have_text("Overview")
        assert "token" not in page.url
        context.close()


def test_swagger_ui_try_it_out_calls_the_fake(fresh: Served, page: Page) -> None:
    page.goto(f"{fresh.url}/zapini/api/v1/ui/")
    operation = page.locator(".opblock-get:has(.opblock-summary-path[data-path='/tags'])").first
    operation.locator(".opblock-summary").click()
    operation.locator("button.try-out__btn").click()
    operation.locator("button.execute").click()
    # No credential given: the fake's own 401, in Zapini's envelope.
    expect(
        operation.locator(".live-responses-table tbody .response-col_status").first
    ).to_have_text("401")
    (entry,) = fresh.http.get("/__admin/journal").json()["entries"]
    assert (entry["path"], entry["status"]) == ("/zapini/api/v1/tags", 401)
