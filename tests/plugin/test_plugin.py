"""The pytest plugin, run as users run it: small test files in a pytester sandbox."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from tagfake.settings import Settings
from tagfake.testing.client import AdminClient
from tagfake.testing.server import ThreadedServer

pytest_plugins = ["pytester"]

# A child pytest without the heaviest other plugins (seconds each to import, on every worker).
LEAN = ("-p", "no:cacheprovider", "-p", "no:schemathesis", "-p", "no:hypothesispytest")
ZAPINI_TOKEN = "sk_acme_4f9d2c7b1e8a6035d2b9c4e7f1a8d3b6"
MARIA = "550e8400-e29b-41d4-a716-446655440045"
VIP = "550e8400-e29b-41d4-a716-446655440001"
SUPPORT = "550e8400-e29b-41d4-a716-446655440002"

# What the users' tests below share: a PUT of Maria's conversation tags on zapini.
HELPERS = f"""
import json
import urllib.error
import urllib.request

TOKEN = {ZAPINI_TOKEN!r}
MARIA = {MARIA!r}
VIP = {VIP!r}
SUPPORT = {SUPPORT!r}


def put_tags(base, tag_ids):
    request = urllib.request.Request(
        f"{{base}}/conversations/{{MARIA}}/tags",
        data=json.dumps({{"tag_ids": tag_ids}}).encode(),
        method="PUT",
        headers={{"Authorization": f"Bearer {{TOKEN}}", "Content-Type": "application/json"}},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def maria_tags(tagfake):
    state = tagfake.state("zapini", "acme")
    return next(c["tags"] for c in state["entities"]["conversations"] if c["id"] == MARIA)
"""

USER_TESTS = (
    HELPERS
    + """

def test_changes_things(tagfake, tagfake_url):
    assert put_tags(tagfake_url("zapini"), [SUPPORT]) == 200
    [sent] = tagfake.journal(vendor="zapini", operation="updateConversationTags")
    assert sent["request"]["body"] == {"tag_ids": [SUPPORT]}
    assert maria_tags(tagfake) == [SUPPORT]
    tagfake.fault("status", status=503, vendor="zapini")
    tagfake.clock(freeze=True, at="2030-01-01T00:00:00Z")


def test_starts_from_the_fixtures(tagfake, tagfake_url):
    assert tagfake.journal() == []
    assert tagfake.faults() == []
    assert tagfake.clock()["frozen"] is False
    assert maria_tags(tagfake) == [VIP]
    assert put_tags(tagfake_url("zapini"), []) == 200


def test_faults(tagfake, tagfake_url):
    base = tagfake_url("zapini")
    with tagfake.fault("status", status=503, vendor="zapini", times=1) as rule:
        assert put_tags(base, [SUPPORT]) == 503
        assert put_tags(base, [SUPPORT]) == 200
        assert rule.info()["applied"] == 1
    assert tagfake.faults() == []
    tagfake.fault("rate_limit", retry_after=7, operation="updateConversationTags")
    assert put_tags(base, []) == 429
    assert [e["status"] for e in tagfake.journal(vendor="zapini")] == [503, 200, 429]
"""
)


@pytest.fixture
def outside_server() -> Iterator[ThreadedServer]:
    """A server the plugin did not start: what `tagfake serve` or a container would be."""
    with ThreadedServer(Settings(vendors=("zapini",))) as server:
        yield server


def test_plugin_registered_by_entry_point(pytestconfig: pytest.Config) -> None:
    assert pytestconfig.pluginmanager.has_plugin("tagfake")


def test_fixtures_reset_journal_and_faults(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_tagfake_url_names_each_vendor(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_urls="""
        import urllib.request

        def test_urls(tagfake_url, tagfake_server):
            assert tagfake_server.thread is not None and not tagfake_server.external
            assert tagfake_server.url.startswith("http://127.0.0.1:")
            assert tagfake_url("zapini") == tagfake_server.url + "/zapini/api/v1"
            assert tagfake_url("nexor") == tagfake_server.url + "/nexor/api/public"
            assert tagfake_url("healvi") == tagfake_server.url + "/healvi/third-party/v1"
            assert tagfake_url("commbox") == tagfake_server.url + "/commbox"
            with urllib.request.urlopen(tagfake_server.url + "/__admin/health") as r:
                assert r.status == 200
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_server_options(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_options="""
        def test_options(tagfake):
            health = tagfake.health()
            assert health["validation"] == "enforce"
            assert health["seed"] == 7
        """
    )
    result = pytester.runpytest(
        "-p", "no:cacheprovider", "--tagfake-validation=enforce", "--tagfake-seed=7"
    )
    result.assert_outcomes(passed=1)


def test_settings_fixture_can_be_overridden(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest
        from tagfake.settings import Settings

        @pytest.fixture(scope="session")
        def tagfake_settings():
            return Settings(vendors=("zapini",), journal_size=5)
        """
    )
    pytester.makepyfile(
        test_only_zapini="""
        import pytest
        from tagfake.testing.client import AdminError

        def test_only_zapini(tagfake, tagfake_url):
            assert list(tagfake.health()["vendors"]) == ["zapini"]
            assert tagfake.journal_page()["capacity"] == 5
            with pytest.raises(AdminError, match="not served here"):
                tagfake_url("nexor")
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_tagfake_url_option_uses_a_running_server(
    pytester: pytest.Pytester, outside_server: ThreadedServer
) -> None:
    url = outside_server.url
    admin = AdminClient(url)
    admin.fault("drop", id="left-over")  # an earlier session's leftovers: reset at the start
    pytester.makepyfile(
        test_outside=HELPERS
        + f"""

def test_uses_it(tagfake, tagfake_url, tagfake_server):
    assert tagfake_server.external and tagfake_server.thread is None
    assert tagfake_server.url == {url!r}
    assert tagfake.faults() == []
    assert put_tags(tagfake_url("zapini"), [SUPPORT]) == 200
    assert len(tagfake.journal()) == 1


def test_reset_between(tagfake):
    assert tagfake.journal() == []
    assert maria_tags(tagfake) == [VIP]
"""
    )
    result = pytester.runpytest("-p", "no:cacheprovider", f"--tagfake-url={url}/")
    result.assert_outcomes(passed=2)
    # The last test's changes were reset on the outside server too.
    assert admin.journal() == []
    assert admin.faults() == []


def test_tagfake_url_from_the_environment(
    pytester: pytest.Pytester, outside_server: ThreadedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TAGFAKE_URL", outside_server.url)
    pytester.makepyfile(
        test_env=f"""
        def test_env(tagfake_server):
            assert tagfake_server.url == {outside_server.url!r}
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_an_unreachable_url_fails_clearly(pytester: pytest.Pytester) -> None:
    with socket.socket() as closed:  # bound, never listening: connections are refused
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}"
        pytester.makepyfile(test_nothing="def test_it(tagfake):\n    pass\n")
        result = pytester.runpytest(
            "-p", "no:cacheprovider", f"--tagfake-url={url}", "--tagfake-wait=0.2"
        )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"*tagfake at {url}: cannot reach tagfake*"])


def test_nothing_starts_unless_a_fixture_is_used(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_plain="""
        import sys
        import threading

        def test_plain():
            assert "tagfake.testing.plugin" in sys.modules  # loaded...
            # ...but nothing else of tagfake's imported: no app, server, client or uvicorn.
            assert sorted(m for m in sys.modules if m.startswith("tagfake")) == [
                "tagfake", "tagfake.testing", "tagfake.testing.plugin"
            ]
            assert "uvicorn" not in sys.modules
            assert "connexion" not in sys.modules
            assert not [t for t in threading.enumerate() if t.name.startswith("tagfake")]
        """
    )
    result = pytester.runpytest_subprocess(*LEAN, timeout=120)
    result.assert_outcomes(passed=1)


def test_tagfake_modules_are_not_assert_rewritten(pytester: pytest.Pytester) -> None:
    # pytest marks every module of a plugin's distribution for assert rewriting; tagfake takes
    # its own back (they hold none of the users' asserts), while the users' tests keep theirs.
    pytester.makepyfile(
        test_rewrite="""
        import sys

        def loader_of(name):
            return type(sys.modules[name].__loader__).__name__

        def test_server_modules(tagfake):
            assert loader_of("tagfake.app") != "AssertionRewritingHook"
            assert loader_of("tagfake.testing.server") != "AssertionRewritingHook"
            assert loader_of(__name__) == "AssertionRewritingHook"

        def test_users_asserts_still_explained():
            tags = ["vip"]
            assert tags == ["support"]
        """
    )
    result = pytester.runpytest_subprocess(*LEAN, timeout=120)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*At index 0 diff: 'vip' != 'support'*"])


def test_help_lists_the_options(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(
        [
            "*--tagfake-url=URL*",
            "*--tagfake-wait=SECONDS*",
            "*--tagfake-validation=*",
            "*--tagfake-seed=N*",
        ]
    )


def test_each_xdist_worker_has_its_own_server(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    pytester.makepyfile(
        test_workers=HELPERS
        + """
import os

import pytest


@pytest.mark.parametrize("n", range(6))
def test_isolated(n, tagfake, tagfake_url, tagfake_server):
    assert tagfake.journal() == []  # no other worker's requests here
    assert maria_tags(tagfake) == [VIP]
    assert put_tags(tagfake_url("zapini"), [SUPPORT]) == 200
    worker = os.environ["PYTEST_XDIST_WORKER"]
    print(f"WORKER {worker} {tagfake_server.url}")
    with open(f"urls-{worker}.txt", "a") as out:
        out.write(tagfake_server.url + "\\n")
"""
    )
    result = pytester.runpytest_subprocess(*LEAN, "-p", "xdist", "-n", "2", timeout=180)
    result.assert_outcomes(passed=6)
    urls = {path.name: set(path.read_text().split()) for path in pytester.path.glob("urls-*.txt")}
    assert sorted(urls) == ["urls-gw0.txt", "urls-gw1.txt"]
    assert all(len(found) == 1 for found in urls.values())  # one server per worker...
    assert urls["urls-gw0.txt"] != urls["urls-gw1.txt"]  # ...and not the same one
