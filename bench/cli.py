"""`python -m bench` (and `make bench`): parse the options, check the tools, measure, report."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench import ROOT
from bench.machine import git_revision, machine, source_fingerprint, versions
from bench.measure import Options, measure_all
from bench.peers import NPM_INSTALL, PEERS
from bench.procs import IDLE_SHARE, WARMUP_S, wait_for_idle
from bench.report import markdown, write_results
from bench.scenarios import SCENARIOS
from bench.targets import BASELINE, TARGETS, Tools, Workdir, capture_canned, check_tools


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="bench/run.py",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--duration", type=int, default=10, help="seconds of load per scenario")
    p.add_argument("--quick", action="store_true", help="2 s per scenario, one startup sample")
    p.add_argument("--connections", type=int, default=32)
    p.add_argument(
        "--warmup",
        type=int,
        default=WARMUP_S,
        help=f"seconds of load before the measured load (default {WARMUP_S}); the JVMs' JIT "
        "needs longer on one core",
    )
    p.add_argument("--threads", type=int, default=None, help="wrk threads (2; --pinned: 1)")
    p.add_argument(
        "--pinned",
        action="store_true",
        help="each server on one core, wrk (and the bench) on another: req/s per core",
    )
    p.add_argument(
        "--targets",
        default=",".join(TARGETS),
        help=f"comma-separated, from {','.join(TARGETS)} (default: all)",
    )
    p.add_argument(
        "--scenarios", default=",".join(SCENARIOS), help="comma-separated: get,put,create (default)"
    )
    p.add_argument(
        "--startup-runs",
        type=int,
        default=3,
        help="extra spawns that only time start-up (default 3; --quick: 0)",
    )
    p.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="rounds over all targets; req/s is the median of the rounds (default 1)",
    )
    p.add_argument(
        "--idle-wait",
        type=float,
        default=60.0,
        help="before each spawn, wait up to this many seconds for the rest of the machine to "
        f"use under {IDLE_SHARE * 100:.0f}%% of the CPU (default 60; 0: don't; --quick: 0)",
    )
    p.add_argument(
        "--noisy-retries",
        type=int,
        default=2,
        help="measure again (at most this often) when other processes took more than "
        f"{IDLE_SHARE * 100:.0f}%% of the CPU during a measurement; the quietest attempt is kept "
        "(default 2; --quick: 0)",
    )
    p.add_argument("--check", action="store_true", help="only report which tools are there")
    p.add_argument(
        "--render", metavar="JSON", help="print the Markdown report of an earlier results file"
    )
    p.add_argument("--install-peers", action="store_true", help="run the pinned npm install first")
    p.add_argument("--no-write", action="store_true", help="do not write bench/results/")
    args = p.parse_args(argv)
    args.targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    args.scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    bad = [t for t in args.targets if t not in TARGETS]
    bad += [s for s in args.scenarios if s not in SCENARIOS]
    if bad or not args.targets or not args.scenarios:
        p.error(f"unknown target or scenario: {bad}")
    if args.quick:
        args.duration = 2
        args.startup_runs = 0
        args.idle_wait = 0.0
        args.noisy_retries = 0
    if args.threads is None:
        args.threads = 1 if args.pinned else 2
    if args.pinned and len(os.sched_getaffinity(0)) < 2:
        p.error("--pinned needs two cores")
    if args.connections < args.threads or args.duration < 1 or args.repeat < 1:
        p.error("need --duration >= 1, --repeat >= 1 and --connections >= --threads")
    return args


def install_peers() -> int:
    print("+ " + " ".join(NPM_INSTALL), flush=True)
    return subprocess.run(NPM_INSTALL, cwd=ROOT, check=False).returncode


def _terminated(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through `running`, which stops the server


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminated)
    if args.render:
        print(markdown(json.loads(Path(args.render).read_text())), end="")
        return 0
    if args.install_peers and install_peers() != 0:
        print("npm install failed", file=sys.stderr)
        return 1
    tools = check_tools(args.targets)
    for note in tools.notes:
        print(f"note: {note}")
    for name, why in tools.missing.items():
        print(f"missing for {name}: {why}")
    if args.check:
        ready = [t for t in args.targets if t not in tools.missing]
        print(f"ready: {', '.join(ready) or 'nothing'}; load generator: {tools.wrk or 'httpx'}")
        return 1 if tools.missing or tools.wrk is None else 0
    targets = [t for t in args.targets if t not in tools.missing]
    if not targets:
        print("nothing to measure", file=sys.stderr)
        return 3
    opts = Options(
        warmup=args.warmup,
        duration=args.duration,
        connections=args.connections,
        threads=args.threads,
        startup_runs=args.startup_runs,
        wrk=tools.wrk,
        repeat=args.repeat,
        idle_wait=args.idle_wait,
        noisy_retries=args.noisy_retries,
    )
    return run(args, targets, tools, opts)


def run(args: argparse.Namespace, targets: list[str], tools: Tools, opts: Options) -> int:
    started = dt.datetime.now(dt.UTC)
    scenarios = [SCENARIOS[s] for s in args.scenarios]
    not_measured = dict(tools.missing)
    notes = list(tools.notes)
    failed = False
    versions_at_start = versions(targets, tools.wrk)
    busy = wait_for_idle(0.0)
    if busy > IDLE_SHARE:
        notes.append(
            f"the machine was not idle at the start: other work used {busy:.0%} of its CPU"
        )
    with tempfile.TemporaryDirectory(prefix="tagfake-bench-") as tmp:
        work = Workdir(Path(tmp))
        if args.pinned:
            server_core, load_core, *_ = sorted(os.sched_getaffinity(0))
            work.server_cpus, work.load_cpus = frozenset({server_core}), frozenset({load_core})
            os.sched_setaffinity(0, work.load_cpus)
        replaying = {"wiremock", "mockserver", "bare-uvicorn", "bare-granian"}
        stubbed = [t for t in targets if TARGETS[t].kind in replaying]
        if stubbed:
            try:
                capture_canned(work)
            except RuntimeError as exc:
                for t in stubbed:
                    not_measured[t] = f"could not record tagfake's answers for its stubs: {exc}"
                targets = [t for t in targets if t not in stubbed]
                failed = True
        print(f"measuring {', '.join(targets)}: {args.duration} s per scenario", flush=True)
        measured, broken = measure_all(targets, scenarios, work, opts)
        not_measured.update(broken)
        failed = failed or bool(broken)
    noisy = [
        (name, key, r["other_cpu_share_max"])
        for name, entry in measured.items()
        for key, r in entry["scenarios"].items()
        if r["other_cpu_share_max"] > IDLE_SHARE
    ]
    revision, sources = git_revision(), source_fingerprint()
    if sources not in versions_at_start["tagfake"] or revision not in versions_at_start["tagfake"]:
        notes.append(
            f"tagfake's sources changed during the run (now git {revision}, sources {sources}): "
            "rounds may have measured different code"
        )
    if noisy:
        worst = max(share for _, _, share in noisy)
        notes.append(
            f"other processes on the machine used up to {worst:.0%} of its CPU during "
            f"{len(noisy)} measurement(s) ({', '.join(f'{n} {k}' for n, k, _ in noisy)}): "
            "those figures are lower than on a quiet machine"
        )
    report: dict[str, Any] = {
        "started_utc": started.strftime("%Y-%m-%d %H:%M UTC"),
        "finished_utc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "settings": {
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "connections": args.connections,
            "threads": args.threads,
            "pinned": (
                {
                    "server_cpus": sorted(work.server_cpus or ()),
                    "load_cpus": sorted(work.load_cpus or ()),
                }
                if args.pinned
                else None
            ),
            "repeat": args.repeat,
            "startup_samples": len(scenarios) * args.repeat + args.startup_runs,
            "idle_wait_s": args.idle_wait,
            "noisy_retries": args.noisy_retries,
            "idle_share": IDLE_SHARE,
            "load_generator": "wrk" if tools.wrk else "httpx fallback (NOT comparable with wrk)",
            "scenarios": {s.key: asdict(s) for s in scenarios},
            "peers_pinned": {k: asdict(v) for k, v in PEERS.items()},
            "baseline": BASELINE,
        },
        "machine": machine(),
        "versions": versions_at_start,
        "targets": measured,
        "not_measured": not_measured,
        "notes": notes,
    }
    text = markdown(report)
    print()
    print(text)
    if not args.no_write:
        write_results(started.strftime("%Y-%m-%d") + ("-quick" if args.quick else ""), report, text)
    if not measured:
        return 3
    return 1 if failed else 0
