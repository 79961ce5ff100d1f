"""Throughput of 1 and 2 workers on the SQLite store beside the memory store, under wrk.

    .venv/bin/python bench/workers.py                    # 10 s per run, 32 connections
    .venv/bin/python bench/workers.py --duration 5 --repeat 3

For each configuration (memory/1, sqlite/1, sqlite/2 workers) it starts a fresh `tagfake serve`
serving zapini, checks one request, warms up for 1 s, then runs wrk (`apt-get install wrk`) on
`GET /zapini/api/v1/tags` (the fixture's 4 tags, every request journaled) and on `POST` creates
of new tags. wrk runs on the same machine, so it takes CPU from the servers: the figures are
ratios between configurations measured in one run, not absolute capacities. Results on stdout
and in bench/results/workers-<UTC date>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if __package__ in (None, ""):  # run as `python bench/workers.py`
    sys.path.insert(0, str(ROOT))

from bench.procs import Server, serve_zapini, stop  # noqa: E402
from bench.wrk import LUA_DONE, run_wrk  # noqa: E402

RESULTS = ROOT / "bench" / "results"
TOKEN = "Bearer sk_acme_4f9d2c7b1e8a6035d2b9c4e7f1a8d3b6"
CONFIGS = [("memory", 1), ("sqlite", 1), ("sqlite", 2)]

POST_SCRIPT = """
-- Names unique across wrk's threads and runs: the run's label and a
-- number per thread.
counter = 0
threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
function init(args)
  label = "LABEL"
end
request = function()
  counter = counter + 1
  local body = string.format('{"name":"%s %d %d","color":"#102030"}', label, tid, counter)
  return wrk.format("POST", "/zapini/api/v1/tags", {
    ["Authorization"] = "TOKEN", ["Content-Type"] = "application/json"}, body)
end
"""


def start(store: str, workers: int, folder: Path) -> Server:
    args = ["--workers", str(workers)]
    if store == "sqlite":
        args += ["--store", f"sqlite:{folder / 'bench.db'}"]
    return serve_zapini(args, folder / "serve.log", TOKEN)


GET_SCRIPT = """
wrk.headers["Authorization"] = "TOKEN"
"""


def wrk(url: str, seconds: int, connections: int, lua: str, folder: Path) -> dict[str, float]:
    # A label of its own for every run of wrk on one server: its creates' names never clash.
    label = f"w{time.monotonic_ns() % 10**9}"
    script = folder / f"{label}.lua"
    script.write_text(lua.replace("TOKEN", TOKEN).replace("LABEL", label) + LUA_DONE)
    load = run_wrk("wrk", f"{url}/zapini/api/v1/tags", script, seconds, connections, threads=2)
    return {
        "rps": load.rps,
        "non_2xx": float(load.non_2xx),
        "socket_errors": float(load.errors),
        "p50_ms": load.latency_ms["p50"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=1)
    opts = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk")
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        runs: dict[tuple[str, str, int], list[dict[str, float]]] = {}
        # Rounds interleave the configurations, so a change in the machine's load between
        # rounds falls on all of them alike; each figure is the median over the rounds.
        for round_no in range(opts.repeat):
            for scenario, lua in (("get", GET_SCRIPT), ("post", POST_SCRIPT)):
                for store, workers in CONFIGS:
                    folder = Path(tempfile.mkdtemp(dir=tmp))
                    server = start(store, workers, folder)
                    url = f"http://127.0.0.1:{server.port}"
                    try:
                        wrk(url, 1, opts.connections, lua, folder)  # warm-up
                        got = wrk(url, opts.duration, opts.connections, lua, folder)
                    finally:
                        stop(server)
                    got["load"] = os.getloadavg()[0]
                    runs.setdefault((scenario, store, workers), []).append(got)
                    print(
                        f"round {round_no + 1}: {scenario:4} {store:6} {workers} worker(s): "
                        f"{got['rps']:8.0f} req/s  p50 {got['p50_ms']:.1f} ms  "
                        f"non-2xx {got['non_2xx']:.0f}  (load {got['load']:.1f})",
                        flush=True,
                    )
        for (scenario, store, workers), done in runs.items():
            results.append(
                {
                    "scenario": scenario,
                    "store": store,
                    "workers": workers,
                    "rps": statistics.median(r["rps"] for r in done),
                    "p50_ms": statistics.median(r["p50_ms"] for r in done),
                    "non_2xx": sum(r["non_2xx"] for r in done),
                    "runs": done,
                }
            )
    for row in results:
        print(
            f"median: {row['scenario']:4} {row['store']:6} {row['workers']} worker(s): "
            f"{row['rps']:8.0f} req/s  p50 {row['p50_ms']:.1f} ms"
        )
    for scenario in ("get", "post"):
        by = {(r["store"], r["workers"]): r["rps"] for r in results if r["scenario"] == scenario}
        two, one, memory = by[("sqlite", 2)], by[("sqlite", 1)], by[("memory", 1)]
        print(
            f"{scenario}: sqlite 2 workers / 1 worker = {two / one:.2f}x; "
            f"sqlite 1 / memory 1 = {one / memory:.2f}x"
        )
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"workers-{dt.datetime.now(dt.UTC):%Y-%m-%d}.json"
    out.write_text(
        json.dumps(
            {
                "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "cpus": os.cpu_count(),
                "duration_s": opts.duration,
                "connections": opts.connections,
                "results": results,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"results: {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
