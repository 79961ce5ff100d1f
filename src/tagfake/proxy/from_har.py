"""`tagfake fixtures from-har FILE`: a `tagfake proxy --record` HAR as a fixture scenario."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from tagfake.proxy.har import read_har
from tagfake.proxy.world import Exchange, World


class HarError(ValueError):
    pass


def _body(part: dict[str, Any] | None) -> Any:
    if not part:
        return None
    text = part.get("text")
    if not text or part.get("encoding") == "base64":
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def exchanges(doc: dict[str, Any]) -> list[tuple[str, str | None, Exchange]]:
    """(vendor, tenant fingerprint, exchange) of every entry the proxy recorded."""
    out = []
    for entry in doc.get("log", {}).get("entries", []):
        meta = entry.get("_tagfake")
        if not isinstance(meta, dict) or not meta.get("operation_id"):
            continue
        request, response = entry["request"], entry["response"]
        url = str(request.get("url", ""))
        out.append(
            (
                str(meta["vendor"]),
                meta.get("tenant"),
                Exchange(
                    operation_id=str(meta["operation_id"]),
                    method=str(request.get("method", "GET")).upper(),
                    path_params={k: str(v) for k, v in (meta.get("path_params") or {}).items()},
                    query=url.split("?", 1)[1] if "?" in url else "",
                    request=_body(request.get("postData")),
                    status=int(response.get("status", 0)),
                    answer=_body(response.get("content")),
                ),
            )
        )
    return out


def fixture_from_har(
    path: Path, credentials: dict[str, str] | None = None
) -> tuple[str, dict[str, Any]]:
    """The vendor, and a fixture document: one tenant per credential seen (tenant-1, …)."""
    try:
        doc = read_har(path)
    except (OSError, ValueError) as exc:
        raise HarError(f"{path}: not a readable HAR file ({exc})") from None
    found = exchanges(doc)
    if not found:
        raise HarError(f"{path}: no exchange recorded by tagfake proxy (no _tagfake entries)")
    vendors = {v for v, _, _ in found}
    if len(vendors) != 1:
        raise HarError(f"{path}: exchanges of several vendors ({', '.join(sorted(vendors))})")
    vendor = vendors.pop()
    world = World(vendor)
    names: dict[str, str] = {}
    for _, fingerprint, ex in found:
        if fingerprint is None:
            continue
        name = names.setdefault(fingerprint, f"tenant-{len(names) + 1}")
        world.observe(name, ex)
    if not world.tenants:
        raise HarError(f"{path}: no successful exchange with a credential")
    given = credentials or {}
    tenants = {}
    for fingerprint, first in names.items():
        if first not in world.tenants:
            continue  # a credential the upstream never accepted
        name = world.named(first)
        digest = fingerprint.rsplit(":", 1)[-1].rstrip(">")
        credential = given.get(name, given.get(first, f"har-{name}-{digest}"))
        tenants[name] = world.tenant_fixture(name, [credential])
    return vendor, {
        "vendor": vendor,
        "description": f"made by `tagfake fixtures from-har` from {path.name}",
        "tenants": tenants,
    }


def write_fixture(vendor: str, doc: dict[str, Any]) -> str:
    head = (
        f"# {vendor} fixture made from a recording by `tagfake fixtures from-har`.\n"
        "# Credentials were redacted in the recording: each tenant has a placeholder credential\n"
        "# (send it instead of the real one, or give --credential TENANT=VALUE).\n"
    )
    return head + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
