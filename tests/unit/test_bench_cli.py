"""The bench's commands print their options (argparse formats every help string with %), and
the instruction count reads what callgrind wrote."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("module", "options"),
    [("bench", ["--pinned", "% of the CPU"]), ("bench.instructions", ["--window", "--warmup"])],
)
def test_help_lists_the_options(module: str, options: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", module, "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    for option in options:
        assert option in done.stdout


def test_instructions_sum_every_dump_callgrind_wrote(tmp_path: Path) -> None:
    """callgrind writes one file per dump (`out`, `out.1`, ...): the window's count is all of
    their totals, and nothing from a file of another name."""
    from bench.instructions import counted_instructions

    out = tmp_path / "tagfake-put.callgrind"
    (tmp_path / "tagfake-put.callgrind").write_text("events: Ir\nsummary: 0\ntotals: 0\n")
    (tmp_path / "tagfake-put.callgrind.1").write_text(
        "events: Ir\nsummary: 7\ntotals: 1765178600\n"
    )
    (tmp_path / "tagfake-get.callgrind.1").write_text("totals: 99\n")
    assert counted_instructions(out) == 1_765_178_600
