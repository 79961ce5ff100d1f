"""One journal entry as the dashboard shows it: pretty bodies, violations with their spec path."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from typing import Any

from tagfake.contract.spec import VendorContract

# Headers curl sets itself or that describe one connection, left out of "copy as curl".
_CURL_SKIP = {"host", "content-length", "connection", "accept-encoding", "user-agent"}
_VIOLATION = re.compile(r"^(?P<op>\S+) (?P<status>\d{3}): (?P<rest>.*)$", re.DOTALL)


@dataclass(frozen=True)
class ShownViolation:
    text: str
    #: Where in the spec the answer is described, e.g. `paths./tags.get.responses.200`.
    spec_path: str | None
    #: Where in the answer body the problem is (a dotted path), when the message names one.
    where: str | None
    message: str


def pretty(body: Any) -> str:
    if body is None:
        return ""
    if isinstance(body, str):
        return body
    return json.dumps(body, indent=2, ensure_ascii=False)


def violation(text: str, contract: VendorContract | None) -> ShownViolation:
    """`getTags 200: data.0.id: 'x' is not of type 'integer'` → its spec path and body path."""
    m = _VIOLATION.match(text)
    if m is None:
        return ShownViolation(text, None, None, text)
    op_id, status, rest = m["op"], m["status"], m["rest"]
    spec_path = None
    if contract is not None and op_id in contract.operations:
        op = contract.operations[op_id]
        key = next((k for k in (status, f"{status[0]}XX", "default") if k in op.responses), status)
        spec_path = f"paths.{op.path}.{op.method.lower()}.responses.{key}"
    elif contract is not None:
        spec_path = f"components.responses.{op_id}"
    where, _, message = rest.partition(": ")
    if not message:
        where, message = "", rest
    return ShownViolation(text, spec_path, where or None, message)


def curl(entry: dict[str, Any], base_url: str, credential: str | None) -> str:
    """A curl command that sends the journaled request again. The journal hides credentials, so
    the tenant's own is put back in; a request that had none (or an unknown one) keeps `***`."""
    url = base_url.rstrip("/") + entry["path"] + (f"?{entry['query']}" if entry["query"] else "")
    parts = ["curl", "-X", entry["method"], shlex.quote(url)]
    for name, journaled in entry["request"]["headers"].items():
        if name in _CURL_SKIP:
            continue
        value = journaled
        if journaled == "***" and credential is not None:
            value = f"Bearer {credential}" if name == "authorization" else credential
        parts += ["-H", shlex.quote(f"{name}: {value}")]
    body = entry["request"]["body"]
    if body is not None:
        raw = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
        parts += ["--data-raw", shlex.quote(raw)]
    return " ".join(parts)
