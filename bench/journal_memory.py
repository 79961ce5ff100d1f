"""The journal's memory under large answers: RSS before and after 1,000 journaled 10 MiB answers.

    .venv/bin/python bench/journal_memory.py                  # 1,000 answers of 10 MiB each
    .venv/bin/python bench/journal_memory.py --answers 200 --mib 4

A zapini fixture gets one conversation whose name makes `GET /conversations/{id}` answer
`--mib` MiB; one server per configuration serves it `--answers` times on one keep-alive
connection (validation off: this measures the journal, not the answer check), and its RSS
(VmRSS) is read after 10 warm-up answers and after the run. Configurations: the defaults
(64 MiB journal, bodies cut at 256 KiB), and bodies kept whole (`--journal-body-bytes` above
the answer) so that only the 64 MiB bound holds, each on the memory and the SQLite store.
Before the journal was bounded in bytes, each such answer stayed in memory (1,000 entries:
about 10 GiB). Results on stdout and in bench/results/journal-memory-<UTC date>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[1]
BIG = "550e8400-e29b-41d4-a716-446655440099"
AUTH = {"Authorization": "Bearer sk_acme_4f9d2c7b1e8a6035d2b9c4e7f1a8d3b6"}
BANNER = re.compile(r"tagfake serving .* at (http://127\.0\.0\.1:\d+)")
MIB = 1024 * 1024


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def fixtures(folder: Path, size: int) -> Path:
    doc = yaml.safe_load((ROOT / "fixtures" / "zapini" / "default.yaml").read_text())
    doc["tenants"]["acme"]["conversations"].append({"id": BIG, "display_name": "x" * size})
    (folder / "zapini").mkdir(parents=True)
    (folder / "zapini" / "default.yaml").write_text(yaml.safe_dump(doc))
    return folder


def run(args: list[str], answers: int) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAGFAKE_")}
    env["TAGFAKE_VENDORS"] = "zapini"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tagfake.cli", "serve", "--port", "0", "--validation", "off", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    url = ""
    for line in proc.stdout:
        found = BANNER.search(line)
        if found:
            url = found.group(1)
            break
    stream = proc.stdout
    threading.Thread(target=lambda: [None for _ in stream], daemon=True).start()
    try:
        with httpx.Client(base_url=url, headers=AUTH, timeout=60) as http:
            while True:
                try:
                    http.get("/zapini/api/v1/tags")
                    break
                except httpx.TransportError:
                    time.sleep(0.05)
            path = f"/zapini/api/v1/conversations/{BIG}"
            for _ in range(10):
                http.get(path).raise_for_status()
            before = rss_mib(proc.pid)
            started = time.monotonic()
            size = 0
            for _ in range(answers):
                size = len(http.get(path).content)
            seconds = time.monotonic() - started
            after = rss_mib(proc.pid)
        journal = httpx.get(url + "/__admin/journal", params={"limit": 1}, timeout=60).json()
    finally:
        proc.kill()
        proc.wait()
    return {
        "answer_bytes": size,
        "rss_before_mib": round(before, 1),
        "rss_after_mib": round(after, 1),
        "journal_entries": journal["total"],
        "journal_bytes": journal["bytes"],
        "seconds": round(seconds, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--answers", type=int, default=1000)
    parser.add_argument("--mib", type=int, default=10)
    opts = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        fx = fixtures(Path(tmp) / "fixtures", opts.mib * MIB)
        for body_limit in ("default", "whole"):
            for store in ("memory", "sqlite"):
                args = ["--fixtures", str(fx)]
                if body_limit == "whole":
                    args += ["--journal-body-bytes", str((opts.mib + 1) * MIB)]
                if store == "sqlite":
                    args += ["--store", f"sqlite:{Path(tmp) / f'{body_limit}.db'}"]
                row = {"store": store, "bodies": body_limit, **run(args, opts.answers)}
                rows.append(row)
                print(json.dumps(row), flush=True)
    out = ROOT / "bench" / "results" / f"journal-memory-{dt.datetime.now(dt.UTC):%Y-%m-%d}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(
        json.dumps({"answers": opts.answers, "mib": opts.mib, "runs": rows}, indent=2) + "\n"
    )
    print(f"results: {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
