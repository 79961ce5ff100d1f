"""`--log-format json` / `TAGFAKE_LOG_FORMAT=json`: stdout is one JSON object a line, one per
request (time, method, path, status, duration_ms, vendor when known), after a JSON banner."""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from datetime import datetime
from typing import Any

import httpx
import pytest

from tagfake.pipeline.access_log import AccessLog
from tagfake.pipeline.http import Message, Receive, Scope, Send

BANNER = re.compile(r"tagfake serving .* at (http://127\.0\.0\.1:\d+)")
AUTH = {"Authorization": "Bearer sk_acme_4f9d2c7b1e8a6035d2b9c4e7f1a8d3b6"}


@pytest.mark.process
def test_one_json_line_per_request_on_stdout() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAGFAKE_")}
    env.update(TAGFAKE_VENDORS="zapini", TAGFAKE_LOG_FORMAT="json")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tagfake.cli", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        found = BANNER.search(first)
        assert found, first
        url = found.group(1)
        deadline = time.monotonic() + 10
        while True:  # the banner comes just before uvicorn listens
            try:
                httpx.get(url + "/", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline
                time.sleep(0.02)
        sent = [
            ("GET", "/zapini/api/v1/tags", AUTH, 200),
            ("GET", "/zapini/api/v1/tags", {}, 401),
            ("GET", "/zapini/api/v1/nowhere", AUTH, 404),
            ("GET", "/", {}, 200),
        ]
        with httpx.Client(base_url=url, timeout=5) as http:
            for method, path, headers, status in sent:
                assert http.request(method, path, headers=headers).status_code == status
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=10)
    assert proc.returncode == 0, err

    start = json.loads(first)
    assert start["event"] == "start"
    assert start["url"] == url
    assert start["vendors"] == {"zapini": f"{url}/zapini/api/v1"}

    lines = [json.loads(line) for line in out.splitlines()]  # every stdout line is JSON
    requests = [line for line in lines if "method" in line]
    assert len(requests) == len(lines)
    # The readiness probes hit "/" too: the last len(sent) lines are ours, in order.
    ours = requests[-len(sent) :]
    for line, (method, path, _, status) in zip(ours, sent, strict=True):
        assert (line["method"], line["path"], line["status"]) == (method, path, status)
        assert isinstance(line["duration_ms"], float | int) and 0 <= line["duration_ms"] < 5000
        assert datetime.fromisoformat(line["time"].replace("Z", "+00:00")).tzinfo is not None
        if path.startswith("/zapini/"):
            assert line["vendor"] == "zapini"
        else:
            assert "vendor" not in line
    # Log records (stderr) are JSON too.
    records = [json.loads(line) for line in err.splitlines() if line.strip()]
    assert any(r["message"] == "tagfake stopped" for r in records)


def run(app: Any, path: str) -> tuple[dict[str, Any], BaseException | None]:
    out = io.StringIO()
    mounts = {"/zapini/api/v1": "zapini", "/nexor/api/public": "nexor", "/nexor": "other"}
    logged = AccessLog(app, mounts, stream=out)

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        return None

    scope: Scope = {"type": "http", "method": "POST", "path": path, "headers": []}
    error: BaseException | None = None
    try:
        asyncio.run(logged(scope, receive, send))
    except Exception as exc:
        error = exc
    line: dict[str, Any] = json.loads(out.getvalue())
    return line, error


async def answers_201(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 201, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


async def crashes(scope: Scope, receive: Receive, send: Send) -> None:
    raise RuntimeError("boom")


async def never_answers(scope: Scope, receive: Receive, send: Send) -> None:
    return None


def test_vendor_is_the_longest_matching_mount() -> None:
    assert run(answers_201, "/nexor/api/public/tags")[0]["vendor"] == "nexor"
    assert run(answers_201, "/nexor/else")[0]["vendor"] == "other"
    assert run(answers_201, "/zapini/api/v1")[0]["vendor"] == "zapini"
    assert "vendor" not in run(answers_201, "/zapini/api/v10/tags")[0]
    assert "vendor" not in run(answers_201, "/__admin/health")[0]


def test_a_crash_is_logged_as_500_and_raised_on() -> None:
    line, error = run(crashes, "/zapini/api/v1/tags")
    assert isinstance(error, RuntimeError)
    assert (line["method"], line["status"], line["vendor"]) == ("POST", 500, "zapini")


def test_no_answer_is_logged_as_499() -> None:
    line, error = run(never_answers, "/x")
    assert error is None
    assert line["status"] == 499
