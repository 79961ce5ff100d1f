"""Zapini tag creates under wrk while the tenant grows: does the create rate hold from 0 to 50k
tags? One `tagfake serve` process (one worker, memory store, validation `report`), wrk run in
back-to-back segments of `--segment` seconds, each creating tags with unique names, until the
tenant holds `--until` tags.

    .venv/bin/python bench/create_segments.py                     # 0 → 50k, 3 s segments
    .venv/bin/python bench/create_segments.py --until 10000 --segment 2 --no-write
    .venv/bin/python bench/create_segments.py --pinned --segment 1   # per core: server, wrk apart

Per segment: the tags in the tenant when it started, req/s, the server's CPU seconds (so the
rate per server CPU-second, which a busy machine disturbs less than req/s), wrk's latency
percentiles and its non-2xx count (any answer but 201 counts). Results: a table on stdout and
bench/results/create-segments-<UTC date>.json + .md. Needs wrk (`apt-get install wrk`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / "bench" / "results"
TOKEN = "1|acmeUserToken7Qv2Lk9pXw3Rt5Ny8Bd4Hs6Jm1Fc0"

LUA = """
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local counter = 0
local prefix = ""
function init(args)
  prefix = args[1] .. "-" .. tostring(tid)
end
request = function()
  counter = counter + 1
  local body = '{"name":"seg-' .. prefix .. '-' .. counter .. '","color":"#12ab34"}'
  return wrk.format("POST", nil, {
    ["Authorization"] = "Bearer %(token)s",
    ["Content-Type"] = "application/json",
  }, body)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%%.0f,"duration_us":%%.0f,"non_2xx":%%.0f,' ..
    '"socket_errors":%%.0f,"p50_us":%%.0f,"p90_us":%%.0f,"p99_us":%%.0f}\\n',
    summary.requests, summary.duration, e.status,
    e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99)))
end
"""


def on_cpus(cpus: frozenset[int] | None) -> Any:
    """A preexec_fn pinning the child to `cpus` (None: left where it is)."""
    return None if cpus is None else (lambda: os.sched_setaffinity(0, cpus))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def tag_count(base: str) -> int:
    request = urllib.request.Request(
        f"{base}/__admin/state/zapini/acme", headers={"Accept": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as answer:
        return len(json.loads(answer.read())["tags"])


def wait_ready(base: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("tagfake serve exited at start")
        try:
            with urllib.request.urlopen(f"{base}/__admin/health", timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("tagfake serve did not answer within 30 s")


def run(args: argparse.Namespace) -> dict[str, Any]:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk")
    work = Path(tempfile.mkdtemp(prefix="tagfake-segments-"))
    script = work / "create.lua"
    script.write_text(LUA % {"token": TOKEN})
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    serve = [str(Path(sys.executable).parent / "tagfake"), "serve", "--port", str(port)]
    server_cpus = load_cpus = None
    if args.pinned:
        server_core, load_core, *_ = sorted(os.sched_getaffinity(0))
        server_cpus, load_cpus = frozenset({server_core}), frozenset({load_core})
    with open(work / "serve.log", "wb") as log:
        proc = subprocess.Popen(
            serve,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=on_cpus(server_cpus),  # noqa: PLW1509 (the bench starts no threads)
        )
    segments: list[dict[str, Any]] = []
    try:
        wait_ready(base, proc)
        tags = tag_count(base)
        seg = 0
        while tags < args.until and seg < args.max_segments:
            cpu0 = cpu_seconds(proc.pid)
            argv = [
                wrk, f"-t{args.threads}", f"-c{args.connections}", f"-d{args.segment}s",
                "--timeout", "5s", "-s", str(script), f"{base}/zapini/api/v1/tags", "--",
                str(seg),
            ]  # fmt: skip
            out = subprocess.run(
                argv,
                capture_output=True,
                text=True,
                check=False,
                timeout=args.segment + 60,
                preexec_fn=on_cpus(load_cpus),
            ).stdout
            line = next((x for x in out.splitlines() if x.startswith("WRKJSON ")), None)
            if line is None:
                raise SystemExit(f"no result from wrk:\n{out}")
            data = json.loads(line[len("WRKJSON ") :])
            cpu = cpu_seconds(proc.pid) - cpu0
            seconds = data["duration_us"] / 1e6
            segments.append(
                {
                    "tags_at_start": tags,
                    "requests": int(data["requests"]),
                    "req_per_s": round(data["requests"] / seconds, 1),
                    "server_cpu_s": round(cpu, 2),
                    "req_per_server_cpu_s": round(data["requests"] / cpu, 1) if cpu else None,
                    "non_2xx": int(data["non_2xx"]),
                    "socket_errors": int(data["socket_errors"]),
                    "p50_ms": data["p50_us"] / 1000,
                    "p90_ms": data["p90_us"] / 1000,
                    "p99_ms": data["p99_us"] / 1000,
                    "rss_mib": round(rss_mib(proc.pid), 1),
                }
            )
            tags += int(data["requests"]) - int(data["non_2xx"])
            print(f"segment {seg}: {segments[-1]}", file=sys.stderr, flush=True)
            seg += 1
        counted = tag_count(base)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return {
        "taken_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "load_before": " ".join(f"{x:.1f}" for x in os.getloadavg()),
        "wrk": f"-t{args.threads} -c{args.connections}, {args.segment} s per segment",
        "pinned": (
            f"server on core {sorted(server_cpus)[0]}, wrk on core {sorted(load_cpus)[0]}"
            if server_cpus and load_cpus
            else None
        ),
        "tags_at_end": counted,
        "tags_expected": tags,
        "segments": segments,
    }


def render(doc: dict[str, Any]) -> str:
    lines = [
        f"Zapini creates under wrk ({doc['wrk']}), one `tagfake serve` worker on the memory "
        f"store{'; ' + doc['pinned'] if doc.get('pinned') else ''}, "
        f"{doc['taken_at']} on {doc['machine']}, load average {doc['load_before']} "
        f"before the run. Tags at the end: {doc['tags_at_end']:,} (201s counted: "
        f"{doc['tags_expected']:,}).",
        "",
        "| tags at start | req/s | req per server CPU-s | p50 / p90 / p99 (ms) | non-2xx "
        "| RSS (MiB) |",
        "|---|---|---|---|---|---|",
    ]
    for s in doc["segments"]:
        lines.append(
            f"| {s['tags_at_start']:,} | {s['req_per_s']:,.0f} | "
            f"{s['req_per_server_cpu_s'] or 0:,.0f} | {s['p50_ms']:.1f} / {s['p90_ms']:.1f} / "
            f"{s['p99_ms']:.1f} | {s['non_2xx']} | {s['rss_mib']:.0f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--until", type=int, default=50_000, help="stop at this many tags (50000)")
    p.add_argument("--segment", type=int, default=3, help="seconds per wrk run (3)")
    p.add_argument("--max-segments", type=int, default=200)
    p.add_argument("--threads", type=int, default=None, help="wrk threads (2; --pinned: 1)")
    p.add_argument(
        "--pinned", action="store_true", help="server on one core, wrk on another: per core"
    )
    p.add_argument("--connections", type=int, default=32, help="wrk connections (32)")
    p.add_argument("--no-write", action="store_true")
    args = p.parse_args(argv)
    if args.threads is None:
        args.threads = 1 if args.pinned else 2
    if args.pinned and len(os.sched_getaffinity(0)) < 2:
        p.error("--pinned needs two cores")
    doc = run(args)
    text = render(doc)
    print(text)
    if not args.no_write:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        stem = RESULTS_DIR / f"create-segments-{dt.datetime.now(dt.UTC):%Y-%m-%d}"
        stem.with_suffix(".json").write_text(json.dumps(doc, indent=2) + "\n")
        stem.with_suffix(".md").write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
