"""Instructions per request, counted by valgrind: a measure the VM's swings in speed cannot move.

    .venv/bin/python -m bench.instructions              # get,put,create: tagfake, bare uvicorn
    .venv/bin/python -m bench.instructions --scenarios put --window 20

Each target runs under `valgrind --tool=callgrind` with counting off; after `--warmup` seconds of
wrk load (the journal full, the caches warm) counting is switched on for `--window` seconds of
load, then off, and the user-space instructions the server executed in that window are divided
by the requests wrk completed in it. The kernel's part of a request (system calls, TCP) is not
counted, and a few requests in flight at each edge make the figure about 1 % uncertain; run
twice, the same source gives figures within about 1 % of each other. The share of the limit
here is the bare app's instructions over tagfake's (the bare app's own requests, in the same
run): how much of tagfake's work the HTTP server alone does. Results: a table on stdout and
bench/results/instructions-<UTC date>.json + .md. Needs valgrind (`apt-get install valgrind`)
and wrk.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.machine import git_revision, machine
from bench.options import add_load_options, listed
from bench.procs import Server, free_port, request, spawn, stop
from bench.report import write_results
from bench.scenarios import SCENARIOS, Scenario
from bench.targets import BASELINE, TARGETS, Workdir, capture_canned, command, target_env
from bench.wrk import run_wrk, wrk_script

#: A server under valgrind starts some fifty times slower than without.
STARTUP_LIMIT_S = 300.0


def _valgrind_argv(argv: list[str], out: Path) -> list[str]:
    return [
        "valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
        *argv,
    ]  # fmt: skip


def _wait_ready(server: Server, scenario: Scenario) -> None:
    deadline = time.monotonic() + STARTUP_LIMIT_S
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(f"exited with {server.proc.returncode}; see {server.log}")
        try:
            if request(server.port, "GET", scenario.probe_path, scenario.auth).status == 200:
                return
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"no 200 within {STARTUP_LIMIT_S:.0f} s; see {server.log}")


def _instrument(pid: int, what: str) -> None:
    subprocess.run(
        ["callgrind_control", what, str(pid)], check=True, capture_output=True, timeout=60
    )


def counted_instructions(out: Path) -> int:
    """The instructions of every dump callgrind wrote for `out` (its `totals:` lines)."""
    total = 0
    for part in sorted(out.parent.glob(out.name + "*")):
        for line in part.read_text(errors="replace").splitlines():
            if line.startswith("totals:"):
                total += int(line.split()[1])
    return total


def per_request(
    args: argparse.Namespace, wrk: str, work: Workdir, scenario: Scenario, name: str
) -> dict[str, Any]:
    target = TARGETS[name]
    out = work.root / f"{name}-{scenario.key}.callgrind"
    port = free_port()
    argv = _valgrind_argv(command(target, scenario, port, work), out)
    log = work.root / f"{name}-{scenario.key}.log"
    server = spawn(argv, log, port, work.root, None, target_env(target, work))
    try:
        _wait_ready(server, scenario)
        url = f"http://127.0.0.1:{port}{scenario.path}"
        run_wrk(wrk, url, wrk_script(scenario, work), args.warmup, args.connections, 1)
        _instrument(server.proc.pid, "--instr=on")
        load = run_wrk(wrk, url, wrk_script(scenario, work), args.window, args.connections, 1)
        _instrument(server.proc.pid, "--instr=off")
        _instrument(server.proc.pid, "--dump")
        instructions = counted_instructions(out)
    finally:
        stop(server)
    if load.requests == 0 or instructions == 0:
        raise RuntimeError(f"{name}: {load.requests} requests, {instructions} instructions")
    return {
        "label": target.label,
        "requests": load.requests,
        "errors": load.errors + load.non_2xx,
        "instructions": instructions,
        "per_request": instructions / load.requests,
    }


def measure(args: argparse.Namespace, wrk: str, work: Workdir) -> list[dict[str, Any]]:
    results = []
    for key in args.scenarios:
        scenario = SCENARIOS[key]
        targets = {name: per_request(args, wrk, work, scenario, name) for name in args.targets}
        base = targets[BASELINE]["per_request"]
        for entry in targets.values():
            entry["share_of_tagfake"] = entry["per_request"] / base
        results.append(
            {"scenario": key, "request": f"{scenario.method} {scenario.path}", "targets": targets}
        )
        print(render_one(results[-1]), flush=True)
    return results


def render_one(s: dict[str, Any]) -> str:
    lines = [
        f"### {s['request']}",
        "",
        "| target | instructions per request | of tagfake's | requests counted | errors |",
        "|---|---|---|---|---|",
    ]
    for t in s["targets"].values():
        lines.append(
            f"| {t['label']} | {t['per_request']:,.0f} | {t['share_of_tagfake']:.0%} "
            f"| {t['requests']:,} | {t['errors']} |"
        )
    return "\n".join(lines) + "\n"


def render(doc: dict[str, Any]) -> str:
    head = (
        f"Instructions per request under callgrind ({doc['window_s']} s counted after "
        f"{doc['warmup_s']} s of load, {doc['connections']} connections), {doc['taken_at']}, "
        f"git {doc['git']}.\n"
    )
    return head + "\n" + "\n".join(render_one(s) for s in doc["scenarios"])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_load_options(p)
    p.add_argument("--warmup", type=int, default=8, help="seconds of load before counting (8)")
    p.add_argument("--window", type=int, default=15, help="seconds of load counted (15)")
    args = p.parse_args(argv)
    args.scenarios = listed(args.scenarios)
    args.targets = [BASELINE, *listed(args.against)]
    unknown = [s for s in args.scenarios if s not in SCENARIOS]
    unknown += [t for t in args.targets if t not in TARGETS]
    if unknown:
        p.error(f"unknown: {', '.join(unknown)}")
    wrk = shutil.which("wrk")
    missing = [tool for tool in ("valgrind", "callgrind_control") if shutil.which(tool) is None]
    if wrk is None or missing:
        p.error("needs wrk and valgrind: apt-get install wrk valgrind")
    with tempfile.TemporaryDirectory(prefix="tagfake-instructions-") as tmp:
        work = Workdir(Path(tmp))
        capture_canned(work)  # the bare app answers tagfake's own bytes
        scenarios = measure(args, wrk, work)
    now = dt.datetime.now(dt.UTC)
    doc = {
        "taken_at": now.strftime("%Y-%m-%d %H:%M UTC"),
        "git": git_revision(),
        "machine": machine(),
        "warmup_s": args.warmup,
        "window_s": args.window,
        "connections": args.connections,
        "scenarios": scenarios,
    }
    if not args.no_write:
        write_results(f"instructions-{now:%Y-%m-%d}", doc, render(doc))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
