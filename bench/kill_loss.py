"""What kill -9 loses: acknowledged writes missing, and deletes undone, after a SIGKILL under load.

    .venv/bin/python bench/kill_loss.py                  # 20 rounds on sqlite:
    .venv/bin/python bench/kill_loss.py --rounds 50 --writers 8

Each round: 4 threads (--writers) create, rename and delete zapini tags through one server on
`--store sqlite:PATH` (keep-alive connections, one request at a time each); after a random
0.3-2 s the server gets SIGKILL; a new server starts on the same file and every write that was
answered is checked: a create or rename answered must be there with its name, a delete answered
must stay deleted. A write in flight at the kill may land or not (it was never answered). The
figures: writes answered, lost, resurrected, and the restart time (spawn to first answer).
Results on stdout and in bench/results/kill-loss-<UTC date>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import IO, Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
TAGS = "/zapini/api/v1/tags"
AUTH = {"Authorization": "Bearer sk_acme_4f9d2c7b1e8a6035d2b9c4e7f1a8d3b6"}
BANNER = re.compile(r"tagfake serving .* at (http://127\.0\.0\.1:\d+)")


def serve(store: str) -> tuple[subprocess.Popen[str], str, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAGFAKE_")}
    env["TAGFAKE_VENDORS"] = "zapini"
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tagfake.cli", "serve", "--port", "0", "--store", store],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    out: IO[str] | None = proc.stdout
    assert out is not None
    for line in out:
        found = BANNER.search(line)
        if found:
            url = found.group(1)
            threading.Thread(target=lambda: [None for _ in out], daemon=True).start()
            while True:
                try:
                    httpx.get(url + TAGS, headers=AUTH, timeout=1).raise_for_status()
                    return proc, url, time.monotonic() - started
                except httpx.TransportError:
                    time.sleep(0.01)
    raise SystemExit("the server did not start")


class Writer(threading.Thread):
    def __init__(self, url: str, label: str, rng: random.Random) -> None:
        super().__init__(daemon=True)
        self.url, self.label, self.rng = url, label, rng
        self.named: dict[str, str] = {}
        self.deleted: set[str] = set()
        self.inflight: str | None = None
        self.acked = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        with httpx.Client(base_url=self.url, headers=AUTH, timeout=10) as http:
            i = 0
            while not self.stopped.is_set():
                i += 1
                name, roll, mine = f"{self.label}-{i}", self.rng.random(), sorted(self.named)
                try:
                    if len(mine) < 3 or roll < 0.5:
                        self.inflight = None
                        r = http.post(TAGS, json={"name": name, "color": "#102030"})
                        self.named[r.json()["data"]["tag"]["id"]] = name
                    elif roll < 0.8:
                        tag = self.inflight = self.rng.choice(mine)
                        http.patch(f"{TAGS}/{tag}", json={"name": name}).raise_for_status()
                        self.named[tag] = name
                    else:
                        tag = self.inflight = self.rng.choice(mine)
                        http.delete(f"{TAGS}/{tag}").raise_for_status()
                        del self.named[tag]
                        self.deleted.add(tag)
                except httpx.TransportError:
                    return
                self.inflight = None
                self.acked += 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    opts = parser.parse_args()
    rng = random.Random(opts.seed)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        store = f"sqlite:{Path(tmp) / 'kill.db'}"
        expected: dict[str, str] = {}
        gone: set[str] = set()
        proc, url, _ = serve(store)
        for round_no in range(opts.rounds):
            writers = [
                Writer(url, f"r{round_no}w{w}", random.Random(rng.random()))
                for w in range(opts.writers)
            ]
            for w in writers:
                w.start()
            alive = rng.uniform(0.3, 2.0)
            time.sleep(alive)
            proc.kill()
            proc.wait()
            for w in writers:
                w.stopped.set()
                w.join(10)
            proc, url, restart = serve(store)
            present = {
                t["id"]: t["name"]
                for t in httpx.get(url + TAGS, headers=AUTH, timeout=30).json()["data"]["tags"]
            }
            unsure = {w.inflight for w in writers if w.inflight}
            for w in writers:
                expected.update(w.named)
                gone |= w.deleted
                for tag in w.deleted:
                    expected.pop(tag, None)
            lost = sum(1 for t, n in expected.items() if t not in unsure and present.get(t) != n)
            resurrected = len((gone - unsure) & present.keys())
            for tag in unsure:
                if tag in present:
                    expected[tag] = present[tag]
                    gone.discard(tag)
                else:
                    expected.pop(tag, None)
                    gone.add(tag)
            row = {
                "round": round_no,
                "alive_s": round(alive, 3),
                "acked": sum(w.acked for w in writers),
                "lost": lost,
                "resurrected": resurrected,
                "restart_s": round(restart, 3),
                "tags": len(present),
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
        proc.kill()
    total = {
        "rounds": len(rows),
        "acked": sum(r["acked"] for r in rows),
        "lost": sum(r["lost"] for r in rows),
        "resurrected": sum(r["resurrected"] for r in rows),
        "rounds_with_loss": sum(1 for r in rows if r["lost"] or r["resurrected"]),
        "restart_s_median": sorted(r["restart_s"] for r in rows)[len(rows) // 2],
    }
    print(json.dumps(total))
    out = ROOT / "bench" / "results" / f"kill-loss-{dt.datetime.now(dt.UTC):%Y-%m-%d}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(
        json.dumps({"writers": opts.writers, "total": total, "rounds": rows}, indent=2) + "\n"
    )
    print(f"results: {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
