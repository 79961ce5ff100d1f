"""The machine and the versions a run measured, recorded with its results."""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import importlib.util
import os
import platform
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import ROOT
from bench.peers import PEERS, installed_peer_version
from bench.targets import TARGETS


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
