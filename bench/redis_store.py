"""The Redis store: what one request costs at 100 and 100k tags (flat, like the other stores),
and the throughput of 1 and 2 tagfake replicas on one Redis beside the memory store.

    .venv/bin/python bench/redis_store.py                      # both parts
    .venv/bin/python bench/redis_store.py --part costs --sizes 100,100000 --repeat 15
    .venv/bin/python bench/redis_store.py --part throughput --duration 10

Costs: for each size a fresh redis-server (Debian's, no persistence) and a fresh child process
that runs bench/store_costs.py's measurement on `--store redis://...`: the app built, `size`
tags seeded into Zapini's and Nexor's acme through the store, each operation sent `--repeat`
times through the ASGI app (the whole pipeline, no socket); p50/p90 wall and CPU per request.

Throughput: wrk (`apt-get install wrk`) for `--duration` s on `GET /zapini/api/v1/tags` and on
`POST` creates, against one `tagfake serve` on the memory store, one on Redis, and two on one
Redis (two wrk processes at once, one per replica, the connections split; their req/s added).
wrk and Redis run on the same machine and take CPU from the servers: compare the rows of one
run, not absolute capacities. Results on stdout and in bench/results/redis-store-<date>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT))

import store_costs  # noqa: E402  (a sibling script, not a package)
from tests.redis_server import RedisServer  # noqa: E402

from bench.procs import Server, serve_zapini, stop  # noqa: E402

TOKEN = "Bearer sk_acme_4f9d2c7b1e8a6035d2b9c4e7f1a8d3b6"
POST_SCRIPT = """
counter = 0
request = function()
  counter = counter + 1
  local body = string.format('{"name":"wrk RUN %d","color":"#102030"}', counter)
  return wrk.format("POST", "/zapini/api/v1/tags", {
    ["Authorization"] = "TOKEN", ["Content-Type"] = "application/json"}, body)
end
"""


# -- costs ------------------------------------------------------------------------------------
def child(url: str, size: int, repeat: int) -> None:
    """In a fresh process: store_costs' measurement with the store at `url`, and how many
    Redis calls (commands, pipelines, scripts) each request made."""
    import redis

    store_costs.engines = lambda: {"redis": lambda folder: url}  # type: ignore[assignment,misc,return-value]
    calls = [0]
    command, pipeline = redis.Redis.execute_command, redis.client.Pipeline.execute

    def counted_command(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return command(self, *args, **kwargs)

    def counted_pipeline(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return pipeline(self, *args, **kwargs)

    redis.Redis.execute_command = counted_command  # type: ignore[method-assign]
    redis.client.Pipeline.execute = counted_pipeline  # type: ignore[method-assign]
    per_request: dict[str, list[int]] = {}
    request = store_costs.Asgi.request

    async def counting(self: Any, method: str, path: str, *args: Any) -> tuple[int, bytes]:
        before = calls[0]
        answer = await request(self, method, path, *args)
        op = f"{method} {path.split('/')[1]} {path.rsplit('/', maxsplit=1)[-1]}"
        per_request.setdefault(op, []).append(calls[0] - before)
        return answer

    store_costs.Asgi.request = counting  # type: ignore[method-assign]
    result = asyncio.run(store_costs.measure("redis", size, repeat))
    result["redis_calls"] = {op: sorted(set(n)) for op, n in per_request.items()}
    print(json.dumps(result))


def costs(sizes: list[int], repeat: int) -> list[dict[str, Any]]:
    runs = []
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            server = RedisServer(Path(tmp))
            try:
                cmd = [sys.executable, __file__, "--child", server.url, str(size), str(repeat)]
                done = subprocess.run(
                    cmd, capture_output=True, text=True, check=False, timeout=3600
                )
            finally:
                server.stop()
        if done.returncode != 0:
            raise SystemExit(f"redis at {size}: the child failed\n{done.stderr[-3000:]}")
        run = json.loads(done.stdout.strip().splitlines()[-1])
        runs.append(run)
        for op, got in run["operations"].items():
            print(
                f"redis {size:>7,} tags  {op:18} wall p50 {got['p50_ms']:7.2f} ms "
                f"p90 {got['p90_ms']:7.2f}  CPU p50 {got['cpu_p50_ms']:6.2f} ms",
                flush=True,
            )
        print(f"redis {size:>7,} tags  seeded in {run['seed_s']} s", flush=True)
        for op, seen in run["redis_calls"].items():
            print(f"redis {size:>7,} tags  {op:40} Redis calls per request {seen}", flush=True)
    return runs


# -- throughput -------------------------------------------------------------------------------
_runs = iter(range(10**9))


def wrk(url: str, seconds: int, connections: int, post: bool) -> dict[str, float]:
    argv = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    argv += ["-H", f"Authorization: {TOKEN}"]
    if post:  # names of their own for every run, so no create is refused as a duplicate
        script = Path(tempfile.mkdtemp()) / "post.lua"
        script.write_text(POST_SCRIPT.replace("TOKEN", TOKEN).replace("RUN", str(next(_runs))))
        argv += ["-s", str(script)]
    out = subprocess.run(
        [*argv, f"{url}/zapini/api/v1/tags"], capture_output=True, text=True, check=True
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)\b", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    return {
        "rps": rps,
        "non_2xx": float(errors.group(1)) if errors else 0.0,
        "p50_ms": float(p50.group(1)) * scale[p50.group(2)] if p50 else float("nan"),
    }


def throughput(seconds: int, connections: int) -> list[dict[str, Any]]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for scenario, lua in (("get", False), ("post", True)):
            for store, replicas in (("memory", 1), ("redis", 1), ("redis", 2)):
                folder = Path(tempfile.mkdtemp(dir=tmp))
                server = RedisServer(folder) if store == "redis" else None
                procs: list[Server] = []
                try:
                    urls = []
                    for n in range(replicas):
                        store_url = server.url if server else "memory"
                        log = folder / f"serve-{n}.log"
                        procs.append(serve_zapini(["--store", store_url], log, TOKEN))
                        urls.append(f"http://127.0.0.1:{procs[-1].port}")
                    share = max(1, connections // replicas)
                    with ThreadPoolExecutor(len(urls)) as pool:
                        warm = [pool.submit(wrk, u, 1, share, lua) for u in urls]
                        [f.result() for f in warm]
                        timed = [pool.submit(wrk, u, seconds, share, lua) for u in urls]
                        runs = [f.result() for f in timed]
                finally:
                    for proc in procs:
                        stop(proc)
                    if server is not None:
                        server.stop()
                row = {
                    "scenario": scenario,
                    "store": store,
                    "replicas": replicas,
                    "rps": round(sum(r["rps"] for r in runs), 1),
                    "p50_ms": round(max(r["p50_ms"] for r in runs), 2),
                    "non_2xx": sum(r["non_2xx"] for r in runs),
                    "runs": runs,
                }
                rows.append(row)
                print(
                    f"{scenario:4} {store:6} {replicas} replica(s): {row['rps']:8.0f} req/s  "
                    f"p50 {row['p50_ms']:.1f} ms  non-2xx {row['non_2xx']:.0f}",
                    flush=True,
                )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=["costs", "throughput", "both"], default="both")
    parser.add_argument("--sizes", default="100,100000")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--child", nargs=3, metavar=("URL", "SIZE", "REPEAT"), help=argparse.SUPPRESS
    )
    opts = parser.parse_args()
    if opts.child:
        child(opts.child[0], int(opts.child[1]), int(opts.child[2]))
        return 0
    if opts.part != "costs" and shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk (make bench-redis does)")
    doc: dict[str, Any] = {
        "taken_at": f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "python": platform.python_version(),
        "redis": subprocess.run(
            ["redis-server", "--version"], capture_output=True, text=True, check=False
        ).stdout.strip(),
        "load_before": " ".join(f"{x:.1f}" for x in os.getloadavg()),
    }
    if opts.part in ("costs", "both"):
        sizes = [int(s) for s in opts.sizes.split(",")]
        doc |= {"sizes": sizes, "repeat": opts.repeat, "costs": costs(sizes, opts.repeat)}
        first, last = (
            next(r for r in doc["costs"] if r["size"] == s) for s in (sizes[0], sizes[-1])
        )
        for op in store_costs.OPERATIONS:
            a, b = first["operations"][op], last["operations"][op]
            wall = b["p50_ms"] / a["p50_ms"]
            cpu = b["cpu_p50_ms"] / max(a["cpu_p50_ms"], 1e-3)
            print(f"{op:18} p50 at {sizes[-1]:,} / at {sizes[0]:,}: wall {wall:.2f}  CPU {cpu:.2f}")
    if opts.part in ("throughput", "both"):
        doc |= {"duration_s": opts.duration, "connections": opts.connections}
        doc["throughput"] = throughput(opts.duration, opts.connections)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"redis-store-{dt.datetime.now(dt.UTC):%Y-%m-%d}.json"
    out.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"results: {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
