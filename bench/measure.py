"""One measurement per target and scenario, retried when the machine was busy; rounds."""

from __future__ import annotations

import os
import statistics
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bench.procs import (
    IDLE_SHARE,
    machine_busy_s,
    own_cpu_s,
    request,
    tree_cpu_s,
    tree_kib,
    wait_for_idle,
)
from bench.scenarios import Scenario
from bench.targets import TARGETS, Target, Workdir, running, server_paths
from bench.wrk import Load, run_httpx, run_wrk, wrk_script


@dataclass
class Options:
    warmup: int
    duration: int
    connections: int
    threads: int
    startup_runs: int
    wrk: str | None
    repeat: int
    idle_wait: float
    noisy_retries: int


def load(opts: Options, url: str, scenario: Scenario, work: Workdir, seconds: int) -> Load:
    if opts.wrk is not None:
        script = wrk_script(scenario, work)
        return run_wrk(
            opts.wrk, url, script, seconds, opts.connections, opts.threads, work.load_cpus
        )
    return run_httpx(url, scenario, seconds, opts.connections)


def measure_scenario(
    target: Target, scenario: Scenario, work: Workdir, opts: Options, tag: str
) -> dict[str, Any]:
    busy_before = wait_for_idle(opts.idle_wait) if opts.idle_wait > 0 else None
    cores = os.cpu_count() or 1
    with running(target, scenario, work, tag) as (server, startup):
        pid = server.proc.pid
        idle_kib = tree_kib(pid, "VmRSS")
        path, _ = server_paths(target, scenario)
        check = request(
            server.port, scenario.method, path, scenario.headers(), scenario.sample_body
        )
        url = f"http://127.0.0.1:{server.port}{path}"
        load(opts, url, scenario, work, opts.warmup)
        cpu0, own0, busy0 = tree_cpu_s(pid), own_cpu_s(), machine_busy_s()
        result = load(opts, url, scenario, work, opts.duration)
        cpu, own = tree_cpu_s(pid) - cpu0, own_cpu_s() - own0
        busy = machine_busy_s() - busy0
        filled = fill(target, scenario, work, opts, url, result) if scenario.fill else None
        peak_kib = tree_kib(pid, "VmHWM")
        alive = server.proc.poll() is None
    other = max(0.0, busy - cpu - own)
    return {
        "scenario": scenario.key,
        "method": scenario.method,
        "path": path,
        "startup_s": startup,
        "check_status": check.status,
        "check_body": check.body[:300],
        "requests": result.requests,
        "duration_s": result.duration_s,
        "rps": result.rps,
        "socket_errors": result.socket_errors,
        "errors": result.errors,
        "non_2xx": result.non_2xx,
        "latency_ms": result.latency_ms,
        "generator": result.generator,
        "server_cpu_s": cpu,
        "rps_per_cpu_s": result.requests / cpu if cpu > 0 else None,
        "loadgen_cpu_s": own,
        "other_cpu_s": other,
        "other_cpu_share": other / (result.duration_s * cores) if result.duration_s else 0.0,
        "busy_share_before_spawn": busy_before,
        "idle_rss_mib": idle_kib / 1024,
        "peak_rss_mib": peak_kib / 1024,
        "alive_after": alive,
        "server_log_bytes": server.log.stat().st_size if server.log.exists() else 0,
        "filled": filled,
    }


FILL_LIMIT_S = 240


def fill(
    target: Target, scenario: Scenario, work: Workdir, opts: Options, url: str, first: Load
) -> dict[str, Any] | None:
    """Create entities (at most FILL_LIMIT_S seconds of load) until scenario.fill exist, then
    measure again: the second window's req/s beside the first says whether a request's cost
    grows with the store. Stub servers keep nothing: only tagfake (on uvicorn) is filled."""
    if target.kind != "tagfake":
        return None
    created = first.requests - first.non_2xx
    spent = 0
    while created < scenario.fill and spent < FILL_LIMIT_S:
        step = load(opts, url, scenario, work, 5)
        created += step.requests - step.non_2xx
        spent += 5
    after = load(opts, url, scenario, work, opts.duration)
    return {
        "created_before": created,
        "rps": after.rps,
        "p99_ms": after.latency_ms["p99"],
        "non_2xx": after.non_2xx,
        "ratio_to_first": after.rps / first.rps if first.rps else None,
    }


def say(target: Target, r: dict[str, Any]) -> None:
    print(
        f"    {r['rps']:,.0f} req/s, first 200 after {r['startup_s']:.2f} s, "
        f"peak RSS {r['peak_rss_mib']:.0f} MiB, {r['errors']} socket errors, "
        f"{r['non_2xx']} non-2xx, check {r['check_status']}, "
        f"others used {r['other_cpu_share']:.0%} of the CPU",
        flush=True,
    )


def measure_quietly(
    target: Target, scenario: Scenario, work: Workdir, opts: Options, tag: str
) -> dict[str, Any]:
    """One measurement; while other processes took more than IDLE_SHARE of the CPU during it,
    measure again (at most opts.noisy_retries times) and keep the quietest attempt."""
    attempts: list[dict[str, Any]] = []
    for attempt in range(1 + opts.noisy_retries):
        r = measure_scenario(target, scenario, work, opts, f"{tag}a{attempt}")
        attempts.append(r)
        say(target, r)
        if r["other_cpu_share"] <= IDLE_SHARE:
            break
        if attempt < opts.noisy_retries:
            print("    (the machine was busy: measuring again)", flush=True)
    best = min(attempts, key=lambda r: float(r["other_cpu_share"]))
    best["discarded_attempts"] = [
        {"rps": r["rps"], "other_cpu_share": r["other_cpu_share"]}
        for r in attempts
        if r is not best
    ]
    return best


def aggregate(
    target: Target, runs: dict[str, list[dict[str, Any]]], extra_startups: list[float]
) -> dict[str, Any]:
    scenarios: dict[str, dict[str, Any]] = {}
    for key, rs in runs.items():
        per_cpu = [r["rps_per_cpu_s"] for r in rs if r["rps_per_cpu_s"]]
        scenarios[key] = {
            "method": rs[0]["method"],
            "path": rs[0]["path"],
            "rps": statistics.median(r["rps"] for r in rs),
            "rps_min": min(r["rps"] for r in rs),
            "rps_max": max(r["rps"] for r in rs),
            "p50_ms": statistics.median(r["latency_ms"]["p50"] for r in rs),
            "p99_ms": statistics.median(r["latency_ms"]["p99"] for r in rs),
            "server_cpu_s": statistics.median(r["server_cpu_s"] for r in rs),
            "rps_per_cpu_s": statistics.median(per_cpu) if per_cpu else None,
            "idle_rss_mib": statistics.median(r["idle_rss_mib"] for r in rs),
            "peak_rss_mib": max(r["peak_rss_mib"] for r in rs),
            "errors": sum(r["errors"] for r in rs),
            "non_2xx": sum(r["non_2xx"] for r in rs),
            "check_status": sorted({r["check_status"] for r in rs}),
            "other_cpu_share_max": max(r["other_cpu_share"] for r in rs),
            "samples": rs,
        }
    startups = [r["startup_s"] for rs in runs.values() for r in rs] + extra_startups
    return {
        "label": target.label,
        "scenarios": scenarios,
        "startup_samples_s": startups,
        "startup_s": statistics.median(startups),
        "peak_rss_mib": max(s["peak_rss_mib"] for s in scenarios.values()),
        "errors": sum(s["errors"] for s in scenarios.values()),
        "non_2xx": sum(s["non_2xx"] for s in scenarios.values()),
    }


def measure_all(
    targets: list[str], scenarios: Sequence[Scenario], work: Workdir, opts: Options
) -> tuple[dict[str, Any], dict[str, str]]:
    """Round-robin: each round measures every target once, so drifting noise from the rest
    of the machine is spread over all targets rather than landing on one."""
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {t: {} for t in targets}
    failed: dict[str, str] = {}
    for rnd in range(opts.repeat):
        for name in [t for t in targets if t not in failed]:
            target = TARGETS[name]
            try:
                for scenario in scenarios:
                    print(f"  [{rnd + 1}/{opts.repeat}] {name}: {scenario.title}", flush=True)
                    r = measure_quietly(target, scenario, work, opts, f"r{rnd}")
                    runs[name].setdefault(scenario.key, []).append(r)
            except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
                print(f"  {name} failed: {exc}", flush=True)
                failed[name] = f"failed during the run: {exc}"
    measured: dict[str, Any] = {}
    for name in [t for t in targets if t not in failed]:
        extra: list[float] = []
        try:
            for i in range(opts.startup_runs):
                if opts.idle_wait > 0:
                    wait_for_idle(opts.idle_wait)
                with running(TARGETS[name], scenarios[0], work, f"startup{i}") as (_, t):
                    extra.append(t)
        except RuntimeError as exc:
            failed[name] = f"failed during a start-up run: {exc}"
            continue
        measured[name] = aggregate(TARGETS[name], runs[name], extra)
        if extra:
            print(f"  {name}: start-up only: {', '.join(f'{x:.2f} s' for x in extra)}", flush=True)
    return measured, failed


# --------------------------------------------------------------------------- versions
