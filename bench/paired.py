"""tagfake's ratios to the bare-ASGI limit and to the peers from adjacent windows of load.

    .venv/bin/python -m bench.paired                      # get,put,create against bare uvicorn
    .venv/bin/python -m bench.paired --against bare-uvicorn,bare-granian --pairs 8 --window 2

The main bench measures each target on its own server, one after another, so a ratio compares
minutes apart; on a shared VM whose speed swings by a third within a minute that moves the ratio
more than a code change does. Here every server of a scenario runs at once, all on the first
core (only the one under load uses it), and wrk on the second loads them in turn, `--window`
seconds each, in rounds whose order alternates (tagfake first, then last): each round's ratio is
taken between windows seconds apart. Reported per scenario: each target's median req/s and the
median (and range) of the per-round ratios. Results: a table on stdout and
bench/results/paired-<UTC date>.json + .md.

Only the bare-ASGI apps can be paired: an idle JVM is not idle (its compiler and collector
threads ran on the shared core and slowed tagfake by a third in a trial), so WireMock and
MockServer are measured by the main bench, each alone.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import statistics
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.machine import git_revision, machine
from bench.options import add_load_options, listed
from bench.procs import machine_busy_s, own_cpu_s, tree_cpu_s
from bench.report import write_results
from bench.scenarios import SCENARIOS, Scenario
from bench.targets import (
    BASELINE,
    TARGETS,
    Workdir,
    capture_canned,
    check_tools,
    running,
    server_paths,
)
from bench.wrk import run_wrk, wrk_script


@dataclass
class Servers:
    """The running servers of one scenario, by target name."""

    urls: dict[str, str]
    pids: dict[str, int]


def window(
    args: argparse.Namespace, wrk: str, work: Workdir, scenario: Scenario, at: Servers, name: str,
    seconds: int,
) -> dict[str, Any]:  # fmt: skip
    script = wrk_script(scenario, work)  # new names for each run of a create
    servers0 = sum(tree_cpu_s(p) for p in at.pids.values())
    own0, busy0 = own_cpu_s(), machine_busy_s()
    load = run_wrk(wrk, at.urls[name], script, seconds, args.connections, 1, work.load_cpus)
    servers = sum(tree_cpu_s(p) for p in at.pids.values()) - servers0
    busy = machine_busy_s() - busy0
    return {
        "rps": load.rps,
        "errors": load.errors,
        "non_2xx": load.non_2xx,
        "p99_ms": load.latency_ms.get("p99"),
        # CPU used by neither the servers (the idle ones too) nor wrk and the bench.
        "others_cpu_s": max(0.0, busy - servers - (own_cpu_s() - own0)),
    }


def measure(args: argparse.Namespace, wrk: str, work: Workdir) -> list[dict[str, Any]]:
    results = []
    names = [BASELINE, *args.against]
    for key in args.scenarios:
        scenario = SCENARIOS[key]
        with contextlib.ExitStack() as stack:
            at = Servers({}, {})
            for name in names:
                server, _ = stack.enter_context(running(TARGETS[name], scenario, work, "paired"))
                path, _ = server_paths(TARGETS[name], scenario)
                at.urls[name] = f"http://127.0.0.1:{server.port}{path}"
                at.pids[name] = server.proc.pid
            for name in names:
                window(args, wrk, work, scenario, at, name, args.warmup)
            rounds = []
            for i in range(args.pairs):
                order = names if i % 2 == 0 else names[::-1]
                rounds.append(
                    {n: window(args, wrk, work, scenario, at, n, args.window) for n in order}
                )
        results.append(summarize(scenario, names, rounds))
        print(render_one(results[-1]), flush=True)
    return results


def summarize(scenario: Scenario, names: list[str], rounds: list[dict[str, Any]]) -> dict[str, Any]:
    base = names[0]
    targets = {}
    for name in names:
        rps = [r[name]["rps"] for r in rounds]
        entry: dict[str, Any] = {
            "label": TARGETS[name].label,
            "rps_median": statistics.median(rps),
            "rps": rps,
            "errors": sum(r[name]["errors"] + r[name]["non_2xx"] for r in rounds),
            "p99_ms_median": statistics.median(r[name]["p99_ms"] or 0.0 for r in rounds),
        }
        if name != base:
            ratios = [r[base]["rps"] / r[name]["rps"] for r in rounds if r[name]["rps"]]
            entry["ratio_median"] = statistics.median(ratios) if ratios else None
            entry["ratio_min"] = min(ratios, default=None)
            entry["ratio_max"] = max(ratios, default=None)
        targets[name] = entry
    others = [w["others_cpu_s"] for r in rounds for w in r.values()]
    return {
        "scenario": scenario.key,
        "request": f"{scenario.method} {scenario.path}",
        "rounds": rounds,
        "targets": targets,
        "others_cpu_s_max": max(others, default=0.0),
    }


def render_one(s: dict[str, Any]) -> str:
    lines = [
        f"### {s['request']}",
        "",
        "| target | req/s (median) | tagfake's ratio: median (min - max) | p99 ms | errors |",
        "|---|---|---|---|---|",
    ]
    for t in s["targets"].values():
        ratio = "—"
        if "ratio_median" in t and t["ratio_median"] is not None:
            ratio = f"{t['ratio_median']:.2f}x ({t['ratio_min']:.2f} - {t['ratio_max']:.2f})"
        lines.append(
            f"| {t['label']} | {t['rps_median']:,.0f} | {ratio} | {t['p99_ms_median']:.1f} "
            f"| {t['errors']} |"
        )
    return "\n".join(lines) + "\n"


def render(doc: dict[str, Any]) -> str:
    head = (
        f"Paired windows ({doc['pairs']} rounds of {doc['window_s']} s per target, "
        f"{doc['connections']} connections, servers on core {doc['server_core']}, wrk on core "
        f"{doc['load_core']}), {doc['taken_at']}, git {doc['git']}.\n"
    )
    return head + "\n" + "\n".join(render_one(s) for s in doc["scenarios"])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_load_options(p)
    p.add_argument("--pairs", type=int, default=6, help="rounds (6)")
    p.add_argument("--window", type=int, default=2, help="seconds of load per window (2)")
    p.add_argument("--warmup", type=int, default=3, help="seconds of load first, each (3)")
    args = p.parse_args(argv)
    args.scenarios = listed(args.scenarios)
    args.against = listed(args.against)
    bad = [s for s in args.scenarios if s not in SCENARIOS]
    bad += [t for t in args.against if not t.startswith("bare-") or t not in TARGETS]
    if bad or args.pairs < 1 or args.window < 1:
        p.error(f"unknown or unusable scenario or target: {bad}")
    if len(os.sched_getaffinity(0)) < 2:
        p.error("needs two cores: the servers on one, wrk on the other")
    tools = check_tools([BASELINE, *args.against])
    if tools.missing or tools.wrk is None:
        p.error(f"missing: {tools.missing or 'wrk'}")
    with tempfile.TemporaryDirectory(prefix="tagfake-paired-") as tmp:
        work = Workdir(Path(tmp))
        server_core, load_core, *_ = sorted(os.sched_getaffinity(0))
        work.server_cpus, work.load_cpus = frozenset({server_core}), frozenset({load_core})
        os.sched_setaffinity(0, work.load_cpus)
        capture_canned(work)
        scenarios = measure(args, tools.wrk, work)
    doc = {
        "taken_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "git": git_revision(),
        "machine": machine(),
        "pairs": args.pairs,
        "window_s": args.window,
        "connections": args.connections,
        "server_core": server_core,
        "load_core": load_core,
        "scenarios": scenarios,
    }
    text = render(doc)
    print(text)
    if not args.no_write:
        write_results(f"paired-{dt.datetime.now(dt.UTC):%Y-%m-%d}", doc, text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
