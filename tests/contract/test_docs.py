"""The README's tables of checks say what the code does: every check of every vendor, with the
targets it can judge, and every mutant."""

from __future__ import annotations

import re
from pathlib import Path

from tagfake.app import create_app
from tagfake.suite.base import RunContext
from tagfake.suite.inprocess import inprocess_targets
from tagfake.suite.vendors import suite_class

from .harness import settings
from .mutants import MUTANTS

README = Path(__file__).resolve().parents[2] / "README.md"


def _tables() -> dict[str, dict[str, str]]:
    """vendor → check → its "judged on" cell, from the README's "### Properties" tables."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("### Properties") : text.index("#### State machines")]
    found: dict[str, dict[str, str]] = {}
    for part in re.split(r"^#### ", section, flags=re.M)[1:]:
        vendor = part.split()[0]
        rows = re.findall(r"^\| `([a-z/-]+)` \|.*\| ([^|]+) \|$", part, re.M)
        found[vendor] = {check: judged.strip() for check, judged in rows}
    return found


def test_the_readme_lists_every_check_and_what_it_can_judge() -> None:
    tables = _tables()
    with inprocess_targets(create_app(settings())) as targets:
        for t in targets:
            suite = suite_class(t.vendor)(t, RunContext("docs"))
            want = {p.check: suite.judges(p) for p in suite.properties()}
            want["state-machine"] = suite.machine_judges
            got = {k: v for k, v in tables[t.vendor].items() if k != "observations"}
            assert got == want, t.vendor


def test_the_readme_lists_every_mutant() -> None:
    text = README.read_text(encoding="utf-8")
    missing = [m.id for m in MUTANTS if f"| {m.id} |" not in text]
    assert not missing, missing
