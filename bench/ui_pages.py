"""How long the dashboard's pages take to render on the server with a large tenant.

    .venv/bin/python bench/ui_pages.py                  # 100 000 tags, 20 000 profiles
    .venv/bin/python bench/ui_pages.py --tags 1000000 --runs 5

One healvi tenant is filled with --tags tags and --entities profiles (three tags each), the
journal with as many entries as it holds; then each page's first screen is requested --runs
times through the whole ASGI app in this process (the dashboard's Flask app under a2wsgi, as
served). Server time is the time from the request entering the app to its last body byte: no
network, no browser. The budget is 300 ms for a first screen; the exit status is 1 when a page's
median is over it.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from typing import Any

from tagfake.app import create_app, runtime_of
from tagfake.settings import Settings
from tagfake.state.model import Entity

BUDGET_MS = 300.0
ACME = "vendor=healvi&tenant=acme"
PAGES = {
    "overview": "/__admin/ui/",
    "state, first screen": f"/__admin/ui/state?{ACME}",
    "state, sorted by title desc": f"/__admin/ui/state?{ACME}&sort=title&order=desc",
    "state, searched": f"/__admin/ui/state?{ACME}&q=tag%2099",
    "state, last page": f"/__admin/ui/state?{ACME}&page=2000",
    "entities, first screen": f"/__admin/ui/entities?{ACME}",
    "entities carrying a tag": f"/__admin/ui/entities?{ACME}&tag=10500",
    "journal (full)": "/__admin/ui/journal",
    "journal, live poll": "/__admin/ui/journal/rows?after=999999",
    "charts": "/__admin/ui/charts",
}


def fill(app: Any, tags: int, entities: int, journal: int) -> None:
    rt = runtime_of(app)
    with rt.store.transaction("healvi", "acme") as ns:
        for i in range(10_000, 10_000 + tags):
            ns.tags[str(i)] = {
                "id": i,
                "title": f"tag {i % 997} {i}",
                "created_at": "2026-01-01T00:00:00Z",
                "updated_at": "2026-01-01T00:00:00Z",
            }
        profiles = ns.kind("profiles")
        for j in range(entities):
            pid = 1_000_000 + j
            first = 10_000 + (j * 3) % max(tags, 1)
            profiles[str(pid)] = Entity(
                attrs={"id": pid, "name": f"Profile {j}"},
                tags=[str(first + k) for k in range(3) if first + k < 10_000 + tags],
            )
    now = time.time()
    for n in range(journal):
        rt.journal.record(
            {
                "time": "2026-01-01T00:00:00Z",
                "wall_time": now - (n % 300),
                "vendor": "healvi",
                "tenant": "acme",
                "operation_id": "syncProfileTags",
                "method": "POST",
                "path": f"/healvi/third-party/v1/profiles/{n}/tags",
                "query": "",
                "status": 200 if n % 10 else 422,
                "request": {"headers": {"content-type": "application/json"}, "body": {"tags": []}},
                "response": {"headers": {"content-type": "application/json"}, "body": {"data": []}},
                "violations": [] if n % 50 else ["syncProfileTags 200: data: wrong"],
                "fault": None,
                "duration_ms": 0.5 + n % 40,
            }
        )


async def timed_get(app: Any, path: str) -> tuple[int, float, int]:
    """(status, server milliseconds, body bytes) of one GET through the ASGI app."""
    raw_path, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": raw_path,
        "raw_path": raw_path.encode(),
        "root_path": "",
        "query_string": query.encode(),
        "headers": [(b"host", b"127.0.0.1"), (b"accept", b"text/html")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    status, size = 0, 0
    done = asyncio.Event()

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, size
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            size += len(message.get("body", b""))
            if not message.get("more_body"):
                done.set()

    began = time.perf_counter()
    await app(scope, receive, send)
    await done.wait()
    return status, (time.perf_counter() - began) * 1000, size


async def run(args: argparse.Namespace) -> int:
    app = create_app(Settings(vendors=("healvi",), journal_size=args.journal))
    began = time.perf_counter()
    fill(app, args.tags, args.entities, args.journal)
    print(
        f"filled healvi/acme with {args.tags} tags, {args.entities} profiles and "
        f"{args.journal} journal entries in {time.perf_counter() - began:.1f}s; "
        f"{args.runs} runs per page, budget {BUDGET_MS:.0f} ms"
    )
    over = []
    print(f"{'page':32} {'median ms':>10} {'p95 ms':>8} {'max ms':>8} {'KiB':>6}")
    for name, path in PAGES.items():
        await timed_get(app, path)  # warm: templates compiled, thread pool started
        times, size = [], 0
        for _ in range(args.runs):
            status, ms, size = await timed_get(app, path)
            assert status == 200, (path, status)
            times.append(ms)
        times.sort()
        median = statistics.median(times)
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        flag = "  OVER BUDGET" if median > BUDGET_MS else ""
        print(f"{name:32} {median:10.1f} {p95:8.1f} {times[-1]:8.1f} {size / 1024:6.0f}{flag}")
        if median > BUDGET_MS:
            over.append(name)
    return 1 if over else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tags", type=int, default=100_000)
    parser.add_argument("--entities", type=int, default=20_000)
    parser.add_argument("--journal", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=20)
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
