"""In-memory store: one re-entrant lock makes every transaction atomic within the process."""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tagfake.state.model import Namespace

SNAPSHOT_FORMAT = "tagfake-state/1"


class MemoryStore:
    blocking = False

    def __init__(self, seed: int | None = None) -> None:
        self._lock = threading.RLock()
        self._spaces: dict[tuple[str, str], Namespace] = {}
        self._creds: dict[tuple[str, str], str] = {}  # (vendor, credential) -> tenant
        self._counters: dict[str, int] = {}
        self._rng = random.Random(seed)
        self._revision = 0

    @contextmanager
    def transaction(self, vendor: str, tenant: str) -> Iterator[Namespace]:
        with self._lock:
            space = self._spaces.setdefault((vendor, tenant), Namespace())
            try:
                yield space
            finally:
                self._revision += 1

    @contextmanager
    def read(self, vendor: str, tenant: str) -> Iterator[Namespace]:
        with self._lock:
            yield self._spaces.get((vendor, tenant)) or Namespace()

    def tenant_of(self, vendor: str, credential: str) -> str | None:
        return self._creds.get((vendor, credential))

    def tenants(self, vendor: str) -> list[str]:
        with self._lock:
            return sorted({t for (v, t) in self._spaces if v == vendor})

    def credentials(self, vendor: str, tenant: str) -> list[str]:
        with self._lock:
            return [c for (v, c), t in self._creds.items() if v == vendor and t == tenant]

    def put_tenant(
        self, vendor: str, tenant: str, namespace: Namespace, credentials: list[str]
    ) -> None:
        with self._lock:
            for cred in credentials:
                owner = self._creds.get((vendor, cred))
                if owner is not None and owner != tenant:
                    raise ValueError(f"{vendor}: credential already belongs to tenant {owner!r}")
            self._forget_credentials(vendor, tenant)
            self._spaces[(vendor, tenant)] = namespace
            for cred in credentials:
                self._creds[(vendor, cred)] = tenant
            self._revision += 1

    def drop(self, vendor: str | None = None, tenant: str | None = None) -> None:
        with self._lock:
            doomed = [
                key
                for key in self._spaces
                if (vendor is None or key[0] == vendor) and (tenant is None or key[1] == tenant)
            ]
            for v, t in doomed:
                del self._spaces[(v, t)]
                self._forget_credentials(v, t)
            if vendor is None and tenant is None:
                self._creds.clear()
                self._counters.clear()
            self._revision += 1

    def _forget_credentials(self, vendor: str, tenant: str) -> None:
        for key in [k for k, t in self._creds.items() if k[0] == vendor and t == tenant]:
            del self._creds[key]

    def next_int(self, vendor: str, kind: str) -> int:
        with self._lock:
            name = f"{vendor}:{kind}"
            self._counters[name] = self._counters.get(name, 0) + 1
            return self._counters[name]

    def bump_int(self, vendor: str, kind: str, at_least: int) -> None:
        with self._lock:
            name = f"{vendor}:{kind}"
            self._counters[name] = max(self._counters.get(name, 0), at_least)

    def new_uuid(self) -> str:
        with self._lock:
            return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def reseed(self, seed: int | None) -> None:
        with self._lock:
            self._rng = random.Random(seed)

    @property
    def revision(self) -> int:
        return self._revision

    def iter_namespaces(self) -> Iterator[tuple[str, str]]:
        with self._lock:
            keys = sorted(self._spaces)
        yield from keys

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "format": SNAPSHOT_FORMAT,
                "revision": self._revision,
                "counters": dict(self._counters),
                "rng": _encode_rng(self._rng),
                "namespaces": [
                    {
                        "vendor": v,
                        "tenant": t,
                        "credentials": self.credentials(v, t),
                        "data": space.to_dict(),
                    }
                    for (v, t), space in sorted(self._spaces.items())
                ],
            }

    def restore(self, doc: dict[str, Any]) -> None:
        if doc.get("format") != SNAPSHOT_FORMAT:
            raise ValueError(f"not a {SNAPSHOT_FORMAT} snapshot (format={doc.get('format')!r})")
        spaces = {
            (str(n["vendor"]), str(n["tenant"])): Namespace.from_dict(n["data"])
            for n in doc["namespaces"]
        }
        creds = {
            (str(n["vendor"]), str(c)): str(n["tenant"])
            for n in doc["namespaces"]
            for c in n["credentials"]
        }
        with self._lock:
            self._spaces = spaces
            self._creds = creds
            self._counters = {str(k): int(v) for k, v in doc["counters"].items()}
            self._rng = _decode_rng(doc.get("rng"))
            self._revision += 1


def _encode_rng(rng: random.Random) -> list[Any]:
    version, state, gauss = rng.getstate()
    return [version, list(state), gauss]


def _decode_rng(doc: Any) -> random.Random:
    rng = random.Random()
    if doc:
        version, state, gauss = doc
        rng.setstate((version, tuple(state), gauss))
    return rng
