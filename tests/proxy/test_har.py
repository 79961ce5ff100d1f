"""`--record` and `tagfake fixtures from-har`: a recording becomes a fixture scenario that a
fresh tagfake loads (`--fixtures` or `/__admin/seed`) and that answers the recorded reads as
they were recorded."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tagfake.cli import main
from tagfake.proxy.compare import normalise
from tagfake.proxy.from_har import HarError, fixture_from_har
from tagfake.proxy.har import read_har
from tagfake.settings import Settings
from tagfake.testing.server import ThreadedServer

from .helpers import MOUNTS, NEXOR_KEY, ZAPINI_TOKEN, Upstream, running_proxy
from .sessions import Send, nexor_session, sender, zapini_session

HEALVI_TOKEN = "healvi-acme-token"
COMMBOX_TOKEN = "commbox-acme-token"


def zapini_script(send: Send) -> None:
    zapini_session(send, 120, seed=3, aliases=False)
    tags = send("GET", "/tags", ZAPINI_TOKEN).json()["data"]["tags"]
    for t in tags[:3]:
        send("GET", f"/tags/{t['id']}", ZAPINI_TOKEN)
    for c in ("45", "46", "47"):
        send("GET", f"/conversations/550e8400-e29b-41d4-a716-4466554400{c}", ZAPINI_TOKEN)


def nexor_script(send: Send) -> None:
    nexor_session(send, 120, seed=3)
    send("GET", "/tags", NEXOR_KEY)
    for lead in ("123e4567-e89b-12d3-a456-426614174000", "8fc3ed12-e560-4acf-bf24-dabea9c19c36"):
        send("GET", f"/leads/{lead}", NEXOR_KEY)
        send("GET", f"/leads/{lead}/tags", NEXOR_KEY)


def healvi_script(send: Send) -> None:
    send("POST", "/profiles/101/tags", HEALVI_TOKEN, {"tags": [{"id": 1}, {"title": "Fresh"}]})
    send("POST", "/profiles/102/tags", HEALVI_TOKEN, {"tags": [{"id": 2}]})
    send("GET", "/profiles/101", HEALVI_TOKEN)
    send("GET", "/profiles/102", HEALVI_TOKEN)


def commbox_script(send: Send) -> None:
    send("POST", "/tags", COMMBOX_TOKEN, {"data": {"Name": "Recorded", "Type": 2}})
    send("POST", "/streams/17566/objects/372235/tags/2790", COMMBOX_TOKEN)
    send("DELETE", "/streams/17566/objects/372235/tags/40", COMMBOX_TOKEN)
    send("GET", "/tags/groups", COMMBOX_TOKEN)
    send("GET", "/tags", COMMBOX_TOKEN)


SCRIPTS: dict[str, Callable[[Send], None]] = {
    "zapini": zapini_script,
    "nexor": nexor_script,
    "healvi": healvi_script,
    "commbox": commbox_script,
}
BASE = {"zapini": "/api/v1", "nexor": "/api/public", "healvi": "/third-party/v1", "commbox": ""}


def final_reads(har: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The GETs after the recording's last change, last one per URL (with its credential)."""
    entries = har["log"]["entries"]
    last_write = max(i for i, e in enumerate(entries) if e["request"]["method"] != "GET")
    reads: dict[str, dict[str, Any]] = {}
    for e in entries[last_write + 1 :]:
        if e["request"]["method"] == "GET" and e["response"]["status"] < 300:
            reads[e["_tagfake"]["path"] + e["request"]["url"].partition("?")[1]] = e
    return reads


def credential_header(vendor: str, credential: str) -> dict[str, str]:
    return (
        {"X-API-Key": credential}
        if vendor == "nexor"
        else {"Authorization": f"Bearer {credential}"}
    )


@pytest.mark.parametrize("vendor", list(SCRIPTS))
def test_recording_becomes_a_fixture_that_answers_the_recorded_reads(
    fresh_upstream: Upstream, tmp_path: Path, vendor: str
) -> None:
    with (
        running_proxy(
            vendor, fresh_upstream.url(vendor), tmp_path, record_dir=tmp_path / "rec"
        ) as proxy,
        httpx.Client(timeout=10) as client,
    ):
        SCRIPTS[vendor](sender(client, proxy.url + BASE[vendor], vendor))
    [recording] = (tmp_path / "rec").glob(f"{vendor}-*.har")
    har = read_har(recording)
    reads = final_reads(har)
    assert reads

    out = tmp_path / "fixtures"
    assert main(["fixtures", "from-har", str(recording), "--out", str(out)]) == 0
    doc = yaml.safe_load((out / vendor / "default.yaml").read_text())
    [tenant] = doc["tenants"]  # wrong or missing credentials make no tenant
    credential = doc["tenants"][tenant]["credentials"][0]
    assert credential.startswith(f"har-{tenant}-")  # a placeholder: the real one was redacted

    # A fresh tagfake on the scenario, serving only this vendor at its own base path.
    settings = Settings(vendors=(vendor,), single_vendor=True, fixtures_dir=out, seed=1)
    with ThreadedServer(settings) as fresh, httpx.Client(timeout=10) as client:
        for path, recorded in reads.items():
            again = client.get(
                f"{fresh.url}{BASE[vendor]}{path}", headers=credential_header(vendor, credential)
            )
            expected = json.loads(recorded["response"]["content"]["text"])
            assert again.status_code == recorded["response"]["status"], path
            assert normalise(again.json(), False) == normalise(expected, False), path


def test_the_scenario_loads_through_admin_seed(fresh_upstream: Upstream, tmp_path: Path) -> None:
    with running_proxy(
        "zapini", fresh_upstream.url("zapini"), tmp_path, record_dir=tmp_path / "rec"
    ) as proxy:
        httpx.get(
            f"{proxy.url}/api/v1/conversations/550e8400-e29b-41d4-a716-446655440046",
            headers={"Authorization": f"Bearer {ZAPINI_TOKEN}"},
        )
    [recording] = (tmp_path / "rec").glob("*.har")
    vendor, doc = fixture_from_har(recording, {"tenant-1": "my-own-token"})

    with ThreadedServer(Settings(seed=1)) as fresh:
        seeded = httpx.post(f"{fresh.url}/__admin/seed", json={"vendor": vendor, "document": doc})
        got = httpx.get(
            f"{fresh.url}{MOUNTS['zapini']}/conversations/550e8400-e29b-41d4-a716-446655440046",
            headers={"Authorization": "Bearer my-own-token"},
        )
    assert seeded.status_code == 200, seeded.text
    assert got.status_code == 200
    assert {t["name"] for t in got.json()["data"]["conversation"]["tags"]} == {"VIP", "Follow-up"}


def test_recording_is_redacted_and_survives_being_cut_short(
    fresh_upstream: Upstream, tmp_path: Path
) -> None:
    with running_proxy(
        "nexor", fresh_upstream.url("nexor"), tmp_path, record_dir=tmp_path / "rec"
    ) as proxy:
        httpx.get(f"{proxy.url}/api/public/tags", headers={"X-API-Key": NEXOR_KEY})
        httpx.get(
            f"{proxy.url}/api/public/tags",
            headers={"X-API-Key": "nxr_live_globex_7c1e4b9a2f6d8e30"},
        )
        [recording] = (tmp_path / "rec").glob("*.har")
        # While recording (as after a crash) the file lacks its end, and still reads. (An
        # exchange is written once its answer is sent: the last one may lag an instant.)
        deadline = time.monotonic() + 5
        while len((cut_short := read_har(recording))["log"]["entries"]) < 2:
            assert time.monotonic() < deadline
            time.sleep(0.01)
    text = recording.read_text()
    entries = json.loads(text)["log"]["entries"]

    assert len(cut_short["log"]["entries"]) == 2
    assert NEXOR_KEY not in text and "globex_7c1e" not in text
    keys = [
        next(h["value"] for h in e["request"]["headers"] if h["name"] == "x-api-key")
        for e in entries
    ]
    assert all(k.startswith("<redacted:") for k in keys)
    assert keys[0] != keys[1]  # two credentials, told apart without being shown
    assert entries[0]["_tagfake"]["operation_id"] == "listTags"


def test_from_har_refuses_what_is_not_a_recording(tmp_path: Path) -> None:
    bad = tmp_path / "x.har"
    bad.write_text("not json")
    with pytest.raises(HarError, match="not a readable HAR"):
        fixture_from_har(bad)
    bad.write_text('{"log": {"entries": []}}')
    with pytest.raises(HarError, match="no exchange"):
        fixture_from_har(bad)
    assert main(["fixtures", "from-har", str(bad)]) == 2
