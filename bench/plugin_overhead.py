"""What the pytest plugin adds to a test session: a session of one test that uses the `tagfake`
fixture (and calls one Zapini operation through it) against the same session with an empty test,
each run as a fresh `pytest` process, median of the rounds. A third session, the empty test with
the plugin disabled (`-p no:tagfake`), shows what merely having the plugin installed costs a
session that never uses it.

    .venv/bin/python bench/plugin_overhead.py            # 7 rounds
    .venv/bin/python bench/plugin_overhead.py --rounds 15

The difference is the plugin's whole cost to a user: importing the server and app, building
the app, starting uvicorn on a thread, the first request, the reset after the test, the stop,
and the interpreter's exit with all of it loaded.

Every session reads compiled bytecode, as from an installed wheel (pip compiles it at install):
the sessions write it to a cache of their own (`PYTHONPYCACHEPREFIX` in the temporary folder)
during the warm-up, even where `PYTHONDONTWRITEBYTECODE` is set. `--no-bytecode` runs them with
the environment as it is instead (with that variable set, tagfake's own modules, an editable
install, are then compiled from source in every session).
"""

from __future__ import annotations

import argparse
import os
import resource
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


class Timing:
    """Wall-clock seconds of each session, and the CPU seconds (user + system) it used: on a
    busy machine the wall clock also counts the time other processes held the cores."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def add(self, wall: float, cpu: float) -> None:
        self.wall.append(wall)
        self.cpu.append(cpu)

    @property
    def medians(self) -> tuple[float, float]:
        return statistics.median(self.wall), statistics.median(self.cpu)


def children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def session_seconds(test_file: Path, env: dict[str, str], *extra: str) -> tuple[float, float]:
    cpu = children_cpu()
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *extra, str(test_file)],
        cwd=test_file.parent,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    took = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"{test_file.name} failed:\n{done.stdout}\n{done.stderr}")
    return took, children_cpu() - cpu


def session_env(root: Path, bytecode: bool) -> dict[str, str]:
    env = dict(os.environ)
    if bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(root / "pycache")
    return env


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument(
        "--no-bytecode",
        dest="bytecode",
        action="store_false",
        help="run the sessions with the environment as it is (no bytecode cache of their own)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tagfake-plugin-") as tmp:
        root = Path(tmp)
        env = session_env(root, args.bytecode)
        empty, used = root / "test_empty.py", root / "test_fixture.py"
        empty.write_text(EMPTY)
        used.write_text(WITH_FIXTURE)
        # Warm the file system caches and the bytecode once.
        session_seconds(empty, env, "-p", "no:tagfake")
        session_seconds(empty, env)
        session_seconds(used, env)
        without, plain, fixture = Timing(), Timing(), Timing()
        for _ in range(args.rounds):  # interleaved, so a busy moment hits all alike
            without.add(*session_seconds(empty, env, "-p", "no:tagfake"))
            plain.add(*session_seconds(empty, env))
            fixture.add(*session_seconds(used, env))
    (n, n_cpu), (a, a_cpu), (b, b_cpu) = without.medians, plain.medians, fixture.medians
    how = f"median of {args.rounds}{'' if args.bytecode else ', no bytecode cache'}"
    print(f"{'seconds (' + how + ')':47s} {'wall':>7s} {'cpu':>7s}")
    rows = [
        ("pytest session, one empty test, -p no:tagfake", n, n_cpu),
        ("pytest session, one empty test", a, a_cpu),
        ("pytest session, one test with `tagfake`", b, b_cpu),
        ("the plugin installed but unused adds", a - n, a_cpu - n_cpu),
        ("the plugin adds", b - a, b_cpu - a_cpu),
        ("the plugin adds, over the session without it", b - n, b_cpu - n_cpu),
    ]
    for label, wall, cpu in rows:
        print(f"{label:47s} {wall:7.3f} {cpu:7.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
