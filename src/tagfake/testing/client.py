"""`AdminClient`: tagfake's admin API (`/__admin`) over HTTP, with nothing but the stdlib.

The same client drives a server started in-process by the pytest plugin, a `tagfake serve`
on another port, or a container: it only needs the server's base URL (and the admin token, when
the server has one: `token=`, else `$TAGFAKE_ADMIN_TOKEN`).

    admin = AdminClient("http://127.0.0.1:8080")
    admin.reset()
    with admin.fault("status", status=503, vendor="zapini", times=1):
        ...  # the first zapini request answers 503, the retry goes through
    assert admin.journal(vendor="zapini", status=503)
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from types import TracebackType
from typing import Any

JSON = dict[str, Any]
ADMIN_PREFIX = "/__admin"
TOKEN_ENV = "TAGFAKE_ADMIN_TOKEN"


class AdminError(Exception):
    """The admin API answered an error, or could not be reached (`status` is then None).

    `detail` is the problem's own explanation; `problem` the whole problem+json body."""

    def __init__(
        self, status: int | None, detail: str, problem: JSON | None = None, url: str = ""
    ) -> None:
        self.status = status
        self.detail = detail
        self.problem: JSON = problem or {}
        self.url = url
        super().__init__(self.message)

    @property
    def message(self) -> str:
        if self.status is None:
            return f"cannot reach tagfake at {self.url}: {self.detail}"
        title = self.problem.get("title")
        head = f"{self.status} {title}" if title else str(self.status)
        errors = self.problem.get("errors")
        extra: list[str] = []
        if isinstance(errors, dict):
            for name, messages in errors.items():
                for text in messages if isinstance(messages, list) else [messages]:
                    if str(text) not in self.detail:
                        extra.append(f"{name}: {text}")
        return f"{head}: {self.detail}" + (f" ({'; '.join(extra)})" if extra else "")


class Fault(str):
    """The id of a fault rule added by `AdminClient.fault`; as a context manager, the rule is
    removed on leaving the block (quietly, if a reset already removed it)."""

    client: AdminClient
    rule: JSON

    def __new__(cls, client: AdminClient, rule: JSON) -> Fault:
        self = super().__new__(cls, str(rule["id"]))
        self.client = client
        self.rule = rule
        return self

    def __enter__(self) -> Fault:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.remove()

    def remove(self) -> None:
        try:
            self.client.delete_fault(self)
        except AdminError as error:
            if error.status != 404:
                raise

    def info(self) -> JSON:
        """The rule as the server has it now (with its `matched` and `applied` counts)."""
        for rule in self.client.faults():
            if rule["id"] == self:
                return rule
        raise AdminError(404, f"no fault rule {str(self)!r}", url=self.client.base_url)


class AdminClient:
    def __init__(
        self,
        base_url: str,
        timeout: float = 10.0,
        vendors: dict[str, str] | None = None,
        token: str | None = None,
    ) -> None:
        """`vendors` (slug: mount path, as `health()` tells) spares `vendor_url` asking;
        `token` is the server's admin token (default `$TAGFAKE_ADMIN_TOKEN`, if set)."""
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._mounts: dict[str, str] | None = dict(vendors) if vendors is not None else None
        self._token = token if token is not None else (os.environ.get(TOKEN_ENV) or None)

    def __repr__(self) -> str:
        return f"AdminClient({self.base_url!r})"

    # -- transport ---------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        body: JSON | None = None,
        query: dict[str, Any] | None = None,
    ) -> Any:
        url = f"{self.base_url}{ADMIN_PREFIX}{path}"
        if query:
            pairs = {k: str(v) for k, v in query.items() if v is not None}
            if pairs:
                url = f"{url}?{urllib.parse.urlencode(pairs)}"
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Accept", "application/json")
        # Says "not a browser form": state-changing admin calls need it (or a JSON body).
        request.add_header("X-Tagfake-Admin", "1")
        if self._token is not None:
            request.add_header("X-Tagfake-Admin-Token", self._token)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as error:
            raw = error.read()
            error.close()
            raise _problem(error.code, raw, url) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise AdminError(
                None, str(reason) or type(reason).__name__, url=self.base_url
            ) from None
        return json.loads(raw) if raw else None

    # -- the admin API -----------------------------------------------------------------------

    def health(self) -> JSON:
        """`{"status": "ok", "version", "vendors": {slug: mount path}, ...}`."""
        result: JSON = self._call("GET", "/health")
        return result

    def vendor_url(self, vendor: str) -> str:
        """The base URL of one vendor's API on this server (e.g. `.../zapini/api/v1`)."""
        if self._mounts is None:
            self._mounts = dict(self.health()["vendors"])
        try:
            return f"{self.base_url}{self._mounts[vendor]}"
        except KeyError:
            served = ", ".join(self._mounts) or "none"
            raise AdminError(
                404, f"vendor {vendor!r} is not served here (served: {served})", url=self.base_url
            ) from None

    def reset(self, vendor: str | None = None, tenant: str | None = None) -> JSON:
        """Back to the fixtures: everything (also journal, faults, clock), a vendor, a tenant."""
        body = {k: v for k, v in {"vendor": vendor, "tenant": tenant}.items() if v is not None}
        result: JSON = self._call("POST", "/reset", body)
        return result

    def seed(
        self,
        vendor: str,
        scenario: str | None = None,
        document: JSON | None = None,
        tenant: str | None = None,
    ) -> list[str]:
        """Load `fixtures/<vendor>/<scenario>.yaml` or an inline fixture document; returns the
        tenants loaded."""
        if (scenario is None) == (document is None):
            raise ValueError("seed() takes a scenario or a document, not both or neither")
        body: JSON = {"vendor": vendor}
        if scenario is not None:
            body["scenario"] = scenario
        if document is not None:
            body["document"] = document
        if tenant is not None:
            body["tenant"] = tenant
        result: JSON = self._call("POST", "/seed", body)
        return list(result["tenants"])

    def state(self, vendor: str, tenant: str) -> JSON:
        """A tenant's tags, groups and `entities` (per kind: id, attrs, tag ids)."""
        path = f"/state/{urllib.parse.quote(vendor)}/{urllib.parse.quote(tenant)}"
        result: JSON = self._call("GET", path)
        return result

    def journal(
        self,
        vendor: str | None = None,
        tenant: str | None = None,
        operation: str | None = None,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
        limit: int | None = None,
    ) -> list[JSON]:
        """The recorded vendor requests, oldest first, filtered. `operation` is an operationId,
        `path` a substring of the request path, `limit` keeps the newest N."""
        page = self.journal_page(vendor, tenant, operation, method, path, status, limit)
        return list(page["entries"])

    def journal_page(
        self,
        vendor: str | None = None,
        tenant: str | None = None,
        operation: str | None = None,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
        limit: int | None = None,
    ) -> JSON:
        """The journal answer in full: `entries`, `total`, `dropped`, `capacity`."""
        query = {
            "vendor": vendor,
            "tenant": tenant,
            "operation": operation,
            "method": method,
            "path": path,
            "status": status,
            "limit": limit,
        }
        result: JSON = self._call("GET", "/journal", query=query)
        return result

    def clear_journal(self) -> int:
        result: JSON = self._call("DELETE", "/journal")
        return int(result["cleared"])

    def fault(
        self,
        kind: str | None = None,
        *,
        status: int | None = None,
        delay_ms: int | None = None,
        delay_max_ms: int | None = None,
        retry_after: int | None = None,
        vendor: str | None = None,
        operation: str | None = None,
        method: str | None = None,
        path: str | None = None,
        tenant: str | None = None,
        times: int | None = None,
        probability: float | None = None,
        seed: int | None = None,
        id: str | None = None,
        effect: JSON | None = None,
        match: JSON | None = None,
    ) -> Fault:
        """Add a fault rule; returns its id, usable as a context manager that removes it.

        `kind` is delay, status, rate_limit, drop or malformed (or give `effect` whole);
        vendor, operation (operationId), method, path (a regex) and tenant narrow which
        requests it hits (or give `match` whole). `times` applies it to the first N matches."""
        if effect is None:
            if kind is None:
                raise ValueError("fault() needs a kind (or an effect)")
            effect = {"kind": kind}
            for key, value in (
                ("status", status),
                ("delay_ms", delay_ms),
                ("delay_max_ms", delay_max_ms),
                ("retry_after", retry_after),
            ):
                if value is not None:
                    effect[key] = value
            if kind == "status" and status is None:
                raise ValueError("a status fault needs status=")
            if kind == "delay" and delay_ms is None:
                raise ValueError("a delay fault needs delay_ms=")
        if match is None:
            given = {
                "vendor": vendor,
                "operation": operation,
                "method": method,
                "path": path,
                "tenant": tenant,
            }
            match = {k: v for k, v in given.items() if v is not None}
        body: JSON = {"effect": effect, "match": match}
        limits: JSON = {"times": times, "probability": probability, "seed": seed, "id": id}
        body.update({k: v for k, v in limits.items() if v is not None})
        rule: JSON = self._call("POST", "/faults", body)
        return Fault(self, rule)

    def faults(self) -> list[JSON]:
        """The rules in force (added ones and `X-Tagfake-Fault` ones), with their counts."""
        result: JSON = self._call("GET", "/faults")
        return list(result["faults"])

    def delete_fault(self, rule_id: str) -> JSON:
        result: JSON = self._call("DELETE", f"/faults/{urllib.parse.quote(str(rule_id), safe='')}")
        return result

    def clear_faults(self) -> int:
        result: JSON = self._call("DELETE", "/faults")
        return int(result["cleared"])

    def clock(
        self,
        *,
        freeze: bool | None = None,
        at: str | None = None,
        advance: float | None = None,
        release: bool | None = None,
    ) -> JSON:
        """`{"now", "frozen"}`; with arguments, freeze (at a moment), advance or release it."""
        body: JSON = {}
        if freeze is not None:
            body["freeze"] = freeze
        if at is not None:
            body["at"] = at
        if advance is not None:
            body["advance_seconds"] = advance
        if release is not None:
            body["release"] = release
        result: JSON = self._call("POST", "/clock", body) if body else self._call("GET", "/clock")
        return result

    def rate_limits(self, enabled: bool | None = None) -> JSON:
        """`{"enabled", "limits"}`; with `enabled`, turn the vendors' rate limits on or off."""
        if enabled is None:
            result: JSON = self._call("GET", "/rate-limits")
        else:
            result = self._call("POST", "/rate-limits", {"enabled": enabled})
        return result


def _problem(status: int, raw: bytes, url: str) -> AdminError:
    try:
        body = json.loads(raw)
    except ValueError:
        body = None
    if isinstance(body, dict):
        detail = str(body.get("detail") or body.get("title") or "")
        return AdminError(status, detail or f"HTTP {status}", body, url)
    text = raw.decode("utf-8", "replace").strip()[:200]
    return AdminError(status, text or f"HTTP {status}", None, url)
