"""`python -m bench --help` prints its options (argparse formats every help string with %)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_help_lists_its_options() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "--pinned" in done.stdout
    assert "% of the CPU" in done.stdout


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


def test_instructions_help_names_its_window() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.instructions", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "--window" in done.stdout and "--warmup" in done.stdout
