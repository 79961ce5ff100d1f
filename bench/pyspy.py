"""Where a request's time goes: py-spy samples `tagfake serve` under wrk load, and the report
groups the samples by the layer they were taken in (leaf frame) and lists the frames with the
largest inclusive share and the largest own share (samples taken in the frame itself).

    .venv/bin/python -m bench.pyspy                  # both scenarios, 7 s of samples each
    .venv/bin/python -m bench.pyspy --scenarios put --top 30

The server runs on the first core of the bench's affinity set and wrk on the second, as in
`--pinned`. py-spy comes with the `dev` extra (it needs ptrace: root, or
`kernel.yama.ptrace_scope=0`).
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.procs import free_port, on_cpus, spawn, stop, wait_first_200
from bench.scenarios import SCENARIOS, Scenario
from bench.targets import Workdir, tagfake_bin
from bench.wrk import wrk_script

# Leaf frames by the layer they belong to, first match wins.
LAYERS = [
    ("uvicorn (HTTP parsing, sending)", "uvicorn/"),
    ("connexion", "connexion/"),
    ("starlette", "starlette/"),
    ("tagfake pipeline", "tagfake/pipeline/"),
    ("tagfake vendors (handlers, backends)", "tagfake/vendors/"),
    ("tagfake core and store", ("tagfake/core/", "tagfake/state/")),
    ("tagfake contract (validators)", "tagfake/contract/"),
    ("tagfake journal and admin", "tagfake/admin/"),
    ("JSON", ("json/", "orjson")),
    ("asyncio and uvloop", ("asyncio/", "uvloop")),
]
_LINE = re.compile(r":\d+\)")


def layer_of(frame: str) -> str:
    for name, marks in LAYERS:
        for mark in (marks,) if isinstance(marks, str) else marks:
            if mark in frame:
                return name
    return "other"


def summarize(raw: Path, top: int) -> str:
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    layers: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [_LINE.sub(")", f) for f in stack.split(";")]
        for frame in set(frames):
            inclusive[frame] += n
        layers[layer_of(frames[-1])] += n
        own[frames[-1]] += n
    if not total:
        return "no samples"
    out = [f"{total} samples", "", "| layer (leaf frame) | share |", "|---|---|"]
    out += [f"| {name} | {n / total:.1%} |" for name, n in layers.most_common()]
    out += ["", "| frame (inclusive) | share |", "|---|---|"]
    out += [
        f"| `{frame[:110]}` | {n / total:.1%} |"
        for frame, n in inclusive.most_common(top)
        if n < total
    ]
    # A frame's own time: the samples taken in it, native calls it made included (a write).
    out += ["", "| frame (own time) | share |", "|---|---|"]
    out += [f"| `{frame[:110]}` | {n / total:.1%} |" for frame, n in own.most_common(top)]
    return "\n".join(out)


def profile(scenario: Scenario, work: Workdir, seconds: int, top: int) -> str:
    wrk = shutil.which("wrk")
    spy = Path(sys.executable).parent / "py-spy"
    if wrk is None or not spy.exists():
        return "needs wrk (`apt-get install wrk`) and py-spy (the dev extra)"
    port = free_port()
    argv = [str(tagfake_bin()), "serve", "--port", str(port)]
    server = spawn(argv, work.root / f"serve-{scenario.key}.log", port, work.root, work.server_cpus)
    try:
        if wait_first_200(server, scenario.probe_path, scenario.auth) is None:
            return "tagfake did not start"
        url = f"http://127.0.0.1:{port}{scenario.path}"
        script = str(wrk_script(scenario, work))
        load = [wrk, "-t1", "-c32", f"-d{seconds + 3}s", "-s", script, url]
        with subprocess.Popen(
            load,
            stdout=subprocess.DEVNULL,
            preexec_fn=on_cpus(work.load_cpus),  # noqa: PLW1509 (the bench starts no threads)
        ) as running:
            time.sleep(1.0)
            raw = work.root / f"{scenario.key}.txt"
            subprocess.run(
                [str(spy), "record", "-p", str(server.proc.pid), "-d", str(seconds), "-r", "250",
                 "-f", "raw", "-o", str(raw)],
                capture_output=True, check=False, timeout=seconds + 60,
            )  # fmt: skip
            running.wait(seconds + 30)
        return summarize(raw, top) if raw.exists() else "py-spy recorded nothing"
    finally:
        stop(server)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.pyspy", description=__doc__)
    p.add_argument("--scenarios", default="get,put")
    p.add_argument("--seconds", type=int, default=7)
    p.add_argument("--top", type=int, default=25)
    args = p.parse_args(argv)
    cores = sorted(os.sched_getaffinity(0))
    with tempfile.TemporaryDirectory(prefix="tagfake-pyspy-") as tmp:
        work = Workdir(Path(tmp))
        if len(cores) >= 2:
            work.server_cpus, work.load_cpus = frozenset(cores[:1]), frozenset(cores[1:2])
        for key in args.scenarios.split(","):
            scenario = SCENARIOS[key.strip()]
            print(f"## {scenario.title}\n")
            print(profile(scenario, work, args.seconds, args.top) + "\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
