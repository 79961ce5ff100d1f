"""The HTML report a QA engineer reads: a summary and contents at the top, a row per check with
its outcome and the targets it can judge, and per failure the failing requests as readable lines
and a bash script that reproduces it — run here against the same broken server after the run's
clean-up deleted what the run made."""

from __future__ import annotations

import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from tagfake.suite.model import SuiteRun
from tagfake.suite.report import html_report, inline, summary
from tagfake.suite.runner import Options
from tagfake.testing.server import ThreadedServer

from .harness import run_over_url, settings, small_budget
from .mutants import MUTANTS


class Page(HTMLParser):
    """The report's structure: ids, links, rows of checks, preformatted blocks, text."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.rows: list[dict[str, Any]] = []
        self.text: list[str] = []
        self._row: dict[str, Any] | None = None
        self._cell: str | None = None
        self._pre: list[str] | None = None
        self._code = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(str(a["id"]))
        if tag == "a" and a.get("href"):
            self.links.append(str(a["href"]))
        if tag == "tr" and "check" in (a.get("class") or "").split():
            self._row = {"id": a.get("id"), "outcome": "", "curl": [], "pre": []}
            self.rows.append(self._row)
        if tag == "td" and self._row is not None and "outcome" in (a.get("class") or ""):
            self._cell = "outcome"
        if tag == "pre":
            self._pre = []
            if self._row is not None and "curl" in (a.get("class") or ""):
                self._row["curl"].append(self._pre)
            elif self._row is not None:
                self._row["pre"].append(self._pre)
        if tag == "code":
            self._code += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr":
            self._row = None
        if tag == "td":
            self._cell = None
        if tag == "pre":
            self._pre = None
        if tag == "code":
            self._code -= 1

    def handle_data(self, data: str) -> None:
        if self._pre is not None:
            self._pre.append(data)
            return
        if self._cell == "outcome" and self._row is not None:
            self._row["outcome"] += data.strip()
        if not self._code:
            self.text.append(data)


def _broken_run(server: ThreadedServer) -> SuiteRun:
    opts = Options(
        "rep0rt",
        small_budget(examples=5),
        only={"sync-sets-exact", "delete-cascades", "roundtrip", "observations"},
        probes=True,
        machine=False,
    )
    return run_over_url(server.url, "zapini", opts, admin=True)


@pytest.fixture
def broken(monkeypatch: pytest.MonkeyPatch) -> Any:
    for m in MUTANTS:
        if m.id in ("zapini-sync-appends", "zapini-delete-no-cascade"):
            m.apply(monkeypatch)
    with ThreadedServer(settings()) as server:
        yield server, _broken_run(server)


def test_the_report_has_a_summary_contents_results_and_a_reproduction_per_failure(
    broken: Any, tmp_path: Path
) -> None:
    server, run = broken
    page = Page()
    html = html_report(run)
    (tmp_path / "report.html").write_text(html, encoding="utf-8")
    page.feed(html)
    assert {"summary", "contents"} <= page.ids
    assert all(link.removeprefix("#") in page.ids for link in page.links if link.startswith("#"))
    text = " ".join(page.text)
    assert "FAILED" in text and "`" not in text  # Markdown code spans are rendered as <code>
    assert [r["id"] for r in page.rows] == [f"check-{r.vendor}-{r.check}" for r in run.results]
    assert [r["outcome"] for r in page.rows] == [r.outcome for r in run.results]
    failed = [(row, res) for row, res in zip(page.rows, run.results, strict=True) if row["curl"]]
    assert {res.id for _, res in failed} == {r.id for r in run.failed} != set()
    scripts = []
    for row, result in failed:
        story = "".join(row["pre"][0])
        # The failing example as requests a person reads, not a Python tuple.
        assert re.search(
            r"^(PUT|POST|GET|DELETE) /zapini/api/v1/\S+( \{.*\})? → \d{3}$", story, re.M
        )
        assert "(" not in story.splitlines()[0][:1], story
        assert result.example == story.strip()
        script = "".join(row["curl"][0])
        assert script.count("curl ") >= 1, script
        _reproduces(server.url, script, story)
        scripts.append(script)
    # Ids the run created (and its clean-up deleted) are re-created and read from the answers.
    assert any("ID_1=$(curl" in x and "${ID_1}" in x for x in scripts), scripts


def _reproduces(url: str, script: str, story: str) -> None:
    """The script runs after the run's clean-up, every id it names defined by an earlier line;
    each request answers the status the story shows (the broken server behaves the same)."""
    statuses = [int(s) for s in re.findall(r"→ (\d{3})$", story, re.M)]
    # Each status to stderr, so lines that capture an id from the answer still work.
    traced = script.replace("curl -sS ", "curl -sS -w '%{stderr}%{http_code}\\n' ")
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", traced],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr + traced
    answered = [int(x) for x in done.stderr.split()]
    assert answered[-len(statuses) :] == statuses, (answered, statuses, traced)


def test_inline_code_spans() -> None:
    assert inline("`tag_ids: []` clears") == "<code>tag_ids: []</code> clears"
    assert inline("a ` alone & <b>") == "a ` alone &amp; &lt;b&gt;"


def test_a_passing_run_reports_no_failure(tmp_path: Path) -> None:
    with ThreadedServer(settings()) as server:
        run = _broken_run(server)
    assert run.ok, summary(run)
    page = Page()
    page.feed(html_report(run))
    assert page.rows and all(not r["curl"] for r in page.rows)
    assert "PASSED" in " ".join(page.text)


def test_a_flaky_failure_shows_the_failing_attempt_without_a_traceback() -> None:
    """A check that fails once and passes on replay: its reproduction is the attempt that
    failed (here the only one that synced `[]`), not the replay that passed."""
    from hypothesis import strategies as st

    from tagfake.app import create_app
    from tagfake.suite.base import Property, RunContext
    from tagfake.suite.engine import run_property
    from tagfake.suite.inprocess import inprocess_targets
    from tagfake.suite.model import Deviation
    from tagfake.suite.vendors import suite_class

    calls = {"n": 0}
    with inprocess_targets(create_app(settings()), ["zapini"]) as targets:
        suite = suite_class("zapini")(targets[0], RunContext("fl4ky"))
        cid = str(targets[0].entities[0])

        def once_then_fine(example: int) -> None:
            calls["n"] += 1
            body: dict[str, Any] = {"tag_ids": [] if calls["n"] == 1 else None}
            suite.api.call("updateConversationTags", {"uuid": cid}, body=body, check=False)
            if calls["n"] == 1:
                raise Deviation("the first attempt passes", "it did not")

        prop = Property("flaky-probe", "fails once", once_then_fine, st.integers(0, 3))
        result = run_property(suite, prop)
    assert result.outcome == "failed" and "flaky" in result.message, result
    assert '{"tag_ids": []}' in "\n".join(result.curl), result.curl
    assert '"tag_ids": null' not in "\n".join(result.curl), result.curl
    text = "\n".join([result.message, result.example, *result.details])
    assert "Traceback" not in text and 'File "' not in text, text


def test_a_created_id_that_equals_a_path_id_is_replaced_in_bodies_only() -> None:
    """healvi's tag 102 beside profile 102: the profile's URL keeps its id."""
    from tagfake.suite.model import Exchange
    from tagfake.suite.reproduce import script

    create = Exchange(
        "POST",
        "http://x/healvi/profiles/102/tags",
        {"Authorization": "Bearer secret-token"},
        b'{"tags": [{"title": "tagfake-r1-p1 $HOME `x`"}]}',
        200,
        {},
        b'{"data": [{"id": 102, "title": "tagfake-r1-p1"}]}',
    )
    attach = Exchange(
        "POST", "http://x/healvi/profiles/102/tags", {}, b'{"tags": [{"id": 102}]}', 200, {}, b"{}"
    )
    lines = script([attach], [create], {"HEALVI_CREDENTIAL": "secret-token"}, "tagfake-r1-")
    assert lines[0].startswith('RUN_PREFIX="tagfake-r1r')
    assert lines[1].startswith("ID_1=$(curl") and lines[1].endswith("| jq -r '.data[0].id')")
    assert "/profiles/102/tags" in lines[2] and '{\\"id\\": ${ID_1}}' in lines[2], lines
    assert "secret-token" not in "\n".join(lines) and "${HEALVI_CREDENTIAL}" in lines[1]
    check = subprocess.run(
        ["bash", "-n", "-c", "\n".join(lines)], capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stderr
    # What the run sent stays literal: `$HOME` and backticks are not expanded by the shell.
    echoed = subprocess.run(
        ["bash", "-c", "RUN_PREFIX=P-; echo " + lines[1].split("--data-raw ", 1)[1].split(" |")[0]],
        capture_output=True,
        text=True,
        check=True,
    )
    assert echoed.stdout.strip() == '{"tags": [{"title": "P-p1 $HOME `x`"}]}', echoed.stdout
