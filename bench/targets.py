"""What is measured: tagfake, the peers and the bare-ASGI limit, and how each is started."""

from __future__ import annotations

import contextlib
import json
import shutil
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import PEERS_DIR, ROOT
from bench.bare_asgi import ANSWERS_ENV
from bench.peers import NPM_INSTALL, PEERS, installed_peer_version, peer_dir
from bench.procs import Answer, Server, free_port, log_tail, request, spawn, stop, wait_first_200
from bench.scenarios import SCENARIOS, Scenario


@dataclass(frozen=True)
class Target:
    name: str
    label: str
    kind: str  # tagfake | prism | wiremock | mockserver
    validation: str | None = None


TARGETS: dict[str, Target] = {
    "tagfake": Target("tagfake", "tagfake (validation report)", "tagfake", "report"),
    "tagfake-off": Target("tagfake-off", "tagfake (validation off)", "tagfake", "off"),
    "tagfake-granian": Target(
        "tagfake-granian", "tagfake on granian (validation report)", "tagfake-granian", "report"
    ),
    "bare-uvicorn": Target("bare-uvicorn", "bare ASGI on uvicorn (same bytes)", "bare-uvicorn"),
    "bare-granian": Target("bare-granian", "bare ASGI on granian (same bytes)", "bare-granian"),
    "prism": Target("prism", "Prism (static mock)", "prism"),
    "wiremock": Target("wiremock", "WireMock (stubs)", "wiremock"),
    "mockserver": Target("mockserver", "MockServer (expectations)", "mockserver"),
}
BASELINE = "tagfake"
TIMES = "\u00d7"  # the multiplication sign of "0.8x"


@dataclass
class Tools:
    wrk: str | None = None
    missing: dict[str, str] = field(default_factory=dict)  # target -> what to do
    notes: list[str] = field(default_factory=list)


def tagfake_bin() -> Path:
    return Path(sys.executable).parent / "tagfake"


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
        if target.kind.endswith("granian") and not (tagfake_bin().parent / "granian").exists():
            tools.missing[name] = "granian is missing: `.venv/bin/pip install -e '.[dev]'`"
            continue
        if target.kind.startswith(("tagfake", "bare-")):
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


@dataclass
class Workdir:
    root: Path
    canned: dict[str, Answer] = field(default_factory=dict)
    #: --pinned: the cores the servers run on, and those the load (and the bench) runs on.
    server_cpus: frozenset[int] | None = None
    load_cpus: frozenset[int] | None = None


def server_paths(target: Target, scenario: Scenario) -> tuple[str, str]:
    """(load path, readiness probe path) for this target."""
    if target.kind == "prism":
        return scenario.prism_path, scenario.prism_probe_path
    return scenario.path, scenario.probe_path


def command(target: Target, scenario: Scenario, port: int, work: Workdir) -> list[str]:
    if target.kind == "tagfake":
        assert target.validation is not None
        return [str(tagfake_bin()), "serve", "--port", str(port), "--validation", target.validation]
    if target.kind == "tagfake-granian":
        return granian(port, "tagfake.app:create_app", "--factory")
    if target.kind == "bare-uvicorn":
        return [
            sys.executable, "-m", "uvicorn", "bench.bare_asgi:app", "--host", "127.0.0.1",
            "--port", str(port), "--log-level", "warning", "--no-access-log",
        ]  # fmt: skip
    if target.kind == "bare-granian":
        return granian(port, "bench.bare_asgi:app")
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


def granian(port: int, app: str, *extra: str) -> list[str]:
    """One granian worker with one runtime thread, its defaults otherwise (no access log)."""
    exe = str(Path(sys.executable).parent / "granian")
    return [
        exe, "--interface", "asgi", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
        "--no-ws", "--log-level", "warning", *extra, app,
    ]  # fmt: skip


def target_env(target: Target, work: Workdir) -> dict[str, str]:
    if target.kind.startswith("bare-"):
        return {"PYTHONPATH": str(ROOT), ANSWERS_ENV: str(bare_answers(work))}
    return {}


def bare_answers(work: Workdir) -> Path:
    path = work.root / "bare-answers.json"
    if not path.exists():
        entries = [
            {"method": s.method, "path": s.path, "status": s.answer.status,
             "content_type": s.answer.content_type, "body": s.answer.body}
            for s in _stubs(work)
        ]  # fmt: skip
        path.write_text(json.dumps(entries))
    return path


@contextlib.contextmanager
def running(
    target: Target, scenario: Scenario, work: Workdir, tag: str
) -> Iterator[tuple[Server, float]]:
    port = free_port()
    log = work.root / f"{target.name}-{scenario.key}-{tag}.log"
    argv = command(target, scenario, port, work)
    server = spawn(argv, log, port, work.root, work.server_cpus, target_env(target, work))
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
    """tagfake's own answers, which the WireMock stubs, MockServer expectations and the bare-ASGI
    app replay."""
    target = TARGETS[BASELINE]
    get, put, create = SCENARIOS["get"], SCENARIOS["put"], SCENARIOS["create"]
    with running(target, get, work, "capture") as (server, _):
        work.canned["get"] = request(server.port, "GET", get.path, get.headers())
        work.canned["probe-put"] = request(server.port, "GET", put.probe_path, put.auth)
        work.canned["put"] = request(server.port, "PUT", put.path, put.headers(), put.sample_body)
        work.canned["create"] = request(
            server.port, "POST", create.path, create.headers(), create.sample_body
        )
    for key, answer in work.canned.items():
        if not 200 <= answer.status < 300:
            raise RuntimeError(f"tagfake answered {answer.status} to {key}: {answer.body[:300]}")


@dataclass(frozen=True)
class Stub:
    key: str
    method: str
    path: str
    auth: dict[str, str]
    body: str | None  # the JSON body to match; None: any body
    answer: Answer


def _stubs(work: Workdir) -> list[Stub]:
    get, put, create = SCENARIOS["get"], SCENARIOS["put"], SCENARIOS["create"]
    return [
        Stub("get", "GET", get.path, get.auth, None, work.canned["get"]),
        Stub("probe-put", "GET", put.probe_path, put.auth, None, work.canned["probe-put"]),
        Stub("put", "PUT", put.path, put.auth, put.sample_body, work.canned["put"]),
        # Every create names a new tag: the stub answers the recorded 201 to any body.
        Stub("create", "POST", create.path, create.auth, None, work.canned["create"]),
    ]


def wiremock_root(work: Workdir) -> Path:
    root = work.root / "wiremock"
    mappings = root / "mappings"
    if mappings.is_dir():
        return root
    mappings.mkdir(parents=True)
    for s in _stubs(work):
        req: dict[str, Any] = {
            "method": s.method,
            "url": s.path,
            "headers": {k: {"equalTo": v} for k, v in s.auth.items()},
        }
        if s.body is not None:
            req["bodyPatterns"] = [{"equalToJson": s.body}]
        stub = {
            "request": req,
            "response": {
                "status": s.answer.status,
                "headers": {"Content-Type": s.answer.content_type},
                "body": s.answer.body,
            },
        }
        (mappings / f"{s.key}.json").write_text(json.dumps(stub, indent=2))
    return root


def mockserver_init(work: Workdir) -> Path:
    path = work.root / "mockserver-init.json"
    if path.exists():
        return path
    expectations = []
    for s in _stubs(work):
        req: dict[str, Any] = {
            "method": s.method,
            "path": s.path,
            "headers": {k: [v] for k, v in s.auth.items()},
        }
        if s.body is not None:
            req["body"] = {"type": "JSON", "json": json.loads(s.body), "matchType": "STRICT"}
        expectations.append(
            {
                "httpRequest": req,
                "httpResponse": {
                    "statusCode": s.answer.status,
                    "headers": {"Content-Type": [s.answer.content_type]},
                    "body": s.answer.body,
                },
            }
        )
    path.write_text(json.dumps(expectations, indent=2))
    return path


# --------------------------------------------------------------------------- load
