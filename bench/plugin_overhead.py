"""What the pytest plugin adds to a test session: a session of one test that uses the `tagfake`
fixture (and calls one Zapini operation through it) against the same session with an empty test,
each run as a fresh `pytest` process, median of the rounds.

    .venv/bin/python bench/plugin_overhead.py            # 7 rounds
    .venv/bin/python bench/plugin_overhead.py --rounds 15

The difference is the plugin's whole cost to a user: importing the server and app, building
the app, starting uvicorn on a thread, the first request, the reset after the test, the stop.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EMPTY = """
def test_nothing():
    assert True
"""

WITH_FIXTURE = """
import json
import urllib.request


def test_lists_tags(tagfake, tagfake_url):
    request = urllib.request.Request(
        tagfake_url("zapini") + "/tags",
        headers={"Authorization": "Bearer sk_acme_4f9d2c7b1e8a6035d2b9c4e7f1a8d3b6"},
    )
    with urllib.request.urlopen(request) as answer:
        assert answer.status == 200
        assert json.load(answer)["success"] is True
"""


def session_seconds(test_file: Path) -> float:
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)],
        cwd=test_file.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    took = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"{test_file.name} failed:\n{done.stdout}\n{done.stderr}")
    return took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tagfake-plugin-") as tmp:
        root = Path(tmp)
        empty, used = root / "test_empty.py", root / "test_fixture.py"
        empty.write_text(EMPTY)
        used.write_text(WITH_FIXTURE)
        session_seconds(empty)  # warm the file system caches and .pyc files once
        session_seconds(used)
        plain: list[float] = []
        fixture: list[float] = []
        for _ in range(args.rounds):  # interleaved, so a busy moment hits both alike
            plain.append(session_seconds(empty))
            fixture.append(session_seconds(used))
    a, b = statistics.median(plain), statistics.median(fixture)
    print(f"pytest session, one empty test:         {a:.3f} s (median of {args.rounds})")
    print(f"pytest session, one test with `tagfake`: {b:.3f} s (median of {args.rounds})")
    print(f"the plugin adds:                         {b - a:.3f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
