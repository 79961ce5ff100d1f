"""`--record DIR`: every exchange through the proxy as one HAR 1.2 file, secrets redacted.

The file is written as the exchanges happen (one entry appended per exchange, constant cost);
`close()` ends the JSON. A file cut short by a crash still reads: `read_har` closes it.
Each entry carries a `_tagfake` field (HAR's custom-field convention): vendor, operationId,
path parameters and a fingerprint of the credential (a keyed hash, per recording), from which
`tagfake fixtures from-har` builds a fixture scenario."""

from __future__ import annotations

import base64
import contextlib
import json
import threading
from datetime import datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qsl

from tagfake import __version__
from tagfake.redact import Redactor

_HEAD = '{"log":{"version":"1.2","creator":{"name":"tagfake","version":"%s"},"entries":[\n'
_TAIL = "\n]}}\n"


def _content(raw: bytes, ctype: str, redactor: Redactor) -> dict[str, Any]:
    out: dict[str, Any] = {"size": len(raw), "mimeType": ctype}
    if not raw:
        out["text"] = ""
        return out
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        out["text"] = base64.b64encode(raw).decode("ascii")
        out["encoding"] = "base64"
        return out
    if "json" in ctype.lower():
        # A body that is not JSON is kept as sent: it has no fields to redact.
        with contextlib.suppress(ValueError):
            text = json.dumps(redactor.json(json.loads(text)), ensure_ascii=False)
    out["text"] = text
    return out


def _headers(pairs: list[tuple[bytes, bytes]], redactor: Redactor) -> list[dict[str, str]]:
    out = []
    for k, v in pairs:
        name, value = k.decode("latin-1"), v.decode("latin-1")
        out.append({"name": name, "value": redactor.header(name, value)})
    return out


def _ctype(pairs: list[tuple[bytes, bytes]]) -> str:
    return next((v.decode("latin-1") for k, v in pairs if k.lower() == b"content-type"), "")


class HarRecorder:
    def __init__(self, folder: Path, vendor: str, started: datetime) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"{vendor}-{started.strftime('%Y%m%dT%H%M%S%fZ')}.har"
        self.redactor = Redactor(fingerprints=True)
        self._lock = threading.Lock()
        self._file: IO[str] | None = self.path.open("x", encoding="utf-8")
        self._file.write(_HEAD % __version__)
        self._file.flush()
        self._count = 0

    def fingerprint(self, credential: str | None) -> str | None:
        return None if credential is None else self.redactor.mask(credential)

    def add(
        self,
        *,
        started: datetime,
        duration_ms: float,
        method: str,
        url: str,
        query: str,
        request_headers: list[tuple[bytes, bytes]],
        request_body: bytes,
        status: int,
        response_headers: list[tuple[bytes, bytes]],
        response_body: bytes,
        tagfake: dict[str, Any],
    ) -> None:
        r = self.redactor
        safe_query = r.query(query)
        entry = {
            "startedDateTime": started.isoformat().replace("+00:00", "Z"),
            "time": round(duration_ms, 3),
            "request": {
                "method": method,
                "url": f"{url}?{safe_query}" if safe_query else url,
                "httpVersion": "HTTP/1.1",
                "cookies": [],
                "headers": _headers(request_headers, r),
                "queryString": [
                    {"name": k, "value": v}
                    for k, v in parse_qsl(safe_query, keep_blank_values=True)
                ],
                "headersSize": -1,
                "bodySize": len(request_body),
                **(
                    {"postData": _content(request_body, _ctype(request_headers), r)}
                    if request_body
                    else {}
                ),
            },
            "response": {
                "status": status,
                "statusText": "",
                "httpVersion": "HTTP/1.1",
                "cookies": [],
                "headers": _headers(response_headers, r),
                "content": _content(response_body, _ctype(response_headers), r),
                "redirectURL": "",
                "headersSize": -1,
                "bodySize": len(response_body),
            },
            "cache": {},
            "timings": {"send": 0, "wait": round(duration_ms, 3), "receive": 0},
            "_tagfake": tagfake,
        }
        line = json.dumps(entry, ensure_ascii=False)
        with self._lock:
            if self._file is None:
                return
            self._file.write((",\n" if self._count else "") + line)
            self._file.flush()
            self._count += 1

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.write(_TAIL)
                self._file.close()
                self._file = None


def read_har(path: Path) -> dict[str, Any]:
    """A HAR file, also one whose recording was cut short (no closing brackets)."""
    text = path.read_text(encoding="utf-8")
    try:
        doc: dict[str, Any] = json.loads(text)
    except ValueError:
        doc = json.loads(text.rstrip().rstrip(",") + _TAIL)
    return doc
