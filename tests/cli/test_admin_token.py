"""A server with an admin token: every client tagfake ships sends it — the admin client, the
admin commands, the pytest plugin and the contract suite — from an option or
`TAGFAKE_ADMIN_TOKEN`; without it they get the 401 in one line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tagfake.cli import main
from tagfake.settings import Settings
from tagfake.suite.http import Http
from tagfake.suite.target import is_tagfake
from tagfake.testing.client import AdminClient, AdminError
from tagfake.testing.server import ThreadedServer

pytest_plugins = ["pytester"]

TOKEN = "ci-admin-token-5b1f"
LEAN = ("-p", "no:cacheprovider", "-p", "no:schemathesis", "-p", "no:hypothesispytest")


@pytest.fixture(scope="module")
def locked() -> Iterator[ThreadedServer]:
    with ThreadedServer(Settings(validation="enforce", admin_token=TOKEN)) as server:
        yield server


@pytest.fixture(autouse=True)
def _no_token_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TAGFAKE_ADMIN_TOKEN", raising=False)


def add_marker(server: ThreadedServer) -> None:
    AdminClient(server.url, token=TOKEN).fault("status", status=503, path="^/never$", id="m")


def marker_kept(server: ThreadedServer) -> bool:
    return any(r["id"] == "m" for r in AdminClient(server.url, token=TOKEN).faults())


def test_the_admin_client_sends_its_token_or_gets_the_401(
    locked: ThreadedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_marker(locked)
    with pytest.raises(AdminError) as refused:
        AdminClient(locked.url).reset()
    assert refused.value.status == 401 and "admin token" in refused.value.message
    assert marker_kept(locked)
    assert AdminClient(locked.url, token=TOKEN).reset()["reset"] is not None
    assert not marker_kept(locked)
    monkeypatch.setenv("TAGFAKE_ADMIN_TOKEN", TOKEN)
    assert AdminClient(locked.url).health()["status"] == "ok"
    assert TOKEN not in repr(AdminClient(locked.url))


def test_the_admin_commands_take_the_token_from_the_option_or_the_environment(
    locked: ThreadedServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    add_marker(locked)
    assert main(["reset", "--url", locked.url]) == 1
    err = capsys.readouterr().err
    assert err.startswith("tagfake: 401") and err.count("\n") == 1, err
    assert marker_kept(locked)
    assert main(["reset", "--url", locked.url, "--admin-token", TOKEN]) == 0
    assert not marker_kept(locked)
    add_marker(locked)
    assert main(["faults", "delete", "m", "--url", locked.url, "--admin-token", TOKEN]) == 0
    monkeypatch.setenv("TAGFAKE_ADMIN_TOKEN", TOKEN)
    assert main(["journal", "--clear", "--url", locked.url]) == 0
    out = capsys.readouterr().out
    assert "cleared" in out and TOKEN not in out


def test_the_plugin_sends_the_token_to_an_outside_server(
    pytester: pytest.Pytester, locked: ThreadedServer
) -> None:
    add_marker(locked)
    pytester.makepyfile(
        test_user="""
        def test_uses_it(tagfake, tagfake_server):
            assert tagfake_server.external
            assert tagfake.faults() == []  # reset at the start of the session
            assert tagfake.state("zapini", "acme")["tags"]
        """
    )
    url = f"--tagfake-url={locked.url}"
    refused = pytester.runpytest_inprocess(*LEAN, url)
    refused.assert_outcomes(errors=1)
    assert "401" in refused.stdout.str()
    assert marker_kept(locked)
    ok = pytester.runpytest_inprocess(*LEAN, url, f"--tagfake-admin-token={TOKEN}")
    ok.assert_outcomes(passed=1)
    assert not marker_kept(locked)


def test_the_plugin_takes_the_token_from_the_environment(
    pytester: pytest.Pytester, locked: ThreadedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TAGFAKE_ADMIN_TOKEN", TOKEN)
    pytester.makepyfile(test_env="def test_env(tagfake):\n    assert tagfake.faults() == []\n")
    pytester.runpytest_inprocess(*LEAN, f"--tagfake-url={locked.url}").assert_outcomes(passed=1)


def test_the_plugins_own_server_with_a_token_is_driven_with_it(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        f"""
        import pytest
        from tagfake.settings import Settings

        @pytest.fixture(scope="session")
        def tagfake_settings():
            return Settings(admin_token={TOKEN!r})
        """
    )
    pytester.makepyfile(
        test_own="""
        import urllib.error, urllib.request

        def test_own(tagfake, tagfake_server):
            assert tagfake.reset() is not None
            try:
                urllib.request.urlopen(tagfake_server.url + "/__admin/health")
            except urllib.error.HTTPError as e:
                assert e.code == 401
            else:
                raise AssertionError("served without the token")
        """
    )
    pytester.runpytest_inprocess(*LEAN).assert_outcomes(passed=1)


def test_the_contract_suite_sends_the_token_to_the_admin_api_only(locked: ThreadedServer) -> None:
    import httpx

    with httpx.Client(base_url=locked.url) as client:
        assert is_tagfake(Http(client)) is None  # 401: not recognised as tagfake
        http = Http(client, admin_token=TOKEN)
        assert is_tagfake(http) is not None
        vendor = http.send("GET", "/zapini/api/v1/tags", headers={"Authorization": "Bearer x"})
    assert "X-Tagfake-Admin-Token" not in vendor.headers


def test_tagfake_contract_takes_admin_token(
    locked: ThreadedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["contract", "--base-url", locked.url, "--vendor", "zapini", "--quiet"]
    budget = ["--examples", "1", "--machine-examples", "1", "--machine-steps", "2"]
    budget += ["--schemathesis", "off", "--report-dir", str(tmp_path)]
    assert main([*args, *budget]) == 2  # without it: not tagfake, and no credential named
    assert main([*args, *budget, "--admin-token", TOKEN]) == 0
    out = capsys.readouterr().out
    assert "zapini" in out and TOKEN not in out
