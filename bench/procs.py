"""Server processes: spawning (optionally on chosen cores), probing, CPU and memory from /proc."""

from __future__ import annotations

import contextlib
import http.client
import os
import resource
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

STARTUP_TIMEOUT_S = 120.0
POLL_INTERVAL_S = 0.010
WARMUP_S = 1
STOP_TIMEOUT_S = 15.0
IDLE_SHARE = 0.25  # the rest of the machine counts as idle below a quarter of its cores


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


def child_env() -> dict[str, str]:
    """The servers run with their defaults: no TAGFAKE_* or JVM option overrides leak in."""
    skip = ("TAGFAKE_", "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS")
    return {k: v for k, v in os.environ.items() if not k.startswith(skip)}


def on_cpus(cpus: frozenset[int] | None) -> Callable[[], None] | None:
    """A preexec_fn that pins the child (and every thread it starts) to `cpus` before exec."""
    if cpus is None:
        return None
    return lambda: os.sched_setaffinity(0, cpus)


def spawn(
    argv: list[str],
    log: Path,
    port: int,
    cwd: Path,
    cpus: frozenset[int] | None = None,
    env: dict[str, str] | None = None,
) -> Server:
    handle = log.open("wb")
    try:
        spawned_at = time.perf_counter()
        proc = subprocess.Popen(
            argv,
            cwd=cwd,  # a temporary folder: MockServer writes its CA files where it runs
            env={**child_env(), **(env or {})},
            preexec_fn=on_cpus(cpus),  # noqa: PLW1509 (the bench starts no threads)
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C on the bench reaches us, and we stop the server
        )
    finally:
        handle.close()
    return Server(proc, port, log, spawned_at)


def serve_zapini(args: list[str], log: Path, token: str) -> Server:
    """`tagfake serve` with Zapini alone and `args`, once `GET /tags` answers 200 (the store
    benches' servers; `stop` ends it). The bench exits when it never answers."""
    port = free_port()
    argv = [sys.executable, "-m", "tagfake.cli", "serve", "--port", str(port), *args]
    server = spawn(argv, log, port, cwd=log.parent, env={"TAGFAKE_VENDORS": "zapini"})
    if wait_first_200(server, "/zapini/api/v1/tags", {"Authorization": token}) is None:
        stop(server)
        raise SystemExit(f"tagfake serve {' '.join(args)}: no answer (log: {log})")
    return server


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
