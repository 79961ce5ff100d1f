"""The load: wrk driven by a Lua script that prints its summary as JSON (an asyncio/httpx
generator when wrk is missing, whose figures are not comparable)."""

from __future__ import annotations

import asyncio
import itertools
import json
import statistics
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from bench.procs import on_cpus
from bench.scenarios import Scenario
from bench.targets import Workdir


@dataclass
class Load:
    requests: int
    duration_s: float
    socket_errors: dict[str, int]
    non_2xx: int  # wrk's "Non-2xx or 3xx responses": statuses >= 400
    latency_ms: dict[str, float]
    generator: str

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0

    @property
    def errors(self) -> int:
        return sum(self.socket_errors.values())


LUA_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%.0f,"duration_us":%.0f,"bytes":%.0f,' ..
    '"errors":{"connect":%.0f,"read":%.0f,"write":%.0f,"status":%.0f,"timeout":%.0f},' ..
    '"latency_us":{"mean":%.1f,"p50":%.0f,"p90":%.0f,"p99":%.0f,"max":%.0f}}\\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max))
end
"""


def lua_string(text: str) -> str:
    level = "=" * 3
    assert f"]{level}]" not in text
    return f"[{level}[{text}]{level}]"


_RUNS = itertools.count(1)


def wrk_script(scenario: Scenario, work: Workdir) -> Path:
    lines = [f'wrk.method = "{scenario.method}"']
    if scenario.unique and scenario.body is not None:
        # Every request a new value: `r<run> t<thread> <count>`, so no two runs or threads of
        # one server collide.
        before, after = scenario.body.split("{n}", 1)
        run = next(_RUNS)
        lines += [
            "local threads = 0",
            "setup = function(thread) threads = threads + 1; thread:set('tid', threads) end",
            "local n = 0",
            "request = function()",
            "  n = n + 1",
            f"  local body = {lua_string(before)} .. 'r{run} t' .. tid .. ' ' .. n"
            f" .. {lua_string(after)}",
            "  return wrk.format(nil, nil, nil, body)",
            "end",
        ]
    elif scenario.body is not None:
        lines.append(f"wrk.body = {lua_string(scenario.body)}")
    for name, value in scenario.headers().items():
        lines.append(f'wrk.headers["{name}"] = {lua_string(value)}')
    path = work.root / f"{scenario.key}.lua"
    path.write_text("\n".join(lines) + "\n" + LUA_DONE)
    return path


def run_wrk(
    wrk: str,
    url: str,
    script: Path,
    duration: int,
    connections: int,
    threads: int,
    cpus: frozenset[int] | None = None,
) -> Load:
    argv = [
        wrk, f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "5s",
        "-s", str(script), url,
    ]  # fmt: skip
    out = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        timeout=duration + 60,
        check=False,
        preexec_fn=on_cpus(cpus),
    ).stdout
    for line in out.splitlines():
        if line.startswith("WRKJSON "):
            data = json.loads(line[len("WRKJSON ") :])
            errors = {k: int(v) for k, v in data["errors"].items()}
            non_2xx = errors.pop("status")
            lat = {k: float(v) / 1000 for k, v in data["latency_us"].items()}
            return Load(
                int(data["requests"]), data["duration_us"] / 1e6, errors, non_2xx, lat, "wrk"
            )
    raise RuntimeError(f"no result from wrk ({' '.join(argv)}):\n{out}")


async def _httpx_load(
    url: str, scenario: Scenario, duration: int, connections: int
) -> tuple[int, float, int, int, list[float]]:
    import httpx

    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    done = non_2xx = errors = 0
    latencies: list[float] = []
    headers = scenario.headers()
    run = next(_RUNS)
    sent = itertools.count(1)

    def content() -> bytes | None:
        if scenario.body is None:
            return None
        n = f"h{run} {next(sent)}" if scenario.unique else "sample"
        return scenario.body_for(n).encode()  # type: ignore[union-attr]

    async with httpx.AsyncClient(limits=limits, timeout=5.0, trust_env=False) as client:
        started = time.perf_counter()
        deadline = started + duration

        async def worker() -> None:
            nonlocal done, non_2xx, errors
            while time.perf_counter() < deadline:
                t0 = time.perf_counter()
                try:
                    resp = await client.request(
                        scenario.method, url, headers=headers, content=content()
                    )
                except httpx.HTTPError:
                    errors += 1
                    continue
                latencies.append(time.perf_counter() - t0)
                done += 1
                non_2xx += resp.status_code >= 400

        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - started
    return done, elapsed, non_2xx, errors, latencies


def run_httpx(url: str, scenario: Scenario, duration: int, connections: int) -> Load:
    done, elapsed, non_2xx, errors, lat = asyncio.run(
        _httpx_load(url, scenario, duration, connections)
    )
    lat_ms = sorted(x * 1000 for x in lat) or [0.0]

    def pct(p: float) -> float:
        return lat_ms[min(len(lat_ms) - 1, int(p / 100 * len(lat_ms)))]

    latency = {
        "mean": statistics.fmean(lat_ms),
        "p50": pct(50),
        "p90": pct(90),
        "p99": pct(99),
        "max": lat_ms[-1],
    }
    return Load(done, elapsed, {"other": errors}, non_2xx, latency, "httpx (fallback)")


# --------------------------------------------------------------------------- measuring
