"""Credentials never leave tagfake in clear: journal, proxy reports and HAR recordings redact
every credential-like header, query parameter and JSON field through here."""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import secrets
from typing import Any
from urllib.parse import parse_qsl, urlencode

#: Names that carry a secret: the vendors' own (Authorization, X-API-Key) and any other a client
#: may use (cookies, tokens, signatures, passwords, keys).
_SECRET_NAME = re.compile(
    r"(auth|token|secret|passw|pwd|api[-_]?key|^key$|[-_]key$|cookie|session|signature|^sig$"
    r"|credential|private)",
    re.IGNORECASE,
)
MASK = "***"


@functools.lru_cache(maxsize=512)  # a request's few header names, asked of every entry
def is_secret_name(name: str) -> bool:
    return bool(_SECRET_NAME.search(name))


class Redactor:
    """Masks secrets. With `fingerprints`, a mask carries a keyed hash of the secret, the same
    for the same secret within one Redactor (one recording), so the tenants of a recording can be
    told apart without the secret being recoverable from it."""

    def __init__(self, fingerprints: bool = False) -> None:
        self._key = secrets.token_bytes(16) if fingerprints else None

    def mask(self, value: str) -> str:
        if self._key is None:
            return MASK
        scheme, sep, secret = value.partition(" ")
        if not sep or scheme.lower() not in {"bearer", "basic", "token"}:
            scheme, sep, secret = "", "", value
        digest = hmac.new(self._key, secret.encode("utf-8", "replace"), hashlib.sha256)
        return f"{scheme}{sep}<redacted:{digest.hexdigest()[:12]}>"

    def header(self, name: str, value: str) -> str:
        return self.mask(value) if is_secret_name(name) else value

    def query(self, query: str) -> str:
        if not query:
            return query
        pairs = parse_qsl(query, keep_blank_values=True)
        if not any(is_secret_name(k) for k, _ in pairs):
            return query
        return urlencode([(k, self.mask(v) if is_secret_name(k) else v) for k, v in pairs])

    def json(self, doc: Any) -> Any:
        """A copy with the values of credential-like keys masked (iterative: no deep recursion)."""
        if not isinstance(doc, dict | list):
            return doc
        root: Any = {} if isinstance(doc, dict) else []
        stack: list[tuple[Any, Any]] = [(doc, root)]
        while stack:
            src, dst = stack.pop()
            items = src.items() if isinstance(src, dict) else enumerate(src)
            for k, v in items:
                if isinstance(k, str) and is_secret_name(k) and isinstance(v, str):
                    value: Any = self.mask(v)
                elif isinstance(v, dict | list):
                    value = {} if isinstance(v, dict) else []
                    stack.append((v, value))
                else:
                    value = v
                if isinstance(dst, dict):
                    dst[k] = value
                else:
                    dst.append(value)
        return root


PLAIN = Redactor()
