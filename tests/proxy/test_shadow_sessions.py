"""`--shadow` against an identical upstream: seeded random sessions (valid and invalid
requests, known and unknown ids, other tenants' and wrong credentials) through the proxy, and
not one difference between the upstream's answers and the shadow's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from .helpers import Upstream, running_proxy
from .sessions import commbox_session, healvi_session, nexor_session, sender, zapini_session

BASE = {"zapini": "/api/v1", "nexor": "/api/public", "healvi": "/third-party/v1", "commbox": ""}


@pytest.mark.parametrize(
    ("vendor", "session", "steps"),
    [
        ("zapini", zapini_session, 500),
        ("nexor", nexor_session, 500),
        ("healvi", healvi_session, 250),
        ("commbox", commbox_session, 250),
    ],
)
def test_identical_upstream_shows_no_difference_over_a_session(
    fresh_upstream: Upstream, tmp_path: Path, vendor: str, session: Any, steps: int
) -> None:
    # Both worlds start from the default fixtures; the ids either creates differ: UUIDs by
    # other seeds, integer ids because the upstream's counters run ahead (test-only, below).
    store = fresh_upstream.runtime.store
    store.bump_int(vendor, "tag", 5000)
    store.bump_int(vendor, "group", 7000)
    with (
        running_proxy(vendor, fresh_upstream.url(vendor), tmp_path, shadow=True) as proxy,
        httpx.Client(timeout=10) as client,
    ):
        sent = session(sender(client, proxy.url + BASE[vendor], vendor), steps, seed=20261201)
        assert proxy.session is not None and proxy.session.shadow is not None
        paired = dict(proxy.session.shadow.ids.to_shadow)
    report = json.loads((tmp_path / "report" / "report.json").read_text())

    counts = report["counts"]
    assert counts["requests"] == sent >= steps
    assert counts["different"] == 0, json.dumps(report["differences"][:3], indent=1)[:3000]
    # Every answer was compared; the session did change things, and its new ids were mapped.
    assert len(paired) > 5 and all(u != s for u, s in paired.items())
    assert counts["compared"] == counts["requests"]
    entries = fresh_upstream.admin("GET", "/journal").json()["entries"]
    assert len([e for e in entries if e["method"] != "GET" and e["status"] < 300]) > 10
