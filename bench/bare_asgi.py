"""The bare-ASGI limit: the least an ASGI app can do to answer the benchmark's requests.

It answers each scenario's method and path with the bytes tagfake answered (recorded once per
run, read from the JSON file named by BENCH_BARE_ANSWERS), reading the whole request body first.
No routing table, no parsing, no state: what the HTTP server alone costs per request, so each
report can show what share of it tagfake keeps.

    BENCH_BARE_ANSWERS=answers.json python -m uvicorn bench.bare_asgi:app
    BENCH_BARE_ANSWERS=answers.json granian --interface asgi bench.bare_asgi:app
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from tagfake.pipeline.http import answer_lifespan

Message = MutableMapping[str, Any]

ANSWERS_ENV = "BENCH_BARE_ANSWERS"
NOT_FOUND = (404, [(b"content-type", b"text/plain"), (b"content-length", b"9")], b"not found")


def _load() -> dict[tuple[str, str], tuple[int, list[tuple[bytes, bytes]], bytes]]:
    path = os.environ.get(ANSWERS_ENV)
    answers: dict[tuple[str, str], tuple[int, list[tuple[bytes, bytes]], bytes]] = {}
    if not path:
        return answers
    with open(path, encoding="utf-8") as fh:
        for entry in json.load(fh):
            body = entry["body"].encode("utf-8")
            headers = [
                (b"content-type", entry["content_type"].encode("latin-1")),
                (b"content-length", str(len(body)).encode()),
            ]
            answers[(entry["method"], entry["path"])] = (entry["status"], headers, body)
    return answers


ANSWERS = _load()


async def app(
    scope: MutableMapping[str, Any],
    receive: Callable[[], Awaitable[Message]],
    send: Callable[[Message], Awaitable[None]],
) -> None:
    if scope["type"] == "lifespan":
        await answer_lifespan(receive, send)
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    status, headers, body = ANSWERS.get((scope["method"], scope["path"]), NOT_FOUND)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
