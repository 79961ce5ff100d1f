"""tagfake's benchmark: throughput, start-up time and memory against the mock servers people
use instead (Prism, WireMock, MockServer), all measured in the same run on the same machine.

    .venv/bin/python bench/run.py                 # everything it can start, 10 s per scenario
    .venv/bin/python bench/run.py --quick         # 2 s per scenario, a smoke check
    .venv/bin/python bench/run.py --check         # only say which tools are there or missing
    .venv/bin/python bench/run.py --targets tagfake,prism --duration 5 --connections 64

It installs nothing by itself: a missing tool is named together with the command that gets it,
and its target is skipped. `--install-peers` runs that npm command (visibly) for the peers.
Peers are pinned in PEERS below and live in bench/.peers/, never globally.

For each target and scenario it starts a fresh server process, times spawn -> first 200
(polled every 10 ms), checks one request, warms up for 1 s, runs wrk for --duration seconds
and reads the server's peak RSS (VmHWM, summed over its process tree) before stopping it.
Results: a table on stdout and bench/results/<UTC date>.json + .md, every figure also as a
ratio to tagfake's (validation `report`, the default).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import hashlib
import http.client
import importlib.metadata
import importlib.util
import json
import os
import platform
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
PEERS_DIR = BENCH / ".peers"
RESULTS_DIR = BENCH / "results"


@dataclass(frozen=True)
class Peer:
    npm: str  # npm package name
    version: str  # pinned version
    runtime: str  # the program it needs on PATH
    artifact: str  # what is run, relative to the package's folder in node_modules


# The one place peer versions are pinned. All three come from the npm registry: the wiremock
# and mockserver-node packages ship the standalone jars inside their tarballs.
PEERS: dict[str, Peer] = {
    "prism": Peer("@stoplight/prism-cli", "5.16.0", "node", "dist/index.js"),
    "wiremock": Peer("wiremock", "3.13.2", "java", "build/wiremock-standalone-3.13.2.jar"),
    "mockserver": Peer(
        "mockserver-node", "8.0.0", "java", "mockserver-netty-8.0.0-jar-with-dependencies.jar"
    ),
}

NPM_INSTALL = [
    "npm",
    "install",
    "--prefix",
    "bench/.peers",
    "--no-audit",
    "--no-fund",
    *(f"{p.npm}@{p.version}" for p in PEERS.values()),
]

ZAPINI_TOKEN = "sk_acme_4f9d2c7b1e8a6035d2b9c4e7f1a8d3b6"
NEXOR_KEY = "nxr_live_your_api_key"
NEXOR_SYNC_BODY = '{"lead_id":"123e4567-e89b-12d3-a456-426614174000","tags":["VIP","Follow-up"]}'

STARTUP_TIMEOUT_S = 120.0
POLL_INTERVAL_S = 0.010
WARMUP_S = 1
STOP_TIMEOUT_S = 15.0
IDLE_SHARE = 0.25  # the rest of the machine counts as idle below a quarter of its cores


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    spec: str  # the spec Prism mocks for it
    method: str
    path: str  # under `tagfake serve` (all vendors); WireMock and MockServer stub the same path
    prism_path: str  # Prism serves the spec's paths at its root
    auth: dict[str, str]
    body: str | None = None
    probe_path: str = ""  # a GET that answers 200 once the server is up (same auth)
    prism_probe_path: str = ""

    def headers(self) -> dict[str, str]:
        extra = {"Content-Type": "application/json"} if self.body is not None else {}
        return {**self.auth, **extra}


SCENARIOS: dict[str, Scenario] = {
    "get": Scenario(
        key="get",
        title="zapini GET /tags",
        spec="specs/zapini.openapi.yaml",
        method="GET",
        path="/zapini/api/v1/tags",
        prism_path="/tags",
        auth={"Authorization": f"Bearer {ZAPINI_TOKEN}"},
        probe_path="/zapini/api/v1/tags",
        prism_probe_path="/tags",
    ),
    "put": Scenario(
        key="put",
        title="nexor PUT /leads/tags (sync)",
        spec="specs/nexor.openapi.yaml",
        method="PUT",
        path="/nexor/api/public/leads/tags",
        prism_path="/leads/tags",
        auth={"X-API-Key": NEXOR_KEY},
        body=NEXOR_SYNC_BODY,
        probe_path="/nexor/api/public/tags",
        prism_probe_path="/tags",
    ),
}


@dataclass(frozen=True)
class Target:
    name: str
    label: str
    kind: str  # tagfake | prism | wiremock | mockserver
    validation: str | None = None


TARGETS: dict[str, Target] = {
    "tagfake": Target("tagfake", "tagfake (validation report)", "tagfake", "report"),
    "tagfake-off": Target("tagfake-off", "tagfake (validation off)", "tagfake", "off"),
    "prism": Target("prism", "Prism (static mock)", "prism"),
    "wiremock": Target("wiremock", "WireMock (stubs)", "wiremock"),
    "mockserver": Target("mockserver", "MockServer (expectations)", "mockserver"),
}
BASELINE = "tagfake"
TIMES = "\u00d7"  # the multiplication sign of "0.8x"


# --------------------------------------------------------------------------- tool checks


@dataclass
class Tools:
    wrk: str | None = None
    missing: dict[str, str] = field(default_factory=dict)  # target -> what to do
    notes: list[str] = field(default_factory=list)


def tagfake_bin() -> Path:
    return Path(sys.executable).parent / "tagfake"


def peer_dir(name: str) -> Path:
    return PEERS_DIR / "node_modules" / PEERS[name].npm


def installed_peer_version(name: str) -> str | None:
    try:
        data = json.loads((peer_dir(name) / "package.json").read_text())
    except (OSError, ValueError):
        return None
    version = data.get("version")
    return version if isinstance(version, str) else None


def check_tools(targets: Sequence[str]) -> Tools:
    tools = Tools(wrk=shutil.which("wrk"))
    if tools.wrk is None:
        tools.notes.append(
            "wrk is missing (get it with `apt-get install wrk`); falling back to the built-in "
            "asyncio/httpx load generator, which saturates long before the servers do: its "
            "figures are NOT comparable with wrk's"
        )
    install = " ".join(NPM_INSTALL)
    for name in targets:
        target = TARGETS[name]
        if target.kind == "tagfake":
            if not tagfake_bin().exists():
                tools.missing[name] = (
                    f"{tagfake_bin()} is missing: run `make test` (or "
                    "`.venv/bin/pip install -e '.[dev]'`) to install the project"
                )
            continue
        peer = PEERS[target.kind]
        if shutil.which(peer.runtime) is None:
            how = (
                "apt-get install nodejs npm"
                if peer.runtime == "node"
                else ("apt-get install openjdk-17-jre-headless")
            )
            tools.missing[name] = f"`{peer.runtime}` is not on PATH: `{how}`"
            continue
        have = installed_peer_version(target.kind)
        if have is None or not (peer_dir(target.kind) / peer.artifact).exists():
            tools.missing[name] = (
                f"{peer.npm}@{peer.version} is not installed in bench/.peers: `{install}` "
                "(or run bench/run.py --install-peers)"
            )
        elif have != peer.version:
            tools.missing[name] = (
                f"bench/.peers has {peer.npm}@{have}, the pin is {peer.version}: `{install}`"
            )
    return tools


# --------------------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def children_of(pid: int) -> list[int]:
    """Every descendant of pid, found through /proc (Linux)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    found: list[int] = []
    todo = [pid]
    while todo:
        kids = parents.get(todo.pop(), [])
        found.extend(kids)
        todo.extend(kids)
    return found


def status_kib(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_kib(pid: int, key: str) -> int:
    return sum(status_kib(p, key) for p in [pid, *children_of(pid)])


def tree_cpu_s(pid: int) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in [pid, *children_of(pid)]:
        try:
            stat = Path(f"/proc/{p}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    port: int
    log: Path
    spawned_at: float


def stop(server: Server) -> None:
    """SIGTERM the server we started (and any child it left), SIGKILL after a grace period."""
    proc = server.proc
    if proc.poll() is None:
        kids = children_of(proc.pid)
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        for kid in kids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(kid, signal.SIGKILL)


def log_tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


# --------------------------------------------------------------------------- HTTP helpers


@dataclass
class Answer:
    status: int
    content_type: str
    body: str


def request(
    port: int, method: str, path: str, headers: dict[str, str], body: str | None = None
) -> Answer:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read().decode("utf-8", errors="replace")
        return Answer(resp.status, resp.getheader("Content-Type") or "", data)
    finally:
        conn.close()


def wait_first_200(server: Server, path: str, headers: dict[str, str]) -> float | None:
    """Seconds from spawn to the first 200 on GET path, polled every 10 ms; None: never."""
    while time.perf_counter() - server.spawned_at < STARTUP_TIMEOUT_S:
        if server.proc.poll() is not None:
            return None
        try:
            if request(server.port, "GET", path, headers).status == 200:
                return time.perf_counter() - server.spawned_at
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(POLL_INTERVAL_S)
    return None


# --------------------------------------------------------------------------- targets


@dataclass
class Workdir:
    root: Path
    canned: dict[str, Answer] = field(default_factory=dict)


def server_paths(target: Target, scenario: Scenario) -> tuple[str, str]:
    """(load path, readiness probe path) for this target."""
    if target.kind == "prism":
        return scenario.prism_path, scenario.prism_probe_path
    return scenario.path, scenario.probe_path


def command(target: Target, scenario: Scenario, port: int, work: Workdir) -> list[str]:
    if target.kind == "tagfake":
        assert target.validation is not None
        return [str(tagfake_bin()), "serve", "--port", str(port), "--validation", target.validation]
    jar = str(peer_dir(target.kind) / PEERS[target.kind].artifact)
    if target.kind == "prism":
        prism = str(PEERS_DIR / "node_modules" / ".bin" / "prism")
        return [prism, "mock", str(ROOT / scenario.spec), "-p", str(port), "-h", "127.0.0.1"]
    if target.kind == "wiremock":
        return [
            "java", "-jar", jar, "--port", str(port), "--bind-address", "127.0.0.1",
            "--root-dir", str(wiremock_root(work)), "--disable-banner",
        ]  # fmt: skip
    if target.kind == "mockserver":
        return [
            "java",
            f"-Dmockserver.initializationJsonPath={mockserver_init(work)}",
            "-Dmockserver.localBoundIP=127.0.0.1",
            "-jar", jar, "-serverPort", str(port),
        ]  # fmt: skip
    raise ValueError(target.kind)


def child_env() -> dict[str, str]:
    """The servers run with their defaults: no TAGFAKE_* or JVM option overrides leak in."""
    skip = ("TAGFAKE_", "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS")
    return {k: v for k, v in os.environ.items() if not k.startswith(skip)}


def spawn(argv: list[str], log: Path, port: int, cwd: Path) -> Server:
    handle = log.open("wb")
    try:
        spawned_at = time.perf_counter()
        proc = subprocess.Popen(
            argv,
            cwd=cwd,  # a temporary folder: MockServer writes its CA files where it runs
            env=child_env(),
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C on the bench reaches us, and we stop the server
        )
    finally:
        handle.close()
    return Server(proc, port, log, spawned_at)


@contextlib.contextmanager
def running(
    target: Target, scenario: Scenario, work: Workdir, tag: str
) -> Iterator[tuple[Server, float]]:
    port = free_port()
    log = work.root / f"{target.name}-{scenario.key}-{tag}.log"
    server = spawn(command(target, scenario, port, work), log, port, work.root)
    try:
        _, probe = server_paths(target, scenario)
        startup = wait_first_200(server, probe, scenario.auth)
        if startup is None:
            code = server.proc.poll()
            why = f"exited with {code}" if code is not None else "no 200 within the time limit"
            raise RuntimeError(f"{target.name} did not start ({why}); log:\n{log_tail(log)}")
        yield server, startup
    finally:
        stop(server)


def capture_canned(work: Workdir) -> None:
    """tagfake's own answers, which the WireMock stubs and MockServer expectations replay."""
    target = TARGETS[BASELINE]
    get, put = SCENARIOS["get"], SCENARIOS["put"]
    with running(target, get, work, "capture") as (server, _):
        work.canned["get"] = request(server.port, "GET", get.path, get.headers())
        work.canned["probe-put"] = request(server.port, "GET", put.probe_path, put.auth)
        work.canned["put"] = request(server.port, "PUT", put.path, put.headers(), put.body)
    for key, answer in work.canned.items():
        if not 200 <= answer.status < 300:
            raise RuntimeError(f"tagfake answered {answer.status} to {key}: {answer.body[:300]}")


def _stubs(work: Workdir) -> list[tuple[str, str, dict[str, str], str | None, Answer]]:
    get, put = SCENARIOS["get"], SCENARIOS["put"]
    return [
        ("get", get.path, get.auth, None, work.canned["get"]),
        ("probe-put", put.probe_path, put.auth, None, work.canned["probe-put"]),
        ("put", put.path, put.auth, put.body, work.canned["put"]),
    ]


def wiremock_root(work: Workdir) -> Path:
    root = work.root / "wiremock"
    mappings = root / "mappings"
    if mappings.is_dir():
        return root
    mappings.mkdir(parents=True)
    for key, path, auth, body, answer in _stubs(work):
        req: dict[str, Any] = {
            "method": "PUT" if body is not None else "GET",
            "url": path,
            "headers": {k: {"equalTo": v} for k, v in auth.items()},
        }
        if body is not None:
            req["bodyPatterns"] = [{"equalToJson": body}]
        stub = {
            "request": req,
            "response": {
                "status": answer.status,
                "headers": {"Content-Type": answer.content_type},
                "body": answer.body,
            },
        }
        (mappings / f"{key}.json").write_text(json.dumps(stub, indent=2))
    return root


def mockserver_init(work: Workdir) -> Path:
    path = work.root / "mockserver-init.json"
    if path.exists():
        return path
    expectations = []
    for _key, url, auth, body, answer in _stubs(work):
        req: dict[str, Any] = {
            "method": "PUT" if body is not None else "GET",
            "path": url,
            "headers": {k: [v] for k, v in auth.items()},
        }
        if body is not None:
            req["body"] = {"type": "JSON", "json": json.loads(body), "matchType": "STRICT"}
        expectations.append(
            {
                "httpRequest": req,
                "httpResponse": {
                    "statusCode": answer.status,
                    "headers": {"Content-Type": [answer.content_type]},
                    "body": answer.body,
                },
            }
        )
    path.write_text(json.dumps(expectations, indent=2))
    return path


# --------------------------------------------------------------------------- load


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


def wrk_script(scenario: Scenario, work: Workdir) -> Path:
    lines = [f'wrk.method = "{scenario.method}"']
    if scenario.body is not None:
        lines.append(f"wrk.body = {lua_string(scenario.body)}")
    for name, value in scenario.headers().items():
        lines.append(f'wrk.headers["{name}"] = {lua_string(value)}')
    path = work.root / f"{scenario.key}.lua"
    path.write_text("\n".join(lines) + "\n" + LUA_DONE)
    return path


def run_wrk(
    wrk: str, url: str, script: Path, duration: int, connections: int, threads: int
) -> Load:
    argv = [
        wrk, f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "5s",
        "-s", str(script), url,
    ]  # fmt: skip
    out = subprocess.run(
        argv, capture_output=True, text=True, timeout=duration + 60, check=False
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
    content = scenario.body.encode() if scenario.body is not None else None
    async with httpx.AsyncClient(limits=limits, timeout=5.0, trust_env=False) as client:
        started = time.perf_counter()
        deadline = started + duration

        async def worker() -> None:
            nonlocal done, non_2xx, errors
            while time.perf_counter() < deadline:
                t0 = time.perf_counter()
                try:
                    resp = await client.request(
                        scenario.method, url, headers=headers, content=content
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


@dataclass
class Options:
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
        return run_wrk(opts.wrk, url, script, seconds, opts.connections, opts.threads)
    return run_httpx(url, scenario, seconds, opts.connections)


def machine_busy_s() -> float:
    """CPU seconds every process on the machine has used since boot."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:9]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields)
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def own_cpu_s() -> float:
    """CPU seconds of this process and its reaped children (wrk)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def wait_for_idle(limit_s: float) -> float:
    """Wait (at most limit_s) until the machine's other work takes under IDLE_SHARE of its
    cores over one second; returns the share last seen (0..1)."""
    cores = os.cpu_count() or 1
    deadline = time.monotonic() + limit_s
    while True:
        before = machine_busy_s()
        time.sleep(1.0)
        share = (machine_busy_s() - before) / cores
        if share < IDLE_SHARE or time.monotonic() >= deadline:
            return share


def measure_scenario(
    target: Target, scenario: Scenario, work: Workdir, opts: Options, tag: str
) -> dict[str, Any]:
    busy_before = wait_for_idle(opts.idle_wait) if opts.idle_wait > 0 else None
    cores = os.cpu_count() or 1
    with running(target, scenario, work, tag) as (server, startup):
        pid = server.proc.pid
        idle_kib = tree_kib(pid, "VmRSS")
        path, _ = server_paths(target, scenario)
        check = request(server.port, scenario.method, path, scenario.headers(), scenario.body)
        url = f"http://127.0.0.1:{server.port}{path}"
        load(opts, url, scenario, work, WARMUP_S)
        cpu0, own0, busy0 = tree_cpu_s(pid), own_cpu_s(), machine_busy_s()
        result = load(opts, url, scenario, work, opts.duration)
        cpu, own = tree_cpu_s(pid) - cpu0, own_cpu_s() - own0
        busy = machine_busy_s() - busy0
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


def _first_line(argv: list[str]) -> str:
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "unavailable"
    text = (proc.stdout + proc.stderr).strip()
    return text.splitlines()[0] if text else "unavailable"


def _dist(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def machine() -> dict[str, Any]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kib = status_like("/proc/meminfo", "MemTotal")
    os_name = platform.platform()
    with contextlib.suppress(OSError):
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip('"')
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "os": os_name,
        "kernel": platform.release(),
    }


def status_like(path: str, key: str) -> int:
    with contextlib.suppress(OSError):
        for line in Path(path).read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def source_fingerprint() -> str:
    """A hash of tagfake's code, specs and fixtures as they are on disk (edits included)."""
    digest = hashlib.sha256()
    for folder in ("src", "specs", "fixtures"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(ROOT)).encode())
                with contextlib.suppress(OSError):
                    digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def git_revision() -> str:
    rev = _first_line(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    try:
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        dirty = ""
    return f"{rev}+uncommitted changes" if dirty else rev


def versions(targets: Sequence[str], wrk: str | None) -> dict[str, str]:
    v = {
        "tagfake": f"{_dist('tagfake')} (git {git_revision()}, sources {source_fingerprint()})",
        "python": platform.python_version(),
        "connexion": _dist("connexion"),
        "uvicorn": _dist("uvicorn"),
        "uvloop": _dist("uvloop") if importlib.util.find_spec("uvloop") else "not installed",
        "httptools": _dist("httptools"),
        "load generator": _first_line([wrk, "-v"]) if wrk else f"httpx {_dist('httpx')}",
    }
    kinds = {TARGETS[t].kind for t in targets}
    if "prism" in kinds:
        v["prism"] = f"{PEERS['prism'].npm} {installed_peer_version('prism')}"
        v["node"] = _first_line(["node", "--version"])
    if "wiremock" in kinds:
        v["wiremock"] = f"wiremock-standalone {installed_peer_version('wiremock')} (npm wiremock)"
    if "mockserver" in kinds:
        v["mockserver"] = (
            f"mockserver-netty {installed_peer_version('mockserver')} (npm mockserver-node)"
        )
    if kinds & {"wiremock", "mockserver"}:
        v["java"] = _first_line(["java", "-version"])
    return v


# --------------------------------------------------------------------------- reporting


def ratio(value: float | None, base: float | None) -> str:
    if value is None or base is None or base == 0:
        return "—"
    return f"{value / base:.2f}{TIMES}"


def _cell(value: float | None, base: float | None, fmt: str) -> str:
    if value is None:
        return "—"
    return f"{format(value, fmt)} ({ratio(value, base)})"


def summary_table(report: dict[str, Any]) -> str:
    measured: dict[str, Any] = report["targets"]
    base = measured.get(BASELINE)

    def rps(entry: dict[str, Any] | None, key: str) -> float | None:
        if entry is None or key not in entry["scenarios"]:
            return None
        value: float = entry["scenarios"][key]["rps"]
        return value

    def fig(entry: dict[str, Any] | None, key: str) -> float | None:
        if entry is None:
            return None
        value: float = entry[key]
        return value

    rows = [
        "| target | GET zapini /tags req/s | PUT nexor /leads/tags req/s "
        "| startup to first 200 (s) | peak RSS (MiB) | socket errors / non-2xx |",
        "|---|---|---|---|---|---|",
    ]
    for entry in measured.values():
        rows.append(
            f"| {entry['label']} "
            f"| {_cell(rps(entry, 'get'), rps(base, 'get'), ',.0f')} "
            f"| {_cell(rps(entry, 'put'), rps(base, 'put'), ',.0f')} "
            f"| {_cell(fig(entry, 'startup_s'), fig(base, 'startup_s'), '.2f')} "
            f"| {_cell(fig(entry, 'peak_rss_mib'), fig(base, 'peak_rss_mib'), ',.0f')} "
            f"| {entry['errors']} / {entry['non_2xx']} |"
        )
    return "\n".join(rows)


def detail_table(report: dict[str, Any]) -> str:
    rows = [
        "| target | scenario | req/s median (min-max) | p50 ms | p99 ms | server CPU s "
        "| req per server CPU-s | idle RSS MiB | peak RSS MiB | check status "
        "| others' CPU share (max) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for entry in report["targets"].values():
        for r in entry["scenarios"].values():
            per_cpu = f"{r['rps_per_cpu_s']:,.0f}" if r["rps_per_cpu_s"] else "—"
            rows.append(
                f"| {entry['label']} | {r['method']} {r['path']} "
                f"| {r['rps']:,.0f} ({r['rps_min']:,.0f}-{r['rps_max']:,.0f}) "
                f"| {r['p50_ms']:.1f} | {r['p99_ms']:.1f} "
                f"| {r['server_cpu_s']:.1f} | {per_cpu} "
                f"| {r['idle_rss_mib']:,.0f} | {r['peak_rss_mib']:,.0f} "
                f"| {', '.join(map(str, r['check_status']))} "
                f"| {r['other_cpu_share_max']:.0%} |"
            )
    return "\n".join(rows)


def efficiency_table(report: dict[str, Any]) -> str:
    """Requests per CPU-second of the server: less sensitive than req/s to how many cores a
    server can use, and to what else runs on the machine."""
    measured: dict[str, Any] = report["targets"]
    base = measured.get(BASELINE)

    def fig(entry: dict[str, Any] | None, key: str) -> float | None:
        if entry is None or key not in entry["scenarios"]:
            return None
        value: float | None = entry["scenarios"][key]["rps_per_cpu_s"]
        return value

    def cores(entry: dict[str, Any]) -> str:
        runs = [r for s in entry["scenarios"].values() for r in s["samples"]]
        return f"{statistics.median(r['server_cpu_s'] / r['duration_s'] for r in runs):.2f}"

    rows = [
        "| target | GET req per server CPU-s | PUT req per server CPU-s "
        "| cores the server kept busy (median) |",
        "|---|---|---|---|",
    ]
    for entry in measured.values():
        rows.append(
            f"| {entry['label']} "
            f"| {_cell(fig(entry, 'get'), fig(base, 'get'), ',.0f')} "
            f"| {_cell(fig(entry, 'put'), fig(base, 'put'), ',.0f')} "
            f"| {cores(entry)} |"
        )
    return "\n".join(rows)


def startup_table(report: dict[str, Any]) -> str:
    rows = ["| target | median (s) | samples (s) |", "|---|---|---|"]
    for entry in report["targets"].values():
        samples = ", ".join(f"{x:.2f}" for x in entry["startup_samples_s"])
        rows.append(f"| {entry['label']} | {entry['startup_s']:.2f} | {samples} |")
    return "\n".join(rows)


def markdown(report: dict[str, Any]) -> str:
    a = report["settings"]
    threads = f"{a['threads']} wrk threads" if a["load_generator"] == "wrk" else "one process"
    retried = (
        f"A measurement during which other processes took over {a['idle_share']:.0%} of the "
        f"CPU was repeated (up to {a['noisy_retries']} times) and the quietest attempt kept. "
        if a["noisy_retries"]
        else ""
    )
    lines = [
        f"# tagfake benchmark, {report['started_utc']}",
        "",
        f"Load: {a['load_generator']}, {a['duration_s']} s per scenario after a "
        f"{WARMUP_S} s warm-up, {a['connections']} connections, {threads}, "
        f"{a['repeat']} round(s), each on a fresh server process (req/s: median of the rounds; "
        f"peak RSS: the highest; errors: the sum). {retried}Ratios are target / tagfake "
        f"(validation report): above 1{TIMES} means more req/s, "
        "but also a slower start-up and more memory.",
        "",
        summary_table(report),
        "",
        "## Per scenario",
        "",
        detail_table(report),
        "",
        "## Requests per CPU-second of the server",
        "",
        efficiency_table(report),
        "",
        "## Start-up: spawn to first 200, polled every 10 ms",
        "",
        startup_table(report),
        "",
        "## Machine and versions",
        "",
    ]
    lines += [f"- {k}: {v}" for k, v in report["machine"].items()]
    lines += [f"- {k}: {v}" for k, v in report["versions"].items()]
    if report["not_measured"]:
        lines += ["", "## Not measured", ""]
        lines += [f"- {k}: {v}" for k, v in report["not_measured"].items()]
    if report["notes"]:
        lines += ["", "## Notes", ""]
        lines += [f"- {n}" for n in report["notes"]]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="bench/run.py",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--duration", type=int, default=10, help="seconds of load per scenario")
    p.add_argument("--quick", action="store_true", help="2 s per scenario, one startup sample")
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--threads", type=int, default=2, help="wrk threads")
    p.add_argument(
        "--targets",
        default=",".join(TARGETS),
        help=f"comma-separated, from {','.join(TARGETS)} (default: all)",
    )
    p.add_argument(
        "--scenarios", default=",".join(SCENARIOS), help="comma-separated: get,put (default)"
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
        f"use under {IDLE_SHARE:.0%} of the CPU (default 60; 0: don't; --quick: 0)",
    )
    p.add_argument(
        "--noisy-retries",
        type=int,
        default=2,
        help="measure again (at most this often) when other processes took more than "
        f"{IDLE_SHARE:.0%} of the CPU during a measurement; the quietest attempt is kept "
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
        stubbed = [t for t in targets if TARGETS[t].kind in {"wiremock", "mockserver"}]
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
            "warmup_s": WARMUP_S,
            "connections": args.connections,
            "threads": args.threads,
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
        RESULTS_DIR.mkdir(exist_ok=True)
        stem = started.strftime("%Y-%m-%d") + ("-quick" if args.quick else "")
        (RESULTS_DIR / f"{stem}.json").write_text(json.dumps(report, indent=2) + "\n")
        (RESULTS_DIR / f"{stem}.md").write_text(text)
        print(f"wrote bench/results/{stem}.json and .md")
    if not measured:
        return 3
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
