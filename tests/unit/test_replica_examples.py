"""examples/replicas: the compose file and the Kubernetes manifest parse, and say what a user
relies on: Redis with an append-only file, two or more tagfake replicas on it (the store URL
naming that Redis), a balancer or Service in front that checks the health, and the settings
names tagfake really reads. (No container engine or cluster here: the topology itself is run
by tests/process/test_redis_behind_haproxy.py.)"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import yaml

from tagfake.settings import Settings
from tagfake.state.engines import parse_store_url

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "replicas"
SETTINGS = {f"TAGFAKE_{f.name.upper()}" for f in dataclasses.fields(Settings)}


def load(name: str) -> list[Any]:
    return list(yaml.safe_load_all((EXAMPLES / name).read_text()))


def settings_env(env: dict[str, str]) -> Settings:
    unknown = {k for k in env if k.startswith("TAGFAKE_")} - SETTINGS
    assert not unknown, f"tagfake reads no {unknown}"
    return Settings.from_env(env)


def test_compose_runs_two_replicas_on_one_redis_behind_haproxy() -> None:
    [doc] = load("compose.yaml")
    services = doc["services"]
    redis = services["redis"]
    assert "--appendonly" in redis["command"]
    assert redis["healthcheck"]["test"][-1] == "ping"
    replicas = {name: s for name, s in services.items() if name.startswith("tagfake-")}
    assert len(replicas) >= 2
    for service in replicas.values():
        assert service["build"]["context"] == "../.."
        assert (EXAMPLES / service["build"]["context"] / "Dockerfile").is_file()
        settings = settings_env(service["environment"])
        url = parse_store_url(settings.store)
        assert (url.scheme, url.target) == ("redis", "//redis:6379/0")
        assert service["depends_on"]["redis"]["condition"] == "service_healthy"
    lb = services["lb"]
    config = lb["volumes"][0].split(":")[0]
    assert (EXAMPLES / config).is_file()
    targets = {v.split(":")[0] for k, v in lb["environment"].items() if k.startswith("REPLICA_")}
    assert targets == set(replicas)
    assert lb["ports"] == ["127.0.0.1:8080:8080"]
    assert "redis-data" in doc["volumes"]


def test_haproxy_config_balances_over_the_replicas_and_checks_their_health() -> None:
    text = (EXAMPLES / "haproxy.cfg").read_text()
    assert "option httpchk GET /__admin/health" in text
    assert 'server replica-1 "${REPLICA_1}" check' in text
    assert 'server replica-2 "${REPLICA_2}" check' in text
    assert "balance roundrobin" in text


def by_kind(docs: list[Any], kind: str) -> dict[str, Any]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def test_kubernetes_manifest_runs_replicas_on_redis_behind_a_service() -> None:
    docs = load("kubernetes.yaml")
    assert all({"apiVersion", "kind", "metadata", "spec"} <= set(d) for d in docs)
    deployments = by_kind(docs, "Deployment")
    services = by_kind(docs, "Service")
    redis = deployments["tagfake-redis"]
    [redis_container] = redis["spec"]["template"]["spec"]["containers"]
    assert "--appendonly" in redis_container["args"]
    tagfake = deployments["tagfake"]
    assert tagfake["spec"]["replicas"] >= 2
    pod = tagfake["spec"]["template"]
    assert tagfake["spec"]["selector"]["matchLabels"].items() <= pod["metadata"]["labels"].items()
    # A Service named tagfake would otherwise inject TAGFAKE_PORT=tcp://... into the pod.
    assert pod["spec"]["enableServiceLinks"] is False
    [container] = pod["spec"]["containers"]
    settings = settings_env({e["name"]: e["value"] for e in container["env"]})
    url = parse_store_url(settings.store)
    assert url.scheme == "redis"
    assert url.target.split("/")[2].split(":") == ["tagfake-redis", "6379"]
    probe = container["readinessProbe"]["httpGet"]
    assert (probe["path"], probe["port"]) == ("/__admin/health", 8080)
    assert container["ports"][0]["containerPort"] == 8080
    for name, deployment in (("tagfake", tagfake), ("tagfake-redis", redis)):
        service = services[name]
        assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    assert services["tagfake-redis"]["spec"]["ports"][0]["port"] == 6379
