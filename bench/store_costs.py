"""What one request costs as the tenant grows: the store's promise that no request's cost grows
with the tenant's size (lists aside), measured through the whole HTTP app.

    .venv/bin/python bench/store_costs.py                       # memory store, 100 / 10k / 100k
    .venv/bin/python bench/store_costs.py --engines memory,sqlite
    .venv/bin/python bench/store_costs.py --sizes 100,1000 --repeat 31 --list-repeat 5
    .venv/bin/python bench/store_costs.py --engines memory --no-write

For each engine and size, a fresh child process builds the app (all four vendors, validation
`report`, the default), seeds `size` tags into Zapini's and Nexor's tenant `acme` (and a lead
per ten tags into Nexor's) straight through the store, taking the RSS before, between and
after, then sends each operation `--repeat` times (`--list-repeat` for the list) through the
app's ASGI interface: the whole pipeline (auth, validation of request and answer, journal,
JSON) without a socket, so the figures are the app's own cost. It reports each operation's
p50 and p90 wall time and p50 CPU time, and the process's RSS and its peak at the end.

Operations: a Zapini tag create, a Zapini conversation sync (5 tags, alternating between two
sets), a Nexor lead sync by email (5 names, alternating), a Nexor tag create, and Zapini
`GET /tags` (every tag, with its live `conversations_count`).

Results: a table on stdout, and bench/results/store-costs-<UTC date>.json + .md. The verdict
column is p50 at the largest size / p50 at the smallest (target: at most 1.3 for everything
but the list, which is linear in what it returns).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / "bench" / "results"

ZAPINI_TOKEN = "1|acmeUserToken7Qv2Lk9pXw3Rt5Ny8Bd4Hs6Jm1Fc0"
NEXOR_KEY = "nxr_live_your_api_key"
CONVERSATION = "550e8400-e29b-41d4-a716-446655440045"
LEAD_EMAIL = "bench-lead-0@example.com"
OPERATIONS = ("zapini create", "zapini sync", "nexor sync", "nexor create", "zapini GET /tags")
#: How many tags the syncs pick from: the first of the seeded ones.
SYNC_POOL = 10
CHUNK = 1000


def engines() -> dict[str, Callable[[Path], str]]:
    """Store engines by name: the store URL of each, given a fresh folder of its own."""
    return {
        "memory": lambda folder: "memory",
        "sqlite": lambda folder: f"sqlite:{folder / 'bench.db'}",
    }


# -- the child: one engine, one size ----------------------------------------------------------
def kib(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


class Asgi:
    """Requests straight into the ASGI app, as a server would hand them over."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def start(self) -> None:
        # connexion builds its middleware stack at lifespan start-up, as uvicorn runs it.
        messages = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
        started = asyncio.Event()
        self._stop = asyncio.Event()

        async def receive() -> dict[str, Any]:
            if len(messages) == 2:
                return messages.pop(0)
            await self._stop.wait()
            return messages.pop(0)

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "lifespan.startup.complete":
                started.set()

        self._lifespan = asyncio.create_task(self.app({"type": "lifespan"}, receive, send))
        await started.wait()

    async def stop(self) -> None:
        self._stop.set()
        await self._lifespan

    async def request(
        self, method: str, path: str, headers: dict[str, str], body: Any = None
    ) -> tuple[int, bytes]:
        raw = b"" if body is None else json.dumps(body).encode()
        pairs = [
            (b"host", b"127.0.0.1"),
            *((k.lower().encode(), v.encode()) for k, v in headers.items()),
        ]
        if body is not None:
            pairs += [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(raw)).encode()),
            ]
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": pairs,
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 80),
        }
        sent = False
        status = 0
        chunks: list[bytes] = []

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": raw, "more_body": False}
            await asyncio.sleep(3600)
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return status, b"".join(chunks)


def seed_zapini(runtime: Any, size: int) -> list[str]:
    """`size` tags in Zapini's acme, put through the store in transactions of a thousand
    (as a long run of requests leaves them); returns the tags the sync picks from."""
    from tagfake.clock import rfc3339

    now = rfc3339(runtime.clock.now())
    store = runtime.store
    for start in range(0, size, CHUNK):
        with store.transaction("zapini", "acme") as w:
            for i in range(start, min(size, start + CHUNK)):
                key = w.new_uuid()
                w.put_tag(
                    key,
                    {
                        "id": key,
                        "name": f"Seeded tag {i}",
                        "color": "#12ab34",
                        "created_at": now,
                        "updated_at": now,
                    },
                )
    with store.read("zapini", "acme") as r:
        keys: list[str] = r.tag_keys(SYNC_POOL + 4)[4:]  # after the fixture's four
    return keys


def seed_nexor(runtime: Any, size: int) -> list[str]:
    """`size` tags and a lead per ten tags in Nexor's acme; returns the names synced."""
    from tagfake.clock import rfc3339

    now = rfc3339(runtime.clock.now())
    store = runtime.store
    for start in range(0, size, CHUNK):
        with store.transaction("nexor", "acme") as w:
            for i in range(start, min(size, start + CHUNK)):
                key = w.new_uuid()
                w.put_tag(
                    key,
                    {
                        "id": key,
                        "name": f"Seeded tag {i}",
                        "slug": f"seeded-tag-{i}",
                        "description": None,
                        "created_at": now,
                        "updated_at": now,
                    },
                )
                if i % 10 == 0:
                    lead = w.new_uuid()
                    w.put_entity(
                        "leads",
                        lead,
                        {
                            "id": lead,
                            "first_name": f"Lead {i}",
                            "last_name": None,
                            "email": f"bench-lead-{i // 10}@example.com",
                            "phone": None,
                            "source": "api",
                            "company": None,
                            "title": None,
                            "metadata": {},
                            "created_at": now,
                            "updated_at": now,
                        },
                        [],
                    )
    return [f"Seeded tag {i}" for i in range(SYNC_POOL)]


async def measure(engine: str, size: int, repeat: int, list_repeat: int) -> dict[str, Any]:
    from tagfake.app import create_app
    from tagfake.runtime import Runtime
    from tagfake.settings import Settings

    folder = Path(tempfile.mkdtemp(prefix="tagfake-bench-"))
    settings = Settings(seed=1, store=engines()[engine](folder))
    runtime = Runtime.build(settings)
    runtime.load_fixtures()
    app = create_app(settings, runtime)
    gc.collect()
    rss_app = kib("VmRSS")
    started = time.perf_counter()
    zapini_pool = seed_zapini(runtime, size)
    gc.collect()
    rss_zapini = kib("VmRSS")
    nexor_pool = seed_nexor(runtime, size)
    seed_s = time.perf_counter() - started
    gc.collect()
    rss_seeded = kib("VmRSS")
    client = Asgi(app)
    await client.start()
    zapini = {"Authorization": f"Bearer {ZAPINI_TOKEN}"}
    nexor = {"X-API-Key": NEXOR_KEY}
    counter = iter(range(10**9))

    def sync_set(pool: list[str]) -> list[str]:
        n = next(counter)
        return pool[:5] if n % 2 else pool[5:]

    def request(op: str) -> tuple[str, str, dict[str, str], Any, int]:
        n = next(counter)
        body: dict[str, Any]
        if op == "zapini create":
            body = {"name": f"Bench tag {n}", "color": "#ef4444"}
            return "POST", "/zapini/api/v1/tags", zapini, body, 201
        if op == "zapini sync":
            path = f"/zapini/api/v1/conversations/{CONVERSATION}/tags"
            return "PUT", path, zapini, {"tag_ids": sync_set(zapini_pool)}, 200
        if op == "nexor sync":
            body = {"email": LEAD_EMAIL, "tags": sync_set(nexor_pool)}
            return "PUT", "/nexor/api/public/leads/tags", nexor, body, 200
        if op == "nexor create":
            body = {"name": f"Bench tag {n}", "slug": f"bench-tag-{n}"}
            return "POST", "/nexor/api/public/tags", nexor, body, 201
        return "GET", "/zapini/api/v1/tags", zapini, None, 200

    figures: dict[str, Any] = {}
    for op in OPERATIONS:
        wall: list[float] = []
        cpu: list[float] = []
        for i in range((list_repeat if op == "zapini GET /tags" else repeat) + 2):  # 2 warm-ups
            method, path, headers, body, expected = request(op)
            w0, c0 = time.perf_counter(), time.process_time()
            status, answer = await client.request(method, path, headers, body)
            took, spent = time.perf_counter() - w0, time.process_time() - c0
            if status != expected:
                raise SystemExit(f"{op}: {status} {answer[:300]!r}")
            if i >= 2:
                wall.append(took * 1000)
                cpu.append(spent * 1000)
        figures[op] = {**percentiles(wall, ""), **percentiles(cpu, "cpu_"), "samples": len(wall)}
    await client.stop()
    return {
        "engine": engine,
        "size": size,
        "seed_s": round(seed_s, 2),
        "rss_app_mib": round(rss_app / 1024, 1),
        "rss_zapini_seeded_mib": round(rss_zapini / 1024, 1),
        "rss_seeded_mib": round(rss_seeded / 1024, 1),
        "rss_end_mib": round(kib("VmRSS") / 1024, 1),
        "peak_rss_mib": round(kib("VmHWM") / 1024, 1),
        "operations": figures,
    }


def percentiles(samples: list[float], prefix: str) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        f"{prefix}p50_ms": round(statistics.median(ordered), 3),
        f"{prefix}p90_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))], 3),
        f"{prefix}max_ms": round(ordered[-1], 3),
    }


# -- the parent: one child per engine and size ------------------------------------------------
def run_child(engine: str, size: int, repeat: int, list_repeat: int) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", engine, str(size)]
    cmd += ["--repeat", str(repeat), "--list-repeat", str(list_repeat)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=1800)
    if done.returncode != 0:
        raise SystemExit(f"{engine} at {size}: the child failed\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def render(doc: dict[str, Any]) -> str:
    sizes = doc["sizes"]
    first, last = sizes[0], sizes[-1]
    lines = [
        f"Taken {doc['taken_at']} on {doc['machine']} (Python {doc['python']}, load average "
        f"{doc['load_before']} before the run); {doc['repeat']} samples per operation "
        f"({doc['list_repeat']} of GET /tags) after 2 warm-ups, one fresh process per engine "
        "and size. Wall: p50 / p90 of the time to the answer; CPU: p50 of the process's CPU "
        "time for the request (what the request costs, apart from waiting for a core on a "
        "busy machine).",
        "",
    ]
    for engine in doc["engines"]:
        runs = {r["size"]: r for r in doc["runs"] if r["engine"] == engine}
        head = " | ".join(f"{s:,} tags: wall p50 / p90, CPU p50 (ms)" for s in sizes)
        lines += [
            f"**{engine} store**",
            "",
            f"| operation | {head} | wall p50 at {last:,} / at {first:,} "
            f"| CPU p50 at {last:,} / at {first:,} |",
            "|---|" + "---|" * (len(sizes) + 2),
        ]
        for op in OPERATIONS:
            got = {s: runs[s]["operations"][op] for s in sizes}
            cells = [
                f"{g['p50_ms']:.2f} / {g['p90_ms']:.2f}, {g['cpu_p50_ms']:.2f}"
                for g in got.values()
            ]
            wall = got[last]["p50_ms"] / got[first]["p50_ms"]
            cpu = got[last]["cpu_p50_ms"] / max(got[first]["cpu_p50_ms"], 1e-3)
            lines.append(f"| {op} | {' | '.join(cells)} | {wall:.2f} | {cpu:.2f} |")
        rss = " | ".join(
            f"{runs[s]['rss_app_mib']:.0f} / {runs[s]['rss_zapini_seeded_mib']:.0f} / "
            f"{runs[s]['rss_seeded_mib']:.0f} / {runs[s]['peak_rss_mib']:.0f}"
            for s in sizes
        )
        lines += [
            f"| RSS (MiB): app / + Zapini tags / + Nexor tags and leads / peak | {rss} | | |",
            "",
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--engines", default="memory", help="comma-separated (default: memory)")
    p.add_argument("--sizes", default="100,10000,100000", help="tags in the tenant")
    p.add_argument("--repeat", type=int, default=101, help="samples per operation (101)")
    p.add_argument("--list-repeat", type=int, default=15, help="samples of GET /tags (15)")
    p.add_argument("--no-write", action="store_true", help="print only, write no results")
    p.add_argument("--child", nargs=2, metavar=("ENGINE", "SIZE"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        child = measure(args.child[0], int(args.child[1]), args.repeat, args.list_repeat)
        result = asyncio.run(child)
        print(json.dumps(result))
        return 0
    names = [e for e in args.engines.split(",") if e]
    unknown = sorted(set(names) - set(engines()))
    if unknown:
        raise SystemExit(f"unknown engine(s) {unknown}; choose from {sorted(engines())}")
    sizes = [int(s) for s in args.sizes.split(",")]
    load_before = " ".join(f"{x:.1f}" for x in os.getloadavg())
    runs = []
    for engine in names:
        for size in sizes:
            print(f"{engine} at {size:,} tags ...", file=sys.stderr, flush=True)
            runs.append(run_child(engine, size, args.repeat, args.list_repeat))
    now = dt.datetime.now(dt.UTC)
    doc = {
        "load_before": load_before,
        "taken_at": now.strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "python": platform.python_version(),
        "repeat": args.repeat,
        "list_repeat": args.list_repeat,
        "engines": names,
        "sizes": sizes,
        "runs": runs,
    }
    text = render(doc)
    print(text)
    if not args.no_write:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        stem = RESULTS_DIR / f"store-costs-{now:%Y-%m-%d}"
        stem.with_suffix(".json").write_text(json.dumps(doc, indent=2) + "\n")
        stem.with_suffix(".md").write_text(text + "\n")
        print(f"\nwritten: {stem}.json, {stem}.md", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
