"""`tagfake proxy` in front of a tagfake "vendor": what reaches the upstream, what comes back,
and where violations of the spec are reported."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tagfake.proxy.options import ProxyOptions
from tagfake.settings import Settings
from tagfake.testing.server import ThreadedServer

from .helpers import NEXOR_KEY, ZAPINI_TOKEN, Upstream, running_proxy

Z = {"Authorization": f"Bearer {ZAPINI_TOKEN}"}
N = {"X-API-Key": NEXOR_KEY}
MARIA = "550e8400-e29b-41d4-a716-446655440045"
HEADER = "x-tagfake-violations"


def journal(base: str, **query: str) -> list[dict[str, object]]:
    entries: list[dict[str, object]] = httpx.get(
        f"{base}/__admin/journal", params=query, timeout=10
    ).json()["entries"]
    return entries


def test_answer_is_the_upstreams_unchanged(fresh_upstream: Upstream, tmp_path: Path) -> None:
    direct = httpx.get(f"{fresh_upstream.url('zapini')}/tags", headers=Z)
    with running_proxy("zapini", fresh_upstream.url("zapini"), tmp_path) as proxy:
        proxied = httpx.get(f"{proxy.url}/api/v1/tags?x=1", headers=Z)

    assert proxied.status_code == direct.status_code == 200
    assert proxied.content == direct.content
    assert HEADER not in proxied.headers
    # The upstream's own headers, once each (not uvicorn's added to them).
    assert proxied.headers.get_list("date") and len(proxied.headers.get_list("date")) == 1
    assert proxied.headers.get_list("server") == ["uvicorn"]
    _, seen = journal(fresh_upstream.server.url)
    assert seen["query"] == "x=1"


def test_request_is_forwarded_with_only_the_apps_headers(
    fresh_upstream: Upstream, tmp_path: Path
) -> None:
    sent = {**Z, "X-Custom": "kept", "Content-Type": "application/json", "Connection": "close"}
    body = b'{"name":  "Proxied", "color": "#123456"}'
    with running_proxy("zapini", fresh_upstream.url("zapini"), tmp_path) as proxy:
        with httpx.Client(headers={}) as client:
            r = client.post(f"{proxy.url}/api/v1/tags", headers=sent, content=body)
        assert r.status_code == 201
        [here] = journal(proxy.url)
    [there] = journal(fresh_upstream.server.url)

    app_sent = set(here["request"]["headers"])  # type: ignore[index]
    upstream_got = set(there["request"]["headers"])  # type: ignore[index]
    # Nothing added; only the hop-by-hop header gone (Host is the upstream's, the length the same).
    assert upstream_got == app_sent - {"connection"}
    assert there["request"]["headers"]["x-custom"] == "kept"  # type: ignore[index]
    assert there["request"]["body"] == json.loads(body)  # type: ignore[index]
    assert here["proxy"]["forwarded"] is True  # type: ignore[index]
    assert here["proxy"]["upstream"] == f"{fresh_upstream.url('zapini')}/tags"  # type: ignore[index]


def test_request_breaking_the_spec_is_reported_and_forwarded(
    fresh_upstream: Upstream, tmp_path: Path
) -> None:
    with running_proxy("zapini", fresh_upstream.url("zapini"), tmp_path) as proxy:
        r = httpx.post(f"{proxy.url}/api/v1/tags", headers=Z, json={"name": "x", "color": "red"})
        [entry] = journal(proxy.url)
    report = json.loads((tmp_path / "report" / "report.json").read_text())

    assert r.status_code == 422  # the upstream's own answer to it
    assert "request createTag" in r.headers[HEADER] and "color" in r.headers[HEADER]
    assert len(journal(fresh_upstream.server.url)) == 1  # it did reach the upstream
    proxy_info = entry["proxy"]
    assert proxy_info["request_violations"] and "color" in proxy_info["request_violations"][0]  # type: ignore[index]
    assert proxy_info["answer_violations"] == []  # type: ignore[index]
    assert report["counts"]["with_violations"] == 1
    assert "request createTag" in report["violations"][0]["violations"][0]


def test_enforced_request_check_answers_and_forwards_nothing(
    fresh_upstream: Upstream, tmp_path: Path
) -> None:
    with running_proxy(
        "zapini", fresh_upstream.url("zapini"), tmp_path, request_check="enforce"
    ) as proxy:
        r = httpx.post(f"{proxy.url}/api/v1/tags", headers=Z, json={"name": "x"})

    assert r.status_code == 422
    assert r.json()["error"]["code"] == "VALIDATION_ERROR"
    assert journal(fresh_upstream.server.url) == []


@pytest.mark.parametrize(
    ("effect", "expected"),
    [
        ({"kind": "malformed"}, "not valid JSON"),
        ({"kind": "status", "status": 418}, "status 418 is not documented"),
    ],
)
def test_spec_breaking_answer_is_a_violation_everywhere(
    fresh_upstream: Upstream, tmp_path: Path, effect: dict[str, object], expected: str
) -> None:
    fresh_upstream.admin(
        "POST", "/faults", json={"effect": effect, "match": {"operation": "listTags"}}
    )
    with running_proxy("zapini", fresh_upstream.url("zapini"), tmp_path) as proxy:
        direct = httpx.get(f"{fresh_upstream.url('zapini')}/tags", headers=Z)
        r = httpx.get(f"{proxy.url}/api/v1/tags", headers=Z)
        [entry] = journal(proxy.url)
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    summary = (tmp_path / "report" / "report.html").read_text()

    assert r.status_code == direct.status_code and r.content == direct.content  # unchanged
    assert expected in r.headers[HEADER]
    assert any(expected in v for v in entry["violations"])  # type: ignore[attr-defined]
    assert any(expected in v for v in entry["proxy"]["answer_violations"])  # type: ignore[index]
    assert any(expected in v for v in report["violations"][0]["violations"])
    assert expected in summary


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_unreachable_upstream_is_the_vendors_502(tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{_free_port()}/api/public"
    with running_proxy("nexor", dead, tmp_path) as proxy:
        r = httpx.get(f"{proxy.url}/api/public/tags", headers=N)
        [entry] = journal(proxy.url)

    assert r.status_code == 502
    assert set(r.json()) == {"error"}  # Nexor's error envelope
    assert "unreachable" in r.headers["x-tagfake-upstream-error"]
    assert HEADER not in r.headers  # the proxy's own answer is not the vendor's to check
    assert "unreachable" in entry["proxy"]["error"]  # type: ignore[index]
    assert entry["proxy"]["forwarded"] is False  # type: ignore[index]


def test_slow_upstream_times_out_as_a_502(fresh_upstream: Upstream, tmp_path: Path) -> None:
    fresh_upstream.admin(
        "POST", "/faults", json={"effect": {"kind": "delay", "delay_ms": 1500}, "match": {}}
    )
    with running_proxy("zapini", fresh_upstream.url("zapini"), tmp_path, timeout=0.3) as proxy:
        r = httpx.get(f"{proxy.url}/api/v1/tags", headers=Z, timeout=5)

    assert r.status_code == 502
    assert r.json()["error"]["code"] == "SERVER_ERROR"  # Zapini's envelope
    assert "did not answer within 0.3s" in r.headers["x-tagfake-upstream-error"]
    # The upstream finishes the slow request anyway: let it, before the next test resets it.
    deadline = time.monotonic() + 10
    while not journal(fresh_upstream.server.url):
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_429_reaches_the_app_as_sent_and_is_not_retried(
    fresh_upstream: Upstream, tmp_path: Path
) -> None:
    fresh_upstream.admin(
        "POST",
        "/faults",
        json={"effect": {"kind": "rate_limit", "retry_after": 7}, "match": {}, "times": 1},
    )
    with running_proxy("zapini", fresh_upstream.url("zapini"), tmp_path) as proxy:
        r = httpx.put(
            f"{proxy.url}/api/v1/conversations/{MARIA}/tags", headers=Z, json={"tag_ids": []}
        )

    assert r.status_code == 429
    assert r.headers["retry-after"] == "7"
    assert len(journal(fresh_upstream.server.url)) == 1  # once: no retry behind the app's back


def test_credentials_are_redacted_in_journal_and_recording(
    fresh_upstream: Upstream, tmp_path: Path
) -> None:
    secret_query = "api_key=s3cr3t-query&x=1"
    with running_proxy(
        "nexor", fresh_upstream.url("nexor"), tmp_path, record_dir=tmp_path / "rec"
    ) as proxy:
        httpx.get(
            f"{proxy.url}/api/public/tags?{secret_query}",
            headers={**N, "X-Session-Token": "t0ken-value"},
        )
        [entry] = journal(proxy.url)
    har = next((tmp_path / "rec").glob("*.har")).read_text()
    report = (tmp_path / "report" / "report.json").read_text()

    for text in (json.dumps(entry), har, report):
        assert NEXOR_KEY not in text
        assert "s3cr3t-query" not in text
        assert "t0ken-value" not in text
    assert entry["request"]["headers"]["x-api-key"] == "***"  # type: ignore[index]
    assert "x=1" in entry["query"]  # type: ignore[operator]


def test_options_from_the_environment() -> None:
    env = {
        "TAGFAKE_UPSTREAM_ZAPINI": "https://zapini.example/api/v1",
        "TAGFAKE_UPSTREAM_TIMEOUT": "2.5",
    }
    options = ProxyOptions.from_env("zapini", env)
    assert (options.upstream, options.timeout) == ("https://zapini.example/api/v1", 2.5)
    assert ProxyOptions.from_env("zapini", env, upstream="http://other/").base == "http://other"
    with pytest.raises(ValueError, match="TAGFAKE_UPSTREAM_NEXOR"):
        ProxyOptions.from_env("nexor", env)
    with pytest.raises(ValueError, match="http"):
        ProxyOptions(vendor="nexor", upstream="ftp://x")
    with pytest.raises(ValueError, match="needs --shadow"):
        ProxyOptions(vendor="nexor", upstream="http://x", import_reads=True)


def test_paths_and_methods_outside_the_spec_are_forwarded_and_reported(
    fresh_upstream: Upstream, tmp_path: Path
) -> None:
    with running_proxy("zapini", fresh_upstream.url("zapini"), tmp_path) as proxy:
        wrong_method = httpx.delete(f"{proxy.url}/api/v1/tags", headers=Z)
        unknown_path = httpx.get(f"{proxy.url}/api/v1/no-such-thing", headers=Z)
    direct = httpx.get(f"{fresh_upstream.url('zapini')}/no-such-thing", headers=Z)

    assert wrong_method.status_code == 405  # the upstream's answer
    assert "request DELETE /api/v1/tags: the spec refuses it (405)" in wrong_method.headers[HEADER]
    assert unknown_path.content == direct.content
    assert "request GET /api/v1/no-such-thing" in unknown_path.headers[HEADER]
    methods = [e["method"] for e in journal(fresh_upstream.server.url)]
    assert methods == ["DELETE", "GET", "GET"]  # both reached the upstream


def test_the_proxys_admin_api_is_guarded_as_the_fakes(
    fresh_upstream: Upstream, tmp_path: Path
) -> None:
    settings = Settings(seed=7, admin_token="proxy-admin-secret")
    with running_proxy(
        "zapini", fresh_upstream.url("zapini"), tmp_path, settings=settings
    ) as proxy:
        rebound = httpx.get(f"{proxy.url}/__admin/journal", headers={"Host": "evil.example"})
        no_token = httpx.get(f"{proxy.url}/__admin/journal")
        with_token = httpx.get(
            f"{proxy.url}/__admin/journal", headers={"X-Tagfake-Admin-Token": "proxy-admin-secret"}
        )
        # Vendor traffic answers to any name (service names in containers), as in the fake.
        vendor = httpx.get(f"{proxy.url}/api/v1/tags", headers={**Z, "Host": "zapini.internal"})

    assert rebound.status_code == 403
    assert no_token.status_code == 401
    assert with_token.status_code == 200
    assert vendor.status_code == 200


class GzipUpstream(ThreadedServer):
    """A tagfake whose answers are gzip-compressed, as many vendors' are."""

    def build_app(self) -> Any:
        from starlette.middleware.gzip import GZipMiddleware

        return GZipMiddleware(super().build_app(), minimum_size=10)


def test_a_compressed_answer_is_checked_and_handed_on_decoded(tmp_path: Path) -> None:
    with GzipUpstream(Settings(seed=3)) as gz:
        upstream = gz.url + "/zapini/api/v1"
        direct = httpx.get(f"{upstream}/tags", headers=Z)
        with running_proxy("zapini", upstream, tmp_path) as proxy:
            r = httpx.get(f"{proxy.url}/api/v1/tags", headers={**Z, "Accept-Encoding": "gzip"})

    assert direct.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in r.headers
    assert r.content == direct.content  # httpx decoded the direct one: the same bytes
    assert HEADER not in r.headers  # checked, and keeps the spec


def test_the_dashboard_shows_the_proxys_journal(fresh_upstream: Upstream, tmp_path: Path) -> None:
    with running_proxy("zapini", fresh_upstream.url("zapini"), tmp_path) as proxy:
        httpx.post(f"{proxy.url}/api/v1/tags", headers=Z, json={"name": "x", "color": "red"})
        page = httpx.get(f"{proxy.url}/__admin/ui/journal", follow_redirects=True)

    assert page.status_code == 200
    assert "createTag" in page.text
