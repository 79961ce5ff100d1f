"""A web page the developer has open cannot use tagfake's admin API: real headless Chromium.

An attacker's page is served from another origin (another port of 127.0.0.1, and `localhost`)
and tries what a page can do without CORS: a `no-cors` fetch, an HTML form, a JSON fetch (which
needs a preflight), a read of the state; and DNS rebinding (a host name that resolves to
127.0.0.1, so the browser sends `Host: rebind.test`). Each attack is first run against tagfake
with its admin guard switched off, to show it gets through there (so the browser really sends
it); then against tagfake as shipped, which must stay unchanged and unread. The same-origin
path, a page of tagfake's own origin, and the shipped admin client still work.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tagfake.pipeline.admin_guard import AdminPolicy
from tagfake.settings import Settings
from tagfake.testing.client import AdminClient
from tagfake.testing.server import ThreadedServer
from tests.browser.conftest import CHROMIUM_FLAGS, chromium_path

pytestmark = pytest.mark.browser

REBIND_HOST = "rebind.test"
ZAPINI_ACME_TOKEN = "sk_acme_4f9d2c7b1e8a6035d2b9c4e7f1a8d3b6"
FLAGS = [
    *CHROMIUM_FLAGS,
    "--no-proxy-server",
    # DNS rebinding without a DNS server: the attacker's name resolves to tagfake's address.
    f"--host-resolver-rules=MAP {REBIND_HOST} 127.0.0.1",
]

# What an attacker's page runs, each a JS function of tagfake's base URL returning a summary.
ATTACKS = {
    "no-cors fetch POST": """async (t) => {
        const r = await fetch(t + '/__admin/reset', {method: 'POST', mode: 'no-cors'});
        return r.type; }""",
    "no-cors fetch POST text/plain JSON": """async (t) => {
        const r = await fetch(t + '/__admin/reset', {method: 'POST', mode: 'no-cors',
            headers: {'Content-Type': 'text/plain'}, body: '{}'});
        return r.type; }""",
    "form POST text/plain, no fields": """async (t) => form(t + '/__admin/reset',
        'text/plain', false)""",
    "form POST text/plain": """async (t) => form(t + '/__admin/reset', 'text/plain')""",
    "form POST urlencoded": """async (t) => form(t + '/__admin/reset',
        'application/x-www-form-urlencoded')""",
}
# The ones that reset tagfake before the guard; the others carry a body that the admin API's
# media-type check (415) already refused.
# (Each attack returns once its answer is in: a fetch resolves, a form's target frame loads.)
GETS_THROUGH_UNGUARDED = ("no-cors fetch POST", "form POST text/plain, no fields")
FORM_HELPER = """
window.form = (action, enctype, fields = true) => new Promise((resolve) => {
    const sink = document.createElement('iframe');
    sink.name = 'sink' + Math.random();
    document.body.appendChild(sink);
    sink.onload = () => resolve('submitted');
    const f = document.createElement('form');
    f.method = 'POST'; f.action = action; f.enctype = enctype; f.target = sink.name;
    const field = document.createElement('input');
    field.name = '{"vendor": "zapini", "x": "'; field.value = '"}';
    if (fields) f.appendChild(field);
    document.body.appendChild(f);
    f.submit();
});
"""
JSON_FETCH = """async (t) => {
    try {
        const r = await fetch(t + '/__admin/reset', {method: 'POST',
            headers: {'Content-Type': 'application/json'}, body: '{}'});
        return 'answered ' + r.status;
    } catch (e) { return 'refused: ' + e; } }"""
READ_STATE = """async (t) => {
    try {
        const r = await fetch(t + '/__admin/state/zapini/acme');
        return r.status + ' ' + await r.text();
    } catch (e) { return 'refused: ' + e; } }"""


class _AttackerPage(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<!doctype html><html><body><p>a page of another origin</p></body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, headless=True, args=FLAGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def server() -> Iterator[ThreadedServer]:
    with ThreadedServer(Settings(validation="enforce")) as s:
        yield s


@pytest.fixture(scope="module")
def attacker() -> Iterator[int]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _AttackerPage)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield int(httpd.server_address[1])
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


@pytest.fixture
def admin(server: ThreadedServer) -> Iterator[AdminClient]:
    """tagfake with a marker fault rule that any reset removes."""
    client = AdminClient(server.url)
    client.reset()
    client.fault("status", status=503, path="^/never$", id="marker")
    yield client
    client.reset()


@pytest.fixture
def unguarded(monkeypatch: pytest.MonkeyPatch) -> None:
    """The control: tagfake as it was before the admin guard (everything let through)."""
    monkeypatch.setattr(AdminPolicy, "check", lambda self, *args: None)


@pytest.fixture(params=["127.0.0.1", "localhost"], ids=["other-port", "other-host-name"])
def attacker_page(request: pytest.FixtureRequest, browser: Any, attacker: int) -> Iterator[Any]:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"http://{request.param}:{attacker}/")
    page.evaluate(FORM_HELPER)
    yield page
    context.close()


def marker_kept(admin: AdminClient) -> bool:
    return any(rule["id"] == "marker" for rule in admin.faults())


@pytest.mark.parametrize("attack", GETS_THROUGH_UNGUARDED)
def test_control_without_the_guard_the_page_resets_tagfake(
    attack: str, unguarded: None, admin: AdminClient, attacker_page: Any, server: ThreadedServer
) -> None:
    attacker_page.evaluate(ATTACKS[attack], server.url)
    assert not marker_kept(admin), f"{attack} did not reach tagfake: the test proves nothing"


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_a_page_of_another_origin_cannot_change_tagfake(
    attack: str, admin: AdminClient, attacker_page: Any, server: ThreadedServer
) -> None:
    before = admin.state("zapini", "acme")
    attacker_page.evaluate(ATTACKS[attack], server.url)
    assert marker_kept(admin)
    assert admin.state("zapini", "acme") == before


def test_a_json_fetch_from_another_origin_fails_its_preflight(
    admin: AdminClient, attacker_page: Any, server: ThreadedServer
) -> None:
    outcome = attacker_page.evaluate(JSON_FETCH, server.url)
    assert outcome.startswith("refused: TypeError"), outcome
    assert marker_kept(admin)


def test_a_page_of_another_origin_cannot_read_the_state(
    admin: AdminClient, attacker_page: Any, server: ThreadedServer
) -> None:
    outcome = attacker_page.evaluate(READ_STATE, server.url)
    assert outcome.startswith("refused: TypeError"), outcome
    assert ZAPINI_ACME_TOKEN not in outcome


def _rebound_page(browser: Any, server: ThreadedServer) -> tuple[Any, Any]:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"http://{REBIND_HOST}:{server.port}/__admin/health")
    return context, page


def test_control_without_the_guard_dns_rebinding_reads_the_credentials(
    unguarded: None, admin: AdminClient, browser: Any, server: ThreadedServer
) -> None:
    context, page = _rebound_page(browser, server)
    try:
        outcome = page.evaluate(READ_STATE, "")
    finally:
        context.close()
    assert outcome.startswith("200 ") and ZAPINI_ACME_TOKEN in outcome, outcome


def test_dns_rebinding_gets_a_403_and_neither_reads_nor_resets(
    admin: AdminClient, browser: Any, server: ThreadedServer
) -> None:
    context, page = _rebound_page(browser, server)
    try:
        assert "does not answer to the host" in page.content()
        read = page.evaluate(READ_STATE, "")
        page.evaluate(FORM_HELPER)
        for attack in ATTACKS.values():
            page.evaluate(attack, "")
        reset = page.evaluate(JSON_FETCH, "")
    finally:
        context.close()
    assert read.startswith("403 ") and ZAPINI_ACME_TOKEN not in read, read
    assert reset == "answered 403"
    assert marker_kept(admin)


def test_a_page_of_tagfakes_own_origin_still_can(
    admin: AdminClient, browser: Any, server: ThreadedServer
) -> None:
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(f"{server.url}/__admin/health")
        read = page.evaluate(READ_STATE, "")
        bare = page.evaluate(ATTACKS["no-cors fetch POST"], "")
        kept_after_bare = marker_kept(admin)
        reset = page.evaluate(JSON_FETCH, "")
    finally:
        context.close()
    assert read.startswith("200 ") and ZAPINI_ACME_TOKEN in read
    # A bare POST needs the JSON body or the header, even from tagfake's own origin.
    assert bare == "basic" and kept_after_bare
    assert reset == "answered 200"
    assert not marker_kept(admin)


def test_the_shipped_admin_client_still_can(admin: AdminClient) -> None:
    admin.clear_faults()
    assert not marker_kept(admin)
    admin.fault("status", status=503, path="^/never$", id="marker")
    admin.reset()
    assert not marker_kept(admin)
