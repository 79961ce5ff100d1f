"""With `--state-file`, hostile input leaves the file writable: after a lone surrogate, a media
type in odd spelling, a duplicate credential and an out-of-range clock, an acknowledged write
still reaches the file and SIGTERM exits 0."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from tests.process.test_state_file import AUTH, TAGS, Server

pytestmark = pytest.mark.process


def test_hostile_requests_leave_the_state_file_writing(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    server = Server("--state-file", str(state))
    try:
        with server.client() as http:
            bad = http.post(
                TAGS,
                content=b'{"name":"a\\udfffb","color":"#000000"}',
                headers={"Content-Type": "application/json"},
            )
            assert bad.status_code == 400, bad.text
            dup = httpx.get(
                server.url + TAGS,
                headers=[("Authorization", AUTH["Authorization"])] * 2,
            )
            assert dup.status_code == 401
            clock = httpx.post(server.url + "/__admin/clock", json={"at": "9999-12-31T23:59:59Z"})
            assert clock.status_code == 200
            late = httpx.post(server.url + "/__admin/clock", json={"advance_seconds": 86400})
            assert late.status_code == 422
            ok = http.post(
                TAGS,
                content=json.dumps({"name": "Kept", "color": "#112233"}).encode(),
                headers={"Content-Type": "Application/JSON ; charset=UTF-8"},
            )
            assert ok.status_code == 201, ok.text
            kept = ok.json()["data"]["tag"]["id"]
        deadline = time.monotonic() + 5
        while kept not in state.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        code, _ = server.terminate()
    finally:
        server.kill()
    assert code == 0, "".join(server.stderr)
    saved = state.read_text(encoding="utf-8")
    assert kept in saved and "Kept" in saved
    assert "\\udfff" not in saved
