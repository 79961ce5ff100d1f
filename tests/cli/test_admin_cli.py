"""`tagfake reset | seed | journal | faults` against a server in a thread (the plugin's)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tagfake.cli import main
from tagfake.testing.client import AdminClient
from tagfake.testing.plugin import TagfakeServer

ZAPINI_TOKEN = "sk_acme_4f9d2c7b1e8a6035d2b9c4e7f1a8d3b6"
MARIA = "550e8400-e29b-41d4-a716-446655440045"
VIP = "550e8400-e29b-41d4-a716-446655440001"
SUPPORT = "550e8400-e29b-41d4-a716-446655440002"


class Run:
    """`tagfake ...` in this process, against the test server unless told otherwise."""

    def __init__(self, url: str, capsys: pytest.CaptureFixture[str]) -> None:
        self.url = url
        self.capsys = capsys
        self.out = ""
        self.err = ""

    def __call__(self, *argv: str, url: bool = True) -> int:
        self.capsys.readouterr()
        args = [*argv, "--url", self.url] if url else list(argv)
        code = main(args)
        self.out, self.err = self.capsys.readouterr()
        return code

    def json(self, *argv: str) -> Any:
        assert self(*argv, "--json") == 0, self.err
        return json.loads(self.out)


@pytest.fixture
def run(tagfake: AdminClient, capsys: pytest.CaptureFixture[str]) -> Run:
    return Run(tagfake.base_url, capsys)


@pytest.fixture
def refused() -> Iterator[str]:
    """A URL nothing answers: a bound port that never listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


def put_tags(tagfake: AdminClient, tag_ids: list[str]) -> int:
    request = urllib.request.Request(
        f"{tagfake.vendor_url('zapini')}/conversations/{MARIA}/tags",
        data=json.dumps({"tag_ids": tag_ids}).encode(),
        method="PUT",
        headers={"Authorization": f"Bearer {ZAPINI_TOKEN}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        error.close()
        return int(error.code)


def maria_tags(tagfake: AdminClient) -> list[str]:
    state = tagfake.state("zapini", "acme")
    tags: list[str] = next(
        c["tags"] for c in state["entities"]["conversations"] if c["id"] == MARIA
    )
    return tags


# -- reset -------------------------------------------------------------------------------------


def test_reset_everything(run: Run, tagfake: AdminClient) -> None:
    assert put_tags(tagfake, [SUPPORT]) == 200
    tagfake.fault("drop", vendor="nexor")

    assert run("reset") == 0

    assert run.out.startswith("reset everything")
    assert maria_tags(tagfake) == [VIP]
    assert tagfake.journal() == []
    assert tagfake.faults() == []


def test_reset_one_tenant(run: Run, tagfake: AdminClient) -> None:
    assert put_tags(tagfake, [SUPPORT]) == 200

    answer = run.json("reset", "--vendor", "zapini", "--tenant", "acme")

    assert answer == {"reset": {"vendor": "zapini", "tenant": "acme"}}
    assert maria_tags(tagfake) == [VIP]
    assert len(tagfake.journal()) == 1  # a scoped reset keeps the journal


def test_reset_tenant_needs_vendor(run: Run) -> None:
    assert run("reset", "--tenant", "acme") == 2
    assert run.err == "tagfake: --tenant needs --vendor\n"


# -- seed --------------------------------------------------------------------------------------


def test_seed_scenario(run: Run) -> None:
    assert run("seed", "--vendor", "zapini", "--scenario", "default") == 0
    assert run.out == "seeded zapini from scenario default: acme, globex\n"


def test_seed_unknown_scenario(run: Run) -> None:
    assert run("seed", "--vendor", "zapini", "--scenario", "nope") == 1
    assert run.out == ""
    assert run.err == "tagfake: 404 Not Found: no scenario 'nope' for zapini\n"


DOCUMENT = {
    "vendor": "zapini",
    "tenants": {
        "initech": {
            "credentials": ["sk_initech_0123456789abcdef0123456789abcdef"],
            "tags": [
                {"id": "0b6f7c1e-3a52-4d8e-9c0f-6a2d4b8e1f01", "name": "Lead", "color": "#123456"}
            ],
        }
    },
}


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_seed_a_file(run: Run, tagfake: AdminClient, tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"initech{suffix}"
    if suffix == ".json":
        path.write_text(json.dumps(DOCUMENT))
    else:
        import yaml

        path.write_text(yaml.safe_dump(DOCUMENT))

    assert run("seed", "--file", str(path)) == 0  # the vendor named in the file

    assert run.out == f"seeded zapini from {path}: initech\n"
    assert [t["name"] for t in tagfake.state("zapini", "initech")["tags"]] == ["Lead"]


def test_seed_a_bad_file(run: Run, tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    assert run("seed", "--vendor", "zapini", "--file", str(missing)) == 2
    assert run.err.startswith(f"tagfake: cannot read {missing}")
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    assert run("seed", "--vendor", "zapini", "--file", str(broken)) == 2
    assert run.err.startswith(f"tagfake: {broken} is not valid JSON")
    invalid = tmp_path / "invalid.yaml"
    invalid.write_text("vendor: zapini\ntenants: {acme: {tags: 3}}\n")
    assert run("seed", "--file", str(invalid)) == 1  # the server's 422, one line
    assert run.err.startswith("tagfake: 422 Unprocessable Content:")
    assert run.err.count("\n") == 1


# -- journal -----------------------------------------------------------------------------------


def test_journal_lines(run: Run, tagfake: AdminClient) -> None:
    assert put_tags(tagfake, [SUPPORT]) == 200
    assert put_tags(tagfake, ["not-a-tag"]) == 422

    assert run("journal") == 0

    first, second, summary = run.out.splitlines()
    assert f"PUT    /zapini/api/v1/conversations/{MARIA}/tags -> 200" in first
    assert "zapini/acme updateConversationTags" in first
    assert "-> 422" in second
    assert summary == "2 of 2 recorded request(s)"


def test_journal_filters_and_bodies(run: Run, tagfake: AdminClient) -> None:
    assert put_tags(tagfake, [SUPPORT]) == 200
    assert put_tags(tagfake, ["not-a-tag"]) == 422

    assert run("journal", "--status", "422", "--bodies") == 0
    line, body, summary = run.out.splitlines()
    assert "-> 422" in line
    assert json.loads(body) == {"tag_ids": ["not-a-tag"]}
    assert summary == "1 of 2 recorded request(s)"

    page = run.json("journal", "--vendor", "zapini", "--operation", "updateConversationTags")
    assert [e["status"] for e in page["entries"]] == [200, 422]
    assert [e["status"] for e in run.json("journal", "--limit", "1")["entries"]] == [422]
    assert run.json("journal", "--vendor", "nexor")["entries"] == []


def test_journal_clear(run: Run, tagfake: AdminClient) -> None:
    assert put_tags(tagfake, [SUPPORT]) == 200
    assert run("journal", "--clear", "--vendor", "zapini") == 2
    assert "--clear forgets the whole journal" in run.err

    assert run("journal", "--clear") == 0

    assert run.out == "cleared 1 journal entries\n"
    assert tagfake.journal() == []


# -- faults ------------------------------------------------------------------------------------


def test_faults_add_list_delete_clear(run: Run, tagfake: AdminClient) -> None:
    assert run("faults") == 0
    assert run.out == "no fault rules\n"

    assert (
        run(
            "faults",
            "add",
            "--kind",
            "status",
            "--status",
            "503",
            "--vendor",
            "zapini",
            "--times",
            "1",
        )
        == 0
    )
    added = run.out.split()[1]  # fault-N
    assert (
        run.out == f"added {added}  status 503  on vendor=zapini  times=1  applied 0 of 0 matched\n"
    )
    assert put_tags(tagfake, [SUPPORT]) == 503
    assert put_tags(tagfake, [SUPPORT]) == 200

    assert run("faults", "list") == 0
    assert run.out == f"{added}  status 503  on vendor=zapini  times=1  applied 1 of 2 matched\n"

    rule = run.json("faults", "add", "--kind", "delay", "--delay-ms", "50", "--id", "slow")
    assert rule["id"] == "slow"
    assert rule["effect"] == {"kind": "delay", "delay_ms": 50}
    assert [r["id"] for r in run.json("faults")["faults"]] == [added, "slow"]

    assert run("faults", "delete", "slow") == 0
    assert run.out == "deleted slow\n"
    assert run("faults", "delete", "slow") == 1
    assert run.err == "tagfake: 404 Not Found: no fault rule 'slow'\n"

    assert run("faults", "clear") == 0
    assert run.out == "cleared 1 fault rule(s)\n"
    assert tagfake.faults() == []


def test_faults_add_header_style(run: Run, tagfake: AdminClient) -> None:
    rule = run.json(
        "faults",
        "add",
        "--header-style",
        "rate_limit; retry_after=3; times=1",
        "--operation",
        "updateConversationTags",
    )
    assert rule["effect"] == {"kind": "rate_limit", "retry_after": 3}
    assert rule["match"] == {"operation": "updateConversationTags"}
    assert rule["times"] == 1
    assert put_tags(tagfake, []) == 429
    [entry] = tagfake.journal(status=429)
    assert entry["response"]["headers"]["retry-after"] == "3"


def test_faults_add_mistakes(run: Run) -> None:
    assert run("faults", "add", "--kind", "status") == 2
    assert run.err == "tagfake: a status fault needs --status\n"
    assert run("faults", "add", "--header-style", "bogus") == 2
    assert run.err.startswith("tagfake: --header-style: unknown part 'bogus'; expected status=N")
    assert run("faults", "add", "--header-style", "status=503; times=0") == 2
    assert run.err == "tagfake: --header-style: times must be a whole number of at least 1\n"
    assert run("faults", "add", "--kind", "delay", "--delay-ms", "999999") == 1
    assert run.err.startswith("tagfake: 422 Unprocessable Content: ")
    assert run.err.count("\n") == 1


def test_url_before_or_after_the_action(run: Run) -> None:
    assert run("faults", "--url", run.url, "add", "--kind", "drop", url=False) == 0
    assert run("faults", "list", "--url", run.url, url=False) == 0
    assert run.out.startswith("fault-")
    assert "  drop  on every request  applied 0 of 0 matched" in run.out


# -- reaching the server -----------------------------------------------------------------------


def test_url_from_the_environment(
    run: Run, monkeypatch: pytest.MonkeyPatch, tagfake_server: TagfakeServer
) -> None:
    monkeypatch.setenv("TAGFAKE_URL", tagfake_server.url)
    assert run("faults", url=False) == 0
    assert run.out == "no fault rules\n"


@pytest.mark.parametrize(
    "argv",
    [
        ["reset"],
        ["seed", "--vendor", "zapini", "--scenario", "default"],
        ["journal"],
        ["faults"],
        ["faults", "clear"],
    ],
)
def test_unreachable_server(run: Run, refused: str, argv: list[str]) -> None:
    assert run(*argv, "--url", refused, url=False) == 1
    assert run.out == ""
    assert run.err.startswith(f"tagfake: cannot reach tagfake at {refused}: ")
    assert run.err.count("\n") == 1


def test_the_installed_command(tagfake: AdminClient, refused: str) -> None:
    script = Path(sys.executable).with_name("tagfake")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "tagfake.cli"]
    assert put_tags(tagfake, [SUPPORT]) == 200

    done = subprocess.run(
        [*command, "journal", "--json", "--url", tagfake.base_url],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert [e["status"] for e in json.loads(done.stdout)["entries"]] == [200]

    failed = subprocess.run(
        [*command, "reset"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"TAGFAKE_URL": refused, "PATH": "/usr/bin:/bin"},
    )
    assert failed.returncode == 1
    assert failed.stderr.startswith(f"tagfake: cannot reach tagfake at {refused}")
