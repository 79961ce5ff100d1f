"""The mock servers tagfake is compared with: pinned npm packages in bench/.peers, and the
stubs WireMock and MockServer replay (tagfake's own recorded answers)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from bench import PEERS_DIR


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


def peer_dir(name: str) -> Path:
    return PEERS_DIR / "node_modules" / PEERS[name].npm


def installed_peer_version(name: str) -> str | None:
    try:
        data = json.loads((peer_dir(name) / "package.json").read_text())
    except (OSError, ValueError):
        return None
    version = data.get("version")
    return version if isinstance(version, str) else None
